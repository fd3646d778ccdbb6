"""The library in the window: a folder as a grid and a filmstrip, switching photos, marks."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from iea_desktop.core import library, project
from iea_desktop.core.document import Document
from iea_desktop.core.graph import make_node
from iea_desktop.core.history import AddNode
from iea_desktop.core.library import PhotoEntry
from iea_desktop.core.project import Marks
from iea_desktop.ui.library import FILTERS, RECENT_FOLDERS
from uihelpers import WAIT_MS, open_folder, wait_rendered


@pytest.fixture
def folder(make_photo, tmp_path) -> Path:
    for i in range(4):
        make_photo(f"shoot/photo_{i}.jpg", height=90, width=120, seed=i, quality=90)
    return tmp_path / "shoot"


def current_name(window) -> str | None:
    path = window.library.current_path()
    return path.name if path else None


def focus(qtbot, window, widget) -> None:
    """Give ``widget`` the keyboard (the keys of the photo go to the focused canvas or list)."""
    window.activateWindow()
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus, timeout=WAIT_MS)


def wait_open(qtbot, window, name: str) -> None:
    qtbot.waitUntil(
        lambda: window.document is not None and window.document.path.name == name and window.open_task is None,
        timeout=WAIT_MS,
    )
    wait_rendered(qtbot, window)


def test_open_folder_shows_the_grid_with_thumbnails(qtbot, window, folder):
    open_folder(qtbot, window, folder)
    lib = window.library
    assert window.center.currentWidget() is lib.page and lib.grid_action.isChecked()
    assert lib.dock.isVisible()
    assert [lib.model.entry(r).name for r in range(lib.model.rowCount())] == [f"photo_{i}.jpg" for i in range(4)]
    qtbot.waitUntil(lambda: all(lib.model.has_thumbnail(r) for r in range(4)), timeout=WAIT_MS)
    assert lib.page.count.text() == "4 photos"
    assert window.settings.recent_files(RECENT_FOLDERS) == [str(folder.resolve())]


def test_arrow_key_switches_and_the_photo_left_keeps_its_edit(qtbot, window, folder):
    open_folder(qtbot, window, folder)
    lib = window.library
    qtbot.keyClick(lib.grid, Qt.Key_Return)  # the current photo (the first) in the editor
    wait_open(qtbot, window, "photo_0.jpg")
    assert window.center.currentWidget() is window.canvas and not lib.grid_action.isChecked()
    window.document.apply(AddNode(make_node("exposure", {"value": 55})))
    assert window.document.dirty

    focus(qtbot, window, lib.filmstrip)
    qtbot.keyClick(lib.filmstrip, Qt.Key_Right)
    wait_open(qtbot, window, "photo_1.jpg")
    assert current_name(window) == "photo_1.jpg"
    saved = Document.open(folder / "photo_0.jpg")  # saved in its own project when it was left
    assert [(n.op, n.params["value"]) for n in saved.graph.nodes] == [("exposure", 55)]
    assert window.document.graph.nodes == []  # the next photo has its own (empty) graph
    qtbot.waitUntil(lambda: lib.model.entry(0).edited, timeout=WAIT_MS)  # the filmstrip knows it is edited

    focus(qtbot, window, window.canvas)  # on the photo, the arrows go on switching
    qtbot.keyClick(window.canvas, Qt.Key_Right)
    wait_open(qtbot, window, "photo_2.jpg")
    qtbot.keyClick(window.canvas, Qt.Key_Left)
    qtbot.keyClick(window.canvas, Qt.Key_Left)
    wait_open(qtbot, window, "photo_0.jpg")
    assert [n.params["value"] for n in window.document.graph.nodes] == [55]  # back with its edit
    assert not project.sidecar_path(folder / "photo_2.jpg").exists()  # an unedited photo gets no project


def test_keys_pressed_while_a_photo_opens_go_to_the_last_one_asked_for(qtbot, window, folder):
    open_folder(qtbot, window, folder)
    lib = window.library
    lib.set_grid(False)
    wait_open(qtbot, window, "photo_0.jpg")
    opened = []
    open_photo = window.open_photo
    window.open_photo = lambda path: opened.append(Path(path).name) or open_photo(path)
    for _ in range(3):
        lib.step(1)  # what each → does, faster than a photo opens
    wait_open(qtbot, window, "photo_3.jpg")
    assert opened == ["photo_1.jpg", "photo_3.jpg"]  # photo_2 was passed while photo_1 opened


def test_sorted_by_last_edited_the_current_photo_stays_current_after_a_save(qtbot, window, folder):
    open_folder(qtbot, window, folder)
    lib = window.library
    lib.page.sort.setCurrentIndex(lib.page.sort.findData("edited"))
    lib.set_grid(False)
    wait_open(qtbot, window, "photo_0.jpg")
    window.document.apply(AddNode(make_node("exposure", {"value": 30})))
    focus(qtbot, window, window.canvas)
    qtbot.keyClick(window.canvas, Qt.Key_3)  # saves the open photo: the view is sorted again
    qtbot.waitUntil(lambda: lib.model.entry(0).edited and lib.model.entry(0).marks.rating == 3, timeout=WAIT_MS)
    assert current_name(window) == "photo_0.jpg"
    lib.step(1)
    wait_open(qtbot, window, "photo_1.jpg")


def test_the_next_photo_is_opened_ahead_and_never_used_out_of_date(qtbot, window, folder):
    open_folder(qtbot, window, folder)
    lib = window.library
    lib.set_grid(False)
    wait_open(qtbot, window, "photo_0.jpg")

    def ahead(name: str):
        qtbot.waitUntil(
            lambda: lib._prefetched is not None and lib._prefetched[0].name == name and lib._prefetched[1].done(),
            timeout=WAIT_MS,
        )
        return lib._prefetched[1].result()[1]

    opened_ahead = ahead("photo_1.jpg")
    lib.step(1)
    wait_open(qtbot, window, "photo_1.jpg")
    assert window.document is opened_ahead  # decoded while photo_0 was looked at

    out_of_date = ahead("photo_2.jpg")
    library.set_marks(folder / "photo_2.jpg", rating=2)  # its project changed since it was opened ahead
    lib.step(1)
    wait_open(qtbot, window, "photo_2.jpg")
    assert window.document is not out_of_date and window.document.marks == Marks(2, "none")


def test_click_in_the_filmstrip_switches(qtbot, window, folder):
    open_folder(qtbot, window, folder)
    lib = window.library
    lib.set_grid(False)
    wait_open(qtbot, window, "photo_0.jpg")
    rect = lib.filmstrip.visualRect(lib.model.index(3))
    qtbot.mouseClick(lib.filmstrip.viewport(), Qt.LeftButton, pos=rect.center())
    wait_open(qtbot, window, "photo_3.jpg")


def test_rating_and_flag_keys_write_the_projects(qtbot, window, folder):
    open_folder(qtbot, window, folder)
    lib = window.library
    lib.set_grid(False)
    wait_open(qtbot, window, "photo_0.jpg")
    focus(qtbot, window, window.canvas)
    qtbot.keyClick(window.canvas, Qt.Key_4)
    qtbot.keyClick(window.canvas, Qt.Key_P)
    assert library.read_entry(folder / "photo_0.jpg").marks == Marks(4, "picked")
    assert window.document.marks == Marks(4, "picked") and not window.document.dirty
    qtbot.waitUntil(lambda: lib.model.entry(0).marks == Marks(4, "picked"), timeout=WAIT_MS)

    lib.set_grid(True)  # in the grid, the keys mark the selected photos
    focus(qtbot, window, lib.grid)
    lib.grid.selectAll()
    qtbot.keyClick(lib.grid, Qt.Key_X)
    qtbot.waitUntil(
        lambda: all(lib.model.entry(r).marks.flag == "rejected" for r in range(lib.model.rowCount())), timeout=WAIT_MS
    )
    qtbot.keyClick(lib.grid, Qt.Key_0)
    qtbot.waitUntil(lambda: all(lib.model.entry(r).marks.rating == 0 for r in range(4)), timeout=WAIT_MS)
    lib.pool.waitForDone(WAIT_MS)
    for i in range(4):
        assert library.read_entry(folder / f"photo_{i}.jpg").marks == Marks(0, "rejected")


def test_filters_and_sort(qtbot, window, folder):
    library.set_marks(folder / "photo_2.jpg", rating=5, flag="picked")
    doc = Document.open(folder / "photo_3.jpg")
    doc.apply(AddNode(make_node("exposure", {"value": 20})))
    doc.save()
    open_folder(qtbot, window, folder)
    lib, page = window.library, window.library.page

    def shown() -> list[str]:
        return [lib.model.entry(r).name for r in range(lib.model.rowCount())]

    page.filter.setCurrentText("Picked")
    assert shown() == ["photo_2.jpg"] and page.count.text() == "1 of 4 photos"
    page.filter.setCurrentText("Edited")
    assert shown() == ["photo_3.jpg"]
    page.filter.setCurrentText("All photos")
    page.rating.setCurrentIndex(page.rating.findData(3))
    assert shown() == ["photo_2.jpg"]
    page.rating.setCurrentIndex(0)
    page.sort.setCurrentIndex(page.sort.findData("edited"))
    assert shown()[0] == "photo_3.jpg"
    assert set(FILTERS) >= {"All photos", "Edited", "Picked", "Rejected", "Unflagged"}


def test_thousands_of_photos_ask_only_for_the_visible_thumbnails(qtbot, window, tmp_path):
    """The model is lazy: a folder of 5000 photos asks for about a screen of thumbnails."""
    lib = window.library
    requested = []
    lib.loader.request = lambda path, project_file: requested.append(path) or []
    entries = [PhotoEntry(tmp_path / f"img_{i:05}.jpg", 1000, 0.0) for i in range(5000)]
    lib.folder = tmp_path
    lib.model.set_entries(entries)
    lib.set_grid(True)
    qtbot.waitUntil(lambda: len(requested) > 0, timeout=WAIT_MS)
    qtbot.wait(100)
    assert 0 < len(requested) < 200
    before = len(requested)
    lib.grid.scrollToBottom()
    qtbot.waitUntil(lambda: any(p.name == "img_04999.jpg" for p in requested), timeout=WAIT_MS)
    assert len(requested) - before < 200


def test_a_photo_that_cannot_be_read_shows_an_error_not_a_crash(qtbot, window, folder):
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff not a jpeg at all")
    open_folder(qtbot, window, folder)
    lib = window.library
    row = lib.model.row_of(folder / "broken.jpg")
    lib.grid.scrollTo(lib.model.index(row))
    qtbot.waitUntil(lambda: lib.model.has_thumbnail(row), timeout=WAIT_MS)
    assert "broken.jpg" in lib.model.index(row).data(lib.model.ERROR_ROLE)
    qtbot.waitUntil(lambda: all(lib.model.has_thumbnail(r) for r in range(lib.model.rowCount())), timeout=WAIT_MS)
    assert [r for r in range(lib.model.rowCount()) if lib.model.index(r).data(lib.model.ERROR_ROLE)] == [row]


def test_a_missing_folder_is_one_message(qtbot, window, tmp_path):
    window.library.open_folder(tmp_path / "gone")
    qtbot.waitUntil(lambda: window.message_box is not None, timeout=WAIT_MS)
    assert "gone" in window.message_box.text()
    assert window.library.folder is None
