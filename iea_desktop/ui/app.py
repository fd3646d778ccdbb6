"""Starting the window: ``iea-desktop`` and ``iea-desktop PHOTO`` call ``run_app``."""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path

from PySide6.QtCore import QTimer, QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from . import theme

# The checkout's resources/, or the bundle's copy in a packaged app.
RESOURCES = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parents[2])) / "resources"


def create_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication with the app's names and the dark theme (reuses a running one)."""
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    assert isinstance(app, QApplication), "the window needs a QApplication, not a bare QCoreApplication"
    app.setApplicationName("IEA Desktop")
    app.setOrganizationName("IEA")
    app.setApplicationDisplayName("IEA Desktop")
    app.setDesktopFileName("iea-desktop")
    app.setWindowIcon(QIcon(str(RESOURCES / "iea-desktop.png")))
    theme.apply(app)
    return app


_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def _qt_message(kind: QtMsgType, context, message: str) -> None:
    category = getattr(context, "category", None)
    text = f"{category}: {message}" if category and category != "default" else message
    logging.getLogger("iea_desktop.qt").log(_QT_LEVELS.get(kind, logging.WARNING), "%s", text)


def install_qt_message_handler() -> None:
    """Qt's own messages (qWarning and the like) go to the app's log instead of straight to stderr;
    warnings and worse still reach stderr through the log's stderr handler."""
    qInstallMessageHandler(_qt_message)


def run_app(photo: str | None = None) -> int:
    """Open the window (on ``photo`` if given) and run until it closes; returns the exit status."""
    install_qt_message_handler()
    app = create_application()
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl+C in the terminal quits (autosave keeps the work)
    from .main_window import MainWindow

    window = MainWindow()
    window.show()
    if photo:
        QTimer.singleShot(0, lambda: window.open_photo(photo))
    return app.exec()
