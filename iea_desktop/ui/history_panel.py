"""The history panel: every step (one per assistant turn), click one to go back to it, and snapshots.

The first row is the original photo. Steps after the current one are shown dimmed: they can be
redone, and a new edit made from an earlier step discards them (the core history does that).
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core.document import Document
from . import theme


class HistoryPanel(QWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.document: Document | None = None
        self._shown: tuple | None = None  # what the lists show, to skip rebuilding them when nothing changed
        self.steps = QListWidget()
        self.steps.itemClicked.connect(self._step_clicked)
        self.steps.setToolTip("Click a step to go back to it. A new edit from there discards the later steps.")
        self.undo_button = QPushButton("Undo")
        self.redo_button = QPushButton("Redo")
        self.undo_button.clicked.connect(self.undo)
        self.redo_button.clicked.connect(self.redo)
        self.snapshot_button = QPushButton("+ Snapshot")
        self.snapshot_button.setToolTip("Remember the current state under a name, to come back to it later")
        self.snapshot_button.clicked.connect(self._ask_snapshot)
        self.snapshots = QListWidget()
        self.snapshots.setMaximumHeight(110)
        self.snapshots.setToolTip("Click a snapshot to restore it (you can undo that too)")
        self.snapshots.itemClicked.connect(lambda item: self.restore_snapshot(item.text()))

        buttons = QHBoxLayout()
        buttons.addWidget(self.undo_button)
        buttons.addWidget(self.redo_button)
        buttons.addStretch(1)
        buttons.addWidget(self.snapshot_button)
        snap_label = QLabel("Snapshots")
        snap_label.setObjectName("dim")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(buttons)
        layout.addWidget(self.steps, 1)
        layout.addWidget(snap_label)
        layout.addWidget(self.snapshots)
        self.set_document(None)

    def set_document(self, document: Document | None) -> None:
        self.document = document
        self.refresh()

    def refresh(self) -> None:
        doc = self.document
        shown = (
            (id(doc), tuple(doc.history.labels()), doc.history.position, tuple(doc.history.snapshots)) if doc else None
        )
        if shown == self._shown and doc is not None:
            return
        self._shown = shown
        self.steps.clear()
        self.snapshots.clear()
        for widget in (self.snapshot_button, self.steps, self.snapshots):
            widget.setEnabled(doc is not None)
        self.undo_button.setEnabled(doc is not None and doc.history.can_undo)
        self.redo_button.setEnabled(doc is not None and doc.history.can_redo)
        if doc is None:
            return
        history = doc.history
        labels = ["Original photo"] + history.labels()
        for row, label in enumerate(labels):
            item = QListWidgetItem(label)
            font = QFont(item.font())
            if row == history.position:
                font.setBold(True)
                item.setText(f"▸ {label}")
            elif row > history.position:
                font.setItalic(True)
                item.setForeground(QColor(theme.DIM_TEXT))
            else:
                item.setText(f"   {label}")
            if label.startswith("Assistant"):
                item.setForeground(QColor(theme.ASSISTANT) if row <= history.position else QColor("#6f6294"))
            item.setFont(font)
            self.steps.addItem(item)
        self.steps.scrollToItem(self.steps.item(history.position))
        for name in history.snapshots:
            self.snapshots.addItem(name)

    def _step_clicked(self, item: QListWidgetItem) -> None:
        self.goto(self.steps.row(item))

    def goto(self, position: int) -> None:
        if self.document is not None and position != self.document.history.position:
            self.document.history.goto(position)

    def undo(self) -> None:
        if self.document is not None:
            self.document.history.undo()

    def redo(self) -> None:
        if self.document is not None:
            self.document.history.redo()

    def _ask_snapshot(self) -> None:
        if self.document is None:
            return
        default = f"Snapshot {len(self.document.history.snapshots) + 1}"
        name, ok = QInputDialog.getText(self, "Take snapshot", "Name:", text=default)
        if ok and name.strip():
            self.take_snapshot(name.strip())

    def take_snapshot(self, name: str) -> None:
        if self.document is not None:
            self.document.history.take_snapshot(name)

    def restore_snapshot(self, name: str) -> None:
        if self.document is not None and name in self.document.history.snapshots:
            self.document.history.restore_snapshot(name)
