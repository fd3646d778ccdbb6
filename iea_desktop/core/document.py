"""A document: one source photo (never written), its edit graph, history and chat, and its project file."""

from __future__ import annotations

import dataclasses
import functools
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from . import export, image_io, project
from .apply_node import apply_node
from .chat import ChatMessage, chat_from_list
from .finish import to_uint8
from .graph import EditGraph, GraphLimitError, check_node_count
from .history import AddNode, Command, Compound, History, RemoveNode, ReplaceGraph
from .iea_exact import graph_values, render_iea_exact
from .ops import OpError
from .render import Renderer, RenderRequest
from .strips import Sink
from .turns import TurnRecord, add_turn, turns_from_list


class Document:
    def __init__(
        self,
        path: Path,
        info: image_io.PhotoInfo,
        preview_edge: int = image_io.DEFAULT_PREVIEW_EDGE,
        max_pixels: int = image_io.DEFAULT_MAX_PIXELS,
    ):
        self.path = Path(path)
        self.info = info
        self.preview_edge = preview_edge
        self.max_pixels = max_pixels
        self.graph = EditGraph()
        self.history = History(self.graph)
        self.chat: list[ChatMessage] = []  # the conversation with the assistant (``add_chat``)
        self.turns: list[TurnRecord] = []  # what each assistant turn changed (core/turns.py)
        self.marks = project.Marks()  # the library's stars and flag
        self.project_path: Path | None = None  # where Save writes; None = the default sidecar
        # The project file this document last read or wrote, and its version then (None: absent).
        self._project_version: tuple[Path, tuple[int, int, int] | None] | None = None
        self.notes: list[str] = []  # things the person should be told (a refused project, a changed photo)
        self._dirty = False  # see ``dirty``
        self._pipes: dict[str, Renderer] = {}  # one renderer per consumer (``pipe``)
        self.camera = None  # the photo's RAW colour, if it is one (RenderContext.camera)
        self._preview: np.ndarray | None = None
        self._preview_kind = ""
        self._full: np.ndarray | None = None
        self._listeners: list[Callable[[], None]] = []
        stat = self.path.stat()
        # ascii(): a file name that is not valid UTF-8 (surrogates in Python) still makes a cache key
        self._identity = f"{ascii(str(self.path.resolve()))}|{stat.st_mtime_ns}|{stat.st_size}"
        if info.is_raw:  # a RAW's white balance acts in its camera's space, read when a white balance renders
            self.camera = functools.partial(image_io.raw_camera, self.path, self._identity)
        self.history.subscribe(self._on_change)

    # --- opening and saving ------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike, project_file: str | os.PathLike | None = None, **kwargs) -> Document:
        """Open a photo (header only; pixels decode on first use) and its project, if it has one.

        Raises ImageLoadError for a photo that cannot be opened, ProjectError for an explicitly
        given project file that cannot be read. A damaged sidecar found next to the photo is not
        fatal: the photo opens without edits, a note says why, and saves go elsewhere.
        """
        path = Path(path)
        doc = cls(path, image_io.probe(path, kwargs.get("max_pixels", image_io.DEFAULT_MAX_PIXELS)), **kwargs)
        if project_file is not None:
            doc.load_project(Path(project_file))
            doc.project_path = Path(project_file)
            return doc
        existing = project.find_project(path)
        if existing is None:
            doc._project_version = (project.sidecar_path(path), None)  # a sidecar made later is someone else's
        if existing is not None:
            try:
                doc.load_project(existing)
                doc.project_path = existing
            except project.ProjectError as error:
                fallback = project.fallback_path(path)
                if existing != fallback and fallback.exists():
                    try:  # where the edits went the last time this damaged project was refused
                        doc.load_project(fallback)
                        doc.project_path = fallback
                        doc.notes.append(f"{error}. Your edits were opened from {fallback} instead.")
                        return doc
                    except project.ProjectError:
                        existing = fallback  # damaged too: never overwrite it
                doc.project_path = fallback if existing != fallback else existing.with_name(existing.name + ".new")
                doc.notes.append(f"{error}. Your edits will be saved to {doc.project_path} instead.")
        return doc

    def load_project(self, file: Path) -> None:
        version = project.signature(file)
        data = project.read_project(file)
        try:
            graph = EditGraph.from_list(data.get("graph", []))
            self.history.load_dict(data.get("history", {}), original=[])
            if not self.history.entries:
                self.graph.replace_all(graph.nodes)
            elif [n.to_dict() for n in self.graph.nodes] != [n.to_dict() for n in graph.nodes]:
                # The saved graph is authoritative; history states that disagree would be a damaged file.
                raise ValueError("history does not end at the saved graph")
            turns = turns_from_list(data.get("turns", []))
        except (KeyError, TypeError, ValueError, OverflowError) as error:
            self.graph.replace_all([])
            self.history.entries, self.history.position = [], 0
            problem = str(error) if isinstance(error, GraphLimitError) else f"damaged project file ({error})"
            raise project.ProjectError(f"{file.name}: {problem}; it was left untouched") from None
        self.chat = chat_from_list(data.get("chat", []))
        self.turns = turns
        self.marks = project.marks(data)
        self._project_version = (Path(file), version)
        saved_hash = data.get("source", {}).get("sha256")
        if saved_hash and saved_hash != image_io.file_hash(self.path):
            self.notes.append(
                f"{self.path.name} has changed since this project was saved; the edits were applied to the new version."
            )
        self._set_dirty(False)

    def to_dict(self) -> dict:
        return {
            "schema_version": project.SCHEMA_VERSION,
            "app": "IEA Desktop",
            "saved": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "source": {"path": str(self.path.resolve()), "sha256": image_io.file_hash(self.path)},
            "graph": self.graph.to_list(),
            "history": self.history.to_dict(),
            "chat": [m.to_dict() for m in self.chat],
            "turns": [t.to_dict() for t in self.turns],
            **self.marks.to_dict(),
        }

    def save(self, file: Path | None = None, overwrite: bool = False) -> Path:
        """Write the project atomically; returns where it went. Clears the autosave.

        Under the project's lock (the one `iea-desktop edit` holds for its turn): when the file was
        written by someone else since this document read or saved it, ProjectChanged is raised
        instead, unless ``overwrite``, so their changes are never lost without a word.
        """
        target = file or self.project_path or project.sidecar_path(self.path)
        own = target in (project.sidecar_path(self.path), project.fallback_path(self.path))
        with project.locked(self.path if own else target):  # the photo's own projects: the photo's lock
            if not overwrite and self._changed_elsewhere(target):
                raise project.ProjectChanged(
                    f"{target.name} was changed by another program (an `iea-desktop edit`, or another "
                    "window) since you opened it; saving would replace those changes"
                )
            target = project.write_project(self.path, self.to_dict(), preferred=file or self.project_path)
            self._project_version = (target, project.signature(target))
        self.project_path = target
        self._set_dirty(False)
        try:
            project.autosave_path(self.path).unlink()
        except FileNotFoundError:
            pass
        return target

    def _changed_elsewhere(self, target: Path) -> bool:
        """Whether ``target``, a project this document read or wrote (or found absent when it
        opened), is no longer that version. Other files are the caller's choice: not checked."""
        known = self._project_version
        return known is not None and known[0] == target and project.signature(target) != known[1]

    def autosave(self) -> Path:
        """Write the crash-recovery copy (not the project itself)."""
        target = project.autosave_path(self.path)
        project.atomic_write_json(target, self.to_dict())
        return target

    def recovery_file(self) -> Path | None:
        """An autosave newer than the saved project, left by a session that did not save (a crash)."""
        auto = project.autosave_path(self.path)
        if not auto.exists():
            return None
        saved = (
            self.project_path if self.project_path and self.project_path.exists() else project.find_project(self.path)
        )
        if saved is not None and saved.stat().st_mtime >= auto.stat().st_mtime:
            return None
        return auto

    def recover(self) -> None:
        """Load the autosave left by a crash; the project file itself is only written on save."""
        auto = project.autosave_path(self.path)
        known = self._project_version  # the autosave is ours: the project file's version stands
        self.load_project(auto)
        self._project_version = known
        self._set_dirty(True)

    def discard_recovery(self) -> None:
        project.autosave_path(self.path).unlink(missing_ok=True)

    # --- changes -----------------------------------------------------------------------------

    @property
    def dirty(self) -> bool:
        """Whether the document holds changes its project file lacks (the window marks its title
        and asks before they would be lost)."""
        return self._dirty

    def _set_dirty(self, dirty: bool) -> None:
        """The one place ``dirty`` changes, only ever from here: True after a change of the graph (the
        history's), of the chat, the turns or the marks, or a recovered autosave; False once the
        project is read or saved, or the person chose to discard the changes."""
        self._dirty = dirty

    def discard_changes(self) -> None:
        """The person chose not to keep the unsaved changes: the autosave goes, nothing is unsaved."""
        self.discard_recovery()
        self._set_dirty(False)

    def add_chat(self, *messages: ChatMessage) -> None:
        self.chat.extend(messages)
        self._set_dirty(True)

    def add_turn(self, record: TurnRecord) -> None:
        """Record what an assistant turn did (core/turns.py)."""
        add_turn(self.turns, record)
        self._set_dirty(True)

    def set_marks(self, marks: project.Marks) -> None:
        self.marks = marks
        self._set_dirty(True)

    def subscribe(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def _on_change(self) -> None:
        self._set_dirty(True)
        for listener in list(self._listeners):
            listener()

    def apply(self, command: Command) -> None:
        """Run a command through the history. One that would take the graph past ``graph.MAX_NODES``
        nodes raises GraphLimitError before it changes anything."""
        check_node_count(_count_after(command, len(self.graph)))
        self.history.push(command)

    # --- pixels ------------------------------------------------------------------------------

    def source_key(self, kind: str, shape: tuple) -> str:
        """Identifies the decoded pixels for the render cache (the photo as it was when opened)."""
        return f"{self._identity}|{kind}|{shape}"

    def quick_preview(self) -> np.ndarray:
        """The fastest preview to show: JPEG decoded at reduced scale, RAW's embedded preview."""
        if self._preview is None:
            _, self._preview = image_io.load(self.path, self.max_pixels, max_edge=self.preview_edge, fast=True)
            self._preview_kind = "quick"
        return self._preview

    def refine_preview(self) -> bool:
        """Replace a RAW's embedded preview with a half-size develop; True if the preview changed."""
        if not self.info.is_raw or self._preview_kind == "developed":
            return False
        _, self._preview = image_io.load(
            self.path, self.max_pixels, max_edge=self.preview_edge, fast=True, embedded_ok=False
        )
        self._preview_kind = "developed"
        return True

    def preview_source(self) -> np.ndarray:
        return self.quick_preview()

    def preview_key(self) -> str:
        """The preview proxy's cache key, as ``render`` hands it to the pipes: work over the preview
        outside a render (the mask overlay's plane) shares their caches with it."""
        source = self.preview_source()  # first: it sets the preview's kind
        return self.source_key(self._preview_kind, source.shape)

    def full_source(self) -> np.ndarray:
        if self._full is None:
            _, self._full = image_io.load(self.path, self.max_pixels)
        return self._full

    @property
    def preview_scale(self) -> float:
        return self.preview_source().shape[1] / self.info.width

    # Render cache sizes by consumer: the canvas's slider drags reuse every step of the preview;
    # the before view, the assistant's small renders, the clipping's half-size frames without the
    # effects (histogram.EffectsOff: about eight of them) and the exports keep little or nothing.
    PIPE_CACHE_BYTES = {
        "preview": 384 * 1024 * 1024,
        "before": 64 * 1024 * 1024,
        "assistant": 32 * 1024 * 1024,
        "clipping": 48 * 1024 * 1024,
    }

    def pipe(self, name: str) -> Renderer:
        """The renderer of one consumer ("preview", "before", "assistant", "clipping", "export", ...),
        made on first use: each has its own render cache and its own idea of the node being edited (as darktable
        has one pixel pipe per view), so one consumer's renders never evict another's steps or
        change how another's next render is planned. They share only the decoded sources."""
        if name not in self._pipes:
            self._pipes[name] = Renderer(self.PIPE_CACHE_BYTES.get(name, 0), camera=self.camera)
        return self._pipes[name]

    def render(self, request: RenderRequest) -> np.ndarray:
        """Run ``request`` on its consumer's pipe and return the pixels (a request with a sink goes
        to ``render_export``). Without a source, the preview proxy (and its cache key); without a
        scale, the source's width over the photo's. ``source_key`` then names what the source is
        made from (e.g. "stats"): the photo's identity and the size are added to it."""
        if request.sink is not None:
            raise ValueError("a render with a sink returns nothing: use render_export")
        pixels = self._run(request)
        assert pixels is not None  # only a sink takes them instead
        return pixels

    def _run(self, request: RenderRequest) -> np.ndarray | None:
        source, key = request.source, request.source_key
        if source is None:
            source, full_key = self.preview_source(), self.preview_key()
        else:
            full_key = self.source_key(key, source.shape)
        scale = source.shape[1] / self.info.width if request.scale is None else request.scale
        return self.pipe(request.pipe).run(
            dataclasses.replace(request, source=source, scale=scale, source_key=full_key)
        )

    def render_preview(self, cancelled=None, nodes=None, dtype=np.float32) -> np.ndarray:
        """The preview proxy rendered (with the render cache): float32, or uint8 as the canvas shows it."""
        return self.render(
            RenderRequest(nodes=self.graph.nodes if nodes is None else nodes, cancelled=cancelled, dtype=dtype)
        )

    def render_export(
        self, cancelled=None, rgbx: bool = False, source: np.ndarray | None = None, sink=None
    ) -> np.ndarray | None:
        """Full resolution in 8 bits (uint8 RGB, or RGBX with ``rgbx``: see ``finish.output``), the
        same pixels as ``to_uint8(render_full())``.

        An 8-bit photo is decoded to 8 bits and turned into floats band by band while rendering, so
        no picture-sized float array is made: about 2 x 288 MB less memory to touch at 24 MP
        (docs/performance.md). A photo already decoded in floats (1:1 zoom) is rendered from those.
        ``source``: this photo as ``image_io.load(path, keep_8bit=True)`` decoded it (the command
        line starts that early, see ``image_io.load_in_background``). ``sink``: the result goes
        there band by band instead of being returned (``RenderRequest.sink``).
        """
        if source is None:
            source = self._full
        if source is None:
            _, source = image_io.load(self.path, self.max_pixels, keep_8bit=True)
        return self._run(
            RenderRequest(
                nodes=self.graph.nodes,
                source=source,
                source_key="full",
                scale=1.0,
                cancelled=cancelled,
                cached=False,
                dtype=np.uint8,
                rgbx=rgbx,
                sink=sink,
                pipe="export",
            )
        )

    def output_size(self, max_edge: int | None = None) -> tuple[int, int]:
        """(width, height) of the full-resolution render, after crop, rotate and straighten (and
        ``max_edge``, as an export resizes it), worked out from the geometry ops' ``size`` without rendering."""
        width, height = self.info.width, self.info.height
        for node in self.graph.active_nodes():
            if node.spec.size is not None:
                width, height = node.spec.size(node.params, width, height)
        return image_io.downscaled_size(width, height, max_edge) if max_edge else (width, height)

    def export(
        self,
        target: str | os.PathLike,
        options: export.ExportOptions | None = None,
        cancelled=None,
        source: np.ndarray | None = None,
        iea_exact: bool = False,
    ) -> tuple[Path, tuple[int, int]]:
        """Render at full resolution and write ``target`` (see export.py); returns the path written
        and the picture's size (width, height). The one export path: the dialog and the command line.

        8-bit files at full size render from the photo's 8 bits (``render_export``, with ``source``
        as there), and big JPEGs are rendered and encoded at once, band by band, never whole in
        memory (``export.write_streamed``); 16-bit and resized files need the float render, and a
        resized one is rendered at full size, then downscaled. ``iea_exact``: as ``render_full``.
        """
        options = options or export.ExportOptions()
        eight_bit = export.full_size_8_bit(options) and not iea_exact
        if eight_bit and export.streams(target, options, self.info.width * self.info.height):

            def render(sink: Sink) -> None:
                self.render_export(cancelled, source=source, sink=sink)

            return export.write_streamed(render, target, options, exif=self.info.exif, source=self.path)
        if eight_bit:
            pixels = self.render_export(cancelled, rgbx=True, source=source)
            assert pixels is not None  # no sink: returned
        else:
            pixels = self.render_full(cancelled, iea_exact=iea_exact)
        if options.max_edge:
            pixels = image_io.downscale(pixels, int(options.max_edge))
            options = dataclasses.replace(options, max_edge=None)
        written = export.write_image(pixels, target, options, exif=self.info.exif, source=self.path)
        return written, (pixels.shape[1], pixels.shape[0])

    def render_full(self, cancelled=None, iea_exact: bool = False, use_cache: bool = False) -> np.ndarray:
        """Full resolution (export). ``iea_exact``: the 16 tools through the IEA reference pipeline."""
        source = self.full_source()
        if iea_exact:
            return render_graph_iea_exact(source, self.graph.nodes)
        return self.render(
            RenderRequest(
                nodes=self.graph.nodes,
                source=source,
                source_key="full",
                scale=1.0,
                cancelled=cancelled,
                cached=use_cache,
                pipe="export",
            )
        )


def _count_after(command: Command, count: int) -> int:
    """How many nodes a graph of ``count`` nodes holds after ``command``."""
    if isinstance(command, AddNode):
        return count + 1
    if isinstance(command, RemoveNode):
        return count - 1
    if isinstance(command, ReplaceGraph):
        return len(command.nodes)
    if isinstance(command, Compound):
        for part in command.commands:
            count = _count_after(part, count)
    return count


def render_graph_iea_exact(source: np.ndarray, nodes) -> np.ndarray:
    """Geometry in float, then the 16 tools' values through the IEA reference pipeline (8-bit)."""
    masked = [node.label for node in nodes if node.enabled and node.mask is not None]
    if masked:
        raise OpError(
            "--iea-exact renders the IEA reference's pipeline, which has no masks; this edit has masked "
            f"adjustments ({', '.join(masked)}). Render without --iea-exact, or remove their masks."
        )
    image = source
    for node in nodes:
        if node.enabled and node.spec.stage == "geometry" and not node.spec.is_identity(node.params):
            image = apply_node(image, node, 1.0)
    values, seed = graph_values(nodes)
    out = render_iea_exact(to_uint8(image), values, seed=seed)
    return out.astype(np.float32) / np.float32(255)
