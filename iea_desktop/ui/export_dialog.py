"""The export dialog: format, quality, bit depth, size, output sharpening, destination and
metadata, with progress.

Sizes are those of the file that will be written (after crop, rotate and straighten:
``Document.output_size``). It proposes a file name that does not exist yet and remembers the last
format and quality (``Settings``).

Given several ``photos`` (File > Export… with a selection), the same dialog exports them all
(``core.batch.export_photos``, in worker processes): a folder and a file-name template instead
of a file, a bar of the photos done, Cancel, and at the end a report naming every photo that
failed and why (one bad file never stops the others). Its settings are remembered as an export
preset (``batch.ExportPreset``).

The full-resolution render and the file write run in a worker; Cancel stops the render between
adjustments. Problems (such as a destination that is the original photo) are shown in the
dialog, in words, and nothing is written.
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItemModel
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
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..core import batch
from ..core.document import Document
from ..core.export import OUTPUT_SHARPENING, ExportError, ExportOptions, check_target, format_for, full_size_8_bit
from ..core.render import RenderCancelled
from .settings import Settings
from .workers import Task

FORMATS = (("JPEG", ".jpg"), ("PNG", ".png"), ("TIFF", ".tif"), ("WebP", ".webp"))
SHARPEN_LABELS = {"none": "None", "low": "Low", "standard": "Standard", "high": "High"}  # for screen
BATCH_KEY = "export/batch"  # the batch mode's export preset, remembered
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


def batch_job(photos: list[Path], folder: Path, preset: batch.ExportPreset, jobs: int | None = None):
    """The worker's job in batch mode: every photo exported (``batch.export_photos``), the bar
    following the photos done; Cancel stops handing out photos and stops the renders."""

    def job(task: Task) -> batch.BatchReport:
        def progress(step: batch.Progress) -> None:
            doing = "" if step.result is not None else f" · {step.photo.name}…"
            task.progress.emit(step.done / step.total, f"{step.done} of {step.total} exported{doing}")

        return batch.export_photos(
            photos, folder, preset, progress=progress, cancelled=lambda: task.cancelled, jobs=jobs
        )

    return job


def failure(result: batch.FileResult) -> str:
    """ "IMG_0002.jpg: why", without naming the photo twice (most errors start with its name)."""
    name = result.photo.name
    return result.error if result.error.startswith(name) else f"{name}: {result.error}"


def report_text(report: batch.BatchReport, folder: Path) -> str:
    """The end of a batch for a person: the count, then every photo that failed (and why) or was not done."""
    lines = [f"{report.summary()} into {folder}."]
    lines += [f"Failed: {failure(r)}" for r in report.failed]
    lines += [f"Note: {r.photo.name}: {note}" for r in report.results for note in r.notes]
    if report.cancelled:
        lines.append("Cancelled before: " + ", ".join(r.photo.name for r in report.cancelled))
    return "\n".join(lines)


def _int(value, default: int) -> int:
    """A number read back from the settings file (QSettings may return it as text)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


