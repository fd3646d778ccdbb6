"""Dehaze (core/ops/dehaze.py): the dark-channel prior with a guided-filter transmission, and its
atmospheric light estimated once per render on the whole picture (render.estimates)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from iea_desktop.core.graph import make_node
from iea_desktop.core.ops import REGISTRY, RenderContext
from iea_desktop.core.ops.dehaze import airlight
from iea_desktop.core.render import Renderer, RenderRequest, estimates
from neighbourhood import (
    calls,
    check_drag_reuses_what_the_value_does_not_change,
    check_finite_and_in_range,
    check_identity,
    check_no_banding,
    check_preview_matches_export,
    check_strips_match_whole,
    render,
    step_edge,
    textured,
)

HAZE = np.array([0.85, 0.87, 0.9], dtype=np.float32)


def hazy(height: int = 240, width: int = 320, transmission: float = 0.4) -> tuple[np.ndarray, np.ndarray]:
    """(hazy picture, its clear scene): I = J t + A (1 - t), thicker haze towards the top."""
    scene = textured(height, width, seed=5)
    t = np.linspace(transmission, 0.9, height, dtype=np.float32)[:, None, None]
    t[:height // 10] = 0.0  # a band of sky: haze only
    return (scene * t + HAZE * (1 - t)).astype(np.float32), scene


def test_identity_at_default(make_u8):
    check_identity("dehaze", make_u8(96, 128))


@pytest.mark.parametrize("value", [-100, 100])
def test_extremes_are_finite_and_in_range(value):
    check_finite_and_in_range("dehaze", {"value": value})


def test_the_atmospheric_light_is_the_haze():
    image, _ = hazy()
    np.testing.assert_allclose(airlight(image, RenderContext()), HAZE, atol=0.06)


def test_more_dehaze_means_more_contrast_in_the_haze():
    image, scene = hazy()
    top = slice(30, 100)  # the thickest haze under the sky
    spread = [float(render(image, "dehaze", {"value": v})[top].std()) for v in (-100, -50, 0, 50, 100)]
    assert all(a < b for a, b in zip(spread, spread[1:])), spread
    assert spread[-1] > 1.5 * spread[2]
    # +100 brings the hazy part back towards the scene (part way: this scene has few dark pixels,
    # so the prior sees less haze than there is)
    cleared = render(image, "dehaze", {"value": 100})
    assert np.abs(cleared[top] - scene[top]).mean() < 0.75 * np.abs(image[top] - scene[top]).mean()


def test_negative_moves_towards_the_haze_colour():
    image, _ = hazy(transmission=0.8)
    out = render(image, "dehaze", {"value": -100})
    assert np.abs(out - HAZE).mean() < 0.6 * np.abs(image - HAZE).mean()


def test_no_halo_at_an_edge_between_haze_and_a_dark_object():
    """A dark object against bright haze: the transmission follows the edge (guided filter), so
    the dark side is cleared evenly up to the edge, with no bright or dark band along it."""
    image = step_edge(0.85, 0.25, height=64, width=600)
    out = render(image, "dehaze", {"value": 100})[32, :, 1]
    dark = out[300:]
    assert np.abs(dark - dark[-1]).max() < 0.02
    assert np.abs(out[:300] - out[0]).max() < 0.02


@pytest.mark.parametrize("value", [-100, 100])
def test_no_banding_on_a_ramp(value):
    check_no_banding("dehaze", {"value": value}, most=4)  # +100 steepens the ramp about 2.5 times


@pytest.mark.parametrize("value", [-60, 80])
def test_strips_match_the_whole_picture(value):
    check_strips_match_whole("dehaze", {"value": value})


@pytest.mark.parametrize("value", [-100, 100])
def test_preview_matches_export(value):
    check_preview_matches_export("dehaze", {"value": value}, tolerance=0.25)  # measured: 0.05-0.19


def test_the_estimate_is_the_whole_pictures_and_the_same_at_any_size():
    """Every strip gets the light of the whole picture; the preview's and the export's agree."""
    image, _ = hazy(1200, 400)
    image[800:] *= 0.3  # the haze is only in the top part: a strip of the bottom alone would differ
    with calls("dehaze") as seen:
        Renderer().run(RenderRequest(nodes=[make_node("dehaze", {"value": 50})], source=image, source_key="s",
                                     cached=False))
    assert len({ctx.origin for ctx in seen}) > 2 and all(np.array_equal(c.estimate, seen[0].estimate) for c in seen)
    np.testing.assert_allclose(seen[0].estimate, airlight(image, RenderContext()), atol=0.02)
    assert np.abs(airlight(image[800:], RenderContext()) - seen[0].estimate).max() > 0.3
    preview = cv2.resize(image, (100, 300), interpolation=cv2.INTER_AREA)
    np.testing.assert_allclose(estimates([make_node("dehaze", {"value": 50})], 0, preview, 0.25)[0], seen[0].estimate,
                               atol=0.02)


def test_the_estimate_is_of_the_ops_input():
    """After an exposure node, A is the light of the exposed picture, not of the photo."""
    image, _ = hazy()
    nodes = [make_node("exposure", {"value": -60}), make_node("dehaze", {"value": 50})]
    before = estimates(nodes, 0, image, 1.0)[1]
    exposed = Renderer().run(RenderRequest(nodes=nodes[:1], source=image, source_key="s"))
    np.testing.assert_allclose(before, airlight(exposed, RenderContext()), atol=0.02)
    assert np.all(before < airlight(image, RenderContext()) - 0.1)


def test_a_slider_move_reuses_the_estimate_and_an_upstream_change_does_not():
    image, _ = hazy()
    made = []
    spec = REGISTRY["dehaze"]
    original = spec.estimate
    object.__setattr__(spec, "estimate", lambda img, ctx: made.append(1) or original(img, ctx))  # OpSpec is frozen
    try:
        renderer = Renderer()
        exposure, dehaze = make_node("exposure", {"value": -30}), make_node("dehaze", {"value": 40})
        renderer.run(RenderRequest(nodes=[exposure, dehaze], source=image, source_key="s"))
        dehaze.params = {"value": 60}  # the dehaze slider moves: the same picture under it
        renderer.run(RenderRequest(nodes=[exposure, dehaze], source=image, source_key="s"))
        assert len(made) == 1
        exposure.params = {"value": -20}  # something before it changes: a new estimate
        renderer.run(RenderRequest(nodes=[exposure, dehaze], source=image, source_key="s"))
        assert len(made) == 2
    finally:
        object.__setattr__(spec, "estimate", original)


@pytest.mark.parametrize("values", [(30, 70), (30, -50)])
def test_a_drag_reuses_the_transmission(values):
    check_drag_reuses_what_the_value_does_not_change("dehaze", values)


@pytest.mark.parametrize("patch, step", [(1, 2), (2, 3), (8, 8), (3, 8)])
@pytest.mark.parametrize("row, column", [(0, 0), (1, 2), (4, 3)])
def test_the_dark_channel_at_the_grids_samples_is_the_dark_channel_there(patch, step, row, column):
    """Taken at the samples alone (the coarse grid's), the window minimum is the full dark channel's
    value there, at the picture's edges too (reflected as cv2.erode does)."""
    from iea_desktop.core.ops.dehaze import dark_channel, dark_samples

    image, _ = hazy(61, 75)
    image[5, 7] = [-0.5, 2.0, 0.1]  # out of range: read as it is
    np.testing.assert_array_equal(dark_samples(image, patch, HAZE, step, row, column),
                                  dark_channel(image, patch, HAZE)[row::step, column::step])


def fast_vs_formula(image, value, scale):
    """The op against its formula computed plainly: the full dark channel, filters.guided, the recovery in numpy."""
    from iea_desktop.core import filters
    from iea_desktop.core.ops import dehaze

    patch, radius = dehaze._radii(scale)
    t = filters.clipped_luma(image)
    a, b = filters.guided(t, 1 - dehaze.OMEGA * dehaze.dark_channel(image, patch, HAZE), radius, dehaze.EPS)
    t = np.clip(a * t + b, 0, 1)[..., None]
    x, v = np.clip(image, 0, 1), value / 100
    if v > 0:
        expected = (x - HAZE) / np.maximum(1 - v * (1 - t), dehaze.T_MIN) + HAZE
    else:
        expected = x - -v * (0.3 + 0.6 * (1 - t)) * (x - HAZE)
    got = REGISTRY["dehaze"].apply(image, {"value": value}, 1, RenderContext(scale=scale, estimate=HAZE))
    return got, np.clip(expected, 0, 1)


@pytest.mark.parametrize("value", [30, 100, -60])
@pytest.mark.parametrize("scale", [1.0, 0.27, 0.1])  # grids of 8 and 3 pixels, and full resolution
def test_the_fast_path_follows_the_formula_with_either_kernel(value, scale, pixel_kernel):
    image, _ = hazy(200, 160)
    got, expected = fast_vs_formula(image * 1.1 - 0.05, value, scale)
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_a_drag_of_the_first_node_reuses_the_transmission():
    """Dehaze as the first node reads the preview itself (not a read-only cached step): the
    estimate that the renderer keeps per state upstream stands for its pixels, so a second move
    computes no guided filter either, and gives the pixels of a render from scratch."""
    from iea_desktop.core import filters

    image, _ = hazy(600, 300)
    assert image.flags.writeable
    node, renderer = make_node("dehaze", {"value": 30}), Renderer()
    for value in (30, 31):
        node.params = {"value": value}
        renderer.run(RenderRequest(nodes=[node], source=image, source_key="drag"))
    node.params = {"value": 70}
    original, made = filters._coefficients, []
    filters._coefficients = lambda *args, **kwargs: made.append(1) or original(*args, **kwargs)
    try:
        dragged = renderer.run(RenderRequest(nodes=[node], source=image, source_key="drag"))
    finally:
        filters._coefficients = original
    assert not made
    np.testing.assert_array_equal(dragged, Renderer().run(RenderRequest(nodes=[node], source=image, source_key="new")))
