"""Sharpness: unsharp mask (+) or Gaussian blur (-).

In the float pipeline the radius scales with the render scale, so the preview proxy shows what
the full-resolution export will look like, and the blur and the mix run in one compiled pass
(``core/_kernel.c``) with OpenCV's Gaussian kernel and border rule.
"""

from functools import lru_cache

import cv2
import numpy as np

from .. import kernel
from .base import OpSpec, value_param

# The IEA reference's sharpness (iea-tools.md): for v > 0 an unsharp mask, (1 + s) x - s blur(x)
# with s = 0.015 v and a Gaussian blur of sigma 3; for v < 0 a Gaussian blur of an n x n kernel,
# n = int(3 + 0.12 |v|) made odd, with OpenCV's sigma for that size.
UNSHARP_PER_STEP = 0.015
UNSHARP_SIGMA = 3.0
BLUR_SIZE, BLUR_SIZE_PER_STEP = 3, 0.12


def blur_kernel_size(v: int) -> int:
    """Kernel size for negative values: int(3 + 0.12 |v|), made odd."""
    n = int(BLUR_SIZE + BLUR_SIZE_PER_STEP * abs(v))
    return n + 1 if n % 2 == 0 else n


def opencv_sigma(n: int) -> float:
    """OpenCV's sigma for an n x n Gaussian kernel with sigma 0."""
    return 0.3 * ((n - 1) * 0.5 - 1) + 0.8


def exact(image_u8: np.ndarray, v: int) -> np.ndarray:
    if v > 0:
        s = UNSHARP_PER_STEP * v
        blur = cv2.GaussianBlur(image_u8, (0, 0), UNSHARP_SIGMA)
        return cv2.addWeighted(image_u8, 1.0 + s, blur, -s, 0.0)
    if v < 0:
        n = blur_kernel_size(v)
        return cv2.GaussianBlur(image_u8, (n, n), 0)
    return image_u8


def _gaussian(v: int, scale: float) -> tuple[tuple[int, int], float]:
    """(ksize, sigma) for the float pipeline's Gaussian: the reference's kernel, whose size follows
    OpenCV's rule for 8-bit images (3 sigma on each side), with sigma scaled to the render."""
    n = blur_kernel_size(v) if v < 0 else 0
    if v < 0 and scale == 1.0:
        return (n, n), 0
    sigma = max((UNSHARP_SIGMA if v > 0 else opencv_sigma(n)) * scale, 0.3)
    size = int(round(sigma * 3 * 2 + 1)) | 1
    return (size, size), sigma


def halo(p: dict, ctx) -> int:
    """Rows of context a strip needs on each side: the Gaussian kernel's radius."""
    v = p["value"]
    if v == 0:
        return 0
    return _gaussian(v, ctx.scale)[0][0] // 2 + 1


@lru_cache(maxsize=16)
def weights(v: int, scale: float) -> np.ndarray:
    """The separable Gaussian kernel cv2.GaussianBlur would use for this value and scale."""
    ksize, sigma = _gaussian(v, scale)
    return cv2.getGaussianKernel(ksize[0], sigma, cv2.CV_32F).ravel()


def apply(image: np.ndarray, p: dict, ctx) -> np.ndarray:
    """(1 + s) x - s blur(x) on x = clip(image, 0, 1): s = 0.015 v (unsharp mask) for v > 0, -1
    (the blur itself) for v < 0; one pass of the compiled kernel, without a blurred copy. Into
    ``ctx.out`` when given: float32, or 8-bit RGB/RGBX finished by the kernel as it goes."""
    v = p["value"]
    if v == 0:
        return np.clip(image, 0.0, 1.0).astype(np.float32, copy=False)
    source = np.ascontiguousarray(image, dtype=np.float32)
    out, first = ctx.out, ctx.out_offset
    if out is None:
        out, first = np.empty(source.shape, dtype=np.float32), 0
    amount = UNSHARP_PER_STEP * v if v > 0 else -1.0
    return kernel.sharpen(source, out, source.shape[1], first, weights(v, ctx.scale), amount)


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
    finishes=True,
)
