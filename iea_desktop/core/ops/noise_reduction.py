"""Noise reduction: luminance and colour noise separately, keeping edges (core/filters.py).

The picture is split into luma Y and two colour differences, Cb = B - Y and Cr = R - Y. Luminance:
Y is smoothed by the guided filter guided by itself (flat areas go to their local mean, edges
whose step is well above sqrt(eps) stay). Colour: Cb and Cr are smoothed over a larger radius by
the guided filter guided by Y, so colour follows the picture's edges and blotches within flat
areas are evened out. Radii are in full-resolution pixels, scaled to the render, so the preview
shows what the export will be at 1:1.
"""

from __future__ import annotations

import cv2
import numpy as np

from .. import filters
from .base import OpSpec, Param, RenderContext

WR, WG, WB = (float(w) for w in filters.LUMA[0])


def luminance_filter(amount: float) -> tuple[float, float, float]:
    """(radius in full-resolution pixels, eps, mix) for a luminance amount in 0..1."""
    return 1.0 + 2.0 * amount, (0.005 + 0.06 * amount) ** 2, min(1.0, 2.0 * amount)


def colour_filter(amount: float) -> tuple[float, float, float]:
    """(radius in full-resolution pixels, eps, mix) for a colour amount in 0..1."""
    return 3.0 + 9.0 * amount, (0.01 + 0.1 * amount) ** 2, min(1.0, 2.0 * amount)


def _in_pixels(radius: float, mix: float, scale: float) -> tuple[int, float]:
    """A radius in this render's pixels (at least 1) and the mix, lowered in proportion where the
    radius is under one pixel (a render that coarse shows only that share of the smoothing)."""
    r = radius * scale
    return max(1, round(r)), mix * min(1.0, r)


def _settings(p: dict, scale: float) -> tuple[tuple | None, tuple | None]:
    lum, col = p["luminance"] / 100.0, p["color"] / 100.0
    luminance = colour = None
    if lum > 0:
        radius, eps, mix = luminance_filter(lum)
        luminance = (*_in_pixels(radius, mix, scale), eps)
    if col > 0:
        radius, eps, mix = colour_filter(col)
        colour = (*_in_pixels(radius, mix, scale), eps)
    return luminance, colour


def halo(p: dict, ctx) -> int:
    luminance, colour = _settings(p, ctx.scale)
    return max([filters.reach(s[0]) + 1 for s in (luminance, colour) if s is not None], default=0)


def apply(image: np.ndarray, p: dict, ctx: RenderContext) -> np.ndarray:
    luminance, colour = _settings(p, ctx.scale)
    if luminance is None and colour is None:
        return np.clip(image, 0.0, 1.0).astype(np.float32, copy=False)
    rows, out = filters.target(image, ctx)
    y = filters.clipped_luma(image)
    yr = y[rows]
    d_y = None  # the change of Y on the rows wanted
    if luminance is not None:  # Y' = Y + mix (guided(Y) - Y)
        radius, mix, eps = luminance
        d_y, b = filters.guided(y, None, radius, eps, ctx.origin, rows)
        d_y *= yr
        d_y += b
        d_y -= yr
        d_y *= mix
    if colour is None:
        assert d_y is not None  # one of the two is set (the early return above)
        return filters.add_to_channels(out, d_y)
    radius, mix, eps = colour
    changes = []  # of B and R: d_y plus that of Cb = B - Y and Cr = R - Y
    for channel in (2, 0):  # C' = C + mix (guided_Y(C) - C)
        chroma = np.clip(image[..., channel], 0.0, 1.0) - y
        d, b = filters.guided(y, chroma, radius, eps, ctx.origin, rows)
        d *= yr
        d += b
        d -= chroma[rows]
        d *= mix
        if d_y is not None:
            d += d_y
        changes.append(d)
    d_b, d_r = changes
    # G from Y = wr R + wg G + wb B: its change is (d_y - wr d_r - wb d_b) / wg
    d_g = cv2.addWeighted(d_r, -WR / WG, d_b, -WB / WG, 0.0)
    if d_y is not None:
        cv2.scaleAdd(d_y, 1.0 / WG, d_g, dst=d_g)
    return filters.add_to_channels(out, d_r, d_g, d_b)


OP = OpSpec(
    name="noise_reduction",
    label="Noise reduction",
    help="Smooth away luminance noise (grain in brightness) and colour noise (coloured speckles and blotches).",
    stage="A",
    order=2,
    params=(
        Param("luminance", "Luminance", 0, 100, 0, "more smooths brightness noise more (fine detail goes with it)"),
        Param("color", "Colour", 0, 100, 0, "more evens out colour speckles and blotches"),
    ),
    versions={1: apply},
    tiles=True,
    halo=halo,
    math=(
        "On x = clip(image, 0, 1): luma Y = 0.2126 R + 0.7152 G + 0.0722 B, Cb = B - Y, Cr = R - Y. Luminance l = "
        "value / 100 > 0: Y' = Y + m (G(Y; Y, r, eps) - Y), G the guided filter (guide, input, radius, eps), "
        "r = 1 + 2 l px, eps = (0.005 + 0.06 l)^2, m = min(1, 2 l). Colour c = value / 100 > 0: (Cb, Cr)' = "
        "(Cb, Cr) + m (G(Y; Cb, Cr, r, eps) - (Cb, Cr)), r = 3 + 9 c px, eps = (0.01 + 0.1 c)^2, m = min(1, 2 c). "
        "Radii in full-resolution pixels times the render scale (at least 1; under 1, m is scaled by it). "
        "Back to RGB: R = Y' + Cr', B = Y' + Cb', G = (Y' - 0.2126 R - 0.0722 B) / 0.7152; clipped to [0, 1]."
    ),
)
