"""The photo view: zoom (wheel at the cursor, keys, Fit, 100%), pan, before/after, the crop tool, the mask tool
(``mask_tool.py``) and a grid.

Coordinates: the canvas works in full-resolution pixels of the rendered photo ("image space").
``zoom`` is screen pixels per image pixel; ``center`` is the image point at the middle of the
widget. The preview frame is drawn scaled; when zoomed beyond the preview's resolution the rows
on screen are rendered at full resolution (in a worker) and drawn over it once they are ready.
While a slider moves, the last full-resolution rows stay up until the next ones arrive (a
blurry preview in between would flicker); they go when the photo's size changes.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QCursor, QImage, QPainter, QPen, QTransform
from PySide6.QtWidgets import QApplication, QWidget

from . import theme
from .crop_tool import CURSORS, CropTool
from .mask_tool import MaskTool
from .preview import Frame

ZOOM_STEPS = (1 / 16, 1 / 8, 1 / 4, 1 / 3, 1 / 2, 2 / 3, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0)
MIN_ZOOM, MAX_ZOOM = 0.01, 16.0
FIT_MARGIN = 12
GRAB = 12  # how near the pointer must be to grab the divider


class Canvas(QWidget):
    view_changed = Signal()  # zoom or pan changed

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(240, 200)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.after: Frame | None = None
        self.before: Frame | None = None
        self.detail: Frame | None = None
        self.clipping: QImage | None = None
        self.zoom = 1.0
        self.center = QPointF()
        self.fit_mode = True
        self.compare = False  # split view
        self.split = 0.5  # divider position, fraction of the width
        self.show_before = False  # held key: the whole view shows the original
        self.crop_tool = CropTool(self)  # active while a crop node is selected
        self.mask_tool = MaskTool(self)  # active while a node with a mask is selected
        self.grid = False  # straighten grid
        self.space_held = False
        self.message = ""
        self._drag: tuple | None = None

    # --- content -----------------------------------------------------------------------------

    def clear(self, message: str = "") -> None:
        self.after = self.before = self.detail = None
        self.clipping = None
        self.crop_tool.set_params(None)
        self.mask_tool.clear()
        self.grid = False
        self.fit_mode = True
        self.message = message
        self.update()
        self.view_changed.emit()

    def set_frames(self, after: Frame, before: Frame | None, clipping: QImage | None) -> None:
        old = self.image_size()
        self.after = after
        if before is not None:
            self.before = before
        self.clipping = clipping
        if self.detail is not None and not self._fits(self.detail):
            self.detail = None
        self.message = ""
        if self.fit_mode or old is None:
            self.fit()
            return
        if old != self.image_size():
            self._clamp()
        self.update()
        self.view_changed.emit()

    def set_detail(self, frame: Frame) -> None:
        """Full-resolution rows (a band of the picture); older ones than those shown are dropped."""
        newer = self.detail is None or frame.revision >= self.detail.revision
        if self.after is not None and self._fits(frame) and newer:
            self.detail = frame
            self.update()

    def _fits(self, frame: Frame) -> bool:
        """A frame of a picture of the same size as the one shown (the same crop and rotation), up to
        the rounding of the preview's smaller pixels."""
        assert self.after is not None, "a frame is measured against the picture shown"
        slack = 1 + 1 / self.after.scale
        return (
            abs(frame.full_width - self.after.full_width) < slack
            and abs(frame.full_height - self.after.full_height) < slack
        )

    def visible_rows(self, margin: float = 0.125) -> tuple[int, int]:
        """The rows of the picture on screen (full-resolution pixels), with ``margin`` of the view's
        height more above and below, so that a small pan needs no new render."""
        top, bottom = self.to_image(QPointF(0, 0)).y(), self.to_image(QPointF(0, self.height())).y()
        extra = (bottom - top) * margin
        assert self.after is not None, "asked only while a picture is shown (needs_detail)"
        return max(0, math.floor(top - extra)), min(math.ceil(self.after.full_height), math.ceil(bottom + extra))

    def detail_covers(self, rows: tuple[int, int]) -> bool:
        return self.detail is not None and self.detail.rows[0] <= rows[0] and rows[1] <= self.detail.rows[1]

    def image_size(self) -> tuple[float, float] | None:
        if self.after is None:
            return None
        return self.after.full_width, self.after.full_height

    @property
    def needs_detail(self) -> bool:
        """Zoomed in past the preview's resolution: full-resolution pixels would show more."""
        return self.after is not None and self.zoom > self.after.scale * 1.05

    # --- view --------------------------------------------------------------------------------

    def screen_transform(self) -> QTransform:
        """Image space -> screen."""
        z = self.zoom
        return QTransform(z, 0, 0, z, self.width() / 2 - self.center.x() * z, self.height() / 2 - self.center.y() * z)

    def to_screen(self, point: QPointF) -> QPointF:
        return self.screen_transform().map(point)

    def to_image(self, point: QPointF) -> QPointF:
        return QPointF(
            self.center.x() + (point.x() - self.width() / 2) / self.zoom,
            self.center.y() + (point.y() - self.height() / 2) / self.zoom,
        )

    def image_rect_on_screen(self) -> QRectF:
        w, h = self.image_size() or (0, 0)
        return QRectF(self.to_screen(QPointF(0, 0)), self.to_screen(QPointF(w, h)))

    def after_area(self) -> QRectF:
        """Where the view shows the edited photo: right of the divider in the split view, else all of it."""
        x = self.width() * self.split if self.compare and self.before is not None and not self.show_before else 0.0
        return QRectF(x, 0, self.width() - x, self.height())

    def fit_zoom(self) -> float:
        size = self.image_size()
        if size is None:
            return 1.0
        w, h = size
        return max(min((self.width() - 2 * FIT_MARGIN) / w, (self.height() - 2 * FIT_MARGIN) / h, MAX_ZOOM), MIN_ZOOM)

    def fit(self) -> None:
        self.fit_mode = True
        size = self.image_size()
        if size is not None:
            self.zoom = self.fit_zoom()
            self.center = QPointF(size[0] / 2, size[1] / 2)
        self.update()
        self.view_changed.emit()

    def set_zoom(self, zoom: float, anchor: QPointF | None = None) -> None:
        """Zoom keeping the image point under ``anchor`` (default: the middle) where it is."""
        if self.after is None:
            return
        anchor = anchor if anchor is not None else QPointF(self.width() / 2, self.height() / 2)
        fixed = self.to_image(anchor)
        self.zoom = min(max(zoom, MIN_ZOOM), MAX_ZOOM)
        self.center = QPointF(
            fixed.x() - (anchor.x() - self.width() / 2) / self.zoom,
            fixed.y() - (anchor.y() - self.height() / 2) / self.zoom,
        )
        self.fit_mode = False
        self._clamp()
        self.update()
        self.view_changed.emit()

    def actual_size(self) -> None:
        self.set_zoom(1.0)

    def zoom_in(self) -> None:
        self.set_zoom(next((z for z in ZOOM_STEPS if z > self.zoom * 1.01), MAX_ZOOM))

    def zoom_out(self) -> None:
        smaller = [z for z in ZOOM_STEPS if z < self.zoom * 0.99]
        if not smaller or smaller[-1] <= self.fit_zoom():
            self.fit()
        else:
            self.set_zoom(smaller[-1])

    def zoom_text(self) -> str:
        if self.after is None:
            return ""
        percent = f"{100 * self.zoom:.0f}%" if self.zoom >= 0.1 else f"{100 * self.zoom:.1f}%"
        return f"Fit ({percent})" if self.fit_mode else percent

    def _clamp(self) -> None:
        """Keep the image in view: centred when smaller than the view, edges reachable when larger."""
        size = self.image_size()
        if size is None:
            return
        coords = []
        for length, view, c in ((size[0], self.width(), self.center.x()), (size[1], self.height(), self.center.y())):
            half = view / 2 / self.zoom
            coords.append(length / 2 if length <= 2 * half else min(max(c, half), length - half))
        self.center = QPointF(*coords)

    def set_compare(self, on: bool) -> None:
        self.compare = on
        self.update()

    def set_show_before(self, on: bool) -> None:
        if on != self.show_before:
            self.show_before = on
            self.update()

    def set_crop(self, params: dict | None) -> None:
        """Show the crop tool for these crop params, or hide it (None)."""
        self.crop_tool.set_params(params)

    def set_grid(self, on: bool) -> None:
        self.grid = on
        self.update()

    def resizeEvent(self, event) -> None:
        if self.fit_mode:
            self.fit()
        else:
            self._clamp()
            self.view_changed.emit()

    # --- painting ----------------------------------------------------------------------------

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(theme.CANVAS))
        if self.after is None:
            p.setPen(QColor(theme.DIM_TEXT))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.message)
            return
        if self.show_before and self.before is not None:
            self._draw(p, self.before)
            self.draw_label(p, "Before", Qt.AlignmentFlag.AlignLeft)
        elif self.compare and self.before is not None:
            x = self.width() * self.split
            p.save()
            p.setClipRect(self.after_area())
            self._draw_after(p, self.after)
            p.restore()
            p.save()
            p.setClipRect(QRectF(0, 0, x, self.height()))
            self._draw(p, self.before)
            p.restore()
            self._draw_divider(p, x)
        else:
            self._draw_after(p, self.after)
        if self.crop_tool.active:
            self.crop_tool.paint(p)
        elif self.mask_tool.active and not self.show_before:
            self.mask_tool.paint(p)
        elif self.grid:
            self._draw_grid(p)
        if self.needs_detail and not self.detail_covers(self.visible_rows(margin=0)):
            self.draw_label(p, "Loading full resolution…", Qt.AlignmentFlag.AlignRight, bottom=True)

    def _draw_after(self, p: QPainter, after: Frame) -> None:
        """The edited photo: the preview (``after``), the full-resolution rows over it when zoomed in, clipping."""
        self._draw(p, after)
        if self.detail is not None and self.needs_detail:
            self._draw(p, self.detail)
        self._draw_clipping(p)

    def _draw(self, p: QPainter, frame: Frame) -> None:
        """Draw the visible part of a frame (only that part is scaled)."""
        view = QRectF(self.to_image(QPointF(0, 0)), self.to_image(QPointF(self.width(), self.height())))
        s = frame.scale
        visible = view.intersected(QRectF(0, frame.top, frame.full_width, frame.pixels.shape[0] / s))
        if visible.isEmpty():
            return
        source = QRectF(visible.x() * s, (visible.y() - frame.top) * s, visible.width() * s, visible.height() * s)
        target = QRectF(self.to_screen(visible.topLeft()), self.to_screen(visible.bottomRight()))
        # Smooth when shrinking or mildly enlarging; at high magnification show crisp pixels.
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.zoom / s < 2.0)
        p.drawImage(target, frame.image, source)

    def _draw_clipping(self, p: QPainter) -> None:
        if self.clipping is not None and self.after is not None:
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            p.drawImage(self.image_rect_on_screen(), self.clipping)

    def _draw_divider(self, p: QPainter, x: float) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(QColor(255, 255, 255, 220), 2))
        p.drawLine(QPointF(x, 0), QPointF(x, self.height()))
        p.setBrush(QColor(theme.PANEL))
        middle = QPointF(x, self.height() / 2)
        p.drawEllipse(middle, 13, 13)
        p.setPen(QPen(QColor(theme.TEXT), 1.6))
        for d in (-1, 1):
            tip = QPointF(x + d * 8, middle.y())
            p.drawLine(tip, QPointF(x + d * 3, middle.y() - 5))
            p.drawLine(tip, QPointF(x + d * 3, middle.y() + 5))
        self.draw_label(p, "Before", Qt.AlignmentFlag.AlignLeft)
        self.draw_label(p, "After", Qt.AlignmentFlag.AlignRight)

    def draw_label(self, p: QPainter, text: str, side, bottom: bool = False) -> None:
        metrics = p.fontMetrics()
        w, h = metrics.horizontalAdvance(text) + 16, metrics.height() + 8
        x = 10 if side == Qt.AlignmentFlag.AlignLeft else self.width() - w - 10
        y = self.height() - h - 10 if bottom else 10
        rect = QRectF(x, y, w, h)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, 150))
        p.drawRoundedRect(rect, 4, 4)
        p.setPen(QColor("white"))
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

    def _draw_grid(self, p: QPainter) -> None:
        rect = self.image_rect_on_screen().intersected(QRectF(self.rect()))
        p.setPen(QPen(QColor(255, 255, 255, 70), 1))
        step = 48.0
        x = rect.left() + step
        while x < rect.right():
            p.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
            x += step
        y = rect.top() + step
        while y < rect.bottom():
            p.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
            y += step

    # --- mouse and keys ----------------------------------------------------------------------

    def _near_divider(self, pos: QPointF) -> bool:
        return self.compare and not self.show_before and abs(pos.x() - self.width() * self.split) <= GRAB

    def mousePressEvent(self, event) -> None:
        self.setFocus()
        pos = event.position()
        if self.after is None:
            return
        if event.button() == Qt.MouseButton.LeftButton and not self.space_held:
            if self._near_divider(pos):
                self._drag = ("split",)
                return
            if self.crop_tool.press(pos, event.modifiers()):
                self._drag = ("crop",)
                return
            if not self.crop_tool.active and self.mask_tool.press(pos, event.modifiers()):
                self._drag = ("mask",)
                return
        if event.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.MiddleButton):
            self._drag = ("pan", pos, QPointF(self.center))
            self.setCursor(Qt.CursorShape.ClosedHandCursor)

    def mouseMoveEvent(self, event) -> None:
        pos = event.position()
        if self._drag is None:
            self.mask_tool.hover(pos)
            self._update_cursor(pos)
            return
        kind = self._drag[0]
        if kind == "split":
            self.split = min(max(pos.x() / max(self.width(), 1), 0.02), 0.98)
            self.update()
        elif kind == "crop":
            self.crop_tool.move(pos, event.modifiers())
        elif kind == "mask":
            self.mask_tool.move(pos, event.modifiers())
        elif kind == "pan":
            _, start_pos, start_center = self._drag
            self.center = start_center - (pos - start_pos) / self.zoom
            self._clamp()
            self.fit_mode = False
            self.update()
            self.view_changed.emit()

    def mouseReleaseEvent(self, event) -> None:
        drag, self._drag = self._drag, None
        if drag is not None and drag[0] == "crop":
            self.crop_tool.release(event.position())
        elif drag is not None and drag[0] == "mask":
            self.mask_tool.release(event.position())
        self._update_cursor(event.position())

    def mouseDoubleClickEvent(self, event) -> None:
        if self.after is None or self.crop_tool.active or self.mask_tool.hit(event.position()) is not None:
            return
        if self.fit_mode:
            self.set_zoom(1.0, event.position())
        else:
            self.fit()

    def leaveEvent(self, event) -> None:
        self.mask_tool.hover(None)

    def wheelEvent(self, event) -> None:
        steps = event.angleDelta().y() / 120
        if steps and self.after is not None:
            self.set_zoom(self.zoom * 2 ** (steps / 4), event.position())

    def _update_cursor(self, pos: QPointF) -> None:
        if self.after is None:
            self.unsetCursor()
        elif self.space_held:
            self.setCursor(Qt.CursorShape.OpenHandCursor)
        elif self._near_divider(pos):
            self.setCursor(Qt.CursorShape.SplitHCursor)
        elif (grab := self.crop_tool.hit(pos, QApplication.keyboardModifiers())) is not None:
            self.setCursor(CURSORS[grab])
        elif not self.crop_tool.active and (shape := self.mask_tool.cursor(pos)) is not None:
            self.setCursor(shape)
        else:
            self.setCursor(Qt.CursorShape.OpenHandCursor if not self.fit_mode else Qt.CursorShape.ArrowCursor)

    def set_space_held(self, held: bool) -> None:
        self.space_held = held
        self._update_cursor(self.mapFromGlobal(QCursor.pos()).toPointF())
