"""Scheduling: steps (``steps.py``) run over a picture in horizontal strips, on every core.

Cached renders (previews) run one step over all strips at a time (``run_step``), so each step's
output can be kept; uncached ones (export, 1:1 zoom) and the steps of the node being edited run
all steps band by band in small strips that stay in the CPU's cache (``run_strips``, ``chain``),
finishing each strip (to 8 bits) as it is made, or handing finished bands to a sink. A whole
uncached picture with several neighbourhood steps streams through them instead (``run_stream``),
so that no step recomputes the context rows of the ones after it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .finish import as_float, finish, finish_rows, output
from .parallel import POOL, cpu_count, parallel, strip_rows
from .steps import Step


def run_step(step: Step, image: np.ndarray, finish_as: tuple | None = None) -> tuple[np.ndarray, np.ndarray | None]:
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
            finish_rows(dst, finished[y0:y1])

    parallel(rows, height, strip_rows(image.shape[1]))
    return out, finished


@dataclass(frozen=True)
class Rows:
    """A band of a picture: its rows ``first``.. (``pixels``) of a ``frame`` = (height, width) picture."""

    pixels: np.ndarray
    first: int
    frame: tuple[int, int]


@dataclass(frozen=True)
class Into:
    """Where a chain of steps writes its rows: ``raw`` (float), and finished into ``finished`` (the
    same rows) when given. Without ``keep_raw`` (nobody reads ``raw`` afterwards), a last step that
    can finish its own result writes the 8-bit rows straight (the unsharp mask: no float rows
    written and read back, about 0.6 GB of memory traffic at 24 MP)."""

    raw: np.ndarray
    finished: np.ndarray | None = None
    keep_raw: bool = True


def _chain(steps: list[Step], source: Rows, rows: tuple[int, int], into: Into, small: int) -> None:
    """Rows y0..y1 (of the frame) of ``steps`` applied to ``source``, into ``into``, in strips of
    ``small`` rows (or more, for a wide context).

    Small strips go through every step while they are in the CPU's cache (and are finished
    there). A neighbourhood step after the first needs context rows of its input: the steps
    before it are run first, over this band plus the context, into a band-sized buffer (so
    context is computed once per band, not once per small strip).
    """
    src, src_lo, frame = source.pixels, source.first, source.frame
    (y0, y1), dst, finished = rows, into.raw, into.finished
    k = next((i for i in range(1, len(steps)) if steps[i].halo), None)
    if k is not None:
        context = sum(s.halo for s in steps[k:])
        lo, hi = max(0, y0 - context), min(frame[0], y1 + context)
        middle = POOL.take((hi - lo,) + src.shape[1:])  # band-sized: recycled, not page-faulted in anew
        # one step: one pass, but a neighbourhood op (many temporaries) in strips that stay in the cache
        _chain(steps[:k], source, (lo, hi), Into(middle), small if k > 1 or steps[0].halo else hi - lo)
        _chain(steps[k:], Rows(middle, lo, frame), rows, into, small)
        POOL.give(middle, references=1)
        return
    straight = finished is not None and not into.keep_raw and steps[-1].finishes and finished.dtype == np.uint8
    first = steps[0].halo
    small = max(small, strip_rows(frame[1], first))  # a wide context (dehaze, clarity): taller strips
    small = -(-(y1 - y0) // max(1, (y1 - y0) // small))  # no short strip left over: its context would cost more
    for a in range(y0, y1, small):
        b = min(a + small, y1)
        lo, hi = max(0, a - first), min(frame[0], b + first)
        strip, at = src[lo - src_lo : hi - src_lo], lo
        if not steps[0].reads_8bit:
            strip = as_float(strip)
        for step in steps[:-1]:
            if at != a or len(strip) != b - a:  # the first step's context rows: read, not made
                strip = step.run(strip, frame, at, np.empty((b - a,) + strip.shape[1:], np.float32), a - at)
            else:
                strip = step.run(strip, frame, at)
            at = a
        if straight and finished is not None:
            steps[-1].run(strip, frame, at, finished[a - y0 : b - y0], a - at)
            continue
        steps[-1].run(strip, frame, at, dst[a - y0 : b - y0], a - at)
        if finished is not None:
            finish_rows(dst[a - y0 : b - y0], finished[a - y0 : b - y0])


Sink = Callable[[int, np.ndarray], None]  # (first row, finished rows): a band of the result, as it is made
SINK_ROWS = 16  # bands handed to a sink are whole multiples of this (JPEG's tallest MCU)


def run_strips(
    steps: list[Step],
    image: np.ndarray,
    poll: Callable[[], None],
    finished: np.ndarray | None = None,
    raw: bool = True,
    sink: Sink | None = None,
    finish_as: tuple = (np.uint8, False),
    rows: tuple[int, int] | None = None,
) -> np.ndarray | None:
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
            done = _band_buffer((band,) + image.shape[1:], *finish_as)[: y1 - y0]
        _chain(steps, Rows(image, 0, frame), (y0, y1), Into(dst, done, keep_raw=out is not None), small)
        if out is None:
            POOL.give(dst, references=1)
        if sink is not None and done is not None:
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


def segments(steps: list[Step]) -> list[list[Step]]:
    """Maximal runs of tiling steps; a non-tiling step (geometry) is a segment of its own."""
    segments: list[list[Step]] = []
    for step in steps:
        if not segments or not step.tiles or not segments[-1][-1].tiles:
            segments.append([step])
        else:
            segments[-1].append(step)
    return segments


def stages(steps: list[Step]) -> list[list[Step]]:
    """Tiling steps cut before each neighbourhood step after the first: within a stage only the
    first step reads context rows, so ``_chain`` runs it in strips without recomputing any row."""
    cut = [0] + [i for i in range(1, len(steps)) if steps[i].halo] + [len(steps)]
    return [steps[a:b] for a, b in zip(cut, cut[1:])]


class _Window:
    """A stage's output rows ``first``..``end`` (of the frame), kept for the next stage: a buffer
    of ``capacity`` rows; when it is full, the rows the next stage no longer reads are dropped
    (the rest moved to its top)."""

    def __init__(self, capacity: int, shape: tuple):
        self.pixels = POOL.take((capacity,) + shape)
        self.first = self.end = 0

    def room(self, end: int, keep_from: int) -> np.ndarray:
        """The buffer's rows for ``self.end``..``end``, to write; rows before ``keep_from`` may go."""
        if end - self.first > len(self.pixels):
            kept = self.end - keep_from
            self.pixels[:kept] = self.pixels[keep_from - self.first : self.end - self.first]
            self.first = keep_from
            if end - self.first > len(self.pixels):
                raise AssertionError("a stream window overflowed")
        return self.pixels[self.end - self.first : end - self.first]


