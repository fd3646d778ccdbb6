"""Keys Lightroom users try (Z, Tab, F, \\, R), never while typing, and the shortcuts dialog made
from the window's actions."""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QTableWidget

from uihelpers import WAIT_MS, open_photo


def test_z_toggles_fit_and_100_percent(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    canvas = window.canvas
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key_Z)
    assert canvas.zoom == 1.0 and not canvas.fit_mode
    qtbot.keyClick(canvas, Qt.Key_Z)
    assert canvas.fit_mode


def test_tab_hides_the_side_panels_and_brings_back_the_open_ones(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    window.chat_dock.hide()  # closed by the person: Tab must not open it
    docks = (window.layers_dock, window.inspector_dock, window.histogram_dock)
    assert all(dock.isVisible() for dock in docks)
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key_Tab)
    assert not any(dock.isVisible() for dock in docks) and window.panels_action.isChecked()
    qtbot.keyClick(window.canvas, Qt.Key_Tab)
    assert all(dock.isVisible() for dock in docks) and not window.chat_dock.isVisible()


def test_f_toggles_full_screen(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key_F)
    assert window.windowState() & Qt.WindowFullScreen and window.full_screen_action.isChecked()
    qtbot.keyClick(window.canvas, Qt.Key_F)
    assert not window.windowState() & Qt.WindowFullScreen


def test_single_keys_type_in_the_chat_box_instead_of_firing(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    box = window.chat.input
    box.setFocus()
    qtbot.keyClicks(box, "rzfyj\\")
    qtbot.keyClick(box, Qt.Key_Tab)
    assert box.toPlainText().startswith("rzfyj\\")
    assert window.canvas.fit_mode and not window.canvas.crop_tool.active and not window.canvas.show_before
    assert not window.compare_action.isChecked() and not window.clipping_action.isChecked()
    assert window.layers_dock.isVisible() and not window.windowState() & Qt.WindowFullScreen
    qtbot.keyClick(box, Qt.Key_R, Qt.ControlModifier)  # keys with Ctrl are still shortcuts
    assert window.document.graph.nodes == []


def test_enter_in_a_spin_box_sets_the_value_and_stays_in_the_crop_tool(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key_R)
    spin = window.inspector.controls["left"].spin
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, "100")
    qtbot.keyClick(spin, Qt.Key_R)
    qtbot.keyClick(spin, Qt.Key_Return)
    assert window.canvas.crop_tool.active
    assert window.document.graph.find("crop")[0].params["left"] == 100 / 768
    qtbot.keyClick(spin, Qt.Key_Escape)  # Esc in a spin box does not cancel the crop either
    assert window.canvas.crop_tool.active
    aspect = window.inspector.controls["aspect"]  # a list of choices is no typing: Enter applies the crop
    aspect.setFocus()
    qtbot.keyClick(aspect, Qt.Key_Return)
    assert not window.canvas.crop_tool.active and window.document.graph.find("crop")


def test_help_lists_every_shortcut_the_window_has(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    rows = dict(window.shortcut_rows())
    for action in window.actions():
        key = action.shortcut().toString(QKeySequence.NativeText)
        if key:  # (a standard key the platform has no binding for has no text)
            assert key in rows[re.sub("&(.)", r"\1", action.text())]
    for what, key in (("Crop & Straighten", "R"), ("Fit / 100% Toggle", "Z"), ("Hide Panels", "Tab"),
                      ("Full Screen", "F"), ("Show Original", "\\"), ("Apply Crop", "Return"), ("Cancel Crop", "Esc")):
        assert key in rows[what]
    assert "Shift + drag" in rows.values()  # the slider's fine control, a gesture, not an action
    # Made from the actions: a new one shows up.
    extra = QAction("Something New", window)
    extra.setShortcut(QKeySequence("Ctrl+Shift+K"))
    window.addAction(extra)
    window.show_shortcuts()
    qtbot.waitUntil(lambda: window.shortcuts_dialog is not None and window.shortcuts_dialog.isVisible(),
                    timeout=WAIT_MS)
    table = window.shortcuts_dialog.findChild(QTableWidget)
    listed = {table.item(row, 0).text(): table.item(row, 1).text() for row in range(table.rowCount())}
    assert listed["Something New"] == QKeySequence("Ctrl+Shift+K").toString(QKeySequence.NativeText)
    window.shortcuts_dialog.close()


def test_keys_do_nothing_without_a_photo(qtbot, window):
    window.canvas.setFocus()
    for key in (Qt.Key_R, Qt.Key_Z, Qt.Key_Backslash):
        qtbot.keyClick(window, key)
    assert window.document is None and not window.canvas.crop_tool.active and not window.canvas.show_before
