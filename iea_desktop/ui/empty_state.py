"""What the window shows before a photo is open: an invitation to open one, and recent photos."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from .settings import recent_labels


class EmptyState(QWidget):
    """What the window shows before a photo is open."""

    open_requested = Signal()
    recent_requested = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        title = QLabel("Open a photo to start")
        title.setObjectName("emptyTitle")
        subtitle = QLabel(
            "Drop a photo here, or press Ctrl+O.\nYour original is never changed: every edit is an "
            "adjustment\nthat you can switch off, fine-tune or undo."
        )
        subtitle.setObjectName("dim")
        subtitle.setAlignment(Qt.AlignmentFlag.AlignCenter)
        button = QPushButton("Open Photo…")
        button.setObjectName("primary")
        button.clicked.connect(self.open_requested)
        self.recent_title = QLabel("Recent")
        self.recent_title.setObjectName("dim")
        self.recent_box = QVBoxLayout()
        self.recent_box.setSpacing(0)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        for widget in (title, subtitle, button):
            layout.addWidget(widget, 0, Qt.AlignmentFlag.AlignHCenter)
            layout.addSpacing(10)
        layout.addSpacing(14)
        layout.addWidget(self.recent_title, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addLayout(self.recent_box)
        layout.addStretch(3)

    def set_recent(self, files: list[str]) -> None:
        while self.recent_box.count():
            item = self.recent_box.takeAt(0)
            button = item.widget() if item is not None else None
            if button is not None:
                button.hide()
                button.deleteLater()
        shown = [f for f in files if Path(f).exists()][:6]
        self.recent_title.setVisible(bool(shown))
        for file, label in zip(shown, recent_labels(shown)):
            button = QPushButton(label)
            button.setObjectName("link")
            button.setToolTip(file)
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.clicked.connect(lambda _=False, f=file: self.recent_requested.emit(f))
            self.recent_box.addWidget(button, 0, Qt.AlignmentFlag.AlignHCenter)
