"""Whites: scale tones so the white point moves, y + s y."""

import numpy as np

from .base import OpSpec, apply_curve, slider_map, table_from_curve, value_param


def curve(v: int):
    s = slider_map(v, -100, 100, -0.8, 0.8)
    return lambda y: y + s * y


def exact(v: int) -> np.ndarray:
    return table_from_curve(curve(v))


OP = OpSpec(
    name="whites",
    label="Whites",
    help="Push the brightest tones up (+, may clip) or down (-).",
    stage="B",
    order=80,
    params=value_param("+ brighter whites, - duller whites"),
    versions={1: lambda img, p, ctx: apply_curve(img, curve(p["value"]))},
    iea_tool=True,
    iea_exact=exact,
    point="curve",
    tiles=True,
)
