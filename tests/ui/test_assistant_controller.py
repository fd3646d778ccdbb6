"""The assistant controller on its own: a chat panel, settings and a pool, no main window.

The window only hears from it through its signals (a turn runs, a node was touched, the status
line), so these tests check that those signals carry everything the window needs.
"""

from __future__ import annotations

import pytest

from uihelpers import WAIT_MS, ScriptedAssistant


@pytest.fixture
def controller(qtbot, iea_home, monkeypatch):
    from iea_desktop.ui import assistants
    from iea_desktop.ui.app import create_application
    from iea_desktop.ui.assistant_controller import AssistantController
    from iea_desktop.ui.chat_panel import ChatPanel
    from iea_desktop.ui.settings import Settings
    from iea_desktop.ui.workers import make_pool

    create_application()
    monkeypatch.setattr(assistants, "choices", lambda: (
        [assistants.Choice(assistants.BUILTIN_LABEL, assistants.BUILTIN_TIP, "builtin")], None))
    monkeypatch.setattr(assistants, "load_builtin", lambda: ScriptedAssistant(hold=True))
    chat = ChatPanel()
    qtbot.addWidget(chat)
    control = AssistantController(chat, Settings(), make_pool(1))
    control.heard = []  # what the window would hear, in order
    control.turn_running.connect(lambda running: control.heard.append(("running", running)))
    control.node_touched.connect(lambda node_id: control.heard.append(("touched", node_id)))
    control.described.connect(lambda text: control.heard.append(("described", text)))
    yield control
    control.stop()
    control.pool.waitForDone(WAIT_MS)


def test_picking_the_assistant_describes_it_and_waits_for_a_photo(controller):
    controller.refresh_choices(initial=True)
    assert controller.heard == [("described", "Assistant: Scripted assistant · CPU, 1 thread")]
    assert controller.assistant is not None and controller.session is None  # no document yet
    assert not controller.chat.input.isEnabled()
    controller.chat.send("brighter")
    assert not controller.busy and controller.chat.bubbles == []


def test_a_turn_signals_its_start_its_end_and_the_node_it_made(qtbot, controller, photo):
    from iea_desktop.core.document import Document

    controller.refresh_choices(initial=True)
    doc = Document.open(photo)
    controller.set_document(doc)
    controller.heard.clear()
    assert controller.chat.input.isEnabled()

    controller.chat.send("brighter")
    assert controller.busy and controller.heard == [("running", True)]
    assert controller.chat.send_button.text() == "Stop"
    controller.send("again")  # one turn at a time
    assert [b.text for b in controller.chat.bubbles if b.role == "user"] == ["brighter"]

    controller.assistant.hold = False
    controller.stop()  # the held turn ends changing nothing; the next one runs through
    qtbot.waitUntil(lambda: not controller.busy, timeout=WAIT_MS)
    assert controller.heard == [("running", True), ("running", False)] and doc.graph.nodes == []

    controller.chat.send("brighter")
    qtbot.waitUntil(lambda: not controller.busy, timeout=WAIT_MS)
    node = doc.graph.nodes[0]
    assert node.op == "exposure" and node.provenance.origin == "assistant"
    assert controller.heard[2:] == [("running", True), ("running", False), ("touched", node.id)]
    assert controller.chat.send_button.text() == "Send"


def test_a_saved_conversation_shows_again_with_its_changes(controller, photo):
    from iea_desktop.core.chat import ChatMessage
    from iea_desktop.core.document import Document

    doc = Document.open(photo)
    change = {"kind": "added", "node_id": "gone", "text": "Exposure +30"}
    doc.add_chat(ChatMessage("user", "brighter", "t1", 1.0),
                 ChatMessage("assistant", "Brightened.", "t1", 1.0, model="Old model", changes=(change,),
                             warnings=("clamped",)))
    controller.set_document(doc)  # as the window does on opening it
    user, reply = controller.chat.bubbles
    assert (user.role, user.text, reply.text) == ("user", "brighter", "Brightened.")
    assert reply.header.text() == "Old model" and "Exposure +30" in reply.links.text()
    assert "⚠ clamped" in reply.meta.text()
