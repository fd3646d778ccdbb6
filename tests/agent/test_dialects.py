"""The IEA and generic dialects: prompts built from the registry, answers parsed as data.

The backend here is a scripted stand-in that returns a fixed answer text, so each test pins
down how one exact model output is turned into nodes (or refused).
"""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from iea_desktop.agent.assistants import ModelAssistant
from iea_desktop.agent.dialects import GenericDialect, IEADialect, dialect_for, generic
from iea_desktop.agent.dialects.common import (
    AnswerError,
    extract_json_object,
    tool_table,
)
from iea_desktop.agent.dialects.generic import streamed_reply
from iea_desktop.agent.dialects.iea import full_grammar, parse_answer, parse_summary
from iea_desktop.agent.session import AssistantSession
from iea_desktop.core.chat import ChatMessage
from iea_desktop.core.document import Document
from iea_desktop.core.graph import Provenance, make_node
from iea_desktop.core.history import AddNode, RemoveNode, SetNodeFields
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
    assert doc.chat[-1].role == "assistant" and "Nothing was changed" in doc.chat[-1].text


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
    system, turn = backend.calls[0]["messages"][0]["content"], backend.calls[0]["messages"][-1]["content"]
    assert "| exposure |" in system and "median brightness" not in system  # fixed: the same every turn
    assert "median brightness" in turn and "Current adjustments: none" in turn and turn.endswith("warmer please")


def test_generic_follow_up_changes_the_existing_node(doc):
    first = '{"reply": "Warmer.", "edits": [{"tool": "temperature", "value": 30, "reason": "warm"}]}'
    second = '{"reply": "A bit less.", "edits": [{"tool": "temperature", "value": 15, "reason": "less warm"}]}'
    session, backend = session_with(doc, GenericDialect(), first, second)
    session.run_turn("warmer")
    session.run_turn("a bit less")
    temps = [n for n in doc.graph.nodes if n.op == "temperature"]
    assert len(temps) == 1 and temps[0].params["value"] == 15
    assert "temperature +30 (yours)" in backend.calls[1]["messages"][-1]["content"]


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


# --- what the models are sent ------------------------------------------------------------------

GOLDEN = Path(__file__).parent / "golden" / "iea_prompts.json"


def assistant_node(tool, value, turn_id="t1"):
    return make_node(tool, {"value": value}, version=1,
                     provenance=Provenance("assistant", "warmer light", turn_id=turn_id, model="scripted-IEA"))


def iea_prompts(doc) -> dict:
    """What the IEA dialect sends for a fixed context: an edit turn, a refine turn and a summary."""
    session, backend = session_with(doc, IEADialect(), "<answer>You like it warm.</answer>")
    dialect = IEADialect()
    sent = {}
    messages, image = dialect.build(session.context("make it nicer"), has_vision=True)
    sent["edit"] = {"messages": messages, "image": list(Image.open(io.BytesIO(image)).size)}
    doc.apply(AddNode(assistant_node("temperature", 10)))
    doc.apply(AddNode(make_node("exposure", {"value": 5})))
    doc.chat[:] = [ChatMessage("user", "make it nicer", "t1", 1.0),
                   ChatMessage("assistant", "Set temperature +10.", "t1", 1.0,
                               changes=({"kind": "added", "node_id": "n", "text": "Temperature +10"},))]
    messages, image = dialect.build(session.context("a bit less warm"), has_vision=True)
    sent["refine"] = {"messages": messages, "image": list(Image.open(io.BytesIO(image)).size)}
    dialect.summarize(backend, session.context("Summarize my edits"), None, None)
    call = backend.calls[0]
    sent["summary"] = {"messages": call["messages"], "image": list(Image.open(io.BytesIO(call["image"])).size),
                       "max_tokens": call["max_tokens"], "grammar": call["grammar"]}
    return sent


def test_iea_prompts_keep_their_trained_formats(doc):
    """The IEA dialect sends exactly what it sent before the generic dialect learnt the conversation
    (tests/agent/golden/iea_prompts.json, written from the dialect as it was)."""
    assert iea_prompts(doc) == json.loads(GOLDEN.read_text(encoding="utf-8"))


def answer(reply, **values):
    edits = ", ".join(f'{{"tool": "{tool}", "value": {value}, "reason": "asked"}}' for tool, value in values.items())
    return f'{{"reply": "{reply}", "edits": [{edits}]}}'


