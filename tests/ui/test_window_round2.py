"""The window as a new user meets it (issue 18): each test failed before its fix."""

from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtCore import QPoint

from iea_desktop.core.document import Document
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


# --- bug 5: the chat ends at its last message ----------------------------------------------------

REPLY = "I brightened the photo because the median brightness was low, and warmed it a little. " * 3


def last_message_in_view(chat) -> bool:
    """The scroll bar is at its end and the last message lies inside the viewport, with no blank
    space below it beyond the list's margin."""
    bar, viewport, last = chat.scroll_area.verticalScrollBar(), chat.scroll_area.viewport(), chat.bubbles[-1]
    top = last.mapTo(viewport, QPoint(0, 0)).y()
    bottom_in_list = last.mapTo(chat.messages, QPoint(0, last.height())).y()
    blank_below = chat.messages.height() - bottom_in_list
    return (
        bar.value() == bar.maximum()
        and top >= 0
        and top + last.height() <= viewport.height()
        and blank_below <= chat.message_layout.contentsMargins().bottom() + chat.message_layout.spacing()
    )


def add_exchange(chat, number: int) -> None:
    chat.add_user(f"make it brighter please ({number})")
    bubble = chat.begin_reply("Built-in assistant")
    bubble.set_text(REPLY)
    bubble.set_changes(
        [
            {"kind": "added", "node_id": "n1", "text": "Exposure +20"},
            {"kind": "removed", "node_id": "n2", "text": "Temperature +10"},
        ]
    )
    bubble.set_meta("0.1 s")


