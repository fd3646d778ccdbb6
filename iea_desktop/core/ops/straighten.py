"""Straighten: rotate by a small angle and crop to the largest rectangle of the same shape."""

import math

import cv2
import numpy as np

from .base import OpSpec, Param


def inscribed_scale(width: int, height: int, degrees: float) -> float:
    """Largest s such that an s-scaled, same-aspect, centred rectangle fits in the rotated frame."""
    t = math.radians(abs(degrees))
    c, s = math.cos(t), math.sin(t)
    half_w, half_h = width / 2.0, height / 2.0
    return min(half_w / (half_w * c + half_h * s), half_h / (half_w * s + half_h * c))


def size(p: dict, width: int, height: int) -> tuple[int, int]:
    k = inscribed_scale(width, height, p["angle"])
    return max(1, int(round(width * k))), max(1, int(round(height * k)))


def apply(image: np.ndarray, p: dict, ctx) -> np.ndarray:
    angle = p["angle"]
    h, w = image.shape[:2]
    out_w, out_h = size(p, w, h)
    # OpenCV's positive angle is counter-clockwise; ours is clockwise.
    m = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), -angle, 1.0)
    m[0, 2] -= (w - out_w) / 2.0
    m[1, 2] -= (h - out_h) / 2.0
    return cv2.warpAffine(image, m, (out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


OP = OpSpec(
    name="straighten",
    label="Straighten",
    help="Level a tilted horizon; the edges are cropped so no corners go blank.",
    stage="geometry",
    order=30,
    params=(Param("angle", "Angle (°)", -45.0, 45.0, 0.0, "+ turns clockwise", kind="float"),),
    versions={1: apply},
    size=size,
)
