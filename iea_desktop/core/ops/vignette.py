"""Vignette: darken (+) or lighten (-) the corners with a radial mask."""

from functools import lru_cache

import numpy as np

from .base import OpSpec, value_param


@lru_cache(maxsize=8)
def _radius(height: int, width: int) -> np.ndarray:
    """Distance of each pixel from (w/2, h/2), divided by the largest such distance (corners = 1)."""
    ys, xs = np.ogrid[:height, :width]
    r = np.sqrt((xs - width / 2.0) ** 2 + (ys - height / 2.0) ** 2)
    r /= r.max() if r.max() > 0 else 1.0
    r.setflags(write=False)
    return r


def mask(height: int, width: int, v: int) -> np.ndarray:
    a = abs(v)
    k = 1.0 - 0.005 * a
    g = 0.5 + 0.015 * a
    return (np.clip(_radius(height, width) / k, 0.0, 1.0) ** g).astype(np.float32)


def exact(x: np.ndarray, v: int) -> np.ndarray:
    if v == 0:
        return x
    x = np.clip(x, 0.0, 1.0)
    s = 0.009 * abs(v)
    m = mask(x.shape[0], x.shape[1], v)[..., None]
    if v > 0:
        return x * (1.0 - s * m)
    return x + s * m * (1.0 - x)


OP = OpSpec(
    name="vignette",
    label="Vignette",
    help="Darken (+) or lighten (-) the corners to frame the subject.",
    stage="D",
    order=150,
    params=value_param("+ darker corners, - lighter corners"),
    versions={1: lambda img, p, ctx: exact(img, p["value"])},
    iea_tool=True,
    iea_exact=exact,
)
