"""The library: a folder's photos as a grid of thumbnails (the centre page) and a filmstrip under
the canvas, both views of one item model.

``LibraryModel`` lists the folder (``core.library``: sorted, filtered, with each photo's marks) and
asks for a thumbnail only when a view paints its row; ``ThumbnailLoader`` makes them on threads of
its own, newest request first (the rows on screen now), from the disk cache (``core.thumbnails``).
``LibraryController`` binds it to the window: File > Open Folder…, the grid / single-photo
toggle (G), the filmstrip dock, the arrow keys and clicks that switch photos (the photo being left
is saved first, so each keeps its own project), and the marks (``0``-``5`` stars, ``P`` pick, ``X``
reject, ``U`` unflag) written to the projects.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import replace
from functools import partial
from pathlib import Path

from PySide6.QtCore import (
    QAbstractListModel,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QRunnable,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListView,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QVBoxLayout,
    QWidget,
)

from ..core import library, project
from ..core.document import Document
from ..core.image_io import ImageLoadError
from ..core.library import Filter, PhotoEntry
from ..core.project import FLAGS, MAX_RATING, ProjectError
from ..core.thumbnails import ThumbnailCache
from . import theme
from .settings import recent_labels
from .workers import Task, make_pool

log = logging.getLogger(__name__)

RECENT_FOLDERS = "recent_folders"  # the settings key
MAX_IMAGES = 1200  # thumbnails kept in memory (about 200 KB each): a few screens' worth, both ways
MAX_PENDING = 256  # requests kept waiting; older ones (rows scrolled past) are dropped, asked again if seen
PREFETCH_WAIT = 30.0  # seconds a switch waits for the photo being opened ahead rather than opening it twice
THUMBNAIL_NICE = 10  # how far thumbnail threads step back (Linux "nice", 0-19)
GRID_CELL = QSize(176, 196)
STRIP_CELL = QSize(112, 88)
FILTERS = {  # the filter box's choices
    "All photos": Filter(),
    "Edited": Filter(edited=True),
    "Picked": Filter(flag="picked"),
    "Rejected": Filter(flag="rejected"),
    "Unflagged": Filter(flag="none"),
}
FLAG_KEYS = {"P": "picked", "X": "rejected", "U": "none"}


def stars(rating: int) -> str:
    return "★" * rating + "☆" * (MAX_RATING - rating)


def to_qimage(pixels) -> QImage:
    """uint8 RGB pixels as a QImage of its own (safe to make on a worker thread)."""
    height, width = pixels.shape[:2]
    return QImage(pixels.tobytes(), width, height, 3 * width, QImage.Format.Format_RGB888).copy()


# --- thumbnails in the background ---------------------------------------------------------------


class ThumbnailLoader(QObject):
    """Makes thumbnails on a pool of its own, the newest request first. Results arrive on the GUI
    thread as signals, tagged with the generation they were asked in (``clear`` starts a new one,
    so a folder left behind never paints into the next)."""

    ready = Signal(object, object, bool, int)  # path, QImage, edited, generation
    failed = Signal(object, str, int)  # path, one-line message, generation

    def __init__(self, cache: ThumbnailCache, threads: int = 2, parent: QObject | None = None):
        super().__init__(parent)
        self.cache = cache
        self.pool = make_pool(threads)
        self._threads = threads
        self._pending: OrderedDict[Path, Path | None] = OrderedDict()  # path -> its project; newest last
        self._lock = threading.Lock()
        self._running = 0
        self.generation = 0

    def request(self, path: Path, project_file: Path | None) -> list[Path]:
        """Ask for a thumbnail (again: it moves to the front); returns the requests dropped to
        keep at most MAX_PENDING waiting."""
        dropped = []
        with self._lock:
            self._pending.pop(path, None)
            self._pending[path] = project_file
            while len(self._pending) > MAX_PENDING:
                dropped.append(self._pending.popitem(last=False)[0])
            start = self._running < self._threads
            if start:
                self._running += 1
        if start:
            self.pool.start(_Drain(self))
        return dropped

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()
            self.generation += 1

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def drain(self) -> None:  # a worker thread
        _lower_priority()
        while True:
            with self._lock:
                if not self._pending:
                    self._running -= 1
                    return
                path, project_file = self._pending.popitem(last=True)
                generation = self.generation
            try:
                thumb = self.cache.thumbnail(path, project_file)
                self._emit(self.ready, path, to_qimage(thumb.pixels), thumb.edited, generation)
            except ImageLoadError as error:
                self._emit(self.failed, path, str(error), generation)
            except Exception as error:  # noqa: BLE001 (one photo's thumbnail must not stop the others)
                log.exception("thumbnail of %s", path)
                self._emit(self.failed, path, f"{path.name}: {error}", generation)

    @staticmethod
    def _emit(signal, *args) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:  # the window is closing and the receiver is gone
            pass


def _lower_priority() -> None:
    """Thumbnails give way to the photo being opened and rendered (the window's workers): this
    thread runs at a lower priority, where the OS allows one thread's (Linux: nice per thread)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), THUMBNAIL_NICE)
    except (AttributeError, OSError):
        pass


class _Drain(QRunnable):
    def __init__(self, loader: ThumbnailLoader):
        super().__init__()
        self.loader = loader
        self.setAutoDelete(True)

    def run(self) -> None:
        self.loader.drain()


# --- the model ----------------------------------------------------------------------------------


class LibraryModel(QAbstractListModel):
    """The folder's photos as rows (sorted and filtered); thumbnails asked for when painted."""

    PATH_ROLE = Qt.ItemDataRole.UserRole + 1
    ENTRY_ROLE = Qt.ItemDataRole.UserRole + 2
    ERROR_ROLE = Qt.ItemDataRole.UserRole + 3  # why the thumbnail could not be made
    OPEN_ROLE = Qt.ItemDataRole.UserRole + 4  # the photo open in the window

    def __init__(self, loader: ThumbnailLoader, parent: QObject | None = None):
        super().__init__(parent)
        self.loader = loader
        self.entries: list[PhotoEntry] = []  # the folder, as scanned
        self.rows: list[PhotoEntry] = []  # what shows
        self.sort_by = "name"
        self.rule = Filter()
        self.taken: dict[Path, float] = {}  # dates taken, once read (the "date" sort)
        self.open_path: Path | None = None
        self._row_of: dict[Path, int] = {}
        self._images: OrderedDict[Path, QImage] = OrderedDict()
        self._errors: dict[Path, str] = {}
        self._asked: set[Path] = set()
        loader.ready.connect(self._ready)
        loader.failed.connect(self._failed)

    # --- contents ---------------------------------------------------------------------------

    def set_entries(self, entries: list[PhotoEntry]) -> None:
        """A newly opened folder: everything about the last one is forgotten."""
        self.loader.clear()
        self._images.clear()
        self._errors.clear()
        self._asked.clear()
        self.taken = {}
        self.entries = list(entries)
        self._apply()

    def set_view(self, sort_by: str | None = None, rule: Filter | None = None) -> None:
        self.sort_by = sort_by or self.sort_by
        self.rule = rule or self.rule
        self._apply()

    def _apply(self) -> None:
        self.beginResetModel()
        self.rows = [e for e in library.sort(self.entries, self.sort_by, self.taken) if self.rule.matches(e)]
        self._row_of = {e.path: row for row, e in enumerate(self.rows)}
        self.endResetModel()

    def update_entry(self, entry: PhotoEntry) -> None:
        """A photo's project changed (saved, marked): its row shows it, its thumbnail is made again
        (the cache knows the new version), and it leaves the view when the filter no longer takes it."""
        self.entries = [entry if e.path == entry.path else e for e in self.entries]
        self._images.pop(entry.path, None)
        self._errors.pop(entry.path, None)
        row = self._row_of.get(entry.path)
        if row is None:
            return
        if not self.rule.matches(entry) or self.sort_by == "edited":
            self._apply()
            return
        self.rows[row] = entry
        self.dataChanged.emit(self.index(row), self.index(row))

    def set_open_path(self, path: Path | None) -> None:
        for old in (self.open_path, path):
            row = self._row_of.get(old) if old is not None else None
            if row is not None:
                self.open_path = path
                self.dataChanged.emit(self.index(row), self.index(row), [self.OPEN_ROLE])
        self.open_path = path

    def row_of(self, path: Path) -> int | None:
        return self._row_of.get(Path(path))

    def entry(self, row: int) -> PhotoEntry:
        return self.rows[row]

    # --- Qt's model ---------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008 (Qt's)
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        entry = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return entry.name
        if role == Qt.ItemDataRole.DecorationRole:
            return self._thumbnail(entry)
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [
                entry.name,
                stars(entry.marks.rating) + ("" if entry.marks.flag == "none" else f" · {entry.marks.flag}"),
            ]
            lines += ["Edited"] if entry.edited else []
            lines += [text for text in (entry.problem, self._errors.get(entry.path)) if text]
            return "\n".join(lines)
        if role == self.PATH_ROLE:
            return entry.path
        if role == self.ENTRY_ROLE:
            return entry
        if role == self.ERROR_ROLE:
            return self._errors.get(entry.path)
        if role == self.OPEN_ROLE:
            return entry.path == self.open_path
        return None

    def _thumbnail(self, entry: PhotoEntry) -> QImage | None:
        """The thumbnail if made; else asked for (once, until it arrives or is dropped) and None."""
        image = self._images.get(entry.path)
        if image is not None:
            self._images.move_to_end(entry.path)
            return image
        if entry.path not in self._asked and entry.path not in self._errors:
            self._asked.add(entry.path)
            for dropped in self.loader.request(entry.path, entry.project_file):
                self._asked.discard(dropped)
        return None

    def _ready(self, path: Path, image: QImage, _edited: bool, generation: int) -> None:
        if generation != self.loader.generation:
            return
        self._asked.discard(path)
        self._images[path] = image
        while len(self._images) > MAX_IMAGES:
            self._images.popitem(last=False)
        self._changed(path)

    def _failed(self, path: Path, message: str, generation: int) -> None:
        if generation != self.loader.generation:
            return
        self._asked.discard(path)
        self._errors[path] = message
        self._changed(path)

    def _changed(self, path: Path) -> None:
        row = self._row_of.get(path)
        if row is not None:
            self.dataChanged.emit(self.index(row), self.index(row), [Qt.ItemDataRole.DecorationRole])

    def has_thumbnail(self, row: int) -> bool:
        """Whether the row's thumbnail (or its error) is here (tests, the benchmark)."""
        path = self.rows[row].path
        return path in self._images or path in self._errors


# --- painting -----------------------------------------------------------------------------------


class ThumbnailDelegate(QStyledItemDelegate):
    """A cell: the thumbnail fitted in, the flag and an edited mark on it, and (``captions``) the
    name and the stars under it. A rejected photo shows dimmed."""

    def __init__(self, cell: QSize, captions: bool, parent: QObject | None = None):
        super().__init__(parent)
        self.cell = cell
        self.captions = captions

    def sizeHint(self, option, index) -> QSize:
        return self.cell

    def paint(self, painter: QPainter, option, index: QModelIndex | QPersistentModelIndex) -> None:
        entry: PhotoEntry = index.data(LibraryModel.ENTRY_ROLE)
        if entry is None:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        cell = option.rect.adjusted(3, 3, -3, -3)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#33507a" if selected else theme.PANEL))
        painter.drawRoundedRect(cell, 4, 4)
        caption = 34 if self.captions else 0
        area = cell.adjusted(6, 6, -6, -6 - caption)
        image = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(image, QImage) and not image.isNull():
            size = image.size().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(0, 0, size.width(), size.height())
            target.moveCenter(area.center())
            painter.setOpacity(0.35 if entry.marks.flag == "rejected" else 1.0)
            painter.drawImage(target, image)
            painter.setOpacity(1.0)
        else:
            error = index.data(LibraryModel.ERROR_ROLE)
            painter.setPen(QColor(theme.ERROR if error else theme.DIM_TEXT))
            painter.drawText(area, Qt.AlignmentFlag.AlignCenter, "Cannot read" if error else "…")
        if index.data(LibraryModel.OPEN_ROLE):
            painter.setPen(QPen(QColor(theme.ACCENT), 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(cell.adjusted(1, 1, -1, -1), 4, 4)
        self._badges(painter, area, entry)
        if self.captions:
            self._caption(painter, option, cell, caption, entry)
        elif entry.marks.rating:  # the filmstrip: the stars on the picture
            band = QRect(area.left(), area.bottom() - 14, area.width(), 15)
            painter.fillRect(band, QColor(0, 0, 0, 140))
            painter.setPen(QColor(theme.WARNING))
            painter.drawText(band, Qt.AlignmentFlag.AlignCenter, "★" * entry.marks.rating)
        painter.restore()

    @staticmethod
    def _badges(painter: QPainter, area: QRect, entry: PhotoEntry) -> None:
        font = QFont(painter.font())
        font.setBold(True)
        painter.setFont(font)
        if entry.marks.flag != "none":
            badge = QRect(area.left() + 2, area.top() + 2, 18, 18)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(0, 0, 0, 150))
            painter.drawRoundedRect(badge, 3, 3)
            painter.setPen(QColor("white" if entry.marks.flag == "picked" else theme.ERROR))
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, "⚑" if entry.marks.flag == "picked" else "✕")
        if entry.edited:
            dot = QRect(area.right() - 12, area.top() + 4, 8, 8)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(theme.ACCENT))
            painter.drawEllipse(dot)

    @staticmethod
    def _caption(painter: QPainter, option, cell: QRect, height: int, entry: PhotoEntry) -> None:
        font = QFont(option.font)
        painter.setFont(font)
        lines = QRect(cell.left() + 6, cell.bottom() - height, cell.width() - 12, height - 4)
        name = option.fontMetrics.elidedText(entry.name, Qt.TextElideMode.ElideMiddle, lines.width())
        painter.setPen(QColor(theme.TEXT))
        painter.drawText(lines, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, name)
        painter.setPen(QColor(theme.WARNING if entry.marks.rating else theme.DIM_TEXT))
        painter.drawText(lines, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom, stars(entry.marks.rating))


