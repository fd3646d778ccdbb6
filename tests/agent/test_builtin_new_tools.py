"""The built-in assistant and the tools beyond the 16 (issue 15, "Assistant"): which phrases reach
white balance, noise reduction, dehaze, clarity, texture, the colour mixer and the tone curve, with
values sized by measuring the photo (core/stats.py: noise_level, haze_level), and follow-ups on
those nodes through a real AssistantSession.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from iea_desktop.agent.builtin import BuiltinAssistant
from iea_desktop.agent.plan import Plan
from iea_desktop.agent.session import AssistantSession
from iea_desktop.core.document import Document
from iea_desktop.core.ops.tone_curve import PRESETS
from iea_desktop.core.ops.white_balance import AS_SHOT
from iea_desktop.core.stats import haze_level, measure, noise_level

MATTE = [list(p) for p in PRESETS["Matte (faded blacks)"]]


def _read(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0


def _write(path: Path, rgb: np.ndarray) -> Path:
    out = (np.clip(rgb, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    cv2.imwrite(str(path), cv2.cvtColor(out, cv2.COLOR_RGB2BGR))
    return path


@pytest.fixture(autouse=True)
def _home(tmp_path, monkeypatch):
    monkeypatch.setenv("IEA_HOME", str(tmp_path / "iea-home"))


@pytest.fixture(scope="module")
def photos(photos_dir, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("photos")
    clean, landscape = _read(photos_dir / "kodim07.webp"), _read(photos_dir / "kodim01.webp")
    noise = np.random.default_rng(7).normal(0.0, 8.0 / 255.0, clean.shape).astype(np.float32)
    return {
        "neutral": photos_dir / "kodim07.webp",
        "clear": photos_dir / "kodim01.webp",
        "noisy": _write(folder / "noisy.png", clean + noise),
        "hazy": _write(folder / "hazy.png", landscape * 0.5 + 0.5 * 0.85),  # a light grey veil over half of it
        "blue": _write(folder / "blue.png", landscape * np.array([0.78, 0.95, 1.15], dtype=np.float32)),
    }


ASSISTANT = BuiltinAssistant()


def plan_for(ctx, text: str) -> Plan:
    return ASSISTANT.plan(replace(ctx, request=text), None, None)


def tools(plan: Plan) -> dict[str, dict]:
    """The plan's nodes of the tools beyond the 16 (and geometry): op -> params."""
    return {g.op: g.params for g in plan.geometry}


def _nodes(doc: Document) -> dict[str, dict]:
    return {n.op: n.params for n in doc.graph.nodes}


# --- the phrase families ----------------------------------------------------------------------------------

def _wb_auto(p):
    assert tuple(p["white_balance"].values()) != AS_SHOT


def _warmer(p):
    assert p["white_balance"]["temperature"] > AS_SHOT[0]


def _cooler(p):
    assert p["white_balance"]["temperature"] < AS_SHOT[0]


def _noise(p):
    assert 30 <= p["noise_reduction"]["luminance"] <= 60 and 30 <= p["noise_reduction"]["color"] <= 60


def _dehaze(p):
    assert 30 <= p["dehaze"]["value"] <= 50


def _punch(p):
    assert 20 <= p["clarity"]["value"] <= 40


def _detail(p):
    assert 20 <= p["clarity"]["value"] <= 40 and 15 <= p["texture"]["value"] <= 30


def _greens(p):
    assert p["colour_mixer"]["green_saturation"] > 0
    assert p["colour_mixer"]["blue_saturation"] == 0


def _sky(p):
    mixer = p["colour_mixer"]
    assert mixer["blue_saturation"] > 0 and mixer["blue_luminance"] < 0 and mixer["green_saturation"] == 0


def _matte(p):
    assert [list(pt) for pt in p["tone_curve"]["rgb"]] == MATTE


def _skin(p):
    assert p["texture"]["value"] == -30


FAMILIES = {
    "white balance": (["the white balance is off", "fix the white balance", "auto white balance", "white balance"], _wb_auto,
                      "white balance"),
    "too blue": (["it looks too blue", "too blue", "it has a blue cast", "it looks bluish"], _warmer, "white balance"),
    "too orange": (["it's too orange", "the skin looks orange", "it looks a bit orange"], _cooler, "white balance"),
    "noise": (["too noisy", "it looks grainy", "reduce the noise", "noisy", "denoise", "too grainy",
                         "less noise", "get rid of the noise", "the noise is terrible"], _noise, "noise reduction"),
    "haze": (["hazy", "it's too foggy", "it looks washed out", "washed out", "it's milky", "dehaze",
                       "remove the haze"], _dehaze, "dehaze"),
    "punch": (["more punch", "give it some punch"], _punch, "clarity"),
    "detail": (["more detail", "bring out the details", "enhance detail"], _detail, "texture"),
    "greens": (["make the greens richer", "richer greens", "make the grass greener"], _greens, "green saturation"),
    "sky": (["make the sky bluer", "deeper blue sky", "make the sky pop"], _sky, "blue saturation"),
    "matte": (["matte", "make it look faded", "give it a matte look", "faded", "a faded look"], _matte, "tone curve matte"),
    "skin": (["smooth skin", "smooth the skin", "softer skin please"], _skin, "texture -30"),
}
CASES = [(family, phrase) for family, (phrases, _, _) in FAMILIES.items() for phrase in phrases]


