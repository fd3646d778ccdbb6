"""The inspector: the selected node's controls, generated from the op registry.

One binder per kind of control (``BINDERS``, and ``OP_BINDERS`` for an op's own fields) builds a
parameter's widget from its definition, shows the node's value and turns a person's edit into a
command: numbers a slider plus a spin box (floats with decimals), booleans a checkbox, choices a
combo box, a node's curves one curve editor (``curve_widget.py``), the crop's edges in pixels of
its frame with the crop's size and ratio (choosing an aspect ratio stores the edges of the box it
draws), and the white balance node's presets and eyedropper (``EXTRAS``). The label, range and
default come from the registry and its help is the tooltip. Sliders have Lightroom's habits:
Shift + drag moves at a tenth of the speed, arrow keys step (Shift + arrow: ten steps),
double-click (on the slider or its label) resets. A slider or curve drag, or a burst of
wheel/keyboard steps, is one gesture: one undo step (``SetNodeFields`` with a gesture id, then
``history.end_gesture()``), named with the values it went from and to ("Temperature +10 → +25").
Under the controls, the node's mask (``mask_panel.py``: where on the photo it acts).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Generic, TypeVar

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from ..core.document import Document
from ..core.graph import Node
from ..core.history import SetNodeFields
from ..core.ops.base import Param
from .crop_tool import EDGES, HINT, crop_frame, edges_for_aspect, size_text
from .curve_widget import CurveWidget
from .layers_panel import origin_text
from .theme import restyle
from .white_balance_controls import WhiteBalanceControls

GESTURE_IDLE_MS = 700  # wheel/keyboard steps closer together than this are one undo step
FINE = 0.1  # Shift + drag: slider speed
BIG_STEP = 10  # Shift + arrow: steps


def decimals_for(param: Param) -> int:
    if param.kind == "int":
        return 0
    span = param.maximum - param.minimum
    return 3 if span <= 2 else 2 if span <= 100 else 1


class _Slider(QSlider):
    """A slider whose handle follows the pointer's movement (not its position), at a tenth of the
    speed while Shift is held; Shift + arrow keys take ten steps."""

    double_clicked = Signal()

    def __init__(self) -> None:
        super().__init__(Qt.Orientation.Horizontal)
        self._anchor: tuple[float, int, bool] | None = None  # pointer x, value, fine: where a drag stands

    def mouseDoubleClickEvent(self, event) -> None:
        self.double_clicked.emit()

    def mousePressEvent(self, event) -> None:
        super().mousePressEvent(event)
        fine = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        self._anchor = (event.position().x(), self.value(), fine) if self.isSliderDown() else None

    def mouseMoveEvent(self, event) -> None:
        if self._anchor is None or not self.isSliderDown():
            super().mouseMoveEvent(event)
            return
        x, fine = event.position().x(), bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        x0, value0, was_fine = self._anchor
        if fine != was_fine:  # Shift pressed or let go mid-drag: go on from here, without a jump
            self._anchor = (x, self.value(), fine)
            return
        length = self.style().pixelMetric(QStyle.PixelMetric.PM_SliderLength, None, self)
        per_pixel = (self.maximum() - self.minimum()) / max(1, self.width() - length)
        self.setValue(round(value0 + (x - x0) * per_pixel * (FINE if fine else 1)))
        event.accept()

    def mouseReleaseEvent(self, event) -> None:
        self._anchor = None
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event) -> None:
        step = {Qt.Key.Key_Left: -1, Qt.Key.Key_Down: -1, Qt.Key.Key_Right: 1, Qt.Key.Key_Up: 1}.get(event.key())
        if step is not None and event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.setValue(self.value() + step * BIG_STEP * self.singleStep())
            event.accept()
            return
        super().keyPressEvent(event)


class _ResetLabel(QLabel):
    double_clicked = Signal()

    def mouseDoubleClickEvent(self, event) -> None:
        self.double_clicked.emit()


class NumberControl(QWidget):
    """Slider + spin box for an int or float parameter (or the node's opacity, in percent)."""

    edited = Signal(object)  # the new value
    pressed = Signal()
    released = Signal()
    reset_requested = Signal()

    def __init__(self, minimum: float, maximum: float, decimals: int, tooltip: str, suffix: str = ""):
        super().__init__()
        self._factor = 10**decimals
        self._decimals = decimals
        self.slider = _Slider()
        self.spin: QDoubleSpinBox | QSpinBox
        if decimals:
            self.spin = QDoubleSpinBox()
            self.spin.setDecimals(decimals)
            self.spin.setSingleStep(1 / self._factor * (10 if decimals > 1 else 1))
        else:
            self.spin = QSpinBox()
        self.slider.setSingleStep(round(self.spin.singleStep() * self._factor))  # an arrow key: one spin box step
        self.set_range(minimum, maximum)
        self.spin.setSuffix(suffix)
        self.spin.setFixedWidth(76)
        self.spin.setKeyboardTracking(False)
        for widget in (self.slider, self.spin):
            widget.setToolTip(tooltip)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.spin)
        self.slider.valueChanged.connect(self._slider_moved)
        self.spin.valueChanged.connect(self._spin_changed)
        self.slider.sliderPressed.connect(self.pressed)
        self.slider.sliderReleased.connect(self.released)
        self.slider.double_clicked.connect(self.reset_requested)

    @property
    def held(self) -> bool:
        return self.slider.isSliderDown()

    @property
    def decimals(self) -> int:
        return self._decimals

    def set_range(self, minimum: float, maximum: float) -> None:
        for widget in (self.slider, self.spin):
            widget.blockSignals(True)
        self.slider.setRange(round(minimum * self._factor), round(maximum * self._factor))
        self.slider.setPageStep(max(1, round((maximum - minimum) * self._factor / 20)))
        if isinstance(self.spin, QDoubleSpinBox):
            self.spin.setRange(minimum, maximum)
        else:  # an int parameter: whole bounds
            self.spin.setRange(int(minimum), int(maximum))
        for widget in (self.slider, self.spin):
            widget.blockSignals(False)

    def value(self):
        return self.spin.value()

    def set_value(self, value) -> None:
        """Show a value from the model without emitting ``edited``."""
        for widget in (self.slider, self.spin):
            widget.blockSignals(True)
        self.slider.setValue(round(float(value) * self._factor))
        self.spin.setValue(value)
        for widget in (self.slider, self.spin):
            widget.blockSignals(False)

    def _slider_moved(self, position: int) -> None:
        value = position / self._factor if self._decimals else position
        self.spin.blockSignals(True)
        self.spin.setValue(value)
        self.spin.blockSignals(False)
        self.edited.emit(value)

    def _spin_changed(self, value) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(round(float(value) * self._factor))
        self.slider.blockSignals(False)
        self.edited.emit(value)