def make_view(model: LibraryModel, grid: bool) -> QListView:
    """The grid (wrapping rows, several selectable) or the filmstrip (one row that scrolls)."""
    view = QListView()
    view.setModel(model)
    view.setUniformItemSizes(True)  # Qt sizes one item and lays out thousands at once
    view.setMovement(QListView.Movement.Static)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    view.setStyleSheet(f"QListView {{ background: {theme.BASE}; border: none; outline: none; }}")
    if grid:
        view.setViewMode(QListView.ViewMode.IconMode)
        view.setResizeMode(QListView.ResizeMode.Adjust)
        view.setGridSize(GRID_CELL)
        view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        view.setItemDelegate(ThumbnailDelegate(GRID_CELL, captions=True, parent=view))
    else:
        view.setViewMode(QListView.ViewMode.ListMode)
        view.setFlow(QListView.Flow.LeftToRight)
        view.setWrapping(False)
        view.setSelectionMode(
            QAbstractItemView.SelectionMode.ExtendedSelection
        )  # Ctrl/Shift+click: several, to paste onto
        view.setItemDelegate(ThumbnailDelegate(STRIP_CELL, captions=False, parent=view))
        view.setFixedHeight(STRIP_CELL.height() + view.horizontalScrollBar().sizeHint().height() + 6)
    return view