@pytest.mark.parametrize("family,phrase", CASES, ids=[f"{f}:{p}" for f, p in CASES])
def test_phrase_reaches_the_new_tool(contexts, family, phrase):
    plan = plan_for(contexts["neutral"], phrase)
    _, check, words = FAMILIES[family]
    check(tools(plan))
    # The new tool does the work: no temperature offsets for a cast, no sharpening for detail, ...
    assert not plan.edits, f"{phrase!r} also changed {[(e.tool, e.value) for e in plan.edits]}"
    assert words in plan.reply, plan.reply


def test_warmer_and_more_contrast_keep_their_iea_tools(contexts):
    plan = plan_for(contexts["neutral"], "warmer, more contrast")
    assert {e.tool for e in plan.edits} == {"temperature", "contrast"} and not plan.geometry
    plan = plan_for(contexts["neutral"], "white balance +20")  # a number: the temperature slider, as before
    assert [(e.tool, e.value) for e in plan.edits] == [("temperature", 20)] and not plan.geometry


# --- magnitudes from measurements ----------------------------------------------------------------------------

def test_noise_and_haze_measurements(photos):
    clean, noisy = _read(photos["neutral"]), _read(photos["noisy"])
    assert noise_level(noisy) > noise_level(clean) + 4.0  # 8 levels of noise added
    clear, hazy = _read(photos["clear"]), _read(photos["hazy"])
    assert haze_level(hazy) > haze_level(clear) + 0.25


def test_a_noisy_photo_gets_more_noise_reduction(contexts):
    noisy = tools(plan_for(contexts["noisy"], "it's too noisy"))["noise_reduction"]
    clean = tools(plan_for(contexts["neutral"], "it's too noisy"))["noise_reduction"]
    assert noisy["luminance"] > clean["luminance"] >= 30
    assert noisy["color"] > clean["color"]


def test_a_hazy_photo_gets_more_dehaze_with_its_haze_level(contexts):
    plan = plan_for(contexts["hazy"], "it looks hazy")
    level = haze_level(contexts["hazy"].current)
    assert tools(plan)["dehaze"]["value"] > tools(plan_for(contexts["clear"], "it looks hazy"))["dehaze"]["value"]
    assert f"haze level {level:.2f}" in plan.reply


def test_too_blue_on_a_blue_cast_uses_the_measured_white(contexts):
    plan = plan_for(contexts["blue"], "it looks too blue")
    wb = tools(plan)["white_balance"]
    assert wb["temperature"] > AS_SHOT[0] + 500
    assert "measured" in plan.reply and not plan.edits
    step = tools(plan_for(contexts["neutral"], "it looks too blue"))["white_balance"]
    assert AS_SHOT[0] < step["temperature"], "a neutral photo still gets warmer, by a step"


def test_too_blue_makes_the_photo_warmer(photos):
    session = AssistantSession(Document.open(photos["blue"]), BuiltinAssistant())
    before = session.context("").current_stats.warmth
    result = session.run_turn("it looks too blue")
    assert result.applied and "white_balance" in _nodes(session.document)
    assert session.context("").current_stats.warmth > before + 0.03


# --- follow-ups, removals, combinations ------------------------------------------------------------------------

@pytest.mark.parametrize("first,op,read", [
    ("hazy", "dehaze", lambda p: p["value"]),
    ("more punch", "clarity", lambda p: p["value"]),
    ("it's too noisy", "noise_reduction", lambda p: p["luminance"]),
    ("make the greens richer", "colour_mixer", lambda p: p["green_saturation"]),
    ("it looks too blue", "white_balance", lambda p: 1e6 / AS_SHOT[0] - 1e6 / p["temperature"]),
    ("matte", "tone_curve", lambda p: p["rgb"][0][1]),  # the lifted black point
])
def test_a_bit_less_and_more_change_the_new_nodes(photos, first, op, read):
    session = AssistantSession(Document.open(photos["neutral"]), BuiltinAssistant())
    session.run_turn(first)
    start = read(_nodes(session.document)[op])
    result = session.run_turn("a bit less")
    less = read(_nodes(session.document)[op])
    assert 0 < less < start, result.reply
    session.run_turn("more")
    assert read(_nodes(session.document)[op]) > less


def test_remove_the_matte_look(photos):
    session = AssistantSession(Document.open(photos["neutral"]), BuiltinAssistant())
    session.run_turn("matte")
    assert "tone_curve" in _nodes(session.document)
    session.run_turn("remove the matte look")
    assert "tone_curve" not in _nodes(session.document)


def test_brighter_and_less_noisy_still_comes_out_brighter(photos):
    session = AssistantSession(Document.open(photos["noisy"]), BuiltinAssistant())
    before = session.context("").current_stats.median_luma
    result = session.run_turn("brighter and less noisy")
    nodes = _nodes(session.document)
    assert "noise_reduction" in nodes and nodes.get("exposure", {}).get("value", 0) > 0, result.reply
    assert measure(session.context("").current).median_luma > before + 0.015


def test_too_blue_and_brighter_holds_both_directions(photos):
    """With an IEA edit in the plan, the plan check runs and checks the warmth "too blue" asks for."""
    session = AssistantSession(Document.open(photos["neutral"]), BuiltinAssistant())
    before = session.context("").current_stats
    result = session.run_turn("too blue and brighter")
    after = session.context("").current_stats
    assert "white_balance" in _nodes(session.document), result.reply
    assert after.median_luma > before.median_luma + 0.015
    assert after.warmth / after.mean_luma > before.warmth / before.mean_luma + 0.02
