"""Model files: the catalogue, the folders models are looked for in, and verified downloads.

Folders, in order: ``$IEA_MODEL`` (a file or a folder), the checkout's ``models/``, and the
user data folder's ``models/``. A model's vision projector (mmproj) is found next to it.

Downloads go to the data folder's ``models/``. Each file is written as ``NAME.part``, resumed
with an HTTP Range request after an interruption or a cancel, checked against the catalogue's
size and SHA-256, and only then renamed. The catalogue pins a repository revision, so the bytes
behind a recorded hash cannot change. A file the catalogue has no SHA-256 for is trusted on its
first complete download: its hash goes to ``<data>/models/hashes.json`` and later downloads of
the same address must match it. A file that does not match is deleted, with a message saying so.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import shutil
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..core.paths import data_dir, ensure
from .backends.gguf_inspect import ModelFileError, find_mmproj, inspect_gguf

log = logging.getLogger(__name__)

# The checkout's models/ folder; in a PyInstaller bundle, the copy inside it (sys._MEIPASS).
REPO_MODELS = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parents[2])) / "models"
CATALOG = REPO_MODELS / "catalog.json"
HUB = "https://huggingface.co"  # catalogue files live at HUB/<repo>/resolve/<revision>/<file>
ROLES = ("model", "mmproj")
CHUNK = 1 << 20
DISK_MARGIN = 200_000_000  # bytes a download leaves free (autosaves, projects and the log still need room)
MEMORY_MARGIN = 2_000_000_000  # the app, a photo and the model's context, beside the weights


class DownloadCancelled(ModelFileError):
    """The person cancelled; the ``.part`` file stays and the next download resumes it."""


@dataclass
class ModelEntry:
    name: str
    path: Path
    mmproj_path: Path | None
    size_bytes: int
    dialect: str  # "iea" or "generic"
    catalog_name: str | None = None
    problem: str | None = None  # why this file cannot be used, if it cannot

    @property
    def has_vision(self) -> bool:
        return self.mmproj_path is not None


def model_dirs() -> list[Path]:
    dirs = []
    env = os.environ.get("IEA_MODEL")
    if env and Path(env).is_dir():
        dirs.append(Path(env))
    dirs += [REPO_MODELS, downloads_dir()]
    return dirs


def load_catalog() -> list[dict]:
    """The catalogue's entries. Each file also gets ``url`` (None for an entry without a
    repository: convert it yourself) and ``size_mb``, both derived from the catalogue's fields."""
    try:
        entries = json.loads(CATALOG.read_text(encoding="utf-8"))["models"]
        for entry in entries:
            for f in entry["files"].values():
                remote = f.get("remote", f["name"])  # the name in the repository, when it differs
                f["url"] = f"{HUB}/{entry['repo']}/resolve/{entry['revision']}/{remote}" if entry.get("repo") else None
                f["size_mb"] = round(f["size"] / 1e6)
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return entries


def _catalog_entry_for(file_name: str) -> dict | None:
    return next((e for e in load_catalog() if e["files"]["model"]["name"] == file_name), None)


def paired_mmproj(path: Path, entry: dict | None) -> Path | None:
    """A model's vision projector: its catalogue entry's own when it lies next to it (several
    catalogue models share the downloads folder, and every projector name starts "mmproj-"),
    else the one ``find_mmproj`` picks there."""
    if entry is not None and (path.parent / entry["files"]["mmproj"]["name"]).is_file():
        return path.parent / entry["files"]["mmproj"]["name"]
    return find_mmproj(path)


def describe_model(path: Path) -> ModelEntry:
    entry = _catalog_entry_for(path.name)
    name, dialect = (entry["name"], entry["dialect"]) if entry else (None, None)
    problem = None
    mmproj = None
    try:
        info = inspect_gguf(path)
        mmproj = paired_mmproj(path, entry)
        display = info.name or path.stem
    except ModelFileError as error:
        display, problem = path.stem, str(error)
    if dialect is None:
        dialect = "iea" if "iea" in f"{display} {path.name}".lower() else "generic"
    return ModelEntry(display, path, mmproj, path.stat().st_size, dialect, name, problem)


