"""The window as a new user meets it (issue 18): each test failed before its fix."""

from __future__ import annotations

import numpy as np
from PIL import Image

from iea_desktop.core.graph import make_node
from iea_desktop.core.history import AddNode
from uihelpers import WAIT_MS, open_photo


def open_export(qtbot, window):
    window.export_action.trigger()
    dialog = window.export_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    return dialog


def export_with(qtbot, window, dialog, target):
    dialog.path_edit.setText(str(target))
    dialog.start()
    qtbot.waitUntil(lambda: target.exists() and window.export_dialog is None, timeout=WAIT_MS)


# --- bug 2: the export dialog shows the size that will be written -------------------------------

def test_export_dialog_shows_the_cropped_and_rotated_size(qtbot, window, sample, tmp_path):
    open_photo(qtbot, window, sample)  # 768 x 512
    crop = {"left": 0.2, "top": 0.1, "right": 0.8, "bottom": 0.9, "aspect": "1:1"}
    window.document.apply(AddNode(make_node("crop", crop)))
    window.document.apply(AddNode(make_node("rotate", {"turns": 1})))
    window.document.apply(AddNode(make_node("straighten", {"angle": 3.0})))
    dialog = open_export(qtbot, window)
    shown = dialog.size_box.itemText(0)
    assert "768" not in shown
    target = tmp_path / "cropped.png"
    export_with(qtbot, window, dialog, target)
    width, height = Image.open(target).size
    assert shown == f"Full size ({width} × {height})"

    dialog = open_export(qtbot, window)
    dialog.size_box.setCurrentIndex(1)
    assert dialog.edge_spin.maximum() == max(width, height)
    dialog.edge_spin.setValue(200)
    note = dialog.size_note.text()
    target = tmp_path / "small.png"
    export_with(qtbot, window, dialog, target)
    assert note == "{} × {}".format(*Image.open(target).size)


# --- friction 7: a free file name, the last format and quality ----------------------------------

def test_export_proposes_a_free_name_and_remembers_format_and_quality(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    (sample.parent / "sample-edited.jpg").write_bytes(b"taken")
    dialog = open_export(qtbot, window)
    assert dialog.path_edit.text() == str(sample.parent / "sample-edited-1.jpg")
    (sample.parent / "sample-edited.webp").write_bytes(b"taken")
    dialog.format_box.setCurrentText("WebP")
    assert dialog.path_edit.text() == str(sample.parent / "sample-edited-1.webp")
    dialog.quality.setValue(70)
    target = sample.parent / "sample-edited-1.webp"
    export_with(qtbot, window, dialog, target)

    dialog = open_export(qtbot, window)
    assert dialog.format_box.currentText() == "WebP" and dialog.quality.value() == 70
    assert dialog.path_edit.text() == str(sample.parent / "sample-edited-2.webp")
    dialog.reject()
