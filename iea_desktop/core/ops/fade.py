"""Fade: lift the blacks towards white and flatten, a washed-out film look (positive values only)."""

import numpy as np

from .base import OpSpec, slider_map, value_param


def exact(x: np.ndarray, v: int) -> np.ndarray:
    # Negative values give s = 0: the identity up to float32 rounding, evaluated as the reference does.
    s = slider_map(v, 0, 100, 0.0, 0.6)
    x = x + s * (1.0 - x)
    return 0.5 + (1.0 - 0.5 * s) * (x - 0.5)


OP = OpSpec(
    name="fade",
    label="Fade",
    help="Wash the photo out like faded film (+); negative values do nothing.",
    stage="A",
    order=40,
    params=value_param("+ more faded; values below 0 have no effect"),
    versions={1: lambda img, p, ctx: exact(img, p["value"])},
    iea_tool=True,
    iea_exact=exact,
    point="affine",
    tiles=True,
)
