"""tone_curve: monotone point curves (RGB and per channel), their validation, fusion and file paths."""

from __future__ import annotations

import json

import numpy as np
import pytest

from iea_desktop import cli
from iea_desktop.core import pointops
from iea_desktop.core.apply_node import apply_node
from iea_desktop.core.document import Document
from iea_desktop.core.finish import to_uint8
from iea_desktop.core.graph import EditGraph, make_node
from iea_desktop.core.history import AddNode
from iea_desktop.core.ops import OpError, RenderContext, get_op, tone_curve
from iea_desktop.core.render import Renderer, RenderRequest

SPEC = get_op("tone_curve")
RAMP = np.linspace(0.0, 1.0, 4097)
MEDIUM = tone_curve.PRESETS["Medium contrast"]


def curve_out(points, t=RAMP) -> np.ndarray:
    return tone_curve.evaluate(SPEC.param("rgb").coerce(points, "tone_curve"), t)


def grey(values) -> np.ndarray:
    values = np.asarray(values, dtype=np.float32)
    return np.repeat(values[None, :, None], 3, axis=2)


def run(image, **params) -> np.ndarray:
    return np.asarray(SPEC.apply(image, SPEC.validate(params), 1, RenderContext()), dtype=np.float32)


# --------------------------------------------------------------------------- identity


def test_the_default_and_a_straight_curve_with_more_points_keep_8bit_pixels(make_u8):
    image = make_u8(40, 50)
    as_float = image.astype(np.float32) / 255
    node = make_node("tone_curve")
    assert SPEC.is_identity(node.params)
    np.testing.assert_array_equal(to_uint8(Renderer().run(RenderRequest(nodes=[node], source=as_float,
                                                                        source_key="s"))), image)
    straight = make_node("tone_curve", {"rgb": [[0, 0], [100, 100], [200, 200], [255, 255]],
                                        "green": [[0, 0], [64, 64], [255, 255]]})
    assert not SPEC.is_identity(straight.params)  # it renders, and changes no 8-bit level
    np.testing.assert_array_equal(to_uint8(Renderer().run(RenderRequest(nodes=[straight], source=as_float,
                                                                        source_key="s"))), image)
    levels = grey(np.arange(256) / 255)
    np.testing.assert_array_equal(to_uint8(run(levels, rgb=[[0, 0], [128, 128], [255, 255]])), to_uint8(levels))


# --------------------------------------------------------------------------- shape


def test_raising_a_point_lightens_those_tones_and_the_ends_stay():
    out = curve_out([[0, 0], [128, 160], [255, 255]])
    middle = np.abs(RAMP - 0.5) < 0.3
    assert np.all(out[middle] > RAMP[middle])
    assert out[0] == 0 and out[-1] == pytest.approx(1.0)
    assert curve_out([[0, 0], [128, 96], [255, 255]], np.array([128 / 255]))[0] == pytest.approx(96 / 255)  # through its points


def test_a_channel_curve_changes_that_channel_only(rgb):
    out = run(rgb, red=[[0, 0], [128, 170], [255, 255]])
    assert np.all(out[..., 0] >= rgb[..., 0] - 1e-5) and out[..., 0].mean() > rgb[..., 0].mean() + 0.05
    np.testing.assert_allclose(out[..., 1:], rgb[..., 1:], atol=1e-5)
    # the channel's curve first, then the RGB curve
    both = run(rgb, red=[[0, 0], [128, 170], [255, 255]], rgb=[[0, 0], [255, 128]])
    np.testing.assert_allclose(both[..., 0], out[..., 0] * 128 / 255, atol=1e-4)


@pytest.mark.parametrize("seed", range(30))
def test_monotone_points_give_a_monotone_curve_that_never_overshoots(seed):
    rng = np.random.default_rng(seed)
    count = int(rng.integers(2, 17))
    xs = np.sort(rng.choice(np.arange(256), size=count, replace=False)).astype(float)
    ys = np.sort(rng.uniform(0, 255, size=count))
    if seed % 2:
        ys = ys[::-1]  # falling curves too
    points = [[x, y] for x, y in zip(xs, ys)]
    out = curve_out(points) * 255
    steps = np.diff(out)
    assert np.all(steps >= -1e-9) if seed % 2 == 0 else np.all(steps <= 1e-9)
    assert out.min() >= ys.min() - 1e-9 and out.max() <= ys.max() + 1e-9


