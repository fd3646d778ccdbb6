"""Tint: add green (+) or magenta (-) by moving the green channel only."""

import numpy as np

from .base import OpSpec, round8, slider_map, value_param


def shift(v: int) -> float:
    """Green offset in 8-bit levels, 0.3 v."""
    return slider_map(v, -100, 100, -30.0, 30.0)


def exact(image_u8: np.ndarray, v: int) -> np.ndarray:
    out = image_u8.copy()
    out[..., 1] = round8(image_u8[..., 1].astype(np.float32) + shift(v))
    return out


def apply(image: np.ndarray, p: dict, ctx) -> np.ndarray:
    out = np.clip(image, 0.0, 1.0)
    out[..., 1] += shift(p["value"]) / 255.0
    return out


OP = OpSpec(
    name="tint",
    label="Tint",
    help="Shift colours towards green (+) or magenta (-).",
    stage="C",
    order=130,
    params=value_param("+ greener, - more magenta"),
    versions={1: apply},
    iea_tool=True,
    iea_exact=exact,
    point="curve",
    tiles=True,
)
