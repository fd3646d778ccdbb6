"""Temperature: warm (+, more red and some green, less blue) or cool (-) the white balance."""

import numpy as np

from .base import OpSpec, slider_map, trunc8, value_param


def shifts(v: int) -> tuple[float, float, float]:
    """Per-channel offsets in 8-bit levels: R + t, G + 0.6 t, B - t with t = v / 2."""
    t = slider_map(v, -100, 100, -50.0, 50.0)
    return t, 0.6 * t, -t


def exact(image_u8: np.ndarray, v: int) -> np.ndarray:
    return trunc8(image_u8.astype(np.float32) + np.asarray(shifts(v), dtype=np.float32))


def apply(image: np.ndarray, p: dict, ctx) -> np.ndarray:
    return np.clip(image, 0.0, 1.0) + np.asarray(shifts(p["value"]), dtype=np.float32) / 255.0


OP = OpSpec(
    name="temperature",
    label="Temperature",
    help="Warmer, more golden (+) or cooler, bluer (-) colours.",
    stage="C",
    order=120,
    params=value_param("+ warmer, - cooler"),
    versions={1: apply},
    iea_tool=True,
    iea_exact=exact,
    point="curve",
    tiles=True,
)
