"""Clarity: local contrast at a middle scale, weighted to the mid-tones, without halos at edges.

On the luma Y of x = clip(image, 0, 1): base = the guided filter of Y by itself (radius R
full-resolution pixels, scaled to the render; eps, see core/filters.py), detail = Y - base, and

    Y' = Y + k w(base) detail,  w(b) = 4 b (1 - b),  k = gain v / 100 (v > 0) or v / 100 (v < 0)

added to every channel (x + Y' - Y, clipped to [0, 1]). w is 1 at mid-grey and falls to 0 at black
and white, so deep shadows and highlights change little. An edge whose step is well above
sqrt(eps) stays in the base (the guided filter keeps it), so it is not boosted and makes no halo;
what is boosted is the smaller variation around it. At -100 the result is the base: the local
variation is smoothed away. ``texture.py`` is the same at a fine scale.

Per strip, the guided filter's coefficients A and B are computed (on its coarse grid, where it has
one, from the luma at the grid's samples alone); the rest is one pass of the compiled kernel (its
DETAIL stage: Y, base = A Y + B and the change, per pixel). During a drag A and B are kept
(filters.Memo), and only that pass runs again.
"""

from __future__ import annotations

import numpy as np

from .. import filters, kernel
from .base import OpSpec, value_param


def local_contrast(radius: float, eps: float, gain: float):
    """(pixel function, halo) of a local-contrast op at ``radius`` full-resolution pixels."""

    def pixels(scale: float) -> tuple[int, float]:
        """Radius in this render's pixels, and the share of the effect a render this coarse shows
        (a radius under one pixel is finer than its pixels: only that fraction of it)."""
        r = radius * scale
        return max(1, round(r)), min(1.0, r)

    def halo(p: dict, ctx) -> int:
        return 0 if p["value"] == 0 else filters.reach(pixels(ctx.scale)[0]) + 1

    memo = filters.Memo()

    def apply(image: np.ndarray, p: dict, ctx) -> np.ndarray:
        v = p["value"] / 100.0
        if v == 0:
            return np.clip(image, 0.0, 1.0).astype(np.float32, copy=False)
        r, share = pixels(ctx.scale)
        k = float(np.float32((gain * v if v > 0 else v) * share))
        rows, out = filters.wanted(image, ctx)
        a, b = memo.get(image, ctx, (r, eps), lambda: filters.self_guided(image, r, eps, ctx.origin, rows))
        source = np.ascontiguousarray(image[rows], dtype=np.float32)
        stages = [(kernel.DETAIL, a, b, k, filters.LUMA_WEIGHTS, 1), *ctx.then_stages(rows, image.shape[1])]
        return kernel.run(source, out, stages)

    return apply, halo


RADIUS, EPS, GAIN = 32.0, 0.08**2, 1.0
apply, halo = local_contrast(RADIUS, EPS, GAIN)


def describe(radius: float, eps: float, gain: float) -> str:
    """The math of a local-contrast op, for docs/tools.md."""
    return (
        "On x = clip(image, 0, 1) and its luma Y = 0.2126 R + 0.7152 G + 0.0722 B: base = A Y + B, the guided "
        f"filter of Y by itself (radius r = {radius:g} px at full resolution times the render scale, at least 1; "
        f"eps = {eps:g}; computed on a grid of about r / 3 px cells past r = 5, the fast guided filter), "
        f"Y' = Y + k w (Y - base) with w = 4 base (1 - base) (mid-tones) and k = {gain:g} v / 100 for v > 0, "
        "v / 100 for v < 0 (v = value; k is scaled by r when r < 1 px); out = clip(x + Y' - Y, 0, 1) on every "
        "channel. Edges well above sqrt(eps) stay in the base, so they get no halo."
    )


OP = OpSpec(
    name="clarity",
    label="Clarity",
    help="Local contrast at a middle scale, mostly in the mid-tones (+ more punch, - softer).",
    stage="C",
    order=139,
    params=value_param("+ more local contrast, - less"),
    versions={1: apply},
    tiles=True,
    halo=halo,
    fuses_after=True,
    math=describe(RADIUS, EPS, GAIN),
)
