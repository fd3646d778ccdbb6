"""The model manager window (Assistant > Models…) and model loading shown as busy.

Downloads come from the local stand-in for Hugging Face in tests/agent/test_models.py.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from iea_desktop.agent import models
from iea_desktop.ui import assistant_controller, assistants
from uihelpers import WAIT_MS, ScriptedAssistant

_spec = importlib.util.spec_from_file_location("hub_for_ui_tests", Path(__file__).parents[1] / "agent" / "test_models.py")
hub_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hub_module)


@pytest.fixture
def hub():
    server = hub_module.Hub()
    yield server
    server.close()


@pytest.fixture
def tiny(hub, tmp_path, monkeypatch):
    return hub_module.serve_tiny(hub, tmp_path, monkeypatch)


def open_models(window):
    action = next(a for menu in window.menuBar().actions() if menu.menu() is not None
                  for a in menu.menu().actions() if a.text() == "&Models…")
    action.trigger()
    return window.assistant_controller.models_dialog


def test_the_menu_opens_the_catalogue_with_sizes_memory_and_pairing(window, tiny, monkeypatch):
    monkeypatch.setattr(models, "total_memory", lambda: 16_000_000_000)
    dialog = open_models(window)
    assert dialog.isVisible()
    row = dialog.rows["tiny"]
    assert row.title.text() == "Tiny VLM (Q8_0)"
    assert row.files.text() == "Tiny-Q8_0.gguf (200 kB) with its vision projector mmproj-Tiny-Q8_0.gguf (70 kB)"
    assert "fits this machine (16.0 GB)" in row.memory.text()
    assert row.state.text() == "Not installed."
    assert row.button.text() == "Download" and row.button.isEnabled()
    assert row.progress.isHidden()


def test_memory_line_says_when_a_model_is_too_big(tiny, monkeypatch):
    from iea_desktop.ui.models_dialog import memory_line

    monkeypatch.setattr(models, "total_memory", lambda: 1_000_000_000)
    assert "this machine has 1.0 GB: too big to run well here" in memory_line(models.catalog_entry("tiny"))


def test_download_shows_progress_and_the_picker_sees_the_new_model(qtbot, window, hub, tiny):
    dialog = open_models(window)
    row = dialog.rows["tiny"]
    fractions = []
    shown = row.set_progress
    row.set_progress = lambda fraction, text: (fractions.append(fraction), shown(fraction, text))
    with qtbot.waitSignal(dialog.installed, timeout=WAIT_MS) as arrived:
        qtbot.mouseClick(row.button, Qt.LeftButton)
        assert row.button.text() == "Cancel" and row.progress.isVisible()
    assert arrived.args == ["tiny"]
    assert fractions and fractions[-1] == 1.0
    assert (models.downloads_dir() / "Tiny-Q8_0.gguf").read_bytes() == tiny["model"]
    assert row.state.text().startswith(f"Installed in {models.downloads_dir()}; sees the photo with mmproj-Tiny-Q8_0.gguf")
    assert row.button.text() == "Installed" and not row.button.isEnabled()
    assert row.progress.isHidden()
    labels = [window.chat.picker.itemText(i) for i in range(window.chat.picker.count())]
    assert any(label.startswith("Tiny-Q8_0") for label in labels), labels


def test_cancel_then_resume(qtbot, window, hub, tiny):
    hub.hold_after = 40_000  # the transfer waits there until released
    dialog = open_models(window)
    row = dialog.rows["tiny"]
    qtbot.mouseClick(row.button, Qt.LeftButton)
    qtbot.waitUntil(lambda: row.progress.value() > 0, timeout=WAIT_MS)
    qtbot.mouseClick(row.button, Qt.LeftButton)  # Cancel
    assert row.state.text() == "Cancelling…" and not row.button.isEnabled()
    hub.release.set()
    qtbot.waitUntil(lambda: "tiny" not in dialog.tasks, timeout=WAIT_MS)
    assert row.message.text() == "Cancelled. Resume continues where it stopped." and row.message.isVisible()
    assert row.button.text() == "Resume" and row.state.text().startswith("Partly downloaded: ")
    kept = (models.downloads_dir() / "Tiny-Q8_0.gguf.part").stat().st_size
    assert 0 < kept < len(tiny["model"])

    hub.hold_after = None
    with qtbot.waitSignal(dialog.installed, timeout=WAIT_MS):
        qtbot.mouseClick(row.button, Qt.LeftButton)  # Resume
    assert (hub.path("Tiny-Q8_0.gguf"), f"bytes={kept}-") in hub.requests
    assert (models.downloads_dir() / "Tiny-Q8_0.gguf").read_bytes() == tiny["model"]
    assert row.message.isHidden()


def test_a_damaged_download_is_one_line_on_its_row(qtbot, window, hub, tiny):
    hub.files[hub.path("mmproj-Tiny-Q8_0.gguf")] = hub_module.payload(len(tiny["mmproj"]), 9)
    dialog = open_models(window)
    row = dialog.rows["tiny"]
    qtbot.mouseClick(row.button, Qt.LeftButton)
    qtbot.waitUntil(lambda: "tiny" not in dialog.tasks, timeout=WAIT_MS)
    assert row.message.text().startswith("mmproj-Tiny-Q8_0.gguf is damaged: its SHA-256 is ")
    assert "\n" not in row.message.text() and row.message.objectName() == "error"
    assert row.button.text() == "Resume"  # the model file arrived; the projector is fetched again


def test_offline_is_one_line_with_the_manual_steps_in_the_tooltip(qtbot, window, hub, tiny):
    hub.close()
    dialog = open_models(window)
    row = dialog.rows["tiny"]
    qtbot.mouseClick(row.button, Qt.LeftButton)
    qtbot.waitUntil(lambda: "tiny" not in dialog.tasks, timeout=WAIT_MS)
    assert "You may be offline" in row.message.text() and "\n" not in row.message.text()
    assert "Download these files by hand" in row.message.toolTip()


def test_entries_without_a_published_gguf_cannot_be_downloaded(window):
    row = open_models(window).rows["iea-7b"]
    assert not row.button.isEnabled()
    assert row.state.text().startswith("No GGUF is published: convert it yourself")


def test_model_loading_is_busy_with_the_seconds_so_far(qtbot, window, monkeypatch, tmp_path):
    """llama.cpp reports no progress while it reads weights: a busy bar, and a clock that moves."""
    class Entry:
        name, path, mmproj_path, size_bytes, dialect, problem = "Tiny VLM", tmp_path / "tiny.gguf", None, 5e8, "generic", None

    release = threading.Event()
    loaded = ScriptedAssistant()

    def slow_load(choice, progress=None):
        progress(0.1, "Loading Tiny VLM")
        release.wait(30)
        return loaded

    now = [1000.0]
    monkeypatch.setattr(assistant_controller.time, "monotonic", lambda: now[0])
    monkeypatch.setattr(assistants, "choices", lambda: ([
        assistants.Choice(assistants.BUILTIN_LABEL, assistants.BUILTIN_TIP, "builtin"),
        assistants.Choice("Tiny VLM (500 MB)", "tiny", str(Entry.path), Entry())], None))
    monkeypatch.setattr(assistants, "load", slow_load)
    window.assistant_controller.refresh_choices()
    window.chat.picker.setCurrentIndex(1)
    assert window.chat.progress.isVisible()
    assert window.chat.progress.minimum() == window.chat.progress.maximum() == 0  # busy, not a percentage
    assert window.chat.status.text() == "Loading Tiny VLM (500 MB)… 0 s"
    assert window.assistant_controller.loading_clock.isActive()
    qtbot.waitUntil(lambda: window.chat.status.text().startswith("Loading Tiny VLM…"), timeout=WAIT_MS)
    now[0] += 12
    window.assistant_controller.loading_clock.timeout.emit()
    assert window.chat.status.text() == "Loading Tiny VLM… 12 s"
    release.set()
    qtbot.waitUntil(lambda: window.assistant_controller.assistant is loaded, timeout=WAIT_MS)
    assert window.chat.progress.isHidden() and not window.assistant_controller.loading_clock.isActive()
