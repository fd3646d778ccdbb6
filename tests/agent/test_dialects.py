"""The IEA and generic dialects: prompts built from the registry, answers parsed as data.

The backend here is a scripted stand-in that returns a fixed answer text, so each test pins
down how one exact model output is turned into nodes (or refused).
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PIL import Image

from iea_desktop.agent.assistants import ModelAssistant
from iea_desktop.agent.dialects import GenericDialect, IEADialect, dialect_for
from iea_desktop.agent.dialects.common import AnswerError, extract_json_object, tool_table
from iea_desktop.agent.dialects.generic import streamed_reply
from iea_desktop.agent.dialects.iea import full_grammar, parse_answer, parse_summary
from iea_desktop.agent.session import AssistantSession
from iea_desktop.core.document import Document
from iea_desktop.core.graph import make_node
from iea_desktop.core.history import AddNode
from iea_desktop.core.ops import IEA_TOOLS

PAPER_ANSWER = """<think>
The photo is slightly underexposed and the colours are muted. Brightening a little and adding warmth will help.
</think>
<answer>
```json
{
    "exposure": 20,
    "sharpen": 15,
    "hue": 10,
    "vignette": -5
}
```
</answer>"""


class ScriptedBackend:
    """Returns the given answers in turn and records what it was asked."""

    def __init__(self, *answers: str, has_vision: bool = True):
        self.answers = list(answers)
        self.has_vision = has_vision
        self.name = "scripted-IEA"
        self.device_label = "CPU"
        self.calls: list[dict] = []

    def complete(self, messages, image_png=None, grammar=None, max_tokens=512, temperature=0.0, on_text=None, cancel=None):
        self.calls.append({"messages": messages, "image": image_png, "grammar": grammar, "max_tokens": max_tokens})
        text = self.answers.pop(0)
        for i in range(0, len(text), 7):
            if cancel is not None and cancel.is_set():
                from iea_desktop.agent.session import Cancelled

                raise Cancelled()
            if on_text:
                on_text(text[i : i + 7])
        return text


@pytest.fixture
def doc(tmp_path):
    rng = np.random.default_rng(1)
    pixels = (rng.random((48, 64, 3)) * 200 + 20).astype(np.uint8)
    path = tmp_path / "photo.png"
    Image.fromarray(pixels).save(path)
    return Document.open(path)


def session_with(doc, dialect, *answers, has_vision=True):
    backend = ScriptedBackend(*answers, has_vision=has_vision)
    return AssistantSession(doc, ModelAssistant(backend, dialect)), backend


# --- parsing -----------------------------------------------------------------------------------

def test_parse_answer_in_the_papers_format():
    think, values = parse_answer(PAPER_ANSWER)
    assert think.startswith("The photo is slightly underexposed")
    assert values == {"exposure": 20, "sharpen": 15, "hue": 10, "vignette": -5}


@pytest.mark.parametrize("text, expected", [
    ('<answer>{"contrast": 10,}</answer>', {"contrast": 10}),  # trailing comma
    ('<answer>```json\n{\n  "fade": 5 // a touch\n}\n```</answer>', {"fade": 5}),  # comment
    ('no tags at all, just {"blacks": -20}', {"blacks": -20}),
    ('<think>hmm {not json}</think><answer>```json {"tint": 3} ```</answer>', {"tint": 3}),
    ('<think>cut short</think><answer>```json\n{"whites": 12}', {"whites": 12}),  # unclosed answer
])
def test_parse_answer_tolerates_harmless_variations(text, expected):
    assert parse_answer(text)[1] == expected


@pytest.mark.parametrize("text", ["", "   ", "<think>I am not sure</think><answer>no idea</answer>",
                                  '<answer>["exposure", 10]</answer>', '<answer>{"exposure": 10</answer>'])
def test_parse_answer_refuses_unusable_answers(text):
    with pytest.raises(AnswerError):
        parse_answer(text)


def test_extract_never_evaluates_code():
    with pytest.raises(AnswerError):
        extract_json_object('<answer>{"exposure": __import__("os").system("echo hi")}</answer>')


def test_parse_summary():
    assert parse_summary("<think>brighter and warmer</think><answer>You like bright, warm photos.</answer>") == \
        "You like bright, warm photos."
    with pytest.raises(AnswerError):
        parse_summary("<answer> </answer>")


def test_streamed_reply_extracts_the_reply_so_far():
    assert streamed_reply('{"reply": "Warmer and bri') == "Warmer and bri"
    assert streamed_reply('{"reply": "Say \\"hi\\"", "edits": []}') == 'Say "hi"'
    assert streamed_reply('{"edits"') == ""


def test_tool_table_and_grammar_come_from_the_registry():
    table = tool_table()
    for name in IEA_TOOLS:
        assert f"| {name} |" in table
    grammar = full_grammar()
    assert grammar.startswith("root ::=") and "answer-json ::=" in grammar
    assert grammar.count("root ::=") == 1


def test_dialect_choice():
    assert isinstance(dialect_for("Qwen2.5-VL-7B-IEA Q4"), IEADialect)
    assert isinstance(dialect_for("gemma-3-4b-it"), GenericDialect)
    assert isinstance(dialect_for("gemma", "iea"), IEADialect)
    with pytest.raises(ValueError):
        dialect_for("x", "klingon")


# --- IEA turns ---------------------------------------------------------------------------------

def test_iea_edit_turn_makes_version_1_assistant_nodes(doc):
    session, backend = session_with(doc, IEADialect(), PAPER_ANSWER)
    result = session.run_turn("make it nicer")
    assert result.applied and not result.error
    nodes = {n.op: n for n in doc.graph.nodes}
    assert {"exposure": 20, "sharpness": 15, "temperature": 10, "vignette": -5} == {k: n.params["value"] for k, n in nodes.items()}
    assert all(n.version == 1 and n.provenance.origin == "assistant" for n in nodes.values())
    assert nodes["exposure"].provenance.reason.startswith("The photo is slightly underexposed")
    assert nodes["exposure"].provenance.model == "scripted-IEA"
    call = backend.calls[0]
    assert call["image"][:8] == b"\x89PNG\r\n\x1a\n" and call["grammar"] and call["max_tokens"] == 1024
    assert "make it nicer" in call["messages"][1]["content"]
    assert len(doc.history.entries) == 1  # one undo step for the whole turn


def test_iea_refine_turn_sends_previous_values_and_replaces_the_set(doc):
    refine = '<think>Less warm, keep the rest, no vignette.</think><answer>```json\n{"exposure": 20, "sharpness": 15, "temperature": 4}\n```</answer>'
    session, backend = session_with(doc, IEADialect(), PAPER_ANSWER, refine)
    session.run_turn("make it nicer")
    session.run_turn("a bit less warm")
    content = backend.calls[1]["messages"][1]["content"]
    assert '"temperature": 10' in content and "a bit less warm" in content and "make it nicer" in content
    first = Image.open(__import__("io").BytesIO(backend.calls[0]["image"]))
    second = Image.open(__import__("io").BytesIO(backend.calls[1]["image"]))
    assert second.width == pytest.approx(2 * first.width, abs=2)  # original | current side by side
    values = {n.op: n.params["value"] for n in doc.graph.nodes}
    assert values == {"exposure": 20, "sharpness": 15, "temperature": 4}  # vignette dropped: the answer is complete
    assert len([n for n in doc.graph.nodes if n.op == "temperature"]) == 1  # changed, not stacked


def test_iea_values_count_the_persons_own_nodes(doc):
    doc.apply(AddNode(make_node("exposure", {"value": 5})))
    session, _ = session_with(doc, IEADialect(), PAPER_ANSWER)
    session.run_turn("nicer")
    assistant = [n for n in doc.graph.nodes if n.op == "exposure" and n.provenance.origin == "assistant"]
    assert assistant[0].params["value"] == 15  # 5 (person) + 15 (assistant) = the model's 20


def test_iea_out_of_range_and_unknown_tools_become_messages(doc):
    answer = '<think>x</think><answer>```json\n{"exposure": 250, "dehaze": 30, "contrast": "lots", "flip": "horizontal"}\n```</answer>'
    session, _ = session_with(doc, IEADialect(), answer)
    result = session.run_turn("fix")
    assert [n.params["value"] for n in doc.graph.nodes] == [100]
    text = " ".join(result.warnings)
    assert "out of range" in text and "dehaze" in text and "flip" in text and "not a number" in text


def test_malformed_answer_leaves_the_graph_unchanged(doc):
    doc.apply(AddNode(make_node("exposure", {"value": 5})))
    before = doc.graph.to_list()
    session, _ = session_with(doc, IEADialect(), "<think>...</think><answer>I would brighten it</answer>")
    result = session.run_turn("brighter")
    assert not result.applied and "JSON" in result.error
    assert doc.graph.to_list() == before
    assert doc.chat[-1]["role"] == "assistant" and "Nothing was changed" in doc.chat[-1]["text"]


def test_cancel_mid_stream_changes_nothing(doc):
    cancel = threading.Event()
    session, _ = session_with(doc, IEADialect(), PAPER_ANSWER)
    result = session.run_turn("nicer", on_text=lambda chunk: cancel.set(), cancel=cancel)
    assert result.cancelled and not result.applied
    assert doc.graph.nodes == [] and doc.history.entries == []


def test_text_only_model_gets_statistics_instead_of_an_image(doc):
    session, backend = session_with(doc, IEADialect(), PAPER_ANSWER, has_vision=False)
    session.run_turn("nicer")
    assert backend.calls[0]["image"] is None
    assert "median brightness" in backend.calls[0]["messages"][1]["content"]


def test_iea_summary(doc):
    session, backend = session_with(doc, IEADialect(), PAPER_ANSWER,
                                    "<think>brighter</think><answer>You prefer brighter, warmer photos.</answer>")
    session.run_turn("nicer")
    result = session.summarize()
    listing, taste = result.reply.rsplit("\n", 1)  # the edits in words, then the model's sentence
    assert taste == "You prefer brighter, warmer photos." and "applied in this order" in listing
    assert backend.calls[1]["messages"][0]["content"].startswith("You are a skilled photo editor")


# --- generic turns -----------------------------------------------------------------------------

def test_generic_turn_creates_version_2_nodes_with_reasons(doc):
    answer = ('{"reply": "Warmer and a little brighter.", "edits": [{"tool": "temperature", "value": 25, '
              '"reason": "warmer light"}, {"tool": "exposure", "value": 10, "reason": "slightly dark"}, '
              '{"tool": "contrast", "value": 20, "reason": "more punch"}]}')
    session, backend = session_with(doc, GenericDialect(), answer)
    streamed = []
    result = session.run_turn("warmer please", on_text=streamed.append)
    assert result.reply.startswith("Warmer and a little brighter.")  # then the highlight clipping it caused, measured
    assert "".join(streamed) == "Warmer and a little brighter."
    nodes = {n.op: n for n in doc.graph.nodes}
    assert nodes["temperature"].params["value"] == 25
    assert all(n.version == n.spec.latest_version for n in nodes.values())
    assert nodes["exposure"].provenance.reason == "slightly dark"
    system = backend.calls[0]["messages"][0]["content"]
    assert "median brightness" in system and "Current adjustments: none" in system


def test_generic_follow_up_changes_the_existing_node(doc):
    first = '{"reply": "Warmer.", "edits": [{"tool": "temperature", "value": 30, "reason": "warm"}]}'
    second = '{"reply": "A bit less.", "edits": [{"tool": "temperature", "value": 15, "reason": "less warm"}]}'
    session, backend = session_with(doc, GenericDialect(), first, second)
    session.run_turn("warmer")
    session.run_turn("a bit less")
    temps = [n for n in doc.graph.nodes if n.op == "temperature"]
    assert len(temps) == 1 and temps[0].params["value"] == 15
    assert "temperature +30 (yours)" in backend.calls[1]["messages"][0]["content"]


@pytest.mark.parametrize("answer, fragment", [
    ("", "empty"),
    ('{"reply": "ok", "edits": "exposure 10"}', "not a list"),
    ("Sure! I'd brighten it.", "no JSON"),
])
def test_generic_bad_answers_are_reported(doc, answer, fragment):
    session, _ = session_with(doc, GenericDialect(), answer)
    result = session.run_turn("brighter")
    assert not result.applied and fragment in result.error and doc.graph.nodes == []


def test_a_tool_named_twice_is_refused_not_guessed():
    with pytest.raises(AnswerError, match="exposure more than once"):
        parse_answer('<answer>```json\n{"exposure": 10, "exposure": 40}\n```</answer>')
