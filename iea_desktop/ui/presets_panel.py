"""The presets panel: a gallery of every preset previewed on the current photo, and their actions.

The built-in presets (the built-in assistant's looks) come first and are read-only; the person's
own follow (``core.presets.PresetStore``). Each cell shows the preset applied to the open photo's
edits, rendered small on a thread of the panel's own (``render_gallery``), one preset at a time as
they come; hovering a cell shows its preview larger at the top, as Lightroom's Navigator does.
Double-click (or Apply) asks the window to apply it (``apply_requested``: the shoot controller
decides onto which photos).

New, Rename, Delete, Import and Export are QActions (the window also lists them in its Presets
menu). Questions go through ``ask_*`` methods, which tests replace with canned answers.
"""

from __future__ import annotations

import copy
import html
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QFont, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core import presets
from ..core.document import Document
from ..core.graph import EditGraph, Node
from ..core.image_io import downscale
from ..core.presets import Preset, PresetError, PresetStore
from ..core.render import RenderCancelled, RenderRequest
from .choose_nodes import ChooseNodesDialog
from .library import to_qimage
from .workers import Task, make_pool

PREVIEW_EDGE = 240  # the gallery's renders: the large preview's size; the cells show them smaller
ICON = QSize(90, 60)
CELL = QSize(100, 92)
LARGE = QSize(150, 100)  # the hovered preset's preview, beside its name and settings
REFRESH_MS = 500  # edits closer together than this re-render the gallery once
FILTER = "IEA Desktop presets (*.ieapreset);;All files (*)"


def preview_nodes(nodes: list[Node], preset: Preset) -> list[Node]:
    """The photo's nodes with ``preset`` applied, as applying it would leave them (the photo's
    own nodes untouched: copies)."""
    graph = EditGraph(copy.deepcopy(nodes))
    presets.apply_command(graph, preset).do(graph)
    return graph.nodes


def render_gallery(
    document: Document,
    nodes: list[Node],
    items: list[Preset],
    deliver: Callable[[str, QImage], None],
    cancelled: Callable[[], bool],
) -> None:
    """Render each preset on the photo's preview made small (a worker thread; its own render pipe,
    uncached, so the canvas's renders keep their cache), handing each image to ``deliver``."""
    small = downscale(document.preview_source(), PREVIEW_EDGE)
    for preset in items:
        if cancelled():
            return
        request = RenderRequest(
            nodes=preview_nodes(nodes, preset),
            source=small,
            source_key="gallery",
            dtype=np.uint8,
            cached=False,
            pipe="gallery",
            cancelled=cancelled,
        )
        try:
            pixels = document.render(request)
        except RenderCancelled:
            return
        deliver(preset.name, to_qimage(pixels))


