"""The float pipeline: run the enabled nodes of a graph over a float32 RGB image.

Each node's output is cached under a key made of everything upstream (the source, the render
scale, and the signature of this node and every node before it), so moving one slider
recomputes from that node on (RawTherapee's refresh map, darktable's pixelpipe cache).

Speed (docs/performance.md):
- Neighbouring point operations are fused into one pass of a compiled loop (``pointops.py``,
  ``_kernel.c``): tone curves become one table lookup, saturation and vibrance one tabulated
  map, vignette and grain a multiply-add. A fused run is one *step*; the cache keeps each
  step's output under the key of the step's last node.
- Ops that declare ``tiles`` run on horizontal strips, on every core at once (the kernel, numpy
  and OpenCV release the GIL); geometry runs on the whole picture.
- With the cache (previews) steps run one after the other, each over all strips, and every step's
  output is kept, up to the node being edited: it starts a step of its own, so its input stays
  cached. From it on, the steps (whose outputs change with every move of its slider) run as one
  chain of small strips, like the export's, and nothing of them is kept until the same state is
  rendered again (the drag has ended). Arrays the cache lets go of are recycled (BufferPool).
  The last strips are finished (to the 8-bit frame the canvas shows) as they are made.
- Without the cache (export, 1:1 zoom) all steps run band by band in small strips, from an 8-bit
  source straight to an 8-bit result when asked, so nothing but the source and the result is
  ever picture-sized: memory stays bounded at any size.
"""

from __future__ import annotations

import hashlib
import os
import threading
import zlib
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np

from . import kernel
from .graph import Node
from .ops import RenderContext


class RenderCancelled(Exception):
    """A newer request superseded this render, or the person cancelled it."""


def node_seed(node: Node) -> int:
    """A stable seed per node (grain must render the same pixels every time)."""
    return zlib.crc32(node.id.encode())


def apply_node(image: np.ndarray, node: Node, scale: float, frame: tuple[int, int] | None = None,
               origin: int = 0, out: np.ndarray | None = None, out_offset: int = 0, estimate=None,
               camera=None) -> np.ndarray:
    """One node on one image: the op's pixel function, blended by the node's opacity.

    For strips (see RenderContext): the image is rows ``origin``.. of a ``frame``-sized picture;
    with ``out``, rows ``out_offset``.. of the result are written there and ``out`` is returned.
    ``camera``: the photo's RAW colour, if it is one (RenderContext.camera).
    ``estimate``: the node's whole-picture estimate (``estimates``), if its op needs one.
    """
    blend = node.opacity < 1.0 and node.spec.stage != "geometry"  # geometry has no meaningful partial opacity
    ctx = RenderContext(scale=scale, seed=node_seed(node), frame=frame, origin=origin,
                        out=None if blend else out, out_offset=out_offset, estimate=estimate, camera=camera)
    result = node.spec.apply(image, node.params, node.version, ctx)
    if out is not None and result is out:
        return out
    result = np.asarray(result, dtype=np.float32)
    if blend and result.shape == image.shape:
        result = image + np.float32(node.opacity) * (result - image)
    if out is None:
        return result
    out[...] = result[out_offset:out_offset + out.shape[0]]
    return out


# --- workers --------------------------------------------------------------------------------------

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


def parallel(fn: Callable[[int, int], None], height: int, rows: int) -> None:
    """fn(y0, y1) for every strip of ``rows`` rows of a picture ``height`` rows high, on every core."""
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


# --- picture-sized buffers ---------------------------------------------------------------------------

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
        import sys

        if (array.dtype != np.float32 or array.base is not None or not array.flags.c_contiguous
                or array.nbytes < (1 << 20) or sys.getrefcount(array) > 2 + references):
            return  # a view, small, or still in use elsewhere: left to the garbage collector
        with self._lock:
            if any(a is array for a in self._spare):
                return
            self._spare.append(array)
            total = sum(a.nbytes for a in self._spare)
            while self._spare and total > self.max_bytes:
                total -= self._spare.pop(0).nbytes

    def clear(self) -> None:
        with self._lock:
            self._spare.clear()


POOL = BufferPool()


# --- finishing --------------------------------------------------------------------------------------

def _finish_rows(image: np.ndarray, out: np.ndarray) -> np.ndarray:
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
        return _finish_rows(as_float(image), out)
    parallel(lambda y0, y1: _finish_rows(as_float(image[y0:y1]), out[y0:y1]), image.shape[0], strip_rows(image.shape[1]))
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


