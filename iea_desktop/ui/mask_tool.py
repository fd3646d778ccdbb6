"""Masks on the canvas: handles for gradients and ellipses, a brush, a range picker and a tinted overlay.

The tool is active while a node with a mask is selected; the inspector's mask section
(``mask_panel.py``) picks which component the canvas edits (``component``):

- linear gradient: drag its start (full), its end (nothing) or the middle (both);
- radial: drag the centre, the two radius handles (square), or the round handle opposite the
  first radius to turn it;
- brush: a drag paints one stroke; with Erase on (the panel), or Alt held, it is an erase stroke of that brush component
  (it takes back what the component painted; to take an area away from an automatic mask, add a
  brush component in "subtract" mode). ``[`` and ``]`` change the size; hardness and flow are
  set in the mask section;
- brightness / colour range: a click sets the range's centre from the photo's pixel there;
- ``O`` shows the mask as the renderer sees it, tinted red over the photo (``mask_plane``).

Every drag is one undo step: each move pushes a ``SetNodeMask`` with the drag's gesture id, and
the release ends the gesture. Positions in a mask are fractions of the photo as opened (before
crop, rotation, straightening and flips); ``photo_transform`` maps them onto the frame the canvas
shows, so handles stay on the same photo content whatever the geometry.
"""

from __future__ import annotations

import colorsys
import math
import uuid
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QAction, QColor, QImage, QKeySequence, QPainter, QPen, QTransform

from ..core.apply_node import apply_node
from ..core.document import Document
from ..core.graph import EditGraph, Node
from ..core.history import SetNodeMask
from ..core.masks import Brush, ColourRange, Linear, LuminanceRange, Mask, Radial, Stroke, areas
from ..core.masks.model import MAX_POINTS, MAX_STROKES
from ..core.masks.plane import plane_size, source_photo
from ..core.masks.raster import luminance
from ..core.ops.crop import box

if TYPE_CHECKING:  # preview imports this module
    from .preview import PreviewPipeline

HANDLE = 9  # handle size, screen pixels
GRAB = 12  # how near the pointer must be to grab a handle
BRUSH_RADII = (0.002, 0.3)  # the brush's radius, fractions of the photo's long edge
BRUSH_STEP = 1.2  # [ and ]: the radius divided or multiplied by this
DAB_SPACING = 0.15  # a brush point is added once the pointer moved this share of the radius
OVERLAY_ALPHA = 0.5  # the overlay's opacity where the mask is full
OVERLAY_COLOUR = (230, 40, 40)


def photo_transform(nodes, width: int, height: int) -> tuple[QTransform, tuple[int, int]]:
    """The map from pixels of the photo as opened (``width`` x ``height``) to pixels of the frame
    after the geometry among ``nodes`` (the canvas's image space), and that frame's size. Each
    geometry op moves points as it moves pixels (``core/ops``: rotate, flip, straighten, crop)."""
    transform = QTransform()
    for node in nodes:
        if node.spec.stage != "geometry":
            continue
        p = node.params
        if node.op == "rotate":
            for _ in range(p["turns"] % 4):  # a quarter turn clockwise: (x, y) -> (h - y, x)
                transform *= QTransform(0, 1, -1, 0, height, 0)
                width, height = height, width
            continue
        if node.op == "flip":
            transform *= QTransform(
                -1 if p["horizontal"] else 1, 0, 0, -1 if p["vertical"] else 1,
                width if p["horizontal"] else 0, height if p["vertical"] else 0,
            )  # fmt: skip
        elif node.op == "straighten":
            out_w, out_h = node.spec.size(p, width, height)
            turn = QTransform()  # about the centre, clockwise on screen, then the inscribed box's corner
            turn.translate(out_w / 2, out_h / 2)
            turn.rotate(p["angle"])
            turn.translate(-width / 2, -height / 2)
            transform *= turn
        elif node.op == "crop":
            x0, y0, _, _ = box(p, width, height)
            transform *= QTransform.fromTranslate(-x0, -y0)
        else:
            raise ValueError(f"no point map for the geometry op {node.op!r}")
        if node.spec.size is not None:
            width, height = node.spec.size(p, width, height)
    return transform, (width, height)


