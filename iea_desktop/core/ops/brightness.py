"""Brightness: add a constant to every channel."""

import numpy as np

from .base import OpSpec, slider_map, value_param


def exact(x: np.ndarray, v: int) -> np.ndarray:
    return x + slider_map(v, -100, 100, -0.5, 0.5)


OP = OpSpec(
    name="brightness",
    label="Brightness",
    help="Lift (+) or lower (-) every tone by the same amount.",
    stage="A",
    order=20,
    params=value_param("+ lighter, - darker"),
    versions={1: lambda img, p, ctx: exact(img, p["value"])},
    iea_tool=True,
    iea_exact=exact,
    point="affine",
    tiles=True,
)