class ExportDialog(QDialog):
    exported = Signal(object)  # the Path written
    batch_done = Signal(object, object)  # batch mode: the folder, the BatchReport

    def __init__(
        self,
        document: Document | None,
        pool,
        settings: Settings,
        parent: QWidget | None = None,
        photos: list[Path] | None = None,
    ):
        super().__init__(parent)
        self.photos = [Path(p) for p in photos] if photos is not None else None  # batch mode
        self.setWindowTitle("Export" if self.photos is None else f"Export {len(self.photos)} Photos")
        self.setMinimumWidth(520)
        self.document = document
        self.settings = settings
        self._pool = pool
        self.task: Task | None = None
        self.jobs: int | None = None  # batch mode's worker processes (None: batch.default_jobs)
        self.report: batch.BatchReport | None = None
        self._folder = settings.value("dirs/export")
        saved = self._saved_preset() if self.photos is not None else None
        fmt = str(settings.value("export/format", "JPEG"))
        suffix = dict(FORMATS).get(fmt, ".jpg")
        self._proposed = default_target(self._photo, self._folder, suffix) if self.photos is None else None

        self.path_edit = QLineEdit(str(self._proposed or ""))  # replaced when the format changes
        self.path_edit.textChanged.connect(self._path_changed)
        batch_mode = self.photos is not None
        self.folder_edit = QLineEdit(str(self._batch_folder()) if batch_mode else "")  # batch mode: where
        self.template_edit = QLineEdit(saved.template if saved else "{name}-edited")  # batch mode: the names
        self.template_edit.setToolTip(
            "Each file's name, without its extension:\n"
            + "\n".join(f"{{{name}}}: {what}" for name, what in batch.TEMPLATE_FIELDS.items())
        )
        self.template_edit.textChanged.connect(self._update_fields)
        self.name_example = QLabel()
        self.name_example.setObjectName("dim")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path_edit if self.photos is None else self.folder_edit, 1)
        path_row.addWidget(browse)

        self.format_box = QComboBox()
        for label, format_suffix in FORMATS:
            self.format_box.addItem(label, format_suffix)
        self.format_box.setCurrentText(fmt if fmt in dict(FORMATS) else "JPEG")
        self.format_box.currentIndexChanged.connect(self._format_changed)

        self.quality = QSlider(Qt.Orientation.Horizontal)
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

        if self.photos is None:
            width, height = self._photo.output_size()
            long_edge, full = max(width, height), f"Full size ({width} × {height})"
        else:  # each photo its own size
            long_edge, full = 65535, "Full size"
        self.size_box = QComboBox()
        self.size_box.addItem(full, None)
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

        self.sharpen_box = QComboBox()
        for key in OUTPUT_SHARPENING:
            self.sharpen_box.addItem(SHARPEN_LABELS.get(key, key.title()), key)
        self.sharpen_box.setToolTip("Output sharpening for screen, of the picture at the size it is written")
        colour_space = QLabel("sRGB")
        colour_space.setToolTip(
            "The colour space the renderer works in; the sRGB profile is embedded with the metadata"
        )

        self.metadata = QCheckBox("Keep camera information (EXIF) and embed the sRGB colour profile")
        self.metadata.setChecked(True)
        self.skip_existing = QCheckBox("Skip photos already exported (to finish a batch that was stopped)")

        form = QFormLayout()
        if self.photos is None:
            form.addRow("Save as", path_row)
        else:
            form.addRow("Folder", path_row)
            form.addRow("File names", self.template_edit)
            form.addRow("", self.name_example)
        form.addRow("Format", self.format_box)
        form.addRow("Quality", self.quality_widget)
        form.addRow("Bit depth", self.depth_box)
        form.addRow("Size", size_row)
        form.addRow("Sharpen", self.sharpen_box)
        form.addRow("Colour space", colour_space)
        form.addRow("", self.metadata)
        if self.photos is not None:
            form.addRow("", self.skip_existing)

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
        self.report_view = QPlainTextEdit()  # batch mode: what happened to each photo
        self.report_view.setReadOnly(True)
        self.report_view.setMaximumHeight(140)
        self.report_view.hide()
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
        layout.addWidget(self.report_view)
        layout.addLayout(buttons)
        if saved is not None:
            self._show_preset(saved)
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
            sharpen=self.sharpen_box.currentData(),
        )

    @property
    def _photo(self) -> Document:
        """The photo a single export writes (the dialog is made with it unless in batch mode)."""
        assert self.document is not None, "a single export is made with its photo"
        return self.document

    # --- batch mode ----------------------------------------------------------------------------

    @property
    def _batch(self) -> list[Path]:
        assert self.photos is not None, "batch mode is made with its photos"
        return self.photos

    def _batch_folder(self) -> Path:
        """Where a batch goes by default: the last export folder, else "exported" beside the first photo."""
        folder = Path(self._folder) if self._folder else None
        return folder if folder is not None and folder.is_dir() else self._batch[0].parent / "exported"

    def _saved_preset(self) -> batch.ExportPreset | None:
        """The last batch's export preset, if it reads back."""
        try:
            return batch.ExportPreset.from_dict(json.loads(str(self.settings.value(BATCH_KEY, ""))))
        except (ValueError, batch.BatchError):
            return None

    def _show_preset(self, preset: batch.ExportPreset) -> None:
        options = preset.options
        self.format_box.setCurrentText(next((label for label, _ in FORMATS if label.upper() == options.format), "JPEG"))
        self.quality.setValue(options.quality)
        self.depth_box.setCurrentIndex(1 if options.bit_depth == 16 else 0)
        if options.max_edge is not None:
            self.size_box.setCurrentIndex(1)
            self.edge_spin.setValue(options.max_edge)
        self.sharpen_box.setCurrentIndex(max(self.sharpen_box.findData(options.sharpen), 0))
        self.metadata.setChecked(options.keep_metadata)
        self.skip_existing.setChecked(preset.skip_existing)

    def export_preset(self) -> batch.ExportPreset:
        """Batch mode's settings. Raises BatchError (a bad template...)."""
        return batch.ExportPreset(self.options(), self.template_edit.text().strip(), self.skip_existing.isChecked())

    def _start_batch(self) -> None:
        if not self.folder_edit.text().strip():
            self.show_message("Choose the folder to export into")
            return
        folder = Path(self.folder_edit.text().strip()).expanduser()
        try:
            preset = self.export_preset()
        except batch.BatchError as error:
            self.show_message(str(error))
            return
        self.settings.set_value("export/format", self.format_box.currentText())
        self.settings.set_value("export/quality", self.quality.value())
        self.settings.set_value(BATCH_KEY, json.dumps(preset.to_dict()))
        self.message.hide()
        self.report_view.hide()
        self._set_running(True)
        task = Task(batch_job(self._batch, folder, preset, self.jobs))
        task.progress.connect(self._progress)
        task.done.connect(lambda report: self._batch_done(folder, report))
        task.failed.connect(self._failed)
        self.task = task.start(self._pool)

    def _batch_done(self, folder: Path, report: batch.BatchReport) -> None:
        """The batch ended (or was cancelled): the report stays in the dialog until it is closed."""
        self.task = None
        self.report = report
        self._set_running(False)
        self.report_view.setPlainText(report_text(report, folder))
        self.report_view.show()
        self.export_button.setText("Export Again")
        self.cancel_button.setText("Close")
        self.batch_done.emit(folder, report)

    def _path_changed(self, text: str) -> None:
        if self.photos is not None:
            self._update_fields()
            return
        fmt = SUFFIX_FORMAT.get(Path(text.strip()).suffix.lower())
        if fmt is not None and fmt != self.format_box.currentText():
            self.format_box.blockSignals(True)
            self.format_box.setCurrentText(fmt)
            self.format_box.blockSignals(False)
        self._update_fields()

    def _format_changed(self) -> None:
        if self.photos is not None:
            self._update_fields()
            return
        path = self.target()
        suffix = self.format_box.currentData()
        if path.suffix.lower() not in [s for s, f in SUFFIX_FORMAT.items() if f == self.format_box.currentText()]:
            if path == self._proposed:  # still our proposal: propose a free name in the new format
                self._proposed = default_target(self._photo, self._folder, suffix)
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
        if self.photos is not None:
            return  # each photo its own size
        if resized:
            width, height = self._photo.output_size(self.edge_spin.value())
            self.size_note.setText(f"{width} × {height}")
        self.size_note.setVisible(resized)

    def _update_fields(self) -> None:
        fmt = self.format_box.currentText()
        self.quality_widget.setEnabled(fmt in ("JPEG", "WebP"))
        tiff = fmt == "TIFF"
        model = self.depth_box.model()
        assert isinstance(model, QStandardItemModel), "a combo box's own model"
        model.item(1).setEnabled(tiff)
        if not tiff:
            self.depth_box.setCurrentIndex(0)
        self.message.hide()
        if self.photos is not None:
            self._show_example()

    def _show_example(self) -> None:
        """Batch mode: the first photo's file name as the template makes it."""
        try:
            preset = batch.ExportPreset(
                ExportOptions(format=self.format_box.currentText().upper()), self.template_edit.text()
            )
            self.name_example.setText(f"e.g. {batch.plan_outputs(self._batch[:1], Path(), preset)[0].name}")
        except batch.BatchError as error:
            self.name_example.setText(str(error))

    def _browse(self) -> None:
        if self.photos is not None:
            folder = QFileDialog.getExistingDirectory(self, "Export into", self.folder_edit.text())
            if folder:
                self.folder_edit.setText(folder)
            return
        filters = "JPEG (*.jpg *.jpeg);;PNG (*.png);;TIFF (*.tif *.tiff);;WebP (*.webp)"
        path, _ = QFileDialog.getSaveFileName(self, "Export as", str(self.target()), filters)
        if path:
            self.path_edit.setText(path)

    # --- running -----------------------------------------------------------------------------

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()

    def start(self) -> None:
        if self.photos is not None:
            self._start_batch()
            return
        target, options = self.target(), self.options()
        try:
            check_target(target, self._photo.path)
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
        task = Task(export_job(self._photo, target, options))
        task.progress.connect(self._progress)
        task.done.connect(self._done)
        task.failed.connect(self._failed)
        self.task = task.start(self._pool)

    def confirm_overwrite(self, target: Path) -> bool:
        answer = QMessageBox.question(
            self,
            "Replace file?",
            f"{target.name} already exists. Replace it?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def _set_running(self, running: bool) -> None:
        for widget in (
            self.path_edit,
            self.folder_edit,
            self.template_edit,
            self.skip_existing,
            self.sharpen_box,
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
        elif isinstance(error, (ExportError, batch.BatchError)):
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
