"""Vignette: darken (+) or lighten (-) the corners with a radial mask.

The mask depends only on the picture's size and the value, so it is computed for any band of
rows (the renderer works in strips) and kept for preview-sized pictures. In the float pipeline
the op is a per-pixel multiply-add (a "field", see OpSpec.fields), which the renderer fuses with
its neighbours.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .base import field_op, value_param

_KEEP_PIXELS = 4_000_000  # whole masks up to this size are kept (preview proxies)

# The IEA reference's vignette, for a = |v| (iea-tools.md): the mask is clip(r / k, 0, 1) ** g, r
# being the distance from the centre over the corners', and the corners darken (v > 0) or lighten
# (v < 0) by s times the mask.
REACH_PER_STEP = 0.005  # k = 1 - 0.005 a: the mask is 1 from r = k out
GAMMA, GAMMA_PER_STEP = 0.5, 0.015  # g = 0.5 + 0.015 a: the mask's fall-off
STRENGTH_PER_STEP = 0.009  # s = 0.009 a: the corners up to 90 % darker or lighter


def _reference(v: int) -> tuple[float, float, float]:
    """The reference's (k, g, s) for the value v."""
    a = abs(v)
    return 1.0 - REACH_PER_STEP * a, GAMMA + GAMMA_PER_STEP * a, STRENGTH_PER_STEP * a


def _largest_radius(height: int, width: int) -> float:
    """The distance of pixel (0, 0) from (w/2, h/2), the largest there is (1 for an empty picture)."""
    return float(np.sqrt((0 - width / 2.0) ** 2 + (0 - height / 2.0) ** 2)) or 1.0


def _radius_rows(height: int, width: int, y0: int, y1: int) -> np.ndarray:
    """Distance of each pixel of rows y0..y1 from (w/2, h/2), divided by the largest such distance (corners = 1)."""
    ys, xs = np.ogrid[y0:y1, :width]
    r = np.sqrt((xs - width / 2.0) ** 2 + (ys - height / 2.0) ** 2)
    r /= _largest_radius(height, width)
    return r


def _mask_rows(height: int, width: int, v: int, y0: int, y1: int) -> np.ndarray:
    """The mask as the IEA reference computes it, in double precision."""
    k, g, _ = _reference(v)
    r = _radius_rows(height, width, y0, y1)
    return (np.clip(r / k, 0.0, 1.0) ** g).astype(np.float32)


@lru_cache(maxsize=2)
def _kept_mask(height: int, width: int, v: int) -> np.ndarray:
    m = _mask_rows(height, width, v, 0, height)
    m.setflags(write=False)
    return m


def mask(height: int, width: int, v: int, y0: int = 0, y1: int | None = None) -> np.ndarray:
    """The float32 mask of rows y0..y1 (default: all) of a height x width picture."""
    y1 = height if y1 is None else y1
    if height * width <= _KEEP_PIXELS:
        return _kept_mask(height, width, v)[y0:y1]
    return _mask_rows(height, width, v, y0, y1)


def _vignette(x: np.ndarray, v: int, m: np.ndarray) -> np.ndarray:
    s = _reference(v)[2]
    m = m[..., None]
    if v > 0:
        return x * (1.0 - s * m)
    return x + s * m * (1.0 - x)


def exact(x: np.ndarray, v: int) -> np.ndarray:
    """The IEA reference's vignette (used by iea_exact.py) on a whole picture."""
    if v == 0:
        return x
    x = np.clip(x, 0.0, 1.0)
    return _vignette(x, v, mask(x.shape[0], x.shape[1], v))


@lru_cache(maxsize=2)
def _kept_factors(height: int, width: int, v: int) -> tuple[np.ndarray, np.ndarray | None]:
    f, g = _factors(height, width, v, 0, height)
    for a in (f, g):
        if a is not None:
            a.setflags(write=False)
    return f, g


def _factors(height: int, width: int, v: int, y0: int, y1: int) -> tuple[np.ndarray, np.ndarray | None]:
    """(f, g), a value per pixel, with vignette(x) = x f + g: f = 1 - s m, and g = s m when v < 0.

    The float pipeline's mask, in float32 and in place (one array, six passes: a 24 MP export makes
    it strip by strip); the IEA-exact pipeline keeps its double-precision ``mask``."""
    k, g, s = _reference(v)
    ys, xs = np.ogrid[y0:y1, :width]
    m = np.add(((ys - height / 2.0) ** 2).astype(np.float32), ((xs - width / 2.0) ** 2).astype(np.float32))
    np.sqrt(m, out=m)
    m *= np.float32(1.0 / (_largest_radius(height, width) * k))  # r / k, with r = distance / largest
    np.minimum(m, np.float32(1.0), out=m)
    np.power(m, np.float32(g), out=m)
    m *= np.float32(s)
    lift = m.copy() if v < 0 else None
    np.subtract(np.float32(1.0), m, out=m)
    return m, lift


def field(p: dict, ctx, rows: int, width: int) -> tuple[np.ndarray | None, np.ndarray | None, float]:
    """The float pipeline's vignette as clip(x) f + g, for any strip of the picture (see OpSpec.fields)."""
    v = p["value"]
    if v == 0:
        return None, None, 0.0
    height, width = ctx.frame_size(rows, width)
    y0, y1 = ctx.origin, ctx.origin + rows
    if height * width <= _KEEP_PIXELS:
        f, g = _kept_factors(height, width, v)
        return f[y0:y1], (None if g is None else g[y0:y1]), 1.0
    f, g = _factors(height, width, v, y0, y1)
    return f, g, 1.0


FIELDS = {1: field}


OP = field_op(
    FIELDS,
    name="vignette",
    label="Vignette",
    help="Darken (+) or lighten (-) the corners to frame the subject.",
    stage="D",
    order=150,
    params=value_param("+ darker corners, - lighter corners"),
    iea_tool=True,
    iea_exact=exact,
)