class PresetsPanel(QWidget):
    apply_requested = Signal(object)  # the Preset to apply
    preview_ready = Signal(int, str, object)  # generation, preset name, QImage (from the render thread)

    def __init__(self, store: PresetStore, show_message: Callable[..., object], parent: QWidget | None = None):
        super().__init__(parent)
        self.store = store
        self.show_message = show_message  # (title, text): the window's non-blocking message
        self.document: Document | None = None
        self.presets: dict[str, Preset] = {}
        self.previews: dict[str, QImage] = {}
        self.pool = make_pool(1)
        self.task: Task | None = None
        self.generation = 0
        self._stale = False  # the gallery waits to be shown before rendering
        self.dialog: ChooseNodesDialog | None = None
        self.preview_ready.connect(self._preview_ready)
        self.refresh_timer = QTimer(self, singleShot=True, interval=REFRESH_MS)
        self.refresh_timer.timeout.connect(self.render_previews)

        self.large = QLabel()
        self.large.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.large.setFixedSize(LARGE)
        self.caption = QLabel("Hover a preset to see it on this photo")
        self.caption.setObjectName("dim")
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        self.problems = QLabel()
        self.problems.setObjectName("error")
        self.problems.setWordWrap(True)
        self.problems.hide()

        self.list = QListWidget()
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setIconSize(ICON)
        self.list.setGridSize(CELL)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setWordWrap(True)
        self.list.setMouseTracking(True)
        self.list.itemEntered.connect(self._show_large)
        self.list.currentItemChanged.connect(lambda item, _old: self._selection_changed(item))
        self.list.itemActivated.connect(lambda _item: self.apply_selected())

        def action(text: str, slot, tip: str, shortcut: str = "") -> QAction:
            made = QAction(text, self)
            made.setToolTip(tip)
            made.setStatusTip(tip)
            if shortcut:
                made.setShortcut(shortcut)
            made.triggered.connect(slot)
            return made

        self.new_action = action(
            "&New Preset…",
            self.new_preset,
            "Save this photo's adjustments (all or chosen ones) as a preset",
            "Ctrl+Shift+N",
        )
        self.apply_action = action(
            "Apply &Selected Preset", self.apply_selected, "Apply the chosen preset (double-click)"
        )
        self.rename_action = action("&Rename Preset…", self.rename_selected, "Rename the chosen preset")
        self.delete_action = action("&Delete Preset…", self.delete_selected, "Delete the chosen preset")
        self.import_action = action("&Import Presets…", self.import_dialog, "Add presets from .ieapreset files")
        self.export_action = action(
            "E&xport Preset…", self.export_selected, "Write the chosen preset to a file to share"
        )
        self.actions_list = [
            self.new_action,
            self.apply_action,
            self.rename_action,
            self.delete_action,
            self.import_action,
            self.export_action,
        ]
        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        for made, label in ((self.new_action, "New…"), (self.apply_action, "Apply"), (self.import_action, "Import…")):
            button = QToolButton()
            button.setDefaultAction(made)
            button.setText(label)
            buttons.addWidget(button)
        more = QToolButton()
        more.setText("More")
        more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        for made in (self.rename_action, self.delete_action, self.export_action):
            more.addAction(made)
        buttons.addWidget(more)
        buttons.addStretch(1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        top = QHBoxLayout()
        top.addWidget(self.large)
        top.addWidget(self.caption, 1)
        layout.addLayout(top)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.problems)
        layout.addLayout(buttons)
        self.reload()

    # --- the list ------------------------------------------------------------------------------

    def reload(self, select: str | None = None) -> None:
        """List the presets again (after a change), keeping or choosing the selected one."""
        selected = self.selected()
        current = select or (selected.name if selected is not None else None)
        listed = self.store.list()
        self.presets = {p.name: p for p in listed}
        self.list.clear()
        for preset in listed:
            item = QListWidgetItem(preset.name)
            item.setData(Qt.ItemDataRole.UserRole, preset.name)
            tip = [preset.name + (" (built-in, read-only)" if preset.read_only else ""), preset.summary()]
            item.setToolTip("\n".join(t for t in (*tip, preset.description) if t))
            if preset.read_only:
                font = QFont(item.font())
                font.setItalic(True)
                item.setFont(font)
            self.list.addItem(item)
            if preset.name == current:
                self.list.setCurrentItem(item)
        self.problems.setText("\n".join(self.store.problems))
        self.problems.setVisible(bool(self.store.problems))
        self._selection_changed(self.list.currentItem())
        self.render_previews()

    def item(self, name: str) -> QListWidgetItem | None:
        for row in range(self.list.count()):
            if self.list.item(row).data(Qt.ItemDataRole.UserRole) == name:
                return self.list.item(row)
        return None

    def selected(self) -> Preset | None:
        item = self.list.currentItem()
        return self.presets.get(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def select(self, name: str) -> None:
        item = self.item(name)
        if item is not None:
            self.list.setCurrentItem(item)

    def _selection_changed(self, item: QListWidgetItem | None) -> None:
        preset = self.selected()
        own = preset is not None and not preset.read_only
        self.apply_action.setEnabled(preset is not None and self.document is not None)
        self.rename_action.setEnabled(own)
        self.delete_action.setEnabled(own)
        self.export_action.setEnabled(preset is not None)
        self.new_action.setEnabled(self.document is not None and bool(self.document.graph.nodes))
        if item is not None:
            self._show_large(item)

    def _show_large(self, item: QListWidgetItem) -> None:
        name = item.data(Qt.ItemDataRole.UserRole)
        preset = self.presets.get(name)
        image = self.previews.get(name)
        if image is not None:
            self.large.setPixmap(
                QPixmap.fromImage(image).scaled(
                    LARGE, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
                )
            )
        else:
            self.large.clear()
        if preset is not None:
            kind = " (built-in)" if preset.read_only else ""
            self.caption.setText(f"<b>{html.escape(preset.name)}</b>{kind}<br>{html.escape(preset.summary())}")

    # --- the previews --------------------------------------------------------------------------

    def set_document(self, document: Document | None) -> None:
        self.document = document
        for row in range(self.list.count()):
            self.list.item(row).setIcon(QIcon())  # another photo
        self._selection_changed(self.list.currentItem())
        self.render_previews()

    def document_changed(self) -> None:
        """The photo's edits changed: the previews follow, once the edits pause."""
        self._selection_changed(self.list.currentItem())
        self.refresh_timer.start()

    def render_previews(self) -> None:
        """Render every preset on the photo in the background (only while the panel shows)."""
        if self.task is not None:
            self.task.cancel()
            self.task = None
        self.generation += 1
        self.previews = {}  # the cells keep their last images until the new ones come
        doc = self.document
        if doc is None:
            return
        if not self.isVisible():
            self._stale = True
            return
        self._stale = False
        generation, nodes, items = self.generation, copy.deepcopy(doc.graph.nodes), list(self.presets.values())

        def deliver(name: str, image: QImage) -> None:
            self.preview_ready.emit(generation, name, image)

        def job(task: Task) -> None:
            render_gallery(doc, nodes, items, deliver, lambda: task.cancelled)

        task = Task(job)
        task.done.connect(lambda _result: self._rendered(task))
        task.failed.connect(lambda error: self._render_failed(task, error))
        self.task = task.start(self.pool)

    def _preview_ready(self, generation: int, name: str, image: QImage) -> None:
        if generation != self.generation:
            return
        self.previews[name] = image
        item = self.item(name)
        if item is not None:
            item.setIcon(QIcon(QPixmap.fromImage(image)))
            if item is self.list.currentItem():
                self._show_large(item)

    def _rendered(self, task: Task) -> None:
        if task is self.task:
            self.task = None

    def _render_failed(self, task: Task, error: Exception) -> None:
        if task is self.task:
            self.task = None
            self.caption.setText(f"The previews could not be made: {error}")

    @property
    def rendering(self) -> bool:
        return self.task is not None

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self.render_previews()

    def shutdown(self) -> None:
        """The window closes: the render in progress stops and is waited for."""
        if self.task is not None:
            self.task.cancel()
        self.pool.waitForDone(10000)

    # --- actions -------------------------------------------------------------------------------

    def apply_selected(self) -> None:
        preset = self.selected()
        if preset is not None and self.document is not None:
            self.apply_requested.emit(preset)

    def new_preset(self) -> None:
        """New Preset…: tick the adjustments and name it; saved in the store."""
        doc = self.document
        if doc is None or not doc.graph.nodes:
            return
        dialog = ChooseNodesDialog(doc.graph, "New Preset", "Save", self.window(), name_label="Name")
        dialog.accepted.connect(lambda: self._save_chosen(dialog, doc))
        dialog.finished.connect(lambda _result: setattr(self, "dialog", None))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.dialog = dialog

    def _save_chosen(self, dialog: ChooseNodesDialog, doc: Document) -> None:
        self.save_preset(doc, dialog.name(), dialog.chosen())

    def save_preset(self, doc: Document, name: str, node_ids: list[str] | None = None) -> Preset | None:
        """Save ``doc``'s adjustments (the chosen ones, or all but the geometry) as a preset named
        ``name``; a name in use is replaced only when the person agrees. None when not saved."""
        try:
            stored = self._store(Preset.from_graph(name, doc.graph, node_ids))
        except PresetError as error:
            self.show_message("Cannot save preset", str(error))
            return None
        if stored is not None:
            self.reload(select=stored.name)
        return stored

    def _store(self, preset: Preset) -> Preset | None:
        """Save ``preset`` in the store; a preset of that name (in any case) is replaced only when
        the person agrees (None when not). Raises PresetError (a built-in's name, a file problem)."""
        existing = next((p for p in self.store.list() if p.name.casefold() == preset.name.casefold()), None)
        replaced = existing.name if existing is not None and not existing.read_only else None
        if replaced is not None and not self.ask_yes(
            "Replace preset?", f"A preset called “{replaced}” exists already. Replace it?"
        ):
            return None
        return self.store.save(preset, overwrite=replaced is not None)

    def rename_selected(self) -> None:
        preset = self.selected()
        if preset is None or preset.read_only:
            return
        new = self.ask_text("Rename Preset", "New name:", preset.name)
        if new is not None and new.strip() != preset.name:
            self.rename(preset.name, new)

    def rename(self, old: str, new: str) -> Preset | None:
        try:
            renamed = self.store.rename(old, new)
        except PresetError as error:
            self.show_message("Cannot rename preset", str(error))
            return None
        self.reload(select=renamed.name)
        return renamed

    def delete_selected(self) -> None:
        preset = self.selected()
        if preset is not None and not preset.read_only:
            if self.ask_yes("Delete preset?", f"Delete the preset “{preset.name}”? This cannot be undone."):
                self.delete(preset.name)

    def delete(self, name: str) -> bool:
        try:
            self.store.delete(name)
        except PresetError as error:
            self.show_message("Cannot delete preset", str(error))
            return False
        self.reload()
        return True

    def import_dialog(self) -> None:
        paths = self.ask_open_files()
        if paths:
            self.import_files(paths)

    def import_files(self, paths: Sequence[str | Path]) -> list[Preset]:
        """Add the presets in these files; a name in use is replaced only when the person agrees.
        Files that cannot be read are said in one message."""
        added, problems = [], []
        for path in paths:
            try:
                stored = self._store(presets.read_file(path))
            except PresetError as error:
                problems.append(str(error))
                continue
            if stored is not None:
                added.append(stored)
        if problems:
            self.show_message("Some presets were not imported", "\n".join(problems))
        self.reload(select=added[-1].name if added else None)
        return added

    def export_selected(self) -> None:
        preset = self.selected()
        if preset is None:
            return
        path = self.ask_save_file(presets.file_name(preset.name))
        if path:
            self.export_to(preset.name, path)

    def export_to(self, name: str, path: str | Path) -> Path | None:
        try:
            return self.store.export_file(name, path)
        except PresetError as error:
            self.show_message("Cannot export preset", str(error))
            return None

    # --- questions (tests replace these) -------------------------------------------------------

    def ask_yes(self, title: str, text: str) -> bool:
        return QMessageBox.question(self, title, text) == QMessageBox.StandardButton.Yes

    def ask_text(self, title: str, label: str, text: str) -> str | None:
        value, ok = QInputDialog.getText(self, title, label, text=text)
        return value if ok else None

    def ask_open_files(self) -> list[str]:
        paths, _ = QFileDialog.getOpenFileNames(self, "Import Presets", str(Path.home()), FILTER)
        return paths

    def ask_save_file(self, name: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self, "Export Preset", str(Path.home() / name), FILTER)
        return path
