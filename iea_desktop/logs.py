"""Where the app's log goes: a rotating file in the user data folder, and stderr.

``setup_logging()`` is called once at start-up (by the command line, for every command and the
window). It configures the ``iea_desktop`` logger only, never the root logger, so libraries and
test runners keep their own logging:

- ``<data folder>/logs/iea-desktop.log``, rotated at 1 MB with 3 old files kept, at INFO
  (DEBUG with ``verbose``). When the folder cannot be written the app runs without a log file.
- stderr: warnings and errors as plain messages (what Python prints when nothing is set up),
  or everything from DEBUG up, with time and logger name, with ``verbose`` (``--verbose``).
- native crashes (a segmentation fault or abort in Qt or a C extension; llama.cpp runs in a child
  process whose stderr, crash traceback included, is logged by agent/backends/model_process.py): ``faulthandler``
  writes the Python traceback of every thread into the log file ("Fatal Python error: ..."),
  through a handle of its own that stays open (and follows the file when it rotates).

A log file that stops accepting writes (a full disk) never interrupts the program and never
prints logging's own "--- Logging error ---" traceback: the file handler goes quiet after one
DEBUG line (seen on stderr with ``verbose``).

Calling it again replaces the handlers it installed before (the tests run ``main()`` many times
in one process). Qt-free and import-light.
"""

from __future__ import annotations

import faulthandler
import logging
import logging.handlers
import sys
from pathlib import Path
from typing import TextIO

from .core.paths import data_dir

LOGGER_NAME = "iea_desktop"
LOG_FILE_NAME = "iea-desktop.log"
MAX_BYTES = 1_000_000
BACKUP_COUNT = 3
FILE_FORMAT = "%(asctime)s %(process)d %(levelname)-7s %(name)s: %(message)s"
VERBOSE_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"

_MARK = "_iea_desktop_handler"  # set on the handlers this module installs
_FILE_ONLY = "iea_file_only"  # a record with this attribute set is not written to stderr
FILE_ONLY = {_FILE_ONLY: True}  # ``log.error(..., extra=FILE_ONLY)``: for what was already printed


def log_dir() -> Path:
    return data_dir() / "logs"


def log_file() -> Path:
    return log_dir() / LOG_FILE_NAME


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of each record (pytest swaps it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(record, _FILE_ONLY, False) and super().filter(record)


class _FileHandler(logging.handlers.RotatingFileHandler):
    """The rotating log file, quiet when it cannot be written, with faulthandler writing beside it."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, maxBytes=MAX_BYTES, backupCount=BACKUP_COUNT, encoding="utf-8")
        self.failed = False
        self.crash_file: TextIO | None = None
        self._point_faulthandler()

    def _point_faulthandler(self) -> None:
        """faulthandler keeps a file descriptor: give it an append handle on the current log file."""
        previous = self.crash_file
        try:
            self.crash_file = open(self.baseFilename, "a", encoding="utf-8")
        except OSError:
            self.crash_file = None
            return
        faulthandler.enable(file=self.crash_file, all_threads=True)
        if previous is not None:
            previous.close()  # only after faulthandler holds the new one: no moment without a target

    def doRollover(self) -> None:
        super().doRollover()
        self._point_faulthandler()

    def emit(self, record: logging.LogRecord) -> None:
        if not self.failed:
            super().emit(record)

    def handleError(self, record: logging.LogRecord) -> None:
        """A full disk or a vanished folder: stop writing the file instead of printing a traceback."""
        self.failed = True
        error = sys.exc_info()[1]
        logging.getLogger(LOGGER_NAME).debug(
            "the log file %s cannot be written (%s); logging to it stopped",
            self.baseFilename,
            getattr(error, "strerror", None) or error,
        )

    def close(self) -> None:
        if self.crash_file is not None:
            _crash_evidence_to_stderr()
            self.crash_file.close()
            self.crash_file = None
        try:
            super().close()
        except OSError:  # what is still buffered cannot be written either
            pass


def _crash_evidence_to_stderr() -> None:
    """Native crashes print their traceback to the terminal when there is no log file to hold it."""
    if sys.__stderr__ is not None:
        try:
            faulthandler.enable(file=sys.__stderr__, all_threads=True)
            return
        except (OSError, ValueError, RuntimeError):  # no usable file descriptor (a windowed program)
            pass
    faulthandler.disable()


def reset_logging() -> None:
    """Remove and close the handlers ``setup_logging`` installed."""
    logger = logging.getLogger(LOGGER_NAME)
    for handler in [h for h in logger.handlers if getattr(h, _MARK, False)]:
        logger.removeHandler(handler)
        handler.close()


def setup_logging(verbose: bool = False) -> Path | None:
    """Install the file and stderr handlers; returns the log file, or None when it cannot be written."""
    reset_logging()
    logger = logging.getLogger(LOGGER_NAME)
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)

    if sys.stderr is not None:  # None in a windowed program on Windows
        stderr = _StderrHandler()
        if verbose:
            stderr.setLevel(logging.DEBUG)
            stderr.setFormatter(logging.Formatter(VERBOSE_FORMAT, "%H:%M:%S"))
        else:
            stderr.setLevel(logging.WARNING)
            stderr.setFormatter(logging.Formatter("%(message)s"))
        setattr(stderr, _MARK, True)
        logger.addHandler(stderr)

    path = log_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = _FileHandler(path)
    except OSError as error:
        logger.debug("no log file: %s is not writable (%s)", path, error.strerror or error)
        _crash_evidence_to_stderr()
        return None
    handler.setLevel(logging.DEBUG if verbose else logging.INFO)
    handler.setFormatter(logging.Formatter(FILE_FORMAT))
    setattr(handler, _MARK, True)
    logger.addHandler(handler)
    return path


def install_excepthook() -> None:
    """Also write uncaught exceptions to the log file (a bundled window has no terminal).

    Python still prints them to stderr as before; the stderr handler skips them.
    """
    previous = sys.excepthook
    if getattr(previous, _MARK, False):
        return

    def hook(kind, value, traceback) -> None:
        if not issubclass(kind, KeyboardInterrupt):
            logging.getLogger(LOGGER_NAME).critical(
                "uncaught exception", exc_info=(kind, value, traceback), extra=FILE_ONLY
            )
        previous(kind, value, traceback)

    setattr(hook, _MARK, True)
    sys.excepthook = hook
