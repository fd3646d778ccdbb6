"""Geometry in words for the built-in assistant: crop to an aspect centred on the subject, quarter
turns, straightening (from the photo's lines or by a given angle), mirroring."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from iea_desktop.agent.builtin import BuiltinAssistant
from iea_desktop.agent.session import AssistantSession
from iea_desktop.core.document import Document
from iea_desktop.core.ops import RenderContext, get_op
from iea_desktop.core.stats import centre_of_interest, horizon_tilt


def session_for(path: Path) -> AssistantSession:
    return AssistantSession(Document.open(path), BuiltinAssistant())


def node(session: AssistantSession, op: str):
    found = [n for n in session.document.graph.nodes if n.op == op]
    return found[0] if found else None


@pytest.mark.parametrize("text, aspect, ratio", [
    ("make it square", "1:1", 1.0), ("4:5", "4:5", 0.8), ("crop it 3:2", "3:2", 1.5), ("16:9 please", "16:9", 16 / 9),
])
def test_crop_to_an_aspect(photos_dir, text, aspect, ratio):
    session = session_for(photos_dir / "kodim23.webp")
    reply = session.run_turn(text).reply
    crop = node(session, "crop")
    assert crop is not None and crop.params["aspect"] == aspect and f"({aspect})" in reply
    width, height = session.document.output_size()
    assert width / height == pytest.approx(ratio, rel=0.02)
    assert max(width / session.document.info.width, height / session.document.info.height) == pytest.approx(1, abs=0.01)


def test_original_ratio_takes_my_crop_away(photos_dir):
    session = session_for(photos_dir / "kodim23.webp")
    session.run_turn("make it square")
    assert node(session, "crop") is not None
    session.run_turn("original ratio")
    assert node(session, "crop") is None
    assert session.document.output_size() == (session.document.info.width, session.document.info.height)


def test_crop_is_centred_on_the_subject(tmp_path):
    """A bright red disc on the right of a plain grey frame: the square crop keeps it."""
    pixels = np.full((200, 400, 3), 110, np.uint8)
    ys, xs = np.mgrid[0:200, 0:400]
    pixels[(xs - 330) ** 2 + (ys - 100) ** 2 < 30 ** 2] = (220, 30, 30)
    path = tmp_path / "subject.png"
    Image.fromarray(pixels).save(path)
    assert centre_of_interest(pixels.astype(np.float32) / 255)[0] > 0.7
    session = session_for(path)
    assert "centred on the subject" in session.run_turn("make it square").reply
    crop = node(session, "crop").params
    assert crop["left"] * 400 < 330 - 30 and crop["right"] * 400 >= 330 + 30


@pytest.mark.parametrize("texts, turns", [
    (["turn it a quarter to the left"], 3), (["rotate it 90 degrees"], 1), (["rotate it upside down"], 2),
    (["turn it a quarter to the left", "turn it a quarter to the right"], None),
])
def test_quarter_turns(photos_dir, texts, turns):
    session = session_for(photos_dir / "kodim07.webp")
    for text in texts:
        session.run_turn(text)
    rotate = node(session, "rotate")
    assert (rotate.params["turns"] if rotate else None) == turns
    info = session.document.info
    assert session.document.output_size() == ((info.height, info.width) if turns in (1, 3) else (info.width, info.height))


def test_mirror(photos_dir):
    session = session_for(photos_dir / "kodim07.webp")
    session.run_turn("mirror it")
    assert node(session, "flip").params == {"horizontal": True, "vertical": False}
    session.run_turn("mirror it")  # twice is the photo as it was
    assert node(session, "flip") is None


def horizon_photo(tmp_path: Path, tilt: float) -> Path:
    """Sky over sea with some texture, tilted by ``tilt`` degrees clockwise."""
    rng = np.random.default_rng(1)
    pixels = np.zeros((300, 450, 3), np.float32)
    pixels[:150] = (0.55, 0.7, 0.9)
    pixels[150:] = (0.1, 0.3, 0.45)
    pixels += rng.normal(0, 0.02, pixels.shape).astype(np.float32)
    pixels = get_op("straighten").apply(np.clip(pixels, 0, 1), {"angle": tilt}, 1, RenderContext())
    path = tmp_path / "horizon.png"
    Image.fromarray((np.clip(pixels, 0, 1) * 255).astype(np.uint8)).save(path)
    return path


@pytest.mark.parametrize("tilt", [3.0, -4.0])
def test_level_the_horizon(tmp_path, tilt):
    session = session_for(horizon_photo(tmp_path, tilt))
    reply = session.run_turn("level the horizon").reply
    angle = node(session, "straighten").params["angle"]
    assert angle == pytest.approx(-tilt, abs=0.5) and "Levelled the horizon" in reply
    assert abs(horizon_tilt(session.document.render_preview())) <= 0.5


def test_level_photo_is_left_alone(tmp_path):
    session = session_for(horizon_photo(tmp_path, 0.0))
    assert "already looks level" in session.run_turn("level the horizon").reply
    assert node(session, "straighten") is None


def test_rotate_by_a_given_angle(photos_dir):
    session = session_for(photos_dir / "kodim07.webp")
    session.run_turn("rotate 2 degrees")
    assert node(session, "straighten").params["angle"] == 2.0
    session.run_turn("rotate it 1.5 degrees to the left")
    assert node(session, "straighten").params["angle"] == 0.5


def test_geometry_and_tone_in_one_request_undo_as_one_turn(photos_dir):
    session = session_for(photos_dir / "kodim07.webp")
    session.run_turn("make it square and warmer")
    assert {n.op for n in session.document.graph.nodes} == {"crop", "temperature"}
    session.run_turn("undo that")
    assert session.document.graph.nodes == []
