"""Batch work on many photos: export them all with one export preset, or change each one's edits.

Each photo is opened, changed and written on its own; a photo that fails (cannot be read, a
damaged project, a full disk...) is reported in its ``FileResult`` and the batch goes on with the
next. ``cancelled`` is polled between photos and inside each render (in worker processes, the
photos being exported finish first); the photos not done are reported as cancelled, and nothing
half-written is ever left (every file is written atomically).

- ``export_photos``: every photo rendered with its own edits (its project, as the window saved it),
  optionally with settings pasted on top (a ``presets.Preset``) and an ``edit`` of each document
  (batch chat: ``agent/batch_chat.py``), then written through ``Document.export``, the one export
  path, into one folder under names made from a template (``ExportPreset.template``). Neither the
  photos nor their projects are written.
- ``edit_photos`` / ``apply_to_photos``: change each photo's project (paste settings onto photos
  that are not open, batch chat in the library), under the project's lock, saved after the change.

Memory: one photo at a time per process (the renderer already uses every core on one photo, and a
big JPEG is rendered and encoded band by band). Measured on 2 cores with 24 MP JPEGs and the 16
tools: two processes, each exporting one photo at a time, are 15-20 % faster than one on an idle
machine (one photo's decoding and file writing overlap the other's rendering) and no slower on a
busy one, at about 0.25 GB each; two
threads in one process were 20-40 % slower than one (the GIL). So plain exports run in
``default_jobs()`` worker processes; exports with an ``edit`` (an assistant, maybe a model in its
own process) run in this process, one photo at a time.

Outputs are idempotent: the same photos, edits and preset write the same bytes to the same names
(clashes are numbered in the photos' order; grain is seeded by node ids, which presets keep). A
re-run overwrites its outputs, or with ``ExportPreset.skip_existing`` leaves every output that
exists alone (to resume a batch that was stopped).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import functools
import multiprocessing
import os
import signal
import string
import time
from collections.abc import Callable, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from . import export, presets, project
from .allocator import keep_freed_memory
from .document import Document
from .export import ExportError, ExportOptions
from .files import InputError
from .image_io import ImageLoadError
from .ops import OpError
from .parallel import cpu_count
from .render import RenderCancelled

WRITTEN, SKIPPED, FAILED, CANCELLED = "written", "skipped", "failed", "cancelled"

# The fields a file-name template may use, and what each is.
TEMPLATE_FIELDS = {
    "name": "the photo's file name without its extension (IMG_0001)",
    "ext": "the photo's extension without the dot (jpg, nef)",
    "index": "the photo's place in the batch, from 1 ({index:03} gives 001)",
    "folder": "the name of the photo's folder (unique names when one process per file writes into one folder)",
}
# Each format's usual extension: the first of export.FORMATS's suffixes for it (.jpg, .png, .tif, .webp).
EXTENSIONS = {fmt: suffix for suffix, fmt in reversed(list(export.FORMATS.items()))}
MAX_JOBS = 2  # worker processes for plain exports (see the module's docstring)


class BatchError(Exception):
    """A batch that cannot start at all (a bad template, an output folder that cannot be made)."""


@dataclass
class FileResult:
    """What happened to one photo of a batch."""

    photo: Path
    status: str  # WRITTEN, SKIPPED, FAILED or CANCELLED
    output: Path | None = None  # the file written (or that would be: skipped, cancelled)
    size: tuple[int, int] | None = None  # the picture written, (width, height)
    error: str = ""  # why it failed: one line for a person
    notes: list[str] = field(default_factory=list)  # things to tell (a damaged project was not used...)
    reply: str = ""  # what the ``edit`` said (the assistant's reply in batch chat)
    seconds: float = 0.0


@dataclass
class BatchReport:
    results: list[FileResult]

    def _having(self, status: str) -> list[FileResult]:
        return [r for r in self.results if r.status == status]

    @property
    def written(self) -> list[FileResult]:
        return self._having(WRITTEN)

    @property
    def skipped(self) -> list[FileResult]:
        return self._having(SKIPPED)

    @property
    def failed(self) -> list[FileResult]:
        return self._having(FAILED)

    @property
    def cancelled(self) -> list[FileResult]:
        return self._having(CANCELLED)

    @property
    def ok(self) -> bool:
        """No photo failed or was left undone."""
        return not self.failed and not self.cancelled

    def summary(self) -> str:
        parts = [f"{len(self.written)} written"]
        for status, items in ((SKIPPED, self.skipped), (FAILED, self.failed), (CANCELLED, self.cancelled)):
            if items:
                parts.append(f"{len(items)} {status}")
        return ", ".join(parts) + f" of {len(self.results)}"


@dataclass
class Progress:
    """Told to ``progress`` twice per photo: when it starts (``result`` None) and when it is done."""

    done: int  # photos finished so far (this one included once its result is there)
    total: int
    photo: Path
    result: FileResult | None = None


ProgressCallback = Callable[[Progress], None]
Edit = Callable[[Document], str | None]  # changes a document; returns a text to report (or None)


# --- export preset and file names -------------------------------------------------------------


def check_template(template: str) -> str:
    """A file-name template: text with ``{name}``, ``{ext}``, ``{index}`` and ``{folder}`` fields (TEMPLATE_FIELDS),
    without the extension (the format gives it). Raises BatchError saying what is wrong."""
    if not isinstance(template, str) or not template.strip():
        raise BatchError("the file-name template is empty; use e.g. {name}-edited")
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as error:
        raise BatchError(f"file-name template {template!r}: {error} (write {{{{ and }}}} for a brace)") from None
    unknown = [f for f in fields if f not in TEMPLATE_FIELDS]
    if unknown:
        raise BatchError(
            f"file-name template {template!r}: unknown field {{{unknown[0]}}}; use "
            + ", ".join("{" + f + "}" for f in TEMPLATE_FIELDS)
        )
    _format_name(template, Path("photo.jpg"), 1)  # a bad format spec ({index:x.y}) says so now
    return template


def _format_name(template: str, photo: Path, index: int) -> str:
    try:
        name = template.format(name=photo.stem, ext=photo.suffix.lstrip("."), index=index, folder=photo.parent.name)
    except (ValueError, TypeError) as error:
        raise BatchError(f"file-name template {template!r}: {error}") from None
    separators = {"/", "\0"} | {s for s in (os.sep, os.altsep) if s}
    if name.strip() in ("", ".", "..") or any(s in name for s in separators):
        raise BatchError(f"file-name template {template!r} makes {name!r} for {photo.name}, which is not a file name")
    return name


@dataclass
class ExportPreset:
    """How a batch is written: the export options (format, quality, bit depth, long edge, output
    sharpening, metadata: ``export.ExportOptions``, the one place they are defined), the file-name
    template, and whether a re-run skips outputs that exist. ``options.format`` None means JPEG.
    Exports are sRGB, the one colour space the renderer makes."""

    options: ExportOptions = field(default_factory=ExportOptions)
    template: str = "{name}"
    skip_existing: bool = False

    def __post_init__(self) -> None:
        check_template(self.template)
        try:
            fmt = export.format_for(
                Path("photo"), dataclasses.replace(self.options, format=self.options.format or "JPEG")
            )
        except ExportError as error:
            raise BatchError(str(error)) from None
        self.options = dataclasses.replace(self.options, format=fmt)
        if self.options.bit_depth not in (8, 16) or (self.options.bit_depth == 16 and fmt != "TIFF"):
            raise BatchError(f"{self.options.bit_depth}-bit export: use 8 bits, or 16 bits with TIFF")
        if not 1 <= self.options.quality <= 100:
            raise BatchError(f"quality must be from 1 to 100, not {self.options.quality}")
        try:
            export.sharpening_amount(self.options)
        except ExportError as error:
            raise BatchError(str(error)) from None
        if self.options.max_edge is not None and self.options.max_edge < 1:
            raise BatchError(f"the long edge must be at least 1 pixel, not {self.options.max_edge}")

    @property
    def suffix(self) -> str:
        return EXTENSIONS[self.options.format or "JPEG"]

    def to_dict(self) -> dict:
        """For the app to remember (``from_dict`` reads it back, checked)."""
        return {**dataclasses.asdict(self.options), "template": self.template, "skip_existing": self.skip_existing}

    @classmethod
    def from_dict(cls, data: object) -> ExportPreset:
        if not isinstance(data, dict):
            raise BatchError("an export preset must be a JSON object")
        names = {f.name for f in dataclasses.fields(ExportOptions)}
        unknown = set(data) - names - {"template", "skip_existing"}
        if unknown:
            raise BatchError(f"export preset: unknown setting {sorted(unknown)[0]!r}")
        kinds = {
            "quality": int,
            "bit_depth": int,
            "keep_metadata": bool,
            "skip_existing": bool,
            "template": str,
            "sharpen": str,
        }
        for key, kind in kinds.items():
            value = data.get(key)
            if key in data and (not isinstance(value, kind) or (kind is int and isinstance(value, bool))):
                raise BatchError(f"export preset: {key} must be {kind.__name__}, not {value!r}")
        edge, fmt = data.get("max_edge"), data.get("format")
        if not (edge is None or (isinstance(edge, int) and not isinstance(edge, bool))) or not (
            fmt is None or isinstance(fmt, str)
        ):
            raise BatchError("export preset: max_edge must be a number of pixels and format a name")
        options = ExportOptions(**{k: v for k, v in data.items() if k in names})
        return cls(options, data.get("template", "{name}"), data.get("skip_existing", False))


def plan_outputs(photos: Sequence[Path], folder: Path, preset: ExportPreset) -> list[Path]:
    """Each photo's output file, in order. Names that clash (two photos called IMG_0001, or an
    output that would be one of the photos themselves) get -2, -3... in the photos' order, so the
    same batch always writes the same names. Names are compared without regard to case."""
    originals = {os.path.normcase(os.path.realpath(p)) for p in photos}
    taken: set[str] = set()
    targets = []
    for index, photo in enumerate(photos, 1):
        stem = _format_name(preset.template, Path(photo), index)
        number = 1
        while True:
            target = folder / f"{stem}{'' if number == 1 else f'-{number}'}{preset.suffix}"
            key = target.name.casefold()
            if key not in taken and os.path.normcase(os.path.realpath(target)) not in originals:
                break
            number += 1
        taken.add(key)
        targets.append(target)
    return targets


# --- running ------------------------------------------------------------------------------------


def describe(error: BaseException) -> str:
    """One line for a person about why a photo failed."""
    if isinstance(error, MemoryError):
        return "not enough memory for this photo and these edits"
    if isinstance(
        error, (ImageLoadError, project.ProjectError, ExportError, OpError, InputError, presets.PresetError, BatchError)
    ):
        return str(error)
    if isinstance(error, OSError):
        where = f"{error.filename}: " if error.filename else ""
        return f"{where}{error.strerror or error}"
    return f"internal error: {type(error).__name__}: {error}"


def _attempt(photo: Path, result: FileResult, work: Callable[[], None]) -> FileResult:
    """Run ``work`` for one photo, turning whatever stops it into ``result``'s status."""
    started = time.perf_counter()
    try:
        work()
        result.status = WRITTEN
    except RenderCancelled:
        result.status = CANCELLED
    except Exception as error:  # one bad photo never stops the batch: it is reported instead
        result.status, result.error = FAILED, describe(error)
    result.seconds = time.perf_counter() - started
    return result


