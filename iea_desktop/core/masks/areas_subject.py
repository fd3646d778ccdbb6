"""The subject (the main foreground object), for the automatic masks (``areas.py``).

Classical: the background of a photo is mostly what touches its border, so each pixel's saliency
is how far its colour (CIELAB) is from the border's common colours, weighted towards the middle of
the frame. The salient part seeds ``cv2.grabCut`` (the border strip as sure background), which
follows the colours to the subject's outline; the largest pieces it keeps are the subject.
Where it fails (a subject touching every border, a busy scene without one): docs/masks.md, "Automatic areas".
"""

from __future__ import annotations

import cv2
import numpy as np

from .areas_sky import at_most

EDGE = 192  # grabCut's long edge: about 60 ms for two rounds here (twice the size: four times as long)
BORDER = 0.05  # share of each side taken as the border
CLUSTERS = 10  # border colours
MIN_CLUSTER = 0.04  # border colours rarer than this share of the border do not count (the subject's own)
MIN_SHARE, MAX_SHARE = 0.01, 0.9  # a subject covers this much of the photo


def _border(plane: np.ndarray, strip: int) -> np.ndarray:
    """The top, left and right strips' values (not the bottom's: subjects often stand on it)."""
    return np.concatenate(
        [
            plane[:strip].reshape(-1, *plane.shape[2:]),
            plane[strip:, :strip].reshape(-1, *plane.shape[2:]),
            plane[strip:, -strip:].reshape(-1, *plane.shape[2:]),
        ]
    )


def _colour_contrast(lab: np.ndarray, strip: int) -> np.ndarray:
    """How far each pixel's colour is from the nearest common border colour (CIELAB units)."""
    border = _border(lab, strip).astype(np.float32)
    cv2.setRNGSeed(1)  # k-means starts at random: the same start every time
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.5)
    k = min(CLUSTERS, len(border))
    _, labels, centres = cv2.kmeans(border, k, None, criteria, 2, cv2.KMEANS_PP_CENTERS)
    share = np.bincount(labels.ravel(), minlength=k) / len(border)
    centres = centres[share >= MIN_CLUSTER]
    h, w = lab.shape[:2]
    distance = np.sqrt(((lab.reshape(-1, 1, 3) - centres[None]) ** 2).sum(axis=2)).min(axis=1).reshape(h, w)
    return cv2.GaussianBlur(distance, (0, 0), max(h, w) / 100)


def _focus_contrast(lightness: np.ndarray, strip: int) -> np.ndarray:
    """How much sharper each place is than the border (0 where it is not): a subject in focus
    before a blurred background."""
    h, w = lightness.shape
    detail = cv2.GaussianBlur(np.abs(cv2.Laplacian(lightness, cv2.CV_32F)), (0, 0), max(h, w) / 60)
    base = float(np.percentile(_border(detail, strip), 75))
    top = float(np.percentile(detail, 99))
    if top < 2.0 * base + 1.0:  # as sharp at the border as anywhere: no cue
        return np.zeros_like(detail)
    return np.clip((detail - 2.0 * base) / (top - 2.0 * base), 0.0, 1.0)


def saliency(lab: np.ndarray) -> np.ndarray:
    """0..1: how unlike the border each pixel is (its colour, or its sharpness), times a soft
    weight for the middle of the frame."""
    h, w = lab.shape[:2]
    strip = max(1, round(min(h, w) * BORDER))
    colour = _colour_contrast(lab, strip)
    scale = float(np.percentile(colour, 99))
    colour = np.clip(colour / scale, 0.0, 1.0) if scale >= 8.0 else np.zeros_like(colour)  # under 8: a faint shade
    found = np.maximum(colour, _focus_contrast(lab[..., 0], strip))
    ys = (np.arange(h, dtype=np.float32) + 0.5) / h - 0.55
    xs = (np.arange(w, dtype=np.float32) + 0.5) / w - 0.5
    middle = np.exp(-(ys[:, None] ** 2) / (2 * 0.3**2) - (xs[None, :] ** 2) / (2 * 0.3**2))
    return found * middle


def subject(small: np.ndarray, sky: np.ndarray | None = None) -> np.ndarray | None:
    """The subject in ``small`` (uint8 RGB) as a 0..1 plane (at ``EDGE``), or None when nothing
    stands out; ``sky`` (any size), where known, is never the subject."""
    rgb8 = at_most(small, EDGE)
    h, w = rgb8.shape[:2]
    if h < 8 or w < 8:
        return None
    lab = cv2.cvtColor(rgb8.astype(np.float32) * np.float32(1 / 255), cv2.COLOR_RGB2Lab)
    salient = saliency(lab)
    if sky is not None:
        salient *= np.float32(1.0) - cv2.resize(sky, (w, h), interpolation=cv2.INTER_AREA)
    if salient.max() <= 0.0:
        return None
    threshold, _ = cv2.threshold((salient * 255).astype(np.uint8), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    level = max(threshold / 255.0, 0.15)
    seeds = np.full((h, w), cv2.GC_PR_BGD, np.uint8)
    seeds[salient > level] = cv2.GC_PR_FGD
    seeds[salient > min(2 * level, 0.5 + level / 2)] = cv2.GC_FGD
    strip = max(1, round(min(h, w) * BORDER / 2))
    edge = np.zeros((h, w), bool)
    edge[:strip] = edge[-strip:] = True
    edge[:, :strip] = edge[:, -strip:] = True
    seeds[edge & (salient < level)] = cv2.GC_BGD
    if not (seeds == cv2.GC_FGD).any() or not (seeds == cv2.GC_BGD).any():
        return None
    cv2.setRNGSeed(1)
    cv2.grabCut(rgb8, seeds, (0, 0, 0, 0), np.zeros((1, 65)), np.zeros((1, 65)), 2, cv2.GC_INIT_WITH_MASK)
    cut = ((seeds == cv2.GC_FGD) | (seeds == cv2.GC_PR_FGD)).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(cut, connectivity=8)
    if count < 2:
        return None
    sizes = stats[1:, cv2.CC_STAT_AREA]
    kept = 1 + np.nonzero(sizes >= 0.25 * sizes.max())[0]
    plane = np.isin(labels, kept).astype(np.float32)
    return plane if MIN_SHARE <= plane.mean() <= MAX_SHARE else None
