"""The inspector: the selected node's controls, generated from the op registry.

Each parameter becomes a control from its definition: numbers a slider plus a spin box (floats
with decimals), booleans a checkbox, choices a combo box, a node's curves one curve editor
(``curve_widget.py``: a point drag is one gesture too); the label, range and default come
from the registry and its help is the tooltip. Sliders have Lightroom's habits: Shift + drag
moves at a tenth of the speed, arrow keys step (Shift + arrow: ten steps), double-click (on the
slider or its label) resets. A slider drag, or a burst of wheel/keyboard steps, is one gesture:
one undo step (``SetNodeFields`` with a gesture id, then ``history.end_gesture()``), named with
the values it went from and to ("Temperature +10 → +25").

The crop's edges are stored as fractions of the frame but shown in pixels of that frame, with
the crop's size and ratio; choosing an aspect ratio stores the edges of the box it draws.
"""

from __future__ import annotations

import uuid

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea,
    QSlider, QSpinBox, QStyle, QVBoxLayout, QWidget,
)

from ..core.document import Document
from ..core.graph import Node
from ..core.history import SetNodeFields
from ..core.ops.base import Param
from .crop_tool import EDGES, HINT, crop_frame, edges_for_aspect, size_text
from .curve_widget import CurveWidget
from .layers_panel import origin_text
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

    def __init__(self):
        super().__init__(Qt.Horizontal)
        self._anchor: tuple[float, int, bool] | None = None  # pointer x, value, fine: where a drag stands

    def mouseDoubleClickEvent(self, event) -> None:
        self.double_clicked.emit()

    def mousePressEvent(self, event) -> None:
        super().mousePressEvent(event)
        fine = bool(event.modifiers() & Qt.ShiftModifier)
        self._anchor = (event.position().x(), self.value(), fine) if self.isSliderDown() else None

    def mouseMoveEvent(self, event) -> None:
        if self._anchor is None or not self.isSliderDown():
            super().mouseMoveEvent(event)
            return
        x, fine = event.position().x(), bool(event.modifiers() & Qt.ShiftModifier)
        x0, value0, was_fine = self._anchor
        if fine != was_fine:  # Shift pressed or let go mid-drag: go on from here, without a jump
            self._anchor = (x, self.value(), fine)
            return
        length = self.style().pixelMetric(QStyle.PM_SliderLength, None, self)
        per_pixel = (self.maximum() - self.minimum()) / max(1, self.width() - length)
        self.setValue(round(value0 + (x - x0) * per_pixel * (FINE if fine else 1)))
        event.accept()

    def mouseReleaseEvent(self, event) -> None:
        self._anchor = None
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event) -> None:
        step = {Qt.Key_Left: -1, Qt.Key_Down: -1, Qt.Key_Right: 1, Qt.Key_Up: 1}.get(event.key())
        if step is not None and event.modifiers() & Qt.ShiftModifier:
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
        self._factor = 10 ** decimals
        self._decimals = decimals
        self.slider = _Slider()
        self.spin = QDoubleSpinBox() if decimals else QSpinBox()
        if decimals:
            self.spin.setDecimals(decimals)
            self.spin.setSingleStep(1 / self._factor * (10 if decimals > 1 else 1))
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
        self.spin.setRange(minimum, maximum)
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


class _Gesture(QObject):
    """Groups consecutive edits of one control into one undo step."""

    def __init__(self, inspector: "Inspector"):
        super().__init__(inspector)
        self._inspector = inspector
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
            doc = self._inspector.document
            if doc is not None:
                doc.history.end_gesture()


