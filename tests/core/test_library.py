"""The library's view of a folder: which photos, sorting, filters, and marks kept in the project."""

from __future__ import annotations

import json
import os

import pytest
from PIL import Image

from iea_desktop.core import library, project
from iea_desktop.core.document import Document
from iea_desktop.core.graph import make_node
from iea_desktop.core.history import AddNode
from iea_desktop.core.library import Filter, scan, set_marks
from iea_desktop.core.project import Marks, ProjectError


def with_date(path, when: str, tag: int = library.DATE_TIME_ORIGINAL) -> None:
    """Rewrite a JPEG with an EXIF date (DateTimeOriginal in the Exif IFD, or DateTime in IFD0)."""
    exif = Image.Exif()
    if tag == library.DATE_TIME:
        exif[tag] = when
    else:
        exif.get_ifd(library.EXIF_IFD)[tag] = when
    with Image.open(path) as img:
        img.load()
        img.save(path, "JPEG", exif=exif.tobytes())


def edit(photo, value: int = 30) -> None:
    doc = Document.open(photo)
    doc.apply(AddNode(make_node("exposure", {"value": value})))
    doc.save()


@pytest.fixture
def folder(make_photo, tmp_path):
    for name in ("IMG_10.jpg", "IMG_2.jpg", "img_1.PNG", "notes.txt", ".hidden.jpg"):
        if name.endswith((".jpg", ".PNG")):
            make_photo(f"shoot/{name}", height=40, width=60)
        else:
            (tmp_path / "shoot" / name).write_text("not a photo")
    (tmp_path / "shoot" / "sub.jpg").mkdir()  # a folder with a photo's name
    return tmp_path / "shoot"


def names(entries) -> list[str]:
    return [e.name for e in entries]


def test_scan_lists_the_photos_by_natural_name(folder):
    assert names(scan(folder)) == ["img_1.PNG", "IMG_2.jpg", "IMG_10.jpg"]


def test_scan_of_a_missing_folder_raises_oserror(tmp_path):
    with pytest.raises(OSError):
        scan(tmp_path / "nowhere")


def test_sort_by_date_taken(folder):
    with_date(folder / "IMG_10.jpg", "2020:01:01 10:00:00")
    with_date(folder / "IMG_2.jpg", "2021:06:01 10:00:00", tag=library.DATE_TIME)
    os.utime(folder / "img_1.PNG", (0, 1_700_000_000))  # no EXIF: its file time, 2023
    entries = scan(folder)
    taken = {e.path: library.date_taken(e.path) for e in entries}
    assert names(library.sort(entries, "date", taken)) == ["IMG_10.jpg", "IMG_2.jpg", "img_1.PNG"]


def test_damaged_exif_date_falls_back_to_the_file_time(folder):
    with_date(folder / "IMG_2.jpg", "yesterday")
    assert library.date_taken(folder / "IMG_2.jpg") == (folder / "IMG_2.jpg").stat().st_mtime


def test_sort_by_last_edited(folder):
    edit(folder / "IMG_10.jpg")
    edit(folder / "img_1.PNG")
    os.utime(project.sidecar_path(folder / "IMG_10.jpg"), (0, 1_000_000_000))  # edited long ago
    entries = library.sort(scan(folder), "edited")
    assert names(entries) == ["img_1.PNG", "IMG_10.jpg", "IMG_2.jpg"]
    with pytest.raises(ValueError, match="unknown sort"):
        library.sort(entries, "size")


def test_filters(folder):
    edit(folder / "IMG_2.jpg")
    set_marks(folder / "IMG_10.jpg", rating=4, flag="picked")
    set_marks(folder / "img_1.PNG", rating=2, flag="rejected")
    entries = scan(folder)

    def shown(rule: Filter) -> list[str]:
        return [e.name for e in entries if rule.matches(e)]

    assert shown(Filter()) == ["img_1.PNG", "IMG_2.jpg", "IMG_10.jpg"]
    assert shown(Filter(edited=True)) == ["IMG_2.jpg"]  # a project with marks only is not an edit
    assert shown(Filter(flag="picked")) == ["IMG_10.jpg"]
    assert shown(Filter(flag="rejected")) == ["img_1.PNG"]
    assert shown(Filter(flag="none")) == ["IMG_2.jpg"]
    assert shown(Filter(min_rating=2)) == ["img_1.PNG", "IMG_10.jpg"]
    assert shown(Filter(min_rating=3, flag="picked")) == ["IMG_10.jpg"]


