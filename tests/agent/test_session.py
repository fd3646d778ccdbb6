"""AssistantSession mechanics that do not depend on how a request is understood."""

import numpy as np
import pytest
from PIL import Image

from iea_desktop.agent.builtin import BuiltinAssistant
from iea_desktop.agent.session import AssistantSession
from iea_desktop.core.document import Document
from iea_desktop.core.graph import make_node
from iea_desktop.core.history import AddNode
from iea_desktop.core.ops import RenderContext, get_op


@pytest.fixture
def session(tmp_path):
    path = tmp_path / "dim.png"
    Image.fromarray(np.full((40, 60, 3), 60, np.uint8)).save(path)
    return AssistantSession(Document.open(path), BuiltinAssistant())


def test_undo_walks_back_several_assistant_turns(session):
    session.run_turn("brighter")
    session.run_turn("warmer")
    session.run_turn("undo that")
    assert [n.op for n in session.document.graph.nodes] == ["exposure"]
    session.run_turn("undo that")
    assert session.document.graph.nodes == []
    assert "no edit of mine" in session.run_turn("undo that").reply


def test_undo_after_reset_brings_the_nodes_back(session):
    session.run_turn("brighter and warmer")
    before = session.document.graph.to_list()
    session.run_turn("reset everything")
    assert session.document.graph.nodes == []
    session.run_turn("undo that")
    assert session.document.graph.to_list() == before


def test_undo_refuses_when_the_person_edited_since(session):
    session.run_turn("brighter")
    session.document.apply(AddNode(make_node("vignette", {"value": 20})))
    result = session.run_turn("undo that")
    assert "changed things since" in result.reply
    assert {n.op for n in session.document.graph.nodes} == {"exposure", "vignette"}


def test_chat_transcript_is_recorded_with_node_ids(session):
    result = session.run_turn("brighter")
    user, reply = session.document.chat[-2:]
    assert (user.role, user.text) == ("user", "brighter")
    assert reply.role == "assistant" and list(reply.node_ids) == result.node_ids and reply.model == "Built-in assistant"


def test_vibrance_v2_keeps_greys_grey():
    grey = np.full((4, 4, 3), 0.5, np.float32)
    out = get_op("vibrance").apply(grey, {"value": 80}, 2, RenderContext())
    assert np.allclose(out, grey, atol=1e-6)
