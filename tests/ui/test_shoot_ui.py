"""A shoot in the window (issue 16): copy / paste settings onto a selection, presets and their
gallery, batch export with a report and cancel, batch chat, XMP sidecars out and in."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QKeySequence

from iea_desktop.core import batch
from iea_desktop.core.document import Document
from iea_desktop.core.graph import make_node
from iea_desktop.core.history import AddNode, ReplaceGraph
from iea_desktop.ui import presets_panel
from uihelpers import WAIT_MS, ScriptedAssistant, builtin_available, open_folder, open_photo, wait_rendered


@pytest.fixture
def folder(make_photo, tmp_path) -> Path:
    for i in range(3):
        make_photo(f"shoot/photo_{i}.jpg", height=90, width=120, seed=i, quality=90)
    return tmp_path / "shoot"


def select(window, *rows: int) -> None:
    """Select these rows of the library (as Ctrl+clicks in the grid would)."""
    library = window.library
    library.selection.clearSelection()
    for row in rows:
        library.selection.select(library.model.index(row), QItemSelectionModel.Select)


def saved_nodes(photo: Path) -> list[tuple[str, object, str]]:
    doc = Document.open(photo)
    return [(n.op, n.params.get("value"), n.provenance.reason) for n in doc.graph.nodes]


def wait_idle(qtbot, window) -> None:
    qtbot.waitUntil(lambda: window.shoot.task is None, timeout=WAIT_MS)


def test_copy_chosen_settings_and_paste_onto_two_selected_photos(qtbot, window, folder):
    open_photo(qtbot, window, folder / "photo_0.jpg")
    doc = window.document
    doc.apply(AddNode(make_node("exposure", {"value": 35})))
    doc.apply(AddNode(make_node("vignette", {"value": 20})))
    doc.apply(AddNode(make_node("crop", {"left": 0.1})))
    qtbot.waitUntil(window.shoot.copy_action.isEnabled, timeout=WAIT_MS)
    window.shoot.copy_action.trigger()  # Copy Settings…: a checkbox per adjustment
    dialog = window.shoot.dialog
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    crop, vignette = (
        next(i for i, n in dialog.checks.items() if doc.graph.get(i).op == op) for op in ("crop", "vignette")
    )
    assert not dialog.checks[crop].isChecked()  # geometry is framed on one photo: unticked
    dialog.checks[vignette].setChecked(False)
    dialog.accept()
    assert [n.op for n in window.shoot.clipboard.nodes] == ["exposure"]

    open_folder(qtbot, window, folder)
    select(window, 1, 2)
    assert window.shoot.targets() == [folder / "photo_1.jpg", folder / "photo_2.jpg"]
    assert window.shoot.paste_action.isEnabled()
    window.shoot.paste_action.trigger()
    wait_idle(qtbot, window)
    for name in ("photo_1.jpg", "photo_2.jpg"):
        assert saved_nodes(folder / name) == [("exposure", 35, "pasted from photo_0.jpg")]
        assert Document.open(folder / name).history.labels() == ["Paste settings from photo_0.jpg"]
    assert sorted(n.op for n in doc.graph.nodes) == ["crop", "exposure", "vignette"]  # the source is left alone
    assert "2 written" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: window.library.model.entry(1).edited, timeout=WAIT_MS)  # the grid knows

    # With the open photo among the selection, it changes in place: one undo step.
    doc.apply(ReplaceGraph([]))
    select(window, 0, 1)
    window.shoot.paste_action.trigger()
    wait_idle(qtbot, window)
    assert [n.op for n in doc.graph.nodes] == ["exposure"]
    doc.history.undo()
    assert doc.graph.nodes == []


def test_the_shoot_actions_have_lightrooms_keys_and_are_listed(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    rows = {re.sub("&(.)", r"\1", what): keys for what, keys in window.shortcut_rows()}
    for what, key in (
        ("Copy Settings…", "Ctrl+Shift+C"),
        ("Paste Settings", "Ctrl+Shift+V"),
        ("Sync Settings…", "Ctrl+Shift+S"),
        ("Export…", "Ctrl+Shift+E"),
        ("New Preset…", "Ctrl+Shift+N"),
    ):
        assert QKeySequence(key).toString(QKeySequence.NativeText) in rows[what]
    menus = {action.text(): action.menu() for action in window.menuBar().actions()}
    assert window.shoot.export_xmp_action in menus["&File"].actions()
    assert window.shoot.import_xmp_action in menus["&File"].actions()
    assert window.shoot.panel.rename_action in menus["&Presets"].actions()


def test_sync_gives_the_other_selected_photos_the_chosen_settings(qtbot, window, folder):
    open_photo(qtbot, window, folder / "photo_0.jpg")
    window.document.apply(AddNode(make_node("saturation", {"value": -40})))
    open_folder(qtbot, window, folder)
    select(window, 0, 2)
    qtbot.waitUntil(window.shoot.sync_action.isEnabled, timeout=WAIT_MS)
    window.shoot.sync_action.trigger()
    dialog = window.shoot.dialog
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    assert "1 photo" in dialog.windowTitle()
    dialog.accept()
    wait_idle(qtbot, window)
    assert saved_nodes(folder / "photo_2.jpg") == [("saturation", -40, "pasted from photo_0.jpg")]
    assert saved_nodes(folder / "photo_1.jpg") == []
    assert len(window.document.graph.nodes) == 1  # the open photo is the source, not a target


def test_preset_saved_applied_renamed_deleted_exported_and_imported(qtbot, window, sample, tmp_path):
    open_photo(qtbot, window, sample)
    panel = window.shoot.panel
    panel.ask_yes = lambda title, text: True
    doc = window.document
    doc.apply(AddNode(make_node("exposure", {"value": 30})))
    doc.apply(AddNode(make_node("grain", {"value": 20})))
    exposure = doc.graph.nodes[0].id
    assert panel.save_preset(doc, "Bright", [exposure]).name == "Bright"
    assert panel.selected().name == "Bright" and panel.rename_action.isEnabled()

    doc.apply(ReplaceGraph([]))
    steps = doc.history.position
    panel.apply_action.trigger()
    assert [(n.op, n.params["value"], n.provenance.reason) for n in doc.graph.nodes] == [
        ("exposure", 30, "from the preset “Bright”")
    ]
    assert doc.history.position == steps + 1  # one undo step
    doc.history.undo()
    assert doc.graph.nodes == []

    panel.ask_text = lambda title, label, text: "Brighter"
    panel.rename_selected()
    assert panel.selected().name == "Brighter" and "Bright" not in panel.presets
    exported = tmp_path / "shared.ieapreset"
    panel.ask_save_file = lambda name: str(exported)
    panel.export_selected()
    assert exported.exists()
    panel.delete_selected()
    assert "Brighter" not in panel.presets
    panel.ask_open_files = lambda: [str(exported)]
    panel.import_dialog()
    assert panel.selected().name == "Brighter" and panel.selected().summary() == "Exposure +30"

    window.shoot.apply_menu.aboutToShow.emit()  # Presets > Apply Preset lists them all
    listed = [action.text() for action in window.shoot.apply_menu.actions() if not action.isSeparator()]
    assert listed[0] == "vintage" and listed[-1] == "Brighter"
    window.shoot.apply_menu.actions()[-1].trigger()
    assert [n.op for n in doc.graph.nodes] == ["exposure"]

    panel.select("vintage")  # a built-in look: read-only
    assert panel.selected().read_only
    assert not panel.rename_action.isEnabled() and not panel.delete_action.isEnabled()
    assert panel.export_action.isEnabled()


def test_a_damaged_preset_file_is_said_and_not_imported(qtbot, window, sample, tmp_path):
    open_photo(qtbot, window, sample)
    damaged = tmp_path / "broken.ieapreset"
    damaged.write_text("{not json")
    assert window.shoot.panel.import_files([damaged]) == []
    assert "broken.ieapreset" in window.message_box.text()


def test_the_gallery_renders_each_preset_on_the_photo_off_the_gui_thread(qtbot, window, sample, monkeypatch):
    threads = []
    original = presets_panel.render_gallery

    def recording(*args):
        threads.append(threading.current_thread())
        original(*args)

    monkeypatch.setattr(presets_panel, "render_gallery", recording)
    open_photo(qtbot, window, sample)
    window.shoot.dock.show()
    window.shoot.dock.raise_()
    panel = window.shoot.panel
    qtbot.waitUntil(panel.isVisible, timeout=WAIT_MS)
    panel.render_previews()
    assert panel.previews == {}  # nothing rendered in the call: the renders are a worker's
    qtbot.waitUntil(lambda: len(panel.previews) == len(panel.presets), timeout=WAIT_MS)
    assert threads and threading.main_thread() not in threads

    def pixels(name: str) -> np.ndarray:
        image = panel.previews[name].convertToFormat(panel.previews[name].Format.Format_RGB888)
        row = image.bytesPerLine()
        data = np.frombuffer(image.constBits(), np.uint8)[: row * image.height()].reshape(image.height(), row)
        return data[:, : 3 * image.width()].reshape(image.height(), image.width(), 3).astype(int)

    grey = pixels("black and white")
    assert np.abs(grey[..., 0] - grey[..., 2]).max() <= 2  # previewed as it would look on this photo
    assert np.abs(pixels("golden hour") - pixels("teal")).mean() > 3
    assert not panel.list.item(0).icon().isNull()

    before = panel.generation  # (the first render's end may still be on its way: not a sign of the next)
    window.document.apply(AddNode(make_node("exposure", {"value": 60})))  # the previews follow the edits
    qtbot.waitUntil(
        lambda: panel.generation > before and len(panel.previews) == len(panel.presets) and not panel.rendering,
        timeout=WAIT_MS,
    )
    assert pixels("teal").mean() > grey.mean()


def start_batch_export(qtbot, window, folder: Path, out: Path):
    open_folder(qtbot, window, folder)
    select(window, *range(window.library.model.rowCount()))
    window.export_action.trigger()
    dialog = window.export_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    assert dialog.windowTitle() == f"Export {window.library.model.rowCount()} Photos"
    dialog.folder_edit.setText(str(out))
    return dialog


def test_batch_export_goes_on_past_a_broken_photo_and_names_it(qtbot, window, make_photo, tmp_path):
    for name in ("a", "c"):
        make_photo(f"day/{name}.jpg", height=80, width=100, quality=90)
    (tmp_path / "day" / "b.jpg").write_bytes(b"not a photo at all")
    dialog = start_batch_export(qtbot, window, tmp_path / "day", tmp_path / "out")
    dialog.sharpen_box.setCurrentIndex(dialog.sharpen_box.findData("standard"))
    assert dialog.name_example.text() == "e.g. a-edited.jpg"
    qtbot.mouseClick(dialog.export_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=3 * WAIT_MS)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a-edited.jpg", "c-edited.jpg"]
    assert [r.photo.name for r in dialog.report.failed] == ["b.jpg"]
    assert "Failed: b.jpg" in dialog.report_view.toPlainText()
    assert dialog.isVisible() and dialog.cancel_button.text() == "Close"
    assert "2 written, 1 failed of 3" in window.statusBar().currentMessage()
    dialog.reject()


def running_batch(qtbot, window, make_photo, tmp_path, monkeypatch):
    """A batch export of a.jpg, b.jpg and c.jpg, started and held at b.jpg until it is cancelled
    (b then exports and sees it cancelled): its dialog."""
    for name in ("a", "b", "c"):
        make_photo(f"day/{name}.jpg", height=80, width=100, quality=90)
    in_second = threading.Event()
    real_export_one = batch.export_one

    def export_one(photo, target, preset, settings=None, edit=None, cancelled=None):
        if photo.name == "b.jpg":
            in_second.set()
            cancel_seen = threading.Event()
            while not cancelled() and not cancel_seen.wait(0.01):
                pass
        return real_export_one(photo, target, preset, settings, edit, cancelled)

    monkeypatch.setattr(batch, "export_one", export_one)
    dialog = start_batch_export(qtbot, window, tmp_path / "day", tmp_path / "out")
    dialog.jobs = 1  # in this process, where the patch is
    qtbot.mouseClick(dialog.export_button, Qt.LeftButton)
    qtbot.waitUntil(in_second.is_set, timeout=WAIT_MS)
    return dialog


def test_batch_export_cancel_stops_the_photos_not_done(qtbot, window, make_photo, tmp_path, monkeypatch):
    dialog = running_batch(qtbot, window, make_photo, tmp_path, monkeypatch)
    assert dialog.progress.isVisible()
    qtbot.mouseClick(dialog.cancel_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=WAIT_MS)
    assert [r.photo.name for r in dialog.report.written] == ["a.jpg"]
    assert [r.photo.name for r in dialog.report.cancelled] == ["b.jpg", "c.jpg"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a-edited.jpg"]
    assert "Cancelled before: b.jpg, c.jpg" in dialog.report_view.toPlainText()
    dialog.reject()


def test_a_batch_export_runs_beside_the_window_and_closing_it_asks_first(qtbot, window, make_photo, tmp_path,
                                                                        monkeypatch):
    """Not modal: the window takes input while a batch runs. Closing the window then asks: No keeps
    both; Yes stops the batch (the photos written stay, the rest are not exported) and closes."""
    from PySide6.QtWidgets import QApplication

    dialog = running_batch(qtbot, window, make_photo, tmp_path, monkeypatch)
    assert QApplication.activeModalWidget() is None and dialog.isVisible()
    asked = []
    monkeypatch.setattr(window, "ask_stop_batch", lambda running: asked.append(running) or False)
    assert not window.close()
    assert asked == [1] and window.isVisible() and dialog.task is not None  # still running
    monkeypatch.setattr(window, "ask_stop_batch", lambda running: True)
    assert window.close()
    assert dialog.report is not None and [r.photo.name for r in dialog.report.cancelled] == ["b.jpg", "c.jpg"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a-edited.jpg"]


@pytest.mark.skipif(not builtin_available(), reason="the built-in assistant is not available")
def test_batch_chat_measures_each_selected_photo_on_its_own(qtbot, window, make_photo, make_u8, tmp_path):
    for name, darkness in (("dark", 0.5), ("dim", 0.8)):
        make_photo(f"day/{name}.jpg", array=(make_u8(90, 120, 1) * darkness).astype(np.uint8), quality=90)
    folder = tmp_path / "day"
    open_photo(qtbot, window, folder / "dark.jpg")
    open_folder(qtbot, window, folder)
    select(window, 0, 1)
    assert window.chat.scope.text() == "Requests apply to the 2 selected photos, each on its own."
    window.chat.send("make all of these a bit brighter")
    qtbot.waitUntil(lambda: not window.assistant_controller.busy, timeout=WAIT_MS)
    opened = window.document  # the open photo's turn is on the document shown (one undo step there)
    found = {
        "dark": [(n.op, n.params.get("value"), n.provenance.reason) for n in opened.graph.nodes],
        "dim": saved_nodes(folder / "dim.jpg"),  # the other's project was changed and saved
    }
    assert all(len(nodes) == 1 and nodes[0][0] == "exposure" and nodes[0][2] for nodes in found.values())
    assert found["dark"][0][1] > found["dim"][0][1] > 0  # measured on each: the darker one brightened more
    assert opened.history.labels()[-1] and opened.history.can_undo
    reply = window.chat.bubbles[-1].text
    assert "2 selected photos" in reply
    assert f"• dark.jpg: {found['dark'][0][2]}" in reply and f"• dim.jpg: {found['dim'][0][2]}" in reply
    assert "2 of 2 photos answered" in window.chat.bubbles[-1].meta.text()
    wait_rendered(qtbot, window)


XMP = """<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/"
 crs:Exposure2012="+0.44" crs:Vibrance="+25" crs:ParametricShadows="-20"/></rdf:RDF></x:xmpmeta>"""


def test_xmp_sidecar_written_next_to_the_photo_and_one_read_back_as_nodes(qtbot, window, sample, tmp_path):
    open_photo(qtbot, window, sample)
    doc = window.document
    doc.apply(AddNode(make_node("exposure", {"value": 20})))
    window.shoot.export_xmp_action.trigger()
    wait_idle(qtbot, window)
    written = sample.with_suffix(".xmp").read_text()
    assert 'crs:Exposure2012="+0.44"' in written
    assert "Wrote sample.xmp" in window.statusBar().currentMessage()

    doc.apply(ReplaceGraph([]))
    steps = doc.history.position
    sidecar = tmp_path / "from-lightroom.xmp"
    sidecar.write_text(XMP)
    window.shoot.ask_xmp_file = lambda photo: str(sidecar)
    window.shoot.import_xmp_action.trigger()
    wait_idle(qtbot, window)
    assert [(n.op, n.params["value"]) for n in doc.graph.nodes] == [("exposure", 20), ("vibrance", 25)]
    assert doc.history.position == steps + 1  # one undo step
    assert "ParametricShadows" in window.message_box.text()  # what was not read is said
    doc.history.undo()
    assert doc.graph.nodes == []


def test_a_file_that_is_not_xmp_is_one_message_and_changes_nothing(qtbot, window, sample, tmp_path):
    open_photo(qtbot, window, sample)
    bad = tmp_path / "bad.xmp"
    bad.write_text('<!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>')
    window.shoot.import_xmp(bad)
    wait_idle(qtbot, window)
    assert window.document.graph.nodes == [] and window.document.history.position == 0
    assert "bad.xmp" in window.message_box.text()


def test_ctrl_click_in_the_filmstrip_adds_photos_to_paste_onto(qtbot, window, folder):
    open_folder(qtbot, window, folder)
    library = window.library
    library.set_grid(False)  # the first photo in the editor, the filmstrip under it
    qtbot.waitUntil(lambda: window.document is not None and window.open_task is None, timeout=WAIT_MS)
    strip = library.filmstrip
    where = strip.visualRect(library.model.index(2)).center()
    qtbot.mouseClick(strip.viewport(), Qt.LeftButton, Qt.ControlModifier, where)
    qtbot.waitUntil(lambda: window.document.path.name == "photo_2.jpg" and window.open_task is None, timeout=WAIT_MS)
    assert window.shoot.targets() == [folder / "photo_0.jpg", folder / "photo_2.jpg"]  # both stay selected
    assert window.chat.scope.isVisibleTo(window.chat)


def test_xmp_sidecars_for_the_selection_each_from_its_own_edits(qtbot, window, folder, make_photo):
    make_photo("shoot/photo_2.png", height=90, width=120, seed=2)  # its sidecar would be photo_2.xmp too
    doc = Document.open(folder / "photo_2.jpg")
    doc.apply(AddNode(make_node("contrast", {"value": 30})))
    doc.save()
    open_photo(qtbot, window, folder / "photo_0.jpg")
    window.document.apply(AddNode(make_node("exposure", {"value": 20})))  # not saved: written as it is
    open_folder(qtbot, window, folder)
    select(window, 0, 2, 3)
    window.shoot.export_xmp_action.trigger()
    wait_idle(qtbot, window)
    assert 'crs:Exposure2012="+0.44"' in (folder / "photo_0.xmp").read_text()
    assert 'crs:Contrast2012="+30"' in (folder / "photo_2.xmp").read_text()
    assert not (folder / "photo_1.xmp").exists()
    assert "photo_2.png: no sidecar written: photo_2.xmp was written for another photo" in window.message_box.text()


def test_stop_ends_batch_chat_and_changes_nothing_more(qtbot, window, folder):
    assistant = ScriptedAssistant(hold=True)  # waits in its turn until stopped
    open_photo(qtbot, window, folder / "photo_0.jpg")
    window.assistant_controller.set_assistant(assistant, 0)
    open_folder(qtbot, window, folder)
    select(window, 0, 1, 2)
    window.chat.send("make these brighter")
    qtbot.waitUntil(assistant.started.is_set, timeout=WAIT_MS)
    assert window.assistant_controller.busy and not window.layers.isEnabled()  # the edit controls wait
    window.chat.send_button.click()  # Stop
    qtbot.waitUntil(lambda: not window.assistant_controller.busy, timeout=WAIT_MS)
    assert window.document.graph.nodes == []
    assert saved_nodes(folder / "photo_1.jpg") == [] and saved_nodes(folder / "photo_2.jpg") == []
    assert "stopped: 3 not done" in window.chat.bubbles[-1].meta.text()
