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


def _kernel(v: int, scale: float) -> tuple[tuple[int, int], float]:
    """(ksize, sigma) for cv2.GaussianBlur in the float pipeline."""
    if v > 0:
        return (0, 0), max(3.0 * scale, 0.3)
    n = blur_kernel_size(v)
    if scale == 1.0:
        return (n, n), 0
    return (0, 0), max(opencv_sigma(n) * scale, 0.3)


def halo(p: dict, ctx) -> int:
    """Rows of context a strip needs on each side: the Gaussian kernel's radius (OpenCV's size rule)."""
    v = p["value"]
    if v == 0:
        return 0
    ksize, sigma = _kernel(v, ctx.scale)
    size = ksize[0] if ksize[0] > 0 else int(round(sigma * 4 * 2 + 1)) | 1  # float32 images: 4 sigma
    return size // 2 + 1


def apply(image: np.ndarray, p: dict, ctx) -> np.ndarray:
    v = p["value"]
    image = np.clip(image, 0.0, 1.0).astype(np.float32, copy=False)
    if v == 0:
        return image
    ksize, sigma = _kernel(v, ctx.scale)
    blur = cv2.GaussianBlur(image, ksize, sigma)
    if ctx.out is not None:  # only the rows the renderer asked for (the rest was context)
        rows = slice(ctx.out_offset, ctx.out_offset + ctx.out.shape[0])
        image, blur = image[rows], blur[rows]
    if v > 0:
        s = 0.015 * v
        # (1 + s) image - s blur, in one pass
        if ctx.out is not None:
            return cv2.addWeighted(image, 1.0 + s, blur, -s, 0.0, dst=ctx.out)
        return cv2.addWeighted(image, 1.0 + s, blur, -s, 0.0)
    if ctx.out is not None:
        ctx.out[...] = blur
        return ctx.out
    return blur


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
    tiles=True,
    halo=halo,
)
