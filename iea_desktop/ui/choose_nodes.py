"""Which adjustments: a checkbox per adjustment of a photo, as Lightroom's Copy Settings dialog.

Used by Copy Settings, Sync Settings and New Preset. Every adjustment starts ticked but the
geometry ones (crop, rotate, straighten, flip), which are framed on one photo; as in
``presets.Preset.from_graph``, they go along only when ticked. With ``name_label`` the dialog
also asks for a name (New Preset).
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ..core.graph import EditGraph, Node


def node_text(node: Node) -> str:
    """One line for a node: "Exposure +20", with what else matters when copying it."""
    notes = [note for note, present in (("masked", node.mask is not None), ("off", not node.enabled)) if present]
    if node.spec.stage == "geometry":
        notes.append("framed on this photo")
    return f"{node.label} {node.summary()}" + (f"  ({', '.join(notes)})" if notes else "")


class ChooseNodesDialog(QDialog):
    """Tick the adjustments to take; ``chosen()`` gives their ids in the graph's order."""

    def __init__(self, graph: EditGraph, title: str, ok_text: str, parent=None, name_label: str = "", name: str = ""):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(380)
        self.checks: dict[str, QCheckBox] = {}
        column = QWidget()
        rows = QVBoxLayout(column)
        rows.setContentsMargins(6, 6, 6, 6)
        for node in graph.nodes:
            check = QCheckBox(node_text(node))
            check.setChecked(node.spec.stage != "geometry")
            check.toggled.connect(self._update_ok)
            rows.addWidget(check)
            self.checks[node.id] = check
        rows.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(column)
        scroll.setMinimumHeight(min(60 + 26 * len(self.checks), 420))

        every = QPushButton("Check All")
        every.clicked.connect(lambda: self.set_all(True))
        none = QPushButton("Check None")
        none.clicked.connect(lambda: self.set_all(False))
        quick = QHBoxLayout()
        quick.addWidget(every)
        quick.addWidget(none)
        quick.addStretch(1)

        self.name_edit = QLineEdit(name)
        self.name_edit.textChanged.connect(self._update_ok)
        self.message = QLabel()
        self.message.setObjectName("error")
        self.message.setWordWrap(True)
        self.message.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setObjectName("primary")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        if name_label:
            form = QFormLayout()
            form.addRow(name_label, self.name_edit)
            layout.addLayout(form)
        else:
            self.name_edit.hide()
        layout.addWidget(QLabel("Adjustments to take:"))
        layout.addWidget(scroll, 1)
        layout.addLayout(quick)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self._asks_name = bool(name_label)
        self._update_ok()

    def set_all(self, on: bool) -> None:
        for check in self.checks.values():
            check.setChecked(on)

    def chosen(self) -> list[str]:
        return [node_id for node_id, check in self.checks.items() if check.isChecked()]

    def name(self) -> str:
        return self.name_edit.text().strip()

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _update_ok(self) -> None:
        ready = bool(self.chosen()) and (not self._asks_name or bool(self.name()))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ready)
