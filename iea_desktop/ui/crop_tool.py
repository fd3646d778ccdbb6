"""The crop & straighten tool on the canvas, with Lightroom's gestures.

It is active while a crop node is selected (the window enters it with R, the toolbar's Crop
button or Image > Crop & Straighten). The canvas then shows the whole frame (the window leaves
the crop node out of the render) and hands its pointer events here:

- drag a handle: move that edge or corner; with Shift the box keeps its ratio (a fixed aspect
  ratio always does);
- drag inside the box: move it;
- drag outside the box: rotate the photo (the straighten node's angle);
- level mode (Image > Level, or Ctrl + drag): draw a line along the horizon, and the photo turns
  so that the line becomes level (or plumb, for a line closer to vertical).

Edits leave as signals, the crop as fractions of the frame and the angle in degrees; the window
turns them into commands. Sizes are shown in pixels of the frame the crop applies to
(``frame_size``), as the export will write them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QLineF, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen

from ..core.ops.crop import ASPECTS, box, target_ratio

HANDLE = 9  # handle size, screen pixels
GRAB = 12  # how near the pointer must be to grab a handle
MIN_CROP = 0.02  # smallest crop, as a fraction of the frame
MAX_ANGLE = 45.0  # the straighten op's range
MIN_LEVEL_LINE = 8  # screen pixels: a shorter level line is a slip, not a horizon

CURSORS = {
    "l": Qt.CursorShape.SizeHorCursor,
    "r": Qt.CursorShape.SizeHorCursor,
    "t": Qt.CursorShape.SizeVerCursor,
    "b": Qt.CursorShape.SizeVerCursor,
    "tl": Qt.CursorShape.SizeFDiagCursor,
    "br": Qt.CursorShape.SizeFDiagCursor,
    "tr": Qt.CursorShape.SizeBDiagCursor,
    "bl": Qt.CursorShape.SizeBDiagCursor,
    "move": Qt.CursorShape.SizeAllCursor,
    "rotate": Qt.CursorShape.PointingHandCursor,
    "level": Qt.CursorShape.CrossCursor,
}
EDGES = ("left", "top", "right", "bottom")
HINT = (
    "Drag the box or its handles (Shift keeps the ratio), drag outside it to rotate, Ctrl + drag "
    "along the horizon to level it. Enter applies, Esc cancels."
)


def frame_size(nodes, width: int, height: int) -> tuple[int, int]:
    """Width and height, in full-resolution pixels, of a ``width`` x ``height`` photo after the
    geometry among ``nodes`` (the active nodes before a crop: the frame that crop applies to)."""
    for node in nodes:
        if node.spec.size is not None:
            width, height = node.spec.size(node.params, width, height)
    return width, height


def crop_frame(document, crop) -> tuple[int, int]:
    """The frame a crop node of ``document`` applies to: its size in full-resolution pixels."""
    graph = document.graph
    earlier = {n.id for n in graph.nodes[: graph.index_of(crop.id)]}
    before = [n for n in graph.active_nodes() if n.id in earlier]
    return frame_size(before, document.info.width, document.info.height)


def ratio_text(width: int, height: int) -> str:
    """'3:2' when the size is (within 0.5 %) one of the crop's named ratios, else '1.47:1'."""
    for aspect in ASPECTS:
        ratio = target_ratio(aspect, width, height) if ":" in aspect else None
        if ratio is not None and abs(ratio / (width / height) - 1) < 0.005:
            return aspect
    return f"{width / height:.2f}:1" if width >= height else f"1:{height / width:.2f}"


def size_text(params: dict, frame: tuple[int, int]) -> str:
    """The crop's size as it will be written: '1200 × 800 px, 3:2'."""
    x0, y0, x1, y1 = box(params, *frame)
    return f"{x1 - x0} × {y1 - y0} px, {ratio_text(x1 - x0, y1 - y0)}"


