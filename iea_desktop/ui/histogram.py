"""The live histogram: RGB and luminance of the displayed 8-bit preview, with clipping warnings.

The counts are made in the render worker (``core/histogram.py``); the widget only paints them.
The two triangles light up when shadows or highlights clip; clicking either toggles the
clipping overlay on the canvas.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from ..core.histogram import CLIP_WARNING, Histogram
from . import theme


class HistogramWidget(QWidget):
    clipping_toggled = Signal(bool)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(110)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(120)
        self._hist: Histogram | None = None
        self._show_clipping = False
        self.setToolTip(
            "Histogram of the photo as shown. The triangles warn about clipped shadows (left) "
            "and highlights (right); click one to show the clipped areas on the photo.\n"
            "Clipping is counted where detail is lost: pure black or white in the photo as shown, "
            "or before grain, vignette and sharpening (a vignette darkens a blown-out sky to grey "
            "but brings none of its detail back)."
        )

    @property
    def histogram(self) -> Histogram | None:
        return self._hist

    def set_histogram(self, hist: Histogram | None) -> None:
        self._hist = hist
        self.update()

    def set_show_clipping(self, on: bool) -> None:
        if on != self._show_clipping:
            self._show_clipping = on
            self.update()
            self.clipping_toggled.emit(on)

    def mousePressEvent(self, event) -> None:
        x = event.position().x()
        if x < 24 or x > self.width() - 24:
            self.set_show_clipping(not self._show_clipping)

    def _plot_rect(self) -> QRectF:
        return QRectF(6, 16, self.width() - 12, self.height() - 22)

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(theme.BASE))
        rect = self._plot_rect()
        p.setPen(QPen(QColor("#2f3035"), 1))
        for i in range(1, 4):
            x = rect.left() + rect.width() * i / 4
            p.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
        hist = self._hist
        if hist is None:
            p.setPen(QColor(theme.DIM_TEXT))
            p.drawText(rect, Qt.AlignmentFlag.AlignCenter, "No photo")
            return
        # Square-root scale so both the peaks and the thin tails are visible; the two end bins
        # (where clipping piles up) do not set the scale.
        channels = (hist.red, hist.green, hist.blue, hist.luma)
        peak = max(float(np.sqrt(c[1:255].max())) for c in channels) or 1.0
        p.setCompositionMode(QPainter.CompositionMode.CompositionMode_Plus)
        for counts, color in ((hist.red, "#6e1a1a"), (hist.green, "#1a641a"), (hist.blue, "#1a237a")):
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(color))
            p.drawPath(self._curve(counts, peak, rect))
        p.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceOver)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.setPen(QPen(QColor(220, 220, 225, 200), 1.2))
        p.drawPath(self._curve(hist.luma, peak, rect, closed=False))
        self._triangle(p, left=True, lit=hist.clip_shadows >= CLIP_WARNING, color="#4a8bff")
        self._triangle(p, left=False, lit=hist.clip_highlights >= CLIP_WARNING, color="#ff4a4a")
        p.setPen(QColor(theme.DIM_TEXT))
        font = p.font()
        font.setPointSizeF(max(font.pointSizeF() - 1.5, 7))
        p.setFont(font)
        p.drawText(
            QRectF(24, 0, self.width() - 48, 15),
            Qt.AlignmentFlag.AlignCenter,
            f"shadows {100 * hist.clip_shadows:.1f}%   ·   highlights {100 * hist.clip_highlights:.1f}%",
        )

    @staticmethod
    def _curve(counts: np.ndarray, peak: float, rect: QRectF, closed: bool = True) -> QPainterPath:
        heights = np.minimum(np.sqrt(counts) / peak, 1.0)
        path = QPainterPath()
        step = rect.width() / 255
        if closed:
            path.moveTo(rect.left(), rect.bottom())
        for i, h in enumerate(heights):
            point = QPointF(rect.left() + i * step, rect.bottom() - float(h) * rect.height())
            if i == 0 and not closed:
                path.moveTo(point)
            else:
                path.lineTo(point)
        if closed:
            path.lineTo(rect.right(), rect.bottom())
            path.closeSubpath()
        return path

    def _triangle(self, p: QPainter, left: bool, lit: bool, color: str) -> None:
        x = 6.0 if left else self.width() - 6.0
        d = 9.0 if left else -9.0
        shape = QPolygonF([QPointF(x, 3), QPointF(x + d, 3), QPointF(x, 12)])
        fill = QColor(color) if lit else QColor("#45474d")
        p.setPen(QPen(QColor("white"), 1.2) if self._show_clipping else Qt.PenStyle.NoPen)
        p.setBrush(fill)
        p.drawPolygon(shape)