class Gesture(QObject):
    """Groups consecutive edits of one control into one undo step: ``touch`` gives the id the
    edits' ``SetNodeFields`` share while the control (``key``) stays the same and, unless it is
    held, edits come closer together than GESTURE_IDLE_MS; ``end`` closes the step."""

    def __init__(self, parent: QObject, document: Callable[[], Document | None]):
        super().__init__(parent)
        self._document = document
        self.id: str | None = None
        self.key = None
        self.start = None  # the value the control had when the gesture began
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(GESTURE_IDLE_MS)
        self._timer.timeout.connect(self.end)

    def touch(self, key, held: bool, start=None) -> str:
        if self.id is None or key != self.key:
            self.end()
            self.id, self.key, self.start = uuid.uuid4().hex[:10], key, start
        if held:
            self._timer.stop()
        else:
            self._timer.start()
        return self.id

    def end(self) -> None:
        self._timer.stop()
        if self.id is not None:
            self.id = self.key = None
            doc = self._document()
            if doc is not None:
                doc.history.end_gesture()


# --- binders: one per kind of control ------------------------------------------------------------


C = TypeVar("C", bound=QWidget)


class Binder(Generic[C]):
    """Binds one kind of control to a node: builds its widgets (rows of the inspector's form) for a
    parameter, shows the node's values, and turns a person's edit into a ``SetNodeFields``, one undo
    step per gesture (the inspector's ``gesture``). A binder may show several parameters (a node's
    curves share one editor); ``controls`` maps each one to its widget."""

    def __init__(self, inspector: Inspector):
        self.inspector = inspector
        self.controls: dict[str, C] = {}

    def show(self, node: Node) -> None:
        """Show ``node``'s values (a control being dragged keeps its own)."""

    # what an edit means; subclasses change what differs for their kind
    def shown(self, node: Node, name: str):
        """The value as the control shows it."""
        return node.params[name]

    def value_text(self, node: Node, name: str, value) -> str:
        """A shown value for the history: '+25', '2.50', '120 px', '50%', 'on'."""
        return node.spec.param(name).text(value)

    def what(self, node: Node, name: str) -> str:
        return f"{node.label}: {node.spec.param(name).label.lower()}"

    def fields(self, node: Node, name: str, value) -> dict:
        """``SetNodeFields``'s keyword arguments for a shown value."""
        return {"params": {name: value}}

    def reset(self, node: Node, name: str) -> None:
        default = node.spec.param(name).default
        if node.params[name] != default:
            self.inspector.open_document.apply(
                SetNodeFields(node.id, params={name: default}, text=f"Reset {node.label}")
            )

    # gestures
    def press(self, name: str) -> None:
        """A drag begins: the edits until ``release`` are one undo step."""
        node = self.inspector.node()
        if node is not None:
            self.inspector.gesture.touch((node.id, name), held=True, start=self.shown(node, name))

    def release(self) -> None:
        self.inspector.gesture.end()

    def edit(self, name: str, value, held: bool) -> None:
        """The person set ``name`` to ``value`` (shown units); ``held``: a drag goes on."""
        inspector = self.inspector
        node = inspector.node()
        if node is None or inspector.document is None:
            return
        gesture = inspector.gesture.touch((node.id, name), held, start=self.shown(node, name))
        change = f"{self.value_text(node, name, inspector.gesture.start)} → {self.value_text(node, name, value)}"
        inspector.document.apply(
            SetNodeFields(
                node.id, gesture=gesture, text=f"{self.what(node, name)} {change}", **self.fields(node, name, value)
            )
        )

    def wire_number(self, control: NumberControl, name: str) -> None:
        control.edited.connect(lambda value: self.edit(name, value, held=control.held))
        control.pressed.connect(lambda: self.press(name))
        control.released.connect(self.release)
        control.reset_requested.connect(lambda: self.inspector.reset_param(name))