def run_stream(
    steps: list[Step],
    image: np.ndarray,
    poll: Callable[[], None],
    finished: np.ndarray | None = None,
    raw: bool = True,
    sink: Sink | None = None,
    finish_as: tuple = (np.uint8, False),
) -> np.ndarray | None:
    """What ``run_strips`` makes of the whole picture (the same pixels, the same arguments but
    ``rows``), with every row of every step computed once.

    ``run_strips`` recomputes each band's context rows through every neighbourhood step before
    it (at 24 MP with all tools, noise reduction made 10,739 rows of a 4,000-row picture). Here
    the picture streams top to bottom through ``stages``: each iteration, each stage makes the
    next rows its input allows (the first, ``chunk`` rows; a later one, all the stage before has
    made but its context rows at the bottom, ``chunk`` at most), in strips over the cores, into a
    ``_Window`` that holds what the next stage still reads. ``poll`` is called once per node,
    spread over the iterations, in the calling thread; a sink gets bands of whole multiples of
    ``SINK_ROWS`` rows (but the last), from the workers.
    """
    height, width = image.shape[:2]
    frame, shape = (height, width), image.shape[1:]
    parts = stages(steps)
    halos = [part[0].halo for part in parts]
    last = len(parts) - 1

    def sixteen(rows: int) -> int:
        return -(-rows // SINK_ROWS) * SINK_ROWS

    # each core gets a strip as tall as run_strips' for the widest neighbourhood op
    chunk = sixteen(cpu_count() * strip_rows(width, max(halos)))
    # after an iteration a stage lags the one before by its context (+ SINK_ROWS for the last)
    windows = [_Window(chunk + 2 * halos[j + 1] + SINK_ROWS, shape) for j in range(last)]
    out = POOL.take(image.shape) if raw else None
    # the last stage's raw rows: out's, or (nobody reads them) one chunk's worth, reused
    rows_out = out if out is not None else POOL.take((min(chunk, height),) + shape)
    band = output((min(chunk, height),) + shape, *finish_as) if sink is not None else None
    made = [0] * len(parts)  # rows each stage has made
    small = strip_rows(width)
    while made[-1] < height:
        for j, part in enumerate(parts):
            y0 = made[j]
            ready = height if j == 0 else made[j - 1]
            y1 = min(ready if ready == height else ready - halos[j], y0 + chunk)
            if j == last and y1 < height:
                y1 -= y1 % SINK_ROWS
            if y1 <= y0:
                continue
            nodes = sum(len(s.nodes) for s in part)
            for _ in range(nodes * y1 // height - nodes * y0 // height):
                poll()
            source = Rows(image, 0, frame) if j == 0 else Rows(windows[j - 1].pixels, windows[j - 1].first, frame)
            if j < last:
                into = Into(windows[j].room(y1, max(0, made[j + 1] - halos[j + 1])))
            else:
                dst = rows_out[y0:y1] if out is not None else rows_out[: y1 - y0]
                done = finished[y0:y1] if finished is not None else band[: y1 - y0] if band is not None else None
                into = Into(dst, done, keep_raw=out is not None)

            def work(a: int, b: int, part=part, source=source, into=into, y0=y0, sinks=sink if j == last else None):
                done = None if into.finished is None else into.finished[a:b]
                _chain(part, source, (y0 + a, y0 + b), Into(into.raw[a:b], done, into.keep_raw), small)
                if sinks is not None and done is not None:
                    sinks(y0 + a, done)

            pieces = min(sixteen(strip_rows(width, halos[j])), sixteen(-(-(y1 - y0) // cpu_count())))
            parallel(work, y1 - y0, pieces)
            made[j] = y1
            if j < last:
                windows[j].end = y1
    for window in windows:
        POOL.give(window.pixels, references=1)
    if out is None:
        POOL.give(rows_out, references=1)
    return out
