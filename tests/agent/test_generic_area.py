"""The generic dialect's ``area`` argument (issue 14): one list of places (agent/areas.AREAS) in the
tool schema, the grammar, the system prompt and validation; a model's edit on an area becomes a
node masked to it; a bad area is refused with a message; the IEA dialect stays whole-photo.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from iea_desktop.agent import areas
from iea_desktop.agent.assistants import ModelAssistant
from iea_desktop.agent.backends.grammar import tool_calls_grammar, tool_calls_schema
from iea_desktop.agent.dialects import GenericDialect, IEADialect, generic
from iea_desktop.agent.dialects.common import generic_tools
from iea_desktop.agent.plan import Edit, GeometryEdit, validate_calls
from iea_desktop.agent.session import AssistantSession
from iea_desktop.core.document import Document
from iea_desktop.core.masks import areas as found_areas
from test_dialects import ScriptedBackend
from test_grammar import accepts


@pytest.fixture(autouse=True)
def finder(monkeypatch):
    """The sky: the top third (the assistant is under test here, not the detector)."""

    def find(area, photo):
        plane = np.zeros(photo.shape[:2], np.float32)
        plane[: photo.shape[0] // 3] = 1.0
        return plane if area == "sky" else None

    monkeypatch.setattr(found_areas, "find", find)


@pytest.fixture
def doc(tmp_path):
    rng = np.random.default_rng(1)
    pixels = (rng.random((48, 64, 3)) * 200 + 20).astype(np.uint8)
    Image.fromarray(pixels).save(tmp_path / "photo.png")
    return Document.open(tmp_path / "photo.png")


def answer(*edits: dict) -> str:
    return json.dumps({"reply": "Done.", "edits": [{**e, "reason": e.get("reason", "asked")} for e in edits]})


def run(doc, dialect, text: str):
    backend = ScriptedBackend(text)
    result = AssistantSession(doc, ModelAssistant(backend, dialect)).run_turn("darken the sky")
    return result, backend


# --- one list, in the schema, the grammar and the prompt --------------------------------------------------

def test_every_tool_that_can_be_masked_offers_the_places():
    tools = dict(generic_tools())
    for name, args in tools.items():
        area = [a for a in args if a.name == "area"]
        if name in ("crop", "rotate", "straighten", "flip"):
            assert not area, name
        else:
            assert len(area) == 1 and area[0].choices == areas.AREAS and not area[0].required, name
    schema = tool_calls_schema(generic_tools())
    exposure = next(v for v in schema["properties"]["edits"]["items"]["oneOf"]
                    if v["properties"]["tool"]["const"] == "exposure")
    assert exposure["properties"]["area"] == {"enum": list(areas.AREAS)}
    assert "area" not in exposure["required"]


def test_the_grammar_takes_an_area_from_the_list_only():
    grammar = tool_calls_grammar(generic_tools(), max_edits=2, reply_chars=40, reason_chars=20)
    ok = [{"tool": "exposure", "value": -30, "area": "sky"}, {"tool": "clarity", "value": 20, "area": "faces"},
          {"tool": "temperature", "value": 10}, {"tool": "colour_mixer", "green_saturation": 20, "area": "greens"}]
    for edit in ok:
        assert accepts(grammar, answer(edit)), edit
    bad = [{"tool": "exposure", "value": -30, "area": "moon"}, {"tool": "crop", "aspect": "1:1", "area": "sky"},
           {"tool": "exposure", "area": "sky", "value": -30}]  # the area comes after the value
    for edit in bad:
        assert not accepts(grammar, answer(edit)), edit


def test_the_system_prompt_lists_the_places():
    system = generic.system_prompt()
    assert '"area"' in system and ", ".join(areas.AREAS) in system


# --- validation ------------------------------------------------------------------------------------------

def test_an_edit_on_an_area_is_validated_with_its_place():
    edits, others, warnings = validate_calls([
        {"tool": "exposure", "value": -30, "area": "sky", "reason": "darker sky"},
        {"tool": "exposure", "value": 10, "reason": "a touch brighter"},
        {"tool": "clarity", "value": 20, "area": "Faces", "reason": "detail"},
    ])
    assert edits == [Edit("exposure", -30, "darker sky", area="sky"), Edit("exposure", 10, "a touch brighter")]
    assert others == [GeometryEdit("clarity", {"value": 20}, "detail", area="faces")] and warnings == []


@pytest.mark.parametrize("call,message", [
    ({"tool": "exposure", "value": -30, "area": "moon"}, "ignored exposure: no area 'moon' (valid: sky, subject"),
    ({"tool": "exposure", "value": -30, "area": 3}, "ignored exposure: no area 3"),
    ({"tool": "dehaze", "value": 30, "area": ["sky"]}, "ignored dehaze: no area ['sky']"),
    ({"tool": "crop", "aspect": "1:1", "area": "sky"}, "ignored crop: it acts on the whole photo, not on an area"),
])
def test_a_bad_area_is_refused_with_a_clear_message(call, message):
    edits, others, warnings = validate_calls([{**call, "reason": "x"}])
    assert not edits and not others
    assert len(warnings) == 1 and warnings[0].startswith(message), warnings


# --- a model's turn ----------------------------------------------------------------------------------------

def test_a_model_edit_on_the_sky_becomes_a_masked_node(doc):
    result, backend = run(doc, GenericDialect(), answer({"tool": "exposure", "value": -30, "area": "sky"},
                                                        {"tool": "temperature", "value": 15}))
    assert result.applied and not result.warnings
    nodes = {(n.op, areas.area_of(n.mask)): n for n in doc.graph.nodes}
    assert nodes["exposure", "sky"].params["value"] == -30 and nodes["exposure", "sky"].mask == areas.mask_for("sky")
    assert nodes["temperature", None].mask is None
    assert any(c["text"] == "Exposure -30 on the sky" for c in result.changes)
    # the next turn's prompt says where the node acts
    follow = ScriptedBackend(answer({"tool": "exposure", "value": -40, "area": "sky"}))
    session = AssistantSession(doc, ModelAssistant(follow, GenericDialect()))
    session.run_turn("more")
    assert "exposure -30 on the sky (yours)" in follow.calls[0]["messages"][-1]["content"]
    [sky] = [n for n in doc.graph.nodes if n.mask is not None]
    assert sky.id == nodes["exposure", "sky"].id and sky.params["value"] == -40


def test_an_area_the_photo_does_not_have_is_refused(doc):
    result, _ = run(doc, GenericDialect(), answer({"tool": "exposure", "value": 20, "area": "faces"},
                                                  {"tool": "contrast", "value": 10}))
    assert [n.op for n in doc.graph.nodes] == ["contrast"]
    assert "ignored the edits on the faces: I could not find the faces in this photo" in result.warnings


def test_the_iea_dialect_stays_whole_photo(doc):
    text = '<think>darker</think><answer>```json\n{"exposure": -20, "area": "sky"}\n```</answer>'
    result, backend = run(doc, IEADialect(), text)
    assert [(n.op, n.params["value"], n.mask) for n in doc.graph.nodes] == [("exposure", -20, None)]
    assert any("ignored area 'sky'" in w for w in result.warnings)
    assert '"area"' not in backend.calls[0]["grammar"]


def test_a_complete_iea_set_leaves_nodes_on_areas(doc):
    """IEA's answer is the complete set of whole-photo sliders: it replaces those, not a node on the sky."""
    run(doc, GenericDialect(), answer({"tool": "exposure", "value": -30, "area": "sky"},
                                      {"tool": "exposure", "value": 10}))
    text = '<think>more contrast</think><answer>```json\n{"contrast": 15}\n```</answer>'
    backend = ScriptedBackend(text)
    AssistantSession(doc, ModelAssistant(backend, IEADialect())).run_turn("more contrast")
    kept = sorted((n.op, n.params["value"], areas.area_of(n.mask)) for n in doc.graph.nodes)
    assert kept == [("contrast", 15, None), ("exposure", -30, "sky")]
    shown = backend.calls[0]["messages"][-1]["content"].split("Earlier values:")[1].split("New request")[0]
    assert '"exposure": 10' in shown  # the whole-photo slider only, not summed with the sky's -30


