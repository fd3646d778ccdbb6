"""Crop to a rectangle given as fractions of the frame, optionally held to a fixed aspect ratio."""

import numpy as np

from .base import OpSpec, Param

ASPECTS = ("free", "original", "1:1", "4:3", "3:2", "16:9", "5:4", "3:4", "2:3", "9:16", "4:5")


def target_ratio(aspect: str, width: int, height: int) -> float | None:
    """Width / height for a fixed aspect, None for a free crop."""
    if aspect == "free":
        return None
    if aspect == "original":
        return width / height
    a, b = aspect.split(":")
    return float(a) / float(b)


def box(p: dict, width: int, height: int) -> tuple[int, int, int, int]:
    """Pixel box (x0, y0, x1, y1) of the crop, at least 1 x 1, shrunk about its centre to the aspect."""
    left, right = sorted((p["left"], p["right"]))
    top, bottom = sorted((p["top"], p["bottom"]))
    x0, x1 = left * width, right * width
    y0, y1 = top * height, bottom * height
    ratio = target_ratio(p["aspect"], width, height)
    if ratio is not None and x1 > x0 and y1 > y0:
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        w, h = x1 - x0, y1 - y0
        if w / h > ratio:
            w = h * ratio
        else:
            h = w / ratio
        x0, x1, y0, y1 = cx - w / 2, cx + w / 2, cy - h / 2, cy + h / 2
    ix0 = min(max(int(round(x0)), 0), width - 1)
    iy0 = min(max(int(round(y0)), 0), height - 1)
    ix1 = min(max(int(round(x1)), ix0 + 1), width)
    iy1 = min(max(int(round(y1)), iy0 + 1), height)
    return ix0, iy0, ix1, iy1


def size(p: dict, width: int, height: int) -> tuple[int, int]:
    x0, y0, x1, y1 = box(p, width, height)
    return x1 - x0, y1 - y0


def apply(image: np.ndarray, p: dict, ctx) -> np.ndarray:
    x0, y0, x1, y1 = box(p, image.shape[1], image.shape[0])
    return np.ascontiguousarray(image[y0:y1, x0:x1])


OP = OpSpec(
    name="crop",
    label="Crop",
    help="Keep part of the frame, free or at a fixed aspect ratio.",
    stage="geometry",
    order=40,
    params=(
        Param("left", "Left", 0.0, 1.0, 0.0, "Left edge, as a fraction of the width", kind="float"),
        Param("top", "Top", 0.0, 1.0, 0.0, "Top edge, as a fraction of the height", kind="float"),
        Param("right", "Right", 0.0, 1.0, 1.0, "Right edge, as a fraction of the width", kind="float"),
        Param("bottom", "Bottom", 0.0, 1.0, 1.0, "Bottom edge, as a fraction of the height", kind="float"),
        Param(
            "aspect", "Aspect ratio", 0, 0, "free", "Hold the crop to this width:height", kind="choice", choices=ASPECTS
        ),
    ),
    versions={1: apply},
    size=size,
)
