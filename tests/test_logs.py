"""Crash evidence and a log that never gets in the way: native crashes and Qt's messages reach the
log file, and a log file that cannot be written stays quiet (issue 12 item 8, issue 19)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from iea_desktop import logs

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def clean_logging():
    yield
    logs.reset_logging()


def crash_after_logging(home: Path, max_bytes: int = logs.MAX_BYTES, lines: int = 1) -> subprocess.CompletedProcess:
    """A child process that sets up logging as the app does, logs, then dies of a segmentation fault."""
    script = textwrap.dedent(f"""
        import faulthandler, logging
        from iea_desktop import logs
        logs.MAX_BYTES = {max_bytes}
        logs.setup_logging()
        for i in range({lines}):
            logging.getLogger("iea_desktop.test").info("about to crash %d %s", i, "x" * 60)
        faulthandler._sigsegv()
    """)
    env = {**os.environ, "IEA_HOME": str(home), "PYTHONPATH": str(PROJECT_ROOT)}
    env.pop("PYTHONFAULTHANDLER", None)
    return subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)


def test_a_native_crash_leaves_its_traceback_in_the_log(tmp_path):
    done = crash_after_logging(tmp_path)
    assert done.returncode != 0
    text = (tmp_path / "data" / "logs" / logs.LOG_FILE_NAME).read_text(encoding="utf-8")
    assert "about to crash" in text
    assert "Fatal Python error: Segmentation fault" in text
    assert 'File "<string>", line 8' in text  # the Python line that was running
    assert "Fatal Python error" not in done.stderr  # the log has it, not the terminal


def test_a_crash_after_the_log_rotated_goes_to_the_new_file(tmp_path):
    done = crash_after_logging(tmp_path, max_bytes=300, lines=10)
    assert done.returncode != 0
    folder = tmp_path / "data" / "logs"
    assert (folder / (logs.LOG_FILE_NAME + ".1")).exists()
    assert "Fatal Python error: Segmentation fault" in (folder / logs.LOG_FILE_NAME).read_text(encoding="utf-8")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux) to fake a full disk")
@pytest.mark.parametrize("verbose", [False, True])
def test_a_full_disk_never_prints_a_logging_traceback(iea_home, capsys, verbose):
    folder = iea_home / "data" / "logs"
    folder.mkdir(parents=True)
    (folder / logs.LOG_FILE_NAME).symlink_to("/dev/full")  # opens fine, every write fails: ENOSPC
    assert logs.setup_logging(verbose) is not None
    log = logging.getLogger("iea_desktop.test")
    for i in range(3):
        log.info("a successful run, line %d", i)
    log.warning("a warning still reaches the terminal")
    err = capsys.readouterr().err
    assert "Logging error" not in err and "Traceback" not in err
    assert "a warning still reaches the terminal" in err
    notice = "cannot be written (No space left on device); logging to it stopped"
    assert err.count(notice) == (1 if verbose else 0)


def test_a_log_folder_that_cannot_be_created_is_quiet(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "read-only"
    blocker.write_text("a file where the data folder should be")
    monkeypatch.setenv("IEA_HOME", str(blocker))
    assert logs.setup_logging() is None
    logging.getLogger("iea_desktop.test").info("still running")
    assert capsys.readouterr().err == ""


def test_qt_messages_go_to_the_log(qtbot):
    from PySide6.QtCore import qWarning

    from iea_desktop.ui.app import install_qt_message_handler

    path = logs.setup_logging()
    install_qt_message_handler()
    qWarning("QPainter::begin: a test warning from Qt")
    text = path.read_text(encoding="utf-8")
    assert "WARNING iea_desktop.qt: QPainter::begin: a test warning from Qt" in text