def test_chat_scrolls_to_the_end_of_the_last_message_and_no_further(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    chat = window.chat
    for number in range(6):
        add_exchange(chat, number)
    qtbot.waitUntil(lambda: last_message_in_view(chat), timeout=WAIT_MS)

    window.chat_dock.hide()  # closed and reopened: the end of the conversation shows again
    add_exchange(chat, 6)
    window.chat_dock.show()
    qtbot.waitUntil(lambda: last_message_in_view(chat), timeout=WAIT_MS)


# --- bug 6: a restored session shows its conversation --------------------------------------------


def test_restore_after_a_crash_shows_the_earlier_conversation(qtbot, window, sample):
    from iea_desktop.agent.session import AssistantSession
    from uihelpers import ScriptedAssistant

    crashed = Document.open(sample)
    AssistantSession(crashed, ScriptedAssistant()).run_turn("make it brighter")
    crashed.autosave()  # what the crashed session left; nothing was saved
    window.ask_restore = lambda doc: True
    open_photo(qtbot, window, sample)
    assert [n.op for n in window.document.graph.nodes] == ["exposure"]
    texts = [bubble.text for bubble in window.chat.bubbles]
    assert texts[0] == "make it brighter" and texts[1].startswith("I brightened the photo.")
    assert "Exposure +40" in window.chat.bubbles[1].links.text()


# --- bug 9: the "Changed:" line shows removals too --------------------------------------------------


def test_the_changed_line_lists_what_a_look_removed(qtbot, window, sample):
    window.assistant_controller.refresh_choices(initial=True)  # the built-in assistant
    open_photo(qtbot, window, sample)
    for request in ("make it vintage", "black and white"):
        window.chat.send(request)
        qtbot.waitUntil(lambda: window.assistant_controller.turn_task is None, timeout=WAIT_MS)
    line = window.chat.bubbles[-1].links.text()
    assert "Added:" in line and "Removed:" in line
    assert "Fade +30" in line and "Vignette +25" in line and "Grain +15" in line
    assert "node:" in line.split("Removed:")[0] and "node:" not in line.split("Removed:")[1]  # gone: no link


# --- friction 3: an assistant node the person changed says so ------------------------------------


def test_a_hand_edited_assistant_node_shows_who_changed_what(qtbot, window, sample, scripted):
    from iea_desktop.core.history import SetNodeFields

    open_photo(qtbot, window, sample)
    window.chat.send("make it brighter")
    qtbot.waitUntil(lambda: window.assistant_controller.turn_task is None, timeout=WAIT_MS)
    node = window.document.graph.nodes[0]
    window.document.apply(SetNodeFields(node.id, params={"value": 30}, gesture="g"))  # as the inspector's slider
    window.document.apply(SetNodeFields(node.id, opacity=0.5, gesture="h"))
    qtbot.waitUntil(lambda: window.layers.tree.topLevelItem(0).text(2) == "Assistant, edited by you", timeout=WAIT_MS)
    tip = window.layers.tree.topLevelItem(0).toolTip(0)
    assert "Assistant set +40; you changed it to +30 at 50%." in tip and "Brighter, as asked" in tip
    window.layers.select(node.id)
    assert window.inspector.origin.text().startswith("Assistant set +40; you changed it to +30 at 50%.")
    window.undo_action.trigger()
    window.undo_action.trigger()
    qtbot.waitUntil(lambda: window.layers.tree.topLevelItem(0).text(2) == "Assistant", timeout=WAIT_MS)


# --- bug 4: blown highlights stay flagged under a vignette ------------------------------------------


def test_clipping_warning_counts_highlights_a_vignette_darkens(qtbot, window, tmp_path):
    from uihelpers import wait_rendered

    pixels = np.full((200, 300, 3), 100, np.uint8)
    pixels[:100] = 255  # a blown-out sky
    photo = tmp_path / "sky.png"
    Image.fromarray(pixels).save(photo)
    open_photo(qtbot, window, photo)
    assert 0.45 < window.histogram.histogram.clip_highlights < 0.55
    window.clipping_action.trigger()
    window.document.apply(AddNode(make_node("vignette", {"value": 70})))
    wait_rendered(qtbot, window)
    assert 0.45 < window.histogram.histogram.clip_highlights < 0.55
    overlay = window.canvas.clipping.convertToFormat(window.canvas.clipping.Format.Format_RGBA8888)
    assert overlay.pixelColor(5, 5).red() == 255 and overlay.pixelColor(5, 195).alpha() == 0  # a darkened corner
    assert "before grain, vignette and sharpening" in window.histogram.toolTip()


# --- friction 7: "Save your edits?" only once the next photo opens; Recent shows folders -------------


def test_save_question_comes_only_after_the_next_photo_opens(qtbot, window, sample, tmp_path):
    open_photo(qtbot, window, sample)
    window.document.apply(AddNode(make_node("exposure", {"value": 30})))
    asked = []
    window.ask_unsaved = lambda doc: asked.append(doc.path) or "cancel"
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not a JPEG" + bytes(200))
    assert window.open_photo(broken)
    qtbot.waitUntil(lambda: window.open_task is None, timeout=WAIT_MS)
    assert asked == []  # the broken photo never opened: nothing to ask
    assert window.document.path == sample and window.document.dirty and len(window.document.graph.nodes) == 1
    window.message_box.close()

    other = tmp_path / "other.png"
    Image.fromarray(np.full((40, 60, 3), 90, np.uint8)).save(other)
    assert window.open_photo(other)
    qtbot.waitUntil(lambda: window.open_task is None, timeout=WAIT_MS)
    assert asked == [sample]  # asked once the other photo had opened; "Cancel" keeps this one
    assert window.document.path == sample and len(window.document.graph.nodes) == 1


def test_recent_photos_with_the_same_name_show_their_folders(qtbot, window, tmp_path):
    from PySide6.QtWidgets import QPushButton

    paths = []
    for folder in ("trip", "home"):
        (tmp_path / folder).mkdir()
        paths.append(tmp_path / folder / "kodim23.png")
        Image.fromarray(np.full((40, 60, 3), 90, np.uint8)).save(paths[-1])
        open_photo(qtbot, window, paths[-1])
    (tmp_path / "single.png").write_bytes((tmp_path / "home" / "kodim23.png").read_bytes())
    open_photo(qtbot, window, tmp_path / "single.png")
    labels = [b.text() for b in window.empty.findChildren(QPushButton) if b.objectName() == "link"]
    assert labels == ["single.png", f"kodim23.png — {tmp_path / 'home'}", f"kodim23.png — {tmp_path / 'trip'}"]
    window._fill_recent_menu()
    assert [a.text() for a in window.recent_menu.actions()][:3] == labels


# --- bug 8: the Crop button the assistant points to exists ---------------------------------------


def test_the_crop_button_the_assistant_names_is_in_the_toolbar(window):
    from PySide6.QtWidgets import QToolBar

    from iea_desktop.agent.builtin_lexicon import CANNOT

    assert any("the Crop button in the toolbar (R)" in reply for _, reply in CANNOT)
    toolbar = window.findChild(QToolBar, "mainToolbar")
    crop = [a for a in toolbar.actions() if a.iconText() == "Crop"]
    assert crop and crop[0].shortcut().toString() == "R"


def test_adding_past_the_graph_limit_says_so_and_changes_nothing(qtbot, window, sample, monkeypatch):
    from iea_desktop.core import graph
    from iea_desktop.ui import layers_panel

    open_photo(qtbot, window, sample)
    window.layers.add("exposure")
    shown = []
    monkeypatch.setattr(layers_panel.QMessageBox, "information", lambda parent, title, text: shown.append(text))
    monkeypatch.setattr(graph, "MAX_NODES", len(window.document.graph.nodes))
    before = [node.id for node in window.document.graph.nodes]
    assert window.layers.add("contrast") is None
    window.layers.select(before[0])
    window.layers.duplicate_selected()
    assert [node.id for node in window.document.graph.nodes] == before
    assert len(shown) == 2 and "more than the 1 one photo can hold" in shown[0]


def test_saving_over_a_project_changed_elsewhere_asks_first(qtbot, window, sample, monkeypatch):
    from iea_desktop.core.project import sidecar_path

    open_photo(qtbot, window, sample)
    window.layers.add("exposure")
    assert window.save()
    elsewhere = Document.open(sample)  # an `iea-desktop edit`, or a second window
    elsewhere.apply(AddNode(make_node("vignette", {"value": -30})))
    elsewhere.save()
    window.layers.add("contrast")
    asked = []
    monkeypatch.setattr(window, "ask_overwrite", lambda why: asked.append(why) or False)
    assert not window.save()
    assert [n.op for n in Document.open(sample).graph.nodes] == ["exposure", "vignette"]
    assert window.document.dirty and "changed by another program" in asked[0]
    monkeypatch.setattr(window, "ask_overwrite", lambda why: True)
    assert window.save()
    assert [n.op for n in Document.open(sample).graph.nodes] == ["exposure", "contrast"]
    assert sidecar_path(sample).exists()
