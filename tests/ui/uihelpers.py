"""Helpers for the window tests (waiting on workers, reading the canvas, a scripted assistant)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np

WAIT_MS = 15000


def settled(window) -> bool:
    """The newest graph state is on screen and nothing is rendering."""
    after = window.canvas.after
    return after is not None and not window.pipeline.busy and after.revision == window.pipeline.revision


def wait_rendered(qtbot, window) -> None:
    qtbot.waitUntil(lambda: settled(window), timeout=WAIT_MS)


def open_folder(qtbot, window, folder: Path) -> None:
    """Open a folder in the library and wait until it is the library's."""
    window.library.open_folder(folder)
    qtbot.waitUntil(lambda: window.library.folder == folder, timeout=WAIT_MS)


def open_photo(qtbot, window, path) -> None:
    assert window.open_photo(path)
    qtbot.waitUntil(lambda: window.document is not None and window.document.path == Path(path), timeout=WAIT_MS)
    wait_rendered(qtbot, window)


def shown_pixels(window) -> np.ndarray:
    return window.canvas.after.pixels.astype(np.float32)


class ScriptedAssistant:
    """An assistant that plans fixed edits; with ``hold`` it waits (cancellably) before answering."""

    name = "Scripted assistant"
    is_builtin = False
    op_version = None
    device_label = "CPU, 1 thread"

    def __init__(self, edits=(("exposure", 40, "Brighter, as asked"),), hold: bool = False):
        self.edits = edits
        self.hold = hold
        self.started = threading.Event()
        self.warming = threading.Event()  # warm_up was called
        self.warmed = None  # a threading.Event that warm_up waits for, if set

    def warm_up(self, cancel=None):
        self.warm_up_cancel = cancel
        self.warming.set()
        if self.warmed is not None:  # until released, or cancelled
            deadline = time.monotonic() + WAIT_MS / 1000
            while not self.warmed.wait(0.01) and not (cancel is not None and cancel.is_set()):
                if time.monotonic() > deadline:
                    break

    def plan(self, ctx, on_text, cancel):
        from iea_desktop.agent.plan import Edit, Plan

        self.started.set()
        for chunk in ("Making it ", "brighter."):
            if on_text:
                on_text(chunk)
        if self.hold:
            cancel.wait(WAIT_MS / 1000)
        return Plan(reply="I brightened the photo.", edits=[Edit(*edit) for edit in self.edits])

    def summarize(self, ctx, on_text, cancel):
        return "You like bright photos."


def builtin_available() -> bool:
    try:
        from iea_desktop.agent.assistants import builtin_assistant

        builtin_assistant()
    except ImportError:
        return False
    return True
