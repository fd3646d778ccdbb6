"""Saturation: scale colour intensity (HSV saturation) by 1 + v/100."""

import numpy as np

from .base import saturation_op, slider_map, value_param


def exact(s: np.ndarray, v: int) -> np.ndarray:
    """s: HSV saturation in [0, 1] (float32)."""
    return np.clip(s * slider_map(v, -100, 100, 0.0, 2.0), 0.0, 1.0)


MAPS = {1: lambda p: lambda s, _v: exact(s, p["value"])}


OP = saturation_op(
    MAPS,
    name="saturation",
    label="Saturation",
    help="More (+) or less (-) colour everywhere; -100 is black and white.",
    stage="C",
    order=100,
    params=value_param("+ more colourful, -100 = black and white"),
    iea_tool=True,
    iea_exact=exact,
)
