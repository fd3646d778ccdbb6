"""Screenshots of the real window, driven through a scripted session (``make screenshots``).

Runs the app's MainWindow on an X display (starting its own Xvfb when DISPLAY is not set),
opens resources/sample.jpg, asks the built-in assistant for an edit, and writes PNGs:

    01-empty.png           the window before a photo is open
    02-photo-open.png      the photo, histogram and panels
    03-assistant-turn.png  after an assistant turn: the reply, and its nodes in the Layers panel
    04-before-after.png    the before/after split view
    05-crop-tool.png       the crop tool, entered from the toolbar's Crop button
    06-export.png          the export dialog

Usage: python tools/screenshots.py [OUTPUT_DIR]   (default docs/screenshots)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "resources" / "sample.jpg"
SIZE = (1440, 900)
REQUEST = "Make it brighter and a bit warmer"


def start_xvfb() -> subprocess.Popen | None:
    """A private X server when there is no display; None when one is already set."""
    if os.environ.get("DISPLAY"):
        return None
    if shutil.which("Xvfb") is None:
        sys.exit("Xvfb is not installed (apt-get install xvfb), and no DISPLAY is set.")
    for number in range(90, 130):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            break
    server = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        if server.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"Xvfb did not start on display :{number}")
        time.sleep(0.05)
    os.environ["DISPLAY"] = f":{number}"
    return server


def main(out_dir: Path) -> int:
    sys.path.insert(0, str(ROOT))
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="iea-screenshots-"))
    os.environ["IEA_HOME"] = str(work / "home")  # fresh settings: first-run state, no recent files
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    photo = work / "photos" / "sample.jpg"
    photo.parent.mkdir(parents=True)
    shutil.copy(SAMPLE, photo)

    from PySide6.QtCore import QEvent, QEventLoop, QPoint, QPointF, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication, QToolBar

    from iea_desktop.ui.app import create_application
    from iea_desktop.ui.main_window import MainWindow

    app = create_application(["iea-desktop"])

    def wait(condition, what: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise SystemExit(f"timed out waiting for {what}")
            app.processEvents(QEventLoop.AllEvents, 50)
            time.sleep(0.01)

    def settle(seconds: float = 0.4) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents(QEventLoop.AllEvents, 50)
            time.sleep(0.01)

    def shoot(widget, name: str) -> None:
        settle()
        screen = widget.screen()
        top_left = widget.mapToGlobal(QPoint(0, 0))
        pixmap = screen.grabWindow(0, top_left.x(), top_left.y(), widget.width(), widget.height())
        if pixmap.isNull() or QApplication.platformName() != "xcb":
            pixmap = widget.grab()
        path = out_dir / name
        pixmap.save(str(path))
        print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")

    window = MainWindow()
    window.ask_unsaved = lambda doc: "discard"
    window.resize(*SIZE)
    window.move(0, 0)
    window.show()
    wait(window.isVisible, "the window")
    shoot(window, "01-empty.png")

    window.open_photo(photo)
    wait(lambda: window.canvas.after is not None and not window.pipeline.busy, "the photo to render")
    shoot(window, "02-photo-open.png")

    assistant = window.assistant_controller.assistant
    if assistant is None or not assistant.is_builtin:
        raise SystemExit("the built-in assistant is not available")
    window.chat.send(REQUEST)
    wait(lambda: window.assistant_controller.turn_task is None, "the assistant's turn")
    wait(lambda: not window.pipeline.busy and window.canvas.after.revision == window.pipeline.revision, "the render")
    shoot(window, "03-assistant-turn.png")

    window.set_compare(True)
    shoot(window, "04-before-after.png")
    window.set_compare(False)

    def drag(widget, start: QPointF, end: QPointF) -> None:
        """A left-button drag, as the person makes it."""
        for kind, point, buttons in ((QEvent.MouseButtonPress, start, Qt.LeftButton),
                                     (QEvent.MouseMove, (start + end) / 2, Qt.LeftButton),
                                     (QEvent.MouseMove, end, Qt.LeftButton),
                                     (QEvent.MouseButtonRelease, end, Qt.NoButton)):
            button = Qt.NoButton if kind == QEvent.MouseMove else Qt.LeftButton
            QApplication.sendEvent(widget, QMouseEvent(kind, point, widget.mapToGlobal(point), button, buttons,
                                                       Qt.NoModifier))
            settle(0.05)

    crop_button = window.findChild(QToolBar, "mainToolbar").widgetForAction(window.crop_action)
    crop_button.click()  # the toolbar's Crop
    tool = window.canvas.crop_tool
    wait(lambda: tool.active and not window.pipeline.busy, "the crop tool")
    drag(window.canvas, tool.handles()["tl"], tool.handles()["tl"] + QPointF(50, 30))
    drag(window.canvas, tool.handles()["br"], tool.handles()["br"] - QPointF(40, 40))
    wait(lambda: not window.pipeline.busy, "the render")
    shoot(window, "05-crop-tool.png")
    crop_button.click()  # applies the crop and leaves the tool

    window.export()
    wait(lambda: window.export_dialog is not None and window.export_dialog.isVisible(), "the export dialog")
    shoot(window.export_dialog, "06-export.png")
    window.export_dialog.reject()

    window.close()
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    xvfb = start_xvfb()
    try:
        status = main(target.resolve())
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(timeout=10)
    sys.exit(status)
