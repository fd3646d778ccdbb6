"""Project files: the JSON sidecar that holds a photo's edits, history, chat and assistant turns.

``PHOTO.iea.json`` next to the photo, or in the user data folder when the photo's folder cannot
be written. Writes are atomic (``files.atomic_write``). A file that cannot be read (damaged, not a
regular file, over MAX_BYTES, or from a newer version of the app) is refused with a clear message
and never overwritten. ``locked`` keeps a read-modify-write (open, turn, save) to one process at a
time.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from . import files
from .paths import data_dir

# A schema version goes up when an older app would misread a project; keys an older app can ignore
# (the library's "rating" and "flag") come without one, and their absence means their default.
SCHEMA_VERSION = 2  # 2: a node may carry a mask (an older app would have dropped it and edited everywhere)
SUFFIX = ".iea.json"
MAX_BYTES = 64_000_000  # a project of a long session is well under 1 MB
LOCK_TIMEOUT = 120.0  # seconds a second edit waits for the first one's turn (a model's turn can be long)


FLAGS = ("none", "picked", "rejected")
MAX_RATING = 5


class ProjectError(Exception):
    """A project file that cannot be used; the message is meant for a person."""


@dataclass(frozen=True)
class Marks:
    """What the library marks a photo with: 0-5 stars and a flag (``FLAGS``), kept in its project."""

    rating: int = 0
    flag: str = "none"

    def to_dict(self) -> dict:
        return {"rating": self.rating, "flag": self.flag}


def marks(data: dict) -> Marks:
    """The marks of a project ``read_project`` accepted (a project from before them has none: 0, "none")."""
    return Marks(data.get("rating", 0), data.get("flag", "none"))


def sidecar_path(photo: Path) -> Path:
    return photo.with_name(photo.name + SUFFIX)


def _data_key(photo: Path) -> str:
    """A file name for the photo's files in the data folder. The path's bytes (os.fsencode) are
    hashed, so a name that is not valid UTF-8 (old cameras, Windows shares, ZIPs) works too."""
    return hashlib.sha1(os.fsencode(photo.resolve())).hexdigest()[:12] + "-" + photo.name


def fallback_path(photo: Path) -> Path:
    """Where the project goes when the photo's folder is read-only."""
    return data_dir() / "projects" / (_data_key(photo) + SUFFIX)


def autosave_path(photo: Path) -> Path:
    return data_dir() / "autosave" / (_data_key(photo) + SUFFIX)


def find_project(photo: Path) -> Path | None:
    """The existing project of a photo, next to it first, then in the data folder."""
    for candidate in (sidecar_path(photo), fallback_path(photo)):
        files.remove_stale_temporaries(candidate)  # left by a save that was killed
        if candidate.exists():
            return candidate
    return None


def atomic_write_json(path: Path, data: dict) -> Path:
    """Write JSON so a crash leaves either the old file or the new one, never half of one
    (``files.atomic_write``: the folder is created, a symlink is written through). Raises
    ``files.WriteError`` (an OSError) when the file cannot be written, ProjectError for a value
    JSON cannot hold."""
    try:
        payload = files.json_bytes(data, Path(path).name)
    except files.InputError as error:
        raise ProjectError(str(error)) from None
    return files.atomic_write(path, payload, parents=True)


def write_project(photo: Path, data: dict, preferred: Path | None = None) -> Path:
    """Save next to the photo (or at ``preferred``); fall back to the data folder if that folder is read-only."""
    target = preferred or sidecar_path(photo)
    try:
        atomic_write_json(target, data)
        return target
    except OSError as error:
        chosen = preferred is not None and preferred != sidecar_path(photo)  # a file the person picked: no detour
        if chosen or not (isinstance(error, PermissionError) or error.errno in (13, 30)):  # EACCES, EROFS
            raise
    target = fallback_path(photo)
    atomic_write_json(target, data)
    return target