def _tooltip(param: Param) -> str:
    return f"{param.help} (default {param.default})" if param.kind != "bool" else param.help


class NumberBinder(Binder[NumberControl]):
    """An int or float: slider + spin box; double-click on either or on the label resets it."""

    def __init__(self, inspector, node, param):
        super().__init__(inspector)
        self.control = NumberControl(param.minimum, param.maximum, decimals_for(param), _tooltip(param))
        self.wire_number(self.control, param.name)
        label = _ResetLabel(param.label)
        label.setToolTip(f"{_tooltip(param)}. Double-click to reset.")
        label.double_clicked.connect(lambda: inspector.reset_param(param.name))
        inspector.form.addRow(label, self.control)
        self.controls[param.name] = self.control

    def show(self, node: Node) -> None:
        for name, control in self.controls.items():
            if not control.held:
                control.set_value(self.shown(node, name))

    def value_text(self, node, name, value) -> str:
        param = node.spec.param(name)
        if node.spec.iea_tool:
            return f"{value:+d}" if value else "0"
        if param.kind == "float":
            return f"{value:.{decimals_for(param)}f}"
        return super().value_text(node, name, value)

    def what(self, node, name) -> str:
        return node.label if node.spec.iea_tool else super().what(node, name)


class OpacityBinder(Binder):
    """The node's opacity, in percent: one control the inspector keeps for every node."""

    NAME = "opacity"

    def __init__(self, inspector):
        super().__init__(inspector)
        self.control = NumberControl(0, 100, 0, "How strongly this adjustment applies (100% = fully)", "%")
        self.wire_number(self.control, self.NAME)

    def show(self, node: Node) -> None:
        if not self.control.held:
            self.control.set_value(self.shown(node, self.NAME))

    def shown(self, node, name):
        return round(node.opacity * 100)

    def value_text(self, node, name, value) -> str:
        return f"{value:.0f}%"

    def what(self, node, name) -> str:
        return f"{node.label}: opacity"

    def fields(self, node, name, value) -> dict:
        return {"opacity": float(value) / 100}

    def reset(self, node, name) -> None:
        if node.opacity != 1.0:
            self.inspector.open_document.apply(SetNodeFields(node.id, opacity=1.0, text=f"Reset {node.label} opacity"))


