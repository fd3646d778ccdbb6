"""Dehaze: the dark-channel prior (He, Sun and Tang, "Single Image Haze Removal Using Dark Channel
Prior", 2009), with the transmission refined by the guided filter (core/filters.py).

A hazy picture is I = J t + A (1 - t): the scene J seen through haze of colour A (the atmospheric
light) that lets a share t (the transmission) through. Most patches of a clear scene have a pixel
with some channel near 0 (the dark channel), so haze is what lifts it: t = 1 - 0.95 dark(I / A).
A is a whole-picture estimate (the brightest dark-channel pixels); the renderer computes it once
on a small copy of the op's input (``OpSpec.estimate``, render.estimates), so that every strip,
the preview and the export use the same A.
"""

from __future__ import annotations

import cv2
import numpy as np

from .. import filters
from .base import OpSpec, RenderContext, value_param

PATCH = 8.0  # radius of the dark channel's minimum, full-resolution pixels
RADIUS = 32.0  # radius of the guided filter that refines the transmission, full-resolution pixels
EPS = 1e-3
OMEGA = 0.95  # He et al.: keep a little haze, so depth still reads
T_MIN = 0.1  # the least transmission divided by (noise would be amplified past 10 x)
BRIGHTEST = 0.001  # share of the dark channel's brightest pixels that A is the mean colour of


def _radii(scale: float) -> tuple[int, int]:
    return max(1, round(PATCH * scale)), max(1, round(RADIUS * scale))


def dark_channel(x: np.ndarray, patch: int, light: np.ndarray | None = None) -> np.ndarray:
    """min over the (2 patch + 1)^2 window of min over the channels (of x / light, if given)."""
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * patch + 1, 2 * patch + 1))
    scale = [np.float32(1.0 / c) for c in light] if light is not None else [np.float32(1)] * 3
    darkest = x[..., 0] * scale[0]
    for k in (1, 2):
        np.minimum(darkest, x[..., k] * scale[k], out=darkest)
    return cv2.erode(darkest, kernel, borderType=filters.BORDER)


def airlight(image: np.ndarray, ctx: RenderContext) -> np.ndarray:
    """A: the mean colour of the brightest BRIGHTEST of the dark channel's pixels (at least one),
    kept between 0.05 and 1 so that I / A stays finite."""
    x = np.clip(image, 0.0, 1.0).astype(np.float32, copy=False)
    dark = dark_channel(x, _radii(ctx.scale)[0]).ravel()
    count = max(1, int(dark.size * BRIGHTEST))
    brightest = np.argpartition(dark, dark.size - count)[dark.size - count :]
    return np.clip(x.reshape(-1, 3)[brightest].mean(axis=0), 0.05, 1.0).astype(np.float32)


def halo(p: dict, ctx) -> int:
    if p["value"] == 0:
        return 0
    patch, radius = _radii(ctx.scale)
    return patch + filters.reach(radius) + 1


MEMO = filters.Memo()


def apply(image: np.ndarray, p: dict, ctx: RenderContext) -> np.ndarray:
    v = p["value"] / 100.0
    if v == 0:
        return np.clip(image, 0.0, 1.0).astype(np.float32, copy=False)
    rows, out = filters.target(image, ctx)  # out: clip(I) on the rows wanted
    a = ctx.estimate if ctx.estimate is not None else airlight(image, ctx)
    a4 = (*(float(c) for c in a), 0.0)  # OpenCV's per-channel scalar
    patch, radius = _radii(ctx.scale)

    def transmission() -> np.ndarray:
        """t on the rows wanted: 1 - OMEGA dark(I / A), refined by the guided filter on the luma."""
        t_raw = dark_channel(image, patch, a)
        t_raw *= -OMEGA
        t_raw += 1.0
        y = filters.clipped_luma(image)
        t, gb = filters.guided(y, t_raw, radius, EPS, ctx.origin, rows)
        t *= y[rows]
        t += gb
        return np.clip(t, 0.0, 1.0, out=t)

    t = MEMO.get(image, ctx, (patch, radius, a4), transmission)
    if v > 0:  # J = (I - A) / t_v + A, t_v = 1 - v (1 - t): v = 1 is He et al.'s recovery
        t = t * np.float32(v)
        t += 1.0 - v
        np.maximum(t, T_MIN, out=t)
        np.divide(1.0, t, out=t)
        # a4 is a Scalar (a tuple), which OpenCV takes and its type stubs do not list.
        cv2.subtract(out, a4, dst=out)  # type: ignore[call-overload]
        cv2.multiply(out, filters.three(t), dst=out)
        cv2.add(out, a4, dst=out)
    else:  # more haze: J = I - h (I - A), h = |v| (0.3 + 0.6 (1 - t)): thicker where the haze already is
        t = t * np.float32(0.6 * v)
        t += -0.9 * v
        from_a = cv2.subtract(out, a4)  # type: ignore[call-overload]  # a4: a Scalar, as above
        cv2.subtract(out, cv2.multiply(from_a, filters.three(t), dst=from_a), dst=out)
    return np.clip(out, 0.0, 1.0, out=out)


OP = OpSpec(
    name="dehaze",
    label="Dehaze",
    help="Remove haze and fog (+) or add it (-).",
    stage="A",
    order=7,
    params=value_param("+ clearer, - hazier"),
    versions={1: apply},
    tiles=True,
    halo=halo,
    estimate=airlight,
    math=(
        "Haze model I = J t + A (1 - t) on x = clip(image, 0, 1). Dark channel dark(I) = min over a window of "
        f"radius {PATCH:g} px (full resolution, scaled to the render) of min over R, G, B. Atmospheric light A: "
        f"the mean colour of the {BRIGHTEST:.1%} brightest dark-channel pixels of the op's input, estimated once "
        "per render on a copy downscaled to 256 px (the same for preview, export and every strip), kept in "
        f"0.05..1. Transmission t = 1 - {OMEGA} dark(I / A), refined by the guided filter guided by the luma "
        f"(radius {RADIUS:g} px, eps {EPS:g}). With v = value / 100: v > 0, J = (I - A) / max(1 - v (1 - t), "
        f"{T_MIN}) + A; v < 0, J = I + |v| (0.3 + 0.6 (1 - t)) (A - I). Clipped to [0, 1]."
    ),
)
