"""A shoot, not a photo: copy / paste / sync settings, presets, batch export and XMP in the window.

``ShootController`` is made by the window after the library. It owns the settings clipboard, the
presets panel (``presets_panel.py``) and its dock, batch chat (``batch_chat.py``) and the
actions of Edit > Copy Settings… / Paste Settings / Sync Settings…, the Presets menu and File >
Export XMP Sidecar… / Import XMP…; File > Export… exports the selection when several photos are
selected (``export_dialog.py`` in its batch mode).

Which photos: ``targets()``, the photos selected in the library's grid or filmstrip, else the open
photo. The open photo is changed in place (one undo step, as any edit); the others' projects are
changed and saved in a worker (``core.batch.apply_to_photos``: one undo step in each photo's
history), and their thumbnails follow. Nothing here blocks the GUI thread: reading and writing
other photos, sidecars and the gallery's renders all run in workers.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, QObject, Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from ..agent.look_presets import look_presets
from ..core import batch, presets, xmp
from ..core.document import Document
from ..core.graph import GraphLimitError
from ..core.history import AddNode, Compound
from ..core.presets import Preset, PresetStore
from .batch_chat import BatchChat
from .choose_nodes import ChooseNodesDialog
from .export_dialog import ExportDialog, failure
from .presets_panel import PresetsPanel
from .workers import Task, make_pool

BATCH_STOP_S = 30  # at most this long for a stopped batch to end, when the window closes


def _same(a: Path, b: Path) -> bool:
    return Path(a).resolve() == Path(b).resolve()


class ShootController(QObject):
    def __init__(self, window, store: PresetStore | None = None):
        super().__init__(window)
        self.window = window
        self.clipboard: Preset | None = None  # the copied settings
        self.pool = make_pool(1)  # pastes onto other photos, sidecars
        self.dialog: ChooseNodesDialog | None = None
        self.task: Task | None = None  # the paste or sidecar work running
        self.reports: list[batch.BatchReport] = []  # the pastes' reports, newest last (the status bar says them)
        self.batch_dialogs: list[ExportDialog] = []  # batch exports' dialogs, open beside the window
        self.panel = PresetsPanel(store or PresetStore(builtin=look_presets()), window.show_message)
        self.panel.apply_requested.connect(self.apply_preset)
        self.dock = window._dock("Presets", self.panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        window.tabifyDockWidget(window.layers_dock, self.dock)
        window.layers_dock.raise_()
        self.batch_chat = BatchChat(window, self.targets)
        window.assistant_controller.route = self.batch_chat.take
        window.library.selection.selectionChanged.connect(lambda *_: self._selection_changed())

        a = window._action
        self.copy_action = a(
            "&Copy Settings…",
            self.copy_settings,
            ["Ctrl+Shift+C"],
            "Copy this photo's adjustments (all or chosen ones)",
        )
        self.paste_action = a(
            "&Paste Settings", self.paste, ["Ctrl+Shift+V"], "Paste the copied adjustments onto the selected photos"
        )
        self.sync_action = a(
            "S&ync Settings…",
            self.sync,
            ["Ctrl+Shift+S"],
            "Give the other selected photos this photo's adjustments (all or chosen ones)",
        )
        self.export_xmp_action = a(
            "Export XMP &Sidecar…",
            self.export_xmp,
            [],
            "Write the edits as Lightroom / Camera Raw settings next to each selected photo (PHOTO.xmp)",
        )
        self.import_xmp_action = a(
            "&Import XMP…", self.import_xmp_dialog, [], "Add a Lightroom / Camera Raw sidecar's settings to this photo"
        )
        for action in self.panel.actions_list:
            window.addAction(action)  # their keys work anywhere in the window, and Help lists them

    def add_to_menus(self, file_menu, edit_menu, panels_menu, presets_menu) -> None:
        """File: the XMP actions after Export…; Edit: copy, paste, sync; the Presets menu; Panels > Presets."""
        actions = file_menu.actions()
        after = actions.index(self.window.export_action) + 1
        before = actions[after] if after < len(actions) else None
        file_menu.insertAction(before, self.export_xmp_action)
        file_menu.insertAction(before, self.import_xmp_action)
        edit_menu.addSeparator()
        for action in (self.copy_action, self.paste_action, self.sync_action):
            edit_menu.addAction(action)
        self.apply_menu = presets_menu.addMenu("&Apply Preset")
        self.apply_menu.aboutToShow.connect(self._fill_apply_menu)
        for action in self.panel.actions_list:
            presets_menu.addAction(action)
            if action is self.panel.new_action:
                presets_menu.addSeparator()
        presets_menu.addSeparator()
        presets_menu.addAction(self.dock.toggleViewAction())
        panels_menu.addAction(self.dock.toggleViewAction())

    def _fill_apply_menu(self) -> None:
        """Presets > Apply Preset: every preset by name (the built-in looks, then the person's)."""
        menu = self.apply_menu
        menu.clear()
        listed = self.panel.presets.values()
        for group in ([p for p in listed if p.read_only], [p for p in listed if not p.read_only]):
            if group and menu.actions():
                menu.addSeparator()
            for preset in group:
                action = menu.addAction(preset.name, lambda p=preset: self.apply_preset(p))
                action.setStatusTip(preset.summary())
                action.setEnabled(bool(self.targets()) and self.task is None)

    # --- the window's hooks --------------------------------------------------------------------

    def document_installed(self, doc: Document) -> None:
        self.panel.set_document(doc)
        self._selection_changed()

    def document_changed(self) -> None:
        self.panel.document_changed()

    def update_actions(self, idle: bool) -> None:
        doc = self.window.document
        free = idle and self.task is None
        self.copy_action.setEnabled(free and doc is not None and bool(doc.graph.nodes))
        self.paste_action.setEnabled(free and self.clipboard is not None and bool(self.targets()))
        self.sync_action.setEnabled(free and doc is not None and bool(doc.graph.nodes) and bool(self._others()))
        self.export_xmp_action.setEnabled(free and bool(self.targets()))
        self.import_xmp_action.setEnabled(free and doc is not None)
        self.panel.setEnabled(idle)

    def _selection_changed(self) -> None:
        count = len(self.targets())
        self.window.chat.set_scope(
            f"Requests apply to the {count} selected photos, each on its own." if count > 1 else ""
        )
        self.window._update_actions()

    def close(self) -> None:
        self.panel.shutdown()
        if self.task is not None:
            self.task.cancel()
        self.pool.waitForDone(10000)

    # --- which photos --------------------------------------------------------------------------

    def targets(self) -> list[Path]:
        """Several photos selected in the grid or the filmstrip, in the view's order; else what the
        library's marks apply to (the grid's selection, or the open photo)."""
        library = self.window.library
        rows = sorted(index.row() for index in library.selection.selectedRows())
        if len(rows) > 1:
            return [library.model.entry(row).path for row in rows]
        return library.targets()

    def _others(self) -> list[Path]:
        doc = self.window.document
        return [p for p in self.targets() if doc is None or not _same(p, doc.path)]

    def batch_export_photos(self) -> list[Path] | None:
        """What File > Export… writes in its batch mode: the selection when it is not just the open photo."""
        photos = self.targets()
        doc = self.window.document
        if len(photos) > 1 or (photos and (doc is None or not _same(photos[0], doc.path))):
            return photos
        return None

    # --- copy, paste, sync ---------------------------------------------------------------------

    def copy_settings(self) -> None:
        """Copy Settings…: tick the adjustments to copy (geometry unticked)."""
        doc = self.window.document
        if doc is None or not doc.graph.nodes:
            return
        self._choose(doc, "Copy Settings", "Copy", lambda ids: self.copy(doc, ids))

    def copy(self, doc: Document, node_ids: list[str] | None = None) -> Preset:
        self.clipboard = presets.copy_settings(doc.graph, doc.path.name, node_ids)
        count = len(self.clipboard.nodes)
        self.window.statusBar().showMessage(
            f"Copied {count} adjustment{'s' * (count != 1)} from {doc.path.name}: {self.clipboard.summary()}", 5000
        )
        self.window._update_actions()
        return self.clipboard

    def paste(self) -> None:
        """Paste Settings: the copied adjustments onto the selected photos (or the open one)."""
        if self.clipboard is not None:
            self.apply_to(self.clipboard, self.targets())

    def sync(self) -> None:
        """Sync Settings…: the open photo's chosen adjustments onto the other selected photos."""
        doc = self.window.document
        others = self._others()
        if doc is None or not doc.graph.nodes:
            return
        if not others:
            self.window.statusBar().showMessage(
                "Select the photos to sync in the grid or the filmstrip (Ctrl+click, Shift+click)", 5000
            )
            return
        self._choose(
            doc,
            f"Sync Settings to {len(others)} photo{'s' * (len(others) != 1)}",
            "Synchronize",
            lambda ids: self.apply_to(presets.copy_settings(doc.graph, doc.path.name, ids), others),
        )

    def _choose(self, doc: Document, title: str, ok: str, then) -> None:
        dialog = ChooseNodesDialog(doc.graph, title, ok, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: then(dialog.chosen()))
        dialog.finished.connect(lambda _result: setattr(self, "dialog", None))
        dialog.open()
        self.dialog = dialog

    def apply_preset(self, preset: Preset) -> None:
        self.apply_to(preset, self.targets())

    def apply_to(self, settings: Preset, photos: list[Path]) -> None:
        """Paste copied settings or apply a preset: the open photo in place (one undo step), the
        other photos' projects in a worker, with progress in the status bar and a report of any
        photo that failed."""
        window = self.window
        doc = window.document
        if window.assistant_controller.busy or self.task is not None:
            window.statusBar().showMessage("Wait for the work in progress to finish.", 4000)
            return
        if doc is not None and any(_same(p, doc.path) for p in photos):
            try:
                presets.apply(doc, settings)
            except GraphLimitError as error:
                window.show_message("Cannot paste", f"{doc.path.name}: {error}")
        others = [p for p in photos if doc is None or not _same(p, doc.path)]
        if not others:
            return

        def job(task: Task) -> batch.BatchReport:
            def progress(step: batch.Progress) -> None:
                task.progress.emit(step.done / step.total, f"{settings.history_text}: {step.done} of {step.total}")

            return batch.apply_to_photos(settings, others, progress, lambda: task.cancelled)

        task = Task(job)
        task.progress.connect(lambda _fraction, text: window.statusBar().showMessage(text))
        task.done.connect(lambda report: self._applied(task, settings, report))
        task.failed.connect(lambda error: self._work_failed(task, "Cannot paste", error))
        self._start(task)

    def _start(self, task: Task) -> None:
        self.task = task
        self.window.busy_bar.show()
        self.window._update_actions()
        task.start(self.pool)

    def _finish(self, task: Task) -> bool:
        if task is not self.task:
            return False
        self.task = None
        self.window.busy_bar.hide()
        self.window._update_actions()
        return True

    def _applied(self, task: Task, settings: Preset, report: batch.BatchReport) -> None:
        self._finish(task)
        self.reports.append(report)
        self.window.library.photos_changed([r.photo for r in report.results if r.status == batch.WRITTEN])
        self.window.statusBar().showMessage(f"{settings.history_text}: {report.summary()} photos", 6000)
        if report.failed:
            lines = [failure(r) for r in report.failed]
            self.window.show_message(f"{len(report.failed)} photos were not changed", "\n".join(lines))

    def _work_failed(self, task: Task, title: str, error: Exception) -> None:
        self._finish(task)
        self.window.show_message(title, str(error) or type(error).__name__)

    # --- batch export --------------------------------------------------------------------------

    def export_batch(self, photos: list[Path]) -> ExportDialog | None:
        """File > Export… with several photos selected: the export dialog in its batch mode. The
        open photo's unsaved edits are saved first (each photo is exported from its project)."""
        window = self.window
        doc = window.document
        if doc is not None and doc.dirty and any(_same(p, doc.path) for p in photos) and not window.save():
            return None
        dialog = ExportDialog(doc, window.work_pool, window.settings, window, photos=photos)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.batch_done.connect(self._batch_exported)
        # not modal: editing goes on while a batch runs, as in Lightroom (each photo is exported
        # from its saved project, so later edits do not reach this batch)
        dialog.setWindowModality(Qt.WindowModality.NonModal)
        self.batch_dialogs.append(dialog)
        dialog.finished.connect(lambda _result: self.batch_dialogs.remove(dialog))
        dialog.show()
        return dialog

    def end_batches(self) -> bool:
        """Before the window closes: a running batch export is stopped if the person agrees (the
        photos written stay, the rest are not exported), and this waits for it; False: keep open."""
        running = [d for d in self.batch_dialogs if d.task is not None]
        if not running:
            return True
        if not self.window.ask_stop_batch(len(running)):
            return False
        for dialog in running:
            dialog.reject()  # while it runs: cancels
        deadline = time.monotonic() + BATCH_STOP_S
        while any(d.task is not None for d in running) and time.monotonic() < deadline:
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        return True

    def _batch_exported(self, folder: Path, report: batch.BatchReport) -> None:
        self.window.settings.set_value("dirs/export", str(folder))
        self.window.statusBar().showMessage(f"Export: {report.summary()} into {folder}", 8000)

    # --- XMP -----------------------------------------------------------------------------------

    def export_xmp(self) -> None:
        """File > Export XMP Sidecar…: PHOTO.xmp next to each target photo (the open photo's edits
        as they are now, the others' as saved); what could not be written is said, never dropped."""
        photos = self.targets()
        existing = [p.with_suffix(".xmp") for p in photos if p.with_suffix(".xmp").exists()]
        if existing and not self.ask_replace(existing):
            return
        self.write_sidecars(photos)

    def write_sidecars(self, photos: list[Path]) -> None:
        window = self.window
        doc = window.document
        live = (doc.path, copy.deepcopy(doc.graph.nodes), doc.info) if doc is not None else None

        def job(_task: Task) -> tuple[list[Path], list[str]]:
            written, said = [], []  # the sidecars written; one line per thing to tell
            for photo in photos:
                target = photo.with_suffix(".xmp")
                if target in written:  # IMG_1.jpg and IMG_1.nef: one sidecar name, Lightroom's rule
                    said.append(f"{photo.name}: no sidecar written: {target.name} was written for another photo")
                    continue
                try:
                    if live is not None and _same(photo, live[0]):
                        nodes, info = live[1], live[2]
                    else:
                        opened = Document.open(photo)
                        nodes, info = opened.graph.nodes, opened.info
                    sidecar = xmp.write_sidecar(target, nodes, xmp.Photo.of(info), source=photo)
                except Exception as error:  # one photo's problem is said; the others are written
                    said.append(f"{photo.name}: no sidecar written: {batch.describe(error)}")
                    continue
                written.append(target)
                said += [
                    f"{photo.name}: {node.label} {node.summary()} not written: {why}" for node, why in sidecar.skipped
                ]
            return written, said

        task = Task(job)
        task.done.connect(lambda result: self._sidecars_written(task, *result))
        task.failed.connect(lambda error: self._work_failed(task, "Cannot write XMP", error))
        self._start(task)

    def _sidecars_written(self, task: Task, written: list[Path], said: list[str]) -> None:
        self._finish(task)
        names = written[0].name if len(written) == 1 else f"{len(written)} XMP sidecars"
        self.window.statusBar().showMessage(f"Wrote {names}" if written else "No XMP sidecar was written", 6000)
        if said:
            self.window.show_message("XMP sidecar", "\n".join(said), icon=QMessageBox.Icon.Information)

    def import_xmp_dialog(self) -> None:
        doc = self.window.document
        if doc is None:
            return
        path = self.ask_xmp_file(doc.path)
        if path:
            self.import_xmp(Path(path))

    def import_xmp(self, path: Path) -> None:
        """Import XMP…: the sidecar's settings added to the open photo as one undo step, with a
        warning for each setting that was not read (read in a worker: a RAW's white is measured)."""
        doc = self.window.document
        if doc is None:
            return
        task = Task(lambda _task: xmp.read_sidecar(path, xmp.Photo.of(doc.info)))
        task.done.connect(lambda found: self._xmp_read(task, doc, path, *found))
        task.failed.connect(lambda error: self._work_failed(task, "Cannot import XMP", error))
        self._start(task)

    def _xmp_read(self, task: Task, doc: Document, path: Path, nodes: list, warnings: list[str]) -> None:
        self._finish(task)
        window = self.window
        if doc is not window.document or window.assistant_controller.busy:
            window.show_message("XMP not imported", "The photo changed while the sidecar was read; import it again.")
            return
        if nodes:
            try:
                doc.apply(Compound([AddNode(node) for node in nodes], text=f"Settings from {path.name}"))
            except GraphLimitError as error:
                window.show_message("Cannot import XMP", f"{path.name}: {error}")
                return
        count = len(nodes)
        window.statusBar().showMessage(f"{path.name}: {count} adjustment{'s' * (count != 1)} added", 6000)
        if warnings:
            window.show_message(
                f"Read from {path.name}", "\n".join(f"⚠ {w}" for w in warnings), icon=QMessageBox.Icon.Information
            )

    # --- questions (tests replace these) -------------------------------------------------------

    def ask_replace(self, existing: list[Path]) -> bool:
        names = ", ".join(p.name for p in existing[:5]) + (" …" if len(existing) > 5 else "")
        answer = QMessageBox.question(
            self.window, "Replace sidecars?", f"Replace the XMP sidecars that exist: {names}?"
        )
        return answer == QMessageBox.StandardButton.Yes

    def ask_xmp_file(self, photo: Path) -> str:
        start = photo.with_suffix(".xmp") if photo.with_suffix(".xmp").exists() else photo.parent
        path, _ = QFileDialog.getOpenFileName(
            self.window, "Import XMP", str(start), "XMP sidecars (*.xmp *.XMP);;All files (*)"
        )
        return path