def edges_for_aspect(params: dict, aspect: str, frame: tuple[int, int]) -> dict:
    """The edges (fractions) of the box ``params`` shows once held to ``aspect``: what the crop's
    Left/Top/Right/Bottom become when a ratio is chosen, so that they describe the box drawn."""
    width, height = frame
    x0, y0, x1, y1 = box({**params, "aspect": aspect}, width, height)
    return {"left": x0 / width, "top": y0 / height, "right": x1 / width, "bottom": y1 / height}


def level_angle(angle: float, line: QLineF) -> float:
    """The straighten angle that makes ``line`` (drawn on the photo as turned by ``angle``) level,
    or plumb when it is closer to vertical."""
    tilt = math.degrees(math.atan2(line.dy(), line.dx()))  # screen y points down: + is clockwise
    tilt = (tilt + 45) % 90 - 45  # the nearest horizontal or vertical
    return min(max(angle - tilt, -MAX_ANGLE), MAX_ANGLE)


@dataclass
class _Drag:
    """A gesture under way: "level" (a line from ``start_pos`` to ``pos``), "rotate" (about
    ``centre``, from ``start_angle``) or "crop" (``handle``, or "move", from ``start_edges``)."""

    kind: str
    start_pos: QPointF  # where the press was, on screen
    pos: QPointF  # where the pointer is now
    centre: QPointF | None = None
    start_angle: float = 0.0
    handle: str = ""
    start_edges: tuple = ()  # left, top, right, bottom (fractions of the frame)


