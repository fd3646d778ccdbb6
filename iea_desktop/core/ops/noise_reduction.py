"""Noise reduction: luminance and colour noise separately, keeping edges (core/filters.py).

The picture is split into luma Y and two colour differences, Cb = B - Y and Cr = R - Y. Luminance:
Y is smoothed by the guided filter guided by itself (flat areas go to their local mean, edges
whose step is well above sqrt(eps) stay). Colour: Cb and Cr are smoothed over a larger radius by
the guided filter guided by Y, so colour follows the picture's edges and blotches within flat
areas are evened out. Radii are in full-resolution pixels, scaled to the render, so the preview
shows what the export will be at 1:1.

Cb and Cr are filtered on the guided filter's coarse grid from their values at its samples alone,
where it has one; the changes of Y, Cb and Cr go into the channels in one pass of the compiled
kernel (a PLANES stage: its matrix, each column times its plane's mix, turns them into changes of
R, G and B, then the clip).
"""

from __future__ import annotations

import numpy as np

from .. import filters, kernel
from .base import OpSpec, Param, RenderContext

WR, WG, WB = filters.LUMA_WEIGHTS
# The changes of Y, Cb and Cr as changes of R, G and B: R = Y + Cr, B = Y + Cb, and G keeps
# Y = WR R + WG G + WB B, so its change is that of Y less WR / WG of Cr's and WB / WG of Cb's.
TO_RGB = ((1.0, 0.0, 1.0), (1.0, -WB / WG, -WR / WG), (1.0, 1.0, 0.0))


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
    rows, out = filters.wanted(image, ctx)
    y = filters.clipped_luma(image)
    yr = y[rows]
    d_y = d_cb = d_cr = None  # the changes of Y, Cb and Cr on the rows wanted, before their mix
    mixes = [0.0, 0.0, 0.0]  # ... which the kernel's matrix applies (one pass less per plane)
    if luminance is not None:  # Y' = Y + mix (guided(Y) - Y)
        radius, mixes[0], eps = luminance
        # on the rows its own radius reads (the strip's context is the colour filter's, wider)
        reach = filters.reach(radius)
        lo, hi = max(0, rows.start - reach), min(image.shape[0], rows.stop + reach)
        near = slice(rows.start - lo, rows.stop - lo)
        d_y, b = filters.guided(y[lo:hi], None, radius, eps, ctx.origin + lo, near)
        d_y *= yr
        d_y += b
        d_y -= yr
    if colour is not None:  # C' = C + mix (guided_Y(C) - C) for C = Cb = B - Y, Cr = R - Y
        radius, mixes[1], eps = colour
        mixes[2] = mixes[1]
        coarse = filters.grid(radius, ctx.origin, *image.shape[:2])
        changes = []
        for channel in (2, 0):
            chroma = np.clip(image[rows, :, channel], 0.0, 1.0) - yr
            if coarse is None:
                whole = chroma if rows == slice(0, image.shape[0]) else np.clip(image[..., channel], 0.0, 1.0) - y
                d, b = filters.guided(y, whole, radius, eps, ctx.origin, rows)
            else:  # the guide and the input at the grid's samples alone
                row, column = filters.samples(*coarse)
                step = coarse[0]
                small_y = np.ascontiguousarray(y[row::step, column::step])
                small = np.clip(image[row::step, column::step, channel], 0.0, 1.0) - small_y
                d, b = filters.guided_on_grid(small_y, small, radius, eps, coarse, rows, image.shape[1])
            d *= yr
            d += b
            d -= chroma
            changes.append(d)
        d_cb, d_cr = changes
    source = np.ascontiguousarray(image[rows], dtype=np.float32)
    planes = tuple(None if d is None else np.ascontiguousarray(d) for d in (d_y, d_cb, d_cr))  # _up's may be cut
    matrix = tuple(tuple(float(np.float32(m * mix)) for m, mix in zip(row, mixes)) for row in TO_RGB)
    return kernel.run(source, out, [(kernel.PLANES, planes, matrix), *ctx.then_stages(rows, image.shape[1])])


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
    fuses_after=True,
    math=(
        "On x = clip(image, 0, 1): luma Y = 0.2126 R + 0.7152 G + 0.0722 B, Cb = B - Y, Cr = R - Y. Luminance l = "
        "value / 100 > 0: Y' = Y + m (G(Y; Y, r, eps) - Y), G the guided filter (guide, input, radius, eps), "
        "r = 1 + 2 l px, eps = (0.005 + 0.06 l)^2, m = min(1, 2 l). Colour c = value / 100 > 0: (Cb, Cr)' = "
        "(Cb, Cr) + m (G(Y; Cb, Cr, r, eps) - (Cb, Cr)), r = 3 + 9 c px, eps = (0.01 + 0.1 c)^2, m = min(1, 2 c). "
        "Radii in full-resolution pixels times the render scale (at least 1; under 1, m is scaled by it). "
        "Back to RGB: R = Y' + Cr', B = Y' + Cb', G = (Y' - 0.2126 R - 0.0722 B) / 0.7152; clipped to [0, 1]."
    ),
)