# --- steps ----------------------------------------------------------------------------------------

@dataclass
class Step:
    """One or more consecutive nodes computed together (a fused run, or one node)."""

    nodes: list[Node]
    last: int  # index of the step's last node in the active list
    # run(strip, frame, origin, out, out_offset): as apply_node (out None: the whole result)
    run: Callable[..., np.ndarray]
    tiles: bool
    halo: int
    reads_8bit: bool = False  # run() also takes 8-bit strips (the export path's source), converting as it reads
    finishes: bool = False  # run() also takes an 8-bit out, which it writes finished (OpSpec.finishes)


def plan(active: list[Node], start: int, scale: float, split_at: int | None = None,
         estimates: dict | None = None, camera=None) -> list[Step]:
    """Group active[start:] into steps: runs of point ops fuse into one Program (see pointops.py),
    except runs of affine ops alone (each already one cheap pass); the rest is one step per node.

    ``split_at``: a node that starts a new step even inside a fused run, so that the step before
    it ends there and its output (this node's input) is cached: the node being edited.
    ``camera``: the photo's RAW colour, if it is one (RenderContext.camera).
    ``estimates``: whole-picture estimates by node index (``estimates``).
    """
    estimates = estimates or {}
    from . import pointops
    from .ops.base import POINT_KINDS

    steps: list[Step] = []
    i = start
    while i < len(active):
        node = active[i]
        j = i
        while j < len(active) and pointops.fusable(active[j], POINT_KINDS) and not (j == split_at and j > i):
            j += 1
        if any(n.spec.point != "affine" for n in active[i:j]):
            steps.append(Step(active[i:j], j - 1, pointops.program(active[i:j], scale).run, True, 0, reads_8bit=True))
            i = j
            continue
        halo = 0
        if node.spec.halo is not None:
            halo = int(node.spec.halo(node.params, RenderContext(scale=scale, seed=node_seed(node))))
        steps.append(Step([node], i, lambda img, frame, origin, out=None, offset=0, n=node, e=estimates.get(i):
                          apply_node(img, n, scale, frame, origin, out, offset, e, camera), bool(node.spec.tiles), halo,
                          finishes=node.spec.finishes and node.opacity >= 1.0))
        i += 1
    return steps


ESTIMATE_EDGE = 256  # pixels on the long side of the copy whole-picture estimates are made from


def estimates(active: list[Node], start: int, source: np.ndarray, scale: float,
              known: dict | None = None, keys: list[str] | None = None, camera=None) -> dict[int, object]:
    """Whole-picture estimates (``OpSpec.estimate``: dehaze's atmospheric light) of the nodes of
    active[start:] that need one, by index. Each is made from a small copy of the node's input:
    the source downscaled to ESTIMATE_EDGE pixels a side and rendered through the nodes before
    it, so the preview, the export, a 1:1 region and every strip of them use (nearly) the same
    value, where each strip estimating on its own would not. ``known``: a cache, keyed by
    ``keys`` (what is upstream of each node, then the node's op and version). ``camera``: as plan's."""
    import cv2

    wanted = [i for i in range(start, len(active)) if active[i].spec.estimate is not None]
    if not wanted or source.ndim != 3 or min(source.shape[:2]) < 1:
        return {}
    found = {}
    small = None
    for i in wanted:
        node = active[i]
        key = None if keys is None else f"{keys[i]}|{node.op}|{node.version}"
        if known is not None and key in known:
            found[i] = known[key]
            continue
        if small is None:
            height, width = source.shape[:2]
            shrink = min(1.0, ESTIMATE_EDGE / max(height, width))
            size = (max(1, round(width * shrink)), max(1, round(height * shrink)))
            small = as_float(cv2.resize(source, size, interpolation=cv2.INTER_AREA) if shrink < 1 else source)
            small_scale = scale * size[0] / width
        renderer = Renderer()
        renderer.camera = camera
        upstream = renderer.render(small, "estimate", active[:i], scale=small_scale, use_cache=False)
        found[i] = node.spec.estimate(upstream, RenderContext(scale=small_scale, seed=node_seed(node)))
        if known is not None:  # the oldest out first; list() copies at once (renders run on several threads)
            known[key] = found[i]
            for old in list(known)[:-16]:
                known.pop(old, None)
    return found


