"""The sky, for the automatic masks (``areas.py``).

Classical and cheap: a sky is smooth (little texture), blue (from a deep dusk blue to a pale one)
or near white, and it touches the top of the photo. Regions like that are the seeds; a colour model
learnt from them (a histogram of the seeds' colours against the rest) then takes in the parts of the
sky the strict rules missed (clouds, the sky seen between branches) as long as they are smooth too.
Where it fails (a grey overcast sky, a blue wall at the top): docs/masks.md, "Automatic areas".
"""

from __future__ import annotations

import cv2
import numpy as np

EDGE = 256  # the sky is found at this long edge
SMOOTH = 6.0  # texture (mean Sobel magnitude of L*, 0..100, at EDGE) below which a pixel is smooth
TOP_ROWS = 0.04  # a seed region must reach into this share of the top rows
MIN_SHARE, MAX_SHARE = 0.015, 0.97  # the sky's share of a photo that has one
BINS = 16  # colour histogram bins per channel
CLOUD_CHROMA = 8.0  # greyer than this (CIELAB chroma) and next to the sky: a cloud (a beige wall is about 11)


def _features(rgb8: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lab = cv2.cvtColor(rgb8.astype(np.float32) * np.float32(1 / 255), cv2.COLOR_RGB2Lab)
    lightness = lab[..., 0]
    gx = cv2.Sobel(lightness, cv2.CV_32F, 1, 0)
    gy = cv2.Sobel(lightness, cv2.CV_32F, 0, 1)
    texture = cv2.blur(cv2.magnitude(gx, gy), (5, 5))
    return lab, texture


def _histogram(rgb8: np.ndarray, where: np.ndarray) -> np.ndarray:
    quantised = rgb8[where] // (256 // BINS)
    index = (quantised[:, 0].astype(np.int64) * BINS + quantised[:, 1]) * BINS + quantised[:, 2]
    counts: np.ndarray = np.bincount(index, minlength=BINS**3).astype(np.float32).reshape(BINS, BINS, BINS)
    for axis in range(3):  # neighbouring bins share (1 2 1 along each channel): a few seeds go further
        padded = np.pad(counts, [(1, 1) if a == axis else (0, 0) for a in range(3)], mode="edge")
        below, middle, above = (np.take(padded, range(k, k + BINS), axis=axis) for k in range(3))
        counts = (below + 2 * middle + above) / 4
    return counts / max(float(counts.sum()), 1.0)


def _lookup(table: np.ndarray, rgb8: np.ndarray) -> np.ndarray:
    q = rgb8 // (256 // BINS)
    return table[q[..., 0], q[..., 1], q[..., 2]]


def at_most(small: np.ndarray, edge: int) -> np.ndarray:
    """``small`` resized (area averaging) to ``edge`` pixels on its long side, or as it is if smaller."""
    height, width = small.shape[:2]
    shrink = min(1.0, edge / max(height, width))
    size = (max(1, round(width * shrink)), max(1, round(height * shrink)))
    return cv2.resize(small, size, interpolation=cv2.INTER_AREA)


def sky(small: np.ndarray) -> np.ndarray | None:
    """The sky in ``small`` (uint8 RGB) as a 0..1 plane of a smaller size, or None."""
    rgb8 = at_most(small, EDGE)
    h, w = rgb8.shape[:2]
    if h < 8 or w < 8:
        return None
    lab, texture = _features(rgb8)
    lightness, a, b = lab[..., 0], lab[..., 1], lab[..., 2]
    chroma = np.hypot(a, b)
    blue = (b < -4.0) & (a < 12.0) & (a > -35.0) & (lightness > 5.0)
    white = (lightness > 80.0) & (chroma < 12.0)
    candidate = ((blue | white) & (texture < SMOOTH)).astype(np.uint8)
    candidate = cv2.morphologyEx(candidate, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(candidate, connectivity=4)
    top = max(1, round(h * TOP_ROWS))
    touching = np.unique(labels[:top][candidate[:top] > 0])
    big = [k for k in touching if stats[k, cv2.CC_STAT_AREA] >= MIN_SHARE * h * w / 2]
    if not big:
        return None
    seeds = np.isin(labels, big)
    # The colour model: how much likelier each colour is in the seeds than in the rest
    rest = ~seeds & ((texture >= SMOOTH) | (candidate == 0))
    p_sky, p_rest = _histogram(rgb8, seeds), _histogram(rgb8, rest)
    likely = _lookup(p_sky, rgb8) / (_lookup(p_sky, rgb8) + _lookup(p_rest, rgb8) + np.float32(1e-6))
    smooth = np.clip((2 * SMOOTH - texture) / SMOOTH, 0.0, 1.0)  # 1 when smooth, 0 at twice the limit
    upper = np.zeros((h, w), bool)
    upper[: h * 2 // 3] = True
    # clouds: grey or white, fairly smooth, high in the frame (joined to the seeds below)
    cloud = (chroma < CLOUD_CHROMA) & (lightness > 35.0) & (smooth > 0.0) & upper
    grown = ((likely > 0.5) & (smooth > 0.5)) | seeds | cloud
    # keep what is joined to the seeds, or clearly sky-coloured in the upper two thirds
    count, labels = cv2.connectedComponents(grown.astype(np.uint8), connectivity=8)
    joined = np.unique(labels[seeds])
    keep = np.isin(labels, joined[joined > 0])
    keep |= grown & (likely > 0.85) & upper
    plane = keep.astype(np.float32) * np.maximum(likely, (seeds | cloud).astype(np.float32))
    if not MIN_SHARE <= plane.mean() <= MAX_SHARE:  # all "sky": a blank frame, not a photo of the sky
        return None
    rows = np.nonzero(keep)[0]
    if rows.mean() > h * 0.6:  # a sky sits high in the frame: this is a lake or a wall
        return None
    return cv2.GaussianBlur(plane, (0, 0), 0.7)
