"""Clarity and texture (core/ops/clarity.py, texture.py): local contrast at two scales, mid-tone
weighted, without halos at edges."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from neighbourhood import (
    check_drag_reuses_what_the_value_does_not_change,
    check_finite_and_in_range,
    check_identity,
    check_no_banding,
    check_preview_matches_export,
    check_strips_match_whole,
    luma,
    render,
    step_edge,
    textured,
)

OPS = ["clarity", "texture"]
RADIUS = {"clarity": 32, "texture": 4}  # full-resolution pixels (clarity.RADIUS, texture.RADIUS)


def local_contrast(image: np.ndarray, radius: int) -> float:
    """Standard deviation of the luma around its local mean at the op's scale."""
    y = luma(image)
    return float(np.std(y - cv2.GaussianBlur(y, (0, 0), radius)))


@pytest.mark.parametrize("op", OPS)
def test_identity_at_default(op, make_u8):
    check_identity(op, make_u8(96, 128))


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("value", [-100, 100])
def test_extremes_are_finite_and_in_range(op, value):
    check_finite_and_in_range(op, {"value": value})


@pytest.mark.parametrize("op", OPS)
def test_more_means_more_local_contrast(op):
    image = textured(300, 400)
    measured = [local_contrast(render(image, op, {"value": v}), RADIUS[op]) for v in (-100, -50, 0, 50, 100)]
    assert all(a < b for a, b in zip(measured, measured[1:])), measured
    assert measured[-1] > 1.15 * measured[2] and measured[0] < 0.95 * measured[2], measured


@pytest.mark.parametrize("op", OPS)
def test_mid_tones_change_most(op):
    """The same texture at mid-grey, in deep shadow and in a highlight: the mid-tones gain most."""
    rng = np.random.default_rng(1)
    texture = cv2.GaussianBlur(rng.standard_normal((200, 200)).astype(np.float32), (0, 0), 1.0) * 0.02
    gains = {}
    for level in (0.04, 0.5, 0.96):
        image = np.repeat((level + texture)[..., None], 3, axis=2).astype(np.float32)
        gains[level] = local_contrast(render(image, op, {"value": 100}), RADIUS[op]) / local_contrast(image, RADIUS[op])
    assert gains[0.5] > 1.3
    assert gains[0.04] - 1 < 0.4 * (gains[0.5] - 1) and gains[0.96] - 1 < 0.4 * (gains[0.5] - 1), gains


@pytest.mark.parametrize("low,high", [(0.3, 0.7), (0.2, 0.8), (0.1, 0.6)])
def test_no_halo_at_a_step_edge(low, high):
    """Clarity +100 on a strong step edge: a small overshoot next to the edge (an unsharp mask of
    the same radius and strength would overshoot by half the step), none past its neighbourhood."""
    out = render(step_edge(low, high, width=600), "clarity", {"value": 100})[32, :, 1]
    edge, step = 300, high - low
    left, right = out[:edge], out[edge:]
    assert low - left.min() <= 0.2 * step and right.max() - high <= 0.2 * step
    far = 3 * RADIUS["clarity"]
    assert np.abs(left[:edge - far] - low).max() <= 0.01 and np.abs(right[far:] - high).max() <= 0.01
    assert left.max() < right.min()  # no ringing that crosses over


def test_texture_leaves_an_edge_alone():
    out = render(step_edge(0.2, 0.8), "texture", {"value": 100})[32, :, 1]
    assert np.abs(out[:190] - 0.2).max() < 1e-4 and np.abs(out[210:] - 0.8).max() < 1e-4
    assert out.min() >= 0.2 - 0.03 and out.max() <= 0.8 + 0.03


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("value", [-100, 100])
def test_no_banding_on_a_ramp(op, value):
    check_no_banding(op, {"value": value})


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("value", [-70, 60])
def test_strips_match_the_whole_picture(op, value):
    check_strips_match_whole(op, {"value": value})


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("value", [-100, 100])
def test_preview_matches_export(op, value):
    check_preview_matches_export(op, {"value": value}, tolerance=0.2)  # measured: 0.07 (texture), 0.13 (clarity)


@pytest.mark.parametrize("op", OPS)
def test_a_drag_reuses_the_base_layer(op):
    check_drag_reuses_what_the_value_does_not_change(op, (30, -50))


@pytest.mark.parametrize("op, radius, eps, gain", [("clarity", 32.0, 0.08**2, 1.0), ("texture", 4.0, 0.04**2, 1.5)])
@pytest.mark.parametrize("value", [40, -100])
@pytest.mark.parametrize("scale", [1.0, 0.27])  # clarity on grids of 8 and 3 pixels; texture at full resolution
def test_the_kernel_pass_follows_the_formula_with_either_kernel(op, radius, eps, gain, value, scale, pixel_kernel):
    """A and B per strip and the DETAIL pass (compiled or numpy) against the formula computed plainly."""
    from iea_desktop.core import filters
    from iea_desktop.core.ops import REGISTRY, RenderContext

    image = textured(180, 150) * 1.1 - 0.05
    r = max(1, round(radius * scale))
    y = filters.clipped_luma(image)
    a, b = filters.guided(y, None, r, eps)
    base = a * y + b
    k = (gain if value > 0 else 1.0) * value / 100 * min(1.0, radius * scale)
    expected = np.clip(np.clip(image, 0, 1) + (k * 4 * base * (1 - base) * (y - base))[..., None], 0, 1)
    got = REGISTRY[op].apply(image, {"value": value}, 1, RenderContext(scale=scale))
    np.testing.assert_allclose(got, expected, atol=2e-6)
