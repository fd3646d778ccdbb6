"""Model files: the catalogue, the folders models are looked for in, and downloads.

Folders, in order: ``$IEA_MODEL`` (a file or a folder), the checkout's ``models/``, and the
user data folder's ``models/``. A model's vision projector (mmproj) is found next to it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..core.paths import data_dir, ensure
from .backends.gguf_inspect import ModelFileError, find_mmproj, inspect_gguf

# The checkout's models/ folder; in a PyInstaller bundle, the copy inside it (sys._MEIPASS).
REPO_MODELS = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parents[2])) / "models"
CATALOG = REPO_MODELS / "catalog.json"


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
    dirs += [REPO_MODELS, data_dir() / "models"]
    return dirs


def load_catalog() -> list[dict]:
    try:
        return json.loads(CATALOG.read_text(encoding="utf-8"))["models"]
    except (OSError, ValueError, KeyError):
        return []


def _catalog_name(file_name: str) -> tuple[str | None, str | None]:
    for entry in load_catalog():
        if entry["files"]["model"]["name"] == file_name:
            return entry["name"], entry["dialect"]
    return None, None


def describe_model(path: Path) -> ModelEntry:
    name, dialect = _catalog_name(path.name)
    problem = None
    mmproj = None
    try:
        info = inspect_gguf(path)
        mmproj = find_mmproj(path)
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


def download_file(url: str, target: Path, sha256: str | None, progress: Callable[[int, int | None], None] | None = None) -> Path:
    """Resumable download into target (a .part file until complete), checksum verified when known."""
    ensure(target.parent)
    partial = target.with_name(target.name + ".part")
    start = partial.stat().st_size if partial.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={start}-"} if start else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        if start and response.status != 206:
            start = 0  # the server ignored the range: start over
        total = response.length + start if response.length is not None else None
        with open(partial, "ab" if start else "wb") as handle:
            done = start
            while chunk := response.read(1 << 20):
                handle.write(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
    if sha256:
        digest = hashlib.sha256()
        with open(partial, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        if digest.hexdigest() != sha256:
            partial.unlink()
            raise ModelFileError(f"{target.name}: checksum mismatch after download; the file was deleted, try again")
    os.replace(partial, target)
    return target


def manual_steps(entry: dict) -> str:
    folder = data_dir() / "models"
    lines = [f"Download these files by hand and put them in {folder} (or in the app's models/ folder):"]
    for role in ("model", "mmproj"):
        f = entry["files"][role]
        lines.append(f"  {f['name']}  ({f['size_mb']} MB)  {f['url'] or 'not published: see ' + entry.get('convert', 'models/README.md')}")
    return "\n".join(lines)


def download_model(name: str, progress: Callable[[str, int, int | None], None] | None = None) -> list[Path]:
    """Fetch a catalogue model and its projector into the user data folder."""
    entry = catalog_entry(name)
    if any(entry["files"][role]["url"] is None for role in ("model", "mmproj")):
        raise ModelFileError(f"{entry['title']} has no published GGUF; convert it yourself.\n{manual_steps(entry)}")
    folder = data_dir() / "models"
    written = []
    for role in ("model", "mmproj"):
        f = entry["files"][role]
        target = folder / f["name"]
        if target.exists():
            written.append(target)
            continue
        try:
            written.append(download_file(f["url"], target, f["sha256"],
                                         (lambda done, total, n=f["name"]: progress(n, done, total)) if progress else None))
        except (urllib.error.URLError, OSError, TimeoutError) as error:
            reason = getattr(error, "reason", None) or error
            raise ModelFileError(f"cannot download {f['name']} ({reason}). You may be offline; "
                                 f"a partial download resumes next time.\n{manual_steps(entry)}") from None
    return written
