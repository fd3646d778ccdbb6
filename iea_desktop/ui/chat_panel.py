"""The assistant sidebar: the model picker, the conversation, and the request box.

Replies stream in as they are generated; each finished turn lists the adjustments it made or
changed as links (click one to select it in the layers panel). Errors are shown here, in the
conversation, never in a crash dialog. The panel only shows things and emits what the person
asked for; the window runs the turns in a worker.
"""

from __future__ import annotations

import html
from collections.abc import Set as AbstractSet

from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from . import theme

EXAMPLES = ("Make it brighter", "Warmer", "Black and white", "Fix the colors")
CHANGE_KINDS = {"added": "Added", "changed": "Changed", "removed": "Removed", "kept": "Kept"}


def _as_html(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


class MessageBubble(QFrame):
    node_clicked = Signal(str)

    STYLES = {"user": "userBubble", "assistant": "assistantBubble", "error": "noticeBubble", "info": "infoBubble"}

    def __init__(self, role: str, who: str, text: str = ""):
        super().__init__()
        self.role = role
        self.setObjectName(self.STYLES[role])
        self.text = text
        self.header = QLabel(who)
        self.header.setObjectName("builtinBadge" if role == "assistant" else "dim")
        self.body = QLabel()
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.links = QLabel()
        self.links.setWordWrap(True)
        self.links.setTextFormat(Qt.TextFormat.RichText)
        self.links.linkActivated.connect(lambda href: self.node_clicked.emit(href.removeprefix("node:")))
        self.links.hide()
        self.meta = QLabel()
        self.meta.setObjectName("dim")
        self.meta.setWordWrap(True)
        self.meta.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 8)
        layout.setSpacing(3)
        layout.addWidget(self.header)
        layout.addWidget(self.body)
        layout.addWidget(self.links)
        layout.addWidget(self.meta)
        self.set_text(text)

    def append(self, chunk: str) -> None:
        self.set_text(self.text + chunk)

    def set_text(self, text: str) -> None:
        self.text = text
        self.body.setText(_as_html(text) if text else f"<span style='color:{theme.DIM_TEXT}'>Thinking…</span>")

    def set_changes(self, changes: list[dict], live: AbstractSet[str] = frozenset(), undone: bool = False) -> None:
        """What the turn changed (``session.graph_changes``: added, changed, removed, kept), grouped by
        kind; adjustments still in the graph (``live`` ids) are links that select them."""
        if not changes:
            self.links.hide()
            return
        groups: dict[str, list[str]] = {}
        for change in changes:
            text = html.escape(change["text"])
            if change.get("node_id") in live:
                text = (
                    f"<a href='node:{change['node_id']}' style='color:{theme.ASSISTANT}; text-decoration:none'>"
                    f"{text}</a>"
                )
            groups.setdefault(CHANGE_KINDS.get(change["kind"], "Changed"), []).append(text)
        dim = f"<span style='color:{theme.DIM_TEXT}'>"
        parts = [f"{dim}{kind}:</span> {', '.join(items)}" for kind, items in groups.items()]
        self.links.setText((f"{dim}Undone:</span> " if undone else "") + " · ".join(parts))
        self.links.setToolTip("Click an adjustment to select it in the Layers panel")
        self.links.show()

    def mark_failed(self) -> None:
        """Show the bubble as a problem (a turn that failed or changed nothing because of an error)."""
        theme.restyle(self, self.STYLES["error"])

    def set_meta(self, text: str) -> None:
        self.meta.setText(text)
        self.meta.setVisible(bool(text))


class _MessageList(QWidget):
    """The column of messages inside the scroll area, as tall as its messages at the width it has.

    Word-wrapped labels make a layout's minimum height the height at its narrowest width, far
    taller than at the real width; the scroll area would then make the list that tall, leaving
    blank space below the last message to scroll into. So the list claims no minimum height (nor
    does its layout impose one), and the scroll area sizes it by its height for the viewport's width.
    """

    def minimumSizeHint(self) -> QSize:
        return QSize(super().minimumSizeHint().width(), 0)


