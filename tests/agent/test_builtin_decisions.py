"""The built-in assistant's seams: the planner decides as data (builtin_decisions.Decisions, no
English), the writer words it (builtin_words), and the measured magnitudes follow the ops' own maths
(builtin_measure reads them from core/ops)."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from iea_desktop.agent import builtin_measure as measure
from iea_desktop.agent.builtin import BuiltinAssistant
from iea_desktop.agent.builtin_decisions import Decisions, Slider, Start, asked
from iea_desktop.agent.builtin_parse import parse
from iea_desktop.agent.builtin_planner import Planner
from iea_desktop.agent.builtin_words import Writer
from iea_desktop.agent.session import AssistantSession
from iea_desktop.core.document import Document
from iea_desktop.core.ops import get_op
from iea_desktop.core.ops import shadows as shadows_op
from iea_desktop.core.ops import temperature as temperature_op
from iea_desktop.core.ops.base import RenderContext
from iea_desktop.core.stats import measure as measure_stats


def _write(path, rgb: np.ndarray):
    out = (np.clip(rgb, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    cv2.imwrite(str(path), cv2.cvtColor(out, cv2.COLOR_RGB2BGR))
    return path


@pytest.fixture
def context(photos_dir, tmp_path):
    """A turn's context on kodim01 made dark (median brightness about 0.13)."""
    base = cv2.cvtColor(cv2.imread(str(photos_dir / "kodim01.webp")), cv2.COLOR_BGR2RGB).astype(np.float32) / 255
    session = AssistantSession(Document.open(_write(tmp_path / "dark.png", base * 0.33)), BuiltinAssistant())
    return session.context("")


def decide(ctx, text: str) -> Decisions:
    return Planner(replace(ctx, request=text), parse(text)).decide()


def test_brighter_decides_exposure_from_the_measured_median(context):
    decisions = decide(context, "brighter")
    exposure = decisions.sliders["exposure"]
    median = context.current_stats.median_luma
    assert median < 0.2
    # The reason is data: measured, with the number it rests on, whatever words the reply uses.
    assert exposure.primary and exposure.whys[0].kind == "measured"
    assert exposure.whys[0].measured == {"median brightness": pytest.approx(median)}
    wanted = measure.exposure_to_reach(median, measure.TARGET_MEDIAN)
    gain = measure.exposure_gain(exposure.value) * measure.whites_gain(decisions.value("whites"))
    assert wanted > 100 and exposure.value == 100  # exposure gives one stop; the whites take it further
    assert gain == pytest.approx(2 ** (min(wanted, 200) / 100), rel=0.35)
    assert not decisions.notes and [i.measure for i in decisions.intents] == ["light"]


def test_the_decisions_do_not_depend_on_the_wording(context):
    """Two phrasings of one wish decide the same values for the same measured reasons."""
    plain, polite = decide(context, "brighter"), decide(context, "could you make it brighter please")
    assert {t: (s.value, s.whys) for t, s in plain.sliders.items()} == {
        t: (s.value, s.whys) for t, s in polite.sliders.items()
    }


def test_a_look_is_decided_with_its_name_on_each_slider(context):
    decisions = decide(context, "make it vintage")
    assert [look.name for look in decisions.looks] == ["vintage"]
    assert decisions.sliders and all(s.look == "vintage" for s in decisions.sliders.values())
    assert all(w.kind == "look" and w.look == "vintage" for s in decisions.sliders.values() for w in s.whys)


def test_the_writer_words_decisions_it_is_given(context):
    decisions = Decisions(Start({"exposure": 10}, {"exposure": 10}, set()))
    decisions.sliders["exposure"] = Slider(35, [asked("brighter")], primary=True)
    plan = Writer(context, parse("brighter"), decisions).plan()
    assert [(e.tool, e.value, e.reason) for e in plan.edits] == [
        ("exposure", 35, "Brightened (exposure +10 → +35) as you asked (“brighter”)")
    ]
    assert plan.reply == "Brightened (exposure +10 → +35) as you asked (“brighter”)."


# --- the measured magnitudes follow the ops -------------------------------------------------------------


def test_exposure_and_contrast_units_are_the_ops_own():
    exposure, contrast = get_op("exposure"), get_op("contrast")
    grey = np.full((1, 1, 3), 0.25, np.float32)
    v = measure.exposure_to_reach(0.25, 0.4)
    assert exposure.apply(grey, {"value": round(v)}, 1, RenderContext())[0, 0, 0] == pytest.approx(0.4, rel=0.01)
    spread = np.array([[[0.4, 0.4, 0.4], [0.6, 0.6, 0.6]]], np.float32)
    out = contrast.apply(spread, {"value": round(measure.CONTRAST_PER_DOUBLING)}, 2, RenderContext())
    assert out[0, 1, 0] - out[0, 0, 0] == pytest.approx(0.4, rel=0.01)  # the spread doubled


def test_a_shadows_lift_is_sized_by_the_ops_curve():
    for y, lift in ((0.05, 0.07), (0.3, 0.1), (0.6, 0.05)):
        v = measure.shadows_for_lift(y, lift)
        assert shadows_op.curve(round(v))(y) - y == pytest.approx(lift, abs=0.01)


def test_the_measured_temperature_removes_the_cast_as_the_op_applies_it():
    """Greys with a yellow cast: the temperature the measure asks for leaves only the cast it keeps."""
    rng = np.random.default_rng(1)
    grey = rng.uniform(0.2, 0.8, (64, 64, 1)).astype(np.float32)
    image = np.concatenate([grey + 0.05, grey, grey - 0.05], axis=2)  # R - B = 0.1
    (need,) = [n for n in measure.white_balance(image, measure_stats(image), strict=True) if n.tool == "temperature"]
    assert need.basis == {"grey areas' R - B": pytest.approx(0.1, abs=0.005)}
    shifted = image + np.asarray(temperature_op.shifts(round(need.delta)), np.float32) / 255.0
    warm, _ = measure.neutral_cast(shifted)
    assert warm == pytest.approx(measure.CAST_KEEP, abs=1.0 / 255)
