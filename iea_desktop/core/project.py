"""Project files: the JSON sidecar that holds a photo's edits, history and chat.

``PHOTO.iea.json`` next to the photo, or in the user data folder when the photo's folder cannot
be written. Writes are atomic (temporary file + rename). A file that cannot be read (damaged, or
from a newer version of the app) is refused with a clear message and never overwritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from .paths import data_dir, ensure

SCHEMA_VERSION = 1
SUFFIX = ".iea.json"


class ProjectError(Exception):
    """A project file that cannot be used; the message is meant for a person."""


def sidecar_path(photo: Path) -> Path:
    return photo.with_name(photo.name + SUFFIX)


def _data_key(photo: Path) -> str:
    return hashlib.sha1(str(photo.resolve()).encode()).hexdigest()[:12] + "-" + photo.name


def fallback_path(photo: Path) -> Path:
    """Where the project goes when the photo's folder is read-only."""
    return data_dir() / "projects" / (_data_key(photo) + SUFFIX)


def autosave_path(photo: Path) -> Path:
    return data_dir() / "autosave" / (_data_key(photo) + SUFFIX)


def find_project(photo: Path) -> Path | None:
    """The existing project of a photo, next to it first, then in the data folder."""
    for candidate in (sidecar_path(photo), fallback_path(photo)):
        if candidate.exists():
            return candidate
    return None


def atomic_write_json(path: Path, data: dict) -> None:
    """Write JSON so a crash leaves either the old file or the new one, never half of one."""
    ensure(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, ensure_ascii=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


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
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProjectError(f"{name}: project file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ProjectError(f"{name}: cannot be read ({error})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ProjectError(f"{name}: damaged project file (invalid JSON at line {error.lineno}); it was left untouched") from None
    if not isinstance(data, dict) or "schema_version" not in data:
        raise ProjectError(f"{name}: not an IEA Desktop project (no schema version); it was left untouched")
    version = data["schema_version"]
    if not isinstance(version, int) or version < 1:
        raise ProjectError(f"{name}: damaged project file (schema version {version!r}); it was left untouched")
    if version > SCHEMA_VERSION:
        raise ProjectError(
            f"{name}: made by a newer IEA Desktop (project schema {version}; this version reads up to "
            f"{SCHEMA_VERSION}); it was left untouched"
        )
    for key, kind in (("graph", list), ("history", dict), ("chat", list), ("source", dict)):
        if key in data and not isinstance(data[key], kind):
            raise ProjectError(f"{name}: damaged project file ({key!r} is not a {kind.__name__}); it was left untouched")
    return data
