"""Finishing: the renderer's float pixels made safe to show and write (no NaN, nothing outside
[0, 1]), as float32, 8 or 16 bits, in one pass of the kernel on every core; and 8-bit pixels read
back as floats exactly as the photo loader converts them."""

from __future__ import annotations

import numpy as np

from . import kernel
from .parallel import parallel, strip_rows


def finish_rows(image: np.ndarray, out: np.ndarray) -> np.ndarray:
    """NaN -> 0, +inf -> 1, -inf -> 0, the rest clipped to [0, 1], into ``out``: float32, or
    uint8 / uint16 rounded half to even (``rint(clip(x) * levels)`` in float32), in one pass."""
    image = np.ascontiguousarray(image, dtype=np.float32)
    if out.flags.c_contiguous:
        return kernel.finish(image, out)
    out[...] = kernel.finish(image, np.empty(out.shape, dtype=out.dtype))
    return out


def finish(image: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """No NaN and nothing outside [0, 1] ever leaves the renderer. ``image``: float32 (or the
    export path's 8-bit source); ``out``: where it goes, float32 (a new array by default), 8 or 16
    bits (rounded as ``to_uint8``), or 8-bit RGBX (see ``output``). In strips on every core."""
    image = np.asarray(image)
    if image.dtype not in (np.float32, np.uint8):  # not the pipeline's own arrays: numpy's general path
        result = np.clip(np.nan_to_num(image, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)
        if out is None:
            return result
        out[...] = result
        return out
    if out is None:
        out = np.empty(image.shape, dtype=np.float32)
    if image.ndim < 2 or image.size < 1 << 18:
        return finish_rows(as_float(image), out)
    parallel(lambda y0, y1: finish_rows(as_float(image[y0:y1]), out[y0:y1]), image.shape[0], strip_rows(image.shape[1]))
    return out


def output(shape: tuple, dtype=np.float32, rgbx: bool = False) -> np.ndarray:
    """An array for a finished RGB result: ``rgbx`` pads 8-bit pixels to 4 bytes (X = 255), the
    layout Pillow keeps images in, so an encoder can share the pixels instead of copying them."""
    return np.empty(shape[:2] + (4,) if rgbx else shape, dtype=dtype)


def as_float(image: np.ndarray) -> np.ndarray:
    """8-bit pixels (the export path's source) as float32 in [0, 1], exactly as the photo loader
    converts them (float32(b) / 255); float32 images pass through."""
    if image.dtype == np.uint8:
        return np.divide(image, np.float32(255), dtype=np.float32)
    return image


def _to_int(image: np.ndarray, dtype, levels: int) -> np.ndarray:
    image = np.asarray(image)
    if image.dtype != np.float32:  # not the pipeline's own arrays: numpy's general path
        return np.clip(np.rint(finish(image) * levels), 0, levels).astype(dtype)
    return finish(image, np.empty(image.shape, dtype=dtype))


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Float [0, 1] -> 8-bit, rounding to nearest (so an unedited 8-bit photo comes back bit-identical)."""
    return _to_int(image, np.uint8, 255)


def to_uint16(image: np.ndarray) -> np.ndarray:
    return _to_int(image, np.uint16, 65535)
