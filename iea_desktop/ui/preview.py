"""Keeps the canvas fed: renders of the preview proxy and full-resolution detail, off the GUI thread.

Preview renders: at most one runs at a time; requests made meanwhile collapse into one pending
render of the newest graph (intermediate slider values are skipped), and a finished render is
shown only if it is newer than what is on screen. Detail renders (full resolution, for zoom
beyond the preview's scale) make only the rows on screen (``render_detail``), so that at 1:1 a
slider step reaches the screen about as fast as at fit; a newer request cancels the running one
between bands (``workers.LatestWins``) and its stale result is dropped.
"""

from __future__ import annotations

import copy
import threading
import time
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QThreadPool, Signal
from PySide6.QtGui import QImage

from ..core import histogram
from ..core.document import Document
from ..core.graph import EditGraph
from ..core.render import RenderCancelled, RenderRequest
from .crop_tool import frame_size
from .mask_tool import mask_plane, tinted
from .workers import LatestWins, Task


@dataclass
class Frame:
    """A rendered image ready to paint: the whole picture, or (detail) a band of its rows."""

    image: QImage
    pixels: np.ndarray  # uint8 RGB; also keeps the QImage's buffer alive
    scale: float  # frame pixels per full-resolution pixel
    revision: int  # which graph state it shows
    top: int = 0  # a band: its first row, in full-resolution pixels
    height: int | None = None  # a band: the whole picture's height, in full-resolution pixels

    @property
    def full_width(self) -> float:
        return self.pixels.shape[1] / self.scale

    @property
    def full_height(self) -> float:
        return self.height if self.height is not None else self.pixels.shape[0] / self.scale

    @property
    def rows(self) -> tuple[int, int]:
        """The rows it holds, in full-resolution pixels."""
        return self.top, self.top + round(self.pixels.shape[0] / self.scale)


@dataclass
class PreviewResult:
    after: Frame
    before: Frame | None  # None: unchanged since the last result
    histogram: histogram.Histogram | None  # None: left out while painting (PreviewPipeline.painting)
    clipping: QImage | None
    seconds: float
    mask: QImage | None = None  # the selected node's mask, tinted (``mask_node``)


