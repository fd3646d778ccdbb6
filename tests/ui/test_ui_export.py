"""The export dialog: writes the edited photo in a worker with progress; refuses the original; options."""

from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt

from iea_desktop.core.graph import make_node
from iea_desktop.core.history import AddNode
from uihelpers import WAIT_MS, open_photo


def open_export(qtbot, window):
    window.export_action.trigger()
    dialog = window.export_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    return dialog


def test_export_writes_the_edited_photo(qtbot, window, sample, tmp_path):
    open_photo(qtbot, window, sample)
    window.document.apply(AddNode(make_node("exposure", {"value": 80})))
    dialog = open_export(qtbot, window)
    assert dialog.path_edit.text().endswith("sample-edited.jpg")
    target = tmp_path / "out.png"
    dialog.path_edit.setText(str(target))
    assert dialog.format_box.currentText() == "PNG"
    assert not dialog.quality_widget.isEnabled()
    qtbot.mouseClick(dialog.export_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: target.exists() and window.export_dialog is None, timeout=WAIT_MS)
    written = np.asarray(Image.open(target).convert("RGB"), dtype=np.float32)
    original = np.asarray(Image.open(sample).convert("RGB"), dtype=np.float32)
    assert written.shape == original.shape
    assert written.mean() > original.mean() + 10
    assert "Exported" in window.statusBar().currentMessage()
    assert window.settings.value("dirs/export") == str(tmp_path)


def test_export_refuses_to_overwrite_the_original(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    before = sample.read_bytes()
    dialog = open_export(qtbot, window)
    dialog.path_edit.setText(str(sample))
    qtbot.mouseClick(dialog.export_button, Qt.LeftButton)
    assert dialog.isVisible()
    assert "original" in dialog.message.text()
    assert dialog.task is None
    assert sample.read_bytes() == before
    dialog.reject()


def test_export_options_size_quality_and_16_bit_tiff(qtbot, window, sample, tmp_path):
    open_photo(qtbot, window, sample)
    dialog = open_export(qtbot, window)
    dialog.format_box.setCurrentText("TIFF")
    assert dialog.path_edit.text().endswith(".tif")
    assert dialog.depth_box.model().item(1).isEnabled()
    dialog.depth_box.setCurrentIndex(1)
    dialog.size_box.setCurrentIndex(1)
    dialog.edge_spin.setValue(300)
    dialog.metadata.setChecked(False)
    options = dialog.options()
    assert (options.format, options.bit_depth, options.max_edge, options.keep_metadata) == ("TIFF", 16, 300, False)
    target = tmp_path / "small.tif"
    dialog.path_edit.setText(str(target))
    dialog.start()
    qtbot.waitUntil(lambda: target.exists() and window.export_dialog is None, timeout=WAIT_MS)
    import tifffile

    pixels = tifffile.imread(target)
    assert pixels.dtype == np.uint16 and max(pixels.shape[:2]) == 300


def test_switching_away_from_tiff_drops_16_bit(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    dialog = open_export(qtbot, window)
    dialog.format_box.setCurrentText("TIFF")
    dialog.depth_box.setCurrentIndex(1)
    dialog.format_box.setCurrentText("WebP")
    assert dialog.depth_box.currentData() == 8
    assert dialog.quality_widget.isEnabled()
    assert dialog.path_edit.text().endswith(".webp")
    dialog.reject()


def test_missing_folder_is_reported_in_the_dialog(qtbot, window, sample, tmp_path):
    open_photo(qtbot, window, sample)
    dialog = open_export(qtbot, window)
    dialog.path_edit.setText(str(tmp_path / "nowhere" / "out.jpg"))
    dialog.start()
    assert "does not exist" in dialog.message.text()
    dialog.reject()