class BoolBinder(Binder):
    def __init__(self, inspector, node, param):
        super().__init__(inspector)
        self.box = QCheckBox(param.label)
        self.box.setToolTip(_tooltip(param))
        self.box.toggled.connect(lambda on: self.edit(param.name, bool(on), held=False))
        inspector.form.addRow("", self.box)
        self.controls[param.name] = self.box
        self.name = param.name

    def show(self, node: Node) -> None:
        self.box.blockSignals(True)
        self.box.setChecked(bool(node.params[self.name]))
        self.box.blockSignals(False)

    def value_text(self, node, name, value) -> str:
        return "on" if value else "off"


class ChoiceBinder(Binder):
    def __init__(self, inspector, node, param):
        super().__init__(inspector)
        self.box = QComboBox()
        for choice in param.choices:
            self.box.addItem(choice, choice)
        self.box.setToolTip(_tooltip(param))
        self.box.currentIndexChanged.connect(lambda _i: self.edit(param.name, self.box.currentData(), held=False))
        inspector.form.addRow(param.label, self.box)
        self.controls[param.name] = self.box
        self.name = param.name

    def show(self, node: Node) -> None:
        self.box.blockSignals(True)
        self.box.setCurrentIndex(max(self.box.findData(node.params[self.name]), 0))
        self.box.blockSignals(False)


class CropAspectBinder(ChoiceBinder):
    """The crop's aspect ratio: choosing one also stores the edges of the box it draws."""

    def fields(self, node, name, value) -> dict:
        params = {name: value, **edges_for_aspect(node.params, value, crop_frame(self.inspector.document, node))}
        return {"params": params}


class CurveBinder(Binder):
    """One curve editor for all of a node's curves (``curve_widget.py``); a point drag is one gesture."""

    def __init__(self, inspector, node, param):
        super().__init__(inspector)
        self.editor = CurveWidget()
        self.editor.edited.connect(self.edit)
        self.editor.pressed.connect(self.press)
        self.editor.released.connect(self.release)
        inspector.form.addRow(self.editor)
        self.controls = {p.name: self.editor for p in node.spec.params if p.kind == "curve"}

    def show(self, node: Node) -> None:
        for name in self.controls:
            self.editor.set_curve(name, node.params[name])


