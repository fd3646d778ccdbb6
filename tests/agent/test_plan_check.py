"""The check after every plan (agent/plan_check.py): each asked direction holds on the test
photos, for the built-in assistant and for a model's plan, and the listed requests the built-in
assistant got wrong."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from iea_desktop.agent.builtin import BuiltinAssistant
from iea_desktop.agent.plan import Edit, Plan
from iea_desktop.agent.session import AssistantSession
from iea_desktop.core.document import Document
from iea_desktop.core.stats import ImageStats, measure

PHOTOS = ["kodim01.webp", "kodim03.webp", "kodim07.webp", "kodim14.webp", "kodim23.webp"]


def exposed(photos_dir: Path, tmp_path: Path, name: str, gain: float) -> Path:
    """A test photo made darker or brighter (a gain on its 8-bit values, clipped as a camera would)."""
    pixels = np.asarray(Image.open(photos_dir / name).convert("RGB"), np.float32)
    path = tmp_path / f"{Path(name).stem}-{gain}.png"
    Image.fromarray(np.clip(pixels * gain, 0, 255).astype(np.uint8)).save(path)
    return path


def session_for(path: Path, assistant=None) -> AssistantSession:
    return AssistantSession(Document.open(path), assistant or BuiltinAssistant())


def stats(session: AssistantSession) -> ImageStats:
    return measure(session.document.render_preview())


def warmth(s: ImageStats) -> float:
    return s.warmth / max(s.mean_luma, 0.05)


@pytest.mark.parametrize("name", PHOTOS)
@pytest.mark.parametrize("gain", [0.45, 1.0, 1.6])
def test_several_wishes_do_not_cancel_each_other(photos_dir, tmp_path, name, gain):
    """"brighter, punchier and cooler": the brightness asked for holds (a dark photo's contrast
    pivots at middle grey and pulled the median back down), and the photo is cooler."""
    session = session_for(exposed(photos_dir, tmp_path, name, gain))
    before = stats(session)
    light_only = session_for(exposed(photos_dir, tmp_path, name, gain))
    light_only.run_turn("brighter")
    asked = stats(light_only).median_luma
    session.run_turn("brighter, punchier and cooler")
    after = stats(session)
    assert after.median_luma >= max(before.median_luma + 0.015, asked - 0.02)
    assert warmth(after) < warmth(before)


@pytest.mark.parametrize("name", PHOTOS)
@pytest.mark.parametrize("gain", [1.0, 1.6])
def test_leave_the_colours_alone_and_lighten_it_up(photos_dir, tmp_path, name, gain):
    session = session_for(exposed(photos_dir, tmp_path, name, gain))
    before = stats(session)
    result = session.run_turn("leave the colours alone and lighten it up")
    after = stats(session)
    assert after.median_luma > before.median_luma + 0.015
    assert after.mean_saturation >= before.mean_saturation * 0.9, result.reply
    assert not {n.op for n in session.document.graph.nodes} & {"saturation", "vibrance", "temperature", "tint"}


@pytest.mark.parametrize("name", PHOTOS)
@pytest.mark.parametrize("text", ["strip the colour completely", "remove all colour", "no colour at all please"])
def test_removing_all_colour_leaves_none(photos_dir, name, text):
    session = session_for(photos_dir / name)
    session.run_turn(text)
    assert stats(session).mean_saturation <= 0.01


@pytest.mark.parametrize("name", PHOTOS)
def test_colour_back_after_black_and_white_does_not_overshoot(photos_dir, name):
    session = session_for(photos_dir / name)
    original = stats(session).mean_saturation
    session.run_turn("make it black and white")
    session.run_turn("bring the colour back")
    back = stats(session).mean_saturation
    assert original * 0.85 <= back <= original * 1.05


@pytest.mark.parametrize("name", PHOTOS)
@pytest.mark.parametrize("gain", [0.45, 1.0, 1.6])
def test_too_dark_always_brightens(photos_dir, tmp_path, name, gain):
    """Follow the person, whatever the statistics say; explain when it will clip."""
    session = session_for(exposed(photos_dir, tmp_path, name, gain))
    before = stats(session)
    reply = session.run_turn("it's too dark, fix it").reply
    assert stats(session).median_luma > before.median_luma + 0.015, reply
    if before.median_luma > 0.56:
        assert "may lose detail" in reply


@pytest.mark.parametrize("name", PHOTOS)
def test_keep_the_brightness_keeps_it(photos_dir, name):
    session = session_for(photos_dir / name)
    before = stats(session).median_luma
    session.run_turn("much more contrast but keep the brightness")
    assert abs(stats(session).median_luma - before) <= 0.03


@pytest.mark.parametrize("name", PHOTOS)
@pytest.mark.parametrize("text, measure_of, sign", [
    ("brighter", lambda s: s.median_luma, 1), ("darker", lambda s: s.median_luma, -1),
    ("cooler", warmth, -1), ("warmer", warmth, 1), ("more colourful", lambda s: s.mean_saturation, 1),
])
def test_each_direction_holds(photos_dir, name, text, measure_of, sign):
    session = session_for(photos_dir / name)
    before = measure_of(stats(session))
    session.run_turn(text)
    assert (measure_of(stats(session)) - before) * sign > 0.005


class FixedModel:
    """A model's plan, as a dialect would return it."""

    name = "Test model"
    is_builtin = False
    op_version = None
    device_label = "test"

    def __init__(self, *edits: Edit, reply: str = "Done."):
        self.edits, self.reply = list(edits), reply

    def plan(self, ctx, on_text=None, cancel=None) -> Plan:
        return Plan(reply=self.reply, edits=[Edit(e.tool, e.value, e.reason) for e in self.edits])

    def summarize(self, ctx, on_text=None, cancel=None) -> str:
        return ""


def test_a_models_plan_is_corrected_within_limits_and_says_so(photos_dir, tmp_path):
    """A model brightens with exposure and adds so much contrast that a dark photo's median falls:
    the check raises the brightness (by at most its limit) and the reply names the correction."""
    path = exposed(photos_dir, tmp_path, "kodim01.webp", 0.45)
    session = session_for(path, FixedModel(Edit("exposure", 20), Edit("contrast", 100)))
    before = stats(session).median_luma
    result = session.run_turn("brighter and punchier")
    values = {n.op: n.params["value"] for n in session.document.graph.nodes}
    assert values["exposure"] == 20 and values["contrast"] == 100  # the model's values are its intent
    assert 0 < values["brightness"] <= 30
    assert stats(session).median_luma > before
    assert "I checked the result on the preview and corrected brightness +0 → " in result.reply


def test_a_model_plan_that_holds_is_left_alone(photos_dir):
    session = session_for(photos_dir / "kodim07.webp", FixedModel(Edit("exposure", 30), Edit("temperature", 20)))
    result = session.run_turn("brighter and warmer")
    assert {n.op: n.params["value"] for n in session.document.graph.nodes} == {"exposure": 30, "temperature": 20}
    assert "checked" not in result.reply