def _run_step(step: Step, image: np.ndarray, finish_as: tuple | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """One step over the whole picture (strips on every core when the step tiles): its raw output,
    and with ``finish_as`` = (dtype, rgbx) also the finished result (see ``output``), each strip
    finished while it is in the cache."""
    if not step.tiles or image.ndim != 3 or image.shape[0] < 16:  # geometry may change the size
        result = np.asarray(step.run(image, None, 0), dtype=np.float32)
        return result, None if finish_as is None else finish(result, output(result.shape, *finish_as))
    height = image.shape[0]
    frame = (height, image.shape[1])
    out = POOL.take(image.shape)
    finished = None if finish_as is None else output(image.shape, *finish_as)

    def rows(y0: int, y1: int) -> None:
        a, b = max(0, y0 - step.halo), min(height, y1 + step.halo)
        dst = out[y0:y1]
        if step.run(image[a:b], frame, a, dst, y0 - a) is not dst:
            raise AssertionError(f"step {step.nodes[0].op} ignored its output rows")
        if finished is not None:
            _finish_rows(dst, finished[y0:y1])

    parallel(rows, height, strip_rows(image.shape[1]))
    return out, finished


def _chain(steps: list[Step], src: np.ndarray, src_lo: int, frame: tuple[int, int], y0: int, y1: int,
           dst: np.ndarray, small: int, finished: np.ndarray | None = None, keep_raw: bool = True) -> None:
    """Rows y0..y1 (of the frame) of ``steps`` applied to ``src`` (frame rows src_lo..) into ``dst``,
    and finished into ``finished`` (the same rows) when given. Without ``keep_raw`` (nobody reads
    ``dst`` afterwards), a last step that can finish its own result writes the 8-bit rows straight
    (the unsharp mask: no float rows written and read back, about 0.6 GB of memory traffic at 24 MP).

    Small strips go through every step while they are in the CPU's cache (and are finished
    there). A neighbourhood step after the first needs context rows of its input: the steps
    before it are run first, over this band plus the context, into a band-sized buffer (so
    context is computed once per band, not once per small strip).
    """
    k = next((i for i in range(1, len(steps)) if steps[i].halo), None)
    if k is not None:
        context = sum(s.halo for s in steps[k:])
        lo, hi = max(0, y0 - context), min(frame[0], y1 + context)
        middle = POOL.take((hi - lo,) + src.shape[1:])  # band-sized: recycled, not page-faulted in anew
        # one step: one pass, but a neighbourhood op (many temporaries) in strips that stay in the cache
        _chain(steps[:k], src, src_lo, frame, lo, hi, middle, small if k > 1 or steps[0].halo else hi - lo)
        _chain(steps[k:], middle, lo, frame, y0, y1, dst, small, finished, keep_raw)
        POOL.give(middle, references=1)
        return
    straight = finished is not None and not keep_raw and steps[-1].finishes and finished.dtype == np.uint8
    first = steps[0].halo
    small = max(small, strip_rows(frame[1], first))  # a wide context (dehaze, clarity): taller strips
    for a in range(y0, y1, small):
        b = min(a + small, y1)
        lo, hi = max(0, a - first), min(frame[0], b + first)
        strip, at = src[lo - src_lo:hi - src_lo], lo
        if not steps[0].reads_8bit:
            strip = as_float(strip)
        for step in steps[:-1]:
            result = step.run(strip, frame, at)
            strip, at = result[a - at:b - at], a
        if straight:
            steps[-1].run(strip, frame, at, finished[a - y0:b - y0], a - at)
            continue
        steps[-1].run(strip, frame, at, dst[a - y0:b - y0], a - at)
        if finished is not None:
            _finish_rows(dst[a - y0:b - y0], finished[a - y0:b - y0])


Sink = Callable[[int, np.ndarray], None]  # (first row, finished rows): a band of the result, as it is made
SINK_ROWS = 16  # bands handed to a sink are whole multiples of this (JPEG's tallest MCU)


def _run_strips(steps: list[Step], image: np.ndarray, poll: Callable[[], None],
                finished: np.ndarray | None = None, raw: bool = True, sink: Sink | None = None,
                finish_as: tuple = (np.uint8, False), rows: tuple[int, int] | None = None) -> np.ndarray | None:
    """All steps (all tiling) band by band on every core, each band in small strips (``_chain``).

    Writes the finished result into ``finished`` (float32, or uint8 for export) when given, and
    returns the raw (unfinished, cacheable) result as a new array when ``raw``. With ``sink``
    instead of ``finished``, the result is never whole: each band, finished as ``finish_as``
    (dtype, rgbx), goes to ``sink`` from the worker that made it, in a buffer that worker reuses
    for its next band. The image may be 8-bit (the export path's source); each strip is turned
    into floats as it is read. ``poll`` is called once per node, spread over the bands, each
    band's share before it starts (in the worker that runs it: a cancelled render stops at its
    next band). The bands go to the cores all at once: waiting for the slowest band of each group
    had cost a fifth of a preview's time. ``rows`` (y0, y1): only those rows of the result are
    made, into ``finished``, which then holds just them (not with ``raw`` or ``sink``): the part of
    a picture that a 1:1 view shows.
    """
    height, width = image.shape[:2]
    frame = (height, width)
    first, last = rows if rows is not None else (0, height)
    context = sum(s.halo for s in steps[1:])  # rows computed twice per band (the first step reads its own)
    small = strip_rows(width)
    # so that they stay a small share of the work; wide contexts (dehaze, clarity: a hundred rows
    # and more at full size) less so, or each band's buffers would hold most of the picture
    band = max(small, min(16 * context, context + 256))
    band = -(-band // SINK_ROWS) * SINK_ROWS
    out = POOL.take(image.shape) if raw else None
    bands = -(-(last - first) // band)
    polls = sum(len(s.nodes) for s in steps)
    polling = threading.Lock()  # poll() need not be thread-safe (the export dialog counts in it)

    def work(a: int, b: int) -> None:
        y0, y1, number = first + a, first + b, a // band
        with polling:
            for _ in range(polls * (number + 1) // bands - polls * number // bands):
                poll()
        dst = out[y0:y1] if out is not None else POOL.take((y1 - y0,) + image.shape[1:])
        done = finished[a:b] if finished is not None else None
        if sink is not None:
            done = _band_buffer((band,) + image.shape[1:], *finish_as)[:y1 - y0]
        _chain(steps, image, 0, frame, y0, y1, dst, small, done, keep_raw=out is not None)
        if out is None:
            POOL.give(dst, references=1)
        if sink is not None:
            sink(y0, done)

    parallel(work, last - first, band)
    return out


_band_buffers = threading.local()


def _band_buffer(shape: tuple, dtype, rgbx: bool) -> np.ndarray:
    """A finished band's buffer, kept by each worker thread for its next band (fresh pages cost
    the kernel a zeroing each: a 24 MP picture's worth per export)."""
    held = getattr(_band_buffers, "held", None)
    key = (shape, np.dtype(dtype), rgbx)
    if held is None or held[0] != key:
        held = _band_buffers.held = (key, output(shape, dtype, rgbx))
    return held[1]


def _segments(steps: list[Step]) -> list[list[Step]]:
    """Maximal runs of tiling steps; a non-tiling step (geometry) is a segment of its own."""
    segments: list[list[Step]] = []
    for step in steps:
        if not segments or not step.tiles or not segments[-1][-1].tiles:
            segments.append([step])
        else:
            segments[-1].append(step)
    return segments


def _chain_start(steps: list[Step], split_at: int | None, image: np.ndarray) -> int:
    """Where a cached render stops keeping each step's output: at the first step of the node being
    edited, when two or more steps (all tiling) start there. Their outputs change with every move
    of its slider, so they run as one chain of small strips that stay in the CPU's cache instead of
    each writing and reading a picture-sized array, and none is kept (docs/performance.md): the
    next render of the same state (once the drag has ended) runs them step by step and keeps them."""
    first = len(steps) if split_at is None else next((i for i, s in enumerate(steps) if s.last >= split_at), len(steps))
    tail = steps[first:]
    if len(tail) < 2 or not all(s.tiles for s in tail) or image.ndim != 3 or image.shape[0] < 16:
        return len(steps)
    return first


class Renderer:
    """Renders graphs with a per-node cache, bounded in bytes (least recently used first out)."""

    def __init__(self, cache_bytes: int = 384 * 1024 * 1024):
        self.cache_bytes = cache_bytes
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cached_bytes = 0
        self._lock = threading.Lock()
        self.last_recomputed = 0  # nodes computed (not taken from the cache) by the last render
        self._previous_keys: list[str] = []  # the cache keys of the last cached render's nodes
        self._edited: int | None = None  # the node being edited (index in the active list)
        self._edited_keys: list[str] = []  # the steps from it on, as the last render left them
        self.camera = None  # the photo's RAW colour (colour_science.Camera): its owner sets it
        self._estimates: dict[str, object] = {}  # whole-picture estimates (``estimates``) by what is upstream

    def clear(self) -> None:
        with self._lock:
            old = list(self._cache.values())
            self._cache.clear()
            self._cached_bytes = 0
        while old:
            POOL.give(old.pop(), references=0)

    def __del__(self):
        try:
            self.clear()
        except Exception:  # interpreter shutdown
            pass

    def _get(self, key: str) -> np.ndarray | None:
        with self._lock:
            value = self._cache.get(key)
            if value is not None:
                self._cache.move_to_end(key)
            return value

    def _drop(self, keys: list[str]) -> None:
        with self._lock:
            dropped = [self._cache.pop(key) for key in keys if key in self._cache]
            self._cached_bytes -= sum(a.nbytes for a in dropped)
        while dropped:
            POOL.give(dropped.pop(), references=0)

    def _put(self, key: str, value: np.ndarray) -> None:
        with self._lock:
            if key in self._cache or value.nbytes > self.cache_bytes:
                return
            value.setflags(write=False)
            self._cache[key] = value
            self._cached_bytes += value.nbytes
            while self._cached_bytes > self.cache_bytes:
                _, old = self._cache.popitem(last=False)
                self._cached_bytes -= old.nbytes
                POOL.give(old, references=1)

    def render(
        self,
        source: np.ndarray,
        source_key: str,
        nodes: Iterable[Node],
        scale: float = 1.0,
        cancelled: Callable[[], bool] | None = None,
        use_cache: bool = True,
        dtype=np.float32,
        rgbx: bool = False,
        sink: Sink | None = None,
        rows: tuple[int, int] | None = None,
    ) -> np.ndarray | None:
        """Render the active nodes over ``source`` (float32 RGB); returns float32 in [0, 1].

        ``dtype`` uint8 asks for the finished result in 8 bits, rounded as ``to_uint8`` (what the
        canvas shows and most exports write), in the same pass that finishes it. Without the
        cache (export) ``source`` may also be 8-bit RGB, turned into floats band by band, so that
        no picture-sized float array is ever made. ``rgbx`` pads 8-bit results to RGBX (``output``).
        ``sink`` (without the cache): the finished result is handed over band by band as it is made,
        each band a whole number of ``SINK_ROWS`` rows but the last (``_run_strips``), and not
        returned: an exporter encodes it meanwhile, and it is never whole in memory.
        ``rows`` (y0, y1), without the cache: only those rows of the result are rendered and returned
        (the part of the picture a 1:1 view shows), the same pixels as those rows of the whole result.

        source_key identifies the source pixels (path + content + size), scale the render scale.
        ``cancelled`` is polled once per node; when it returns True, RenderCancelled is raised.
        ``use_cache`` False (export, 1:1 zoom) renders strip by strip and keeps nothing
        picture-sized but the source and the result. With the cache, each step's output is
        kept, so a change anywhere recomputes from that node's step on; the first node that
        changed since the last render (the one being edited) starts a step of its own, and the
        steps from it on run as one chain (``_chain_start``) of which nothing is kept until the
        same state is rendered again; where they cannot chain, only their latest state is kept
        while the node keeps changing.
        """
        active = [n for n in nodes if n.enabled and n.opacity > 0 and not n.spec.is_identity(n.params)]
        keys, upstream = [], []  # each node's cache key, and what is upstream of it
        digest = hashlib.sha1(f"{source_key}|{scale!r}".encode())
        for node in active:
            upstream.append(digest.hexdigest())
            digest.update(repr(node.signature()).encode())
            keys.append(digest.copy().hexdigest())

        def poll() -> None:
            if cancelled is not None and cancelled():
                raise RenderCancelled()

        start, image = 0, source
        if use_cache:
            for i in range(len(active) - 1, -1, -1):
                hit = self._get(keys[i])
                if hit is not None:
                    start, image = i + 1, hit
                    break
        self.last_recomputed = len(active) - start
        split_at = None
        if use_cache:  # the first node that changed since the last render: the one being edited
            split_at = next((i for i, (k, old) in enumerate(zip(keys, self._previous_keys)) if k != old), None)
            self._previous_keys = keys
            if split_at is not None and split_at == self._edited:
                # the same node again (a slider drag): the states its last render left from it on
                # are not kept, and their buffers are reused at once (fresh ones cost page faults)
                self._drop([key for key in self._edited_keys if key not in keys])
            if split_at is not None:
                self._edited = split_at
        found = estimates(active, start, source, scale, self._estimates, upstream, self.camera)
        steps = plan(active, start, scale, split_at, found, camera=self.camera)
        if not use_cache:
            return self._render_uncached(steps, image, poll, dtype, rgbx, sink, rows)
        if sink is not None or rows is not None:
            raise ValueError("a sink or rows are for renders without the cache")
        chain = _chain_start(steps, split_at, image)
        finished = None
        for number, step in enumerate(steps[:chain]):
            for _ in step.nodes:
                poll()
            last = number == len(steps) - 1  # its result is finished strip by strip as it is made
            image, finished = _run_step(step, image, (dtype, rgbx) if last else None)
            self._put(keys[step.last], image)
        if chain < len(steps):  # the steps from the edited node on, in small strips, none of them kept
            finished = output(image.shape, dtype, rgbx)
            _run_strips(steps[chain:], image, poll, finished=finished, raw=False)
        if split_at is not None:
            self._edited_keys = [keys[step.last] for step in steps if step.last >= split_at]
        if finished is not None:
            return finished
        if dtype != np.float32 or rgbx:
            return finish(image, output(image.shape, dtype, rgbx))
        return source.copy() if image is source else finish(image)

    @staticmethod
    def _render_uncached(steps: list[Step], image: np.ndarray, poll: Callable[[], None],
                         dtype=np.float32, rgbx: bool = False, sink: Sink | None = None,
                         rows: tuple[int, int] | None = None) -> np.ndarray | None:
        if rows is not None:
            if sink is not None:
                raise ValueError("rows are returned, not handed to a sink")
            if steps and all(step.tiles for step in steps) and image.ndim == 3:  # only the rows are made
                y0, y1 = min(max(rows[0], 0), image.shape[0]), min(max(rows[1], 0), image.shape[0])
                out = output((max(y1 - y0, 0),) + image.shape[1:], dtype, rgbx)
                if y1 > y0:
                    _run_strips(steps, image, poll, finished=out, raw=False, rows=(y0, y1))
                return out
            # geometry first, or nothing to render: the whole result, cut to the rows
            return Renderer._render_uncached(steps, image, poll, dtype, rgbx)[rows[0]:rows[1]].copy()
        source = image
        segments = _segments(steps)
        for number, segment in enumerate(segments):
            last = number == len(segments) - 1
            if not segment[0].tiles or image.ndim != 3:
                for _ in segment[0].nodes:
                    poll()
                image, _ = _run_step(segment[0], as_float(image))
            elif last and sink is not None:  # finished band by band, straight to the sink
                _run_strips(segment, image, poll, raw=False, sink=sink, finish_as=(dtype, rgbx))
                return None
            elif last:  # the result comes out finished, straight from the strips
                out = output(image.shape, dtype, rgbx)
                _run_strips(segment, image, poll, finished=out, raw=False)
                return out
            else:
                image = _run_strips(segment, image, poll)
        # nothing tiled to render: the source itself, or a geometry step's result
        if sink is not None:
            result = finish(image, output(image.shape, dtype, rgbx))
            rows = max(SINK_ROWS, -(-result.shape[0] // (2 * cpu_count()) // SINK_ROWS) * SINK_ROWS)
            parallel(lambda y0, y1: sink(y0, result[y0:y1]), result.shape[0], rows)
            return None
        if dtype != np.float32 or rgbx:
            return finish(image, output(image.shape, dtype, rgbx))
        if image is source:
            return source.copy() if source.dtype == np.float32 else as_float(source)
        private = image.flags.writeable and not np.may_share_memory(image, source)
        return finish(image, out=image if private else None)


class LatestWins:
    """Request tokens: a render may go on only while no newer request has been made."""

    def __init__(self):
        self._latest = 0
        self._lock = threading.Lock()

    def new_request(self) -> int:
        with self._lock:
            self._latest += 1
            return self._latest

    def is_stale(self, token: int) -> bool:
        return token != self._latest

    def cancel_all(self) -> None:
        self.new_request()


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
