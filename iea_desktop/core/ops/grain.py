"""Grain: film-like noise (positive values only).

Version 1 is the IEA reference: independent Gaussian noise per pixel and channel with standard
deviation 0.003 v, seeded (the reference is not) so a project always renders the same pixels.
Version 2 is monochrome (luminance) grain, which reads as film grain rather than colour noise.

The float pipeline draws its noise in bands of rows, each band seeded from the node's seed and
its index, so any horizontal strip of the picture gets exactly the noise it would get as part of
the whole (the renderer works in strips) and a preview-sized picture's noise can be kept.
"""

from __future__ import annotations

import zlib
from collections import OrderedDict
from threading import Lock

import numpy as np

from .base import field_op, value_param

BAND = 16  # rows per independently seeded band of noise
_KEEP_PIXELS = 4_000_000  # whole-picture noise up to this size is kept (preview proxies)
_kept: OrderedDict[tuple, np.ndarray] = OrderedDict()
_kept_lock = Lock()


def exact(x: np.ndarray, v: int, rng: np.random.Generator) -> np.ndarray:
    """The IEA reference's grain (used by iea_exact.py): noise from ``rng``, added in float32."""
    if v <= 0:
        return x
    return x + rng.normal(0.0, 0.003 * v, size=x.shape).astype(np.float32)


def _generate(seed: int, frame: tuple[int, int], mono: bool, y0: int, y1: int) -> np.ndarray:
    """Bands first // BAND .. of standard normal noise, each drawn by OpenCV's generator (about 4x
    numpy's speed) seeded from (seed, band) in the calling thread, cut to rows y0..y1."""
    import cv2

    first, last = y0 // BAND, (y1 - 1) // BAND
    channels = 1 if mono else 3
    block = np.empty(((last - first + 1) * BAND, frame[1], channels), dtype=np.float32)
    for b in range(first, last + 1):
        cv2.setRNGSeed(zlib.crc32(f"{seed}:{b}".encode()) & 0x7FFFFFFF)
        # OpenCV takes the mean and deviation as Scalars (tuples); its type stubs list arrays only.
        cv2.randn(
            block[(b - first) * BAND : (b - first + 1) * BAND],
            (0.0,) * channels,  # type: ignore[call-overload]
            (1.0,) * channels,
        )
    block = block[y0 - first * BAND : y1 - first * BAND]
    return block[..., 0] if mono else block  # mono: one value per pixel, for all three channels


def noise(seed: int, frame: tuple[int, int], mono: bool, y0: int, y1: int) -> np.ndarray:
    """Standard normal noise for rows y0..y1 of a frame = (height, width) picture: (rows, width) when
    mono, else (rows, width, 3)."""
    if y1 <= y0:
        return np.zeros((0, frame[1]) if mono else (0, frame[1], 3), dtype=np.float32)
    if frame[0] * frame[1] > _KEEP_PIXELS:
        return _generate(seed, frame, mono, y0, y1)
    key = (seed, frame, mono)
    with _kept_lock:
        whole = _kept.get(key)
        if whole is not None:
            _kept.move_to_end(key)
    if whole is None:
        whole = _generate(seed, frame, mono, 0, frame[0])
        whole.setflags(write=False)
        with _kept_lock:
            _kept[key] = whole
            while len(_kept) > 2:
                _kept.popitem(last=False)
    return whole[y0:y1]


def _field(p: dict, ctx, rows: int, width: int, mono: bool) -> tuple:
    """Grain as clip(x) + sigma noise, for any strip of the picture (see OpSpec.fields)."""
    v = p["value"]
    if v <= 0:
        return None, None, 0.0
    return None, noise(ctx.seed, ctx.frame_size(rows, width), mono, ctx.origin, ctx.origin + rows), 0.003 * v


FIELDS = {
    1: lambda p, ctx, rows, width: _field(p, ctx, rows, width, mono=False),
    2: lambda p, ctx, rows, width: _field(p, ctx, rows, width, mono=True),
}


OP = field_op(
    FIELDS,
    name="grain",
    label="Grain",
    help="Add film grain (+); negative values do nothing.",
    stage="D",
    order=140,
    params=value_param("+ more grain; values below 0 have no effect"),
    iea_tool=True,
    iea_exact=exact,
    version_notes={1: "IEA reference (colour noise)", 2: "monochrome film grain"},
)
