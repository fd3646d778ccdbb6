"""Contrast: stretch or squeeze tones around middle grey.

Version 1 is the IEA reference: k = 1.25 + 0.0075 v, so the slider jumps from k = 1 at 0 to
k ~ 1.25 at +-1 and only reduces contrast below about -33. Version 2 is continuous and
monotonic, k = 2^(v/100), with the same end points (0.5 .. 2).
"""

import numpy as np

from .base import OpSpec, slider_map, value_param


def exact(x: np.ndarray, v: int) -> np.ndarray:
    k = slider_map(v, -100, 100, 0.5, 2.0)
    return 0.5 + k * (x - 0.5)


def continuous(x: np.ndarray, v: int) -> np.ndarray:
    k = 2.0 ** (v / 100.0)
    return 0.5 + k * (x - 0.5)


OP = OpSpec(
    name="contrast",
    label="Contrast",
    help="Spread tones apart from middle grey (+) or pull them together (-).",
    stage="A",
    order=30,
    params=value_param("+ punchier, - flatter"),
    versions={
        1: lambda img, p, ctx: exact(img, p["value"]),
        2: lambda img, p, ctx: continuous(img, p["value"]),
    },
    iea_tool=True,
    iea_exact=exact,
    point="affine",
    tiles=True,
    version_notes={1: "IEA reference (jumps at 0)", 2: "continuous, 2^(v/100)"},
)