def list_installed_models() -> list[ModelEntry]:
    """Every GGUF language model found (projector files are paired, not listed)."""
    seen, found = set(), []
    env = os.environ.get("IEA_MODEL")
    candidates = [Path(env)] if env and Path(env).is_file() else []
    for folder in model_dirs():
        if folder.is_dir():
            candidates += sorted(folder.glob("*.gguf"))
    for path in candidates:
        key = path.resolve()
        if key in seen or "mmproj" in path.name.lower():
            continue
        seen.add(key)
        found.append(describe_model(path))
    return found


def catalog_entry(name: str) -> dict:
    for entry in load_catalog():
        if entry["name"] == name:
            return entry
    names = ", ".join(e["name"] for e in load_catalog())
    raise ModelFileError(f"no model called {name!r} in the catalogue; known: {names}")


def downloads_dir() -> Path:
    return data_dir() / "models"


def _partial(target: Path) -> Path:
    return target.with_name(target.name + ".part")


def installed_path(file_name: str) -> Path | None:
    """Where a catalogue file is installed, in any model folder; None when it is not."""
    for folder in model_dirs():
        if (folder / file_name).is_file():
            return folder / file_name
    return None


def partial_bytes(file_name: str) -> int:
    """How much of a file an interrupted download already holds."""
    try:
        return _partial(downloads_dir() / file_name).stat().st_size
    except OSError:
        return 0


def remaining_bytes(entry: dict) -> int:
    """What a download of the entry still has to fetch (installed files and .part files count as had)."""
    return sum(
        max(f["size"] - partial_bytes(f["name"]), 0)
        for f in entry["files"].values()
        if installed_path(f["name"]) is None
    )


def total_memory() -> int | None:
    """This machine's physical memory in bytes (None when the system does not say)."""
    try:
        if sys.platform == "win32":
            import ctypes

            class Status(ctypes.Structure):
                _fields_ = [
                    ("length", ctypes.c_ulong),
                    ("load", ctypes.c_ulong),
                    ("total", ctypes.c_ulonglong),
                    ("avail", ctypes.c_ulonglong),
                    ("page_total", ctypes.c_ulonglong),
                    ("page_avail", ctypes.c_ulonglong),
                    ("virtual_total", ctypes.c_ulonglong),
                    ("virtual_avail", ctypes.c_ulonglong),
                    ("extended", ctypes.c_ulonglong),
                ]

            status = Status(length=ctypes.sizeof(Status))
            return int(status.total) if ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)) else None
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        return None


def memory_needed(entry: dict) -> int:
    """Memory to run the entry on the CPU: its weights and projector, plus MEMORY_MARGIN."""
    return sum(f["size"] for f in entry["files"].values()) + MEMORY_MARGIN


def fits_memory(entry: dict) -> bool | None:
    """Whether this machine's memory holds the model (None when the memory is unknown)."""
    total = total_memory()
    return None if total is None else total >= memory_needed(entry)


def human_size(n: int) -> str:
    """Bytes for people: 2.5 GB, 437 MB, 270 kB."""
    if n >= 1e8:
        return f"{n / 1e9:.1f} GB"
    return f"{n / 1e6:.0f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


def check_disk_space(folder: Path, needed: int) -> None:
    """Refuse, before anything is fetched, a download the disk cannot hold."""
    free = shutil.disk_usage(ensure(folder)).free
    if needed + DISK_MARGIN > free:
        raise ModelFileError(
            f"not enough disk space: the download needs {human_size(needed + DISK_MARGIN)} "
            f"and {folder} has {human_size(free)} free"
        )


def _hashes_file() -> Path:
    return downloads_dir() / "hashes.json"


def recorded_hashes() -> dict[str, str]:
    """SHA-256 of first downloads (trust on first use), by address, for files the catalogue has none for."""
    try:
        data = json.loads(_hashes_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}


def _record_hash(url: str, digest: str) -> None:
    from ..core.project import atomic_write_json

    atomic_write_json(_hashes_file(), {**recorded_hashes(), url: digest})


