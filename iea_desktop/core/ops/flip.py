"""Mirror the photo horizontally and/or vertically."""

import numpy as np

from .base import OpSpec, Param


def apply(image: np.ndarray, p: dict, ctx) -> np.ndarray:
    if p["horizontal"]:
        image = image[:, ::-1]
    if p["vertical"]:
        image = image[::-1]
    return np.ascontiguousarray(image)


OP = OpSpec(
    name="flip",
    label="Flip",
    help="Mirror the photo left-right or upside down.",
    stage="geometry",
    order=20,
    params=(
        Param("horizontal", "Flip horizontally", 0, 1, False, "Mirror left and right", kind="bool"),
        Param("vertical", "Flip vertically", 0, 1, False, "Mirror top and bottom", kind="bool"),
    ),
    versions={1: apply},
)