class CropEdgesBinder(Binder[NumberControl]):
    """The crop's edges, stored as fractions of the frame but shown in pixels of that frame (which a
    straighten changes), with the crop's size and ratio."""

    def __init__(self, inspector, node, param) -> None:
        super().__init__(inspector)
        self.pixels: dict[str, int] = {}  # an edge's frame side (width or height): shown = stored x this
        self.frame: tuple[int, int] | None = None
        for p in node.spec.params:
            if p.name in EDGES:  # the range is set by show(), from the frame
                control = NumberControl(
                    0,
                    1,
                    0,
                    f"{p.help.split(',')[0]}, in pixels from the {'left' if p.name in ('left', 'right') else 'top'}",
                    " px",
                )
                self.wire_number(control, p.name)
                inspector.form.addRow(p.label, control)
                self.controls[p.name] = control
        self.size_label = QLabel()
        self.size_label.setToolTip("The size the crop will have in the exported photo")
        inspector.form.addRow("Size", self.size_label)

    def show(self, node: Node) -> None:
        frame = crop_frame(self.inspector.document, node)
        if frame != self.frame:
            self.frame = frame
            for name, control in self.controls.items():
                self.pixels[name] = frame[0] if name in ("left", "right") else frame[1]
                control.set_range(0, self.pixels[name])
        self.size_label.setText(size_text(node.params, frame))
        for name, control in self.controls.items():
            if not control.held:
                control.set_value(self.shown(node, name))

    def shown(self, node, name):
        return round(node.params[name] * self.pixels[name])

    def value_text(self, node, name, value) -> str:
        return f"{value} px"

    def fields(self, node, name, value) -> dict:
        return {"params": {name: value / self.pixels[name]}}


class WhiteBalanceBinder(Binder):
    """The white balance node's presets and eyedropper (``white_balance_controls.py``), under its sliders."""

    def __init__(self, inspector, node, param=None):
        super().__init__(inspector)
        self.extras = WhiteBalanceControls(inspector)
        inspector.form.addRow(self.extras)

    def show(self, node: Node) -> None:
        self.extras.refresh(node)


BINDERS = {"int": NumberBinder, "float": NumberBinder, "bool": BoolBinder, "choice": ChoiceBinder, "curve": CurveBinder}
OP_BINDERS = {("crop", "aspect"): CropAspectBinder, **{("crop", edge): CropEdgesBinder for edge in EDGES}}
EXTRAS = {"white_balance": WhiteBalanceBinder}  # rows after the parameters, for what sliders cannot do


B = TypeVar("B", bound=Binder)


def binder_for(node: Node, param: Param) -> Callable[[Inspector, Node, Param], Binder]:
    return OP_BINDERS.get((node.op, param.name)) or BINDERS[param.kind]