def read_project(path: Path) -> dict:
    """Parse and check a project file; ProjectError says what is wrong with it."""
    name = Path(path).name
    files.remove_stale_temporaries(path)
    try:
        raw = files.read_regular(path, MAX_BYTES, name)
    except files.InputError as error:
        raise ProjectError(f"{name}: cannot be read ({error.reason})") from None
    try:
        data = files.load_json(raw, name)
    except files.InputError as error:
        raise ProjectError(f"{name}: damaged project file ({error.reason}); it was left untouched") from None
    if not isinstance(data, dict) or "schema_version" not in data:
        raise ProjectError(f"{name}: not an IEA Desktop project (no schema version); it was left untouched")
    version = data["schema_version"]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:  # True is an int to Python
        raise ProjectError(f"{name}: damaged project file (schema version {version!r}); it was left untouched")
    if version > SCHEMA_VERSION:
        raise ProjectError(
            f"{name}: made by a newer IEA Desktop (project schema {version}; this version reads up to "
            f"{SCHEMA_VERSION}); it was left untouched"
        )
    for key, kind in (("graph", list), ("history", dict), ("chat", list), ("turns", list), ("source", dict)):
        if key in data and not isinstance(data[key], kind):
            raise ProjectError(
                f"{name}: damaged project file ({key!r} is not a {kind.__name__}); it was left untouched"
            )
    rating, flag = data.get("rating", 0), data.get("flag", "none")
    if type(rating) is not int or not 0 <= rating <= MAX_RATING or flag not in FLAGS:  # True is an int too
        raise ProjectError(
            f"{name}: damaged project file (rating {rating!r} / flag {flag!r}: 0-{MAX_RATING} stars, "
            f"flag one of {', '.join(FLAGS)}); it was left untouched"
        )
    return data


class ProjectLocked(ProjectError):
    """Another process (or window) is changing this project."""


class ProjectChanged(ProjectError):
    """The project file was written by someone else (an `iea-desktop edit`, another window) since
    this document read or saved it: saving now would lose their changes."""


def signature(path: Path) -> tuple[int, int, int] | None:
    """What tells one version of a file from the next (an atomic save makes a new inode), or None."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_ino, status.st_mtime_ns, status.st_size


# Locks this process holds, by lock file and thread, with how deep: a save inside `edit`'s own lock
# (the same thread) goes on instead of waiting for itself (an OS lock taken twice blocks).
_held: dict[tuple[Path, int], int] = {}
_held_guard = threading.Lock()


def lock_path(path: Path) -> Path:
    """The lock file of a photo's projects, or of an explicitly chosen project file: in the data
    folder (the photo's folder may be read-only, and stays free of lock files). A photo's sidecar
    has its photo's lock, so whoever names either (the library marks the photo, a save writes the
    sidecar, `edit --project` may name it) waits for the other."""
    path = Path(path)
    if path.name.endswith(SUFFIX) and path.with_name(path.name[: -len(SUFFIX)]).is_file():
        path = path.with_name(path.name[: -len(SUFFIX)])
    return data_dir() / "locks" / (_data_key(path) + ".lock")


@contextlib.contextmanager
def locked(path: str | os.PathLike, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the project of ``path`` (a photo, for its sidecar and data-folder project; or a project
    file given explicitly) for a read-modify-write: open, change, save inside the ``with``.

    A second holder waits up to ``timeout`` seconds, then ProjectLocked says who holds it. A
    process that dies releases it (an OS lock; see files.file_lock).
    """
    path = Path(path)
    key = (lock_path(path), threading.get_ident())
    with _held_guard:
        if key in _held:
            _held[key] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _held_guard:
                _held[key] -= 1
        return
    try:
        with files.file_lock(key[0], timeout):
            with _held_guard:
                _held[key] = 1
            try:
                yield
            finally:
                with _held_guard:
                    del _held[key]
    except files.LockTimeout as error:
        raise ProjectLocked(
            f"{path.name}: another IEA Desktop is changing this project ({error.strerror}); "
            "try again when it has finished"
        ) from None