@pytest.mark.parametrize("seed", range(30))
def test_any_points_no_overshoot_between_neighbours(seed):
    """Up-and-down points: each piece stays between its two points (a smooth spline would ring past them)."""
    rng = np.random.default_rng(100 + seed)
    count = int(rng.integers(3, 17))
    xs = np.sort(rng.choice(np.arange(256), size=count, replace=False)).astype(float)
    ys = rng.uniform(0, 255, size=count)
    out = curve_out([[x, y] for x, y in zip(xs, ys)]) * 255
    for (x0, y0), (x1, y1) in zip(zip(xs, ys), zip(xs[1:], ys[1:])):
        piece = out[(RAMP * 255 >= x0) & (RAMP * 255 <= x1)]
        assert piece.min() >= min(y0, y1) - 1e-6 and piece.max() <= max(y0, y1) + 1e-6
        assert np.all(np.diff(piece) >= -1e-9) or np.all(np.diff(piece) <= 1e-9)  # monotone between points
    assert np.all(np.isfinite(out))


def test_flat_before_the_first_point_and_after_the_last():
    out = curve_out([[40, 30], [200, 220]])
    assert np.all(out[RAMP * 255 <= 40] == pytest.approx(30 / 255))
    assert np.all(out[RAMP * 255 >= 200] == pytest.approx(220 / 255))


def test_no_banding_on_a_grey_ramp():
    """A smooth 16-bit ramp through the strong-contrast preset: every step still rises (no new
    flat steps or reversals), and the steps change smoothly (no kink where a piece ends)."""
    ramp = grey(np.arange(0, 65536, 8) / 65535)
    out = run(ramp, rgb=tone_curve.PRESETS["Strong contrast"])[0, :, 0].astype(np.float64)
    steps = np.diff(out)
    assert np.all(steps > 0)
    slope = steps / (8 / 65535)
    assert np.abs(np.diff(slope)).max() < 0.05  # the slope is continuous (C1), a few float32 steps of noise


def test_presets_are_valid_and_do_what_they_say():
    for name, points in tone_curve.PRESETS.items():
        assert SPEC.param("rgb").coerce(points, "tone_curve") == points, name
    linear, medium, strong = (curve_out(tone_curve.PRESETS[n]) for n in ("Linear", "Medium contrast", "Strong contrast"))
    np.testing.assert_allclose(linear, RAMP, atol=1e-12)
    assert strong.std() > medium.std() > linear.std()  # more contrast: tones spread further
    matte = curve_out(tone_curve.PRESETS["Matte (faded blacks)"])
    assert matte[0] > 0.12 and matte[-1] < 0.97 and np.all(np.diff(matte) > 0)


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize("bad,why", [
    ("0,0 255,255", "list of"),
    (None, "list of"),
    ({"x": 1}, "list of"),
    ([[0, 0]], "2 to 16 points"),
    ([[i, i] for i in range(17)], "2 to 16 points"),
    ([[0, 0], [128, 200], [100, 220], [255, 255]], "x must increase"),
    ([[0, 0], [128, 128], [128, 200]], "x must increase"),
    ([[0, 0], [float("nan"), 3], [255, 255]], "finite"),
    ([[0, 0], [10, float("inf")], [255, 255]], "finite"),
    ([[0, 0], ["10", 20], [255, 255]], "pair of numbers"),
    ([[0, 0], [True, 20], [255, 255]], "pair of numbers"),
    ([[0, 0, 0], [255, 255]], "pair of numbers"),
    ([0, 255], "pair of numbers"),
    ([[-50, 0], [-10, 255]], "x must increase"),  # both clamp to x = 0
])
def test_bad_points_are_refused_with_one_clear_message(bad, why):
    with pytest.raises(OpError, match="tone_curve.rgb") as info:
        make_node("tone_curve", {"rgb": bad})
    assert why in str(info.value)
    assert len(str(info.value)) <= 300


