"""The main window: the photo in the middle, layers/history/inspector on the left, histogram and chat on the right.

It owns the open document and binds the panels to it. Every change to the document arrives
through one signal (the document's listeners may fire on the assistant's worker thread; the
signal brings them to the GUI thread), which re-renders the preview, refreshes the panels and
restarts the autosave timer. Decoding, rendering, export, model loading and assistant turns
run in worker pools; the GUI thread only shows results. The assistant (its picker, session,
turns and chat panel) is an ``AssistantController``; the window hears from it through signals.
"""

from __future__ import annotations

import re
import time
from functools import partial
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCursor, QKeySequence
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QFileDialog,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from ..core.document import Document
from ..core.graph import Provenance, make_node
from ..core.history import AddNode, ReplaceGraph, SetNodeFields
from ..core.image_io import OPEN_FILTER_EXTENSIONS
from ..core.project import ProjectChanged, ProjectError
from .assistant_controller import AssistantController
from .canvas import Canvas
from .chat_panel import ChatPanel
from .crop_tool import HINT, crop_frame
from .empty_state import EmptyState
from .export_dialog import ExportDialog
from .histogram import HistogramWidget
from .history_panel import HistoryPanel
from .inspector import Gesture, Inspector
from .layers_panel import LayersPanel
from .library import LibraryController
from .preview import PreviewPipeline, PreviewResult
from .settings import Settings, recent_labels
from .shoot import ShootController
from .workers import Task, make_pool

APP_TITLE = "IEA Desktop"
AUTOSAVE_MS = 1500
DETAIL_DELAY_MS = 60  # zoom and pan events closer together than this ask for one detail render
HOLD_SECONDS = 0.4  # \\ held at least this long shows the original only while held
# What the mouse and held keys do: the shortcuts dialog lists these after the actions' own keys.
GESTURES = (
    ("Zoom at the pointer", "Mouse wheel"),
    ("Pan", "Drag, or Space + drag"),
    ("Show the original while held", "Hold \\"),
    ("Delete the selected adjustment", "Del"),
    ("Slider: fine control", "Shift + drag"),
    ("Slider: step / big step", "Arrow keys / Shift + arrow keys"),
    ("Slider: back to its default", "Double-click"),
    ("Crop: keep the box's ratio", "Shift + drag a corner"),
    ("Crop: rotate", "Drag outside the box"),
    ("Crop: level along a line", "Ctrl + drag"),
    ("Mask brush: erase", "Alt + drag"),
)


