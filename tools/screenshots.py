"""Screenshots of the real window, driven through a scripted session (``make screenshots``).

Runs the app's MainWindow on an X display (starting its own Xvfb when DISPLAY is not set),
opens resources/sample.jpg, asks the built-in assistant for an edit, and writes PNGs:

    01-empty.png           the window before a photo is open
    02-photo-open.png      the photo, histogram and panels
    03-assistant-turn.png  after an assistant turn: the reply, and its nodes in the Layers panel
    04-before-after.png    the before/after split view
    05-crop-tool.png       the crop tool, entered from the toolbar's Crop button
    06-export.png          the export dialog
    07-library.png         a folder in the library grid: edited looks, stars and flags; the filmstrip
    08-filmstrip.png       one photo of the folder with the filmstrip under it
    09-masked-edit.png     a masked edit: the surroundings darkened (an inverted radial mask), its handles on the photo
    10-presets.png         the presets panel: each preset previewed on the open photo, one shown large
    11-batch-export.png    the export dialog exporting six selected photos, with its report
    12-batch-chat.png      one request answered for each of three selected photos
    13-sky-from-chat.png   "darken the sky" in chat: a node masked to the sky it found, the mask shown (O)

Usage: python tools/screenshots.py [OUTPUT_DIR] [--only library|shoot]   (default docs/screenshots)
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "resources" / "sample.jpg"
KODAK = ROOT.parent / "shared" / "photos"  # 768 x 512; a clone alone has the half-size ones in tests/photos
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


def library_folder(work: Path) -> Path:
    """A day's shoot for the library shots: the Kodak photos and the sample as a camera names them,
    each followed by a burst of two (the frame a little further along), some edited and marked
    through the app's own core, as the window would."""
    from PIL import Image

    from iea_desktop.core.document import Document
    from iea_desktop.core.graph import make_node
    from iea_desktop.core.history import AddNode
    from iea_desktop.core.library import set_marks

    folder = work / "trip"
    folder.mkdir()
    sources = sorted(KODAK.glob("kodim*.png")) or sorted((ROOT / "tests" / "photos").glob("kodim*.webp"))
    number = 4101
    for source in [*sources, SAMPLE]:
        with Image.open(source) as img:
            picture = img.convert("RGB")
        width, height = picture.size
        for shift in (0, 1, 2):  # the burst: each frame moved on by 4 % of the width
            box = (shift * width // 25, 0, width - (2 - shift) * width // 25, height)
            picture.crop(box).resize(picture.size).save(folder / f"DSC_{number}.jpg", quality=92)
            number += 1
    photos = sorted(folder.iterdir())
    edits = {1: {"exposure": 30, "vibrance": 40}, 4: {"temperature": -40}, 9: {"saturation": -100}, 13: {"fade": 40}}
    for index, values in edits.items():
        doc = Document.open(photos[index])
        for op, value in values.items():
            doc.apply(AddNode(make_node(op, {"value": value})))
        doc.save()
    marks = {0: (3, None), 1: (5, "picked"), 2: (0, "rejected"), 4: (4, "picked"), 6: (2, None), 9: (4, None),
             10: (0, "rejected"), 13: (5, "picked"), 16: (3, None), 19: (4, "picked")}
    for index, (rating, flag) in marks.items():
        set_marks(photos[index], rating=rating, flag=flag)
    return folder


def main(out_dir: Path, only: str | None = None) -> int:
    sys.path.insert(0, str(ROOT))
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="iea-screenshots-"))
    os.environ["IEA_HOME"] = str(work / "home")  # fresh settings: first-run state, no recent files
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    photo = work / "photos" / "sample.jpg"
    photo.parent.mkdir(parents=True)
    shutil.copy(SAMPLE, photo)

    from PySide6.QtCore import QEvent, QEventLoop, QItemSelectionModel, QPoint, QPointF, Qt
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

    def library_shots() -> None:
        library = window.library
        folder = library_folder(work)
        library.open_folder(folder)
        wait(lambda: library.folder == folder, "the folder")
        window.set_panels_hidden(True)  # the grid across the window, as Tab shows it
        wait(lambda: all(library.model.has_thumbnail(r) for r in range(library.model.rowCount())), "the thumbnails")
        library.selection.select(library.model.index(1), QItemSelectionModel.Select)  # two selected
        window.statusBar().clearMessage()  # it names the temporary folder
        shoot(window, "07-library.png")
        window.set_panels_hidden(False)
        library.step(3)
        library.set_grid(False)
        wait(lambda: window.canvas.after is not None and not window.pipeline.busy, "the photo to render")
        shoot(window, "08-filmstrip.png")

    def shoot_shots() -> None:
        """The presets gallery, a batch export and batch chat, on a shoot of their own."""
        library, controller = window.library, window.shoot
        (work / "shoot").mkdir()
        folder = library_folder(work / "shoot")
        library.open_folder(folder)
        wait(lambda: library.folder == folder, "the folder")
        library.step(4)
        library.set_grid(False)
        wait(lambda: window.document is not None and window.canvas.after is not None, "the photo")
        controller.dock.show()
        controller.dock.raise_()
        panel = controller.panel
        wait(lambda: len(panel.previews) == len(panel.presets) and not panel.rendering, "the gallery")
        panel.select("golden hour")
        wait(lambda: not window.pipeline.busy, "the render")
        window.statusBar().clearMessage()
        shoot(window, "10-presets.png")
        window.layers_dock.raise_()

        library.set_grid(True)
        library.selection.clearSelection()
        for row in range(6):
            library.selection.select(library.model.index(row), QItemSelectionModel.Select)
        window.export()
        dialog = window.export_dialog
        dialog.folder_edit.setText(str(work / "exported"))
        dialog.size_box.setCurrentIndex(1)
        dialog.edge_spin.setValue(1600)
        dialog.sharpen_box.setCurrentIndex(dialog.sharpen_box.findData("standard"))
        dialog.export_button.click()
        wait(lambda: dialog.report is not None, "the batch export", timeout=120)
        shoot(dialog, "11-batch-export.png")
        dialog.reject()

        library.selection.clearSelection()
        for row in (4, 5, 9):
            library.selection.select(library.model.index(row), QItemSelectionModel.Select)
        library.set_grid(False)
        wait(lambda: window.open_task is None and not window.pipeline.busy, "the photo")
        window.chat.send("Make all of these a bit brighter")
        wait(lambda: window.assistant_controller.turn_task is None, "the batch chat")
        wait(lambda: window.open_task is None and not window.pipeline.busy, "the photo")
        window.statusBar().clearMessage()
        shoot(window, "12-batch-chat.png")

    if only == "shoot":
        shoot_shots()
        window.close()
        shutil.rmtree(work, ignore_errors=True)
        return 0
    if only == "library":
        library_shots()
        window.close()
        shutil.rmtree(work, ignore_errors=True)
        return 0
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

    masked = window.layers.add("exposure")  # darker around the parrots: an exposure node with a radial mask
    window.layers.select(masked)
    window.inspector.controls["value"].spin.setValue(-100)
    panel = window.inspector.mask_panel
    panel.add("radial")
    panel.invert_component.setChecked(True)
    handles = window.canvas.mask_tool.handles()
    drag(window.canvas, handles["rx"], handles["rx"] + QPointF(90, 0))
    drag(window.canvas, handles["ry"], handles["ry"] + QPointF(0, 30))
    wait(lambda: not window.pipeline.busy, "the render")
    shoot(window, "09-masked-edit.png")

    hats = work / "photos" / "hats.webp"  # a photo with a sky: the assistant finds it and masks to it
    shutil.copy(ROOT / "tests" / "photos" / "kodim03.webp", hats)
    window.open_photo(hats)
    wait(lambda: window.open_task is None and window.canvas.after is not None and not window.pipeline.busy, "the hats")
    window.chat.send("The sky is too bright")
    wait(lambda: window.assistant_controller.turn_task is None, "the assistant's turn")
    window.canvas.mask_tool.set_overlay(True)
    wait(lambda: not window.pipeline.busy and window.canvas.after.revision == window.pipeline.revision, "the render")
    window.statusBar().clearMessage()
    shoot(window, "13-sky-from-chat.png")
    window.canvas.mask_tool.set_overlay(False)

    library_shots()
    shoot_shots()
    window.close()
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", nargs="?", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--only", choices=["library", "shoot"], help="only these shots (library: 07, 08; shoot: 10-12)")
    args = parser.parse_args()
    xvfb = start_xvfb()
    try:
        status = main(args.out_dir.resolve(), args.only)
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(timeout=10)
    sys.exit(status)
