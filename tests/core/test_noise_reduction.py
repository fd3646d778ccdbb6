"""Noise reduction (core/ops/noise_reduction.py): luminance and colour noise separately, keeping
edges, the same at preview and export."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from PIL import Image

from iea_desktop.core.finish import to_uint8
from iea_desktop.core.graph import make_node
from iea_desktop.core.history import AddNode, Compound
from neighbourhood import (
    check_finite_and_in_range,
    check_identity,
    check_no_banding,
    check_preview_matches_export,
    check_strips_match_whole,
    luma,
    render,
    step_edge,
)

SETTINGS = [{"luminance": 100}, {"color": 100}, {"luminance": 50, "color": 50}]


def noisy_patch(size: int = 200, seed: int = 0) -> np.ndarray:
    """Flat mid-grey with independent noise in each channel (luminance and colour noise)."""
    rng = np.random.default_rng(seed)
    return np.clip(0.5 + 0.04 * rng.standard_normal((size, size, 3)), 0, 1).astype(np.float32)


def chroma_spread(image: np.ndarray) -> float:
    y = luma(image)
    return float(np.std(image[..., 2] - y) + np.std(image[..., 0] - y))


def test_identity_at_default(make_u8):
    check_identity("noise_reduction", make_u8(96, 128))


@pytest.mark.parametrize("params", SETTINGS)
def test_extremes_are_finite_and_in_range(params):
    check_finite_and_in_range("noise_reduction", params)


def test_more_luminance_means_less_luminance_noise():
    image = noisy_patch()
    spread = [float(np.std(luma(render(image, "noise_reduction", {"luminance": v})))) for v in (0, 10, 30, 60, 100)]
    assert all(a > b for a, b in zip(spread, spread[1:])), spread
    assert spread[-1] < 0.5 * spread[0]


def test_more_colour_means_less_colour_noise_and_keeps_the_luminance():
    image = noisy_patch()
    outs = [render(image, "noise_reduction", {"color": v}) for v in (0, 10, 30, 60, 100)]
    spread = [chroma_spread(out) for out in outs]
    assert all(a > b for a, b in zip(spread, spread[1:])), spread
    assert spread[-1] < 0.3 * spread[0]
    np.testing.assert_allclose(luma(outs[-1]), luma(image), atol=1e-5)  # colour only


def test_edges_stay_sharp():
    """A noisy step edge: the noise goes, the edge stays as steep as it was."""
    rng = np.random.default_rng(2)
    image = np.clip(step_edge(0.2, 0.8) + 0.03 * rng.standard_normal((64, 400, 3)), 0, 1).astype(np.float32)
    out = render(image, "noise_reduction", {"luminance": 100, "color": 100})
    y = luma(out).mean(axis=0)
    assert y[202] - y[197] > 0.5  # the 0.6 step is within 5 pixels, as it was
    assert np.std(luma(out)[:, :150]) < 0.5 * np.std(luma(image)[:, :150])


def test_the_preview_shows_the_export_at_one_to_one():
    """Radii are in full-resolution pixels: at half scale the smoothing reaches half as many pixels,
    so a noisy photo's preview shows what the export shows at the preview's size."""
    image = noisy_patch(400)
    params = {"luminance": 100}
    export = cv2.resize(render(image, "noise_reduction", params), (200, 200), interpolation=cv2.INTER_AREA)
    half = cv2.resize(image, (200, 200), interpolation=cv2.INTER_AREA)
    preview = render(half, "noise_reduction", params, scale=0.5)
    assert abs(np.std(luma(preview)) - np.std(luma(export))) < 0.25 * np.std(luma(half))


@pytest.mark.parametrize("params", SETTINGS)
def test_no_banding_on_a_ramp(params):
    check_no_banding("noise_reduction", params)


@pytest.mark.parametrize("params", SETTINGS)
def test_strips_match_the_whole_picture(params):
    check_strips_match_whole("noise_reduction", params)


@pytest.mark.parametrize("params", SETTINGS)
def test_preview_matches_export(params):
    # measured: 0.06 (colour), 0.24 (luminance: a 3-pixel radius is 2 pixels at half scale, not 1.5)
    check_preview_matches_export("noise_reduction", params, tolerance=0.3)


def test_render_params_take_the_new_tools(photo, tmp_path, capsys):
    """`render --params`: a number for a one-value tool, an object for noise reduction."""
    from iea_desktop import cli
    from iea_desktop.core.document import Document

    out = tmp_path / "out.png"
    params = {"clarity": 40, "texture": -20, "dehaze": 30, "noise_reduction": {"luminance": 50, "color": 60}}
    assert cli.main(["render", str(photo), "-o", str(out), "--params", json.dumps(params)]) == 0, capsys.readouterr().err
    doc = Document.open(photo)
    doc.apply(Compound([AddNode(make_node(name, value if isinstance(value, dict) else {"value": value}))
                        for name, value in params.items()]))
    with Image.open(out) as written:
        np.testing.assert_array_equal(np.asarray(written.convert("RGB")), to_uint8(doc.render_full()))
    assert cli.main(["render", str(photo), "-o", str(out), "--params", '{"noise_reduction": {"chroma": 5}}']) != 0
    assert "noise_reduction has no parameter 'chroma'" in capsys.readouterr().err


def plain_noise_reduction(image: np.ndarray, luminance: float, colour: float, scale: float) -> np.ndarray:
    """The op's formulas (its math text) computed plainly on the whole picture: Y' and (Cb, Cr)',
    back to R = Y' + Cr', B = Y' + Cb', G = (Y' - WR R - WB B) / WG."""
    from iea_desktop.core import filters
    from iea_desktop.core.ops import noise_reduction as nr

    x = np.clip(image, 0, 1).astype(np.float64)
    y = filters.clipped_luma(image)
    cb, cr = x[..., 2] - y, x[..., 0] - y
    y2, cb2, cr2 = y.astype(np.float64), cb, cr
    if luminance:
        radius, eps, mix = nr.luminance_filter(luminance / 100)
        r, mix = nr._in_pixels(radius, mix, scale)
        a, b = filters.guided(y, None, r, eps)
        y2 = y + mix * (a * y + b - y)
    if colour:
        radius, eps, mix = nr.colour_filter(colour / 100)
        r, mix = nr._in_pixels(radius, mix, scale)
        a, b = filters.guided(y, cb.astype(np.float32), r, eps)
        cb2 = cb + mix * (a * y + b - cb)
        a, b = filters.guided(y, cr.astype(np.float32), r, eps)
        cr2 = cr + mix * (a * y + b - cr)
    # as changes of the clipped channels (the luma of out-of-range pixels is clipped, not theirs)
    red, blue = x[..., 0] + (y2 - y) + (cr2 - cr), x[..., 2] + (y2 - y) + (cb2 - cb)
    green = x[..., 1] + (y2 - y) - nr.WR / nr.WG * (cr2 - cr) - nr.WB / nr.WG * (cb2 - cb)
    return np.clip(np.stack([red, green, blue], axis=-1), 0, 1)


@pytest.mark.parametrize("luminance, colour", [(30, 40), (0, 100), (100, 0), (5, 10)])
@pytest.mark.parametrize("scale", [1.0, 0.27])  # colour on a grid of 2 pixels, and at full resolution
def test_the_kernel_pass_follows_the_formula_with_either_kernel(luminance, colour, scale, pixel_kernel):
    from iea_desktop.core.ops import REGISTRY, RenderContext

    image = noisy_patch(120) * 1.1 - 0.05
    got = REGISTRY["noise_reduction"].apply(image, {"luminance": luminance, "color": colour}, 1, RenderContext(scale=scale))
    np.testing.assert_allclose(got, plain_noise_reduction(image, luminance, colour, scale), atol=2e-6)
