"""Highlights: raise (+) or lower (-) the upper mid-tones with a parabola, y + s y (1 - y)."""

import numpy as np

from .base import OpSpec, apply_curve, slider_map, table_from_curve, value_param


def curve(v: int):
    s = slider_map(v, -100, 100, -0.8, 0.8)
    return lambda y: y + s * y * (1.0 - y)


def exact(v: int) -> np.ndarray:
    return table_from_curve(curve(v))


OP = OpSpec(
    name="highlights",
    label="Highlights",
    help="Brighten (+) or recover (-) the lighter tones.",
    stage="B",
    order=60,
    params=value_param("+ brighter highlights, - recover highlights"),
    versions={1: lambda img, p, ctx: apply_curve(img, curve(p["value"]))},
    iea_tool=True,
    iea_exact=exact,
    point="curve",
    tiles=True,
)
