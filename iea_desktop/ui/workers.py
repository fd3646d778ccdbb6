"""Background work: tasks on thread pools that report progress, stream text and can be cancelled.

A ``Task`` runs ``fn(task)`` on a ``QThreadPool``. Its signals are emitted from the worker thread
and delivered on the GUI thread (queued), so slots may touch widgets. Tasks stay alive until
their result has been delivered. ``StallMeter`` measures how long the GUI thread was blocked.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal


class Task(QObject):
    done = Signal(object)  # fn's return value
    failed = Signal(object)  # the exception fn raised
    progress = Signal(float, str)  # fraction in [0, 1] (negative: unknown), what is happening
    text = Signal(str)  # streamed text (an assistant's reply as it is generated)

    _live: set[Task] = set()

    def __init__(self, fn: Callable[[Task], object]):
        super().__init__()
        self._fn = fn
        self.cancel_event = threading.Event()
        self.finished = False

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def cancel(self) -> None:
        self.cancel_event.set()

    def start(self, pool: QThreadPool) -> Task:
        """Queue the task; connect to its signals before calling this."""
        Task._live.add(self)
        self.done.connect(self._release)
        self.failed.connect(self._release)
        pool.start(_Runner(self))
        return self

    def _release(self, _result=None) -> None:
        self.finished = True
        Task._live.discard(self)

    def run(self) -> None:  # worker thread
        try:
            result = self._fn(self)
        except Exception as error:  # delivered to the GUI thread, which decides how to show it
            self._deliver(self.failed, error)
        else:
            self._deliver(self.done, result)

    @staticmethod
    def _deliver(signal, value) -> None:
        try:
            signal.emit(value)
        except RuntimeError:  # the app is shutting down and the receiver is gone
            pass


class _Runner(QRunnable):
    def __init__(self, task: Task):
        super().__init__()
        self.task = task
        self.setAutoDelete(True)

    def run(self) -> None:
        self.task.run()


def make_pool(threads: int) -> QThreadPool:
    pool = QThreadPool()
    pool.setMaxThreadCount(threads)
    return pool


class StallMeter(QObject):
    """A heartbeat timer on the GUI thread; the longest gap between beats is the longest stall."""

    def __init__(self, interval_ms: int = 5, parent: QObject | None = None):
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._beat)
        self._last = 0.0
        self.longest = 0.0  # seconds

    def start(self) -> None:
        self.longest = 0.0
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> float:
        self._beat()
        self._timer.stop()
        return self.longest

    def _beat(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self._last)
        self._last = now


class LatestWins:
    """Request tokens: a render may go on only while no newer request has been made."""

    def __init__(self):
        self._latest = 0
        self._lock = threading.Lock()

    def new_request(self) -> int:
        with self._lock:
            self._latest += 1
            return self._latest

    def is_stale(self, token: int) -> bool:
        return token != self._latest

    def cancel_all(self) -> None:
        self.new_request()
