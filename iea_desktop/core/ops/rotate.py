"""Rotate by quarter turns."""

import numpy as np

from .base import OpSpec, Param


def apply(image: np.ndarray, p: dict, ctx) -> np.ndarray:
    return np.ascontiguousarray(np.rot90(image, -p["turns"]))


def size(p: dict, width: int, height: int) -> tuple[int, int]:
    return (height, width) if p["turns"] % 2 else (width, height)


OP = OpSpec(
    name="rotate",
    label="Rotate 90°",
    help="Turn the photo by quarter turns.",
    stage="geometry",
    order=10,
    params=(
        Param("turns", "Quarter turns clockwise", 0, 3, 0, "1 = 90° clockwise, 2 = 180°, 3 = 90° counter-clockwise"),
    ),
    versions={1: apply},
    size=size,
)
