"""Masks on nodes (issue 14): each component's pixels, how they combine, the per-pixel mix in the
renderer (cached, strips, rows, 8-bit export), alignment under geometry, undo, project files, and
bad mask data refused."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from iea_desktop.core import project
from iea_desktop.core.document import Document
from iea_desktop.core.graph import EditGraph, Node, make_node
from iea_desktop.core.history import AddNode, History, SetNodeMask
from iea_desktop.core.masks import (
    Area,
    Brush,
    ColourRange,
    Linear,
    LuminanceRange,
    Mask,
    MaskError,
    Radial,
    Stroke,
    raster,
)
from iea_desktop.core.masks import plane as planes
from iea_desktop.core.ops import REGISTRY, OpError
from iea_desktop.core.render import Renderer, RenderRequest

TOP_HALF = Mask(components=(Linear(start=(0.5, 0.4), end=(0.5, 0.6)),))


def render(nodes, source, **kwargs):
    return Renderer().run(RenderRequest(nodes=nodes, source=source, source_key="k", **kwargs))


def no_photo():
    raise AssertionError("this component does not read the photo")


# --- components -----------------------------------------------------------------------------------

def test_a_linear_gradient_is_full_at_its_start_and_empty_past_its_end():
    m = raster.linear(Linear(start=(0.0, 0.25), end=(0.0, 0.75)), 100, 60)
    assert m.shape == (100, 60) and m.dtype == np.float32
    assert np.all(m[:25] == 1) and np.all(m[75:] == 0)
    assert 0.4 < m[50, 0] < 0.6 and np.all(np.diff(m[:, 30]) <= 0)  # a ramp down between
    assert np.ptp(m[50]) == 0  # straight across
    sideways = raster.linear(Linear(start=(1.0, 0.5), end=(0.0, 0.5)), 20, 100)
    assert sideways[10, -1] > 0.99 and sideways[10, 0] < 0.01


def test_a_radial_is_full_inside_empty_outside_and_turns_with_its_angle():
    c = Radial(centre=(0.5, 0.5), radii=(0.4, 0.1), angle=0, feather=0.2)
    m = raster.radial(c, 200, 200)
    assert m[100, 100] == 1 and m[100, 160] == 1 and m[100, 190] == 0  # 0.4 * 200 = 80 px along x
    assert m[140, 100] == 0  # 0.1 * 200 = 20 px along y
    turned = raster.radial(Radial(centre=(0.5, 0.5), radii=(0.4, 0.1), angle=90, feather=0.2), 200, 200)
    assert turned[160, 100] == 1 and turned[100, 160] == 0
    assert np.allclose(turned, turned[::-1, ::-1], atol=1e-5)  # symmetric about the centre


def test_a_brush_stroke_paints_along_its_path_with_its_radius_hardness_and_flow():
    s = Stroke(points=((0.2, 0.5), (0.8, 0.5)), radius=0.1, hardness=1.0, flow=1.0)
    m = raster.brush(Brush(strokes=(s,)), 100, 100)
    assert m[50, 50] == 1 and m[50, 25] == 1 and m[50, 5] == 0  # 10 px radius around the path
    assert m[50 + 8, 50] == 1 and m[50 + 13, 50] == 0
    soft = raster.brush(Brush(strokes=(Stroke(points=s.points, radius=0.1, hardness=0.0, flow=0.5),)), 100, 100)
    assert soft[50, 50] == pytest.approx(0.5) and 0 < soft[55, 50] < 0.5  # flow caps it; no hardness: falls off at once


def test_brush_strokes_build_up_and_erase():
    path = ((0.1, 0.5), (0.9, 0.5))
    once = Brush(strokes=(Stroke(points=path, radius=0.1, hardness=1, flow=0.5),))
    twice = once.with_stroke(Stroke(points=path, radius=0.1, hardness=1, flow=0.5))
    erased = twice.with_stroke(Stroke(points=((0.5, 0.5),), radius=0.05, hardness=1, erase=True))
    assert raster.brush(once, 50, 50)[25, 25] == pytest.approx(0.5)
    assert raster.brush(twice, 50, 50)[25, 25] == pytest.approx(0.75)
    after = raster.brush(erased, 50, 50)
    assert after[25, 25] == 0 and after[25, 10] == pytest.approx(0.75)


def test_a_stroke_being_painted_rasterises_only_itself(monkeypatch):
    strokes = tuple(Stroke(points=((0.1 * i, 0.2), (0.1 * i, 0.8)), radius=0.02) for i in range(1, 8))
    raster.brush(Brush(strokes=strokes), 64, 64)
    painted = []
    real = raster.stroke
    monkeypatch.setattr(raster, "stroke", lambda s, h, w: painted.append(s) or real(s, h, w))
    growing = Stroke(points=((0.5, 0.5), (0.6, 0.6)), radius=0.02)
    first = raster.brush(Brush(strokes=strokes + (growing,)), 64, 64)
    longer = Stroke(points=growing.points + ((0.7, 0.6),), radius=0.02)
    second = raster.brush(Brush(strokes=strokes + (longer,)), 64, 64)
    assert painted == [growing, longer]
    assert second.sum() > first.sum()


def test_a_brush_at_any_size_is_the_same_shape():
    b = Brush(strokes=(Stroke(points=((0.2, 0.3), (0.7, 0.6)), radius=0.05, hardness=0.5),))
    small = raster.brush(b, 100, 150)
    large = raster.brush(b, 400, 600)
    shrunk = large.reshape(100, 4, 150, 4).mean(axis=(1, 3))
    assert np.abs(shrunk - small).mean() < 0.02


def test_brightness_and_colour_ranges_read_the_photo():
    photo = np.zeros((2, 4, 3), np.float32)
    photo[0] = [[0.05] * 3, [0.5] * 3, [0.95] * 3, [0.2] * 3]
    photo[1] = [[0.1, 0.8, 0.1], [0.1, 0.1, 0.8], [0.8, 0.1, 0.1], [0.5, 0.5, 0.5]]
    dark = raster.luminance_range(LuminanceRange(low=0.0, high=0.25, smoothness=0.05), photo)
    assert dark[0].tolist() == [1, 0, 0, 1]
    greens = raster.colour_range(ColourRange(hue=120, tolerance=30, smoothness=0.5), photo)
    assert greens[1, 0] == 1 and greens[1, 1] == 0 and greens[1, 2] == 0
    assert greens[1, 3] == 0 and greens[0].max() == 0  # greys have no hue
    reds = raster.colour_range(ColourRange(hue=350, tolerance=20, smoothness=0.5), photo)
    assert reds[1, 2] == 1  # across 0 degrees


def test_components_combine_in_order():
    left = Linear(start=(0.0, 0.5), end=(0.5, 0.5))  # full at the left edge, gone by the middle
    top = Linear(start=(0.5, 0.0), end=(0.5, 0.5))

    def combined(*components, **fields):
        return planes.combine(Mask(components=components, **fields), 20, 20, no_photo)

    a, b = raster.linear(left, 20, 20), raster.linear(top, 20, 20)
    assert np.array_equal(combined(left, top), np.maximum(a, b))
    assert np.allclose(combined(left, Linear(start=top.start, end=top.end, mode="subtract")), a * (1 - b))
    assert np.allclose(combined(left, Linear(start=top.start, end=top.end, mode="intersect")), a * b)
    assert np.allclose(combined(Linear(start=left.start, end=left.end, invert=True)), 1 - a)
    assert np.allclose(combined(left, invert=True, density=0.5), (1 - a) * 0.5)
    assert combined().max() == 0  # no component: nowhere
    feathered = combined(Linear(start=(0.5, 0.2), end=(0.5, 0.21)), feather=0.2)
    assert 0 < feathered[4, 10] < 1 and feathered[0, 10] > feathered[8, 10]


def test_an_area_that_is_not_in_the_photo_masks_nothing(monkeypatch):
    monkeypatch.setattr(raster.areas, "find", lambda area, photo: None)
    assert planes.combine(Mask(components=(Area(area="sky"),)), 10, 12, lambda: np.zeros((10, 12, 3), np.float32)).max() == 0
    found = np.linspace(0, 1, 120, dtype=np.float32).reshape(10, 12)
    monkeypatch.setattr(raster.areas, "find", lambda area, photo: found)
    assert np.array_equal(planes.combine(Mask(components=(Area(area="sky"),)), 10, 12, lambda: None), found)


# --- the renderer ---------------------------------------------------------------------------------

def test_a_masked_node_acts_only_where_its_mask_is(make_rgb):
    source = make_rgb(120, 90)
    everywhere = render([make_node("exposure", {"value": -60})], source)
    masked = render([make_node("exposure", {"value": -60}, mask=TOP_HALF)], source)
    assert np.allclose(masked[:40], everywhere[:40], atol=1e-6)
    assert np.allclose(masked[80:], source[80:], atol=1e-6)
    m = planes.combine(TOP_HALF, 120, 90, no_photo)[..., None]
    assert np.allclose(masked, source + m * (everywhere - source), atol=1e-6)


def test_without_a_mask_the_render_is_bit_identical(make_rgb):
    source = make_rgb(64, 80)
    nodes = [make_node("exposure", {"value": 20}), make_node("contrast", {"value": 30}), make_node("clarity", {"value": 40})]
    assert Node.from_dict(nodes[0].to_dict()).mask is None and "mask" not in nodes[0].to_dict()
    full = Mask(components=(Radial(centre=(0.5, 0.5), radii=(3, 3), feather=0.01),))  # covers everything
    assert np.array_equal(render(nodes, source), render([n for n in nodes], source))
    masked = [make_node(n.op, n.params, mask=full) for n in nodes]
    assert np.allclose(render(masked, source), render(nodes, source), atol=1e-6)


def test_mask_and_opacity_multiply(make_rgb):
    source = make_rgb(60, 60)
    node = make_node("saturation", {"value": -100}, mask=TOP_HALF)
    node.opacity = 0.5
    everywhere = render([make_node("saturation", {"value": -100})], source)
    out = render([node], source)
    assert np.allclose(out[:20], source[:20] + 0.5 * (everywhere[:20] - source[:20]), atol=1e-6)


@pytest.mark.parametrize("op, params", [("exposure", {"value": 40}), ("clarity", {"value": 60}),
                                        ("sharpness", {"value": 80}), ("vignette", {"value": -50})])
def test_cached_strips_rows_and_8_bit_renders_agree(make_rgb, make_u8, op, params):
    source = make_rgb(300, 200, seed=2)
    radial = Mask(components=(Radial(centre=(0.4, 0.6), radii=(0.3, 0.2), angle=20, feather=0.6),))
    nodes = [make_node("contrast", {"value": 20}), make_node(op, params, mask=radial), make_node("saturation", {"value": 30})]
    renderer = Renderer()
    cached = renderer.run(RenderRequest(nodes=nodes, source=source, source_key="k", dtype=np.uint8))
    strips = renderer.run(RenderRequest(nodes=nodes, source=source, source_key="k", dtype=np.uint8, cached=False))
    rows = renderer.run(RenderRequest(nodes=nodes, source=source, source_key="k", dtype=np.uint8, cached=False,
                                      rows=(70, 180)))
    assert np.abs(cached.astype(int) - strips).max() <= 1
    assert np.array_equal(rows, strips[70:180])
    u8 = make_u8(300, 200, seed=2)
    from_8_bit = renderer.run(RenderRequest(nodes=nodes, source=u8, source_key="u8", dtype=np.uint8, cached=False))
    from_float = renderer.run(RenderRequest(nodes=nodes, source=u8.astype(np.float32) / 255, source_key="f",
                                            dtype=np.uint8, cached=False))
    assert np.abs(from_8_bit.astype(int) - from_float).max() <= 1


def test_a_source_larger_than_the_plane_reads_an_upsampled_mask(monkeypatch, make_rgb):
    monkeypatch.setattr(planes, "PLANE_EDGE", 100)
    source = make_rgb(300, 240)
    node = make_node("exposure", {"value": 80}, mask=Mask(components=(Radial(centre=(0.5, 0.5), radii=(0.3, 0.3), feather=0.5),)))
    out = render([node], source, cached=False)
    monkeypatch.setattr(planes, "PLANE_EDGE", 4000)
    exact = render([node], source, cached=False)
    assert np.abs(out - exact).mean() < 0.002 and np.abs(out - exact).max() < 0.05


def test_a_mask_plane_is_built_once_per_state(make_rgb, monkeypatch):
    source = make_rgb(80, 80)
    built = []
    real = planes.MaskPlane.build.__func__
    monkeypatch.setattr(planes.MaskPlane, "build", classmethod(lambda cls, *a: built.append(1) or real(cls, *a)))
    renderer, node = Renderer(), make_node("exposure", {"value": 10}, mask=TOP_HALF)
    for value in (10, 20, 30):  # a slider drag on the masked node
        node.params = {"value": value}
        renderer.run(RenderRequest(nodes=[node], source=source, source_key="k"))
    assert len(built) == 1
    node.mask = Mask(components=(Linear(start=(0.5, 0.1), end=(0.5, 0.9)),))
    renderer.run(RenderRequest(nodes=[node], source=source, source_key="k"))
    assert len(built) == 2


# --- geometry keeps masks on the photo ------------------------------------------------------------

def marked_photo(height=120, width=160):
    """A grey photo with one bright square (where the mask will be)."""
    photo = np.full((height, width, 3), 0.3, np.float32)
    photo[20:40, 100:130] = 0.9
    return photo


SQUARE = Mask(components=(Brush(strokes=(Stroke(points=((115 / 160, 30 / 120),), radius=6 / 160, hardness=1.0),)),))


@pytest.mark.parametrize("geometry", [
    [make_node("crop", {"left": 0.3, "top": 0.1, "right": 0.95, "bottom": 0.7})],
    [make_node("rotate", {"turns": 1})],
    [make_node("rotate", {"turns": 3}), make_node("flip", {"horizontal": True})],
    [make_node("flip", {"vertical": True}), make_node("straighten", {"angle": 7})],
])
def test_geometry_keeps_the_mask_on_the_same_photo_content(geometry):
    photo = marked_photo()
    bright = render(geometry + [make_node("exposure", {"value": 0})], photo)  # where the square went
    masked = render(geometry + [make_node("exposure", {"value": 100}, mask=SQUARE)], photo)
    changed = np.abs(masked - render(geometry, photo)).max(axis=2) > 0.05
    square = bright.max(axis=2) > 0.6
    assert changed.any()
    # every pixel the mask changed is on the bright square (the brush is inside it)
    assert square[changed].mean() > 0.97


def test_geometry_nodes_cannot_have_masks():
    with pytest.raises(MaskError, match="cannot have a mask"):
        make_node("crop", {"left": 0.1}, mask=TOP_HALF)
    with pytest.raises(OpError):
        Node.from_dict({"op": "rotate", "id": "r", "params": {"turns": 1}, "mask": TOP_HALF.to_dict()})


# --- data: round trips, history, bad data ---------------------------------------------------------

EVERY_KIND = Mask(
    components=(
        Linear(start=(0.1, 0.2), end=(0.3, 0.9)),
        Radial(centre=(0.5, 0.4), radii=(0.2, 0.3), angle=15, feather=0.4, mode="subtract", invert=True),
        Brush(strokes=(Stroke(points=((0.1, 0.1), (0.2, 0.3)), radius=0.04, hardness=0.2, flow=0.7),
                       Stroke(points=((0.15, 0.2),), radius=0.02, erase=True))),
        LuminanceRange(low=0.1, high=0.4, smoothness=0.2, mode="intersect"),
        ColourRange(hue=200, tolerance=25, smoothness=0.3),
        Area(area="sky", mode="add"),
    ),
    invert=True,
    density=0.8,
    feather=0.05,
)


def test_every_kind_round_trips_through_json():
    data = json.loads(json.dumps(EVERY_KIND.to_dict()))
    again = Mask.from_dict(data)
    assert again == EVERY_KIND and again.digest == EVERY_KIND.digest
    node = make_node("exposure", {"value": 5}, mask=data)
    assert Node.from_dict(json.loads(json.dumps(node.to_dict()))).mask == EVERY_KIND
    assert EVERY_KIND.describe().startswith("everything but linear, minus outside radial")


def test_a_masked_edit_survives_save_and_reopen(photo, monkeypatch):
    monkeypatch.setattr(raster.areas, "find", lambda area, image: None)
    doc = Document.open(photo)
    node = make_node("exposure", {"value": 30}, mask=EVERY_KIND)
    doc.apply(AddNode(node))
    doc.apply(SetNodeMask(node.id, TOP_HALF))
    before = doc.render_preview()
    saved = doc.save()
    assert json.loads(saved.read_text())["schema_version"] == project.SCHEMA_VERSION == 2
    again = Document.open(photo)
    assert again.graph.nodes[0].mask == TOP_HALF
    assert np.array_equal(again.render_preview(), before)
    again.history.undo()
    assert again.graph.nodes[0].mask == EVERY_KIND


def test_one_gesture_of_mask_changes_is_one_undo_step():
    graph = EditGraph()
    history = History(graph)
    node = make_node("exposure", {"value": 30})
    history.push(AddNode(node))
    brush = Brush()
    for n in range(1, 6):  # the dabs of one stroke
        stroke = Stroke(points=tuple((0.1 * i, 0.5) for i in range(n)))
        history.push(SetNodeMask(node.id, Mask(components=(brush.with_stroke(stroke),)), gesture="stroke-1"))
    assert len(history.entries) == 2 and len(graph.nodes[0].mask.components[0].strokes[0].points) == 5
    history.end_gesture()
    history.push(SetNodeMask(node.id, None, gesture="stroke-1"))  # a new gesture: its own step
    assert len(history.entries) == 3 and graph.nodes[0].mask is None
    history.undo()
    assert len(graph.nodes[0].mask.components[0].strokes[0].points) == 5
    history.undo()
    assert graph.nodes[0].mask is None


BAD = {
    "not an object": ([], "must be an object"),
    "newer version": ({"version": 9, "components": []}, "newer IEA Desktop"),
    "unknown kind": ({"components": [{"kind": "lasso"}]}, "kind must be one of"),
    "unknown mode": ({"components": [{"kind": "area", "area": "sky", "mode": "xor"}]}, "mode must be one of"),
    "unknown area": ({"components": [{"kind": "area", "area": "cats"}]}, "area must be one of"),
    "NaN point": ({"components": [{"kind": "linear", "start": [float("nan"), 0], "end": [0, 1]}]}, "finite"),
    "point of three": ({"components": [{"kind": "linear", "start": [0, 0, 0], "end": [0, 1]}]}, r"point \[x, y\]"),
    "string density": ({"density": "full", "components": []}, "density must be a number"),
    "invert not bool": ({"invert": 1, "components": []}, "true or false"),
    "empty stroke": ({"components": [{"kind": "brush", "strokes": [{"points": []}]}]}, "non-empty"),
    "too many components": ({"components": [{"kind": "area", "area": "sky"}] * 17}, "at most 16"),
    "too many points": ({"components": [{"kind": "brush", "strokes": [{"points": [[0.5, 0.5]] * 150_000}] * 2}]},
                        "brush points; at most"),
    "low above high": ({"components": [{"kind": "luminance", "low": 0.8, "high": 0.2}]}, "must not be above"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_mask_data_is_refused_with_a_clear_message(case):
    data, message = BAD[case]
    with pytest.raises(MaskError, match=message):
        Mask.from_dict(data)


def test_numbers_out_of_range_are_clamped_like_params():
    mask = Mask.from_dict({"density": 7, "feather": -1, "components": [
        {"kind": "radial", "centre": [99, -99], "radii": [0, 10], "feather": 3, "angle": 1000}]})
    radial = mask.components[0]
    assert mask.density == 1 and mask.feather == 0
    assert radial.centre == (3.0, -2.0) and radial.radii == (0.001, 4.0) and radial.feather == 1 and radial.angle == 360


def test_a_project_with_bad_mask_data_is_refused_and_left_untouched(photo):
    target = project.sidecar_path(photo)
    text = json.dumps({"schema_version": 2, "graph": [
        {"op": "exposure", "id": "a", "params": {"value": 3}, "mask": {"components": [{"kind": "lasso"}]}}]})
    target.write_text(text)
    doc = Document.open(photo)  # opens without the edits, says why, and saves elsewhere
    assert doc.graph.nodes == [] and "damaged project file" in doc.notes[0] and "kind must be one of" in doc.notes[0]
    doc.save()
    assert target.read_text() == text


def test_iea_exact_refuses_a_masked_graph(photo):
    doc = Document.open(photo)
    doc.apply(AddNode(make_node("exposure", {"value": 30}, mask=TOP_HALF)))
    with pytest.raises(OpError, match="no masks"):
        doc.render_full(iea_exact=True)


def test_a_masked_node_goes_after_the_global_tone_and_colour_nodes_and_before_the_effects():
    graph = EditGraph()
    history = History(graph)
    for op in ("exposure", "saturation", "grain", "sharpness"):
        history.push(AddNode(make_node(op, {"value": 10})))
    history.push(AddNode(make_node("exposure", {"value": -20}, mask=TOP_HALF)))
    history.push(AddNode(make_node("grain", {"value": 20}, mask=TOP_HALF)))
    history.push(AddNode(make_node("contrast", {"value": 10})))  # a global one still goes among the globals
    history.push(AddNode(make_node("shadows", {"value": 10}, mask=TOP_HALF)))  # after the local exposure
    assert [(n.op, n.mask is not None) for n in graph.nodes] == [
        ("exposure", False), ("contrast", False), ("saturation", False), ("exposure", True), ("shadows", True),
        ("grain", False), ("grain", True), ("sharpness", False)]


def moved_params(spec) -> dict:
    """Params that make ``spec`` do something: each number moved 60 % of the way to its maximum
    (or minimum, for one that starts at its maximum), a curve bent, a choice switched."""
    params = {}
    for p in spec.params:
        if p.numeric:
            params[p.name] = p.default + 0.6 * ((p.maximum if p.default < p.maximum else p.minimum) - p.default)
        elif p.kind == "curve":
            params[p.name] = [[p.minimum, p.minimum], [(p.minimum + p.maximum) / 2, p.maximum * 0.7], [p.maximum, p.maximum]]
    return params


ADJUSTMENTS = sorted(name for name, spec in REGISTRY.items() if spec.stage != "geometry")


@pytest.mark.parametrize("op", ADJUSTMENTS)
def test_every_adjustment_works_inside_a_mask(make_rgb, op):
    source = make_rgb(160, 120, seed=5)
    node = make_node(op, moved_params(REGISTRY[op]))
    assert not node.spec.is_identity(node.params), f"{op}: the test's params change nothing"
    everywhere = render([node], source)
    masked = render([dataclasses.replace(node, mask=TOP_HALF)], source)  # the same id: grain's seed
    m = planes.combine(TOP_HALF, 160, 120, no_photo)
    full, empty = m == 1, m == 0
    assert np.abs(everywhere - source).max() > 0.01
    assert np.allclose(masked[full], everywhere[full], atol=2e-6)
    assert np.allclose(masked[empty], source[empty], atol=2e-6)
