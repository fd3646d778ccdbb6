"""Library thumbnails: decoded fast, showing the edited look, cached on disk.

A thumbnail is the photo decoded small the fast way ``image_io.load(fast=True)`` has (a JPEG at
libjpeg's reduced DCT scale, a RAW's embedded preview), with the graph of its project, if it has
one, rendered over it through the document's renderer. Both the plain decode and the edited look
are kept in the cache folder (``paths.cache_dir() / "thumbnails"``), as small JPEGs named by:

- the photo's identity: size, modification time and a hash of its first 64 KB (a file rewritten
  in place, or with its time set back, still reads as new), not its path, so a renamed or copied
  folder stays cached;
- for the edited look, also its project file's path and version (``project.signature``): a saved
  edit makes a new one.

Entries are written atomically (``files.atomic_write``), touched when used, and the least recently
used go once the folder holds more than ``max_bytes``. No Qt: the library's model asks from its
worker threads.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from . import files, image_io, project
from .finish import to_uint8
from .paths import cache_dir

log = logging.getLogger(__name__)

THUMB_EDGE = 256  # pixels on the long side
HEAD_BYTES = 64 * 1024
DEFAULT_CACHE_BYTES = 256 * 1024 * 1024  # about 15,000 thumbnails
CACHE_VERSION = 1  # goes up when what a cached thumbnail holds changes (old entries are then never read)
JPEG_QUALITY = 90


@dataclass(frozen=True)
class Thumbnail:
    pixels: np.ndarray  # uint8 RGB, the long side at most the cache's edge
    edited: bool  # the project's graph was rendered over the photo
    cached: bool  # read from the cache, nothing decoded


def identity(photo: Path) -> str:
    """What tells this version of the file from any other: size, mtime and the first 64 KB.

    Refuses what ``image_io`` refuses to open (folders, FIFOs, devices, oversized files) with an
    ImageLoadError, before a byte is read."""
    try:
        status = files.check_regular(photo, image_io.file_limit(image_io.DEFAULT_MAX_PIXELS))
        with open(photo, "rb") as handle:
            head = handle.read(HEAD_BYTES)
    except files.InputError as error:
        raise image_io.ImageLoadError(photo, error.reason) from None
    except OSError as error:
        raise image_io.ImageLoadError(photo, f"cannot be read ({error.strerror or error})") from None
    digest = hashlib.sha256(head).hexdigest()[:32]
    return f"{status.st_size}-{status.st_mtime_ns}-{digest}"


def _has_edits(project_file: Path) -> bool:
    """Whether a project holds nodes (a project may hold only the library's marks), read without
    opening the photo; a damaged one is left to ``Document.open``, which may find the edits saved
    elsewhere."""
    try:
        return bool(project.read_project(project_file).get("graph"))
    except project.ProjectError:
        return True


class ThumbnailCache:
    """Thumbnails of ``edge`` pixels, kept in ``folder`` up to ``max_bytes``. Safe to call from
    several threads at once (two workers making the same thumbnail write the same bytes)."""

    def __init__(self, folder: Path | None = None, max_bytes: int = DEFAULT_CACHE_BYTES, edge: int = THUMB_EDGE):
        self.folder = Path(folder) if folder is not None else cache_dir() / "thumbnails"
        self.max_bytes = max_bytes
        self.edge = edge
        self._lock = threading.Lock()
        self._total: int | None = None  # bytes in the folder; counted on the first write

    # --- the one call -------------------------------------------------------------------------

    def thumbnail(self, photo: str | os.PathLike, project_file: Path | None = None) -> Thumbnail:
        """The photo's thumbnail with its edits (``project_file``: its project, when the caller
        knows it; else ``project.find_project``). Raises ImageLoadError (one line) for a photo
        that cannot be read or decoded; a project that cannot be read gives the unedited look, as
        the photo opens without its edits then."""
        photo = Path(photo)
        ident = identity(photo)
        project_file = project_file if project_file is not None else project.find_project(photo)
        version = project.signature(project_file) if project_file is not None else None
        if project_file is None or version is None:
            return self._base(photo, ident)
        key = self._key("e", ident, ascii(str(project_file.resolve())), *version)
        pixels = self._read(key)
        if pixels is not None:
            return Thumbnail(pixels, edited=True, cached=True)
        base = self._base(photo, ident)
        edited = self._render_edits(photo, base.pixels) if _has_edits(project_file) else None
        if edited is None:
            return base
        self._write(key, edited)
        return Thumbnail(edited, edited=True, cached=False)

    # --- making them --------------------------------------------------------------------------

    def _base(self, photo: Path, ident: str) -> Thumbnail:
        key = self._key("b", ident)
        pixels = self._read(key)
        if pixels is not None:
            return Thumbnail(pixels, edited=False, cached=True)
        _, image = image_io.load(photo, max_edge=self.edge, fast=True)
        pixels = to_uint8(image)
        self._write(key, pixels)
        return Thumbnail(pixels, edited=False, cached=False)

    def _render_edits(self, photo: Path, base: np.ndarray) -> np.ndarray | None:
        """The photo's graph over its plain thumbnail, as the window's preview renders it; None
        when it has no edits or its project cannot be read."""
        from .document import Document  # the document imports the renderer: only edited photos need it
        from .render import RenderRequest

        try:
            doc = Document.open(photo)
        except (image_io.ImageLoadError, project.ProjectError, OSError) as error:
            log.info("thumbnail of %s without its edits: %s", photo.name, error)
            return None
        if not doc.graph.nodes:
            return None  # the project was refused: the photo opens unedited too
        request = RenderRequest(
            nodes=doc.graph.nodes,
            source=base,
            source_key="thumbnail",
            scale=base.shape[1] / doc.info.width,
            dtype=np.uint8,
            cached=False,
            pipe="thumbnail",
        )
        return image_io.downscale(doc.render(request), self.edge)

    # --- the folder ---------------------------------------------------------------------------

    def _key(self, kind: str, *parts) -> str:
        text = "|".join(str(p) for p in (CACHE_VERSION, self.edge, kind, *parts))
        return hashlib.sha256(text.encode()).hexdigest()[:40]

    def path_of(self, key: str) -> Path:
        """Entries spread over 256 subfolders, so no folder grows long."""
        return self.folder / key[:2] / f"{key}.jpg"

    def _read(self, key: str) -> np.ndarray | None:
        """The cached pixels, or None (absent, or damaged: then made again)."""
        path = self.path_of(key)
        try:
            with Image.open(path) as img:
                pixels = np.asarray(img.convert("RGB"))
            os.utime(path)  # recently used: the last to be pruned
        except (OSError, ValueError, SyntaxError):
            return None
        return pixels

    def _write(self, key: str, pixels: np.ndarray) -> None:
        """Keep ``pixels``; a cache that cannot be written (full disk, read-only) only costs speed."""
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(
            buffer, "JPEG", quality=JPEG_QUALITY, subsampling=0
        )  # 4:4:4: small pictures keep their colour edges
        data = buffer.getvalue()
        try:
            files.atomic_write(self.path_of(key), data, parents=True)
        except OSError as error:
            log.info("thumbnail cache not written: %s", error)
            return
        with self._lock:
            if self._total is None:
                self._total = self._count()
            else:
                self._total += len(data)
            over = self._total > self.max_bytes
        if over:
            self.prune()

    def _entries(self) -> list[os.DirEntry]:
        entries = []
        try:
            folders = [e for e in os.scandir(self.folder) if e.is_dir(follow_symlinks=False)]
        except OSError:
            return []
        for folder in folders:
            try:
                entries += [e for e in os.scandir(folder.path) if e.name.endswith(".jpg")]
            except OSError:
                continue
        return entries

    def _count(self) -> int:
        total = 0
        for entry in self._entries():
            try:
                total += entry.stat().st_size
            except OSError:
                pass
        return total

    def prune(self, keep_fraction: float = 0.8) -> int:
        """Remove the least recently used entries until the folder holds at most ``keep_fraction``
        of ``max_bytes``; returns how many went."""
        sized = []
        for entry in self._entries():
            try:
                status = entry.stat()
            except OSError:
                continue
            sized.append((status.st_mtime_ns, status.st_size, entry.path))
        sized.sort()
        total = sum(size for _, size, _ in sized)
        removed = 0
        for _, size, path in sized:
            if total <= self.max_bytes * keep_fraction:
                break
            try:
                os.unlink(path)
            except OSError:
                continue
            total -= size
            removed += 1
        with self._lock:
            self._total = total
        return removed
