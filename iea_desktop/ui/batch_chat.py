"""Batch chat in the window: a request sent while several photos are selected is answered for each.

The assistant controller hands a request here first (``AssistantController.route``); with more
than one photo selected, ``BatchChat.take`` runs it on every selected photo with
``agent.batch_chat.chat_photos``: each photo is opened from its project, gets an ordinary turn
(measured on that photo: its own nodes, values and reason) and is saved. The chat says that the
request applies to N photos, shows progress, then one line per photo as each is done. It runs as
the controller's turn (its one-thread pool; busy, so the edit controls wait; Stop cancels between
photos and inside a turn).

The open photo, when selected, gets its turn on the document the window shows (the window's own
session: one undo step there, saved as any edit); the others are opened from their projects.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject

from ..agent.batch_chat import chat_photos
from ..core import batch
from .chat_panel import MessageBubble
from .workers import Task


class BatchChat(QObject):
    def __init__(self, window, targets: Callable[[], list[Path]]):
        super().__init__(window)
        self.window = window
        self.targets = targets  # the selected photos
        self.report: batch.BatchReport | None = None  # the last batch's

    def take(self, text: str) -> bool:
        """Run ``text`` on the selected photos when there are several; False leaves it to the open photo."""
        photos = self.targets()
        if len(photos) < 2:
            return False
        window = self.window
        controller = window.assistant_controller
        session = controller.session
        doc = window.document
        is_open = [doc is not None and p.resolve() == doc.path.resolve() for p in photos]
        others = [p for p, here in zip(photos, is_open) if not here]
        chat = window.chat
        chat.add_user(text)
        bubble = chat.begin_reply(f"{controller.reply_title()} · {len(photos)} photos")
        bubble.set_text(f"Applying this to the {len(photos)} selected photos, each measured on its own:")
        started = time.perf_counter()

        def job(task: Task) -> batch.BatchReport:
            results = []
            if any(is_open):  # the open photo: a turn of the window's session, on the document shown
                task.progress.emit(0.0, f"1 of {len(photos)}: {doc.path.name}")
                turn = session.run_turn(text, cancel=task.cancel_event)
                status = batch.CANCELLED if turn.cancelled else batch.FAILED if turn.error else batch.WRITTEN
                results.append(batch.FileResult(doc.path, status, error=turn.error or "", reply=turn.reply))
                task.text.emit("\n" + line(results[0]))
            done = len(results)

            def progress(step: batch.Progress) -> None:
                if step.result is None:
                    where = done + step.done
                    task.progress.emit(where / len(photos), f"{where + 1} of {len(photos)}: {step.photo.name}")
                else:
                    task.text.emit("\n" + line(step.result))

            if others:
                results += chat_photos(others, text, controller.assistant, progress, lambda: task.cancelled).results
            return batch.BatchReport(results)

        task = Task(job)
        task.text.connect(bubble.append)
        task.progress.connect(chat.set_loading)
        task.done.connect(lambda report: self._done(task, bubble, report, started))
        task.failed.connect(lambda error: self._failed(task, bubble, error))
        controller.run_task(task, bubble)
        return True

    def _done(self, task: Task, bubble: MessageBubble, report: batch.BatchReport, started: float) -> None:
        self._finish(task)
        self.report = report
        changed = [r.photo for r in report.results if r.status == batch.WRITTEN]
        meta = [f"{len(changed)} of {len(report.results)} photos answered"]
        if report.failed:
            meta.append(f"{len(report.failed)} failed")
            bubble.mark_failed()
        if report.cancelled:
            meta.append(f"stopped: {len(report.cancelled)} not done")
        meta.append(f"{time.perf_counter() - started:.1f} s")
        bubble.set_meta(" · ".join(meta))
        self.window.library.photos_changed(changed)

    def _failed(self, task: Task, bubble: MessageBubble, error: Exception) -> None:
        self._finish(task)
        bubble.append(f"\nSorry, something went wrong: {error}.")
        bubble.mark_failed()

    def _finish(self, task: Task) -> None:
        self.window.chat.set_loading(None)
        self.window.assistant_controller.finish_task(task)


def line(result: batch.FileResult) -> str:
    """One photo's line in the reply."""
    name = result.photo.name
    if result.status == batch.WRITTEN:
        return f"• {name}: {result.reply}"
    if result.status == batch.CANCELLED:
        return f"• {name}: stopped, nothing changed"
    return f"• {name}: failed, nothing changed ({result.error.removeprefix(name + ': ')})"
