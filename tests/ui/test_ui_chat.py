"""The assistant sidebar: a turn runs in a worker, streams its reply, becomes nodes with an assistant
badge (links select them), can be stopped, and errors land in the chat instead of a crash dialog."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt

from iea_desktop.ui import assistants
from uihelpers import WAIT_MS, ScriptedAssistant, builtin_available, open_photo, shown_pixels, wait_rendered


def finished(window) -> bool:
    return window.assistant_controller.turn_task is None


def test_chat_needs_a_photo(window, scripted):
    assert not window.chat.input.isEnabled()
    assert not window.chat.hints.isVisibleTo(window.chat)


def test_first_run_hints_send_on_click(qtbot, window, sample, scripted):
    open_photo(qtbot, window, sample)
    assert window.chat.hints.isVisibleTo(window.chat)
    labels = [b.text() for b in window.chat.hint_buttons]
    assert any("Make it brighter" in text for text in labels)
    qtbot.mouseClick(window.chat.hint_buttons[0], Qt.LeftButton)
    qtbot.waitUntil(lambda: finished(window), timeout=WAIT_MS)
    assert window.chat.bubbles[0].text == "Make it brighter"
    assert not window.chat.hints.isVisibleTo(window.chat)


def test_turn_adds_an_assistant_node_that_can_be_switched_off(qtbot, window, sample, scripted):
    open_photo(qtbot, window, sample)
    original = shown_pixels(window)
    window.chat.input.setPlainText("make it brighter")
    qtbot.keyClick(window.chat.input, Qt.Key_Return)
    qtbot.waitUntil(lambda: finished(window), timeout=WAIT_MS)
    wait_rendered(qtbot, window)
    node = window.document.graph.nodes[0]
    assert node.provenance.origin == "assistant" and node.provenance.model == "Scripted assistant"
    item = window.layers.tree.topLevelItem(0)
    assert item.text(2) == "Assistant"
    assert "Brighter, as asked" in item.toolTip(0)
    assert window.layers.selected_id() == node.id  # the turn's node is selected, ready to refine
    assert "Brighter, as asked" in window.inspector.origin.text()
    assert shown_pixels(window).mean() > original.mean() + 3
    reply = window.chat.bubbles[-1]
    assert reply.text.startswith("I brightened the photo.")  # and the highlight clipping it caused, measured
    assert "Exposure +40" in reply.links.text()
    assert window.document.history.labels() == ["Assistant: make it brighter"]

    item.setCheckState(0, Qt.Unchecked)
    wait_rendered(qtbot, window)
    assert np.abs(shown_pixels(window) - original).max() <= 1
    window.undo_action.trigger()  # undo the switch-off, then the whole turn
    window.undo_action.trigger()
    assert window.document.graph.nodes == []


def test_reply_streams_while_the_turn_runs(qtbot, window, sample):
    held = ScriptedAssistant(hold=True)
    window.assistant_controller.set_assistant(held, 0)
    open_photo(qtbot, window, sample)
    window.chat.send("brighter please")
    controller = window.assistant_controller
    qtbot.waitUntil(lambda: controller.reply_bubble is not None and controller.reply_bubble.text == "Making it brighter.",
                    timeout=WAIT_MS)
    assert window.chat.send_button.text() == "Stop"
    assert not window.layers.isEnabled() and not window.undo_action.isEnabled()
    controller.turn_task.cancel()
    qtbot.waitUntil(lambda: finished(window), timeout=WAIT_MS)
    assert window.layers.isEnabled()


def test_stop_cancels_and_leaves_the_graph_unchanged(qtbot, window, sample):
    held = ScriptedAssistant(hold=True)
    window.assistant_controller.set_assistant(held, 0)
    open_photo(qtbot, window, sample)
    window.chat.send("make it brighter")
    qtbot.waitUntil(held.started.is_set, timeout=WAIT_MS)
    qtbot.mouseClick(window.chat.send_button, Qt.LeftButton)  # the button reads "Stop"
    qtbot.waitUntil(lambda: finished(window), timeout=WAIT_MS)
    assert window.document.graph.nodes == []
    assert window.document.history.entries == []
    assert "Stopped" in window.chat.bubbles[-1].text
    assert window.chat.send_button.text() == "Send"


def test_clicking_a_node_link_selects_it(qtbot, window, sample, scripted):
    scripted.edits = (("exposure", 20, "lift"), ("temperature", 30, "warm it"))
    open_photo(qtbot, window, sample)
    window.chat.send("brighter and warmer")
    qtbot.waitUntil(lambda: finished(window), timeout=WAIT_MS)
    ids = [n.id for n in window.document.graph.nodes]
    window.layers.select(None)
    window.chat.bubbles[-1].links.linkActivated.emit(f"node:{ids[1]}")
    assert window.layers.selected_id() == ids[1]
    assert window.inspector.node_id == ids[1]


def test_summarize_my_edits(qtbot, window, sample, scripted):
    open_photo(qtbot, window, sample)
    qtbot.mouseClick(window.chat.summarize_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: finished(window), timeout=WAIT_MS)
    assert window.chat.bubbles[-1].text == "There are no adjustments yet: the photo is as it was shot."
    assert window.document.graph.nodes == []


def test_a_failing_assistant_reports_in_the_chat(qtbot, window, sample):
    class Broken(ScriptedAssistant):
        def plan(self, ctx, on_text, cancel):
            raise RuntimeError("the model produced nonsense")

    window.assistant_controller.set_assistant(Broken(), 0)
    open_photo(qtbot, window, sample)
    window.chat.send("make it brighter")
    qtbot.waitUntil(lambda: finished(window), timeout=WAIT_MS)
    assert "nonsense" in window.chat.bubbles[-1].text
    assert window.chat.bubbles[-1].objectName() == "noticeBubble"
    assert window.message_box is None
    assert window.document.graph.nodes == []


def test_model_that_fails_to_load_reports_in_the_chat(qtbot, window, monkeypatch, tmp_path):
    from iea_desktop.agent.backends.gguf_inspect import ModelFileError

    class Entry:
        name, path, mmproj_path, size_bytes, dialect, problem = "Tiny VLM", tmp_path / "tiny.gguf", None, 5e8, "generic", None

    def fake_choices():
        return [assistants.Choice(assistants.BUILTIN_LABEL, assistants.BUILTIN_TIP, "builtin"),
                assistants.Choice("Tiny VLM (500 MB)", "tiny", str(Entry.path), Entry())], None

    def fake_load(choice, progress=None):
        progress(0.5, "Reading weights…")
        raise ModelFileError("tiny.gguf: not a GGUF file (bad magic)")

    monkeypatch.setattr(assistants, "choices", fake_choices)
    monkeypatch.setattr(assistants, "load", fake_load)
    monkeypatch.setattr(assistants, "load_builtin", lambda: ScriptedAssistant())
    window.assistant_controller.refresh_choices()
    assert window.chat.picker.count() == 2
    window.chat.picker.setCurrentIndex(1)
    qtbot.waitUntil(lambda: window.assistant_controller.load_task is None and window.chat.picker.currentIndex() == 0,
                    timeout=WAIT_MS)
    assert "bad magic" in window.chat.bubbles[-1].text
    assert window.chat.progress.isHidden()
    assert window.assistant_controller.assistant is not None  # back on the built-in assistant


def test_model_loads_in_a_worker_with_progress(qtbot, window, monkeypatch, tmp_path):
    class Entry:
        name, path, mmproj_path, size_bytes, dialect, problem = "Tiny VLM", tmp_path / "tiny.gguf", None, 5e8, "generic", None

    loaded = ScriptedAssistant()
    loaded.name = "Tiny VLM"
    loaded.device_label = "GPU (CUDA), 1 layer offloaded"

    def fake_load(choice, progress=None):
        progress(0.5, "Reading weights…")
        return loaded

    monkeypatch.setattr(assistants, "choices", lambda: ([
        assistants.Choice(assistants.BUILTIN_LABEL, assistants.BUILTIN_TIP, "builtin"),
        assistants.Choice("Tiny VLM (500 MB)", "tiny", str(Entry.path), Entry())], None))
    monkeypatch.setattr(assistants, "load", fake_load)
    window.assistant_controller.refresh_choices()
    window.chat.picker.setCurrentIndex(1)
    qtbot.waitUntil(lambda: window.assistant_controller.assistant is loaded, timeout=WAIT_MS)
    assert "Tiny VLM" in window.assistant_label.text() and "GPU" in window.assistant_label.text()
    assert window.settings.value("assistant/choice") == str(Entry.path)


def test_a_loaded_model_reads_its_instructions_before_the_first_request(qtbot, window, monkeypatch, sample, tmp_path):
    """ModelAssistant.warm_up runs once the model is loaded, on the turns' pool: a request sent
    meanwhile waits for it (and then reads only its own part of the prompt)."""
    loaded = ScriptedAssistant()
    loaded.warmed = threading.Event()
    monkeypatch.setattr(assistants, "choices", lambda: ([
        assistants.Choice(assistants.BUILTIN_LABEL, assistants.BUILTIN_TIP, "builtin"),
        assistants.Choice("Tiny VLM (500 MB)", "tiny", str(tmp_path / "tiny.gguf"), None)], None))
    monkeypatch.setattr(assistants, "load", lambda choice, progress=None: loaded)
    open_photo(qtbot, window, sample)
    window.assistant_controller.refresh_choices()
    window.chat.picker.setCurrentIndex(1)
    qtbot.waitUntil(loaded.warming.is_set, timeout=WAIT_MS)
    assert "reading its instructions" in window.chat.status.text()
    window.chat.send("make it brighter")
    qtbot.wait(200)
    assert not loaded.started.is_set()  # the turn waits for the warm-up
    loaded.warmed.set()
    qtbot.waitUntil(lambda: finished(window), timeout=WAIT_MS)
    assert loaded.started.is_set() and window.document.graph.nodes
    assert "reading" not in window.chat.status.text()


def test_closing_the_window_stops_a_models_reading_ahead(qtbot, window, monkeypatch, tmp_path):
    loaded = ScriptedAssistant()
    loaded.warmed = threading.Event()  # never released: only a cancel ends it
    monkeypatch.setattr(assistants, "choices", lambda: ([
        assistants.Choice(assistants.BUILTIN_LABEL, assistants.BUILTIN_TIP, "builtin"),
        assistants.Choice("Tiny VLM (500 MB)", "tiny", str(tmp_path / "tiny.gguf"), None)], None))
    monkeypatch.setattr(assistants, "load", lambda choice, progress=None: loaded)
    window.assistant_controller.refresh_choices()
    window.chat.picker.setCurrentIndex(1)
    qtbot.waitUntil(loaded.warming.is_set, timeout=WAIT_MS)
    assert window.close()
    assert loaded.warm_up_cancel.is_set() and window.assistant_controller.warm_up_task is None


@pytest.mark.skipif(not builtin_available(), reason="the built-in assistant is not in this checkout yet")
def test_builtin_assistant_make_it_brighter(qtbot, window, sample):
    window.assistant_controller.refresh_choices(initial=True)
    assert window.assistant_controller.assistant is not None and window.assistant_controller.assistant.is_builtin
    assert "Built-in" in window.chat.picker.currentText()
    assert "Built-in assistant" in window.assistant_label.text()
    open_photo(qtbot, window, sample)
    original = shown_pixels(window)
    window.chat.send("make it brighter")
    qtbot.waitUntil(lambda: finished(window), timeout=WAIT_MS)
    wait_rendered(qtbot, window)
    nodes = window.document.graph.nodes
    assert nodes and all(n.provenance.origin == "assistant" for n in nodes)
    assert window.layers.tree.topLevelItem(0).text(2) == "Assistant"
    assert shown_pixels(window).mean() > original.mean()
    assert window.chat.bubbles[-1].header.text() == "Built-in assistant"
    for i in range(window.layers.tree.topLevelItemCount()):
        window.layers.tree.topLevelItem(i).setCheckState(0, Qt.Unchecked)
    wait_rendered(qtbot, window)
    assert np.abs(shown_pixels(window) - original).max() <= 1
