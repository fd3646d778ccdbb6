"""The histogram of the 8-bit frame on screen, and where it clips.

Computed in the render worker for every preview frame (the window's histogram panel and clipping
overlay only paint it), so it must cost little next to the render itself: OpenCV counts and
masks, a few ms on a 1600-pixel frame (numpy's bincounts took 50 ms, three times the render).

Clipping is where detail is lost, which is not always where the frame on screen is at 0 or 255:
grain, vignette and sharpening (stages D and E) come after the tones are set, and a vignette
darkens a blown sky to a flat grey without bringing its detail back. So when any of them is on,
the frame without them is measured too (``EffectsOff``, at half size), and a pixel counts as
clipped when it clips in either.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .stats import LUMA

CLIP_WARNING = 0.001  # light the warning when 0.1 % of the pixels clip
EFFECT_STAGES = ("D", "E")  # grain, vignette, sharpening: they work on the finished tones


@dataclass
class Histogram:
    red: np.ndarray  # 256 counts each
    green: np.ndarray
    blue: np.ndarray
    luma: np.ndarray
    clip_shadows: float  # fraction of pixels black in every channel (in the frame, or before the effects)
    clip_highlights: float  # fraction of pixels at 255 in any channel (in the frame, or before the effects)


def _count(plane: np.ndarray, channel: int = 0) -> np.ndarray:
    return cv2.calcHist([plane], [channel], None, [256], [0, 256]).ravel().astype(np.float64)


def before_effects(nodes: list) -> list | None:
    """The nodes without grain, vignette and sharpening, when any of those is active (their frame is
    measured for clipping too); None when none is."""
    if not any(
        n.enabled and n.opacity > 0 and n.spec.stage in EFFECT_STAGES and not n.spec.is_identity(n.params)
        for n in nodes
    ):
        return None
    return [n for n in nodes if n.spec.stage not in EFFECT_STAGES]


class EffectsOff:
    """Where detail was lost before grain, vignette and sharpening (``before_effects``): the preview
    without them, rendered at half its size (a quarter of the pixels: a tone slider's frame costs a
    few ms more, an effect's slider almost nothing) on the document's "clipping" pipe (in the
    preview's, these frames would evict the steps a slider drag reuses)."""

    def __init__(self) -> None:
        self._source: tuple[np.ndarray, np.ndarray] | None = None  # (the preview source, its half)

    def masks(self, document, nodes: list, shape: tuple) -> tuple[np.ndarray, np.ndarray] | None:
        """(black, unclipped) masks of ``document`` (a core Document) without the effects, as
        ``_masks`` makes them, scaled to the frame's ``shape``; None when no effect is on."""
        from .image_io import downscale
        from .render import RenderRequest

        kept = before_effects(nodes)
        if kept is None:
            return None
        source = document.preview_source()
        if self._source is None or self._source[0] is not source:
            self._source = (source, downscale(source, max(source.shape[:2]) // 2))
        half = self._source[1]
        frame = document.render(
            RenderRequest(
                nodes=kept,
                source=half,
                source_key=f"half{id(source)}",
                scale=document.preview_scale * half.shape[1] / source.shape[1],
                dtype=np.uint8,
                pipe="clipping",
            )
        )
        size = (shape[1], shape[0])
        black, unclipped = (cv2.resize(mask, size, interpolation=cv2.INTER_NEAREST) for mask in _masks(frame))
        return black, unclipped


def _masks(image_u8: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Masks (255 where true): every channel 0; no channel at 255."""
    return cv2.inRange(image_u8, (0, 0, 0), (0, 0, 0)), cv2.inRange(image_u8, (0, 0, 0), (254, 254, 254))


def _black_and_unclipped(image_u8: np.ndarray, lost: tuple | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``_masks`` of the frame; with ``lost`` (``EffectsOff.masks`` for the same rows), black in
    either, and unclipped in both."""
    black, unclipped = _masks(image_u8)
    if lost is not None:
        cv2.bitwise_or(black, lost[0], dst=black)
        cv2.bitwise_and(unclipped, lost[1], dst=unclipped)
    return black, unclipped


def _strip_counts(pixels: np.ndarray, lost: tuple | None) -> np.ndarray:
    """Counts of one strip: red, green, blue, luma (256 each), black pixels, unclipped pixels."""
    luma = cv2.transform(pixels, LUMA[None])  # one 8-bit plane, rounded
    black, unclipped = _black_and_unclipped(pixels, lost)
    return np.concatenate(
        [
            _count(pixels, 0),
            _count(pixels, 1),
            _count(pixels, 2),
            _count(luma),
            [cv2.countNonZero(black), cv2.countNonZero(unclipped)],
        ]
    )


def compute(image_u8: np.ndarray, lost: tuple | None = None) -> Histogram:
    """Histogram of an 8-bit RGB image (the preview being displayed); luminance rounded to levels.
    ``lost``: where the frame without the effects clips (``EffectsOff.masks``), which counts too.
    In strips on every core (the render's thread pool is idle by then)."""
    from .parallel import parallel

    pixels = np.ascontiguousarray(image_u8)
    height = pixels.shape[0]
    rows = max(1, -(-height // 8))
    parts: list[np.ndarray] = []

    def strip(y0: int, y1: int) -> None:
        parts.append(_strip_counts(pixels[y0:y1], None if lost is None else (lost[0][y0:y1], lost[1][y0:y1])))

    parallel(strip, height, rows)
    counts = np.sum(parts, axis=0) if parts else np.zeros(4 * 256 + 2)
    total = max(pixels.shape[0] * pixels.shape[1], 1)
    return Histogram(
        counts[:256],
        counts[256:512],
        counts[512:768],
        counts[768:1024],
        counts[1024] / total,
        1.0 - counts[1025] / total,
    )


def clipping_mask(image_u8: np.ndarray, lost: tuple | None = None) -> np.ndarray:
    """RGBA overlay (uint8): red where any channel is at 255, blue where every channel is 0 (or
    where the frame without the effects is, with ``lost`` as in ``compute``)."""
    black, unclipped = _black_and_unclipped(np.ascontiguousarray(image_u8), lost)
    overlay = np.zeros(image_u8.shape[:2] + (4,), dtype=np.uint8)
    overlay[unclipped == 0] = (255, 40, 40, 200)
    overlay[black > 0] = (40, 110, 255, 200)
    return overlay