class LibraryPage(QWidget):
    """The grid page: the folder's name, sort and filters above the grid."""

    def __init__(self, model: LibraryModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.title = QLabel()
        self.title.setObjectName("title")
        self.count = QLabel()
        self.count.setObjectName("dim")
        self.sort = QComboBox()
        for key, label in library.SORTS.items():
            self.sort.addItem(f"Sort: {label}", key)
        self.filter = QComboBox()
        self.filter.addItems(list(FILTERS))
        self.rating = QComboBox()
        self.rating.addItem("Any rating", 0)
        for n in range(1, MAX_RATING + 1):
            self.rating.addItem(f"{stars(n)} and up" if n < MAX_RATING else stars(n), n)
        controls = QHBoxLayout()
        controls.setContentsMargins(10, 6, 10, 6)
        controls.addWidget(self.title)
        controls.addSpacing(8)
        controls.addWidget(self.count)
        controls.addStretch(1)
        for box in (self.sort, self.filter, self.rating):
            controls.addWidget(box)
        self.view = make_view(model, grid=True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(controls)
        layout.addWidget(self.view, 1)

    def chosen_filter(self) -> Filter:
        return replace(FILTERS[self.filter.currentText()], min_rating=self.rating.currentData())


# --- the window's side --------------------------------------------------------------------------


def _files_state(photo: Path) -> tuple:
    """What would make a document opened earlier out of date: the photo's and its project's versions."""
    try:
        status = photo.stat()
    except OSError:
        return ()
    found = project.find_project(photo)
    return status.st_size, status.st_mtime_ns, found, project.signature(found) if found else None


def _write_marks(path: Path, rating: int | None, flag: str | None, _task: Task) -> PhotoEntry:
    """A worker's job: write a photo's marks to its project, and read its entry back."""
    library.set_marks(path, rating, flag)
    return library.read_entry(path)


class LibraryController(QObject):
    """The library in the main window (``window``: a MainWindow; this uses its canvas, centre
    stack, settings, document, save and open_photo)."""

    folder_opened = Signal(object)  # the folder, once scanned

    def __init__(self, window, cache: ThumbnailCache | None = None):
        super().__init__(window)
        self.window = window
        self.folder: Path | None = None
        self.loader = ThumbnailLoader(cache or ThumbnailCache(), 2, self)
        self.model = LibraryModel(self.loader, self)
        self.page = LibraryPage(self.model)
        self.grid = self.page.view
        self.filmstrip = make_view(self.model, grid=False)
        self.filmstrip.setSelectionModel(self.grid.selectionModel())  # one current photo, one selection
        self.selection = self.grid.selectionModel()
        self.pool = make_pool(1)  # folder scans and marks, off the GUI thread and away from the renders
        self.scan_task: Task | None = None
        self._syncing = False  # the window's document is being shown in the views: no switch
        self._wanted: Path | None = None  # where to go once the photo being opened is open (keys held down)
        self._direction = 1  # the way the person is going through the folder: the photo to open ahead
        self._prefetched: tuple[Path, Future] | None = None  # (photo, (its files' state, document) to come)
        self._prefetch_lock = threading.Lock()  # take_prefetched runs on the window's worker
        self._prefetched_after: Path | None = None  # the photo whose neighbour was opened ahead

        window.center.addWidget(self.page)
        self.dock = window._dock("Filmstrip", self.filmstrip, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.dock.hide()
        self.selection.currentChanged.connect(self._current_changed)
        self.grid.activated.connect(lambda index: self.set_grid(False))  # Enter or double-click: edit it
        self.page.sort.currentIndexChanged.connect(self._sort_changed)
        self.page.filter.currentIndexChanged.connect(self._filter_changed)
        self.page.rating.currentIndexChanged.connect(self._filter_changed)
        self.model.modelReset.connect(self._count_changed)
        window.pipeline.preview_ready.connect(self._preview_shown)
        self._build_actions()

    def _build_actions(self) -> None:
        a = self.window._action
        self.open_folder_action = a(
            "Open &Folder…", self.open_folder_dialog, ["Ctrl+Shift+O"], "Open a folder of photos in the library"
        )
        self.recent_menu: QMenu | None = None  # made by add_to_menus
        self.grid_action = a(
            "Library &Grid",
            self.set_grid,
            ["G"],
            "Switch between the grid of the folder's photos and one photo (G)",
            True,
        )
        self.next_action = a("&Next Photo", lambda: self.step(1), ["Right"], "The next photo of the folder (→)")
        self.previous_action = a("&Previous Photo", lambda: self.step(-1), ["Left"], "The previous photo (←)")
        for action in (self.next_action, self.previous_action):  # on the canvas only: elsewhere arrows move sliders
            self.window.removeAction(action)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.window.canvas.addAction(action)
        self.mark_actions = []
        for n in range(MAX_RATING + 1):
            self.mark_actions.append(a(f"Rate {stars(n)}", lambda _=False, n=n: self.mark(rating=n), [str(n)]))
        for key, flag in FLAG_KEYS.items():
            text = {"picked": "&Pick", "rejected": "Re&ject", "none": "&Unflag"}[flag]
            self.mark_actions.append(a(text, lambda _=False, f=flag: self.mark(flag=f), [key]))

    def add_to_menus(self, file_menu, view_menu, panels_menu) -> None:
        """File > Open Folder… and Open Recent Folder (before the first separator); View > Library
        Grid, the photo keys; Panels > Filmstrip."""
        separator = next((action for action in file_menu.actions() if action.isSeparator()), None)
        file_menu.insertAction(separator, self.open_folder_action)
        self.recent_menu = QMenu("Open Recent F&older", file_menu)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file_menu.insertMenu(separator, self.recent_menu)
        view_menu.addSeparator()
        view_menu.addAction(self.grid_action)
        view_menu.addAction(self.next_action)
        view_menu.addAction(self.previous_action)
        marks = view_menu.addMenu("&Mark Photo")
        for action in self.mark_actions:
            marks.addAction(action)
        panels_menu.addAction(self.dock.toggleViewAction())

    # --- opening a folder ---------------------------------------------------------------------

    def open_folder_dialog(self) -> None:
        start = self.window.settings.value("dirs/folder", self.window.settings.value("dirs/open", str(Path.home())))
        folder = QFileDialog.getExistingDirectory(self.window, "Open Folder", start)
        if folder:
            self.open_folder(folder)

    def open_folder(self, folder: str | Path) -> None:
        """List the folder in a worker; the grid shows it once listed."""
        folder = Path(folder)
        self.window.statusBar().showMessage(f"Opening {folder.name or folder}…")
        task = Task(lambda _task: library.scan(folder))
        task.done.connect(lambda entries: self._scanned(task, folder, entries))
        task.failed.connect(lambda error: self._scan_failed(task, folder, error))
        self.scan_task = task.start(self.pool)

    def _scanned(self, task: Task, folder: Path, entries: list[PhotoEntry]) -> None:
        if task is not self.scan_task:
            return
        self.scan_task = None
        self.folder = folder
        self.window.settings.add_recent(folder, RECENT_FOLDERS)
        self.window.settings.set_value("dirs/folder", str(folder))
        self.model.set_entries(entries)
        self.page.title.setText(folder.name or str(folder))
        self.dock.show()
        doc = self.window.document
        self._show_current(doc.path if doc is not None else None)
        if self.selection.currentIndex().row() < 0 and self.model.rowCount():
            self._syncing = True
            self.selection.setCurrentIndex(self.model.index(0), QItemSelectionModel.SelectionFlag.ClearAndSelect)
            self._syncing = False
        self.set_grid(True)
        self.window.statusBar().showMessage(f"{len(entries)} photos in {folder}", 5000)
        if self.model.sort_by == "date":
            self._read_dates()
        self.folder_opened.emit(folder)

    def _scan_failed(self, task: Task, folder: Path, error: Exception) -> None:
        if task is self.scan_task:
            self.scan_task = None
            self.window.statusBar().clearMessage()
            self.window.show_message("Cannot open folder", f"{folder}: {getattr(error, 'strerror', None) or error}")

    def _fill_recent(self) -> None:
        menu = self.recent_menu
        assert menu is not None, "add_to_menus made the menu that asks for its entries"
        menu.clear()
        folders = self.window.settings.recent_files(RECENT_FOLDERS)
        for folder, label in zip(folders, recent_labels(folders)):
            menu.addAction(label, partial(self.open_folder, folder)).setToolTip(folder)
        if folders:
            menu.addSeparator()
            menu.addAction("Clear List", lambda: self.window.settings.clear_recent(RECENT_FOLDERS))
        else:
            menu.addAction("No recent folders").setEnabled(False)

    # --- sort and filter ----------------------------------------------------------------------

    def _sort_changed(self) -> None:
        by = self.page.sort.currentData()
        if by == "date" and any(e.path not in self.model.taken for e in self.model.entries):
            self._read_dates()  # sorted once the dates are read
            return
        self._keep_current(lambda: self.model.set_view(sort_by=by))

    def _read_dates(self) -> None:
        entries = list(self.model.entries)
        self.window.statusBar().showMessage("Reading the dates the photos were taken…")

        def job(_task: Task) -> dict[Path, float]:
            return {e.path: library.date_taken(e.path) for e in entries}

        task = Task(job)
        task.done.connect(lambda taken: self._dates_read(entries, taken))
        task.start(self.pool)

    def _dates_read(self, entries: list[PhotoEntry], taken: dict[Path, float]) -> None:
        if entries != self.model.entries:
            return  # another folder since
        self.window.statusBar().clearMessage()
        self.model.taken.update(taken)
        if self.page.sort.currentData() == "date":
            self._keep_current(lambda: self.model.set_view(sort_by="date"))

    def _filter_changed(self) -> None:
        self._keep_current(lambda: self.model.set_view(rule=self.page.chosen_filter()))

    def _keep_current(self, change) -> None:
        """Re-sort or re-filter, keeping the current photo current (when it still shows)."""
        current = self.current_path()
        change()
        self._show_current(current)

    def _count_changed(self) -> None:
        shown, total = self.model.rowCount(), len(self.model.entries)
        self.page.count.setText(f"{shown} photos" if shown == total else f"{shown} of {total} photos")

    # --- which photo --------------------------------------------------------------------------

    def current_path(self) -> Path | None:
        index = self.selection.currentIndex()
        return index.data(LibraryModel.PATH_ROLE) if index.isValid() else None

    def _show_current(self, path: Path | None) -> None:
        """Make ``path`` the current row without opening it (it is open, or about to be)."""
        self.model.set_open_path(self.window.document.path if self.window.document is not None else None)
        row = self.model.row_of(path) if path is not None else None
        if row is None:
            return
        self._syncing = True
        index = self.model.index(row)
        keep = self.selection.isSelected(index)  # one of several selected (Ctrl+click): they stay selected
        self.selection.setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.NoUpdate if keep else QItemSelectionModel.SelectionFlag.ClearAndSelect,
        )
        self.filmstrip.scrollTo(index)
        self._syncing = False

    def document_installed(self, doc) -> None:
        """The window opened a photo (from the filmstrip or otherwise): the views follow, or, when
        another was asked for meanwhile (``switch_to``), that one opens next."""
        self.grid_action.setChecked(False)
        wanted, self._wanted = self._wanted, None
        if wanted is None or wanted == doc.path:
            self._show_current(doc.path)
            return
        self.model.set_open_path(doc.path)
        QTimer.singleShot(0, lambda: self.switch_to(wanted))

    def open_failed(self) -> None:
        """The window could not open the photo asked for (it says why): one asked for meanwhile
        (``switch_to``) opens next, so keys pressed past a damaged photo still get there."""
        wanted, self._wanted = self._wanted, None
        if wanted is not None:
            QTimer.singleShot(0, lambda: self.switch_to(wanted))

    def set_grid(self, on: bool) -> None:
        """G: the grid in the middle of the window, or the photo (the current one opened if it is another)."""
        if on and self.folder is None:
            on = False
            self.window.statusBar().showMessage("Open a folder first (File > Open Folder…)", 4000)
        self.grid_action.setChecked(on)
        window = self.window
        if on:
            window.center.setCurrentWidget(self.page)
            self.grid.setFocus()
            return
        path = self.current_path()
        doc = window.document
        if path is not None and (doc is None or doc.path != path):
            self.switch_to(path)
        window.center.setCurrentWidget(window.canvas if doc is not None or path is not None else window.empty)

    def step(self, delta: int) -> None:
        """← / →: the previous or next photo of the view."""
        count = self.model.rowCount()
        if not count:
            return
        self._direction = 1 if delta > 0 else -1
        row = self.selection.currentIndex().row()
        row = min(max(row + delta, 0), count - 1) if row >= 0 else 0
        self.selection.setCurrentIndex(self.model.index(row), QItemSelectionModel.SelectionFlag.ClearAndSelect)
        self.filmstrip.scrollTo(self.model.index(row))

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._syncing or not current.isValid() or self.grid_action.isChecked():
            return  # in the grid, moving around only selects; Enter opens
        path = current.data(LibraryModel.PATH_ROLE)
        doc = self.window.document
        if doc is None or doc.path != path:
            QTimer.singleShot(0, lambda: self.switch_to(path))  # after the view has handled the key or click

    def switch_to(self, path: Path) -> bool:
        """Leave the open photo (its edits saved to its own project) and open ``path``. While
        another photo is still opening, ``path`` waits until it is open (``document_installed``;
        the last one asked for wins), so a key held down never queues one decode per photo passed."""
        window = self.window
        doc = window.document
        if window.open_task is not None:
            self._wanted = path
            return True
        self._wanted = None
        if doc is not None and doc.path == path:
            return True
        if window.assistant_controller.busy:
            window.chat.add_notice("Wait for the assistant to finish (or press Stop) before opening another photo.")
            self._show_current(doc.path if doc is not None else None)
            return False
        if doc is not None and doc.dirty:
            if not window.save():
                self._show_current(doc.path)  # not saved: stay on it
                return False
            self._reread(doc.path)
        return window.open_photo(path)

    # --- the next photo, opened ahead ---------------------------------------------------------

    def _preview_shown(self, _result) -> None:
        """Once a photo of the folder shows, its neighbour (the way the person is going) is opened
        and decoded in the background, so that switching to it only renders it."""
        doc = self.window.document
        if doc is None or self.folder is None or doc.path == self._prefetched_after:
            return
        self._prefetched_after = doc.path
        row = self.model.row_of(doc.path)
        if row is None or not 0 <= row + self._direction < self.model.rowCount():
            return
        path = self.model.entry(row + self._direction).path
        future: Future = Future()

        def job(_task: Task) -> None:
            try:
                state = _files_state(path)
                ahead = Document.open(path)
                ahead.quick_preview()
                future.set_result((state, ahead))
            except Exception as error:  # noqa: BLE001 (the window's own open says what is wrong)
                future.set_exception(error)

        with self._prefetch_lock:
            self._prefetched = (path, future)
        Task(job).start(self.pool)

    def take_prefetched(self, path: Path) -> Document | None:
        """The document of ``path`` opened ahead (waiting for it if it is still being opened), if
        it was and neither the photo nor its project changed since; else None, and the window
        opens it. Called from the window's open worker."""
        with self._prefetch_lock:
            item, self._prefetched = self._prefetched, None
        if item is None or item[0] != Path(path):
            return None
        try:
            state, ahead = item[1].result(timeout=PREFETCH_WAIT)
        except Exception:  # noqa: BLE001 (failed or too slow: opened again, which says what is wrong)
            return None
        return ahead if _files_state(path) == state else None

    # --- marks --------------------------------------------------------------------------------

    def targets(self) -> list[Path]:
        """What a mark key applies to: the selected photos in the grid, else the open photo."""
        if self.grid_action.isChecked():
            return [index.data(LibraryModel.PATH_ROLE) for index in self.selection.selectedIndexes()]
        doc = self.window.document
        return [doc.path] if doc is not None else []

    def mark(self, rating: int | None = None, flag: str | None = None) -> None:
        """Stars (0-5) or a flag for ``targets()``, written to each photo's project."""
        assert flag is None or flag in FLAGS
        window = self.window
        doc = window.document
        what = (
            stars(rating)
            if rating is not None
            else {"picked": "Picked", "rejected": "Rejected"}.get(flag or "none", "Unflagged")
        )
        for path in self.targets():
            if doc is not None and doc.path == path:
                if window.assistant_controller.busy:
                    window.statusBar().showMessage("Wait for the assistant to finish before marking this photo.", 4000)
                    continue
                old = doc.marks
                doc.set_marks(replace(old, **{k: v for k, v in (("rating", rating), ("flag", flag)) if v is not None}))
                if window.save():  # its document writes its project: it knows the edits
                    self._reread(path)
                continue
            task = Task(partial(_write_marks, path, rating, flag))
            task.done.connect(self._entry_changed)
            task.failed.connect(lambda error, p=path: self._mark_failed(p, error))
            task.start(self.pool)
        window.statusBar().showMessage(what, 2000)

    def _entry_changed(self, entry: PhotoEntry) -> None:
        """A photo's project was written: its row follows (re-sorted or filtered out if it must),
        and the current photo stays current."""
        self._keep_current(lambda: self.model.update_entry(entry))

    def _mark_failed(self, path: Path, error: Exception) -> None:
        known = isinstance(error, (ProjectError, ImageLoadError, OSError, ValueError))
        self.window.show_message("Cannot mark photo", str(error) if known else f"{path.name}: {error!r}")

    def photos_changed(self, paths: list[Path]) -> None:
        """Projects written elsewhere (a paste, batch chat): their rows and thumbnails follow."""
        for path in paths:
            self._reread(path)

    def _reread(self, path: Path) -> None:
        """A photo's project was written: its row (marks, edited, thumbnail) follows."""
        if self.model.row_of(path) is None:
            return
        task = Task(lambda _task: library.read_entry(path))
        task.done.connect(self._entry_changed)
        task.start(self.pool)

    def close(self) -> None:
        """The window closes: nothing more is made, and the workers are waited for."""
        self.loader.clear()
        self.loader.pool.waitForDone(10000)
        self.pool.waitForDone(10000)