def mask_plane(document, nodes: list[Node], node_id: str) -> np.ndarray | None:
    """The mask of node ``node_id`` over the preview, as the renderer sees it (float32 0..1), in
    the frame of the whole of ``nodes`` (the nodes the canvas shows); None without a mask. The
    plane comes from the preview pipe's ``Renderer.mask_planes`` (and its cache): the node's mask
    carried through the geometry upstream of it, then through any geometry after it."""
    index = next((i for i, n in enumerate(nodes) if n.id == node_id), None)
    if index is None or nodes[index].mask is None:
        return None
    active = {id(n) for n in EditGraph(nodes).active_nodes()}
    geometry = [(i, n) for i, n in enumerate(nodes) if id(n) in active and n.spec.stage == "geometry"]
    upstream = [n for i, n in geometry if i < index]
    downstream = [n for i, n in geometry if i > index]
    chain = upstream + [nodes[index]]
    source = document.preview_source()
    scale = document.preview_scale
    key = document.preview_key()  # the preview render's: the plane it built is reused
    pixels = document.pipe("preview").mask_planes(chain, len(chain) - 1, source, key, scale)[len(chain) - 1].pixels
    plane_scale = scale * pixels.shape[1] / max(source.shape[1], 1)
    for node in downstream:  # geometry after the masked node moves its result too
        pixels = apply_node(pixels, node, plane_scale)
    return pixels


def area_found(document, area: str) -> bool:
    """Whether the photo has ``area`` (sky, subject, ...) as the renderer's mask plane finds it:
    ``areas.find`` over the preview at the plane's size (its result is cached there)."""
    source = document.preview_source()
    height, width = plane_size(*source.shape[:2])
    return areas.find(area, source_photo(source, height, width)) is not None


def tinted(plane: np.ndarray) -> np.ndarray:
    """The mask as RGBA: red, transparent where it is empty (Lightroom's overlay)."""
    rgba = np.empty(plane.shape + (4,), np.uint8)
    rgba[..., :3] = OVERLAY_COLOUR
    rgba[..., 3] = np.clip(plane * (255 * OVERLAY_ALPHA) + 0.5, 0, 255).astype(np.uint8)
    return rgba