def export_one(
    photo: Path,
    target: Path,
    preset: ExportPreset,
    settings: presets.Preset | None = None,
    edit: Edit | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> FileResult:
    """Open one photo (with its project), paste ``settings``, run ``edit``, export it to ``target``.
    Never raises for a problem with the photo: the result says it."""
    result = FileResult(Path(photo), FAILED, output=target)

    def work() -> None:
        doc = Document.open(photo)
        result.notes.extend(doc.notes)
        if settings is not None:
            presets.apply(doc, settings)
        if edit is not None:
            result.reply = edit(doc) or ""
        if cancelled is not None and cancelled():
            raise RenderCancelled()
        _, result.size = doc.export(target, preset.options, cancelled=cancelled)

    return _attempt(Path(photo), result, work)


def default_jobs(count: int) -> int:
    """Worker processes for ``count`` plain exports: two on a machine of two cores or more (see the
    module's docstring), one for a single photo or a single core."""
    return max(1, min(MAX_JOBS, cpu_count(), count))


def export_photos(
    photos: Sequence[str | os.PathLike],
    folder: str | os.PathLike,
    preset: ExportPreset | None = None,
    settings: presets.Preset | None = None,
    edit: Edit | None = None,
    progress: ProgressCallback | None = None,
    cancelled: Callable[[], bool] | None = None,
    jobs: int | None = None,
) -> BatchReport:
    """Export every photo into ``folder`` (made if missing) with ``preset`` (see the module's
    docstring); ``settings`` are pasted and ``edit`` run on each photo's document first.
    ``jobs``: worker processes (default ``default_jobs``; always 1 with an ``edit``).
    Raises BatchError only when nothing can start (the folder cannot be made)."""
    preset = preset or ExportPreset()
    folder = Path(folder)
    paths = [Path(p) for p in photos]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BatchError(f"{folder}: the output folder cannot be made ({error.strerror or error})") from None
    targets = plan_outputs(paths, folder, preset)
    if edit is not None:
        jobs = 1
    jobs = default_jobs(len(paths)) if jobs is None else max(1, jobs)

    def task(index: int) -> Callable[[], FileResult] | FileResult:
        if preset.skip_existing and targets[index].exists():
            return FileResult(paths[index], SKIPPED, output=targets[index])
        if jobs > 1:  # a picklable call for a worker process (no callbacks: it cannot call back)
            return functools.partial(export_one, paths[index], targets[index], preset, settings)
        return functools.partial(export_one, paths[index], targets[index], preset, settings, edit, cancelled)

    return _run(paths, task, progress, cancelled, jobs, targets)


def _run(
    paths: list[Path],
    task: Callable[[int], Callable[[], FileResult] | FileResult],
    progress: ProgressCallback | None,
    cancelled: Callable[[], bool] | None,
    jobs: int,
    outputs: list[Path] | None = None,
) -> BatchReport:
    """Run each photo's task in order, here or (``jobs`` > 1) in worker processes, telling ``progress``."""
    results: list[FileResult | None] = [None] * len(paths)
    done = 0

    def tell(index: int, result: FileResult | None) -> None:
        nonlocal done
        if result is not None:
            results[index] = result
            done += 1
        if progress is not None:
            progress(Progress(done, len(paths), paths[index], result))

    if jobs > 1 and len(paths) > 1:
        _run_in_workers(paths, task, tell, cancelled, jobs)
    else:
        for index in range(len(paths)):
            if cancelled is not None and cancelled():
                break
            tell(index, None)
            work = task(index)
            tell(index, work if isinstance(work, FileResult) else work())
    return BatchReport(
        [r or FileResult(paths[i], CANCELLED, output=outputs[i] if outputs else None) for i, r in enumerate(results)]
    )


def _start_worker() -> None:
    """In a worker: Ctrl-C is for the batch (which stops handing out photos), not for each worker;
    the allocator set as the command line sets it (``allocator``)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    keep_freed_memory()


def _run_in_workers(paths, task, tell, cancelled, jobs) -> None:
    """At most ``jobs`` photos in flight, each in a worker process ("spawn": a fresh interpreter,
    never a fork of this process's threads). When a worker dies (killed, out of memory), the photo
    longest in flight fails (or the one being handed out, when none is) and a new pool takes the rest."""
    context = multiprocessing.get_context("spawn")
    pending = list(range(len(paths)))
    stopped = "the export process stopped (out of memory?)"
    while pending and not (cancelled is not None and cancelled()):
        with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker) as pool:
            running: dict[concurrent.futures.Future, int] = {}  # in the order they were handed out
            try:
                while pending or running:
                    while pending and len(running) < jobs and not (cancelled is not None and cancelled()):
                        index = pending.pop(0)
                        tell(index, None)
                        work = task(index)
                        if isinstance(work, FileResult):
                            tell(index, work)
                            continue
                        try:
                            running[pool.submit(work)] = index
                        except BrokenProcessPool:
                            pending.insert(0, index)
                            raise
                    if not running:
                        return  # cancelled, or all done
                    finished, _ = concurrent.futures.wait(running, timeout=0.1, return_when="FIRST_COMPLETED")
                    for future in sorted(finished, key=list(running).index):
                        tell(running[future], future.result())  # BrokenProcessPool when its worker died
                        del running[future]
            except BrokenProcessPool:
                for future in [f for f in running if f.done() and f.exception() is None]:
                    tell(running.pop(future), future.result())  # done before the worker died
                in_flight = list(running.values())
                victim = in_flight[0] if in_flight else pending.pop(0)
                pending[:0] = in_flight[1:]  # handed out after it: tried again
                tell(victim, FileResult(paths[victim], FAILED, error=stopped))


# --- changing each photo's project ------------------------------------------------------------


def edit_one(photo: Path, edit: Edit) -> FileResult:
    """Open one photo with its project, run ``edit``, save the project: under the photo's lock (the
    one ``library`` takes to mark it) and the one ``Document.save`` takes for its sidecar
    (``project.locked``), so neither writes the project meanwhile. A photo whose edit fails keeps
    its project as it was."""
    result = FileResult(Path(photo), FAILED)

    def work() -> None:
        with project.locked(photo), project.locked(project.sidecar_path(Path(photo))):
            doc = Document.open(photo)
            result.notes.extend(doc.notes)
            result.reply = edit(doc) or ""
            result.output = doc.save()

    return _attempt(Path(photo), result, work)


def edit_photos(
    photos: Sequence[str | os.PathLike],
    edit: Edit,
    progress: ProgressCallback | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> BatchReport:
    """Run ``edit`` on each photo's document and save its project (``edit_one``), one photo at a
    time; a result's ``output`` is the project file written."""
    paths = [Path(p) for p in photos]
    return _run(paths, lambda index: functools.partial(edit_one, paths[index], edit), progress, cancelled, 1)


def apply_to_photos(
    settings: presets.Preset,
    photos: Sequence[str | os.PathLike],
    progress: ProgressCallback | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> BatchReport:
    """Paste copied settings or a preset onto photos that are not open (sync in the library): one
    undo step in each photo's saved history."""

    def paste(doc: Document) -> str:
        presets.apply(doc, settings)
        return settings.summary()

    return edit_photos(photos, paste, progress, cancelled)
