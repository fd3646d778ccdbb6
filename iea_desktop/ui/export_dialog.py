"""The export dialog: format, quality, bit depth, size, destination and metadata, with progress.

Sizes are those of the file that will be written (after crop, rotate and straighten:
``Document.output_size``). It proposes a file name that does not exist yet and remembers the last
format and quality (``Settings``).

The full-resolution render and the file write run in a worker; Cancel stops the render between
adjustments. Problems (such as a destination that is the original photo) are shown in the
dialog, in words, and nothing is written.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..core.document import Document
from ..core.export import ExportError, ExportOptions, check_target, format_for, full_size_8_bit
from ..core.render import RenderCancelled
from .settings import Settings
from .workers import Task

FORMATS = (("JPEG", ".jpg"), ("PNG", ".png"), ("TIFF", ".tif"), ("WebP", ".webp"))
SUFFIX_FORMAT = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".tif": "TIFF", ".tiff": "TIFF", ".webp": "WebP"}


def free_name(path: Path) -> Path:
    """``path`` if no file is there yet, else the first free ``name-1.jpg``, ``name-2.jpg``, ..."""
    number = 0
    candidate = path
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
    return candidate


def default_target(document: Document, folder: str | None = None, suffix: str = ".jpg") -> Path:
    base = Path(folder) if folder and Path(folder).is_dir() else document.path.parent
    return free_name(base / f"{document.path.stem}-edited{suffix}")


def export_job(document: Document, target: Path, options: ExportOptions):
    """The worker's job: the full-resolution render (progress per adjustment) and the atomic write
    (Document.export: big JPEGs are encoded band by band while they render)."""

    def job(task: Task) -> Path:
        task.progress.emit(-1.0, "Reading the full-size photo…")
        if not full_size_8_bit(options):  # the float render (full-size 8-bit files decode as they go)
            document.full_source()
        total = max(len(document.graph.active_nodes()), 1)
        applied = 0

        def cancelled() -> bool:
            nonlocal applied
            if task.cancelled:
                return True
            applied += 1
            if applied == total:
                task.progress.emit(0.9, "Writing the file…")
            else:
                task.progress.emit(0.05 + 0.85 * (applied - 1) / total, f"Applying adjustments ({applied} of {total})…")
            return False

        return document.export(target, options, cancelled=cancelled)[0]

    return job


def _int(value, default: int) -> int:
    """A number read back from the settings file (QSettings may return it as text)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


