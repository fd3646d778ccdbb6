"""Work spread over the cores: the thread pool, the strips a picture is cut into, and the pool of
picture-sized buffers the renderer recycles.

Used by the renderer and by anything else that works a picture strip by strip (the JPEG decoder
and encoder, the histogram); it knows nothing of nodes or graphs.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np


def cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _single_threaded_opencv() -> None:
    """The renderer spreads strips over the cores itself; OpenCV's own threads inside those strips
    only oversubscribe them (measured: 15-40% slower per step on 2 cores), so OpenCV runs one
    thread per call. Set once, before any render (it is process-wide and not safe to toggle)."""
    import cv2

    cv2.setNumThreads(1)


_single_threaded_opencv()


def parallel(fn: Callable[[int, int], object], height: int, rows: int) -> None:
    """fn(y0, y1) for every strip of ``rows`` rows of a picture ``height`` rows high, on every core
    (what fn returns is dropped)."""
    global _pool
    strips = [(y, min(y + rows, height)) for y in range(0, height, rows)]
    workers = cpu_count()
    if workers == 1 or len(strips) == 1:
        for y0, y1 in strips:
            fn(y0, y1)
        return
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="iea-render")
    for _ in _pool.map(lambda s: fn(*s), strips):
        pass


def strip_rows(width: int, halo: int = 0) -> int:
    """Rows per strip: about 1.5 MB of float RGB (it stays in the CPU's cache), at least 32 rows
    (wide pictures: fewer strips, less Python per pixel; measured best at 24 MP), and 4x the
    context rows a neighbourhood op reads; a multiple of 8."""
    rows = max(32, (1536 * 1024) // max(1, width * 12), 4 * halo)
    return (rows + 7) // 8 * 8


class BufferPool:
    """Picture-sized float32 arrays the renderer no longer needs, kept for its next render.

    A fresh 20 MB array costs the kernel thousands of zeroed pages (measured: about a third of a
    preview render's time); the render cache lets go of one array per step it evicts, so they
    are recycled here. An array is only taken back when nothing else refers to it.
    """

    def __init__(self, max_bytes: int = 160 * 1024 * 1024):  # one preview render's steps
        self.max_bytes = max_bytes
        self._spare: list[np.ndarray] = []
        self._lock = threading.Lock()

    def take(self, shape: tuple) -> np.ndarray:
        with self._lock:
            for i, array in enumerate(self._spare):
                if array.shape == shape:
                    del self._spare[i]
                    array.setflags(write=True)
                    return array
        return np.empty(shape, dtype=np.float32)

    def give(self, array: np.ndarray, references: int = 0) -> None:
        """Offer an array; ``references``: how many the caller itself still holds (besides the argument)."""
        if (
            array.dtype != np.float32
            or array.base is not None
            or not array.flags.c_contiguous
            or array.nbytes < (1 << 20)
            or sys.getrefcount(array) > 2 + references
        ):
            return  # a view, small, or still in use elsewhere: left to the garbage collector
        # Never wait: a renderer's __del__ gives its arrays back whenever the garbage collector runs,
        # which may be inside ``take`` on this very thread, holding the lock (a deadlock, seen).
        if not self._lock.acquire(blocking=False):
            return
        try:
            if any(a is array for a in self._spare):
                return
            self._spare.append(array)
            total = sum(a.nbytes for a in self._spare)
            while self._spare and total > self.max_bytes:
                total -= self._spare.pop(0).nbytes
        finally:
            self._lock.release()

    def clear(self) -> None:
        with self._lock:
            self._spare.clear()


POOL = BufferPool()