class _Picker(QComboBox):
    opening = Signal()  # about to show the list: a chance to look for newly installed models

    def showPopup(self) -> None:
        self.opening.emit()
        super().showPopup()


class ChatPanel(QWidget):
    send_requested = Signal(str)
    stop_requested = Signal()
    summarize_requested = Signal()
    node_clicked = Signal(str)
    assistant_chosen = Signal(int)  # index into the picker
    picker_opening = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.busy = False
        self.bubbles: list[MessageBubble] = []

        self.picker = _Picker()
        self.picker.opening.connect(self.picker_opening)
        self.picker.setToolTip("Which assistant answers: the built-in one (no model file needed) or an installed model")
        self.picker.currentIndexChanged.connect(self._picker_changed)
        self.status = QLabel()
        self.status.setObjectName("dim")
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.hide()

        self.messages = _MessageList()
        self.messages.setObjectName("chatMessages")
        self.message_layout = QVBoxLayout(self.messages)
        self.message_layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self.message_layout.setContentsMargins(8, 8, 8, 8)
        self.message_layout.setSpacing(8)
        self.hints = self._build_hints()
        self.message_layout.addWidget(self.hints)
        self.message_layout.addStretch(1)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll_area.setWidget(self.messages)
        self.scroll_area.verticalScrollBar().rangeChanged.connect(self._keep_at_bottom)

        self.input = QPlainTextEdit()
        self.input.setPlaceholderText("Ask for a change, e.g. “a bit warmer”… (Enter sends)")
        self.input.setFixedHeight(62)
        self.input.installEventFilter(self)
        self.send_button = QPushButton("Send")
        self.send_button.setObjectName("primary")
        self.send_button.clicked.connect(self._send_or_stop)
        self.summarize_button = QPushButton("Summarize my edits")
        self.summarize_button.setObjectName("link")
        self.summarize_button.setToolTip(
            "List the adjustments on this photo with their values, and what they say about your taste"
        )
        self.summarize_button.clicked.connect(self.summarize_requested)

        self.scope = QLabel()  # what a request applies to, when more than the open photo
        self.scope.setObjectName("dim")
        self.scope.setWordWrap(True)
        self.scope.hide()

        top = QVBoxLayout()
        top.setContentsMargins(8, 8, 8, 4)
        top.addWidget(self.picker)
        top.addWidget(self.status)
        top.addWidget(self.progress)
        entry = QHBoxLayout()
        entry.addWidget(self.input, 1)
        entry.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignBottom)
        bottom = QVBoxLayout()
        bottom.setContentsMargins(8, 4, 8, 8)
        bottom.addWidget(self.scope)
        bottom.addLayout(entry)
        bottom.addWidget(self.summarize_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(top)
        layout.addWidget(self.scroll_area, 1)
        layout.addLayout(bottom)
        self._available = False
        self.set_available(False, "Open a photo to start.")

    def _build_hints(self) -> QFrame:
        box = QFrame()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(4, 4, 4, 4)
        title = QLabel("Tell the assistant what you would like. Try:")
        title.setObjectName("dim")
        title.setWordWrap(True)
        layout.addWidget(title)
        self.hint_buttons = []
        for text in EXAMPLES:
            button = QPushButton(f"“{text}”")
            button.setObjectName("hint")
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.clicked.connect(lambda _=False, t=text: self.send(t))
            layout.addWidget(button, 0, Qt.AlignmentFlag.AlignLeft)
            self.hint_buttons.append(button)
        note = QLabel("Every change becomes an adjustment in the Layers panel that you can switch off or fine-tune.")
        note.setObjectName("dim")
        note.setWordWrap(True)
        layout.addWidget(note)
        return box

    # --- picker ------------------------------------------------------------------------------

    def set_choices(self, choices: list[tuple[str, str, bool]], current: int) -> None:
        """(label, tooltip, usable) per assistant; unusable ones are listed but cannot be picked."""
        self.picker.blockSignals(True)
        self.picker.clear()
        model = self.picker.model()
        assert isinstance(model, QStandardItemModel), "a combo box's own model"
        for i, (label, tip, usable) in enumerate(choices):
            self.picker.addItem(label)
            self.picker.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
            if not usable:
                model.item(i).setEnabled(False)
        self.picker.setCurrentIndex(current)
        self.picker.blockSignals(False)

    def set_current_choice(self, index: int) -> None:
        self.picker.blockSignals(True)
        self.picker.setCurrentIndex(index)
        self.picker.blockSignals(False)

    def _picker_changed(self, index: int) -> None:
        if index >= 0:
            self.assistant_chosen.emit(index)

    def set_status(self, text: str) -> None:
        self.status.setText(text)

    def set_loading(self, fraction: float | None, text: str = "") -> None:
        """Show progress (a model loading, a request on several photos); None hides the bar."""
        if fraction is None:
            self.progress.hide()
            return
        self.progress.show()
        if fraction < 0:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, 100)
            self.progress.setValue(int(round(100 * fraction)))
        self.progress.setFormat(text or "%p%")

    def set_scope(self, text: str) -> None:
        """A line over the request box saying what a request applies to ("the 3 selected photos");
        empty hides it (a request is about the open photo)."""
        self.scope.setText(text)
        self.scope.setVisible(bool(text))

    # --- state -------------------------------------------------------------------------------

    def set_available(self, available: bool, why: str = "") -> None:
        """Whether requests can be sent (a photo is open and an assistant is ready)."""
        self._available = available
        self.input.setPlaceholderText(
            "Ask for a change, e.g. “a bit warmer”… (Enter sends)"
            if available
            else why or "The assistant is not available."
        )
        self._update_controls()

    def set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.send_button.setText("Stop" if busy else "Send")
        theme.restyle(self.send_button, "" if busy else "primary")
        self._update_controls()

    def _update_controls(self) -> None:
        ready = self._available and not self.busy
        self.input.setEnabled(self._available)
        self.send_button.setEnabled(self._available or self.busy)
        self.summarize_button.setEnabled(ready)
        self.picker.setEnabled(not self.busy)
        for button in self.hint_buttons:
            button.setEnabled(ready)
        self.hints.setVisible(self._available and not self.bubbles)

    # --- sending -----------------------------------------------------------------------------

    def eventFilter(self, obj, event) -> bool:
        if (
            obj is self.input
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            if not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                if not self.busy:
                    self.send(self.input.toPlainText())
                return True
        return super().eventFilter(obj, event)

    def send(self, text: str) -> None:
        text = text.strip()
        if text and self._available and not self.busy:
            self.input.clear()
            self.send_requested.emit(text)

    def _send_or_stop(self) -> None:
        if self.busy:
            self.stop_requested.emit()
        else:
            self.send(self.input.toPlainText())

    # --- messages ----------------------------------------------------------------------------

    def _add(self, bubble: MessageBubble) -> MessageBubble:
        row = QHBoxLayout()
        if bubble.role == "user":
            row.addStretch(1)
            row.addWidget(bubble, 5)
        else:
            row.addWidget(bubble, 12)
            row.addStretch(1)
        self.message_layout.insertLayout(self.message_layout.count() - 1, row)
        bubble.node_clicked.connect(self.node_clicked)
        self.bubbles.append(bubble)
        self.hints.hide()
        return bubble

    def add_user(self, text: str) -> MessageBubble:
        return self._add(MessageBubble("user", "You", text))

    def begin_reply(self, who: str) -> MessageBubble:
        return self._add(MessageBubble("assistant", who))

    def add_notice(self, text: str, error: bool = True) -> MessageBubble:
        return self._add(MessageBubble("error" if error else "info", "Problem" if error else "Note", text))

    def clear(self) -> None:
        for bubble in self.bubbles:
            bubble.hide()
            bubble.deleteLater()
        self.bubbles = []
        while self.message_layout.count() > 2:  # the hints and the trailing stretch stay
            item = self.message_layout.takeAt(1)
            layout = item.layout() if item is not None else None
            if layout is not None:
                layout.deleteLater()
        self._update_controls()

    def _keep_at_bottom(self, _minimum: int, maximum: int) -> None:
        QTimer.singleShot(
            0, lambda: self.scroll_area.verticalScrollBar().setValue(self.scroll_area.verticalScrollBar().maximum())
        )
