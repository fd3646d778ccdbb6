"""The inspector's mask section: where on the photo the selected adjustment acts.

"Add mask" adds a component (a gradient, an ellipse, a brush, a brightness or colour range, or an
area found in the photo); the list shows the components in the order they combine, and the one
selected is the one the canvas edits (``mask_tool.py``: handles, the brush, the range picker).
Below it: the selected component's mode (add / subtract / intersect), invert and own sliders, then
the whole mask's invert, feather and density. Every change is a ``SetNodeMask``; a slider drag is
one undo step (the inspector's ``Gesture``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

from PySide6.QtCore import Qt, QThreadPool
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core.graph import Node
from ..core.history import SetNodeMask
from ..core.masks import AREAS, Area, Brush, ColourRange, Linear, LuminanceRange, Mask, Radial
from ..core.masks.model import MAX_COMPONENTS, MODES, Component
from .inspector import NumberControl
from .layers_panel import where_text
from .mask_tool import area_found
from .workers import Task

KINDS = (  # the Add mask menu: (kind, label, what it is)
    ("linear", "Linear gradient", "Full at one line, fading to nothing at another: drag its handles on the photo"),
    ("radial", "Radial", "An ellipse, full inside and fading at its edge: drag its handles on the photo"),
    ("brush", "Brush", "Paint where the adjustment acts; Erase (or Alt + drag) erases, [ and ] change the size"),
    ("luminance", "Brightness range", "The photo's pixels of a brightness; click the photo to pick it"),
    ("colour", "Colour range", "The photo's pixels of a colour; click the photo to pick it"),
)
MODE_TEXT = {"add": "Add", "subtract": "Subtract", "intersect": "Intersect"}
HINTS = {
    "linear": "Drag the handles on the photo: the solid line is full strength, the dashed line none.",
    "radial": "Drag the centre, the square handles (size) or the round one (turn) on the photo.",
    "brush": "Paint on the photo; with Erase on, or Alt held, a stroke erases. [ and ] change the size.",
    "luminance": "Click the photo to centre the range on a pixel's brightness.",
    "colour": "Click the photo to pick the colour.",
    "area": "Found in the photo. To correct it, add a brush set to Subtract (or Add).",
}


def component_name(c: Component) -> str:
    """'Radial', 'Sky', 'Brush (subtract, inverted)': a row of the component list."""
    name = c.area.capitalize() if isinstance(c, Area) else dict((k, label) for k, label, _ in KINDS)[c.kind]
    extra = [c.mode] if c.mode != "add" else []
    if c.invert:
        extra.append("inverted")
    return f"{name} ({', '.join(extra)})" if extra else name


def new_component(kind: str, photo_size: tuple[int, int]) -> Component:
    """A component as "Add mask" makes it: a gradient over the top half, a circle in the middle,
    an empty brush, the shadows, the greens, or an area (``kind`` one of AREAS)."""
    width, height = photo_size
    made: dict[str, Callable[[], Component]] = {
        "linear": Linear,
        "radial": lambda: Radial(radii=(0.25, 0.25 * width / max(height, 1))),
        "brush": Brush,
        "luminance": LuminanceRange,
        "colour": ColourRange,
    }
    return made[kind]() if kind in made else Area(area=kind)


class MaskPanel(QWidget):
    """The mask of the inspector's node; ``tool`` (the canvas's MaskTool) edits the selected component."""

    def __init__(self, inspector) -> None:
        super().__init__()
        self.inspector = inspector
        self.tool = None
        self.component = 0  # the selected component (index in the mask)
        self._node_id: str | None = None
        self._shown_kind: tuple | None = None  # (index, kind) the component rows were built for
        self._numbers: dict[str, NumberControl] = {}  # the selected component's sliders
        self._found: dict[tuple, bool] = {}  # (document, area): whether the photo has it
        self._looking: set[tuple] = set()  # areas being looked for

        self.title = QLabel("Mask")
        self.title.setObjectName("title")
        self.summary = QLabel()
        self.summary.setObjectName("dim")
        self.summary.setWordWrap(True)
        self.add_button = QToolButton()
        self.add_button.setText("Add ▾")
        self.add_button.setToolTip("Make this adjustment act on part of the photo only")
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.add_menu = self._build_menu()
        self.add_button.setMenu(self.add_menu)
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.add_button)

        self.components = QListWidget()
        self.components.setMaximumHeight(96)
        self.components.setToolTip("The mask's parts, combined from the top; the selected one is edited on the photo")
        self.components.currentRowChanged.connect(self._row_changed)
        self.mode = QComboBox()
        for mode in MODES:
            self.mode.addItem(MODE_TEXT[mode], mode)
        self.mode.setToolTip("How this part combines with the ones above it")
        self.mode.currentIndexChanged.connect(lambda _i: self._component_field("mode", self.mode.currentData()))
        self.invert_component = QCheckBox("Invert")
        self.invert_component.setToolTip("This part acts where it would not (outside an ellipse)")
        self.invert_component.toggled.connect(lambda on: self._component_field("invert", bool(on)))
        self.remove_component = QPushButton("Remove")
        self.remove_component.setToolTip("Remove this part of the mask")
        self.remove_component.clicked.connect(self.remove_selected)
        row = QHBoxLayout()
        row.addWidget(self.mode, 1)
        row.addWidget(self.invert_component)
        row.addWidget(self.remove_component)
        self.hint = QLabel()
        self.hint.setObjectName("dim")
        self.hint.setWordWrap(True)
        self.component_form = QFormLayout()

        self.invert_mask = QCheckBox("Invert mask")
        self.invert_mask.setToolTip("Act everywhere but where the mask is")
        self.invert_mask.toggled.connect(
            lambda on: self._mask_field("invert", bool(on), "invert" if on else "uninvert")
        )
        self.overlay = QCheckBox("Show overlay (O)")
        self.overlay.setToolTip("Show the mask tinted red over the photo (O)")
        self.overlay.toggled.connect(lambda on: self.tool.set_overlay(on) if self.tool is not None else None)
        self.remove_mask = QPushButton("Remove mask")
        self.remove_mask.setToolTip("Let this adjustment act on the whole photo again")
        self.remove_mask.clicked.connect(self.remove)
        checks = QHBoxLayout()
        checks.addWidget(self.invert_mask)
        checks.addWidget(self.overlay)
        checks.addStretch(1)
        self.feather = NumberControl(0, 25, 1, "Blur of the mask's edges, in % of the photo's long side", " %")
        self._wire(self.feather, "feather", lambda m, v: replace(m, feather=v / 100), "feather")
        self.density = NumberControl(0, 100, 0, "How strongly the adjustment acts where the mask is full", " %")
        self._wire(self.density, "density", lambda m, v: replace(m, density=v / 100), "density")
        whole = QFormLayout()
        whole.addRow("Feather", self.feather)
        whole.addRow("Density", self.density)

        self.details = QWidget()
        details = QVBoxLayout(self.details)
        details.setContentsMargins(0, 0, 0, 0)
        details.addWidget(self.components)
        details.addLayout(row)
        details.addWidget(self.hint)
        details.addLayout(self.component_form)
        details.addLayout(checks)
        details.addLayout(whole)
        details.addWidget(self.remove_mask, 0, Qt.AlignmentFlag.AlignRight)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.summary)
        layout.addWidget(self.details)

    def _build_menu(self) -> QMenu:
        menu = QMenu(self)
        menu.setToolTipsVisible(True)
        for kind, label, tip in KINDS:
            action = menu.addAction(label, partial(self.add, kind))
            action.setToolTip(tip)
            action.setObjectName(kind)
        menu.addSection("Found in the photo")
        for area in AREAS:
            action = menu.addAction(area.capitalize(), partial(self.add, area))
            action.setToolTip(f"The {area} of the photo, found automatically")
            action.setObjectName(area)
        return menu

    def set_tool(self, tool) -> None:
        """The canvas's mask tool: it edits the selected component; its brush and overlay show here."""
        self.tool = tool
        tool.brush_changed.connect(self._show_brush)
        tool.overlay_toggled.connect(self._show_overlay)
        tool.set_component(self.component)

    # --- model -> view -----------------------------------------------------------------------

    def show_node(self, node: Node | None) -> None:
        if node is None or node.spec.stage == "geometry":
            self.hide()
            self._node_id = None
            return
        self.show()
        if node.id != self._node_id:
            self._node_id, self.component = node.id, 0
        mask = node.mask
        self.details.setVisible(mask is not None)
        self.add_button.setEnabled(mask is None or len(mask.components) < MAX_COMPONENTS)
        self.summary.setText(where_text(node))
        if mask is None:
            self._shown_kind = None
            return
        self.component = min(self.component, max(len(mask.components) - 1, 0))
        names = [component_name(c) for c in mask.components]
        self.components.blockSignals(True)
        if [self.components.item(i).text() for i in range(self.components.count())] != names:
            self.components.clear()
            self.components.addItems(names)
        self.components.setCurrentRow(self.component)
        self.components.blockSignals(False)
        if self.tool is not None and self.tool.component != self.component:
            self.tool.set_component(self.component)
        self._show_checks(mask)
        for control, value in ((self.feather, mask.feather * 100), (self.density, mask.density * 100)):
            if not control.held:
                control.set_value(value)
        if mask.components:
            self._show_component(mask.components[self.component])

    def _show_checks(self, mask: Mask) -> None:
        c = mask.components[self.component] if mask.components else None
        for box, value in ((self.invert_mask, mask.invert), (self.invert_component, c is not None and c.invert)):
            box.blockSignals(True)
            box.setChecked(value)
            box.blockSignals(False)
        self.mode.blockSignals(True)
        self.mode.setCurrentIndex(max(self.mode.findData(c.mode if c is not None else "add"), 0))
        self.mode.setEnabled(self.component > 0)  # the first part is the base
        self.mode.blockSignals(False)
        self._show_overlay(self.tool is not None and self.tool.overlay)

    def _show_overlay(self, on: bool) -> None:
        self.overlay.blockSignals(True)
        self.overlay.setChecked(on)
        self.overlay.blockSignals(False)

    def _show_component(self, c: Component) -> None:
        """The selected component's own rows (built when the selection's kind changes), and values."""
        if self._shown_kind != (self.component, c.kind):
            self._shown_kind = (self.component, c.kind)
            self._build_component_rows(c)
        self.hint.setText(HINTS[c.kind])
        if isinstance(c, Area):
            self._check_area(c.area)
        values = {}
        if isinstance(c, Radial):
            values = {"feather": c.feather * 100}
        elif isinstance(c, LuminanceRange):
            values = {"low": c.low * 100, "high": c.high * 100, "smoothness": c.smoothness * 100}
        elif isinstance(c, ColourRange):
            values = {"hue": c.hue, "tolerance": c.tolerance, "smoothness": c.smoothness * 100}
        for name, value in values.items():
            if not self._numbers[name].held:
                self._numbers[name].set_value(value)
        if isinstance(c, Brush):
            self._show_brush()

    def _check_area(self, area: str) -> None:
        """Say so when the photo has no such area (the part is then empty); found off the GUI thread."""
        document = self.inspector.document
        found = self._found.get((id(document), area))
        if found is False:
            self.hint.setText(f"No {area} found in this photo: this part of the mask is empty. {HINTS['area']}")
        if found is not None or (id(document), area) in self._looking:
            return
        self._looking.add((id(document), area))
        task = Task(lambda _task: (document, area, area_found(document, area)))
        task.done.connect(self._area_checked)  # a bound slot: Qt drops the answer once the panel is gone
        task.failed.connect(lambda _error: self._looking.discard((id(document), area)))
        task.start(QThreadPool.globalInstance())

    def _area_checked(self, answer: tuple) -> None:
        document, area, found = answer
        self._looking.discard((id(document), area))
        self._found[(id(document), area)] = found
        if document is self.inspector.document:
            self.show_node(self.inspector.node())

    def _build_component_rows(self, c: Component) -> None:
        while self.component_form.rowCount():
            self.component_form.removeRow(0)
        self._numbers = {}
        self.erase: QCheckBox | None = None  # a brush's Erase
        percent = lambda field: lambda c, v: replace(c, **{field: v / 100})  # noqa: E731
        rows: list[tuple[str, NumberControl]] = []
        if isinstance(c, Radial):
            rows = [("feather", NumberControl(0, 100, 0, "The share of the radius over which it fades", " %"))]
            self._wire_component(rows[0][1], "feather", percent("feather"))
        elif isinstance(c, LuminanceRange):
            rows = [
                ("low", NumberControl(0, 100, 0, "The darkest brightness in the range", " %")),
                ("high", NumberControl(0, 100, 0, "The brightest brightness in the range", " %")),
                ("smoothness", NumberControl(0, 100, 0, "How far beyond the range it fades", " %")),
            ]
            self._wire_component(rows[0][1], "low", lambda c, v: replace(c, low=v / 100, high=max(c.high, v / 100)))
            self._wire_component(rows[1][1], "high", lambda c, v: replace(c, high=v / 100, low=min(c.low, v / 100)))
            self._wire_component(rows[2][1], "smoothness", percent("smoothness"))
        elif isinstance(c, ColourRange):
            rows = [
                ("hue", NumberControl(0, 360, 0, "The colour: 0 red, 120 green, 240 blue", "°")),
                ("tolerance", NumberControl(1, 180, 0, "How far from that hue a colour still counts", "°")),
                ("smoothness", NumberControl(0, 100, 0, "How far beyond the tolerance it fades", " %")),
            ]
            self._wire_component(rows[0][1], "hue", lambda c, v: replace(c, hue=float(v) % 360))
            self._wire_component(rows[1][1], "tolerance", lambda c, v: replace(c, tolerance=float(v)))
            self._wire_component(rows[2][1], "smoothness", percent("smoothness"))
        elif isinstance(c, Brush):  # the brush's settings belong to the tool, not the mask
            rows = [
                ("size", NumberControl(0.2, 30, 1, "The brush's radius, in % of the photo's long side ([ and ])", " %")),
                ("hardness", NumberControl(0, 100, 0, "The share of the radius painted at full strength", " %")),
                ("flow", NumberControl(0, 100, 0, "How much one stroke paints", " %")),
            ]  # fmt: skip
            for name, control in rows:
                control.edited.connect(lambda v, name=name: self._brush_edited(name, v))
            self.erase = QCheckBox("Erase")
            self.erase.setToolTip("Strokes erase this brush's painting (Alt held: the other way, for one stroke)")
            self.erase.setChecked(self.tool is not None and self.tool.erasing)
            self.erase.toggled.connect(lambda on: self.tool is not None and self.tool.set_brush(erasing=on))
            self.component_form.addRow("", self.erase)
        for name, control in rows:
            self.component_form.addRow(name.capitalize(), control)
            self._numbers[name] = control

    def _show_brush(self) -> None:
        if self.tool is None or "size" not in self._numbers:
            return
        values = {"size": self.tool.radius * 100, "hardness": self.tool.hardness * 100, "flow": self.tool.flow * 100}
        for name, value in values.items():
            if not self._numbers[name].held:
                self._numbers[name].set_value(value)

    def _brush_edited(self, name: str, value) -> None:
        if self.tool is not None:
            self.tool.set_brush(**{"radius" if name == "size" else name: float(value) / 100})

    # --- view -> model -------------------------------------------------------------------------

    def _row_changed(self, row: int) -> None:
        if row >= 0 and row != self.component:
            self.inspector.gesture.end()
            self.component = row
            if self.tool is not None:
                self.tool.set_component(row)
            self.show_node(self.inspector.node())

    def _apply(self, mask: Mask | None, text: str, gesture: str | None = None) -> None:
        node = self.inspector.node()
        if node is None or self.inspector.document is None:
            return
        if gesture is None:
            self.inspector.gesture.end()
        self.inspector.document.apply(SetNodeMask(node.id, mask, gesture=gesture, text=f"{node.label}: {text}"))

    def _wire(self, control: NumberControl, key: str, change: Callable[[Mask, float], Mask], what: str) -> None:
        """A slider on the mask: a drag (or a burst of steps) is one undo step."""

        def edited(value) -> None:
            node = self.inspector.node()
            if node is None or node.mask is None:
                return
            gesture = self.inspector.gesture.touch((node.id, "mask", key, self.component), control.held)
            self._apply(change(node.mask, value), f"mask {what} {value:g}", gesture)

        control.edited.connect(edited)
        control.pressed.connect(
            lambda: self.inspector.gesture.touch((self._node_id, "mask", key, self.component), True)
        )
        control.released.connect(self.inspector.gesture.end)

    def _wire_component(self, control: NumberControl, field: str, change: Callable[[Any, float], Component]):
        """``change`` makes the component shown (of the kind its rows were built for) with the control's value."""

        def on_mask(mask: Mask, value) -> Mask:
            return mask.replace_component(self.component, change(mask.components[self.component], value))

        self._wire(control, field, on_mask, field)

    def _component_field(self, field: str, value) -> None:
        node = self.inspector.node()
        if node is None or node.mask is None or not node.mask.components:
            return
        c = node.mask.components[self.component]
        changed = replace(c, **{field: value})
        self._apply(node.mask.replace_component(self.component, changed), f"{component_name(changed)}")

    def _mask_field(self, field: str, value, text: str) -> None:
        node = self.inspector.node()
        if node is not None and node.mask is not None:
            self._apply(replace(node.mask, **{field: value}), f"{text} mask")

    def add(self, kind: str) -> None:
        """Add a component of ``kind`` (a KINDS kind or an area) to the node's mask, and select it."""
        node = self.inspector.node()
        document = self.inspector.document
        if node is None or document is None or node.spec.stage == "geometry":
            return
        mask = node.mask or Mask()
        if len(mask.components) >= MAX_COMPONENTS:
            return
        component = new_component(kind, (document.info.width, document.info.height))
        self.component = len(mask.components)
        if self.tool is not None:
            self.tool.set_component(self.component)
        self._apply(mask.replace_component(len(mask.components), component), f"add {component_name(component)} mask")

    def remove_selected(self) -> None:
        node = self.inspector.node()
        if node is None or node.mask is None or not node.mask.components:
            return
        items = list(node.mask.components)
        removed = items.pop(self.component)
        if not items:
            self._apply(None, "remove mask")
            return
        if self.component == 0:  # the next part becomes the base
            items[0] = replace(items[0], mode="add")
        self.component = max(self.component - 1, 0)
        self._apply(replace(node.mask, components=tuple(items)), f"remove {component_name(removed)} from the mask")

    def remove(self) -> None:
        node = self.inspector.node()
        if node is not None and node.mask is not None:
            self._apply(None, "remove mask")
