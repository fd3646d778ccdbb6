"""Sharpness: unsharp mask (+) or Gaussian blur (-).

In the float pipeline the radius scales with the render scale, so the preview proxy shows what
the full-resolution export will look like.
"""

import cv2
import numpy as np

from .base import OpSpec, value_param


def blur_kernel_size(v: int) -> int:
    """Kernel size for negative values: int(3 + 0.12 |v|), made odd."""
    n = int(3 + 0.12 * abs(v))
    return n + 1 if n % 2 == 0 else n


def opencv_sigma(n: int) -> float:
    """OpenCV's sigma for an n x n Gaussian kernel with sigma 0."""
    return 0.3 * ((n - 1) * 0.5 - 1) + 0.8


def exact(image_u8: np.ndarray, v: int) -> np.ndarray:
    if v > 0:
        s = 0.015 * v
        blur = cv2.GaussianBlur(image_u8, (0, 0), 3)
        return cv2.addWeighted(image_u8, 1.0 + s, blur, -s, 0.0)
    if v < 0:
        n = blur_kernel_size(v)
        return cv2.GaussianBlur(image_u8, (n, n), 0)
    return image_u8


def apply(image: np.ndarray, p: dict, ctx) -> np.ndarray:
    v = p["value"]
    image = np.clip(image, 0.0, 1.0).astype(np.float32, copy=False)
    if v == 0:
        return image
    if v > 0:
        s = 0.015 * v
        blur = cv2.GaussianBlur(image, (0, 0), max(3.0 * ctx.scale, 0.3))
        return (1.0 + s) * image - s * blur
    n = blur_kernel_size(v)
    if ctx.scale == 1.0:
        return cv2.GaussianBlur(image, (n, n), 0)
    return cv2.GaussianBlur(image, (0, 0), max(opencv_sigma(n) * ctx.scale, 0.3))


OP = OpSpec(
    name="sharpness",
    label="Sharpness",
    help="Crisper detail (+) or a soft blur (-).",
    stage="E",
    order=160,
    params=value_param("+ sharper, - softer"),
    versions={1: apply},
    iea_tool=True,
    iea_exact=exact,
)
