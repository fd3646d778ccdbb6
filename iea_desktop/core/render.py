"""The float pipeline: run the enabled nodes of a graph over a float32 RGB image.

A ``RenderRequest`` says what to render (nodes over a source), at which scale, into which format
and for which consumer; a ``Renderer`` is one consumer's pipe (``Document.pipe``). Each step's
output is cached under a key made of everything upstream (the source, the render scale, and the
signature of this node and every node before it), so moving one slider recomputes from that node
on (RawTherapee's refresh map, darktable's pixelpipe cache).

The work is split by job (docs/performance.md for the figures):
- ``steps.py`` plans: neighbouring point operations fuse into one pass of a compiled loop
  (``pointops.py``, ``_kernel.c``); a fused run is one *step*, and the cache keeps each step's
  output under the key of the step's last node.
- ``strips.py`` schedules: with the cache (previews) steps run one after the other, each over all
  strips on every core, and every step's output is kept, up to the node being edited: it starts
  a step of its own, so its input stays cached. From it on, the steps (whose outputs change with
  every move of its slider) run as one chain of small strips, like the export's, and nothing of
  them is kept until the same state is rendered again (the drag has ended). Without the cache
  (export, 1:1 zoom) all steps run band by band in small strips, from an 8-bit source straight to
  an 8-bit result when asked, so memory stays bounded at any size; a whole picture with several
  neighbourhood steps streams through them top to bottom instead, each row made once.
- ``finish.py`` makes the result safe (and 8 or 16 bits), strip by strip as it is made;
  ``parallel.py`` holds the thread pool and recycles the arrays the cache lets go of.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from .apply_node import node_seed
from .finish import as_float, finish, output
from .graph import Node
from .masks.plane import MaskPlane
from .ops.base import RenderContext
from .parallel import POOL, cpu_count, parallel
from .steps import Step, plan
from .strips import SINK_ROWS, Sink, run_step, run_stream, run_strips, segments, stages


class RenderCancelled(Exception):
    """A newer request superseded this render, or the person cancelled it."""


@dataclass(frozen=True, kw_only=True)
class RenderRequest:
    """What to render (``nodes`` over ``source``), at which scale, into which format, and for which
    consumer (``pipe``: ``Document.render`` runs it on that consumer's renderer).

    ``source``: float32 RGB; uncached, also 8-bit RGB, turned into floats band by band, so that no
    picture-sized float array is ever made. ``source_key`` identifies its pixels (path + content +
    size: ``Document.source_key``); ``Document.render`` fills in the preview proxy and its key when
    ``source`` is None, and ``scale`` (render pixels per photo pixel) from the source's width.
    ``dtype`` uint8 or uint16 asks for the finished result in 8 or 16 bits, rounded as
    ``to_uint8``, in the same pass that finishes it; ``rgbx`` pads 8-bit results to RGBX
    (``finish.output``). ``cached`` False (export, 1:1 zoom): strip by strip, nothing kept.
    ``sink`` (uncached): the finished result is handed over band by band as it is made, each band a
    whole number of ``SINK_ROWS`` rows but the last, and not returned: an exporter encodes it
    meanwhile, and it is never whole in memory. ``rows`` (y0, y1), uncached: only those rows of
    the result are rendered and returned (the part of the picture a 1:1 view shows), the same
    pixels as those rows of the whole result. ``cancelled`` is polled once per node; when it
    returns True, RenderCancelled is raised.
    """

    nodes: Sequence[Node]
    source: np.ndarray | None = None
    source_key: str = ""
    scale: float | None = None
    dtype: type = np.float32
    rgbx: bool = False
    cached: bool = True
    sink: Sink | None = None
    rows: tuple[int, int] | None = None
    cancelled: Callable[[], bool] | None = None
    pipe: str = "preview"


STREAM_CONTEXT = 64  # rows of context after the first step from which an uncached render streams
MASK_PLANES_KEPT = 8  # per renderer: a few masked nodes, and the previous state of the one being brushed
ESTIMATE_EDGE = 256  # pixels on the long side of the copy whole-picture estimates are made from


def estimates(
    active: list[Node],
    start: int,
    source: np.ndarray,
    scale: float,
    known: dict | None = None,
    keys: list[str] | None = None,
    camera=None,
) -> dict[int, object]:
    """Whole-picture estimates (``OpSpec.estimate``: dehaze's atmospheric light) of the nodes of
    active[start:] that need one, by index. Each is made from a small copy of the node's input:
    the source downscaled to ESTIMATE_EDGE pixels a side and rendered through the nodes before
    it, so the preview, the export, a 1:1 region and every strip of them use (nearly) the same
    value, where each strip estimating on its own would not. ``known``: a cache, keyed by
    ``keys`` (what is upstream of each node, then the node's op and version). ``camera``: as plan's."""
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
        upstream = Renderer(camera=camera).run(
            RenderRequest(nodes=active[:i], source=small, source_key="estimate", scale=small_scale, cached=False)
        )
        found[i] = node.spec.estimate(upstream, RenderContext(scale=small_scale, seed=node_seed(node)))
        if known is not None:  # the oldest out first; list() copies at once (renders run on several threads)
            known[key] = found[i]
            for old in list(known)[:-16]:
                known.pop(old, None)
    return found


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

    def __init__(self, cache_bytes: int = 384 * 1024 * 1024, camera=None):
        self.cache_bytes = cache_bytes
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cached_bytes = 0
        self._lock = threading.Lock()
        self.last_recomputed = 0  # nodes computed (not taken from the cache) by the last render
        self._previous_keys: list[str] = []  # the cache keys of the last cached render's nodes
        self._edited: int | None = None  # the node being edited (index in the active list)
        self._edited_keys: list[str] = []  # the steps from it on, as the last render left them
        self.camera = camera  # the photo's RAW colour (colour_science.Camera, or a callable making it), if it is one
        self._state_lock = threading.Lock()  # one cached render at a time (the edited node and the cache)
        self._estimates: dict[str, object] = {}  # whole-picture estimates (``estimates``) by what is upstream
        self._planes: OrderedDict[tuple, MaskPlane] = OrderedDict()  # masks as built (``mask_planes``)

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

    def run(self, request: RenderRequest) -> np.ndarray | None:
        """Render the active nodes of ``request`` over its source (float32 RGB, or 8-bit uncached).

        A cached render (previews) keeps each step's output, so a change anywhere recomputes from
        that node's step on; the first node that changed since this renderer's last render (the
        one being edited: each consumer has a renderer of its own, ``Document.pipe``) starts a step
        of its own, and the steps from it on run as one chain (``_chain_start``) of which nothing is
        kept until the same state is rendered again; where they cannot chain, only their latest
        state is kept while the node keeps changing. An uncached one (export, 1:1 zoom) renders strip
        by strip and keeps nothing picture-sized but the source and the result.
        """
        if not request.cached:
            return self._run(request)
        with self._state_lock:
            return self._run(request)

    def _run(self, request: RenderRequest) -> np.ndarray | None:
        if request.source is None:
            raise ValueError("a render request needs its source (Document.render fills in the preview's)")
        source, source_key, nodes = request.source, request.source_key, request.nodes
        scale = 1.0 if request.scale is None else request.scale
        cancelled, use_cache, dtype, rgbx = request.cancelled, request.cached, request.dtype, request.rgbx
        sink, rows = request.sink, request.rows
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
        planes = self.mask_planes(active, start, source, source_key, scale)
        steps = plan(active, start, scale, split_at, found, camera=self.camera, masks=planes)
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
            image, finished = run_step(step, image, (dtype, rgbx) if last else None)
            self._put(keys[step.last], image)
        if chain < len(steps):  # the steps from the edited node on, in small strips, none of them kept
            finished = output(image.shape, dtype, rgbx)
            run_strips(steps[chain:], image, poll, finished=finished, raw=False)
        if split_at is not None:
            self._edited_keys = [keys[step.last] for step in steps if step.last >= split_at]
        if finished is not None:
            return finished
        if dtype != np.float32 or rgbx:
            return finish(image, output(image.shape, dtype, rgbx))
        return source.copy() if image is source else finish(image)

    def mask_planes(
        self, active: list[Node], start: int, source: np.ndarray, source_key: str, scale: float
    ) -> dict[int, MaskPlane]:
        """The masks of active[start:] as the renderer reads them (``MaskPlane``), by node index.
        The last few are kept, by the source, the mask and the geometry upstream of its node: a
        slider move on a masked node, or on any other, does not rebuild its mask."""
        planes = {}
        for i in range(start, len(active)):
            mask = active[i].mask
            if mask is None:
                continue
            geometry = [n for n in active[:i] if n.spec.stage == "geometry"]
            key = (source_key, source.shape, scale, mask.digest, tuple(n.signature() for n in geometry))
            with self._lock:
                plane = self._planes.get(key)
                if plane is not None:
                    self._planes.move_to_end(key)
            if plane is None:
                plane = MaskPlane.build(mask, geometry, source, scale)
                with self._lock:
                    self._planes[key] = plane
                    while len(self._planes) > MASK_PLANES_KEPT:
                        self._planes.popitem(last=False)
            planes[i] = plane
        return planes

    @staticmethod
    def _render_uncached(
        steps: list[Step],
        image: np.ndarray,
        poll: Callable[[], None],
        dtype=np.float32,
        rgbx: bool = False,
        sink: Sink | None = None,
        rows: tuple[int, int] | None = None,
    ) -> np.ndarray | None:
        if rows is not None:
            if sink is not None:
                raise ValueError("rows are returned, not handed to a sink")
            if steps and all(step.tiles for step in steps) and image.ndim == 3:  # only the rows are made
                y0, y1 = min(max(rows[0], 0), image.shape[0]), min(max(rows[1], 0), image.shape[0])
                out = output((max(y1 - y0, 0),) + image.shape[1:], dtype, rgbx)
                if y1 > y0:
                    run_strips(steps, image, poll, finished=out, raw=False, rows=(y0, y1))
                return out
            # geometry first, or nothing to render: the whole result, cut to the rows
            whole = Renderer._render_uncached(steps, image, poll, dtype, rgbx)
            assert whole is not None  # returned, as there is no sink
            return whole[rows[0] : rows[1]].copy()
        source = image
        parts = segments(steps)
        for number, segment in enumerate(parts):
            last = number == len(parts) - 1
            if not segment[0].tiles or image.ndim != 3:
                for _ in segment[0].nodes:
                    poll()
                image, _ = run_step(segment[0], as_float(image))
                continue
            # wide contexts after the first step: streamed, each row made once; else bands, which
            # recompute a few context rows but never wait between steps (measured faster there)
            context = sum(step.halo for step in segment[1:])
            schedule = run_stream if len(stages(segment)) > 1 and context >= STREAM_CONTEXT else run_strips
            if last and sink is not None:  # finished band by band, straight to the sink
                schedule(segment, image, poll, raw=False, sink=sink, finish_as=(dtype, rgbx))
                return None
            elif last:  # the result comes out finished, straight from the strips
                out = output(image.shape, dtype, rgbx)
                schedule(segment, image, poll, finished=out, raw=False)
                return out
            else:
                raw = schedule(segment, image, poll)
                assert raw is not None  # run_strips returns the raw result when asked (raw=True)
                image = raw
        # nothing tiled to render: the source itself, or a geometry step's result
        if sink is not None:
            result = finish(image, output(image.shape, dtype, rgbx))
            band = max(SINK_ROWS, -(-result.shape[0] // (2 * cpu_count()) // SINK_ROWS) * SINK_ROWS)
            parallel(lambda y0, y1: sink(y0, result[y0:y1]), result.shape[0], band)
            return None
        if dtype != np.float32 or rgbx:
            return finish(image, output(image.shape, dtype, rgbx))
        if image is source:
            return source.copy() if source.dtype == np.float32 else as_float(source)
        private = image.flags.writeable and not np.may_share_memory(image, source)
        return finish(image, out=image if private else None)