class _DocumentSignal(QObject):
    """Carries a document's change notifications (from any thread) to the GUI thread."""

    changed = Signal(object)


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings | None = None):
        super().__init__()
        self.settings = settings or Settings()
        self.render_pool = make_pool(2)
        self.work_pool = make_pool(2)
        self.document: Document | None = None
        self.pipeline = PreviewPipeline(self.render_pool, self)
        self.open_task: Task | None = None
        self.message_box: QMessageBox | None = None
        self.export_dialog: ExportDialog | None = None
        self.shortcuts_dialog: QDialog | None = None
        self._signal: _DocumentSignal | None = None
        self._refresh_scheduled = False
        self._autosaving = False
        self._crop_entry: int | None = None  # the history position when the crop tool was entered
        self._angle_start: tuple | None = None  # a rotation's start: (history position, node added, angle)
        self._hidden_docks: list[QDockWidget] = []  # the panels Tab hid
        self._before_pressed: tuple[float, bool, bool] | None = None  # \\ down: (when, shown before, repeated)

        self.crop_gesture = Gesture(self, lambda: self.document)  # a drag of the crop tool: one undo step
        self._build_widgets()
        self._build_actions()
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()
        self.autosave_timer = QTimer(self, singleShot=True, interval=AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self._autosave)
        self.detail_timer = QTimer(self, singleShot=True, interval=DETAIL_DELAY_MS)
        self.detail_timer.timeout.connect(self._request_detail)
        self.setAcceptDrops(True)
        app = QApplication.instance()
        assert app is not None, "create_application runs before the window"
        app.installEventFilter(self)
        self.resize(1440, 900)
        self.settings.restore_window(self)
        self._update_title()
        self._update_actions()
        self.assistant_controller.refresh_choices(initial=True)

    # --- building ----------------------------------------------------------------------------

    def _build_widgets(self) -> None:
        self.canvas = Canvas()
        self.canvas.view_changed.connect(self._view_changed)
        self.canvas.crop_tool.crop_edited.connect(self._crop_edited)
        self.canvas.crop_tool.angle_edited.connect(self._angle_edited)
        self.canvas.mask_tool.pipeline = self.pipeline
        self.addActions(self.canvas.mask_tool.actions)
        self.empty = EmptyState()
        self.empty.open_requested.connect(self.open_dialog)
        self.empty.recent_requested.connect(self.open_photo)
        self.empty.set_recent(self.settings.recent_files())
        self.center = QStackedWidget()
        self.center.addWidget(self.empty)
        self.center.addWidget(self.canvas)
        self.setCentralWidget(self.center)

        self.layers = LayersPanel()
        self.layers.selection_changed.connect(self._selection_changed)
        self.history_panel = HistoryPanel()
        self.inspector = Inspector()
        self.inspector.mask_panel.set_tool(self.canvas.mask_tool)
        self.histogram = HistogramWidget()
        self.histogram.clipping_toggled.connect(self._clipping_toggled)
        self.chat = ChatPanel()
        self.chat.node_clicked.connect(self.select_node)
        self.assistant_controller = AssistantController(self.chat, self.settings, self.work_pool, self)
        self.assistant_controller.turn_running.connect(self._turn_running)
        self.assistant_controller.node_touched.connect(self._node_touched)

        self.setDockNestingEnabled(True)
        self.layers_dock = self._dock("Layers", self.layers, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.inspector_dock = self._dock("Adjust", self.inspector, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.history_dock = self._dock("History", self.history_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.tabifyDockWidget(self.layers_dock, self.history_dock)
        self.layers_dock.raise_()
        self.histogram_dock = self._dock("Histogram", self.histogram, Qt.DockWidgetArea.RightDockWidgetArea)
        self.chat_dock = self._dock("Assistant", self.chat, Qt.DockWidgetArea.RightDockWidgetArea)
        self.resizeDocks([self.layers_dock, self.histogram_dock], [320, 360], Qt.Orientation.Horizontal)
        self.resizeDocks([self.layers_dock, self.inspector_dock], [420, 380], Qt.Orientation.Vertical)

        self.pipeline.preview_ready.connect(self._preview_ready)
        self.pipeline.detail_ready.connect(self.canvas.set_detail)
        self.pipeline.failed.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.library = LibraryController(self)  # the grid page, the filmstrip dock and their keys
        self.shoot = ShootController(self)  # copy / paste / sync, presets, batch export and chat, XMP

    def _dock(self, title: str, widget: QWidget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"{title.lower()}Dock")
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.addDockWidget(area, dock)
        return dock

    def _action(self, text: str, slot, shortcuts=(), tip: str = "", checkable: bool = False) -> QAction:
        action = QAction(text, self)
        if shortcuts:
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        a = self._action
        self.open_action = a("&Open…", self.open_dialog, [QKeySequence.StandardKey.Open], "Open a photo")
        self.save_action = a(
            "&Save",
            self.save,
            [QKeySequence.StandardKey.Save],
            "Save your edits next to the photo (the original is never changed)",
        )
        self.export_action = a(
            "&Export…",
            self.export,
            ["Ctrl+E", "Ctrl+Shift+E"],
            "Write the edited photo to a new file (or the selected photos, each to its own)",
        )
        self.quit_action = a("&Quit", self.close, [QKeySequence.StandardKey.Quit])
        self.undo_action = a("&Undo", self.undo, ["Ctrl+Z"], "Undo the last change")
        self.redo_action = a("&Redo", self.redo, ["Ctrl+Shift+Z", "Ctrl+Y"], "Redo the change you undid")
        self.reset_action = a("Reset &All", self.reset_all, [], "Remove every adjustment (you can undo this)")
        self.fit_action = a("&Fit to Window", self.canvas.fit, ["Ctrl+0"], "Show the whole photo")
        self.actual_action = a("&100%", self.canvas.actual_size, ["Ctrl+1"], "One photo pixel per screen pixel")
        self.zoom_in_action = a("Zoom &In", self.canvas.zoom_in, ["Ctrl++", "Ctrl+="])
        self.zoom_out_action = a("Zoom &Out", self.canvas.zoom_out, ["Ctrl+-"])
        self.zoom_toggle_action = a(
            "Fit / 100% &Toggle",
            self.toggle_zoom,
            ["Z"],
            "Switch between the whole photo and one photo pixel per screen pixel (Z)",
        )
        self.compare_action = a(
            "&Before/After",
            self.set_compare,
            ["Y"],
            "Split view: the original on the left, your edit on the right (Y). Hold \\ to see the whole original.",
            checkable=True,
        )
        self.before_action = a(
            "Show &Original",
            self.set_show_before,
            ["\\"],
            "Show the photo without your edits (\\ toggles; hold it to look while held)",
            checkable=True,
        )
        self.clipping_action = a(
            "Show &Clipping",
            self.histogram.set_show_clipping,
            ["J"],
            "Mark clipped highlights in red and crushed shadows in blue (J)",
            checkable=True,
        )
        self.panels_action = a(
            "Hide &Panels",
            self.set_panels_hidden,
            ["Tab"],
            "Hide the side panels to see the photo larger (Tab)",
            checkable=True,
        )
        self.full_screen_action = a("&Full Screen", self.set_full_screen, ["F"], "Fill the screen (F)", checkable=True)
        self.crop_action = a(
            "&Crop && Straighten",
            self.set_crop_mode,
            ["R"],
            "Crop and straighten (R): drag the box or its handles, drag outside it to rotate; "
            "Enter applies, Esc cancels",
            checkable=True,
        )
        self.crop_action.setIconText("Crop")
        self.level_action = a(
            "&Level Along a Line",
            self.set_level_mode,
            [],
            "In the crop tool: draw a line along the horizon and the photo turns to level it (or Ctrl + drag)",
            checkable=True,
        )
        self.crop_apply_action = a(
            "&Apply Crop", self.apply_crop, ["Return", "Enter"], "Leave the crop tool, keeping the crop (Enter)"
        )
        self.crop_cancel_action = a(
            "Ca&ncel Crop", self.cancel_crop, ["Esc"], "Leave the crop tool and undo what it changed (Esc)"
        )

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        file.addAction(self.open_action)
        self.recent_menu = file.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file.addSeparator()
        file.addAction(self.save_action)
        file.addAction(self.export_action)
        file.addSeparator()
        file.addAction(self.quit_action)
        edit = bar.addMenu("&Edit")
        edit.addAction(self.undo_action)
        edit.addAction(self.redo_action)
        edit.addSeparator()
        edit.addAction(self.reset_action)
        view = bar.addMenu("&View")
        for action in (self.fit_action, self.actual_action, self.zoom_in_action, self.zoom_out_action):
            view.addAction(action)
        view.addSeparator()
        view.addAction(self.zoom_toggle_action)
        view.addSeparator()
        view.addAction(self.compare_action)
        view.addAction(self.before_action)
        view.addAction(self.clipping_action)
        view.addActions(self.canvas.mask_tool.actions)
        view.addSeparator()
        view.addAction(self.panels_action)
        view.addAction(self.full_screen_action)
        panels = view.addMenu("&Panels")
        for dock in (self.layers_dock, self.history_dock, self.inspector_dock, self.histogram_dock, self.chat_dock):
            panels.addAction(dock.toggleViewAction())
        self.library.add_to_menus(file, view, panels)
        image = bar.addMenu("&Image")
        for action in (self.crop_action, self.level_action, self.crop_apply_action, self.crop_cancel_action):
            image.addAction(action)
        self.shoot.add_to_menus(file, edit, panels, bar.addMenu("&Presets"))
        assistant_menu = bar.addMenu("&Assistant")
        assistant_menu.addAction("&Models…", self.assistant_controller.show_models).setStatusTip(
            "Download vision models and see what is installed"
        )
        help_menu = bar.addMenu("&Help")
        help_menu.addAction("&Keyboard Shortcuts", self.show_shortcuts)
        help_menu.addAction(f"&About {APP_TITLE}", self.show_about)

    def _build_toolbar(self) -> None:
        bar = self.addToolBar("Main")
        bar.setObjectName("mainToolbar")
        bar.setMovable(False)
        for action in (
            self.open_action,
            self.save_action,
            self.export_action,
            None,
            self.undo_action,
            self.redo_action,
            None,
            self.fit_action,
            self.actual_action,
            self.zoom_out_action,
            self.zoom_in_action,
            None,
            self.crop_action,
            None,
            self.compare_action,
            self.clipping_action,
        ):
            if action is None:
                bar.addSeparator()
            else:
                bar.addAction(action)
        self.zoom_out_action.setIconText("−")
        self.zoom_in_action.setIconText("+")

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setFixedWidth(120)
        self.busy_bar.hide()
        self.photo_label = QLabel()
        self.zoom_label = QLabel()
        self.render_label = QLabel()
        self.assistant_label = QLabel()
        self.render_label.setToolTip("How long the last preview render took")
        self.assistant_label.setToolTip("The assistant answering in the chat, and where it runs")
        for widget in (self.busy_bar, self.photo_label, self.zoom_label, self.render_label, self.assistant_label):
            status.addPermanentWidget(widget)
        self.assistant_controller.described.connect(self.assistant_label.setText)
        status.showMessage("Ready")

    # --- opening -----------------------------------------------------------------------------

    def open_dialog(self) -> None:
        patterns = " ".join(f"*{ext}" for ext in OPEN_FILTER_EXTENSIONS)
        patterns += " " + patterns.upper()
        start = self.settings.value("dirs/open", str(Path.home()))
        path, _ = QFileDialog.getOpenFileName(self, "Open Photo", start, f"Photos ({patterns});;All files (*)")
        if path:
            self.open_photo(path)

    def open_photo(self, path: str | Path) -> bool:
        """Start opening a photo (decoded in a worker); False if a turn is running. Unsaved edits to
        the current photo are asked about once the new one has opened (``_opened``), not before."""
        path = Path(path)
        if self.assistant_controller.busy:
            self.chat.add_notice("Wait for the assistant to finish (or press Stop) before opening another photo.")
            return False
        if self.document is not None and self.document.path.resolve() == path.resolve() and not self.keep_work():
            return False  # the same photo again: saved first, so that it reopens with those edits
        self._set_busy(f"Opening {path.name}…")
        if self.document is None:
            self.center.setCurrentWidget(self.canvas)
            self.canvas.clear(f"Opening {path.name}…")

        def job(task: Task) -> Document:
            doc = self.library.take_prefetched(path) or Document.open(path)
            doc.quick_preview()
            return doc

        task = Task(job)
        task.done.connect(lambda doc: self._opened(task, path, doc))
        task.failed.connect(lambda error: self._open_failed(task, path, error))
        self.open_task = task.start(self.work_pool)
        return True

    def _opened(self, task: Task, path: Path, doc: Document) -> None:
        if task is not self.open_task:
            return
        self.open_task = None
        self._set_busy(None)
        if not self.keep_work():  # asked now that the photo is known to open; "Cancel" keeps the current one
            return
        self.settings.add_recent(path)
        self.settings.set_value("dirs/open", str(path.parent))
        self.empty.set_recent(self.settings.recent_files())
        self.install_document(doc)
        self.statusBar().showMessage(f"Opened {path.name}", 4000)
        for note in doc.notes:
            self.show_message("Note", note, icon=QMessageBox.Icon.Information)
        if doc.recovery_file() is not None:
            restore = self.ask_restore(doc)
            if doc is not self.document:  # another photo opened while the question was up (the library's
                return  # switch): its answer is for a photo no longer shown; the autosave is offered next time
            if restore:
                try:
                    doc.recover()
                except ProjectError as error:
                    self.show_message("Could not restore", str(error))
                self.assistant_controller.show_transcript(
                    doc
                )  # the restored conversation (install_document showed the saved one)
            else:
                doc.discard_recovery()
        if doc.info.is_raw:
            refine = Task(lambda _task: doc.refine_preview())

            def refined(changed: bool) -> None:
                if changed and doc is self.document:
                    self.pipeline.invalidate()

            refine.done.connect(refined)
            refine.start(self.work_pool)

    def _open_failed(self, task: Task, path: Path, error: Exception) -> None:
        if task is not self.open_task:
            return
        self.open_task = None
        self._set_busy(None)
        if self.document is None:
            self.center.setCurrentWidget(self.empty)
            self.canvas.clear()
        self.show_message("Cannot open photo", str(error) if str(error) else f"{path.name}: {type(error).__name__}")
        self.library.open_failed()

    def install_document(self, doc: Document) -> None:
        self.pipeline.cancel_all()
        self.autosave_timer.stop()
        self.crop_gesture.end()
        self.document = doc
        self._signal = _DocumentSignal(self)
        self._signal.changed.connect(self._document_changed)
        doc.subscribe(partial(self._signal.changed.emit, doc))
        self.pipeline.set_document(doc)
        self.canvas.clear(f"Rendering {doc.path.name}…")
        self.center.setCurrentWidget(self.canvas)
        self.layers.set_document(doc)
        self.inspector.set_document(doc)
        self.history_panel.set_document(doc)
        self.histogram.set_histogram(None)
        self.assistant_controller.set_document(doc)
        self.photo_label.setText(f"{doc.info.describe()} · {doc.info.megapixels:.1f} MP")
        self._update_title()
        self._update_actions()
        self.library.document_installed(doc)
        self.shoot.document_installed(doc)
        self.pipeline.request()

    # --- document changes --------------------------------------------------------------------

    def _document_changed(self, doc: Document) -> None:
        if doc is not self.document:
            return
        self.pipeline.request()
        self._request_detail()  # at 1:1 the rows on screen follow the change at once
        self.autosave_timer.start()
        if not self._refresh_scheduled:
            self._refresh_scheduled = True
            QTimer.singleShot(0, self._refresh)

    def _refresh(self) -> None:
        self._refresh_scheduled = False
        self.layers.refresh()
        self.inspector.refresh()
        self.history_panel.refresh()
        self._sync_tool()
        self._update_actions()
        self._update_title()
        self.shoot.document_changed()

    def _selection_changed(self, node_id: str | None) -> None:
        self.inspector.show_node(node_id)
        self._sync_tool()

    def selected_node(self):
        return None if self.document is None else self.document.graph.find_node(self.layers.selected_id())

    def _sync_tool(self) -> None:
        """On-canvas tools follow the selection: the crop tool for a crop node, a grid for straighten, the mask tool
        for a node with a mask."""
        node = self.selected_node()
        crop = node if node is not None and node.op == "crop" and node.enabled else None
        skip = crop.id if crop is not None else None
        if skip != self.pipeline.skip_node:
            self.pipeline.skip_node = skip
            self.pipeline.request()
        tool = self.canvas.crop_tool
        if crop is None:
            self._crop_entry = None
            tool.set_params(None)
        else:
            assert self.document is not None, "a selected node belongs to the open photo"
            if self._crop_entry is None:
                self._crop_entry = self.document.history.position
            if not tool.dragging:
                tool.set_params(crop.params, crop_frame(self.document, crop), self._straighten_angle())
        self.crop_action.setChecked(crop is not None)
        self.level_action.setChecked(tool.level)
        self.crop_apply_action.setEnabled(crop is not None)
        self.crop_cancel_action.setEnabled(crop is not None)
        self.canvas.set_grid(node is not None and node.op == "straighten")
        self.canvas.mask_tool.follow(self.document, node)

    def _straighten_node(self):
        if self.document is None:
            return None
        nodes = self.document.graph.find("straighten")
        return nodes[-1] if nodes else None

    def _straighten_angle(self) -> float:
        node = self._straighten_node()
        return node.params["angle"] if node is not None and node.enabled else 0.0

    def _crop_edited(self, edges: dict, final: bool) -> None:
        node = self.selected_node()
        if node is None or node.op != "crop" or self.assistant_controller.busy:
            return
        assert self.document is not None, "a selected node belongs to the open photo"
        gesture = self.crop_gesture.touch("crop", held=True)
        self.document.apply(SetNodeFields(node.id, params=edges, gesture=gesture, text="Crop"))
        if final:
            self.crop_gesture.end()

    def _angle_edited(self, angle: float, final: bool) -> None:
        """A rotation drag or a level line of the crop tool: the (last) straighten node's angle."""
        if self.document is None or self.assistant_controller.busy:
            return
        history = self.document.history
        node = self._straighten_node()
        if self._angle_start is None:  # the gesture's first edit
            old = node.params["angle"] if node is not None and node.enabled else 0.0
            self._angle_start = (history.position, node is None, old)
        position, added, old = self._angle_start
        if node is None:
            self.document.apply(AddNode(make_node("straighten", {"angle": angle}, provenance=Provenance("user"))))
        else:
            self.document.apply(
                SetNodeFields(
                    node.id,
                    params={"angle": angle},
                    enabled=True,
                    gesture=self.crop_gesture.touch("straighten", held=True),
                    text=f"Straighten {old:+.1f}° → {angle:+.1f}°",
                )
            )
        if final:
            self.crop_gesture.end()
            self._angle_start = None
            if added and history.position > position + 1:  # one undo step: adding the node at its final angle
                history.goto(position)
                self.document.apply(AddNode(make_node("straighten", {"angle": angle}, provenance=Provenance("user"))))

    # --- the crop tool's mode (R, Enter, Esc) --------------------------------------------------

    def set_crop_mode(self, on: bool) -> None:
        """R, the toolbar's Crop: enter the crop tool (a crop node is added if there is none, the
        last one selected otherwise); again: leave it, keeping the crop."""
        if not on:
            self.apply_crop()
            return
        if self.document is None or self.assistant_controller.busy:
            self.crop_action.setChecked(False)
            return
        entry = self.document.history.position
        crops = self.document.graph.find("crop")
        crop_id: str | None
        if crops:
            crop_id = crops[-1].id
            if not crops[-1].enabled:
                self.document.apply(SetNodeFields(crop_id, enabled=True, text="Turn on Crop"))
        else:
            crop_id = self.layers.add("crop")
        self._crop_entry = entry
        self.layers_dock.show()
        self.layers.select(crop_id)
        self._sync_tool()
        self.canvas.setFocus()
        self.statusBar().showMessage(f"Crop & straighten: {HINT}", 8000)

    def set_level_mode(self, on: bool) -> None:
        if on and not self.canvas.crop_tool.active:
            self.set_crop_mode(True)
        self.canvas.crop_tool.set_level(on and self.canvas.crop_tool.active)
        self.level_action.setChecked(self.canvas.crop_tool.level)

    def apply_crop(self) -> None:
        """Enter: leave the crop tool; the photo shows cropped."""
        if self.canvas.crop_tool.active:
            self.layers.select(None)
        self._sync_tool()

    def cancel_crop(self) -> None:
        """Esc: leave the crop tool and undo what changed since it was entered (the crop node it
        added, the box, the angle)."""
        entry = self._crop_entry
        if not self.canvas.crop_tool.active or entry is None:
            return
        self.layers.select(None)
        self._sync_tool()
        assert self.document is not None, "the crop tool is active only on an open photo"
        if self.document.history.position > entry:
            self.document.history.goto(entry)

    # --- assistant turns ---------------------------------------------------------------------

    def _turn_running(self, running: bool) -> None:
        """While the assistant works on the graph (on its thread), the person's edit controls wait."""
        for widget in (self.layers, self.inspector, self.history_panel):
            widget.setEnabled(not running)
        if running:
            self.inspector.gesture.end()
            self.canvas.set_crop(None)
            self.canvas.mask_tool.follow(self.document, None)
        else:
            self._sync_tool()
            if self.document is not None and self.document.dirty:
                self.autosave_timer.start()
            self._update_title()
        self._update_actions()

    def _node_touched(self, node_id: str) -> None:
        """A turn made or changed this node: show it selected."""
        self.layers.refresh()
        self.layers.select(node_id)

    def select_node(self, node_id: str) -> None:
        """Select a node in the layers panel (from a chat link)."""
        self.layers_dock.show()
        self.layers_dock.raise_()
        if not self.layers.select(node_id):
            self.statusBar().showMessage("That adjustment has since been removed.", 4000)

    # --- rendering ---------------------------------------------------------------------------

    def _preview_ready(self, result: PreviewResult) -> None:
        self.canvas.set_frames(result.after, result.before, result.clipping)
        self.canvas.mask_tool.set_overlay_image(result.mask)
        if result.histogram is not None:
            self.histogram.set_histogram(result.histogram)
        self.render_label.setText(f"Render {1000 * result.seconds:.0f} ms")
        self._view_changed()

    def _view_changed(self) -> None:
        self.zoom_label.setText(self.canvas.zoom_text())
        if self.canvas.needs_detail:
            self.detail_timer.start()
        else:
            self.pipeline.drop_detail()

    def _request_detail(self) -> None:
        if self.canvas.needs_detail:
            self.pipeline.request_detail(self.canvas.visible_rows())

    def set_compare(self, on: bool) -> None:
        self.compare_action.setChecked(on)
        self.canvas.set_compare(on)

    def set_show_before(self, on: bool) -> None:
        """The whole view shows the original (\\ toggles it; held, it shows while held)."""
        self.before_action.setChecked(on)
        self.canvas.set_show_before(on and self.canvas.after is not None)

    def toggle_zoom(self) -> None:
        """Z: the whole photo, or 100 % (at the pointer when it is over the photo)."""
        if self.canvas.after is None:
            return
        if not self.canvas.fit_mode:
            self.canvas.fit()
            return
        pointer = self.canvas.mapFromGlobal(QCursor.pos()).toPointF()
        self.canvas.set_zoom(1.0, pointer if self.canvas.rect().contains(pointer.toPoint()) else None)

    def set_panels_hidden(self, hidden: bool) -> None:
        """Tab: hide the side panels (and bring back the ones that were open)."""
        docks = (
            self.layers_dock,
            self.history_dock,
            self.inspector_dock,
            self.histogram_dock,
            self.chat_dock,
            self.shoot.dock,
        )
        if hidden:
            self._hidden_docks = [dock for dock in docks if dock.isVisible()]
            for dock in self._hidden_docks:
                dock.hide()
        else:
            for dock in self._hidden_docks or docks:
                dock.show()
            self._hidden_docks = []
        self.panels_action.setChecked(hidden)

    def set_full_screen(self, on: bool) -> None:
        state = self.windowState()
        self.setWindowState(state | Qt.WindowState.WindowFullScreen if on else state & ~Qt.WindowState.WindowFullScreen)
        self.full_screen_action.setChecked(on)

    def _clipping_toggled(self, on: bool) -> None:
        self.clipping_action.setChecked(on)
        self.pipeline.show_clipping = on
        self.pipeline.request()

    # --- editing -----------------------------------------------------------------------------

    def undo(self) -> None:
        if self.document is not None and not self.assistant_controller.busy:
            self.inspector.gesture.end()
            self.document.history.undo()

    def redo(self) -> None:
        if self.document is not None and not self.assistant_controller.busy:
            self.inspector.gesture.end()
            self.document.history.redo()

    def reset_all(self) -> None:
        if self.document is not None and self.document.graph.nodes and not self.assistant_controller.busy:
            self.document.apply(ReplaceGraph([], text="Reset all"))

    # --- saving, autosave, quitting ------------------------------------------------------------

    def save(self) -> bool:
        if self.document is None:
            return False
        try:
            try:
                path = self.document.save()
            except ProjectChanged as error:
                if not self.ask_overwrite(str(error)):
                    return False
                path = self.document.save(overwrite=True)
        except (OSError, ProjectError) as error:
            self.show_message("Cannot save", f"Your edits could not be saved: {error}")
            return False
        self.autosave_timer.stop()
        self.statusBar().showMessage(f"Edits saved to {path}", 5000)
        self._update_title()
        return True

    def _autosave(self) -> None:
        doc = self.document
        if doc is None or not doc.dirty:
            return
        if self.assistant_controller.busy or self._autosaving:
            self.autosave_timer.start()
            return
        self._autosaving = True
        task = Task(lambda _task: doc.autosave())
        task.done.connect(self._autosaved)
        task.failed.connect(lambda error: self._autosaved(None, error))
        task.start(self.work_pool)

    def _autosaved(self, _path, error: Exception | None = None) -> None:
        self._autosaving = False
        if error is not None:
            self.statusBar().showMessage(f"Autosave failed: {error}", 8000)

    def keep_work(self) -> bool:
        """Before the document goes away: save, discard or cancel when it has unsaved changes."""
        doc = self.document
        if doc is None or not doc.dirty:
            return True
        answer = self.ask_unsaved(doc)
        if answer == "save":
            return self.save()
        if answer == "discard":
            self.autosave_timer.stop()
            doc.discard_changes()
            return True
        return False

    def closeEvent(self, event) -> None:
        self.assistant_controller.stop()
        if not self.shoot.end_batches() or not self.keep_work():
            event.ignore()
            return
        self.assistant_controller.end_warm_up()
        self.settings.save_window(self)
        self.settings.sync()
        self.autosave_timer.stop()
        self.detail_timer.stop()
        self.pipeline.cancel_all()
        app = QApplication.instance()
        assert app is not None, "the application outlives its window"
        app.removeEventFilter(self)
        self.library.close()
        self.shoot.close()
        for pool in (self.assistant_controller.pool, self.work_pool, self.render_pool):
            pool.waitForDone(10000)
        event.accept()

    # --- questions and messages (tests replace ask_* with canned answers) ---------------------

    def ask_unsaved(self, doc: Document) -> str:
        """'save', 'discard' or 'cancel'."""
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            APP_TITLE,
            f"Save your edits to {doc.path.name}?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setInformativeText("The edits are saved beside the photo; the photo itself is never changed.")
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = box.exec()
        return {QMessageBox.StandardButton.Save: "save", QMessageBox.StandardButton.Discard: "discard"}.get(
            QMessageBox.StandardButton(answer), "cancel"
        )

    def ask_stop_batch(self, running: int) -> bool:
        """Whether to stop the running batch export(s) and quit."""
        what = "A batch export is" if running == 1 else f"{running} batch exports are"
        box = QMessageBox(
            QMessageBox.Icon.Question,
            APP_TITLE,
            f"{what} still running. Stop and quit?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setInformativeText("The photos already written stay; the others are not exported.")
        box.setDefaultButton(QMessageBox.StandardButton.No)
        return QMessageBox.StandardButton(box.exec()) == QMessageBox.StandardButton.Yes

    def ask_overwrite(self, why: str) -> bool:
        """Whether to save over a project someone else changed since it was opened."""
        box = QMessageBox(QMessageBox.Icon.Warning, APP_TITLE, "Replace the changes made elsewhere?", parent=self)
        box.setInformativeText(
            f"{why}. Replace them with the edits in this window, or cancel and keep them "
            "(reopen the photo to see them)."
        )
        replace = box.addButton("Replace", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is replace

    def ask_restore(self, doc: Document) -> bool:
        recovery = doc.recovery_file()
        assert recovery is not None, "asked only when the photo has an autosave"
        when = time.strftime("%d %b %Y %H:%M", time.localtime(recovery.stat().st_mtime))
        box = QMessageBox(
            QMessageBox.Icon.Question, APP_TITLE, f"Restore the unsaved edits to {doc.path.name}?", parent=self
        )
        box.setInformativeText(f"IEA Desktop closed before they were saved (last change {when}).")
        restore = box.addButton("Restore", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(restore)
        box.exec()
        return box.clickedButton() is restore

    def show_message(self, title: str, text: str, icon=QMessageBox.Icon.Warning) -> QMessageBox:
        """A window-modal message (a problem, by default) that does not block the event loop."""
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _result: self._message_closed(box))
        box.open()
        self.message_box = box
        return box

    def _message_closed(self, box: QMessageBox) -> None:
        if self.message_box is box:
            self.message_box = None

    def shortcut_rows(self) -> list[tuple[str, str]]:
        """(what, keys) for every action of the window that has a key, then the mouse and held keys."""
        rows = []
        for action in self.actions() + self.canvas.actions():  # the canvas's: the library's arrow keys
            keys = " or ".join(
                filter(None, (k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()))
            )
            if keys:
                rows.append((re.sub("&(.)", r"\1", action.text()), keys))  # without the menus' & marks
        return rows + list(GESTURES)

    def show_shortcuts(self) -> None:
        """Help > Keyboard Shortcuts: made from the actions that exist, so it lists what works."""
        dialog = QDialog(self)
        dialog.setWindowTitle("Keyboard shortcuts")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        rows = self.shortcut_rows()
        table = QTableWidget(len(rows), 2, dialog)
        table.setHorizontalHeaderLabels(["What", "Keys"])
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        for row, (what, keys) in enumerate(rows):
            table.setItem(row, 0, QTableWidgetItem(what))
            table.setItem(row, 1, QTableWidgetItem(keys))
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        table.resizeColumnToContents(1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, dialog)
        buttons.rejected.connect(dialog.reject)
        layout = QVBoxLayout(dialog)
        layout.addWidget(table)
        layout.addWidget(buttons)
        dialog.resize(560, 620)
        dialog.open()
        self.shortcuts_dialog = dialog

    def show_about(self) -> None:
        from .. import __version__

        self.show_message(
            f"About {APP_TITLE}",
            f"{APP_TITLE} {__version__}\nA photo editor with an offline assistant. Your originals are never changed.",
            icon=QMessageBox.Icon.Information,
        )

    # --- export ------------------------------------------------------------------------------

    def export(self) -> None:
        """File > Export…: the open photo, or, with several photos selected, all of them (batch)."""
        if self.assistant_controller.busy:
            return
        photos = self.shoot.batch_export_photos()
        if photos:
            dialog = self.shoot.export_batch(photos)
            if dialog is not None:
                dialog.finished.connect(lambda _result: setattr(self, "export_dialog", None))
                self.export_dialog = dialog
            return
        if self.document is None:
            return
        dialog = ExportDialog(self.document, self.work_pool, self.settings, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.exported.connect(self._exported)
        dialog.finished.connect(lambda _result: setattr(self, "export_dialog", None))
        dialog.open()
        self.export_dialog = dialog

    def _exported(self, path: Path) -> None:
        self.settings.set_value("dirs/export", str(path.parent))
        self.statusBar().showMessage(f"Exported {path}", 8000)

    # --- window state ------------------------------------------------------------------------

    def _set_busy(self, text: str | None) -> None:
        self.busy_bar.setVisible(text is not None)
        if text:
            self.statusBar().showMessage(text)
        else:
            self.statusBar().clearMessage()

    def _update_title(self) -> None:
        doc = self.document
        if doc is None:
            self.setWindowTitle(APP_TITLE)
            self.setWindowModified(False)
            return
        self.setWindowTitle(f"{doc.path.name}[*] — {APP_TITLE}")
        self.setWindowModified(doc.dirty)

    def _update_actions(self) -> None:
        doc = self.document
        idle = not self.assistant_controller.busy
        has_doc = doc is not None
        self.open_action.setEnabled(idle)
        self.save_action.setEnabled(has_doc and idle)
        self.export_action.setEnabled((has_doc or bool(self.shoot.batch_export_photos())) and idle)
        self.undo_action.setEnabled(doc is not None and idle and doc.history.can_undo)
        self.redo_action.setEnabled(doc is not None and idle and doc.history.can_redo)
        self.reset_action.setEnabled(doc is not None and idle and bool(doc.graph.nodes))
        for action in (
            self.fit_action,
            self.actual_action,
            self.zoom_in_action,
            self.zoom_out_action,
            self.zoom_toggle_action,
            self.compare_action,
            self.before_action,
            self.clipping_action,
        ):
            action.setEnabled(has_doc)
        self.crop_action.setEnabled(has_doc and idle)
        self.level_action.setEnabled(has_doc and idle)
        self.crop_apply_action.setEnabled(self.canvas.crop_tool.active)  # Enter and Esc are free otherwise
        self.crop_cancel_action.setEnabled(self.canvas.crop_tool.active)
        if doc is not None:
            undo = doc.history.labels()[doc.history.position - 1] if doc.history.can_undo else ""
            redo = doc.history.labels()[doc.history.position] if doc.history.can_redo else ""
            self.undo_action.setText(f"&Undo {undo}".strip())
            self.redo_action.setText(f"&Redo {redo}".strip())
            self.undo_action.setIconText("Undo")
            self.redo_action.setIconText("Redo")
        self.shoot.update_actions(idle)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = self.settings.recent_files()
        for file, label in zip(files, recent_labels(files)):
            self.recent_menu.addAction(label, partial(self.open_photo, file)).setToolTip(file)
        if files:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear List", self._clear_recent)
        else:
            self.recent_menu.addAction("No recent photos").setEnabled(False)

    def _clear_recent(self) -> None:
        self.settings.clear_recent()
        self.empty.set_recent([])

    # --- drag and drop, held keys ------------------------------------------------------------

    @staticmethod
    def _dropped_file(event) -> str | None:
        for url in event.mimeData().urls() if event.mimeData().hasUrls() else []:
            if url.isLocalFile():
                return url.toLocalFile()
        return None

    def dragEnterEvent(self, event) -> None:
        if self._dropped_file(event):
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:
        if self._dropped_file(event):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        path = self._dropped_file(event)
        if path:
            event.acceptProposedAction()
            QTimer.singleShot(0, lambda: self.open_photo(path))

    def eventFilter(self, obj, event) -> bool:
        """Keys that are not plain shortcuts: while typing (the chat, a spin box, an editable list)
        keys without Ctrl/Alt go to the widget, not to a shortcut such as R, Z, F, Tab or Enter;
        backslash toggles the original or, held, shows it while held; Space pans with a drag."""
        kind = event.type()
        if (
            kind in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress, QEvent.Type.KeyRelease)
            and isinstance(obj, QWidget)
            and obj.window() is self
        ):
            key = event.key()
            typing = isinstance(obj, (QLineEdit, QPlainTextEdit, QTextEdit, QAbstractSpinBox)) or (
                isinstance(obj, QComboBox) and obj.isEditable()
            )
            if kind == QEvent.Type.ShortcutOverride:
                plain = not event.modifiers() & (
                    Qt.KeyboardModifier.ControlModifier
                    | Qt.KeyboardModifier.AltModifier
                    | Qt.KeyboardModifier.MetaModifier
                )
                if (typing and plain) or key == Qt.Key.Key_Backslash:
                    event.accept()  # the key goes to the widget (or to the backslash handling below)
                return False
            if key == Qt.Key.Key_Backslash and not typing and self.canvas.after is not None:
                self._backslash(kind == QEvent.Type.KeyPress, event.isAutoRepeat())
                return True
            if key == Qt.Key.Key_Space and obj is self.canvas:
                if not event.isAutoRepeat():
                    self.canvas.set_space_held(kind == QEvent.Type.KeyPress)
                return True
        return super().eventFilter(obj, event)

    def _backslash(self, pressed: bool, repeat: bool) -> None:
        """A tap of \\ toggles the original; holding it (key repeat, or longer than HOLD_SECONDS)
        shows the original only until it is let go."""
        if pressed and not repeat:
            self._before_pressed = (time.monotonic(), self.canvas.show_before, False)
            self.set_show_before(not self.canvas.show_before)
        elif pressed and self._before_pressed is not None:
            self._before_pressed = self._before_pressed[:2] + (True,)
        elif not pressed and not repeat and self._before_pressed is not None:
            since, shown, repeated = self._before_pressed
            self._before_pressed = None
            if repeated or time.monotonic() - since >= HOLD_SECONDS:
                self.set_show_before(shown)
