"""The window as a whole: opening photos (menu, drag-and-drop, damaged files), title, status bar,
settings, and never losing work (quit prompt, autosave, recovery)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from iea_desktop.core.document import Document
from iea_desktop.core.project import autosave_path, sidecar_path
from uihelpers import WAIT_MS, open_photo, wait_rendered


def test_empty_window_invites_to_open_a_photo(window):
    assert window.center.currentWidget() is window.empty
    assert window.windowTitle() == "IEA Desktop"
    assert not window.save_action.isEnabled() and not window.export_action.isEnabled()
    assert not window.chat.input.isEnabled()


def test_open_photo_shows_it_with_title_status_and_histogram(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    assert "sample.jpg" in window.windowTitle()
    assert window.center.currentWidget() is window.canvas
    assert window.canvas.after.pixels.shape == (512, 768, 3)
    assert "768 × 512 JPEG" in window.photo_label.text()
    assert window.zoom_label.text().startswith("Fit")
    assert window.render_label.text().startswith("Render")
    assert window.histogram.histogram is not None
    assert window.histogram.histogram.red.sum() == 512 * 768
    assert window.settings.recent_files()[0] == str(sample.resolve())


def test_settings_live_under_iea_home(qtbot, window, sample, iea_home):
    open_photo(qtbot, window, sample)
    window.close()
    assert Path(window.settings.path).is_relative_to(iea_home)
    from iea_desktop.ui.settings import Settings

    settings = Settings()
    assert settings.recent_files() == [str(sample.resolve())]
    assert settings.value("window/state") is not None


def test_damaged_file_shows_error_and_app_keeps_running(qtbot, window, tmp_path, sample):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 this is not really a JPEG" + bytes(200))
    window.open_photo(broken)
    qtbot.waitUntil(lambda: window.message_box is not None and window.message_box.isVisible(), timeout=WAIT_MS)
    assert "broken.jpg" in window.message_box.text()
    assert window.center.currentWidget() is window.empty
    window.message_box.close()
    open_photo(qtbot, window, sample)  # still works
    assert window.document.path == sample


def test_drop_a_photo_onto_the_window_opens_it(qtbot, window, sample):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(sample))])
    event = QDropEvent(QPointF(200, 200), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    window.dropEvent(event)
    qtbot.waitUntil(lambda: window.document is not None, timeout=WAIT_MS)
    wait_rendered(qtbot, window)
    assert window.document.path == sample


def _edit(window):
    window.layers.add("exposure")
    node = window.document.graph.nodes[0]
    from iea_desktop.core.history import SetNodeFields

    window.document.apply(SetNodeFields(node.id, params={"value": 30}))


@pytest.mark.parametrize("answer", ["cancel", "save", "discard"])
def test_quit_with_unsaved_changes_asks(qtbot, window, sample, answer):
    open_photo(qtbot, window, sample)
    _edit(window)
    asked = []
    window.ask_unsaved = lambda doc: asked.append(doc) or answer
    assert window.isWindowModified() or window.document.dirty
    closed = window.close()
    assert asked
    assert closed == (answer != "cancel")
    assert sidecar_path(sample).exists() == (answer == "save")
    if answer == "discard":
        assert not autosave_path(sample).exists()


def test_autosave_then_recovery_after_a_crash(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    _edit(window)
    qtbot.waitUntil(lambda: autosave_path(sample).exists() and not window._autosaving, timeout=WAIT_MS)
    # A crash: the window goes away without saving; the autosave stays behind.
    window.keep_work = lambda: True  # nothing asked, nothing saved
    window.close()

    from iea_desktop.ui.main_window import MainWindow

    again = MainWindow()
    qtbot.addWidget(again)
    asked = []
    again.ask_restore = lambda doc: asked.append(doc) or True
    again.ask_unsaved = lambda doc: "discard"
    open_photo(qtbot, again, sample)
    qtbot.waitUntil(lambda: len(again.document.graph.nodes) == 1, timeout=WAIT_MS)
    assert asked
    assert again.document.graph.nodes[0].params["value"] == 30
    assert again.document.dirty
    wait_rendered(qtbot, again)
    assert again.layers.tree.topLevelItemCount() == 1


def test_declining_recovery_discards_the_autosave(qtbot, window, sample):
    doc = Document.open(sample)
    from iea_desktop.core.graph import make_node
    from iea_desktop.core.history import AddNode

    doc.apply(AddNode(make_node("contrast", {"value": 10})))
    doc.autosave()
    open_photo(qtbot, window, sample)  # the fixture answers "no" to restoring
    assert window.document.graph.nodes == []
    assert not autosave_path(sample).exists()


def test_save_writes_the_sidecar_and_clears_modified(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    _edit(window)
    qtbot.waitUntil(lambda: window.isWindowModified(), timeout=WAIT_MS)
    window.save_action.trigger()
    assert sidecar_path(sample).exists()
    assert not window.isWindowModified()
    assert not window.document.dirty


def test_reopening_restores_edits_and_chat(qtbot, window, sample, scripted):
    open_photo(qtbot, window, sample)
    window.chat.send("make it brighter")
    qtbot.waitUntil(lambda: not window.assistant_controller.busy and bool(window.document.graph.nodes), timeout=WAIT_MS)
    assert window.save()
    open_photo(qtbot, window, sample)
    assert [n.op for n in window.document.graph.nodes] == ["exposure"]
    texts = [b.text for b in window.chat.bubbles]
    assert texts[0] == "make it brighter" and texts[1].startswith("I brightened the photo.")
    assert window.chat.bubbles[1].links.isVisibleTo(window.chat)


def test_keyboard_shortcuts_undo_redo(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    _edit(window)
    window.activateWindow()
    window.canvas.setFocus()
    qtbot.waitUntil(window.undo_action.isEnabled, timeout=WAIT_MS)
    qtbot.keyClick(window.canvas, Qt.Key_Z, Qt.ControlModifier)
    assert window.document.history.position == 1
    qtbot.waitUntil(window.redo_action.isEnabled, timeout=WAIT_MS)
    qtbot.keyClick(window.canvas, Qt.Key_Y, Qt.ControlModifier)
    assert window.document.history.position == 2
    qtbot.keyClick(window.canvas, Qt.Key_Z, Qt.ControlModifier | Qt.ShiftModifier)
    assert window.document.history.position == 2  # nothing left to redo
    qtbot.keyClick(window.canvas, Qt.Key_Y)
    assert window.compare_action.isChecked()


def test_typing_in_the_chat_does_not_trigger_view_keys(qtbot, window, sample, scripted):
    open_photo(qtbot, window, sample)
    window.chat.input.setFocus()
    qtbot.keyClicks(window.chat.input, "yj\\")
    assert window.chat.input.toPlainText() == "yj\\"
    assert not window.compare_action.isChecked() and not window.clipping_action.isChecked()
    assert not window.canvas.show_before


def test_picker_lists_models_installed_while_running(qtbot, window, monkeypatch):
    from iea_desktop.ui import assistants

    assert window.chat.picker.count() == 1
    extra = assistants.Choice("New model (1.0 GB)", "tip", "/models/new.gguf")
    monkeypatch.setattr(assistants, "choices", lambda: ([
        assistants.Choice(assistants.BUILTIN_LABEL, assistants.BUILTIN_TIP, "builtin"), extra], None))
    window.chat.picker_opening.emit()
    assert window.chat.picker.count() == 2
    assert window.chat.picker.currentIndex() == 0
