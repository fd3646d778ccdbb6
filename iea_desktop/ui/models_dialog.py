"""The model manager: the catalogue's models, what each is for, its files and sizes, whether it fits
this machine's memory and whether it is installed; Download with progress, Cancel and Resume.

Downloads run in workers through ``agent.models.download_model`` (resumed with HTTP ranges,
checked against the catalogue's size and SHA-256, disk space checked first). Cancel keeps the
partial file, so the button then offers Resume. A problem shows in one line on the model's row
(the whole message in its tooltip). ``installed`` tells the window that a model arrived, so the
assistant picker lists it at once. Downloads still running when the app quits are cancelled.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from ..agent import models
from .theme import restyle
from .workers import Task, make_pool

log = logging.getLogger(__name__)


def memory_line(entry: dict) -> str:
    """Whether the model fits this machine's memory, in words."""
    need, total = models.memory_needed(entry), models.total_memory()
    if total is None:
        return f"Needs about {models.human_size(need)} of memory."
    if total >= need:
        return f"Needs about {models.human_size(need)} of memory: fits this machine ({models.human_size(total)})."
    return f"Needs about {models.human_size(need)} of memory; this machine has {models.human_size(total)}: too big to run well here."


def files_line(entry: dict) -> str:
    """The model file and the vision projector it is paired with."""
    model, mmproj = entry["files"]["model"], entry["files"]["mmproj"]
    return (
        f"{model['name']} ({models.human_size(model['size'])}) with its vision projector "
        f"{mmproj['name']} ({models.human_size(mmproj['size'])})"
    )


def download_job(entry: dict):
    """The worker's job: both files, with one progress fraction over their total size."""
    sizes = [entry["files"][role]["size"] for role in models.ROLES]
    total = sum(sizes)
    offsets = {entry["files"][role]["name"]: sum(sizes[:i]) for i, role in enumerate(models.ROLES)}

    def job(task: Task):
        def progress(name: str, done: int, size: int) -> None:
            at = offsets[name] + done
            text = f"Checking {name}…" if done >= size else f"{models.human_size(at)} of {models.human_size(total)}"
            task.progress.emit(at / total, text)

        return models.download_model(entry["name"], progress, task.cancel_event)

    return job


class ModelRow(QFrame):
    """One catalogue entry: its description, state, progress and the Download/Resume/Cancel button."""

    clicked = Signal(str)  # the entry's name

    def __init__(self, entry: dict):
        super().__init__()
        self.entry = entry
        self.setObjectName("modelRow")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel(entry["title"])
        self.title.setObjectName("title")
        self.use = QLabel(f"{entry['use']} · {entry['licence']}")
        self.use.setObjectName("dim")
        self.files = QLabel(files_line(entry))
        self.files.setWordWrap(True)
        self.memory = QLabel(memory_line(entry))
        self.state = QLabel()
        self.state.setObjectName("dim")
        self.state.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.message = QLabel()  # one line: an error, or that the download was cancelled
        self.message.hide()
        self.button = QPushButton()
        self.button.clicked.connect(lambda: self.clicked.emit(entry["name"]))

        text = QVBoxLayout()
        for widget in (self.title, self.use, self.files, self.memory, self.state, self.progress, self.message):
            text.addWidget(widget)
        layout = QHBoxLayout(self)
        layout.addLayout(text, 1)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignTop)

    def refresh(self, downloading: bool) -> None:
        """State and button from what is on disk (or the running download)."""
        files = self.entry["files"]
        installed = {role: models.installed_path(f["name"]) for role, f in files.items()}
        partial = sum(models.partial_bytes(f["name"]) for role, f in files.items() if installed[role] is None)
        total = sum(f["size"] for f in files.values())
        done = partial + sum(f["size"] for role, f in files.items() if installed[role] is not None)
        self.button.setEnabled(True)
        self.progress.setVisible(downloading)
        if downloading:
            self.button.setText("Cancel")
        elif files["model"]["url"] is None:
            self.state.setText(
                f"No GGUF is published: convert it yourself ({self.entry.get('convert', 'models/README.md')})."
            )
            self.button.setText("Download")
            self.button.setEnabled(False)
        elif (model := installed["model"]) is not None and (mmproj := installed["mmproj"]) is not None:
            self.state.setText(f"Installed in {model.parent}; sees the photo with {mmproj.name}.")
            self.button.setText("Installed")
            self.button.setEnabled(False)
        elif done:
            self.state.setText(f"Partly downloaded: {models.human_size(done)} of {models.human_size(total)}.")
            self.button.setText("Resume")
        else:
            self.state.setText("Not installed.")
            self.button.setText("Download")
        restyle(self.button, "primary" if self.button.isEnabled() and not downloading else "")

    def set_progress(self, fraction: float, text: str) -> None:
        self.progress.setValue(int(round(1000 * fraction)))
        self.progress.setFormat(text)
        self.state.setText(f"Downloading: {text}")

    def show_message(self, text: str, error: bool = True) -> None:
        """One line on the row; the whole text (e.g. how to download by hand) in its tooltip."""
        lines = text.splitlines() or [""]
        restyle(self.message, "error" if error else "dim")
        self.message.setText(lines[0])
        self.message.setToolTip(text if len(lines) > 1 else "")
        self.message.setVisible(bool(text))


