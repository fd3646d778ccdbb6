"""Dehaze: the dark-channel prior (He, Sun and Tang, "Single Image Haze Removal Using Dark Channel
Prior", 2009), with the transmission refined by the guided filter (core/filters.py).

A hazy picture is I = J t + A (1 - t): the scene J seen through haze of colour A (the atmospheric
light) that lets a share t (the transmission) through. Most patches of a clear scene have a pixel
with some channel near 0 (the dark channel), so haze is what lifts it: t = 1 - 0.95 dark(I / A).
A is a whole-picture estimate (the brightest dark-channel pixels); the renderer computes it once
on a small copy of the op's input (``OpSpec.estimate``, render.estimates), so that every strip,
the preview and the export use the same A.

Where the guided filter works on its coarse grid (core/filters.py), the raw transmission is only
needed at the grid's samples, so the dark channel's window minimum is taken there alone (the same
values, a step^2-th of the work); the recovery J is one pass of the compiled kernel (its TOWARD
stage: A + (clip(I) - A) w, w from t per pixel, then a clip).
"""

from __future__ import annotations

import cv2
import numpy as np

from .. import filters, kernel
from .base import OpSpec, RenderContext, value_param

PATCH = 8.0  # radius of the dark channel's minimum, full-resolution pixels
RADIUS = 32.0  # radius of the guided filter that refines the transmission, full-resolution pixels
EPS = 1e-3
OMEGA = 0.95  # He et al.: keep a little haze, so depth still reads
T_MIN = 0.1  # the least transmission divided by (noise would be amplified past 10 x)
BRIGHTEST = 0.001  # share of the dark channel's brightest pixels that A is the mean colour of


def _radii(scale: float) -> tuple[int, int]:
    return max(1, round(PATCH * scale)), max(1, round(RADIUS * scale))


def _darkest(x: np.ndarray, light: np.ndarray | None) -> np.ndarray:
    """min over the channels (of x / light, if given), a (h, w) plane."""
    scale = [np.float32(1.0 / c) for c in light] if light is not None else [np.float32(1)] * 3
    darkest = x[..., 0] * scale[0]
    for k in (1, 2):
        np.minimum(darkest, x[..., k] * scale[k], out=darkest)
    return darkest


def dark_channel(x: np.ndarray, patch: int, light: np.ndarray | None = None) -> np.ndarray:
    """min over the (2 patch + 1)^2 window of min over the channels (of x / light, if given)."""
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (2 * patch + 1, 2 * patch + 1))
    return cv2.erode(_darkest(x, light), kernel, borderType=filters.BORDER)


def dark_samples(x: np.ndarray, patch: int, light: np.ndarray | None, step: int, row: int, column: int) -> np.ndarray:
    """dark_channel(x, patch, light)[row::step, column::step], the window minimum taken at those
    pixels alone: down the sampled rows' windows, then along them (the same values and borders)."""
    darkest = cv2.copyMakeBorder(_darkest(x, light), patch, patch, patch, patch, filters.BORDER)
    count = len(range(row, x.shape[0], step))
    span = (count - 1) * step + 1  # padded row r + patch is row r: row's window starts at padded row ``row``
    lines = darkest[row : row + span : step].copy()
    for k in range(1, 2 * patch + 1):
        np.minimum(lines, darkest[row + k : row + k + span : step], out=lines)
    along = cv2.erode(lines, np.ones((1, 2 * patch + 1), np.uint8), borderType=filters.BORDER)
    return np.ascontiguousarray(along[:, patch + column : patch + x.shape[1] : step])


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
    rows, out = filters.wanted(image, ctx)
    a = ctx.estimate if ctx.estimate is not None else airlight(image, ctx)
    a4 = (*(float(c) for c in a), 0.0)  # OpenCV's per-channel scalar
    patch, radius = _radii(ctx.scale)

    def transmission() -> np.ndarray:
        """t on the rows wanted: 1 - OMEGA dark(I / A), refined by the guided filter on the luma."""
        coarse = filters.grid(radius, ctx.origin, *image.shape[:2])
        if coarse is None:
            t_raw = dark_channel(image, patch, a)
            y = filters.clipped_luma(image)
            t_raw *= -OMEGA
            t_raw += 1.0
            t, gb = filters.guided(y, t_raw, radius, EPS, ctx.origin, rows)
            y = y[rows]
        else:  # the guide and the raw transmission at the grid's samples alone
            row, column = filters.samples(*coarse)
            step = coarse[0]
            t_raw = dark_samples(image, patch, a, step, row, column)
            t_raw *= -OMEGA
            t_raw += 1.0
            small_y = filters.clipped_luma(np.ascontiguousarray(image[row::step, column::step]))
            t, gb = filters.guided_on_grid(small_y, t_raw, radius, EPS, coarse, rows, image.shape[1])
            y = filters.clipped_luma(np.ascontiguousarray(image[rows]))
        t *= y
        t += gb
        return np.ascontiguousarray(np.clip(t, 0.0, 1.0, out=t))  # the kernel reads it: _up's may be cut

    t = MEMO.get(image, ctx, (patch, radius, a4), transmission, token=ctx.estimate)
    if v > 0:  # J = A + (I - A) / t_v, t_v = 1 - v (1 - t) = v t + 1 - v: v = 1 is He et al.'s recovery
        stage = (kernel.TOWARD, t, v, 1.0 - v, T_MIN, a4[:3], 1)
    else:  # more haze: J = A + (I - A) (1 - h), h = |v| (0.3 + 0.6 (1 - t)): thicker where the haze already is
        stage = (kernel.TOWARD, t, -0.6 * v, 1.0 + 0.9 * v, 0.0, a4[:3], 0)
    source = np.ascontiguousarray(image[rows], dtype=np.float32)
    return kernel.run(source, out, [stage, *ctx.then_stages(rows, image.shape[1])])


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
    fuses_after=True,
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