class Inspector(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.document: Document | None = None
        self.node_id: str | None = None
        self._op: str | None = None
        self.controls: dict[str, QWidget] = {}
        self.gesture = _Gesture(self)
        self._per_unit: dict[str, float] = {}  # shown = stored x this (the crop's edges: pixels of its frame)
        self._frame: tuple[int, int] | None = None  # the frame the selected crop applies to
        self.size_label: QLabel | None = None  # the crop's size and ratio
        self.white_balance: WhiteBalanceControls | None = None  # presets and eyedropper

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
        self.opacity = NumberControl(0, 100, 0, "How strongly this adjustment applies (100% = fully)", "%")
        self._wire(self.opacity, "opacity")

        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.enabled_box)
        header.addWidget(self.reset_button)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        self.form.setLabelAlignment(Qt.AlignRight | Qt.AlignVCenter)

        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(8, 8, 8, 8)
        body_layout.addLayout(header)
        body_layout.addWidget(self.origin)
        body_layout.addWidget(self.help)
        line = QFrame()
        line.setFrameShape(QFrame.HLine)
        line.setStyleSheet("color: #3a3c42;")
        body_layout.addWidget(line)
        body_layout.addLayout(self.form)
        body_layout.addStretch(1)
        self.body = body

        self.placeholder = QLabel("Select an adjustment to change it.")
        self.placeholder.setObjectName("dim")
        self.placeholder.setAlignment(Qt.AlignCenter)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        layout.addWidget(self.placeholder)
        self._scroll = scroll
        self.show_node(None)

    # --- model -> view -----------------------------------------------------------------------

    def set_document(self, document: Document | None) -> None:
        self.gesture.end()
        self.document = document
        self.show_node(None)

    def node(self) -> Node | None:
        if self.document is None or self.node_id is None:
            return None
        try:
            return self.document.graph.get(self.node_id)
        except KeyError:
            return None

    def show_node(self, node_id: str | None) -> None:
        if node_id != self.node_id:
            self.gesture.end()
        self.node_id = node_id
        self.refresh()

    def refresh(self) -> None:
        node = self.node()
        self._scroll.setVisible(node is not None)
        self.placeholder.setVisible(node is None)
        if node is None:
            self._op = None
            return
        if node.op != self._op:
            self._build(node)
        self.title.setText(node.label)
        self.origin.setText(origin_text(node))
        name = "builtinBadge" if node.provenance.origin == "assistant" else "dim"
        if self.origin.objectName() != name:
            self.origin.setObjectName(name)
            self.origin.style().unpolish(self.origin)
            self.origin.style().polish(self.origin)
        self.enabled_box.blockSignals(True)
        self.enabled_box.setChecked(node.enabled)
        self.enabled_box.blockSignals(False)
        if not self.opacity.held:
            self.opacity.set_value(round(node.opacity * 100))
        if node.op == "crop":
            self._show_crop_frame(node)
        if self.white_balance is not None:
            self.white_balance.refresh(node)
        for name, control in self.controls.items():
            value = self._shown(name, node.params[name])
            if isinstance(control, NumberControl):
                if not control.held:
                    control.set_value(value)
            elif isinstance(control, QCheckBox):
                control.blockSignals(True)
                control.setChecked(bool(value))
                control.blockSignals(False)
            elif isinstance(control, QComboBox):
                control.blockSignals(True)
                control.setCurrentIndex(max(control.findData(value), 0))
                control.blockSignals(False)
            elif isinstance(control, CurveWidget):
                control.set_curve(name, value)

    def _show_crop_frame(self, node: Node) -> None:
        """The crop's edges in pixels of the frame it applies to (which a straighten changes)."""
        frame = crop_frame(self.document, node)
        if frame != self._frame:
            self._frame = frame
            for name in EDGES:
                length = frame[0] if name in ("left", "right") else frame[1]
                self._per_unit[name] = length
                self.controls[name].set_range(0, length)
        self.size_label.setText(size_text(node.params, frame))

    def _shown(self, name: str, value):
        """A parameter's value as its control shows it."""
        return round(value * self._per_unit[name]) if name in self._per_unit else value

    def _value_text(self, node: Node, name: str, value) -> str:
        """A shown value for the history: '+25', '2.50', '120 px', '50%'."""
        if name == "opacity":
            return f"{value:.0f}%"
        if name in self._per_unit:
            return f"{value} px"
        param = node.spec.param(name)
        if node.spec.iea_tool:
            return f"{value:+d}" if value else "0"
        if param.kind == "float":
            return f"{value:.{decimals_for(param)}f}"
        if param.kind == "bool":
            return "on" if value else "off"
        return param.text(value)

    def _build(self, node: Node) -> None:
        if self.form.indexOf(self.opacity) >= 0:  # keep the shared opacity control; rows own their widgets
            label = self.form.takeRow(self.opacity).labelItem
            if label is not None and label.widget() is not None:
                label.widget().hide()
                label.widget().deleteLater()
        self.opacity.hide()
        while self.form.rowCount():
            self.form.removeRow(0)
        self.controls = {}
        self._per_unit, self._frame, self.size_label, self.white_balance = {}, None, None, None
        self._op = node.op
        self.help.setText(f"{node.spec.help} {HINT}" if node.op == "crop" else node.spec.help)
        for param in node.spec.params:
            tip = f"{param.help} (default {param.default})" if param.kind != "bool" else param.help
            if param.kind == "bool":
                control = QCheckBox(param.label)
                control.setToolTip(tip)
                control.toggled.connect(lambda on, name=param.name: self._edit(name, bool(on), held=False))
                self.form.addRow("", control)
            elif param.kind == "choice":
                control = QComboBox()
                for choice in param.choices:
                    control.addItem(choice, choice)
                control.setToolTip(tip)
                control.currentIndexChanged.connect(
                    lambda _i, name=param.name, box=control: self._edit(name, box.currentData(), held=False))
                self.form.addRow(param.label, control)
            elif param.kind == "curve":  # one curve editor for all of the node's curves
                control = next((c for c in self.controls.values() if isinstance(c, CurveWidget)), None)
                if control is None:
                    control = CurveWidget()
                    self._wire_curve(control)
                    self.form.addRow(control)
            elif node.op == "crop" and param.name in EDGES:  # in pixels: its range is set by _show_crop_frame
                control = NumberControl(0, 1, 0, f"{param.help.split(',')[0]}, in pixels from the "
                                        f"{'left' if param.name in ('left', 'right') else 'top'}", " px")
                self._wire(control, param.name)
                self.form.addRow(param.label, control)
            else:
                control = NumberControl(param.minimum, param.maximum, decimals_for(param), tip)
                self._wire(control, param.name)
                label = _ResetLabel(param.label)
                label.setToolTip(f"{tip}. Double-click to reset.")
                label.double_clicked.connect(lambda name=param.name: self.reset_param(name))
                self.form.addRow(label, control)
            self.controls[param.name] = control
        if node.op == "crop":
            self.size_label = QLabel()
            self.size_label.setToolTip("The size the crop will have in the exported photo")
            self.form.addRow("Size", self.size_label)
        if node.op == "white_balance":
            self.white_balance = WhiteBalanceControls(self)
            self.form.addRow(self.white_balance)
        if node.spec.stage != "geometry":  # geometry has no meaningful partial opacity
            self.form.addRow("Opacity", self.opacity)
            self.opacity.show()

    def _wire(self, control: NumberControl, name: str) -> None:
        control.edited.connect(lambda value: self._edit(name, value, held=control.held))
        control.pressed.connect(lambda: self.gesture.touch((self.node_id, name), held=True, start=control.value()))
        control.released.connect(self.gesture.end)
        control.reset_requested.connect(lambda: self.reset_param(name))

    def _wire_curve(self, control: CurveWidget) -> None:
        """A curve drag is one gesture, as a slider's: one undo step."""
        control.edited.connect(self._edit)
        control.pressed.connect(lambda name: self.gesture.touch((self.node_id, name), held=True,
                                                                start=self.node().params[name]))
        control.released.connect(self.gesture.end)

    # --- view -> model (commands) ------------------------------------------------------------

    def _edit(self, name: str, value, held: bool) -> None:
        node = self.node()
        if node is None or self.document is None:
            return
        old = round(node.opacity * 100) if name == "opacity" else self._shown(name, node.params[name])
        gesture = self.gesture.touch((node.id, name), held, start=old)  # (a slider press began it already)
        change = f"{self._value_text(node, name, self.gesture.start)} → {self._value_text(node, name, value)}"
        if name == "opacity":
            command = SetNodeFields(node.id, opacity=float(value) / 100, gesture=gesture,
                                    text=f"{node.label}: opacity {change}")
        else:
            label = node.spec.param(name).label
            what = f"{node.label}" if node.spec.iea_tool else f"{node.label}: {label.lower()}"
            params = {name: value / self._per_unit[name] if name in self._per_unit else value}
            if node.op == "crop" and name == "aspect":  # the edges become the box the ratio draws
                params.update(edges_for_aspect(node.params, value, crop_frame(self.document, node)))
            command = SetNodeFields(node.id, params=params, gesture=gesture, text=f"{what} {change}")
        self.document.apply(command)

    def reset_param(self, name: str) -> None:
        node = self.node()
        if node is None:
            return
        self.gesture.end()
        if name == "opacity":
            if node.opacity != 1.0:
                self.document.apply(SetNodeFields(node.id, opacity=1.0, text=f"Reset {node.label} opacity"))
        elif node.params[name] != node.spec.param(name).default:
            self.document.apply(SetNodeFields(node.id, params={name: node.spec.param(name).default},
                                              text=f"Reset {node.label}"))
        self.refresh()

    def reset_all(self) -> None:
        node = self.node()
        if node is not None and node.params != node.spec.defaults():
            self.gesture.end()
            self.document.apply(SetNodeFields(node.id, params=node.spec.defaults(), text=f"Reset {node.label}"))

    def _enabled_toggled(self, on: bool) -> None:
        node = self.node()
        if node is not None and node.enabled != on:
            verb = "Turn on" if on else "Turn off"
            self.document.apply(SetNodeFields(node.id, enabled=on, text=f"{verb} {node.label}"))