def test_the_plan_check_measures_whole_photo_edits_only():
    """A darker sky with a brighter photo: the check reads 'brighter' off the whole-photo exposure and
    never moves the sky's value (the two exposures are different nodes)."""
    from iea_desktop.agent.plan import Plan
    from iea_desktop.agent.plan_check import PlanCheck, intents_of_edits
    from iea_desktop.core.stats import measure

    sky, whole = Edit("exposure", -40, "sky", area="sky"), Edit("exposure", 20, "brighter")
    [intent] = intents_of_edits([sky, whole], {})
    assert (intent.measure, intent.direction) == ("light", 1)
    assert intents_of_edits([sky], {}) == []
    grey = np.full((8, 8, 3), 0.4, np.float32)
    seen = []

    def render(plan):  # brightened (too little) by the whole-photo edits only
        seen.append([(e.tool, e.value, e.area) for e in plan.edits])
        value = sum(e.value for e in plan.edits if e.area is None)
        return measure(grey * (1 + value / 4000))

    plan = Plan("", edits=[sky, whole])
    notes = PlanCheck(plan, measure(grey), {}, render).run()
    assert len(seen) > 1 and all(("exposure", -40, "sky") in s for s in seen)
    assert plan.edits[0] is sky and sky.value == -40 and sky.reason == "sky"
    assert [e.tool for e in plan.edits if e.area is None] == ["exposure", "brightness"] and "corrected" in notes[0]
