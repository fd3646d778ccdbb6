"""The library's rows (issue 16), run in the real window offscreen, as cases of bench/cases.py.

The folder: 200 copies of bench/data/photo24.jpg (24 MP), each with its own JPEG comment right
after the start marker, so every file has its own size and head (the thumbnail cache's identity),
written once into the system's temporary folder and reused while the source is unchanged. They
are read from the OS's file cache, as a folder looked at a moment ago would be.
"""

from __future__ import annotations

import os
import struct
import tempfile
import time
from pathlib import Path

COUNT = 200
SIZE = (1440, 900)  # the window, as the README's screenshots show it


def photo_folder(jpeg: Path) -> Path:
    folder = Path(tempfile.gettempdir()) / "iea-bench-library"
    stamp = folder / "source.txt"
    source = f"{jpeg.stat().st_size} {jpeg.stat().st_mtime_ns} {COUNT}"
    for sidecar in folder.glob("*.iea.json"):  # left by a run that did not finish
        sidecar.unlink()
    if stamp.exists() and stamp.read_text() == source:
        return folder
    folder.mkdir(exist_ok=True)
    data = jpeg.read_bytes()
    for i in range(COUNT):
        comment = f"IEA bench library photo {i:03}".encode()
        segment = b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment
        (folder / f"DSC_{i:04}.jpg").write_bytes(data[:2] + segment + data[2:])
    stamp.write_text(source)
    return folder


def _window():
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["IEA_HOME"] = tempfile.mkdtemp(prefix="iea-bench-home-")
    from iea_desktop.ui.app import create_application
    from iea_desktop.ui.main_window import MainWindow

    app = create_application(["iea-desktop"])
    window = MainWindow()
    window.ask_unsaved = lambda doc: "discard"
    window.resize(*SIZE)
    window.show()
    return app, window


def _wait(app, condition, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"bench: timed out waiting for {what}")
        app.processEvents()
        time.sleep(0.001)


def _visible_rows(lib) -> set[int]:
    """The rows the grid and the filmstrip show now."""
    rows = set()
    for view in (lib.grid, lib.filmstrip):
        area = view.viewport().rect()
        for row in range(lib.model.rowCount()):
            rect = view.visualRect(lib.model.index(row))
            if rect.intersects(area):
                rows.add(row)
            elif rows and rect.top() > area.bottom():
                break
    return rows


def _first_screen(paths, n, cached: bool):
    from iea_desktop.core.thumbnails import ThumbnailCache

    folder = photo_folder(paths["jpeg"])
    app, window = _window()
    lib = window.library
    times, shown = [], 0
    for i in range(n):
        if not cached or i == 0:
            lib.loader.cache = ThumbnailCache(Path(tempfile.mkdtemp(prefix="iea-bench-thumbs-")))
        if cached and i == 0:  # fill the disk cache once; not measured
            lib.open_folder(folder)
            _wait(app, lambda: lib.folder == folder and all(lib.model.has_thumbnail(r) for r in _visible_rows(lib)),
                  "the first thumbnails")
            lib.folder = None
        t0 = time.perf_counter()
        lib.open_folder(folder)
        _wait(app, lambda: lib.folder == folder, "the folder")
        app.processEvents()  # the views lay out and paint: the rows on screen ask for their thumbnails
        rows = _visible_rows(lib)
        _wait(app, lambda rows=rows: all(lib.model.has_thumbnail(r) for r in rows), "the thumbnails")
        times.append(time.perf_counter() - t0)
        shown = len(rows)
        lib.folder = None
    window.close()
    return times, {"photos": COUNT, "thumbnails on the first screen": shown}


def case_library_thumbs_cold(paths, n):
    """Open the folder until every thumbnail on the first screen (grid and filmstrip) is shown,
    with an empty thumbnail cache."""
    return _first_screen(paths, n, cached=False)


def case_library_thumbs_cached(paths, n):
    """... with the thumbnails in the disk cache (a folder opened before; nothing in memory)."""
    return _first_screen(paths, n, cached=True)


def case_library_switch(paths, n):
    """An exposure edit on the open photo, then → in the filmstrip, until the next photo's preview
    is on the canvas (the edit saved to its project on the way). Between photos the background
    work settles (thumbnails, the next photo opened ahead), as it does while a person looks at
    one; ``info`` also gives the switch pressed at once, while that work still runs."""
    from iea_desktop.core.graph import make_node
    from iea_desktop.core.history import AddNode

    folder = photo_folder(paths["jpeg"])
    app, window = _window()
    lib = window.library
    lib.open_folder(folder)
    _wait(app, lambda: lib.folder == folder, "the folder")
    lib.set_grid(False)

    def shown(name: str) -> bool:
        doc, after = window.document, window.canvas.after
        return doc is not None and doc.path.name == name and after is not None and not window.pipeline.busy

    _wait(app, lambda: shown("DSC_0000.jpg"), "the first photo")
    times, hurried = [], []
    for i in range(2 * n):
        paused = i < n
        if paused:
            _wait(app, lambda: lib.loader.pending == 0 and lib.pool.activeThreadCount() == 0, "the background work")
        window.document.apply(AddNode(make_node("exposure", {"value": 20})))
        _wait(app, lambda: not window.pipeline.busy, "the edit's render")
        t0 = time.perf_counter()
        lib.step(1)  # what → on the photo or in the filmstrip does
        _wait(app, lambda name=f"DSC_{i + 1:04}.jpg": shown(name), "the next photo")
        (times if paused else hurried).append(time.perf_counter() - t0)
    window.close()
    for sidecar in folder.glob("*.iea.json"):
        sidecar.unlink()
    hurried.sort()
    return times, {
        "preview": f"{window.canvas.after.pixels.shape[1]}x{window.canvas.after.pixels.shape[0]}",
        "at once (median, max)": f"{hurried[len(hurried) // 2]:.3f}, {hurried[-1]:.3f} s",
    }
