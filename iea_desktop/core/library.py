"""A folder of photos as the library shows it: which photos, sorted and filtered, with their marks.

Each photo's stars and flag live in its own project file (``project.Marks``), next to its edits;
marking a photo that has no project yet writes one that holds only the marks. No Qt: the window's
library model runs ``scan`` and ``date_taken`` in worker threads.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from PIL import Image

from . import image_io, project

SORTS = {"name": "Name", "date": "Date taken", "edited": "Last edited"}
SUPPORTED = frozenset(image_io.OPEN_FILTER_EXTENSIONS)
EXIF_IFD, DATE_TIME_ORIGINAL, DATE_TIME = 0x8769, 0x9003, 0x0132


@dataclass(frozen=True)
class PhotoEntry:
    """One photo of the folder and what the library knows of it without decoding it."""

    path: Path
    size: int
    mtime: float
    project_file: Path | None = None  # its project, if it has one
    edited: bool = False  # the project holds at least one adjustment
    edited_at: float = 0.0  # when the project was last written
    marks: project.Marks = field(default_factory=project.Marks)
    problem: str = ""  # why its project could not be read (the marks then show their defaults)

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class Filter:
    """Which photos show: ``edited`` only the edited ones; ``flag`` one of ``project.FLAGS`` (None:
    any); ``min_rating`` at least that many stars."""

    edited: bool = False
    flag: str | None = None
    min_rating: int = 0

    def matches(self, entry: PhotoEntry) -> bool:
        return (
            (not self.edited or entry.edited)
            and (self.flag is None or entry.marks.flag == self.flag)
            and entry.marks.rating >= self.min_rating
        )


def is_photo(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED and not path.name.startswith(".")


def scan(folder: str | os.PathLike) -> list[PhotoEntry]:
    """The folder's photos (the extensions ``image_io`` opens; not its subfolders), by name, with
    their projects read. Raises OSError when the folder cannot be listed.

    One listing of the folder and one of the data folder's projects find every photo's project
    (``project.find_project`` per photo would list the folder once per photo)."""
    folder = Path(folder)
    listing = {entry.name: entry for entry in os.scandir(folder)}
    fallbacks = project.fallback_path(folder / "x").parent
    try:
        saved_elsewhere = set(os.listdir(fallbacks))
    except OSError:
        saved_elsewhere = set()
    entries = []
    for name, item in listing.items():
        path = folder / name
        if not is_photo(path):
            continue
        try:
            if not item.is_file():
                continue
            status = item.stat()
        except OSError:
            continue
        sidecar, fallback = project.sidecar_path(path), project.fallback_path(path)
        found = sidecar if sidecar.name in listing else fallback if fallback.name in saved_elsewhere else None
        entries.append(read_entry(path, found, status))
    return sort(entries, "name")


def read_entry(photo: Path, project_file: Path | None = None, status: os.stat_result | None = None) -> PhotoEntry:
    """``photo``'s entry, its project read (``project_file``, or looked for)."""
    status = status or photo.stat()
    entry = PhotoEntry(photo, status.st_size, status.st_mtime)
    project_file = project_file or project.find_project(photo)
    if project_file is None:
        return entry
    try:
        data = project.read_project(project_file)
        edited_at = project_file.stat().st_mtime
    except (project.ProjectError, OSError) as error:
        return replace(entry, project_file=project_file, problem=str(error))
    return replace(
        entry, project_file=project_file, edited=bool(data.get("graph")), edited_at=edited_at, marks=project.marks(data)
    )


def _natural(name: str) -> list:
    """IMG_2 before IMG_10: digits compare as numbers, letters without case."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", name.casefold())]


def sort(entries: list[PhotoEntry], by: str, taken: dict[Path, float] | None = None) -> list[PhotoEntry]:
    """By ``by`` (a key of SORTS): name; date taken (``taken``: from ``date_taken``, oldest
    first); last edited (newest first, the unedited after them). Ties go by name."""
    if by not in SORTS:
        raise ValueError(f"unknown sort {by!r}: one of {', '.join(SORTS)}")
    by_name = sorted(entries, key=lambda e: _natural(e.name))
    if by == "date":
        taken = taken or {}
        return sorted(by_name, key=lambda e: taken.get(e.path, e.mtime))
    if by == "edited":
        return sorted(by_name, key=lambda e: -e.edited_at if e.edited else float("inf"))
    return by_name


def date_taken(photo: Path) -> float:
    """When the photo was taken (EXIF DateTimeOriginal, else DateTime), as a timestamp; the file's
    modification time when it has neither or cannot be read."""
    try:
        info = image_io.probe(photo)
    except (image_io.ImageLoadError, OSError):
        info = None
    if info is not None and info.exif:
        exif = Image.Exif()
        try:
            exif.load(info.exif)
            text = exif.get_ifd(EXIF_IFD).get(DATE_TIME_ORIGINAL) or exif.get(DATE_TIME)
            if isinstance(text, str):
                return datetime.strptime(text.strip("\x00 "), "%Y:%m:%d %H:%M:%S").timestamp()
        except (ValueError, OSError, SyntaxError):
            pass  # damaged or unusual EXIF: the file's time
    try:
        return photo.stat().st_mtime
    except OSError:
        return 0.0


def set_marks(photo: Path, rating: int | None = None, flag: str | None = None) -> project.Marks:
    """Give ``photo`` these stars and/or this flag, in its project (read and written whole, so its
    edits, history and chat stay as they are; a photo without a project gets one). Edits a crash
    left unsaved (the autosave) get the marks too and are still offered when the photo opens.
    Raises ProjectError (a damaged project stays untouched: the marks go where the document saves
    its edits then), ImageLoadError, or OSError when it cannot be written. Not for the photo open
    in the window: its document writes its project (``Document.marks``, then save)."""
    from .document import Document  # the document imports the renderer: only marking needs it

    if rating is not None and (type(rating) is not int or not 0 <= rating <= project.MAX_RATING):
        raise ValueError(f"a rating is 0-{project.MAX_RATING} stars, not {rating!r}")
    if flag is not None and flag not in project.FLAGS:
        raise ValueError(f"a flag is one of {', '.join(project.FLAGS)}, not {flag!r}")

    def marked(old: project.Marks) -> project.Marks:
        return project.Marks(old.rating if rating is None else rating, old.flag if flag is None else flag)

    with project.locked(photo):
        doc = Document.open(photo)
        recovery = doc.recovery_file()
        doc.marks = marked(doc.marks)
        project.write_project(photo, doc.to_dict(), preferred=doc.project_path)
        if recovery is not None:  # written after the project, so it stays the newer one
            data = project.read_project(recovery)
            project.atomic_write_json(recovery, {**data, **marked(project.marks(data)).to_dict()})
    return doc.marks