class ModelsDialog(QDialog):
    installed = Signal(str)  # a catalogue name whose files have all arrived

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Models")
        self.resize(720, 640)
        self.pool = make_pool(2)
        self.tasks: dict[str, Task] = {}
        self.rows = {entry["name"]: ModelRow(entry) for entry in models.load_catalog()}

        intro = QLabel(
            "Vision models that look at your photo. They run on this computer; a download "
            "can be cancelled and resumed later. The built-in assistant needs none of them."
        )
        intro.setWordWrap(True)
        folder = QLabel(f"Downloads go to {models.downloads_dir()}")
        folder.setObjectName("dim")
        folder.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        listing = QWidget()
        column = QVBoxLayout(listing)
        for row in self.rows.values():
            row.clicked.connect(self._clicked)
            column.addWidget(row)
        if not self.rows:
            column.addWidget(QLabel(f"The model catalogue {models.CATALOG} is missing or unreadable."))
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(listing)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(folder)
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons)
        app = QApplication.instance()
        assert app is not None, "a dialog is made inside the running application"
        app.aboutToQuit.connect(self.cancel_all)
        self.refresh()

    def refresh(self) -> None:
        for name, row in self.rows.items():
            row.refresh(name in self.tasks)

    def _clicked(self, name: str) -> None:
        if name in self.tasks:
            self.cancel(name)
        else:
            self.download(name)

    def download(self, name: str) -> None:
        row = self.rows[name]
        task = Task(download_job(row.entry))
        task.progress.connect(row.set_progress)
        task.done.connect(lambda _paths: self._finished(name, task))
        task.failed.connect(lambda error: self._failed(name, task, error))
        self.tasks[name] = task
        row.show_message("")
        row.refresh(downloading=True)
        row.set_progress(0.0, "Starting…")
        task.start(self.pool)

    def cancel(self, name: str) -> None:
        task = self.tasks.get(name)
        if task is not None:
            task.cancel()
            self.rows[name].button.setEnabled(False)
            self.rows[name].state.setText("Cancelling…")

    def cancel_all(self) -> None:
        for task in self.tasks.values():
            task.cancel()

    def _finished(self, name: str, task: Task) -> None:
        if self.tasks.get(name) is task:
            del self.tasks[name]
        self.rows[name].refresh(downloading=False)
        self.installed.emit(name)

    def _failed(self, name: str, task: Task, error: Exception) -> None:
        if self.tasks.get(name) is task:
            del self.tasks[name]
        row = self.rows[name]
        row.refresh(downloading=False)
        if isinstance(error, models.DownloadCancelled):
            row.show_message("Cancelled. Resume continues where it stopped.", error=False)
            return
        if not isinstance(error, models.ModelFileError):
            log.error("download of %s failed", name, exc_info=error)
        row.show_message(str(error))