def test_points_are_clamped_to_the_scale_and_stored_as_tuples_of_floats():
    node = make_node("tone_curve", {"blue": [[-5, -20], [128, 300], [1e9, 255]]})
    assert node.params["blue"] == ((0.0, 0.0), (128.0, 255.0), (255.0, 255.0))
    assert all(type(v) is float for point in node.params["blue"] for v in point)
    hash(tuple(sorted(node.params.items())))  # cache keys (render, pointops) hash params
    assert get_op("tone_curve").param("blue").text(node.params["blue"]) == "3 points"
    assert node.summary() == "blue 3 points"


# --------------------------------------------------------------------------- the renderer


def test_fused_with_its_neighbours_matches_node_by_node(rgb, pixel_kernel):
    nodes = [make_node("highlights", {"value": -30}),
             make_node("tone_curve", {"rgb": MEDIUM, "red": [[0, 10], [128, 140], [255, 250]]}),
             make_node("temperature", {"value": 25})]
    assert len(pointops.program(nodes, 1.0).stages) <= 2  # one table (and temperature's offsets)
    expected = rgb
    for node in nodes:
        expected = apply_node(expected, node, 1.0)
    got = Renderer().run(RenderRequest(nodes=nodes, source=rgb, source_key="s"))
    assert np.abs(got - np.clip(expected, 0, 1)).max() <= 1e-3


def test_partly_transparent_and_nan_input_stay_finite_and_in_range(rgb):
    node = make_node("tone_curve", {"rgb": [[0, 255], [255, 0]]})
    node.opacity = 0.5
    image = rgb.copy()
    image[0, 0] = np.nan
    image[1, 1] = 7.0
    out = Renderer().run(RenderRequest(nodes=[node], source=image, source_key="s"))
    assert np.all(np.isfinite(out)) and out.min() >= 0 and out.max() <= 1
    np.testing.assert_allclose(out[5:, 5:], 0.5, atol=1e-4)  # half of x and half of 1 - x


# --------------------------------------------------------------------------- files and the command line


def test_a_project_round_trip_keeps_the_points(tmp_path, photo):
    doc = Document.open(photo)
    doc.apply(AddNode(make_node("tone_curve", {"rgb": MEDIUM, "green": [[0, 0], [90.5, 100.25], [255, 255]]})))
    saved = doc.save(tmp_path / "p.iea.json")
    written = json.loads(saved.read_text())["graph"][0]["params"]
    assert written["green"] == [[0.0, 0.0], [90.5, 100.25], [255.0, 255.0]]  # points as JSON lists
    again = Document.open(photo, project_file=saved)
    assert again.graph.nodes[0].params == doc.graph.nodes[0].params
    np.testing.assert_array_equal(to_uint8(again.render_full()), to_uint8(doc.render_full()))
    graph = EditGraph.from_list(json.loads(json.dumps(doc.graph.to_list())))
    assert graph.nodes[0].params["rgb"] == MEDIUM


def test_render_params_and_project_from_the_command_line(photo, tmp_path, capsys):
    params = {"tone_curve": {"rgb": [[0, 0], [128, 180], [255, 255]]},
              "colour_mixer": {"blue_saturation": 60, "red_hue": -40}}
    out = tmp_path / "out.png"
    assert cli.main(["render", str(photo), "-o", str(out), "--params", json.dumps(params)]) == 0
    doc = Document.open(photo)
    for name, values in params.items():
        doc.apply(AddNode(make_node(name, values)))
    from PIL import Image

    with Image.open(out) as written:
        np.testing.assert_array_equal(np.asarray(written.convert("RGB")), to_uint8(doc.render_full()))
    project = doc.save(tmp_path / "p.iea.json")
    out2 = tmp_path / "out2.png"
    assert cli.main(["render", str(photo), "-o", str(out2), "--project", str(project)]) == 0
    with Image.open(out) as a, Image.open(out2) as b:
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    capsys.readouterr()
    bad = json.dumps({"tone_curve": {"rgb": [[0, 0], [300, 10], [200, 20]]}})
    code = cli.main(["render", str(photo), "-o", str(tmp_path / "bad.png"), "--params", bad])
    err = capsys.readouterr().err
    assert code != 0 and "Traceback" not in err and "tone_curve.rgb" in err and len(err.strip().splitlines()) == 1