class MaskTool(QObject):
    """State and gestures of the mask tool; ``canvas`` maps between screen and image space."""

    brush_changed = Signal()  # the brush's size, hardness or flow changed
    overlay_toggled = Signal(bool)

    def __init__(self, canvas) -> None:
        super().__init__(canvas)
        self.canvas = canvas
        self.document: Document | None = None
        self.pipeline: PreviewPipeline | None = None  # the window's: renders the overlay with the frame
        self.node_id: str | None = None
        self.component = 0  # the component the canvas edits (index in the mask)
        self.radius, self.hardness, self.flow = 0.03, 0.5, 1.0  # the brush
        self.erasing = False  # the brush erases (the panel's Erase); Alt held does the other
        self.overlay = False
        self.overlay_pixels: QImage | None = None  # the overlay of the frame on screen
        self._drag: tuple | None = None  # (what, gesture id, component at the start, pointer start)
        self._hover: QPointF | None = None
        self._room = 0  # brush points the stroke being painted may still add (a mask holds MAX_POINTS)
        self.refusal: str | None = None  # why the last stroke was not painted (or stopped), shown on the canvas
        self.overlay_action = self._action("Show Mask &Overlay", "O", self.set_overlay, checkable=True)
        self.smaller_action = self._action("Brush &Smaller", "[", lambda: self.scale_brush(1 / BRUSH_STEP))
        self.larger_action = self._action("Brush &Larger", "]", lambda: self.scale_brush(BRUSH_STEP))
        self.actions = (self.overlay_action, self.smaller_action, self.larger_action)
        self._update_actions()

    def _action(self, text: str, key: str, slot, checkable: bool = False) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(key))
        action.setCheckable(checkable)
        action.setStatusTip(f"{text.replace('&', '')} ({key})")
        action.triggered.connect(slot)
        return action

    # --- what is edited ----------------------------------------------------------------------

    def node(self) -> Node | None:
        return None if self.document is None else self.document.graph.find_node(self.node_id)

    def mask(self) -> Mask | None:
        node = self.node()
        return node.mask if node is not None else None

    def edited(self):
        """The component the canvas edits, or None."""
        mask = self.mask()
        if mask is None or not mask.components:
            return None
        return mask.components[min(self.component, len(mask.components) - 1)]

    @property
    def active(self) -> bool:
        return self.mask() is not None and self.canvas.after is not None

    def follow(self, document, node: Node | None) -> None:
        """The window's selection: edit this node's mask (a node without one: the tool rests)."""
        if document is not self.document or (node.id if node is not None else None) != self.node_id:
            self._drag = None  # the component edited is the mask section's (``set_component``)
            self.refusal = None
            self._painting(False)
        self.document = document
        self.node_id = node.id if node is not None and node.spec.stage != "geometry" else None
        self._update_overlay_node()
        self._update_actions()
        self.canvas.update()

    def set_component(self, index: int) -> None:
        self.component = max(index, 0)
        self._update_actions()
        self.canvas.update()

    def _update_actions(self) -> None:
        on = self.mask() is not None
        self.overlay_action.setEnabled(on)
        brush = isinstance(self.edited(), Brush)
        self.smaller_action.setEnabled(brush)
        self.larger_action.setEnabled(brush)

    # --- brush and overlay settings ------------------------------------------------------------

    def set_brush(
        self,
        radius: float | None = None,
        hardness: float | None = None,
        flow: float | None = None,
        erasing: bool | None = None,
    ) -> None:
        if erasing is not None:
            self.erasing = bool(erasing)
        if radius is not None:
            self.radius = min(max(radius, BRUSH_RADII[0]), BRUSH_RADII[1])
        if hardness is not None:
            self.hardness = min(max(hardness, 0.0), 1.0)
        if flow is not None:
            self.flow = min(max(flow, 0.0), 1.0)
        self.brush_changed.emit()
        self.canvas.update()

    def scale_brush(self, factor: float) -> None:
        self.set_brush(radius=self.radius * factor)

    def set_overlay(self, on: bool) -> None:
        """O: show the mask tinted over the photo, or not."""
        on = bool(on) and self.mask() is not None
        self.overlay = on
        self.overlay_action.setChecked(on)
        self._update_overlay_node()
        self.overlay_toggled.emit(on)
        self.canvas.update()

    def _update_overlay_node(self) -> None:
        wanted = self.node_id if self.overlay and self.mask() is not None else None
        if not wanted:
            self.overlay_pixels = None
        if self.pipeline is not None and self.pipeline.mask_node != wanted:
            self.pipeline.mask_node = wanted
            self.pipeline.request()

    def set_overlay_image(self, image: QImage | None) -> None:
        """The overlay rendered with the frame now on screen."""
        self.overlay_pixels = image if self.overlay else None
        self.canvas.update()

    def clear(self) -> None:
        self.overlay_pixels = None
        self._drag = None
        self._painting(False)

    # --- coordinates ---------------------------------------------------------------------------

    def _photo_size(self) -> tuple[int, int]:
        assert self.document is not None, "the tool measures only while it shows a photo's mask"
        return self.document.info.width, self.document.info.height

    def _shown_nodes(self) -> list[Node]:
        skip = self.pipeline.skip_node if self.pipeline is not None else None
        assert self.document is not None, "the tool draws only while it shows a photo's mask"
        return [n for n in self.document.graph.active_nodes() if n.id != skip]

    def photo_to_screen(self) -> QTransform:
        """Pixels of the photo as opened -> screen pixels."""
        transform, _ = photo_transform(self._shown_nodes(), *self._photo_size())
        return transform * self.canvas.screen_transform()

    def to_screen(self, point: tuple[float, float]) -> QPointF:
        """A mask position (fractions of the photo as opened) on screen."""
        w, h = self._photo_size()
        return self.photo_to_screen().map(QPointF(point[0] * w, point[1] * h))

    def to_photo(self, pos: QPointF) -> tuple[float, float]:
        """A screen point as a mask position."""
        inverse, _ = self.photo_to_screen().inverted()
        point = inverse.map(pos)
        w, h = self._photo_size()
        return point.x() / w, point.y() / h

    # --- handles -------------------------------------------------------------------------------

    def handles(self) -> dict[str, QPointF]:
        """The edited component's handles on screen: a gradient's start, end and middle; an
        ellipse's centre, radii and turn."""
        c = self.edited()
        if isinstance(c, Linear):
            start, end = self.to_screen(c.start), self.to_screen(c.end)
            return {"start": start, "end": end, "middle": (start + end) / 2}
        if isinstance(c, Radial):
            w, h = self._photo_size()
            cx, cy = c.centre[0] * w, c.centre[1] * h
            rx, ry = c.radii[0] * w, c.radii[1] * h
            a = math.radians(c.angle)
            u, v = (math.cos(a), math.sin(a)), (-math.sin(a), math.cos(a))
            to_screen = self.photo_to_screen()
            return {
                "centre": to_screen.map(QPointF(cx, cy)),
                "rx": to_screen.map(QPointF(cx + rx * u[0], cy + rx * u[1])),
                "ry": to_screen.map(QPointF(cx + ry * v[0], cy + ry * v[1])),
                "angle": to_screen.map(QPointF(cx - rx * u[0], cy - rx * u[1])),
            }
        return {}

    def hit(self, pos: QPointF) -> str | None:
        """What a press at ``pos`` would do: a handle's name, "brush", "pick", or None."""
        if not self.active:
            return None
        c = self.edited()
        if isinstance(c, Brush):
            return "brush"
        if isinstance(c, (LuminanceRange, ColourRange)):
            return "pick"
        for name, point in self.handles().items():
            if abs(point.x() - pos.x()) <= GRAB and abs(point.y() - pos.y()) <= GRAB:
                return name
        return None

    def cursor(self, pos: QPointF):
        """The pointer's shape over ``pos``, or None (the canvas decides)."""
        kind = self.hit(pos)
        if kind is None:
            return None
        return {
            "brush": Qt.CursorShape.CrossCursor,
            "pick": Qt.CursorShape.PointingHandCursor,
            "angle": Qt.CursorShape.PointingHandCursor,
        }.get(kind, Qt.CursorShape.SizeAllCursor)

    # --- gestures ------------------------------------------------------------------------------

    def press(self, pos: QPointF, modifiers) -> bool:
        """Start a gesture at ``pos``; False when it is not the tool's (the canvas pans)."""
        kind = self.hit(pos)
        if kind is None:
            return False
        if kind == "pick":
            self._pick(pos)
            return True
        mask = self.mask()
        assert mask is not None, "hit() found a handle or the brush of this mask"
        index = min(self.component, len(mask.components) - 1)
        self.component = index
        start = self.edited()
        self.refusal = None
        if kind == "brush":
            painted = sum(len(s.points) for c in mask.components if isinstance(c, Brush) for s in c.strokes)
            self._room = MAX_POINTS - painted
            if len(start.strokes) >= MAX_STROKES or self._room < 1:
                self.refusal = self._full_text(start)
                self.canvas.update()
                return True
        gesture = uuid.uuid4().hex[:10]
        self._painting(True)
        self._drag = (kind, gesture, start, self.to_photo(pos))
        if kind == "brush":
            erase = self.erasing != bool(
                modifiers & Qt.KeyboardModifier.AltModifier
            )  # Alt: the other way for this stroke
            stroke = Stroke(
                points=(self.to_photo(pos),), radius=self.radius, hardness=self.hardness, flow=self.flow, erase=erase
            )
            self._drag = (kind, gesture, start, stroke)
            self._push(start.with_stroke(stroke), "Erase stroke" if erase else "Brush stroke")
        return True

    def move(self, pos: QPointF, modifiers) -> None:
        self._hover = pos
        if self._drag is None:
            return
        kind, gesture, start, anchor = self._drag
        point = self.to_photo(pos)
        if kind == "brush":
            last = anchor.points[-1]
            w, h = self._photo_size()
            spacing = DAB_SPACING * anchor.radius * max(w, h)
            if math.hypot((point[0] - last[0]) * w, (point[1] - last[1]) * h) < spacing:
                return
            if len(anchor.points) >= self._room:
                self.refusal = self._full_text(start)
                return
            stroke = replace(anchor, points=anchor.points + (point,))
            self._drag = (kind, gesture, start, stroke)
            self._push(start.with_stroke(stroke), "Erase stroke" if stroke.erase else "Brush stroke")
            return
        changed, text = self._dragged(kind, start, anchor, point)
        self._push(changed, text)

    def release(self, pos: QPointF) -> None:
        self._drag = None
        if self.document is not None:
            self.document.history.end_gesture()
        self._painting(False)
        self.canvas.update()

    @staticmethod
    def _full_text(brush: Brush) -> str:
        """Why a brush takes no more paint: a project holds at most these many strokes and points."""
        if len(brush.strokes) >= MAX_STROKES:
            return f"This brush is full ({MAX_STROKES} strokes): add another brush to the mask"
        return f"This mask is full ({MAX_POINTS:,} brush points): add the rest to another adjustment's mask"

    def _painting(self, on: bool) -> None:
        """Frames during a gesture leave the histogram out (PreviewPipeline.painting); the gesture's
        end asks for one frame with it."""
        if self.pipeline is not None and self.pipeline.painting != on:
            self.pipeline.painting = on
            if not on:
                self.pipeline.request()

    def hover(self, pos: QPointF | None) -> None:
        self._hover = pos
        if isinstance(self.edited(), Brush):
            self.canvas.update()

    def _dragged(self, kind: str, start, anchor: tuple[float, float], point: tuple[float, float]):
        """The component as a drag of handle ``kind`` from ``anchor`` to ``point`` leaves it."""
        if isinstance(start, Linear):
            if kind == "middle":
                dx, dy = point[0] - anchor[0], point[1] - anchor[1]
                moved = ((start.start[0] + dx, start.start[1] + dy), (start.end[0] + dx, start.end[1] + dy))
                return replace(start, start=moved[0], end=moved[1]), "Move gradient"
            return (replace(start, start=point) if kind == "start" else replace(start, end=point)), "Gradient"
        w, h = self._photo_size()
        cx, cy = start.centre[0] * w, start.centre[1] * h
        px, py = point[0] * w - cx, point[1] * h - cy  # from the centre, photo pixels
        if kind == "centre":
            centre = (start.centre[0] + point[0] - anchor[0], start.centre[1] + point[1] - anchor[1])
            return replace(start, centre=centre), "Move radial"
        if kind == "angle":  # the handle sits opposite the first radius
            angle = math.degrees(math.atan2(-py, -px))
            return replace(start, angle=round(angle, 2)), "Turn radial"
        a = math.radians(start.angle)
        if kind == "rx":
            rx = abs(px * math.cos(a) + py * math.sin(a)) / w
            return replace(start, radii=(max(rx, 0.001), start.radii[1])), "Radial size"
        ry = abs(-px * math.sin(a) + py * math.cos(a)) / h
        return replace(start, radii=(start.radii[0], max(ry, 0.001))), "Radial size"

    def _push(self, component, text: str) -> None:
        mask = self.mask()
        node = self.node()
        if mask is None or node is None:
            return
        gesture = self._drag[1] if self._drag is not None else None
        assert self.document is not None, "a node's mask belongs to the open photo"
        self.document.apply(
            SetNodeMask(
                node.id,
                mask.replace_component(self.component, component),
                gesture=gesture,
                text=f"{node.label}: {text}",
            )
        )

    def _pick(self, pos: QPointF) -> None:
        """Set the edited range's centre from the photo's pixel under ``pos`` (the photo before the
        edits: ranges read the photo as opened)."""
        frame = self.canvas.before or self.canvas.after
        point = self.canvas.to_image(pos)
        if frame is None:
            return
        x, y = int(point.x() * frame.scale), int((point.y() - frame.top) * frame.scale)
        pixels = frame.pixels
        if not (0 <= x < pixels.shape[1] and 0 <= y < pixels.shape[0]):
            return
        patch = pixels[max(y - 1, 0) : y + 2, max(x - 1, 0) : x + 2].reshape(-1, 3).astype(np.float32) / 255
        rgb = patch.mean(axis=0)
        c = self.edited()
        if isinstance(c, LuminanceRange):
            value = float(luminance(rgb.reshape(1, 1, 3))[0, 0])
            width = c.high - c.low  # kept: the range moves to centre on the value, within 0..1
            low = min(max(value - width / 2, 0.0), 1.0 - width)
            changed, text = (
                replace(c, low=round(low, 3), high=round(low + width, 3)),
                f"Brightness range at {value:.0%}",
            )
        else:
            hue = colorsys.rgb_to_hsv(*map(float, rgb))[0] * 360
            changed, text = replace(c, hue=round(hue, 1)), f"Colour range at {hue:.0f}°"
        self._push(changed, text)
        if self.document is not None:
            self.document.history.end_gesture()

    # --- painting ------------------------------------------------------------------------------

    def paint(self, p: QPainter) -> None:
        if self.overlay_pixels is not None:  # the mask as the edit acts: over the edited photo, not the before half
            p.save()
            p.setClipRect(self.canvas.after_area())
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            p.drawImage(self.canvas.image_rect_on_screen(), self.overlay_pixels)
            p.restore()
        c = self.edited()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        if isinstance(c, Linear):
            self._paint_linear(p, c)
        elif isinstance(c, Radial):
            self._paint_radial(p, c)
        elif isinstance(c, Brush) and self._hover is not None:
            r = self.radius * max(self._photo_size()) * self.canvas.zoom  # geometry turns and crops, never scales
            p.setBrush(Qt.BrushStyle.NoBrush)
            for colour, width in ((QColor(0, 0, 0, 140), 3), (QColor("white"), 1)):
                p.setPen(QPen(colour, width))
                p.drawEllipse(self._hover, r, r)
                p.drawEllipse(self._hover, r * self.hardness, r * self.hardness)
                if self.erasing:  # a minus in the middle: this brush takes away
                    p.drawLine(self._hover + QPointF(-5, 0), self._hover + QPointF(5, 0))
        if self.overlay:
            self.canvas.draw_label(p, "Mask overlay (O)", Qt.AlignmentFlag.AlignLeft, bottom=True)
        if self.refusal:
            self.canvas.draw_label(p, self.refusal, Qt.AlignmentFlag.AlignRight, bottom=True)

    def _handle(self, p: QPainter, point: QPointF, round_: bool = False) -> None:
        p.setBrush(QColor("white"))
        p.setPen(QPen(QColor(0, 0, 0, 160), 1))
        rect = QRectF(point.x() - HANDLE / 2, point.y() - HANDLE / 2, HANDLE, HANDLE)
        p.drawEllipse(rect) if round_ else p.drawRect(rect)

    def _paint_linear(self, p: QPainter, c: Linear) -> None:
        handles = self.handles()
        start, end = handles["start"], handles["end"]
        along = end - start
        length = math.hypot(along.x(), along.y())
        if length < 1:
            self._handle(p, start)
            return
        across = QPointF(-along.y(), along.x()) * (max(self.canvas.width(), self.canvas.height()) / length)
        p.save()
        p.setClipRect(self.canvas.image_rect_on_screen())  # the lines across the photo, handles anywhere
        for point, style in (
            (start, Qt.PenStyle.SolidLine),
            (handles["middle"], Qt.PenStyle.DotLine),
            (end, Qt.PenStyle.DashLine),
        ):
            p.setPen(QPen(QColor(255, 255, 255, 200), 1.5, style))
            p.drawLine(point - across, point + across)
        p.setPen(QPen(QColor(255, 255, 255, 200), 1))
        p.drawLine(start, end)
        p.restore()
        for name, point in handles.items():
            self._handle(p, point, round_=name == "middle")

    def _paint_radial(self, p: QPainter, c: Radial) -> None:
        w, h = self._photo_size()
        p.save()
        p.setTransform(self.photo_to_screen(), combine=True)
        p.translate(c.centre[0] * w, c.centre[1] * h)
        p.rotate(c.angle)
        rx, ry = c.radii[0] * w, c.radii[1] * h
        pen = QPen(QColor(255, 255, 255, 220), 1.5)
        pen.setCosmetic(True)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawEllipse(QPointF(0, 0), rx, ry)
        inner = 1 - c.feather  # where the feather starts: full strength inside
        if inner > 0.01:
            pen.setStyle(Qt.PenStyle.DashLine)
            p.setPen(pen)
            p.drawEllipse(QPointF(0, 0), rx * inner, ry * inner)
        p.restore()
        for name, point in self.handles().items():
            self._handle(p, point, round_=name in ("centre", "angle"))
