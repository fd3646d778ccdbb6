"""The tone curve editor: a channel choice (RGB, red, green, blue), presets, and the curve itself.

Drag a point to move it (between its neighbours), click beside the curve to add a point there and
drag it on, double-click or right-click a point to remove it (the two end points stay). The
widget only shows curves and says what the person did (``edited``, between ``pressed`` and
``released`` for a drag); the inspector turns that into history commands, one undo step per drag,
as it does for its sliders. The curve drawn is the op's own (``core/ops/tone_curve.py``).
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QMenu, QSizePolicy, QToolButton, QVBoxLayout, QWidget

from ..core.ops import tone_curve
from ..core.ops.base import CURVE_POINTS

TOP = tone_curve.TOP
CHANNELS = {
    "rgb": ("RGB", "#e8e8e8"),
    "red": ("Red", "#ff5a5a"),
    "green": ("Green", "#5ad25a"),
    "blue": ("Blue", "#5a8cff"),
}
GRAB_PX = 9  # how near (in pixels) a press must be to take a point


class CurvePlot(QWidget):
    """The square plot: every channel's curve (the chosen one on top, with its points)."""

    edited = Signal(str, object, bool)  # channel, points, held (a drag goes on)
    pressed = Signal(str)
    released = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.curves = {name: tone_curve.LINEAR for name in CHANNELS}
        self.channel = "rgb"
        self.dragging: int | None = None  # index of the point being dragged
        self.setMinimumSize(180, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMouseTracking(True)
        self.setToolTip("Drag a point to move it; click to add one; double-click or right-click a point to remove it")

    def sizeHint(self) -> QSize:
        return QSize(240, 240)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return width

    # --- geometry ----------------------------------------------------------------------------

    def area(self) -> QRectF:
        side = max(1.0, min(self.width(), self.height()) - 12.0)
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def to_screen(self, x: float, y: float) -> QPointF:
        a = self.area()
        return QPointF(a.left() + x / TOP * a.width(), a.bottom() - y / TOP * a.height())

    def to_curve(self, point: QPointF) -> tuple[float, float]:
        a = self.area()
        x = (point.x() - a.left()) / a.width() * TOP
        y = (a.bottom() - point.y()) / a.height() * TOP
        return float(min(max(round(x), 0), TOP)), float(min(max(round(y), 0), TOP))

    def point_at(self, position: QPointF) -> int | None:
        """The chosen channel's point under ``position`` (the nearest within GRAB_PX), or None."""
        best: float = GRAB_PX**2
        index = None
        for i, (x, y) in enumerate(self.curves[self.channel]):
            p = self.to_screen(x, y)
            distance = (p.x() - position.x()) ** 2 + (p.y() - position.y()) ** 2
            if distance <= best:
                best, index = distance, i
        return index

    # --- editing -----------------------------------------------------------------------------

    def set_points(self, points, held: bool) -> None:
        points = tuple((float(x), float(y)) for x, y in points)
        if points != self.curves[self.channel]:
            self.curves[self.channel] = points
            self.update()
            self.edited.emit(self.channel, points, held)

    def add_point(self, x: float, y: float) -> int | None:
        """Insert (x, y) where its x belongs; None when x is taken or the curve has all its points."""
        points = list(self.curves[self.channel])
        if len(points) >= CURVE_POINTS[1] or any(px == x for px, _ in points):
            return None
        index = sum(px < x for px, _ in points)
        points.insert(index, (x, y))
        self.set_points(points, held=self.dragging is not None)
        return index

    def move_point(self, index: int, x: float, y: float) -> None:
        """Move a point, its x kept strictly between its neighbours'."""
        points = list(self.curves[self.channel])
        low = points[index - 1][0] + 1 if index > 0 else 0.0
        high = points[index + 1][0] - 1 if index < len(points) - 1 else TOP
        points[index] = (min(max(x, low), high), y)
        self.set_points(points, held=True)

    def remove_point(self, index: int) -> None:
        """Remove a point between the two ends (a curve keeps at least its ends)."""
        points = list(self.curves[self.channel])
        if 0 < index < len(points) - 1:
            del points[index]
            self.set_points(points, held=False)

    def mousePressEvent(self, event) -> None:
        index = self.point_at(event.position())
        if event.button() == Qt.MouseButton.RightButton:
            if index is not None:
                self.remove_point(index)
            return
        if event.button() != Qt.MouseButton.LeftButton:
            return
        self.dragging = -1  # a drag has begun, its point not known yet
        self.pressed.emit(self.channel)
        if index is None:
            index = self.add_point(*self.to_curve(event.position()))
        self.dragging = index
        if index is None:  # nothing to drag (x taken, or all points used)
            self._end_drag()

    def mouseMoveEvent(self, event) -> None:
        if self.dragging is not None:
            self.move_point(self.dragging, *self.to_curve(event.position()))
        else:
            self.setCursor(
                Qt.CursorShape.PointingHandCursor
                if self.point_at(event.position()) is not None
                else Qt.CursorShape.CrossCursor
            )

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.dragging is not None:
            self._end_drag()

    def mouseDoubleClickEvent(self, event) -> None:
        index = self.point_at(event.position())
        if index is not None and event.button() == Qt.MouseButton.LeftButton:
            self.remove_point(index)

    def _end_drag(self) -> None:
        self.dragging = None
        self.released.emit()

    # --- painting ----------------------------------------------------------------------------

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        a = self.area()
        painter.fillRect(a, QColor("#1c1d20"))
        painter.setPen(QPen(QColor("#34363c"), 1))
        for i in range(1, 4):
            x, y = a.left() + a.width() * i / 4, a.top() + a.height() * i / 4
            painter.drawLine(QPointF(x, a.top()), QPointF(x, a.bottom()))
            painter.drawLine(QPointF(a.left(), y), QPointF(a.right(), y))
        painter.setPen(QPen(QColor("#4a4c52"), 1, Qt.PenStyle.DashLine))
        painter.drawLine(a.bottomLeft(), a.topRight())
        for name in [n for n in CHANNELS if n != self.channel] + [self.channel]:
            points = self.curves[name]
            if name != self.channel and points == tone_curve.LINEAR:
                continue
            colour = QColor(CHANNELS[name][1])
            if name != self.channel:
                colour.setAlpha(90)
            painter.setPen(QPen(colour, 2 if name == self.channel else 1))
            painter.drawPath(self._path(points, a))
        painter.setPen(QPen(QColor(CHANNELS[self.channel][1]), 1.5))
        for i, (x, y) in enumerate(self.curves[self.channel]):
            painter.setBrush(QColor(CHANNELS[self.channel][1]) if i == self.dragging else QColor("#1c1d20"))
            painter.drawEllipse(self.to_screen(x, y), 4.5, 4.5)
        painter.end()

    def _path(self, points, a: QRectF) -> QPainterPath:
        t = np.linspace(0.0, 1.0, max(2, int(a.width())))
        y = tone_curve.evaluate(points, t)
        path = QPainterPath(QPointF(a.left(), a.bottom() - y[0] * a.height()))
        for ti, yi in zip(t[1:], y[1:]):
            path.lineTo(a.left() + ti * a.width(), a.bottom() - yi * a.height())
        return path


class CurveWidget(QWidget):
    """The curve editor for the tone curve node's four curve parameters (see the module docstring)."""

    edited = Signal(str, object, bool)  # parameter name, points, held (a drag goes on)
    pressed = Signal(str)  # a drag begins on this parameter's curve
    released = Signal()

    def __init__(self):
        super().__init__()
        self.channel_box = QComboBox()
        for name, (label, _) in CHANNELS.items():
            self.channel_box.addItem(label, name)
        self.channel_box.setToolTip("The curve to edit: all channels at once (RGB), or red, green or blue alone")
        self.channel_box.currentIndexChanged.connect(lambda _i: self.show_channel(self.channel_box.currentData()))
        self.plot = CurvePlot()
        self.preset_button = QToolButton()
        self.preset_button.setText("Presets")
        self.preset_button.setToolTip("Set the RGB curve to a ready-made shape, or straighten the curve shown")
        self.preset_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.preset_menu = QMenu(self.preset_button)
        for name, points in tone_curve.PRESETS.items():
            self.preset_menu.addAction(name).triggered.connect(lambda _c=False, p=points: self.apply_preset(p))
        self.preset_menu.addSeparator()
        self.straighten_action = self.preset_menu.addAction("Straighten the curve shown")
        self.straighten_action.triggered.connect(lambda: self.plot.set_points(tone_curve.LINEAR, held=False))
        self.preset_button.setMenu(self.preset_menu)
        self.plot.edited.connect(self.edited)
        self.plot.pressed.connect(self.pressed)
        self.plot.released.connect(self.released)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.channel_box, 1)
        row.addWidget(self.preset_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.plot)

    @property
    def held(self) -> bool:
        return self.plot.dragging is not None

    def set_curve(self, name: str, points) -> None:
        """Show a curve from the model without emitting ``edited`` (not the one being dragged)."""
        if self.held and name == self.plot.channel:
            return
        points = tuple((float(x), float(y)) for x, y in points)
        if self.plot.curves[name] != points:
            self.plot.curves[name] = points
            self.plot.update()

    def show_channel(self, name: str) -> None:
        self.plot.channel = name
        self.channel_box.setCurrentIndex(self.channel_box.findData(name))
        self.plot.update()

    def apply_preset(self, points) -> None:
        """A preset is the RGB curve's: show RGB and set it (one edit, not a drag)."""
        self.show_channel("rgb")
        self.plot.set_points(points, held=False)
