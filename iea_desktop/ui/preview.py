"""Keeps the canvas fed: renders of the preview proxy and full-resolution detail, off the GUI thread.

Preview renders: at most one runs at a time; requests made meanwhile collapse into one pending
render of the newest graph (intermediate slider values are skipped), and a finished render is
shown only if it is newer than what is on screen. Detail renders (full resolution, for zoom
beyond the preview's scale) are long, so a newer request cancels the running one between nodes
(core ``LatestWins``) and its stale result is dropped.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QThreadPool, Signal
from PySide6.QtGui import QImage

from ..core import histogram
from ..core.document import Document
from ..core.render import LatestWins, RenderCancelled
from .workers import Task


@dataclass
class Frame:
    """A rendered image ready to paint."""

    image: QImage
    pixels: np.ndarray  # uint8 RGB; also keeps the QImage's buffer alive
    scale: float  # frame pixels per full-resolution pixel
    revision: int  # which graph state it shows

    @property
    def full_width(self) -> float:
        return self.pixels.shape[1] / self.scale

    @property
    def full_height(self) -> float:
        return self.pixels.shape[0] / self.scale


@dataclass
class PreviewResult:
    after: Frame
    before: Frame | None  # None: unchanged since the last result
    histogram: histogram.Histogram
    clipping: QImage | None
    seconds: float


def frame_from(pixels: np.ndarray, scale: float, revision: int) -> Frame:
    pixels = np.ascontiguousarray(pixels)
    h, w = pixels.shape[:2]
    image = QImage(pixels.data, w, h, 3 * w, QImage.Format_RGB888)
    return Frame(image, pixels, scale, revision)


def overlay_image(rgba: np.ndarray) -> QImage:
    h, w = rgba.shape[:2]
    return QImage(rgba.data, w, h, 4 * w, QImage.Format_RGBA8888).copy()


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
        self._effects_off = histogram.EffectsOff()  # frames without grain and vignette, for the clipping
        self.revision = 0
        self._shown_revision = -1
        self._preview_task: Task | None = None
        self._preview_pending = False
        self._before_key = None
        self._detail_tokens = LatestWins()
        self._detail_task: Task | None = None
        self._detail_pending = False
        self._detail_revision = -1

    def set_document(self, document: Document | None) -> None:
        self.document = document
        self.skip_node = None
        self._before_key = None
        self._detail_tokens.cancel_all()
        self._detail_revision = -1
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
        self._detail_tokens.cancel_all()
        self._detail_pending = False
        self._preview_pending = True
        if self._preview_task is None:
            self._start_preview()

    def _nodes(self):
        return copy.deepcopy([n for n in self.document.graph.nodes if n.id != self.skip_node])

    def _start_preview(self) -> None:
        self._preview_pending = False
        doc, revision, nodes = self.document, self.revision, self._nodes()
        geometry = [n for n in nodes if n.spec.stage == "geometry"]
        before_key = tuple(n.signature() for n in geometry)
        need_before = before_key != self._before_key
        clipping = self.show_clipping
        effects_off = self._effects_off

        def job(task: Task) -> PreviewResult:
            started = time.perf_counter()
            scale = doc.preview_scale
            after = doc.render_preview(nodes=nodes, dtype=np.uint8)
            before = frame_from(doc.render_preview(nodes=geometry, dtype=np.uint8), scale, revision) if need_before else None
            lost = effects_off.masks(doc, nodes, after.shape)  # clipping counts before a vignette hides it too
            hist = histogram.compute(after, lost)
            overlay = overlay_image(histogram.clipping_mask(after, lost)) if clipping else None
            return PreviewResult(frame_from(after, scale, revision), before, hist, overlay,
                                 time.perf_counter() - started)

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

    def has_detail(self, revision: int) -> bool:
        return self._detail_revision == revision

    def request_detail(self) -> None:
        """Render the shown graph state at full resolution (for 1:1 and closer zoom)."""
        if self.document is None or self._detail_revision == self.revision:
            return
        if self._detail_task is not None:
            self._detail_tokens.cancel_all()
            self._detail_pending = True
            return
        self._start_detail()

    def _start_detail(self) -> None:
        self._detail_pending = False
        doc, revision, nodes = self.document, self.revision, self._nodes()
        token = self._detail_tokens.new_request()
        tokens = self._detail_tokens

        def job(task: Task) -> Frame:
            source = doc.full_source()
            if tokens.is_stale(token):
                raise RenderCancelled()
            pixels = doc.renderer.render(source, doc.source_key("full", source.shape), nodes, scale=1.0,
                                         cancelled=lambda: tokens.is_stale(token), use_cache=False, dtype=np.uint8)
            return frame_from(pixels, 1.0, revision)

        task = Task(job)
        task.done.connect(lambda frame: self._detail_done(task, doc, token, frame))
        task.failed.connect(lambda error: self._detail_failed(task, doc, error))
        self._detail_task = task.start(self._pool)

    def _detail_done(self, task: Task, doc: Document, token: int, frame: Frame) -> None:
        self._finish_detail(task)
        if doc is self.document and not self._detail_tokens.is_stale(token) and frame.revision == self.revision:
            self._detail_revision = frame.revision
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
        self._detail_tokens.cancel_all()
        self._preview_pending = False
        self._detail_pending = False