class CropTool(QObject):
    """State and gestures of the crop tool; ``canvas`` maps between screen and image space."""

    crop_edited = Signal(dict, bool)  # new edges (fractions), True when the drag ended
    angle_edited = Signal(float, bool)  # new straighten angle (degrees), True when the drag ended

    def __init__(self, canvas) -> None:
        super().__init__(canvas)
        self.canvas = canvas
        self.params: dict | None = None  # the crop node's params while the tool is active
        self.frame: tuple[int, int] | None = None  # the cropped frame's size in full-resolution pixels
        self.angle = 0.0  # the straighten angle the photo is shown at
        self.level = False  # level mode: a drag draws a line along the horizon
        self._drag: _Drag | None = None
        self._moved = False  # the drag has changed something (a click alone changes nothing)

    @property
    def active(self) -> bool:
        return self.params is not None

    @property
    def dragging(self) -> bool:
        return self._drag is not None

    def set_params(self, params: dict | None, frame: tuple[int, int] | None = None, angle: float = 0.0) -> None:
        self.params = dict(params) if params is not None else None
        self.frame = frame
        if self._drag is None or self._drag.kind != "rotate":
            self.angle = angle
        if params is None:
            self._drag = None
            self.level = False
        self.canvas.update()

    def set_level(self, on: bool) -> None:
        self.level = on
        self.canvas.update()

    # --- geometry ----------------------------------------------------------------------------

    def rect(self) -> QRectF | None:
        """The crop as it will be applied (held to its aspect ratio), in image space."""
        size = self.canvas.image_size()
        if self.params is None or size is None:
            return None
        w, h = max(int(round(size[0])), 1), max(int(round(size[1])), 1)
        x0, y0, x1, y1 = box(self.params, w, h)
        return QRectF(x0, y0, x1 - x0, y1 - y0)

    def screen_rect(self) -> QRectF:
        rect = self.rect()
        assert rect is not None, "the tool measures its box only while active on a picture shown"
        return QRectF(self.canvas.to_screen(rect.topLeft()), self.canvas.to_screen(rect.bottomRight()))

    def handles(self) -> dict[str, QPointF]:
        r = self.screen_rect()
        cx, cy = r.center().x(), r.center().y()
        return {
            "tl": r.topLeft(),
            "t": QPointF(cx, r.top()),
            "tr": r.topRight(),
            "r": QPointF(r.right(), cy),
            "br": r.bottomRight(),
            "b": QPointF(cx, r.bottom()),
            "bl": r.bottomLeft(),
            "l": QPointF(r.left(), cy),
        }

    def hit(self, pos: QPointF, modifiers=Qt.KeyboardModifier.NoModifier) -> str | None:
        """What a press at ``pos`` would grab: a handle, 'move', 'rotate' or 'level' (None: inactive)."""
        if not self.active or self.canvas.image_size() is None:
            return None
        if self.level or modifiers & Qt.KeyboardModifier.ControlModifier:
            return "level"
        for name, point in self.handles().items():
            if abs(point.x() - pos.x()) <= GRAB and abs(point.y() - pos.y()) <= GRAB:
                return name
        return "move" if self.screen_rect().contains(pos) else "rotate"

    # --- gestures ----------------------------------------------------------------------------

    def press(self, pos: QPointF, modifiers) -> bool:
        """Start a gesture; False when the tool is not active."""
        kind = self.hit(pos, modifiers)
        if kind is None:
            return False
        self._moved = False
        if kind in ("level", "rotate"):
            self._drag = _Drag(kind, pos, pos, centre=self.screen_rect().center(), start_angle=self.angle)
        else:
            w, h = self.canvas.image_size()
            rect = self.rect()
            assert rect is not None, "hit() found a handle of the box"
            start = (rect.left() / w, rect.top() / h, rect.right() / w, rect.bottom() / h)
            self._drag = _Drag("crop", pos, pos, handle=kind, start_edges=start)
        return True

    def move(self, pos: QPointF, modifiers) -> None:
        drag = self._drag
        if drag is None or self.params is None:  # the tool was closed under the drag (set_params(None))
            return
        drag.pos = pos
        self._moved = True
        if drag.kind == "level":
            self.canvas.update()
        elif drag.kind == "rotate":
            assert drag.centre is not None, "press() gives a rotation its centre"
            turned = QLineF(drag.centre, drag.start_pos).angleTo(QLineF(drag.centre, pos))  # counter-clockwise, 0..360
            turned = -((turned + 180) % 360 - 180)
            self.angle = round(min(max(drag.start_angle + turned, -MAX_ANGLE), MAX_ANGLE), 2)
            self.canvas.update()
            self.angle_edited.emit(self.angle, False)
        else:
            edges = self._crop_drag(drag, bool(modifiers & Qt.KeyboardModifier.ShiftModifier))
            self.params.update(edges)
            self.canvas.update()
            self.crop_edited.emit(edges, False)

    def release(self, pos: QPointF) -> None:
        drag, self._drag = self._drag, None
        if drag is None or self.params is None:  # the tool was closed under the drag (set_params(None))
            return
        if drag.kind == "level":
            line = QLineF(drag.start_pos, pos)
            if line.length() >= MIN_LEVEL_LINE:
                self.angle = round(level_angle(self.angle, line), 2)
                self.angle_edited.emit(self.angle, True)
            self.canvas.update()
        elif not self._moved:
            return
        elif drag.kind == "rotate":
            self.angle_edited.emit(self.angle, True)
        else:
            self.crop_edited.emit({k: self.params[k] for k in EDGES}, True)

    def _crop_drag(self, drag: _Drag, keep_ratio: bool) -> dict:
        """New edges (fractions) for a drag of a handle (or of the box: "move")."""
        canvas = self.canvas
        assert self.params is not None, "a drag of the box happens while the tool is active"
        w, h = canvas.image_size()
        handle, start, start_pos, pos = drag.handle, drag.start_edges, drag.start_pos, drag.pos
        left, top, right, bottom = start
        if handle == "move":
            dx = (pos.x() - start_pos.x()) / canvas.zoom / w
            dy = (pos.y() - start_pos.y()) / canvas.zoom / h
            dx = min(max(dx, -left), 1 - right)
            dy = min(max(dy, -top), 1 - bottom)
            return _edges(left + dx, top + dy, right + dx, bottom + dy)
        point = canvas.to_image(pos)
        fx, fy = min(max(point.x() / w, 0.0), 1.0), min(max(point.y() / h, 0.0), 1.0)
        if "l" in handle:
            left = min(fx, right - MIN_CROP)
        if "r" in handle:
            right = max(fx, left + MIN_CROP)
        if "t" in handle:
            top = min(fy, bottom - MIN_CROP)
        if "b" in handle:
            bottom = max(fy, top + MIN_CROP)
        ratio = target_ratio(self.params.get("aspect", "free"), int(w), int(h))
        if ratio is not None:
            ratio = ratio * h / w  # in fractions of the frame
        elif keep_ratio:
            ratio = (start[2] - start[0]) / (start[3] - start[1])
        if ratio is not None:
            left, top, right, bottom = _hold_ratio(handle, (left, top, right, bottom), start, ratio)
        return _edges(left, top, right, bottom)

    # --- painting ----------------------------------------------------------------------------

    def paint(self, p: QPainter) -> None:
        canvas = self.canvas
        screen = self.screen_rect()
        shade = QPainterPath()
        shade.addRect(canvas.image_rect_on_screen())
        inner = QPainterPath()
        inner.addRect(screen)
        p.fillPath(shade.subtracted(inner), QColor(0, 0, 0, 150))
        rotating = self._drag is not None and self._drag.kind == "rotate"
        lines = 8 if rotating else 2  # a finer grid while turning, to line things up against
        p.setPen(QPen(QColor(255, 255, 255, 90), 1))
        for i in range(1, lines + 1):
            x = screen.left() + screen.width() * i / (lines + 1)
            y = screen.top() + screen.height() * i / (lines + 1)
            p.drawLine(QPointF(x, screen.top()), QPointF(x, screen.bottom()))
            p.drawLine(QPointF(screen.left(), y), QPointF(screen.right(), y))
        p.setPen(QPen(QColor("white"), 1.5))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawRect(screen)
        p.setBrush(QColor("white"))
        p.setPen(QPen(QColor(0, 0, 0, 160), 1))
        for point in self.handles().values():
            p.drawRect(QRectF(point.x() - HANDLE / 2, point.y() - HANDLE / 2, HANDLE, HANDLE))
        if self._drag is not None and self._drag.kind == "level":
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            p.setPen(QPen(QColor(255, 220, 60), 2))
            p.drawLine(self._drag.start_pos, self._drag.pos)
        text = self.size_text()
        if rotating or self.angle:
            text += f" · straightened {self.angle:+.1f}°"
        canvas.draw_label(p, text, Qt.AlignmentFlag.AlignLeft, bottom=True)

    def size_text(self) -> str:
        """'1200 × 800 px, 3:2' for the box as drawn (in pixels of the frame it crops)."""
        frame = self.frame
        if frame is None:
            w, h = self.canvas.image_size()
            frame = (max(int(round(w)), 1), max(int(round(h)), 1))
        assert self.params is not None, "the size is shown while the tool is active"
        return size_text(self.params, frame)