def test_generic_sends_the_conversation_with_the_edits_each_turn_made(doc):
    session, backend = session_with(doc, GenericDialect(), answer("Warmer.", temperature=30),
                                    answer("A bit less.", temperature=15), answer("Done.", contrast=20))
    for request in ("warmer", "a bit less", "more contrast"):
        session.run_turn(request)
    messages = backend.calls[2]["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert messages[0]["content"] == backend.calls[0]["messages"][0]["content"]  # fixed: the same every turn
    assert messages[1]["content"] == "warmer"
    assert messages[2]["content"] == "Warmer.\n(Edits made: added Temperature +30.)"
    assert messages[3]["content"] == "a bit less"
    assert "(Edits made: Temperature +30 → +15.)" in messages[4]["content"]
    assert messages[5]["content"].endswith("The person asks: more contrast")
    assert "temperature +15 (yours)" in messages[5]["content"]
    # each turn's prompt starts with the previous one's, up to that turn's request
    assert backend.calls[1]["messages"][:1] == messages[:1] and backend.calls[2]["messages"][:3] == messages[:3]


def test_manual_edits_since_the_last_turn_are_told(doc, tmp_path):
    session, backend = session_with(doc, GenericDialect(), answer("Warmer.", temperature=30),
                                    answer("Ok.", contrast=10), answer("Ok.", contrast=20))
    session.run_turn("warmer")
    assert "changed by hand" not in backend.calls[0]["messages"][-1]["content"]
    temperature = doc.graph.nodes[0]
    doc.apply(SetNodeFields(temperature.id, params={"value": 10}))  # the person's own changes
    doc.apply(AddNode(make_node("exposure", {"value": 15})))
    session.run_turn("more contrast")
    told = backend.calls[1]["messages"][-1]["content"]
    assert "Since your last reply the person changed by hand: added Exposure +15; Temperature +30 → +10." in told
    # read from the history, so it holds after reopening the project too
    doc.apply(RemoveNode(next(n.id for n in doc.graph.nodes if n.op == "exposure")))
    project = doc.save(tmp_path / "photo.iea")
    reopened = Document.open(doc.path, project_file=project)
    again = AssistantSession(reopened, ModelAssistant(backend, GenericDialect()))
    again.run_turn("more")
    assert "changed by hand: removed Exposure +15." in backend.calls[2]["messages"][-1]["content"]


class CountingBackend(ScriptedBackend):
    """A backend with a small context and a tokenizer of its own: one token per word."""

    def __init__(self, n_ctx):
        super().__init__(has_vision=False)
        self.n_ctx = n_ctx

    def count_tokens(self, texts):
        return [len(text.split()) for text in texts]


def test_a_long_conversation_is_trimmed_to_the_context(doc):
    backend = CountingBackend(n_ctx=2048)
    for i in range(80):  # about 80 words a turn: far more than fits
        doc.add_chat(ChatMessage("user", f"request {i} " + "please " * 30, f"t{i}", i),
                     ChatMessage("assistant", f"reply {i} " + "done " * 40, f"t{i}", i,
                                 changes=({"kind": "added", "node_id": "n", "text": f"Exposure +{i}"},)))
    session = AssistantSession(doc, ModelAssistant(backend, GenericDialect()))
    messages, _ = GenericDialect().build(session.context("the newest request"), backend)
    sent = sum(backend.count_tokens([m["content"] for m in messages])) + 8 * len(messages)
    assert sent <= 2048 - generic.MAX_TOKENS
    system = messages[0]["content"]
    assert system.startswith(generic.system_prompt())  # never trimmed
    assert messages[-1]["content"].endswith("The person asks: the newest request")
    assert messages[-3]["content"].startswith("request 79 ") and messages[-2]["content"].startswith("reply 79 ")
    users = [m["content"].split()[1] for m in messages[1:-1] if m["role"] == "user"]
    assert users == [str(i) for i in range(80 - len(users), 80)]  # the newest turns, whole, in order
    oldest_whole = 80 - len(users)
    lines = system.split("Earlier in this conversation, oldest first:\n")[1].splitlines()
    assert lines[-1].startswith(f"- “request {oldest_whole - 1} please")
    assert lines[-1].endswith(f"added Exposure +{oldest_whole - 1}")
    assert "request 0 " not in system  # the oldest turns are left out
    # the fallback estimate (no tokenizer) keeps within the context as well
    plain = ScriptedBackend(has_vision=True)
    messages, _ = GenericDialect().build(session.context("newest"), plain)
    assert sum(len(m["content"]) for m in messages) / 3 + 8 * len(messages) <= (
        generic.DEFAULT_CONTEXT - generic.MAX_TOKENS - generic.IMAGE_TOKENS)
    assert messages[-3]["content"].startswith("request 79 ")


def test_generic_summary_is_a_turn_of_the_same_prompt_and_changes_nothing(doc):
    session, backend = session_with(doc, GenericDialect(), answer("Warmer.", temperature=30),
                                    answer("You like warm photos.", exposure=40))
    session.run_turn("warmer")
    before = doc.graph.to_list()
    result = session.summarize()
    assert result.reply.endswith("\nYou like warm photos.") and doc.graph.to_list() == before  # its edits ignored
    turn, summary = backend.calls
    # the same start as a turn's, so that the kept context serves it
    assert summary["messages"][:2] == [turn["messages"][0], {"role": "user", "content": "warmer"}]
    assert summary["messages"][-1]["content"].endswith(generic.SUMMARY_REQUEST)
    assert Image.open(io.BytesIO(summary["image"])).width == 2 * Image.open(io.BytesIO(turn["image"])).width


# --- geometry and the colour and tone tools (issues 15 and 17) ------------------------------------

def calls(*edits: dict, reply: str = "Done.") -> str:
    return json.dumps({"reply": reply, "edits": [{**edit, "reason": edit.get("reason", "asked")} for edit in edits]})


def test_generic_tool_table_and_grammar_list_geometry_and_the_colour_tools(doc):
    session, backend = session_with(doc, GenericDialect(), calls())
    session.run_turn("make it square")
    system, grammar = backend.calls[0]["messages"][0]["content"], backend.calls[0]["grammar"]
    for op in ("crop", "rotate", "straighten", "flip", "white_balance", "clarity", "texture", "dehaze",
               "noise_reduction", "colour_mixer", "tone_curve"):
        assert f"| {op} |" in system and f'"\\"{op}\\""' in grammar, op
    assert "temperature 2000..50000" in system and "tint -150..150" in system
    assert "one of linear, medium contrast, strong contrast, matte" in system
    assert "aspect one of original, 1:1," in system and "degrees one of 0, 90, 180, -90" in system
    assert "band: red, orange" in system and "property: hue, saturation, luminance" in system


def test_a_models_geometry_and_colour_calls_become_nodes(doc):
    first = calls({"tool": "crop", "aspect": "square", "reason": "a square frame"}, {"tool": "rotate", "degrees": -90},
                  {"tool": "straighten", "angle": 2.5}, {"tool": "flip", "horizontal": True},
                  {"tool": "white_balance", "temperature": 3200}, {"tool": "dehaze", "value": 40},
                  {"tool": "tone_curve", "preset": "matte"}, reply="Square, turned, level, mirrored, warmer, clearer.")
    session, backend = session_with(doc, GenericDialect(), first)
    result = session.run_turn("square it, turn it left, level it, mirror it, tungsten light, less haze, matte")
    assert result.error is None and result.applied, result
    nodes = {n.op: n for n in doc.graph.nodes}
    assert set(nodes) == {"crop", "rotate", "straighten", "flip", "white_balance", "dehaze", "tone_curve"}
    assert all(n.provenance.origin == "assistant" for n in nodes.values())
    crop = nodes["crop"].params
    assert crop["aspect"] == "1:1" and nodes["crop"].provenance.reason == "a square frame"
    # the largest square of the frame the crop gets: the 64 x 48 photo turned (48 x 64) and straightened
    assert crop["right"] - crop["left"] == pytest.approx(1.0) and crop["bottom"] - crop["top"] < 0.8
    assert geometry_size(doc.graph.nodes, 64, 48)[0] == pytest.approx(geometry_size(doc.graph.nodes, 64, 48)[1], abs=1)
    assert nodes["rotate"].params == {"turns": 3}
    assert nodes["straighten"].params == {"angle": 2.5}
    assert nodes["flip"].params == {"horizontal": True, "vertical": False}
    assert nodes["white_balance"].params == {"temperature": 3200, "tint": 10}  # tint as shot
    assert nodes["dehaze"].params == {"value": 40}
    assert nodes["tone_curve"].params["rgb"] == generic_presets()["matte"]
    assert "white_balance temperature 3200 (yours)" in GenericDialect().build(session.context("more"), backend)[0][-1][
        "content"]


def geometry_size(nodes, width: int, height: int) -> tuple[int, int]:
    """The picture's size after the graph's geometry, from the ops' own size functions."""
    for node in sorted((n for n in nodes if n.spec.stage == "geometry"), key=lambda n: n.spec.sort_key):
        if node.spec.size is not None:
            width, height = node.spec.size(node.params, width, height)
    return width, height


def generic_presets() -> dict:
    from iea_desktop.agent.plan import curve_presets
    return curve_presets()


def test_later_calls_keep_what_they_do_not_name_and_words_take_nodes_away(doc):
    session, _ = session_with(doc, GenericDialect(),
                              calls({"tool": "white_balance", "temperature": 3200}, {"tool": "crop", "aspect": "16:9"},
                                    {"tool": "rotate", "degrees": 90}, {"tool": "tone_curve", "preset": "matte"}),
                              calls({"tool": "white_balance", "tint": -20}, {"tool": "crop", "aspect": "original"},
                                    {"tool": "rotate", "degrees": 0}, {"tool": "tone_curve", "preset": "linear"}))
    session.run_turn("warmer light, wide, turned")
    session.run_turn("less magenta, back to the whole frame, not turned, no curve")
    nodes = {n.op: n for n in doc.graph.nodes}
    assert set(nodes) == {"white_balance"} and nodes["white_balance"].params == {"temperature": 3200, "tint": -20}


@pytest.mark.parametrize("edit, fragment", [
    ({"tool": "crop", "aspect": "7:5"}, "no aspect '7:5'"),
    ({"tool": "crop"}, "crop: it needs aspect"),
    ({"tool": "rotate", "degrees": 45}, "not a quarter turn"),
    ({"tool": "rotate", "degrees": "left"}, "not a quarter turn"),
    ({"tool": "straighten", "angle": "level"}, "straighten.angle must be a number"),
    ({"tool": "flip", "horizontal": "yes"}, "flip.horizontal must be true or false"),
    ({"tool": "flip"}, "flip: it needs horizontal or vertical"),
    ({"tool": "white_balance", "temperature": None}, "white_balance.temperature must be a number"),
    ({"tool": "tone_curve", "preset": "sepia"}, "no preset 'sepia' (valid: linear, medium contrast"),
    ({"tool": "tone_curve", "preset": [[0, 0], [255, 200]]}, "is not a word"),
    ({"tool": "colour_mixer"}, "colour_mixer: it needs red_hue or"),
    ({"tool": "vignette_plus", "value": 3}, "unknown tool 'vignette_plus'"),
])
def test_malformed_geometry_and_colour_calls_are_refused_with_a_message(doc, edit, fragment):
    session, _ = session_with(doc, GenericDialect(), calls(edit))
    result = session.run_turn("do it")
    assert doc.graph.nodes == [] and any(fragment in w for w in result.warnings), result.warnings


def test_out_of_range_arguments_are_clamped_and_said(doc):
    session, _ = session_with(doc, GenericDialect(),
                              calls({"tool": "white_balance", "temperature": 90000, "tint": -400},
                                    {"tool": "straighten", "angle": -60}, {"tool": "dehaze", "value": 250},
                                    {"tool": "noise_reduction", "luminance": 30, "sharpness": 5}))
    result = session.run_turn("fix it all")
    nodes = {n.op: n for n in doc.graph.nodes}
    assert nodes["white_balance"].params == {"temperature": 50000, "tint": -150}
    assert nodes["straighten"].params == {"angle": -45.0} and nodes["dehaze"].params == {"value": 100}
    assert nodes["noise_reduction"].params == {"luminance": 30, "color": 0}
    for fragment in ("white_balance.temperature 90000 is out of range; used 50000", "straighten.angle -60 is out of range",
                     "dehaze 250 is out of range; used 100", "ignored noise_reduction.sharpness: not one of its"):
        assert any(fragment in w for w in result.warnings), (fragment, result.warnings)


def test_a_crop_in_the_same_answer_as_a_quarter_turn_fits_the_turned_frame(doc):
    session, _ = session_with(doc, GenericDialect(), calls({"tool": "crop", "aspect": "1:1"},
                                                           {"tool": "rotate", "degrees": 90}))
    session.run_turn("square, and turn it")
    crop = {n.op: n for n in doc.graph.nodes}["crop"].params
    # the photo is 48 x 64 once turned: the largest square is its whole width, 3/4 of its height
    assert crop["right"] - crop["left"] == pytest.approx(1.0) and crop["bottom"] - crop["top"] == pytest.approx(0.75)
    assert geometry_size(doc.graph.nodes, 64, 48) == (48, 48)


def test_a_crop_is_centred_on_the_subject(tmp_path):
    pixels = np.full((40, 80, 3), 40, np.uint8)
    pixels[12:28, 56:72] = (250, 200, 40)  # a bright subject on the right
    Image.fromarray(pixels).save(tmp_path / "subject.png")
    doc = Document.open(tmp_path / "subject.png")
    session, _ = session_with(doc, GenericDialect(), calls({"tool": "crop", "aspect": "1:1"}))
    session.run_turn("square, on the subject")
    crop = doc.graph.nodes[0].params
    assert crop["right"] - crop["left"] == pytest.approx(0.5) and crop["left"] > 0.25  # right of the middle


def test_smollm2_generic_turn_parses_through_the_grammar(doc, text_backend):
    """One real turn of SmolLM2 under the generic grammar (geometry and colour tools in it): the answer
    is JSON the dialect reads, whatever the small model chose."""
    session = AssistantSession(doc, ModelAssistant(text_backend, GenericDialect()))
    result = session.run_turn("Make it square and fix the orange tungsten white balance.")
    assert result.error is None, result.error
    assert all(n.provenance.origin == "assistant" for n in doc.graph.nodes)