class Inspector(QWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.document: Document | None = None
        self.node_id: str | None = None
        self._op: str | None = None
        self.binders: list[Binder] = []  # the selected node's, in the form's order
        self.controls: dict[str, QWidget] = {}  # parameter name -> its widget
        self.gesture = Gesture(self, lambda: self.document)
        self._opacity = OpacityBinder(self)
        self.opacity = self._opacity.control

        self.title = QLabel()
        self.title.setObjectName("title")
        self.origin = QLabel()
        self.origin.setWordWrap(True)
        self.help = QLabel()
        self.help.setObjectName("dim")
        self.help.setWordWrap(True)
        self.enabled_box = QCheckBox("On")
        self.enabled_box.setToolTip("Switch this adjustment on or off")
        self.enabled_box.toggled.connect(self._enabled_toggled)
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Set every value of this adjustment back to its default")
        self.reset_button.clicked.connect(self.reset_all)

        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.enabled_box)
        header.addWidget(self.reset_button)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(8, 8, 8, 8)
        body_layout.addLayout(header)
        body_layout.addWidget(self.origin)
        body_layout.addWidget(self.help)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setStyleSheet("color: #3a3c42;")
        body_layout.addWidget(line)
        body_layout.addLayout(self.form)
        from .mask_panel import MaskPanel  # here: mask_panel builds on this module's controls

        self.mask_panel = MaskPanel(self)
        body_layout.addWidget(self.mask_panel)
        body_layout.addStretch(1)
        self.body = body

        self.placeholder = QLabel("Select an adjustment to change it.")
        self.placeholder.setObjectName("dim")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        layout.addWidget(self.placeholder)
        self._scroll = scroll
        self.show_node(None)

    def _binder(self, kind: type[B]) -> B | None:
        return next((b for b in self.binders if isinstance(b, kind)), None)

    @property
    def size_label(self) -> QLabel | None:
        """The crop's size and ratio (a crop node selected)."""
        binder = self._binder(CropEdgesBinder)
        return binder.size_label if binder is not None else None

    @property
    def white_balance(self) -> WhiteBalanceControls | None:
        """Presets and eyedropper (a white balance node selected)."""
        binder = self._binder(WhiteBalanceBinder)
        return binder.extras if binder is not None else None

    # --- model -> view -----------------------------------------------------------------------

    def set_document(self, document: Document | None) -> None:
        self.gesture.end()
        self.document = document
        self.show_node(None)

    def node(self) -> Node | None:
        return None if self.document is None else self.document.graph.find_node(self.node_id)

    @property
    def open_document(self) -> Document:
        """The open photo, for the edits of the selected node (a node is found only while one is open)."""
        assert self.document is not None, "a node was found, so a photo is open"
        return self.document

    def show_node(self, node_id: str | None) -> None:
        if node_id != self.node_id:
            self.gesture.end()
        self.node_id = node_id
        self.refresh()

    def refresh(self) -> None:
        node = self.node()
        self._scroll.setVisible(node is not None)
        self.placeholder.setVisible(node is None)
        self.mask_panel.show_node(node)
        if node is None:
            self._op = None
            return
        if node.op != self._op:
            self._build(node)
        self.title.setText(node.label)
        self.origin.setText(origin_text(node))
        restyle(self.origin, "builtinBadge" if node.provenance.origin == "assistant" else "dim")
        self.enabled_box.blockSignals(True)
        self.enabled_box.setChecked(node.enabled)
        self.enabled_box.blockSignals(False)
        self._opacity.show(node)
        for binder in self.binders:
            binder.show(node)

    def _build(self, node: Node) -> None:
        if self.form.indexOf(self.opacity) >= 0:  # keep the shared opacity control; rows own their widgets
            label = self.form.takeRow(self.opacity).labelItem
            widget = label.widget() if label is not None else None
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        self.opacity.hide()
        while self.form.rowCount():
            self.form.removeRow(0)
        self.binders, self.controls = [], {}
        self._op = node.op
        self.help.setText(f"{node.spec.help} {HINT}" if node.op == "crop" else node.spec.help)
        for param in node.spec.params:
            if param.name not in self.controls:  # else an earlier binder shows it too (curves, crop edges)
                self.binders.append(binder_for(node, param)(self, node, param))
                self.controls.update(self.binders[-1].controls)
        if node.op in EXTRAS:
            self.binders.append(EXTRAS[node.op](self, node))
        if node.spec.stage != "geometry":  # geometry has no meaningful partial opacity
            self.form.addRow("Opacity", self.opacity)
            self.opacity.show()

    def _binder_of(self, name: str) -> Binder:
        if name == OpacityBinder.NAME:
            return self._opacity
        return next(b for b in self.binders if name in b.controls)

    # --- view -> model (commands) ------------------------------------------------------------

    def reset_param(self, name: str) -> None:
        """Back to its default ("opacity": fully on)."""
        node = self.node()
        if node is None:
            return
        self.gesture.end()
        self._binder_of(name).reset(node, name)
        self.refresh()

    def reset_all(self) -> None:
        node = self.node()
        if node is not None and node.params != node.spec.defaults():
            self.gesture.end()
            self.open_document.apply(SetNodeFields(node.id, params=node.spec.defaults(), text=f"Reset {node.label}"))

    def _enabled_toggled(self, on: bool) -> None:
        node = self.node()
        if node is not None and node.enabled != on:
            verb = "Turn on" if on else "Turn off"
            self.open_document.apply(SetNodeFields(node.id, enabled=on, text=f"{verb} {node.label}"))
