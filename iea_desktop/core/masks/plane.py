"""A node's mask as the renderer uses it: combined, aligned with the frame the node works on, and
read strip by strip.

The mask is made in the photo's frame as opened (positions there: ``model.py``) at the size of the
render's source, or at most ``PLANE_EDGE`` pixels on the long side, then carried through the
geometry nodes upstream of the masked node (the same crop, rotation, flip and straightening as
the picture), so it stays on the photo whatever the geometry does. ``MaskPlane.rows`` hands the
renderer any band of it at the frame's size, upsampling when the plane is smaller (a 24 MP
export reads a 2048-pixel plane: masks are smooth, and 11 MB a mask keeps the export's memory low).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import cv2
import numpy as np

from ..apply_node import apply_node
from ..finish import as_float
from . import raster
from .model import Mask

PLANE_EDGE = 2048


def plane_size(height: int, width: int) -> tuple[int, int]:
    """(height, width) of a mask plane for a source of this size."""
    shrink = min(1.0, PLANE_EDGE / max(height, width, 1))
    return max(1, round(height * shrink)), max(1, round(width * shrink))


def combine(mask: Mask, height: int, width: int, photo: raster.Photo) -> np.ndarray:
    """The mask (0..1, float32) at ``height`` x ``width`` in the photo's frame as opened. The first
    component is the base whatever its mode; each later one adds (the brighter of the two),
    subtracts or intersects."""
    plane: np.ndarray | None = None
    for component in mask.components:
        pixels = raster.component(component, height, width, photo)
        if component.invert:
            pixels = np.float32(1.0) - pixels
        if plane is None:
            plane = np.array(pixels, dtype=np.float32, copy=True)
        elif component.mode == "add":
            np.maximum(plane, pixels, out=plane)
        elif component.mode == "subtract":
            plane *= np.float32(1.0) - pixels
        else:
            plane *= pixels
    if plane is None:
        plane = np.zeros((height, width), np.float32)
    if mask.feather > 0:
        sigma = mask.feather * max(height, width) / 2
        plane = cv2.GaussianBlur(plane, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE)
    if mask.invert:
        plane = np.float32(1.0) - plane
    if mask.density < 1.0:
        plane *= np.float32(mask.density)
    return plane


def source_photo(source: np.ndarray, height: int, width: int) -> np.ndarray:
    """The render's source at the plane's size, RGB 0..1 float32."""
    if source.shape[:2] != (height, width):
        source = cv2.resize(source, (width, height), interpolation=cv2.INTER_AREA)
    return np.clip(as_float(source), 0.0, 1.0)


WEIGHT = np.float32(1e5)  # OpenCV's blendLinear divides by w1 + w2 + 1e-5: weights this large make that exact


class MaskPlane:
    """A mask aligned with the frame of the node it belongs to, at the plane's size."""

    def __init__(self, pixels: np.ndarray):
        self.pixels = np.ascontiguousarray(pixels, dtype=np.float32)
        self.pixels.setflags(write=False)
        self._weights: tuple[np.ndarray, np.ndarray] | None = None  # at the plane's size, opacity 1

    def weights(self, frame: tuple[int, int], y0: int, y1: int, opacity: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """The mix's weights for rows y0..y1 of the frame (``rows``), times the node's opacity: of
        the op's result and of its input, each (y1 - y0, width) float32 summing to ``WEIGHT``."""
        if self.pixels.shape == tuple(frame) and opacity >= 1.0:
            if self._weights is None:  # a preview's plane is the frame's size: made once, sliced per strip
                into_after = self.pixels * WEIGHT
                self._weights = (into_after, WEIGHT - into_after)
            return self._weights[0][y0:y1], self._weights[1][y0:y1]
        into_after = self.rows(frame, y0, y1) * (WEIGHT * np.float32(opacity))
        return into_after, WEIGHT - into_after

    @classmethod
    def build(cls, mask: Mask, geometry: Sequence, source: np.ndarray, scale: float) -> MaskPlane:
        """The mask over ``source`` (the render's, float or 8-bit RGB), carried through the
        ``geometry`` nodes (those upstream of the masked node, in order; ``scale``: the render's)."""
        height, width = plane_size(*source.shape[:2])
        photo = functools.cache(lambda: source_photo(source, height, width))
        pixels = combine(mask, height, width, photo)
        plane_scale = scale * width / max(source.shape[1], 1)
        for node in geometry:
            pixels = apply_node(pixels, node, plane_scale)
        return cls(pixels)

    def rows(self, frame: tuple[int, int], y0: int, y1: int) -> np.ndarray:
        """Rows y0..y1 of the mask at the frame's size (height, width): (y1 - y0, width) float32,
        read-only. A plane smaller than the frame is upsampled (bilinear, pixel centres aligned)."""
        height, width = frame
        plane = self.pixels
        if plane.shape == (height, width):
            return plane[y0:y1]
        ph, pw = plane.shape
        at = (np.arange(y0, y1, dtype=np.float32) + np.float32(0.5)) * np.float32(ph / height) - np.float32(0.5)
        np.clip(at, 0, ph - 1, out=at)
        below = at.astype(np.int32)
        above = np.minimum(below + 1, ph - 1)
        weight = (at - below)[:, None]
        first, last = int(below[0]) if len(below) else 0, int(above[-1]) + 1 if len(above) else 1
        band = cv2.resize(plane[first:last], (width, last - first), interpolation=cv2.INTER_LINEAR)
        out = band[below - first]
        out += weight * (band[above - first] - out)
        return out
