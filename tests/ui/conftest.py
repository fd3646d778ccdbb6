"""Fixtures for the window tests: a themed MainWindow (offscreen), a photo copy, and a scripted assistant.

Every test gets its own IEA_HOME (the suite's autouse ``iea_home``), so settings, autosaves and
fallback projects never touch the real folders. Questions that would block (save? restore?) get
canned answers; results from workers are awaited with ``qtbot.waitUntil``, never with sleeps.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from uihelpers import ScriptedAssistant

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "sample.jpg"


@pytest.fixture
def sample(tmp_path) -> Path:
    """resources/sample.jpg copied to a temporary folder (saves write a sidecar next to it)."""
    target = tmp_path / "photos" / "sample.jpg"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(SAMPLE, target)
    return target


@pytest.fixture
def window(qtbot, iea_home):
    from iea_desktop.ui.app import create_application
    from iea_desktop.ui.main_window import MainWindow

    create_application()
    win = MainWindow()
    win.ask_unsaved = lambda doc: "discard"
    win.ask_restore = lambda doc: False
    qtbot.addWidget(win)
    win.show()
    yield win
    if win.message_box is not None:
        win.message_box.close()


@pytest.fixture
def scripted(window):
    """Install a ScriptedAssistant in the window; returns it."""
    assistant = ScriptedAssistant()
    window.assistant_controller.set_assistant(assistant, 0)
    return assistant
