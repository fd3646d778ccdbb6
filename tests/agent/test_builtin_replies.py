"""What the assistant's replies say (issue 18): the edits listed with their values, every change of a
turn (added, changed, removed, kept, undone), hand-tuned nodes never removed unasked, relative
requests that reduce instead of delete, and clipping reported as measured."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from iea_desktop.agent.builtin import BuiltinAssistant
from iea_desktop.agent.plan import Edit, Plan
from iea_desktop.agent.session import AssistantSession
from iea_desktop.core.document import Document
from iea_desktop.core.graph import make_node
from iea_desktop.core.history import AddNode, SetNodeFields


def gradient_photo(path, top: float = 0.97):
    """A grey ramp from 0.1 to ``top``, with a little colour, so tone and colour changes show."""
    ramp = np.linspace(0.1, top, 96, dtype=np.float32)[None, :, None] * np.ones((64, 1, 3), np.float32)
    ramp[..., 0] *= 0.97
    Image.fromarray(np.round(ramp * 255).astype(np.uint8)).save(path)
    return path


@pytest.fixture
def session(tmp_path):
    return AssistantSession(Document.open(gradient_photo(tmp_path / "ramp.png")), BuiltinAssistant())


def node_of(session, op):
    found = [n for n in session.document.graph.nodes if n.op == op]
    return found[0] if found else None


def hand_edit(session, op, value):
    """What a slider move in the window does: a change without provenance."""
    session.document.apply(SetNodeFields(node_of(session, op).id, params={"value": value}))


# --- bug 7: "summarize my edits" lists the edits --------------------------------------------------

@pytest.mark.parametrize("request_text", ["summarize my edits", "Summarise my edits please", "what have you done",
                                          "list the changes", "what did I change", "what have I changed?"])
def test_summary_phrasings_list_every_adjustment_with_its_values(session, request_text):
    session.run_turn("brighter")
    exposure = node_of(session, "exposure").params["value"]
    doc = session.document
    vignette = make_node("vignette", {"value": 20})
    vignette.opacity = 0.5
    grain = make_node("grain", {"value": 15})
    grain.enabled = False
    doc.apply(AddNode(vignette))
    doc.apply(AddNode(grain))
    reply = session.run_turn(request_text).reply
    assert "prefer" not in reply
    assert f"Exposure {exposure:+d}" in reply and "brightened" in reply
    assert "Vignette +20 at 50%" in reply and "(yours)" in reply
    assert "Grain +15, switched off" in reply
    assert f"{len(doc.graph)} adjustments (1 switched off)" in reply


def test_the_summarize_button_lists_the_edits_then_the_taste(session):
    assert session.summarize().reply == "There are no adjustments yet: the photo is as it was shot."
    session.run_turn("warmer")
    streamed = []
    reply = session.summarize(on_text=streamed.append).reply
    listing, taste = reply.rsplit("\n", 1)
    assert "Temperature +" in listing and "warmed the colours" in listing and "prefer" not in listing
    assert taste == "You prefer warmer photos." and "".join(streamed) == reply
    assert session.run_turn("what is my style").reply == taste  # the taste alone, when that is the question


def test_summary_says_when_the_person_changed_an_assistant_node(session):
    session.run_turn("warmer")
    set_by_assistant = node_of(session, "temperature").params["value"]
    hand_edit(session, "temperature", 35)
    reply = session.run_turn("summarize my edits").reply
    assert "Temperature +35" in reply and f"changed by you; I had set {set_by_assistant:+d}" in reply


# --- bug 8: no toolbar that does not exist --------------------------------------------------------

def test_crops_the_assistant_cannot_do_point_to_the_crop_button(session):
    """The window has that button (tests/ui/test_window_round2.py checks it). Crops to an aspect,
    turns and straightening are done from the chat (tests/agent/test_geometry_requests.py)."""
    assert "use the Crop button in the toolbar (R)" in session.run_turn("crop to the face").reply
    assert "Crop button in the toolbar (R)" in session.run_turn("rotate it sideways").reply


# --- bug 9 and friction 2: replies say exactly what changed ---------------------------------------

def test_a_look_that_replaces_another_lists_what_it_removed(session):
    session.run_turn("make it vintage")
    vintage = {n.op: n.params["value"] for n in session.document.graph.nodes}
    result = session.run_turn("black and white")
    removed = {c["text"] for c in result.changes if c["kind"] == "removed"}
    gone = {op for op in vintage if node_of(session, op) is None}
    assert gone and removed == {f"{make_node(op).label} {vintage[op]:+d}" for op in gone}
    assert {c["kind"] for c in result.changes} >= {"added", "removed"}
    assert "removed" in result.reply and all(f"{op} {vintage[op]:+d}" in result.reply for op in gone)
    assert list(session.document.chat[-1].changes) == result.changes  # kept in the transcript


def test_a_hand_tuned_node_is_kept_and_the_reply_says_so(session):
    session.run_turn("make it vintage")
    hand_edit(session, "vignette", 40)
    result = session.run_turn("black and white")
    assert node_of(session, "vignette").params["value"] == 40
    assert "kept your vignette +40" in result.reply
    result = session.run_turn("remove the vignette")  # asked by name: then it goes
    assert node_of(session, "vignette") is None
    assert [c["kind"] for c in result.changes] == ["removed"]


class _DroppingAssistant:
    """A model-like assistant whose plan is a complete set without the vignette."""

    name, is_builtin, op_version, device_label = "Dropper", False, None, "test"

    def plan(self, ctx, on_text, cancel):
        return Plan(reply="Toned it.", edits=[Edit("contrast", 10, "more contrast")], complete=True)


def test_the_session_keeps_hand_tuned_nodes_whatever_the_assistant_plans(session):
    session.run_turn("darken the corners")
    hand_edit(session, "vignette", -45)
    dropper = AssistantSession(session.document, _DroppingAssistant())
    result = dropper.run_turn("more contrast")
    assert node_of(session, "vignette").params["value"] == -45
    assert [(c["kind"], c["text"]) for c in result.changes] == [("added", "Contrast +10"),
                                                               ("kept", "Vignette -45 (you changed it by hand)")]
    assert "I kept your Vignette -45" in result.reply


def test_undo_reports_what_it_took_back(session):
    session.run_turn("warmer")
    result = session.run_turn("undo that")
    assert result.undone and [c["kind"] for c in result.changes] == ["removed"]
    assert result.changes[0]["text"].startswith("Temperature +")


def test_less_warm_reduces_the_warmth_instead_of_deleting_it(session):
    session.run_turn("warmer")
    warm = node_of(session, "temperature").params["value"]
    result = session.run_turn("less warm")
    node = node_of(session, "temperature")
    assert node is not None and 0 < node.params["value"] < warm
    assert [(c["kind"], c["text"]) for c in result.changes] == [
        ("changed", f"Temperature {warm:+d} → {node.params['value']:+d}")]


def test_brighter_reports_the_clipping_it_causes(tmp_path):
    session = AssistantSession(Document.open(gradient_photo(tmp_path / "bright.png", top=0.99)), BuiltinAssistant())
    before = session.context("").current_stats.clip_high
    reply = session.run_turn("much brighter").reply
    after = session.context("").current_stats.clip_high
    assert after - before > 0.05
    assert f"Highlight clipping rose from {100 * before:.1f}% to {100 * after:.1f}%" in reply
    assert "without blowing out" not in reply