def _fetch(url: str, partial: Path, size: int, progress, cancel: threading.Event | None) -> None:
    """Append the rest of the file to ``partial`` (all of it when the server ignores the range)."""
    have = partial.stat().st_size if partial.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        response = urllib.request.urlopen(request, timeout=30)
    except urllib.error.HTTPError as error:
        if error.code == 416:  # the server's file ends before our part does: it is not the file we began
            partial.unlink()
            raise ModelFileError(
                f"{partial.name[:-5]} on the server is shorter than the catalogue says; "
                "the partial download was deleted"
            ) from None
        raise
    with response:
        if have and response.status != 206:
            have = 0  # the server ignored the range: start over
        done = have
        if progress:
            progress(done, size)
        with open(partial, "ab" if have else "wb") as handle:
            while chunk := response.read(CHUNK):
                if cancel is not None and cancel.is_set():
                    raise DownloadCancelled(f"download of {partial.name[:-5]} cancelled; it resumes where it stopped")
                handle.write(chunk)
                done += len(chunk)
                if progress:
                    progress(done, size)


def _verify(url: str, partial: Path, size: int, sha256: str | None) -> None:
    """Check a complete ``.part`` against the catalogue (or the first download's hash); delete it if wrong."""
    from ..core.image_io import file_hash

    name = partial.name[:-5]
    have = partial.stat().st_size
    if have < size:
        raise ModelFileError(
            f"{name}: the download stopped at {human_size(have)} of {human_size(size)}; it resumes next time"
        )
    if have > size:
        partial.unlink()
        raise ModelFileError(
            f"{name} is larger than the catalogue says ({have} bytes, expected {size}); "
            "the file was deleted, download it again"
        )
    expected = sha256 or recorded_hashes().get(url)
    digest = file_hash(partial)
    if expected is None:
        _record_hash(url, digest)
        log.info("%s: no SHA-256 in the catalogue; recorded %s from this first download", name, digest)
    elif digest != expected.lower():
        partial.unlink()
        raise ModelFileError(
            f"{name} is damaged: its SHA-256 is {digest}, expected {expected}; the file was deleted, download it again"
        )


def download_file(
    url: str,
    target: Path,
    size: int,
    sha256: str | None,
    progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> Path:
    """Download ``url`` (``size`` bytes) to ``target`` through ``target.part``: resumed, verified, renamed.

    A ``.part`` that is already complete (a crash between download and rename) is verified
    without asking the server again; one longer than ``size`` is not this file and starts over.
    """
    ensure(target.parent)
    partial = _partial(target)
    have = partial.stat().st_size if partial.exists() else 0
    if have > size:
        partial.unlink()
        have = 0
    if have < size:
        _fetch(url, partial, size, progress, cancel)
    elif progress:
        progress(have, size)
    _verify(url, partial, size, sha256)
    os.replace(partial, target)
    return target


def manual_steps(entry: dict) -> str:
    folder = downloads_dir()
    lines = [f"Download these files by hand and put them in {folder} (or in the app's models/ folder):"]
    for role in ROLES:
        f = entry["files"][role]
        lines.append(
            f"  {f['name']}  ({f['size_mb']} MB)  {f['url'] or 'not published: see ' + entry.get('convert', 'models/README.md')}"
        )
    return "\n".join(lines)


def download_model(
    name: str, progress: Callable[[str, int, int], None] | None = None, cancel: threading.Event | None = None
) -> list[Path]:
    """Fetch a catalogue model and its projector into the user data folder; returns both paths.

    Raises ModelFileError (DownloadCancelled when ``cancel`` is set) with a one-line reason.
    """
    entry = catalog_entry(name)
    if any(entry["files"][role]["url"] is None for role in ROLES):
        raise ModelFileError(f"{entry['title']} has no published GGUF; convert it yourself.\n{manual_steps(entry)}")
    folder = downloads_dir()
    check_disk_space(folder, remaining_bytes(entry))
    written = []
    for role in ROLES:
        f = entry["files"][role]
        installed = installed_path(f["name"])
        if installed is not None:
            written.append(installed)
            continue
        report = (lambda done, total, n=f["name"]: progress(n, done, total)) if progress else None
        try:
            written.append(download_file(f["url"], folder / f["name"], f["size"], f["sha256"], report, cancel))
        except urllib.error.HTTPError as error:
            raise ModelFileError(
                f"cannot download {f['name']}: the server answered {error.code} {error.reason}.\n{manual_steps(entry)}"
            ) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException) as error:
            reason = getattr(error, "reason", None) or error
            raise ModelFileError(
                f"cannot download {f['name']} ({reason}). You may be offline; "
                f"a partial download resumes next time.\n{manual_steps(entry)}"
            ) from None
        except OSError as error:
            raise ModelFileError(f"cannot write {folder / f['name']}: {error.strerror or error}") from None
    return written
