"""Exposure: multiply by up to one stop either way (on gamma-encoded values, as the IEA reference)."""

import numpy as np

from .base import OpSpec, slider_map, value_param


def exact(x: np.ndarray, v: int) -> np.ndarray:
    return x * 2.0 ** slider_map(v, -100, 100, -1.0, 1.0)


OP = OpSpec(
    name="exposure",
    label="Exposure",
    help="Brighten (+) or darken (-) the whole photo, up to one stop.",
    stage="A",
    order=10,
    params=value_param("+ brighter, - darker; 100 = one stop"),
    versions={1: lambda img, p, ctx: exact(img, p["value"])},
    iea_tool=True,
    iea_exact=exact,
    point="affine",
    tiles=True,
)
