"""The histogram of the 8-bit frame on screen, and where it clips.

Computed in the render worker for every preview frame (the window's histogram panel and clipping
overlay only paint it), so it must cost little next to the render itself: OpenCV counts and
masks, a few ms on a 1600-pixel frame (numpy's bincounts took 50 ms, three times the render).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .stats import LUMA

CLIP_WARNING = 0.001  # light the warning when 0.1 % of the pixels clip


@dataclass
class Histogram:
    red: np.ndarray  # 256 counts each
    green: np.ndarray
    blue: np.ndarray
    luma: np.ndarray
    clip_shadows: float  # fraction of pixels black in every channel
    clip_highlights: float  # fraction of pixels at 255 in any channel


def _count(plane: np.ndarray, channel: int = 0) -> np.ndarray:
    return cv2.calcHist([plane], [channel], None, [256], [0, 256]).ravel().astype(np.float64)


def _black_and_unclipped(image_u8: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Masks (255 where true): every channel 0; no channel at 255."""
    return cv2.inRange(image_u8, (0, 0, 0), (0, 0, 0)), cv2.inRange(image_u8, (0, 0, 0), (254, 254, 254))


def _strip_counts(pixels: np.ndarray) -> np.ndarray:
    """Counts of one strip: red, green, blue, luma (256 each), black pixels, unclipped pixels."""
    luma = cv2.transform(pixels, LUMA[None])  # one 8-bit plane, rounded
    black, unclipped = _black_and_unclipped(pixels)
    return np.concatenate([_count(pixels, 0), _count(pixels, 1), _count(pixels, 2), _count(luma),
                           [cv2.countNonZero(black), cv2.countNonZero(unclipped)]])


def compute(image_u8: np.ndarray) -> Histogram:
    """Histogram of an 8-bit RGB image (the preview being displayed); luminance rounded to levels.
    In strips on every core (the render's thread pool is idle by then)."""
    from .render import parallel

    pixels = np.ascontiguousarray(image_u8)
    height = pixels.shape[0]
    rows = max(1, -(-height // 8))
    parts: list[np.ndarray] = []
    parallel(lambda y0, y1: parts.append(_strip_counts(pixels[y0:y1])), height, rows)
    counts = np.sum(parts, axis=0) if parts else np.zeros(4 * 256 + 2)
    total = max(pixels.shape[0] * pixels.shape[1], 1)
    return Histogram(counts[:256], counts[256:512], counts[512:768], counts[768:1024],
                     counts[1024] / total, 1.0 - counts[1025] / total)


def clipping_mask(image_u8: np.ndarray) -> np.ndarray:
    """RGBA overlay (uint8): red where any channel is at 255, blue where every channel is 0."""
    black, unclipped = _black_and_unclipped(np.ascontiguousarray(image_u8))
    overlay = np.zeros(image_u8.shape[:2] + (4,), dtype=np.uint8)
    overlay[unclipped == 0] = (255, 40, 40, 200)
    overlay[black > 0] = (40, 110, 255, 200)
    return overlay