def test_marks_are_kept_in_the_project_with_the_edits(folder):
    photo = folder / "IMG_2.jpg"
    edit(photo, 40)
    before = json.loads(project.sidecar_path(photo).read_text())
    assert set_marks(photo, rating=5) == Marks(5, "none")
    assert set_marks(photo, flag="picked") == Marks(5, "picked")  # one changes, the other stays
    after = json.loads(project.sidecar_path(photo).read_text())
    assert (after["rating"], after["flag"]) == (5, "picked")
    assert after["graph"] == before["graph"] and after["history"] == before["history"]
    doc = Document.open(photo)
    assert doc.marks == Marks(5, "picked") and doc.graph.nodes[0].params["value"] == 40
    doc.apply(AddNode(make_node("contrast", {"value": 10})))
    doc.save()  # the window's save keeps the marks it read
    assert library.read_entry(photo).marks == Marks(5, "picked")


def test_marking_a_photo_without_a_project_writes_one(folder):
    photo = folder / "IMG_10.jpg"
    set_marks(photo, rating=3)
    entry = library.read_entry(photo)
    assert entry.project_file == project.sidecar_path(photo)
    assert entry.marks == Marks(3, "none") and not entry.edited
    assert Document.open(photo).graph.nodes == []


def test_marks_refuse_impossible_values(folder):
    photo = folder / "IMG_10.jpg"
    for bad in ({"rating": 6}, {"rating": -1}, {"rating": True}, {"rating": 2.0}, {"flag": "maybe"}):
        with pytest.raises(ValueError):
            set_marks(photo, **bad)
    assert not project.sidecar_path(photo).exists()


def test_project_from_before_marks_opens_with_none(folder):
    photo = folder / "IMG_2.jpg"
    old = {
        "schema_version": 1,
        "app": "IEA Desktop",
        "source": {"path": str(photo)},
        "graph": [make_node("exposure", {"value": 20}).to_dict()],
        "history": {},
        "chat": [],
    }
    project.sidecar_path(photo).write_text(json.dumps(old))
    assert Document.open(photo).marks == Marks()
    entry = library.read_entry(photo)
    assert entry.edited and entry.marks == Marks() and not entry.problem
    set_marks(photo, rating=1)
    again = json.loads(project.sidecar_path(photo).read_text())
    assert again["schema_version"] == project.SCHEMA_VERSION and again["rating"] == 1
    assert Document.open(photo).graph.nodes[0].params["value"] == 20


@pytest.mark.parametrize("bad", [{"rating": 9}, {"rating": "5"}, {"rating": False}, {"flag": 1}, {"flag": "star"}])
def test_project_with_impossible_marks_is_refused_and_left_untouched(folder, bad):
    photo = folder / "IMG_2.jpg"
    sidecar = project.sidecar_path(photo)
    sidecar.write_text(json.dumps({"schema_version": 1, "graph": [], **bad}))
    text = sidecar.read_text()
    with pytest.raises(ProjectError, match="damaged project file"):
        project.read_project(sidecar)
    entry = library.read_entry(photo)
    assert entry.problem and entry.marks == Marks()
    set_marks(photo, rating=2)  # goes where the document saves its edits then: not over the damaged file
    assert sidecar.read_text() == text
    assert library.read_entry(photo, project.fallback_path(photo)).marks == Marks(2, "none")


def test_marks_reach_unsaved_edits_a_crash_left(folder):
    photo = folder / "IMG_2.jpg"
    edit(photo, 10)
    doc = Document.open(photo)
    doc.apply(AddNode(make_node("contrast", {"value": 25})))
    auto = doc.autosave()  # then the app died
    os.utime(project.sidecar_path(photo), (0, 1_000_000_000))
    set_marks(photo, rating=4)
    reopened = Document.open(photo)
    assert reopened.recovery_file() == auto  # still offered
    reopened.recover()
    assert reopened.marks == Marks(4, "none") and len(reopened.graph.nodes) == 2


def test_scan_finds_projects_in_the_data_folder(folder):
    photo = folder / "IMG_10.jpg"
    doc = Document.open(photo)
    doc.apply(AddNode(make_node("exposure", {"value": 5})))
    doc.save(project.fallback_path(photo))
    entry = next(e for e in scan(folder) if e.path == photo)
    assert entry.project_file == project.fallback_path(photo) and entry.edited
