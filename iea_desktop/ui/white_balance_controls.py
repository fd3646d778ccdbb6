"""The white balance node's extras in the inspector: presets (Auto among them) and the eyedropper.

The sliders are the inspector's own (from the registry); this row adds what they cannot do. Auto
and the eyedropper measure the node's input: the photo rendered by the nodes before it, at the
preview's size (``core/white_balance.py`` does the maths). The eyedropper takes the next click on
the canvas, through an event filter on it, so the canvas needs no mode of its own.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ..core import white_balance as wb
from ..core.history import SetNodeFields
from .canvas import Canvas

CUSTOM = "Custom"


class WhiteBalanceControls(QWidget):
    def __init__(self, inspector) -> None:
        super().__init__()
        self.inspector = inspector
        self.presets = QComboBox()
        self.presets.addItem(CUSTOM)
        for name in wb.PRESETS:
            self.presets.addItem(name)
        self.presets.setToolTip("Set the white balance for a kind of light; Auto measures it in the photo")
        self.presets.activated.connect(lambda index: self.choose(self.presets.itemText(index)))
        self.picker = QPushButton("Pick neutral")
        self.picker.setCheckable(True)
        self.picker.setToolTip("Then click something in the photo that should be neutral grey or white (Esc: cancel)")
        self.picker.toggled.connect(self.set_picking)
        self.status = QLabel()
        self.status.setObjectName("dim")
        self.status.setWordWrap(True)
        self.status.hide()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.presets, 1)
        row.addWidget(self.picker)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.status)
        self._canvas: Canvas | None = None
        self._chosen: tuple | None = None  # (node id, values, preset): shown while the values stay (Auto, Cloudy)

    def refresh(self, node) -> None:
        """Show the preset the node's values are (the one chosen, where two have the same), or Custom."""
        values = (node.params["temperature"], node.params["tint"])
        name = next((n for n, v in wb.PRESETS.items() if v == values), CUSTOM)
        if self._chosen is not None and self._chosen[:2] == (node.id, values):
            name = self._chosen[2]
        self.presets.setCurrentText(name)

    # --- measuring ---------------------------------------------------------------------------

    def node_input(self) -> np.ndarray | None:
        """The node's input at preview size (``white_balance.node_input``)."""
        document, node = self.inspector.document, self.inspector.node()
        if document is None or node is None:
            return None
        return wb.node_input(document, node.id)

    def camera(self):
        """The photo's RAW colour, if it is one (auto and the eyedropper measure in its space)."""
        return self.inspector.document.camera if self.inspector.document is not None else None

    def _set(self, values: tuple[int, int], what: str) -> None:
        document, node = self.inspector.document, self.inspector.node()
        if document is None or node is None:
            return
        self.status.hide()
        temperature, tint = values
        if (node.params["temperature"], node.params["tint"]) != (temperature, tint):
            self.inspector.gesture.end()
            document.apply(
                SetNodeFields(
                    node.id,
                    params={"temperature": temperature, "tint": tint},
                    text=f"White balance: {what} ({temperature} K, tint {tint:+d})",
                )
            )
        self.inspector.refresh()

    def _say(self, text: str) -> None:
        self.status.setText(text)
        self.status.show()

    def choose(self, name: str) -> None:
        if name == CUSTOM:
            return
        values = wb.PRESETS[name]
        if values is None:
            image = self.node_input()
            if image is None:
                return
            try:
                values = wb.auto(image, self.camera())
            except wb.WhiteBalanceError as error:
                self._say(str(error))
                self.inspector.refresh()
                return
        self._chosen = (self.inspector.node_id, values, name)
        self._set(values, name.lower())

    # --- the eyedropper ----------------------------------------------------------------------

    def canvas_widget(self) -> Canvas | None:
        if self._canvas is None:
            self._canvas = self.window().findChild(Canvas) if self.window() is not None else None
        return self._canvas

    def set_picking(self, on: bool) -> None:
        canvas = self.canvas_widget()
        if canvas is None:
            self.picker.setChecked(False)
            return
        if on:
            canvas.installEventFilter(self)
            canvas.setCursor(Qt.CursorShape.CrossCursor)
            self._say("Click something in the photo that should be neutral grey or white.")
        else:
            canvas.removeEventFilter(self)
            canvas.unsetCursor()
            self.status.hide()

    def pick(self, x: float, y: float) -> None:
        """The eyedropper at (x, y) in the photo's (full-size, output) pixels."""
        canvas, image = self.canvas_widget(), self.node_input()
        size = canvas.image_size() if canvas is not None else None
        if image is None or size is None:
            return
        width, height = size
        px, py = int(x * image.shape[1] / width), int(y * image.shape[0] / height)
        try:
            values = wb.eyedropper(image, px, py, self.camera())
        except wb.WhiteBalanceError as error:
            self._say(str(error))
            return
        self._set(values, "eyedropper")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        canvas, kind = self._canvas, event.type()
        if canvas is None or watched is not canvas:  # the filter watches the canvas only
            return False
        if isinstance(event, QMouseEvent):
            if kind == QEvent.Type.MouseButtonPress and event.button() == Qt.MouseButton.LeftButton:
                point = canvas.to_image(event.position())
                self.picker.setChecked(False)  # one click, then the canvas is the canvas again
                self.pick(point.x(), point.y())
                return True
            if kind == QEvent.Type.MouseMove and not event.buttons():
                canvas.setCursor(Qt.CursorShape.CrossCursor)  # the canvas would show its own cursor
                return True
        elif isinstance(event, QKeyEvent) and kind == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Escape:
            self.picker.setChecked(False)
            return True
        return False

    def hideEvent(self, event) -> None:  # another node selected: the click is the canvas's again
        self.picker.setChecked(False)
        super().hideEvent(event)