class ExportDialog(QDialog):
    exported = Signal(object)  # the Path written

    def __init__(self, document: Document, pool, settings: Settings, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.setMinimumWidth(520)
        self.document = document
        self.settings = settings
        self._pool = pool
        self.task: Task | None = None
        self._folder = settings.value("dirs/export")
        fmt = str(settings.value("export/format", "JPEG"))
        suffix = dict(FORMATS).get(fmt, ".jpg")
        self._proposed = default_target(document, self._folder, suffix)  # replaced when the format changes

        self.path_edit = QLineEdit(str(self._proposed))
        self.path_edit.textChanged.connect(self._path_changed)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)

        self.format_box = QComboBox()
        for label, format_suffix in FORMATS:
            self.format_box.addItem(label, format_suffix)
        self.format_box.setCurrentText(fmt if fmt in dict(FORMATS) else "JPEG")
        self.format_box.currentIndexChanged.connect(self._format_changed)

        self.quality = QSlider(Qt.Horizontal)
        self.quality.setRange(1, 100)
        self.quality_value = QLabel()
        self.quality_value.setFixedWidth(28)
        self.quality.valueChanged.connect(lambda v: self.quality_value.setText(str(v)))
        self.quality.setValue(_int(settings.value("export/quality", 92), 92))
        self.quality_value.setText(str(self.quality.value()))
        quality_row = QHBoxLayout()
        quality_row.addWidget(self.quality, 1)
        quality_row.addWidget(self.quality_value)
        self.quality_widget = QWidget()
        self.quality_widget.setLayout(quality_row)
        quality_row.setContentsMargins(0, 0, 0, 0)

        self.depth_box = QComboBox()
        self.depth_box.addItem("8 bits per channel", 8)
        self.depth_box.addItem("16 bits per channel", 16)

        width, height = document.output_size()
        long_edge = max(width, height)
        self.size_box = QComboBox()
        self.size_box.addItem(f"Full size ({width} × {height})", None)
        self.size_box.addItem("Long edge…", "edge")
        self.edge_spin = QSpinBox()
        self.edge_spin.setRange(min(64, long_edge), long_edge)
        self.edge_spin.setValue(min(2048, long_edge))
        self.edge_spin.setSuffix(" px")
        self.size_box.currentIndexChanged.connect(self._size_changed)
        self.edge_spin.valueChanged.connect(self._size_changed)
        self.edge_spin.setEnabled(False)
        self.size_note = QLabel()  # the resized picture's width x height
        self.size_note.setObjectName("dim")
        self.size_note.hide()
        size_row = QHBoxLayout()
        size_row.setContentsMargins(0, 0, 0, 0)
        size_row.addWidget(self.size_box, 1)
        size_row.addWidget(self.edge_spin)
        size_row.addWidget(self.size_note)

        self.metadata = QCheckBox("Keep camera information (EXIF) and embed the sRGB colour profile")
        self.metadata.setChecked(True)

        form = QFormLayout()
        form.addRow("Save as", path_row)
        form.addRow("Format", self.format_box)
        form.addRow("Quality", self.quality_widget)
        form.addRow("Bit depth", self.depth_box)
        form.addRow("Size", size_row)
        form.addRow("", self.metadata)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setObjectName("error")
        self.message.hide()
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.stage = QLabel()
        self.stage.setObjectName("dim")
        self.stage.hide()
        self.export_button = QPushButton("Export")
        self.export_button.setObjectName("primary")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self._cancel)
        buttons = QHBoxLayout()
        buttons.addWidget(self.progress, 1)
        buttons.addStretch(0)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.stage)
        layout.addLayout(buttons)
        self._path_changed(self.path_edit.text())

    # --- fields ------------------------------------------------------------------------------

    def target(self) -> Path:
        return Path(self.path_edit.text().strip()).expanduser()

    def options(self) -> ExportOptions:
        return ExportOptions(
            format=self.format_box.currentText().upper(),
            quality=self.quality.value(),
            bit_depth=int(self.depth_box.currentData()),
            max_edge=self.edge_spin.value() if self.size_box.currentData() == "edge" else None,
            keep_metadata=self.metadata.isChecked(),
        )

    def _path_changed(self, text: str) -> None:
        fmt = SUFFIX_FORMAT.get(Path(text.strip()).suffix.lower())
        if fmt is not None and fmt != self.format_box.currentText():
            self.format_box.blockSignals(True)
            self.format_box.setCurrentText(fmt)
            self.format_box.blockSignals(False)
        self._update_fields()

    def _format_changed(self) -> None:
        path = self.target()
        suffix = self.format_box.currentData()
        if path.suffix.lower() not in [s for s, f in SUFFIX_FORMAT.items() if f == self.format_box.currentText()]:
            if path == self._proposed:  # still our proposal: propose a free name in the new format
                self._proposed = default_target(self.document, self._folder, suffix)
                path = self._proposed
            else:
                path = path.with_suffix(suffix)
            self.path_edit.blockSignals(True)
            self.path_edit.setText(str(path))
            self.path_edit.blockSignals(False)
        self._update_fields()

    def _size_changed(self) -> None:
        resized = self.size_box.currentData() == "edge"
        self.edge_spin.setEnabled(resized)
        if resized:
            width, height = self.document.output_size(self.edge_spin.value())
            self.size_note.setText(f"{width} × {height}")
        self.size_note.setVisible(resized)

    def _update_fields(self) -> None:
        fmt = self.format_box.currentText()
        self.quality_widget.setEnabled(fmt in ("JPEG", "WebP"))
        tiff = fmt == "TIFF"
        self.depth_box.model().item(1).setEnabled(tiff)
        if not tiff:
            self.depth_box.setCurrentIndex(0)
        self.message.hide()

    def _browse(self) -> None:
        filters = "JPEG (*.jpg *.jpeg);;PNG (*.png);;TIFF (*.tif *.tiff);;WebP (*.webp)"
        path, _ = QFileDialog.getSaveFileName(self, "Export as", str(self.target()), filters)
        if path:
            self.path_edit.setText(path)

    # --- running -----------------------------------------------------------------------------

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def start(self) -> None:
        target, options = self.target(), self.options()
        try:
            check_target(target, self.document.path)
            format_for(target, options)
            if not target.parent.is_dir():
                raise ExportError(f"{target.parent}: folder does not exist")
        except ExportError as error:
            self.show_message(str(error))
            return
        if target.exists() and not self.confirm_overwrite(target):
            return
        self.settings.set_value("export/format", self.format_box.currentText())
        self.settings.set_value("export/quality", self.quality.value())
        self.message.hide()
        self._set_running(True)
        task = Task(export_job(self.document, target, options))
        task.progress.connect(self._progress)
        task.done.connect(self._done)
        task.failed.connect(self._failed)
        self.task = task.start(self._pool)

    def confirm_overwrite(self, target: Path) -> bool:
        answer = QMessageBox.question(
            self,
            "Replace file?",
            f"{target.name} already exists. Replace it?",
            QMessageBox.Yes | QMessageBox.No,
            QMessageBox.No,
        )
        return answer == QMessageBox.Yes

    def _set_running(self, running: bool) -> None:
        for widget in (
            self.path_edit,
            self.format_box,
            self.quality_widget,
            self.depth_box,
            self.size_box,
            self.edge_spin,
            self.metadata,
            self.export_button,
        ):
            widget.setEnabled(not running)
        self.progress.setVisible(running)
        self.stage.setVisible(running)
        self.progress.setRange(0, 0)
        if not running:
            self._update_fields()
            self._size_changed()

    def _progress(self, fraction: float, text: str) -> None:
        if fraction < 0:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, 100)
            self.progress.setValue(int(100 * fraction))
        self.stage.setText(text)

    def _done(self, path: Path) -> None:
        self.task = None
        self._set_running(False)
        self.exported.emit(path)
        self.accept()

    def _failed(self, error: Exception) -> None:
        self.task = None
        self._set_running(False)
        if isinstance(error, RenderCancelled):
            self.show_message("Export cancelled. Nothing was written.")
        elif isinstance(error, ExportError):
            self.show_message(str(error))
        else:
            self.show_message(f"The export failed: {error}")

    def _cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
        else:
            self.reject()

    def reject(self) -> None:
        if self.task is not None:  # Esc or the close button while exporting: stop first
            self.task.cancel()
            return
        super().reject()
