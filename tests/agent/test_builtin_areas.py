"""The built-in assistant on part of the photo (issue 14): "darken the sky", "brighten the faces",
"warmer on the left", "the dark areas cooler" make a node masked to that place, with a reason that
names it and values measured on its pixels; follow-ups change the same node; a place the photo
does not have is said, and nothing is made.

The automatic areas (sky, faces, people, subject, background) are core/masks/areas.find's; these
tests replace it with a fixed finder (the sky: the top 40 % of the photo, the subject, faces and
people: a box in the middle; background: the rest), so they pin down the assistant, not a detector.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from iea_desktop.agent import areas
from iea_desktop.agent.builtin import BuiltinAssistant
from iea_desktop.agent.builtin_parse import parse
from iea_desktop.agent.dialects.generic import describe_graph, manual_changes
from iea_desktop.agent.session import AssistantSession, describe_node
from iea_desktop.core.document import Document
from iea_desktop.core.graph import make_node
from iea_desktop.core.history import AddNode, SetNodeMask
from iea_desktop.core.masks import areas as found_areas
from iea_desktop.core.masks.model import Brush, Mask, Stroke

SKY_SHARE = 0.4


def fixed_find(area: str, photo: np.ndarray) -> np.ndarray | None:
    """A stand-in for areas.find: the sky is the top SKY_SHARE of the photo, the subject (and its
    faces and people) a box in the middle, the background everything but that box."""
    h, w = photo.shape[:2]
    plane = np.zeros((h, w), np.float32)
    if area == "sky":
        plane[: int(h * SKY_SHARE)] = 1.0
    else:
        plane[int(h * 0.5) : int(h * 0.9), int(w * 0.35) : int(w * 0.65)] = 1.0
        if area == "background":
            plane = 1.0 - plane
    return plane


@pytest.fixture(autouse=True)
def finder(monkeypatch):
    monkeypatch.setattr(found_areas, "find", fixed_find)


def landscape(sky: float, ground: float = 0.3) -> np.ndarray:
    """A blue sky of brightness ``sky`` over the top SKY_SHARE, green ground below, with texture."""
    rng = np.random.default_rng(3)
    h, w = 120, 180
    img = np.empty((h, w, 3), np.float32)
    top = int(h * SKY_SHARE)
    img[:top] = np.array([0.55, 0.75, 1.0], np.float32) * sky
    img[top:] = np.array([0.6, 1.0, 0.4], np.float32) * ground
    img += rng.normal(0.0, 0.02, img.shape).astype(np.float32)
    return np.clip(img, 0.0, 1.0)


def write(path: Path, rgb: np.ndarray) -> Path:
    cv2.imwrite(str(path), cv2.cvtColor((rgb * 255.0 + 0.5).astype(np.uint8), cv2.COLOR_RGB2BGR))
    return path


@pytest.fixture
def photo(tmp_path) -> Path:
    return write(tmp_path / "landscape.png", landscape(0.9))


def session(path: Path) -> AssistantSession:
    return AssistantSession(Document.open(path), BuiltinAssistant())


def masked(doc: Document) -> list:
    return [n for n in doc.graph.nodes if n.mask is not None]


# --- each place -> a node with that place's mask ---------------------------------------------------------

CASES = [
    # phrase, place, the mask's kind, the tool, its direction
    ("darken the sky", "sky", "area", "exposure", -1),
    ("the sky is too bright", "sky", "area", "exposure", -1),
    ("the sky is blown out", "sky", "area", "highlights", -1),
    ("brighten the face", "faces", "area", "exposure", +1),
    ("the faces are too dark", "faces", "area", "exposure", +1),
    ("brighten the people", "people", "area", "exposure", +1),
    ("make the subject brighter", "subject", "area", "exposure", +1),
    ("darken the background", "background", "area", "exposure", -1),
    ("the foreground is too dark", "foreground", "linear", "exposure", +1),
    ("darken the top", "top", "linear", "exposure", -1),
    ("brighten the bottom a bit", "bottom", "linear", "exposure", +1),
    ("warmer on the left", "left", "linear", "temperature", +1),
    ("more contrast on the right side", "right", "linear", "contrast", +1),
    ("more contrast along the edges", "edges", "radial", "contrast", +1),
    ("make the dark areas cooler", "dark_areas", "luminance", "temperature", -1),
    ("the bright areas are too warm", "bright_areas", "luminance", "temperature", -1),
    ("cooler shadows", "dark_areas", "luminance", "temperature", -1),  # split toning, in words
    ("warmer highlights", "bright_areas", "luminance", "temperature", +1),
    ("brighten the greens", "greens", "colour", "exposure", +1),
    ("make the blues darker", "blues", "colour", "exposure", -1),
    ("less saturated reds", "reds", "colour", "saturation", -1),
]


@pytest.mark.parametrize("phrase,place,kind,tool,sign", CASES, ids=[c[0] for c in CASES])
def test_a_place_makes_a_masked_node(tmp_path, phrase, place, kind, tool, sign):
    # red flowers on the ground, so that "the reds" are there too
    rgb = landscape(0.9)
    rgb[90:110, 20:60] = (0.8, 0.1, 0.1)
    s = session(write(tmp_path / "photo.png", rgb))
    result = s.run_turn(phrase)
    assert result.applied and not result.error
    nodes = masked(s.document)
    assert len(nodes) == 1 and len(s.document.graph.nodes) == 1, result.reply
    node = nodes[0]
    assert node.op == tool and node.params["value"] * sign > 0
    assert node.mask == areas.mask_for(place) and node.mask.components[0].kind == kind
    assert areas.area_of(node.mask) == place
    assert areas.words(place) in node.provenance.reason and areas.words(place) in result.reply


@pytest.mark.parametrize("phrase,tool", [
    ("lighten the dark parts", "shadows"),  # the place's own slider does it
    ("brighten the shadows", "shadows"),
    ("the bright parts are blown out", "highlights"),
    ("darken the edges", "vignette"),
    ("lighten the edges", "vignette"),
    ("brighter", "exposure"),
])
def test_tone_places_and_plain_requests_stay_whole_photo_tools(photo, phrase, tool):
    s = session(photo)
    s.run_turn(phrase)
    assert not masked(s.document)
    assert tool in {n.op for n in s.document.graph.nodes}


def test_the_place_is_read_from_the_words_not_the_photo():
    assert [(w.axis, w.sign, w.where) for w in parse("darken the sky and brighten the faces").wishes] == [
        ("light", -1, "sky"), ("light", +1, "faces")]
    assert parse("darken the sky, warmer").wishes[1].where is None
    assert parse("a bit more on the sky").followups[0].where == "sky"
    assert parse("warmer but not over the top").wishes[0].where is None
    assert parse("frame the subject").wishes[0].axis == "vignette"


# --- measured on the place -------------------------------------------------------------------------------

def test_values_are_measured_on_the_place(tmp_path):
    """A brighter sky gets darkened more, and the reason gives the sky's own median brightness (not the
    photo's: the dark ground would make the photo's median dark)."""
    bright = session(write(tmp_path / "bright.png", landscape(1.0)))
    grey = session(write(tmp_path / "grey.png", landscape(0.75)))
    values, medians = [], []
    for s in (bright, grey):
        result = s.run_turn("the sky is too bright")
        node = masked(s.document)[0]
        values.append(node.params["value"])
        weights = areas.on_render(s.context(""), "sky")
        pixels = areas.pixels(s.context("").original, weights)
        medians.append(float(np.median(pixels @ np.array([0.2126, 0.7152, 0.0722], np.float32))))
        assert f"{medians[-1]:.2f}" in result.reply
        assert "on the sky" in node.provenance.reason
    assert values[0] < values[1] < 0
    assert medians[0] > medians[1] > 0.5


def test_the_sky_node_darkens_the_sky_and_leaves_the_ground(photo):
    s = session(photo)
    before = s.context("").current
    s.run_turn("darken the sky")
    after = s.context("").current
    top, ground = slice(0, int(before.shape[0] * SKY_SHARE) - 4), slice(int(before.shape[0] * SKY_SHARE) + 4, None)
    assert after[top].mean() < before[top].mean() - 0.05
    assert abs(after[ground].mean() - before[ground].mean()) < 0.005


# --- follow-ups --------------------------------------------------------------------------------------------

def test_follow_ups_change_the_same_node(photo):
    s = session(photo)
    s.run_turn("darken the sky")
    [node] = masked(s.document)
    first = node.params["value"]
    s.run_turn("a bit more on the sky")
    [again] = masked(s.document)
    more = again.params["value"]
    assert again.id == node.id and more < first
    s.run_turn("a bit less")
    [less] = masked(s.document)
    assert less.id == node.id and more < less.params["value"] < 0
    assert len(s.document.graph.nodes) == 1


def test_a_whole_photo_request_leaves_the_sky_node_alone(photo):
    s = session(photo)
    s.run_turn("darken the sky")
    [sky] = masked(s.document)
    value = sky.params["value"]
    s.run_turn("brighter")
    whole = [n for n in s.document.graph.nodes if n.mask is None]
    assert len(whole) == 1 and whole[0].op == "exposure" and whole[0].params["value"] > 0
    assert masked(s.document)[0].params["value"] == value


def test_more_on_a_place_i_have_not_changed_says_so(photo):
    s = session(photo)
    result = s.run_turn("a bit more on the sky")
    assert "haven't changed the sky" in result.reply and not s.document.graph.nodes


def test_a_mask_refined_by_hand_stays_with_its_node(photo):
    """The person brushed more onto the sky mask: the node is still the sky's, a follow-up changes its
    value and keeps their mask."""
    s = session(photo)
    s.run_turn("darken the sky")
    [node] = masked(s.document)
    first = node.params["value"]
    stroke = Stroke(points=((0.5, 0.7),), radius=0.05)
    refined = node.mask.replace_component(1, Brush(strokes=(stroke,)))
    s.document.apply(SetNodeMask(node.id, refined))
    s.run_turn("a bit more on the sky")
    [after] = masked(s.document)
    assert after.id == node.id and after.mask == refined and after.params["value"] < first


def test_moving_to_another_place(photo):
    s = session(photo)
    s.run_turn("darken the sky")
    [sky] = masked(s.document)
    value = sky.params["value"]
    result = s.run_turn("not the sky, the background")
    [moved] = masked(s.document)
    assert areas.area_of(moved.mask) == "background" and moved.params["value"] == value
    assert "background" in result.reply


def test_a_part_that_cannot_be_selected_is_said_and_the_node_kept(photo):
    s = session(photo)
    s.run_turn("brighten the face")
    [face] = masked(s.document)
    result = s.run_turn("not the face, the hair")
    assert "can't select the hair" in result.reply and "brush" in result.reply
    assert masked(s.document) == [face]


# --- a place the photo does not have ------------------------------------------------------------------------

def test_a_place_that_is_not_there_is_said_and_nothing_made(photo, monkeypatch):
    monkeypatch.setattr(found_areas, "find", lambda area, image: None)
    s = session(photo)
    result = s.run_turn("darken the sky")
    assert result.reply.startswith("I could not find the sky in this photo")
    assert not s.document.graph.nodes and not result.changes


def test_no_dark_areas_in_a_bright_photo(tmp_path):
    s = session(write(tmp_path / "bright.png", np.full((60, 80, 3), 0.85, np.float32)))
    result = s.run_turn("make the dark areas cooler")
    assert "could not find the dark areas" in result.reply and not s.document.graph.nodes


def test_the_rest_of_a_request_goes_on_without_the_missing_place(photo, monkeypatch):
    monkeypatch.setattr(found_areas, "find", lambda area, image: None)
    s = session(photo)
    result = s.run_turn("darken the sky and make it warmer")
    assert "could not find the sky" in result.reply
    assert [n.op for n in s.document.graph.nodes] == ["temperature"]


# --- masks in words, for the next turn ------------------------------------------------------------------------

def test_masks_are_described_to_the_next_turn(photo):
    s = session(photo)
    doc = s.document
    s.run_turn("darken the sky")
    [sky] = masked(doc)
    assert describe_node(sky).endswith("on the sky")
    mine = make_node("contrast", {"value": 15}, mask=Mask(components=(Brush(strokes=(Stroke(((0.2, 0.2),)),)),)))
    doc.apply(AddNode(mine))
    ctx = s.context("warmer")
    changed = manual_changes(ctx)
    assert "added Contrast +15 masked: brush" in changed
    assert "exposure" in describe_graph(ctx.nodes) and "on the sky" in describe_graph(ctx.nodes)
    listing = s.run_turn("what did you change?").reply
    assert "on the sky" in listing and "masked: brush" in listing and "The others apply to the whole photo" in listing


def test_plan_edits_name_their_place(photo):
    s = session(photo)
    plan = BuiltinAssistant().plan(replace(s.context("darken the sky")), None, None)
    [edit] = plan.edits
    assert edit.area == "sky" and edit.tool == "exposure" and edit.value < 0
    assert plan.intents == []  # the plan check measures the whole photo: a place's edit is not corrected