def frame_from(pixels: np.ndarray, scale: float, revision: int, top: int = 0, height: int | None = None) -> Frame:
    pixels = np.ascontiguousarray(pixels)
    h, w = pixels.shape[:2]
    image = QImage(pixels.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    return Frame(image, pixels, scale, revision, top, height)


class GeometryCache:
    """The full-resolution photo after the graph's leading geometry (crop, rotate, straighten), kept
    for the next detail render: one entry, dropped when the geometry changes."""

    def __init__(self) -> None:
        self._key: str | None = None
        self._image: np.ndarray | None = None
        self._lock = threading.Lock()

    def get(self, doc: Document, source: np.ndarray, geometry: list, cancelled) -> tuple[np.ndarray, str]:
        """The picture after ``geometry`` (rendered now, or kept from before) and what it is made from
        (a ``RenderRequest.source_key``)."""
        key = "full" + repr([n.signature() for n in geometry])
        with self._lock:
            if key == self._key and self._image is not None:
                return self._image, key
        image = doc.render(
            RenderRequest(
                nodes=geometry,
                source=source,
                source_key="full",
                scale=1.0,
                cancelled=cancelled,
                cached=False,
                pipe="detail",
            )
        )
        with self._lock:
            self._key, self._image = key, image
        return image, key

    def clear(self) -> None:
        with self._lock:
            self._key = self._image = None


def render_detail(
    doc: Document, nodes: list, rows: tuple[int, int], geometry: GeometryCache, cancelled=None
) -> tuple[np.ndarray, int]:
    """Rows y0..y1 of the full-resolution result of ``nodes`` (8-bit), and the result's height.

    The renderer makes only those rows (``RenderRequest.rows``), from the photo after its
    geometry, which is kept between renders (a slider step then redoes only the rows on screen);
    a graph with geometry after other adjustments renders whole and is cut.
    """
    source = doc.full_source()
    active = EditGraph(nodes).active_nodes()
    leading = next((i for i, n in enumerate(active) if n.spec.stage != "geometry"), len(active))
    if any(n.spec.stage == "geometry" for n in active[leading:]):
        base, key, rest = source, "full", active
    elif leading:
        (base, key), rest = geometry.get(doc, source, active[:leading], cancelled), active[leading:]
    else:
        base, key, rest = source, "full", active
    pixels = doc.render(
        RenderRequest(
            nodes=rest,
            source=base,
            source_key=key,
            scale=1.0,
            cancelled=cancelled,
            cached=False,
            dtype=np.uint8,
            rows=rows,
            pipe="detail",
        )
    )
    _, height = frame_size([n for n in active if n.spec.stage == "geometry"], source.shape[1], source.shape[0])
    return pixels, height


def overlay_image(rgba: np.ndarray) -> QImage:
    h, w = rgba.shape[:2]
    return QImage(rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()


class PreviewPipeline(QObject):
    preview_ready = Signal(object)  # PreviewResult
    detail_ready = Signal(object)  # Frame at full resolution
    failed = Signal(str)

    def __init__(self, pool: QThreadPool, parent: QObject | None = None):
        super().__init__(parent)
        self._pool = pool
        self.document: Document | None = None
        self.skip_node: str | None = None  # a node left out of the render (the crop being edited)
        self.show_clipping = False
        self.mask_node: str | None = None  # a node whose mask is shown over the frame (the mask overlay, O)
        # A brush stroke or a handle drag is under way: its frames leave out the histogram (and the
        # frame without the effects it counts clipping in: 15 ms of a dab's 30), made once it ends.
        self.painting = False
        self._effects_off = histogram.EffectsOff()  # frames without grain and vignette, for the clipping
        self.revision = 0
        self._shown_revision = -1
        self._preview_task: Task | None = None
        self._preview_pending = False
        self._before_key = None
        self._detail_tokens = LatestWins()
        self._detail_task: Task | None = None
        self._detail_pending = False
        self._detail_wanted: tuple[int, int, int] | None = None  # (revision, y0, y1) asked for last
        self._detail_shown: tuple[int, int, int] | None = None  # (revision, y0, y1) last delivered
        self._geometry = GeometryCache()

    def set_document(self, document: Document | None) -> None:
        self.document = document
        self.skip_node = None
        self._before_key = None
        self._detail_tokens.cancel_all()
        self._detail_wanted = self._detail_shown = None
        self._geometry.clear()
        self.revision += 1
        self._shown_revision = -1

    def invalidate(self) -> None:
        """The preview source changed (a RAW's developed preview replaced its embedded one)."""
        self._before_key = None
        self.request()

    @property
    def busy(self) -> bool:
        return self._preview_task is not None or self._preview_pending

    # --- preview -----------------------------------------------------------------------------

    def request(self) -> None:
        """Render the current graph (coalesced with any render already queued)."""
        if self.document is None:
            return
        self.revision += 1
        self._preview_pending = True
        if self._preview_task is None:
            self._start_preview()

    def _nodes(self) -> list:
        assert self.document is not None  # asked only while a photo is open
        return copy.deepcopy([n for n in self.document.graph.nodes if n.id != self.skip_node])

    def _start_preview(self) -> None:
        self._preview_pending = False
        doc, revision, nodes = self.document, self.revision, self._nodes()
        assert doc is not None, "renders start only while a photo is open"
        geometry = [n for n in nodes if n.spec.stage == "geometry"]
        before_key = tuple(n.signature() for n in geometry)
        need_before = before_key != self._before_key
        clipping = self.show_clipping
        effects_off = self._effects_off
        mask_node = self.mask_node
        histogram_too = clipping or not self.painting

        def job(task: Task) -> PreviewResult:
            started = time.perf_counter()
            scale = doc.preview_scale
            after = doc.render(RenderRequest(nodes=nodes, dtype=np.uint8, pipe="preview"))
            before = None
            if need_before:
                before = frame_from(
                    doc.render(RenderRequest(nodes=geometry, dtype=np.uint8, pipe="before")), scale, revision
                )
            hist = overlay = None
            if histogram_too:
                lost = effects_off.masks(doc, nodes, after.shape)  # clipping counts before a vignette hides it too
                hist = histogram.compute(after, lost)
                overlay = overlay_image(histogram.clipping_mask(after, lost)) if clipping else None
            plane = mask_plane(doc, nodes, mask_node) if mask_node else None
            return PreviewResult(
                frame_from(after, scale, revision),
                before,
                hist,
                overlay,
                time.perf_counter() - started,
                None if plane is None else overlay_image(tinted(plane)),
            )

        task = Task(job)
        task.done.connect(lambda result: self._preview_done(task, doc, before_key, result))
        task.failed.connect(lambda error: self._preview_failed(task, doc, error))
        self._preview_task = task.start(self._pool)

    def _preview_done(self, task: Task, doc: Document, before_key, result: PreviewResult) -> None:
        self._finish_preview(task)
        if doc is not self.document or result.after.revision <= self._shown_revision:
            return
        if result.before is not None:
            self._before_key = before_key
        self._shown_revision = result.after.revision
        self.preview_ready.emit(result)

    def _preview_failed(self, task: Task, doc: Document, error: Exception) -> None:
        self._finish_preview(task)
        if doc is self.document:
            self.failed.emit(f"The preview could not be rendered: {error}")

    def _finish_preview(self, task: Task) -> None:
        if self._preview_task is task:
            self._preview_task = None
            if self._preview_pending and self.document is not None:
                self._start_preview()

    # --- full-resolution detail --------------------------------------------------------------

    def has_detail(self, rows: tuple[int, int]) -> bool:
        """The newest graph state's rows ``rows`` are on screen, or being rendered."""
        return any(
            done is not None and done[0] == self.revision and done[1] <= rows[0] and rows[1] <= done[2]
            for done in (self._detail_shown, self._detail_wanted)
        )

    def request_detail(self, rows: tuple[int, int]) -> None:
        """Render rows y0..y1 of the newest graph state at full resolution (for 1:1 and closer).

        A render already running for these rows goes on (during a slider drag each finished
        render is shown, then the newest state follows: cancelling it at every step would show
        nothing until the drag stops); one for rows no longer on screen is cancelled."""
        if self.document is None or self.has_detail(rows):
            return
        running = self._detail_wanted if self._detail_task is not None else None
        self._detail_wanted = (self.revision, *rows)
        if running is None:
            self._start_detail()
            return
        if not (running[1] <= rows[0] and rows[1] <= running[2]):
            self._detail_tokens.cancel_all()
        self._detail_pending = True

    def drop_detail(self) -> None:
        """The view is back at the preview's resolution: let go of the photo's geometry kept for it."""
        self._geometry.clear()

    def _start_detail(self) -> None:
        self._detail_pending = False
        doc, nodes, geometry = self.document, self._nodes(), self._geometry
        assert doc is not None and self._detail_wanted is not None, "request_detail asked for rows of a photo"
        revision, y0, y1 = self._detail_wanted
        token = self._detail_tokens.new_request()
        tokens = self._detail_tokens

        def job(task: Task) -> Frame:
            pixels, height = render_detail(doc, nodes, (y0, y1), geometry, lambda: tokens.is_stale(token))
            return frame_from(pixels, 1.0, revision, top=min(y0, height), height=height)

        task = Task(job)
        task.done.connect(lambda frame: self._detail_done(task, doc, token, frame))
        task.failed.connect(lambda error: self._detail_failed(task, doc, error))
        self._detail_task = task.start(self._pool)

    def _detail_done(self, task: Task, doc: Document, token: int, frame: Frame) -> None:
        self._finish_detail(task)
        if doc is self.document and not self._detail_tokens.is_stale(token):
            self._detail_shown = (frame.revision, *frame.rows)
            self.detail_ready.emit(frame)

    def _detail_failed(self, task: Task, doc: Document, error: Exception) -> None:
        self._finish_detail(task)
        if doc is self.document and not isinstance(error, RenderCancelled):
            self.failed.emit(f"The full-resolution view could not be rendered: {error}")

    def _finish_detail(self, task: Task) -> None:
        if self._detail_task is task:
            self._detail_task = None
            if self._detail_pending and self.document is not None:
                self._start_detail()

    def cancel_all(self) -> None:
        """Stop: renders still running are not shown (their results arrive queued, possibly after
        the window is gone) and nothing more is rendered until ``set_document``."""
        self.document = None
        self._detail_tokens.cancel_all()
        self._preview_pending = False
        self._detail_pending = False
