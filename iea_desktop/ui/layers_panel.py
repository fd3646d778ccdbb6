"""The layers panel: the edit graph as a list, one row per node in pipeline order (applied top to bottom).

Each row: an enable checkbox with the adjustment's name (with "◐ sky" when a mask limits where it
acts), its value summary and an origin badge (you / the assistant, whose reason is the tooltip). Every change is a history command: toggle,
delete, duplicate, reorder (drag a row, or Move up/down), reset, and "Add adjustment", which
lists every op of the registry.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QKeySequence, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..agent.areas import mask_words
from ..core.document import Document
from ..core.graph import GraphLimitError, Node, Provenance, make_node
from ..core.history import AddNode, Compound, MoveNode, RemoveNode, SetNodeFields
from ..core.ops import REGISTRY
from . import theme
from .crop_tool import crop_frame, size_text

STAGE_GROUPS = (
    ("Crop & rotate", ("geometry",)),
    ("Light", ("A", "B")),
    ("Colour", ("C",)),
    ("Effects & detail", ("D", "E")),
)
MASKED = "◐"  # marks a masked node's name, before where it acts
NODE_ID = Qt.ItemDataRole.UserRole
ORIGIN = Qt.ItemDataRole.UserRole + 1


def origin_badge(node: Node) -> str:
    if node.provenance.origin != "assistant":
        return "You"
    return "Assistant, edited by you" if node.provenance.edited_by_user else "Assistant"


def origin_text(node: Node) -> str:
    """Who made a node and why, for tooltips and the inspector; for an assistant's node that the
    person changed since, what the assistant set and what the person made of it come first."""
    prov = node.provenance
    if prov.origin != "assistant":
        return "Added by you"
    who = f"the assistant ({prov.model})" if prov.model else "the assistant"
    text = f"Added by {who}" + (f": {prov.reason}" if prov.reason else "")
    if not prov.edited_by_user:
        return text
    assistant = dataclasses.replace(node, params=prov.assistant_params or node.params, opacity=1.0).summary()
    mine = node.summary()
    if mine != assistant:
        changed = f"you changed it to {mine}" + (f" at {node.opacity:.0%}" if node.opacity < 1.0 else "")
    else:
        changed = f"you set its opacity to {node.opacity:.0%}"
    return f"Assistant set {assistant}; {changed}.\n{text}"


def where_words(node: Node) -> str:
    """Where a masked node acts, as the assistant says it: 'on the sky', 'at the top', 'brush, minus sky'."""
    assert node.mask is not None
    return mask_words(node.mask).removeprefix("masked: ")


def where_text(node: Node) -> str:
    """Where on the photo a node acts: 'Acts on the sky', 'Acts on: brush, minus sky' or 'Acts on the whole photo'."""
    if node.mask is None:
        return "Acts on the whole photo"
    words = where_words(node)
    return f"Acts {words}" if words != node.mask.describe() else f"Acts on: {words}"


def value_text(node: Node) -> str:
    text = node.summary()
    return text if node.opacity >= 1.0 else f"{text} · {node.opacity:.0%}"


class _BadgeDelegate(QStyledItemDelegate):
    """Paints the origin column as a small coloured pill."""

    def paint(self, painter: QPainter, option, index) -> None:
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if not text:
            return
        assistant = index.data(ORIGIN) == "assistant"
        style = option.widget.style() if option.widget is not None else None
        if style is not None:  # the row's selection/hover background
            style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, option.widget)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = option.fontMetrics
        w, h = metrics.horizontalAdvance(text) + 14, metrics.height() + 2
        rect = QRectF(option.rect.left() + 2, option.rect.center().y() - h / 2 + 1, w, h)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(theme.ASSISTANT if assistant else theme.PERSON))
        painter.drawRoundedRect(rect, h / 2, h / 2)
        painter.setPen(QColor("white"))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    def sizeHint(self, option, index) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width() + 18, size.height())


class _NodeTree(QTreeWidget):
    """A flat list whose drag-and-drop reorders through a command instead of moving items itself."""

    moved = Signal(str, int)  # node id, new index
    delete_pressed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setColumnCount(3)
        self.setHeaderLabels(["Adjustment", "Value", "By"])
        self.setRootIsDecorated(False)
        self.setIndentation(4)
        self.setUniformRowHeights(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setDropIndicatorShown(True)
        self.setItemDelegateForColumn(2, _BadgeDelegate(self))
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)  # "Assistant, edited by you"
        header.resizeSection(1, 92)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)

    def dropEvent(self, event) -> None:
        item = self.currentItem()
        if item is None or event.source() is not self:
            event.ignore()
            return
        old = self.indexOfTopLevelItem(item)
        target = self.itemAt(event.position().toPoint())
        if target is None:
            new = self.topLevelItemCount() - 1
        else:
            new = self.indexOfTopLevelItem(target)
            if event.position().y() > self.visualItemRect(target).center().y():
                new += 1
            if new > old:
                new -= 1
        event.setDropAction(Qt.DropAction.IgnoreAction)
        event.accept()
        if new != old:
            self.moved.emit(item.data(0, NODE_ID), new)

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.delete_pressed.emit()
        else:
            super().keyPressEvent(event)


class LayersPanel(QWidget):
    selection_changed = Signal(object)  # the selected node's id, or None

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.document: Document | None = None
        self._ids: list[str] = []
        self._updating = False

        self.add_button = QToolButton()
        self.add_button.setText("+ Add adjustment ▾")
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.add_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.add_menu = self._build_add_menu()
        self.add_button.setMenu(self.add_menu)
        self.duplicate_button = QPushButton("Duplicate")
        self.duplicate_button.setToolTip("Duplicate the selected adjustment")
        self.duplicate_button.clicked.connect(self.duplicate_selected)
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Delete the selected adjustment (Del)")
        self.delete_button.clicked.connect(self.delete_selected)

        self.tree = _NodeTree()
        self.tree.itemChanged.connect(self._item_changed)
        self.tree.itemSelectionChanged.connect(self._selection_changed)
        self.tree.moved.connect(self.move_node)
        self.tree.delete_pressed.connect(self.delete_selected)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)

        self.empty_label = QLabel("No adjustments yet. Ask the assistant, or use “Add adjustment”.")
        self.empty_label.setObjectName("dim")
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.order_label = QLabel("Applied top to bottom · drag to reorder")
        self.order_label.setObjectName("dim")

        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addStretch(1)
        buttons.addWidget(self.duplicate_button)
        buttons.addWidget(self.delete_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(buttons)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.empty_label, 1)
        layout.addWidget(self.order_label)
        self.set_document(None)

    def _build_add_menu(self) -> QMenu:
        menu = QMenu(self)
        menu.setToolTipsVisible(True)
        for title, stages in STAGE_GROUPS:
            menu.addSection(title)
            for spec in REGISTRY.values():
                if spec.stage in stages:
                    action = menu.addAction(spec.label)
                    action.setToolTip(spec.help)
                    action.setStatusTip(spec.help)
                    action.setData(spec.name)
                    action.triggered.connect(lambda _=False, op=spec.name: self.add(op))
        return menu

    # --- model -> view -----------------------------------------------------------------------

    def set_document(self, document: Document | None) -> None:
        self.document = document
        self._ids = []
        self._updating = True
        self.tree.clear()
        self._updating = False
        self.refresh()

    def refresh(self) -> None:
        nodes = list(self.document.graph.nodes) if self.document is not None else []
        self._updating = True
        try:
            ids = [n.id for n in nodes]
            if ids != self._ids:
                selected = self.selected_id()
                self.tree.blockSignals(True)
                self.tree.clear()
                for node in nodes:
                    self.tree.addTopLevelItem(self._make_item(node))
                self.tree.blockSignals(False)
                self._ids = ids
                if selected in ids:
                    self.tree.setCurrentItem(self._item(ids.index(selected)))
                elif selected is not None:
                    self.selection_changed.emit(None)
            for i, node in enumerate(nodes):
                self._fill_item(self._item(i), node)
        finally:
            self._updating = False
        has_doc, has_nodes = self.document is not None, bool(nodes)
        self.tree.setVisible(has_nodes)
        self.order_label.setVisible(has_nodes)
        self.empty_label.setVisible(not has_nodes)
        self.empty_label.setText(
            "No adjustments yet. Ask the assistant, or use “Add adjustment”."
            if has_doc
            else "Open a photo to start editing."
        )
        self.add_button.setEnabled(has_doc)
        self.duplicate_button.setEnabled(self.selected_id() is not None)
        self.delete_button.setEnabled(self.selected_id() is not None)

    def _make_item(self, node: Node) -> QTreeWidgetItem:
        item = QTreeWidgetItem()
        item.setFlags(
            Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsUserCheckable
            | Qt.ItemFlag.ItemIsDragEnabled
        )
        item.setData(0, NODE_ID, node.id)
        return item

    def _item(self, row: int) -> QTreeWidgetItem:
        item = self.tree.topLevelItem(row)
        assert item is not None, "the tree has a row for each node of self._ids"
        return item

    def _fill_item(self, item: QTreeWidgetItem, node: Node) -> None:
        item.setText(0, node.label if node.mask is None else f"{node.label}  {MASKED} {where_words(node)}")
        item.setCheckState(0, Qt.CheckState.Checked if node.enabled else Qt.CheckState.Unchecked)
        value = value_text(node) if node.op != "crop" else size_text(node.params, crop_frame(self.document, node))
        item.setText(1, value)
        item.setText(2, origin_badge(node))
        item.setData(2, ORIGIN, node.provenance.origin)
        tip = f"{node.spec.help}\n\n{origin_text(node)}"
        if node.spec.stage != "geometry":
            tip += f"\n\n{where_text(node)}"
        for column in range(3):
            item.setToolTip(column, tip)
            item.setForeground(column, QColor(theme.TEXT if node.enabled else theme.DIM_TEXT))
        item.setToolTip(1, value)
        font = item.font(0)
        font.setItalic(not node.enabled)
        item.setFont(0, font)
        item.setFont(1, font)

    # --- selection ---------------------------------------------------------------------------

    def selected_id(self) -> str | None:
        items = self.tree.selectedItems()
        return items[0].data(0, NODE_ID) if items else None

    def select(self, node_id: str | None) -> bool:
        """Select a node's row (None clears the selection); False if the node is not in the graph."""
        if node_id is None:
            self.tree.clearSelection()
            return True
        if node_id not in self._ids:
            self.refresh()
        if node_id not in self._ids:
            return False
        item = self._item(self._ids.index(node_id))
        self.tree.setCurrentItem(item)
        self.tree.scrollToItem(item)
        return True

    def _selection_changed(self) -> None:
        if not self._updating:
            self.duplicate_button.setEnabled(self.selected_id() is not None)
            self.delete_button.setEnabled(self.selected_id() is not None)
            self.selection_changed.emit(self.selected_id())

    # --- edits (each one a history command) --------------------------------------------------

    def _node(self, node_id: str | None) -> Node | None:
        return None if self.document is None else self.document.graph.find_node(node_id)

    @property
    def _doc(self) -> Document:
        """The open photo, for the edits of its nodes (they find a node first, so one is open)."""
        assert self.document is not None, "a node was found, so a photo is open"
        return self.document

    def _item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if self._updating or column != 0:
            return
        self.set_enabled(item.data(0, NODE_ID), item.checkState(0) == Qt.CheckState.Checked)

    def set_enabled(self, node_id: str, enabled: bool) -> None:
        node = self._node(node_id)
        if node is not None and node.enabled != enabled:
            verb = "Turn on" if enabled else "Turn off"
            self._doc.apply(SetNodeFields(node_id, enabled=enabled, text=f"{verb} {node.label}"))

    def add(self, op: str) -> str | None:
        if self.document is None:
            return None
        node = make_node(op, provenance=Provenance("user"))
        if not self._add(AddNode(node)):
            return None
        self.refresh()
        self.select(node.id)
        return node.id

    def delete_selected(self) -> None:
        node = self._node(self.selected_id())
        if node is not None:
            self._doc.apply(RemoveNode(node.id))

    def duplicate_selected(self) -> None:
        node = self._node(self.selected_id())
        if node is None:
            return
        copy = make_node(node.op, dict(node.params), node.version, Provenance("user"))
        copy.enabled, copy.opacity = node.enabled, node.opacity
        index = self._doc.graph.index_of(node.id) + 1
        if not self._add(Compound([AddNode(copy, index=index)], text=f"Duplicate {node.label}")):
            return
        self.refresh()
        self.select(copy.id)

    def _add(self, command) -> bool:
        """Apply a command that adds a node; past the graph's limit, say so instead (nothing changes)."""
        try:
            self._doc.apply(command)
        except GraphLimitError as error:
            QMessageBox.information(self, "Too many adjustments", f"{error}. Remove or merge some first.")
            return False
        return True

    def move_node(self, node_id: str, new_index: int) -> None:
        node = self._node(node_id)
        if node is None:
            return
        new_index = min(max(new_index, 0), len(self._doc.graph.nodes) - 1)
        if new_index != self._doc.graph.index_of(node_id):
            self._doc.apply(MoveNode(node_id, new_index))
            self.refresh()
            self.select(node_id)

    def reset(self, node_id: str) -> None:
        node = self._node(node_id)
        if node is not None and node.params != node.spec.defaults():
            self._doc.apply(SetNodeFields(node_id, params=node.spec.defaults(), text=f"Reset {node.label}"))

    def _context_menu(self, pos) -> None:
        item = self.tree.itemAt(pos)
        node = self._node(item.data(0, NODE_ID)) if item is not None else None
        if node is None or not self.isEnabled():
            return
        index = self._doc.graph.index_of(node.id)
        menu = QMenu(self)
        menu.addAction("Turn off" if node.enabled else "Turn on", lambda: self.set_enabled(node.id, not node.enabled))
        menu.addAction("Duplicate", self.duplicate_selected)
        up = menu.addAction("Move up", lambda: self.move_node(node.id, index - 1))
        up.setEnabled(index > 0)
        down = menu.addAction("Move down", lambda: self.move_node(node.id, index + 1))
        down.setEnabled(index < len(self._doc.graph.nodes) - 1)
        menu.addAction("Reset to default", lambda: self.reset(node.id))
        menu.addSeparator()
        delete = menu.addAction("Delete", self.delete_selected)
        delete.setShortcut(QKeySequence.StandardKey.Delete)
        menu.exec(self.tree.viewport().mapToGlobal(pos))