def _edges(left: float, top: float, right: float, bottom: float) -> dict:
    return {"left": round(left, 4), "top": round(top, 4), "right": round(right, 4), "bottom": round(bottom, 4)}


def _hold_ratio(handle: str, edges: tuple, start: tuple, ratio: float) -> tuple:
    """Hold width/height (in frame fractions) at ``ratio``: edges keep the opposite edge and centre,
    corners keep the opposite corner; the result stays inside the frame."""
    left, top, right, bottom = edges
    width, height = right - left, bottom - top
    if handle in ("l", "r"):
        cy = (start[1] + start[3]) / 2
        height = min(width / ratio, 2 * min(cy, 1 - cy))
        width = height * ratio
        top, bottom = cy - height / 2, cy + height / 2
    elif handle in ("t", "b"):
        cx = (start[0] + start[2]) / 2
        width = min(height * ratio, 2 * min(cx, 1 - cx))
        height = width / ratio
        left, right = cx - width / 2, cx + width / 2
    else:
        if width / height > ratio:
            width = height * ratio
        else:
            height = width / ratio
        room_w = 1 - left if "r" in handle else right
        room_h = 1 - top if "b" in handle else bottom
        fit = min(1.0, room_w / width, room_h / height)
        width, height = width * fit, height * fit
    if "l" in handle:
        left = right - width
    if "r" in handle:
        right = left + width
    if "t" in handle:
        top = bottom - height
    if "b" in handle:
        bottom = top + height
    return left, top, right, bottom
