"""Presets and copied settings: a named set of adjustments, applied to any photo in one undo step.

A ``Preset`` is a list of nodes (the dicts a project stores, ``Node.to_dict``, read back through
``EditGraph.from_list`` exactly as a project's are) and the ops it covers. Applying it to a photo
(``apply_command``) takes the photo's nodes of those ops out and puts the preset's in at their
canonical pipeline positions, as one ``Compound`` on the history: one undo step. Ops the preset
does not cover are left alone; an op it covers without a node of its own is reset (its nodes
removed), as a Lightroom preset with a setting ticked at its default.

Copied settings (``copy_settings``, "Copy" / "Paste" / "Sync") are a preset without a name: all
of a graph's nodes or chosen ones, pasted onto one document or many (``paste``; for photos that
are not open, ``batch.apply_to_photos``). Geometry (crop, rotate, straighten, flip) is framed on
one photo, so it is copied only when chosen, as Lightroom's copy dialog leaves crop unticked.

The person's presets are files in ``<config>/presets/`` (``PresetStore``), one ``.ieapreset``
JSON file each, written atomically (core/files.py) and read strictly with a size cap (as
core/project.py reads projects). Built-in presets (the built-in assistant's looks, made by
``agent/look_presets.py`` from its lexicon) are given to the store and are read-only.

Pasted and preset nodes are the person's (provenance ``user``), with where they came from as
their reason. A node keeps its id from the preset (so grain, seeded by the id, renders the same
grain on every photo and every run: idempotent batch exports); an id the photo already uses for
another node is replaced by a fresh one.
"""

from __future__ import annotations

import copy
import hashlib
import os
import urllib.parse
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import files
from .graph import EditGraph, Node, Provenance, check_node_count, make_node
from .history import AddNode, Compound, RemoveNode
from .ops import OpError, get_op
from .paths import config_dir

SUFFIX = ".ieapreset"
SCHEMA_VERSION = 1
KIND = "iea-desktop preset"  # the file's "kind": tells a preset from a project or any other JSON
MAX_BYTES = 2_000_000  # a preset of 500 nodes (graph.MAX_NODES) with tone curves is under 1 MB
MAX_NAME = 80  # characters in a preset's name

USER, BUILTIN, CLIPBOARD = "user", "builtin", "clipboard"  # where a preset comes from (``Preset.origin``)


class PresetError(Exception):
    """A preset that cannot be made, read, written or found; the message is meant for a person."""


def check_name(name: object) -> str:
    """A preset's name, stripped: 1 to MAX_NAME printable characters. Raises PresetError."""
    if not isinstance(name, str):
        raise PresetError(f"a preset's name must be text, not {type(name).__name__}")
    name = name.strip()
    if not name:
        raise PresetError("a preset needs a name")
    if len(name) > MAX_NAME:
        raise PresetError(f"a preset's name may have at most {MAX_NAME} characters ({len(name)} given)")
    if not name.isprintable():
        raise PresetError(f"{name!r}: a preset's name cannot hold control characters or line breaks")
    return name


@dataclass
class Preset:
    """A named set of nodes and the ops it covers (see the module's docstring).

    ``origin``: USER (a file in the store), BUILTIN (read-only, from the built-in assistant's
    looks) or CLIPBOARD (copied settings; ``name`` then says where from, e.g. a photo's file name).
    """

    name: str
    nodes: list[Node]
    ops: frozenset[str]
    description: str = ""
    origin: str = USER
    path: Path | None = field(default=None, compare=False)  # the store's file, for a USER preset read from one

    def __post_init__(self) -> None:
        if self.origin != CLIPBOARD:
            self.name = check_name(self.name)
        check_node_count(len(self.nodes))
        self.ops = frozenset(get_op(op).name for op in self.ops)
        stray = sorted({n.op for n in self.nodes} - self.ops)
        if stray:
            raise PresetError(f"{self.name}: holds {', '.join(stray)} but does not cover it")

    @property
    def read_only(self) -> bool:
        return self.origin == BUILTIN

    @property
    def history_text(self) -> str:
        """The undo step's name when this is applied."""
        return f"Paste settings from {self.name}" if self.origin == CLIPBOARD else f"Apply preset “{self.name}”"

    @property
    def reason(self) -> str:
        """The provenance reason of the nodes it adds."""
        return f"pasted from {self.name}" if self.origin == CLIPBOARD else f"from the preset “{self.name}”"

    def summary(self) -> str:
        """One line for lists: "Exposure +20, Vignette -10" (or "resets Tint" for a covered op without a node)."""
        parts = [f"{n.label} {n.summary()}" for n in self.nodes]
        reset = sorted(self.ops - {n.op for n in self.nodes})
        if reset:
            parts.append("resets " + ", ".join(get_op(op).label for op in reset))
        return ", ".join(parts) or "no adjustments"

    # --- making one --------------------------------------------------------------------------

    @classmethod
    def from_nodes(
        cls,
        name: str,
        nodes: Iterable[Node],
        ops: Iterable[str] | None = None,
        description: str = "",
        origin: str = USER,
    ) -> Preset:
        """A preset of copies of ``nodes`` (their provenance becomes the person's); it covers the
        nodes' ops, and ``ops`` too when given (those without a node are reset when applied)."""
        copied = []
        for node in nodes:
            node = copy.deepcopy(node)
            node.provenance = Provenance()
            copied.append(node)
        covered = {n.op for n in copied} | set(ops or ())
        return cls(name, copied, frozenset(covered), description, origin)

    @classmethod
    def from_graph(
        cls,
        name: str,
        graph: EditGraph,
        node_ids: Sequence[str] | None = None,
        include_geometry: bool = False,
        description: str = "",
        origin: str = USER,
    ) -> Preset:
        """The graph's nodes as a preset: the chosen ``node_ids`` (in the graph's order), or all of
        them but the geometry ones unless ``include_geometry`` (a crop is framed on one photo)."""
        if node_ids is None:
            chosen = [n for n in graph.nodes if include_geometry or n.spec.stage != "geometry"]
        else:
            wanted = set(node_ids)
            missing = wanted - {n.id for n in graph.nodes}
            if missing:
                raise PresetError(f"no adjustment {sorted(missing)[0]!r} in this photo")
            chosen = [n for n in graph.nodes if n.id in wanted]
        return cls.from_nodes(name, chosen, description=description, origin=origin)

    @classmethod
    def from_values(
        cls, name: str, values: Mapping[str, object], ops: Iterable[str] = (), description: str = "", origin: str = USER
    ) -> Preset:
        """Tool values as ``--params`` takes them (``{"exposure": 20, "white_balance": {"temperature": 5000}}``):
        a number is the tool's ``value``. Each node's id comes from the preset's name and its op, so the
        same values make the same nodes (and the same grain) every time."""
        nodes: list[Node] = []
        for op, value in values.items():
            params = value if isinstance(value, dict) else {"value": value}
            node = make_node(op, params)
            node.id = hashlib.sha1(f"{name}\0{node.op}\0{len(nodes)}".encode()).hexdigest()[:12]
            nodes.append(node)
        return cls.from_nodes(name, nodes, ops, description, origin)

    # --- files -------------------------------------------------------------------------------

    def to_dict(self) -> dict:
        return {
            "schema_version": SCHEMA_VERSION,
            "kind": KIND,
            "name": self.name,
            "description": self.description,
            "ops": sorted(self.ops),
            "nodes": [n.to_dict() for n in self.nodes],
        }

    @classmethod
    def from_dict(cls, data: object, what: str = "preset") -> Preset:
        """A preset from its file's JSON, checked as strictly as a project's graph. Raises PresetError."""
        if not isinstance(data, dict) or data.get("kind") != KIND:
            raise PresetError(f"{what}: not an IEA Desktop preset")
        version = data.get("schema_version")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise PresetError(f"{what}: damaged preset (schema version {version!r})")
        if version > SCHEMA_VERSION:
            raise PresetError(
                f"{what}: made by a newer IEA Desktop (preset schema {version}; this version reads up to {SCHEMA_VERSION})"
            )
        nodes, ops, description = data.get("nodes"), data.get("ops"), data.get("description", "")
        if not isinstance(nodes, list) or not isinstance(ops, list) or not isinstance(description, str):
            raise PresetError(f"{what}: damaged preset (nodes, ops or description of the wrong kind)")
        if not all(isinstance(op, str) for op in ops):
            raise PresetError(f"{what}: damaged preset (an op that is not a name)")
        try:
            graph = EditGraph.from_list(nodes)
            for node in graph.nodes:  # who made a node where the preset was saved means nothing here
                node.provenance = Provenance()
            return cls(data.get("name"), graph.nodes, frozenset(ops), description[:1000])  # type: ignore[arg-type]
        except PresetError as error:
            raise PresetError(f"{what}: {error}") from None
        except (KeyError, TypeError, ValueError, OverflowError) as error:  # OpError is a ValueError
            problem = str(error) if isinstance(error, OpError) else f"damaged preset ({error!r})"
            raise PresetError(f"{what}: {problem}") from None


def read_file(path: str | os.PathLike) -> Preset:
    """Read a ``.ieapreset`` file (a regular file of at most MAX_BYTES, strict JSON). Raises PresetError."""
    path = Path(path)
    try:
        data = files.read_json(path, MAX_BYTES, path.name)
    except files.InputError as error:
        raise PresetError(str(error)) from None
    return Preset.from_dict(data, path.name)


def write_file(preset: Preset, path: str | os.PathLike) -> Path:
    """Write ``preset`` to ``path`` atomically; returns the path written. Raises PresetError."""
    try:
        return files.atomic_write(path, files.json_bytes(preset.to_dict(), Path(path).name), parents=True)
    except (files.InputError, files.WriteError) as error:
        raise PresetError(str(error)) from None


# --- applying ------------------------------------------------------------------------------


def apply_command(graph: EditGraph, preset: Preset) -> Compound:
    """The command that applies ``preset`` to ``graph`` (push it with ``Document.apply``: one undo
    step): the graph's nodes of the covered ops removed, the preset's added at their canonical places."""
    removed = [n.id for n in graph.nodes if n.op in preset.ops]
    taken = {n.id for n in graph.nodes if n.op not in preset.ops}
    commands: list = [RemoveNode(node_id) for node_id in removed]
    for node in preset.nodes:
        node = copy.deepcopy(node)
        if node.id in taken:
            node.id = uuid.uuid4().hex[:12]
        taken.add(node.id)
        node.provenance = Provenance(origin="user", reason=preset.reason)
        commands.append(AddNode(node))
    return Compound(commands, text=preset.history_text)


def apply(document, preset: Preset) -> None:
    """Apply ``preset`` to a ``Document`` as one undo step (GraphLimitError, before any change,
    when the photo would hold more than graph.MAX_NODES nodes)."""
    document.apply(apply_command(document.graph, preset))


def copy_settings(
    graph: EditGraph, source_name: str, node_ids: Sequence[str] | None = None, include_geometry: bool = False
) -> Preset:
    """Copy a photo's settings: all nodes (but geometry, unless ``include_geometry``) or the chosen
    ``node_ids``. ``source_name`` names the photo ("IMG_0001.jpg") in the undo step and the reasons."""
    return Preset.from_graph(source_name, graph, node_ids, include_geometry, origin=CLIPBOARD)


def paste(settings: Preset, documents: Iterable) -> None:
    """Paste (sync) copied settings or a preset onto open documents: one undo step on each."""
    for document in documents:
        apply(document, settings)


# --- the store -----------------------------------------------------------------------------


def file_name(name: str) -> str:
    """The store's file name for a preset name: the name itself where the file system allows it,
    with '/', '%', a leading '.' and other troublesome characters %-escaped (so no two names share a file)."""
    quoted = urllib.parse.quote(check_name(name), safe=" !#$&'()+,;=@[]^_`{}~-")
    if quoted.startswith("."):
        quoted = "%2E" + quoted[1:]
    return quoted + SUFFIX


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError as error:
        raise PresetError(f"{path}: cannot be deleted ({error.strerror or error})") from None


class PresetStore:
    """The person's presets (files in ``folder``, by default ``<config>/presets``) and the
    read-only built-in ones. Names are unique without regard to case ("Warm" and "warm" are one
    preset: some file systems cannot tell them apart). Every method raises PresetError with a
    message for a person; none changes anything when it fails.
    """

    def __init__(self, folder: str | os.PathLike | None = None, builtin: Iterable[Preset] = ()):
        self.folder = Path(folder) if folder is not None else config_dir() / "presets"
        self.builtin = [replace(p, origin=BUILTIN) for p in builtin]
        self.problems: list[str] = []  # files ``list`` could not read, one line each (the UI may show them)

    def list(self) -> list[Preset]:
        """The built-in presets, then the person's sorted by name. Files that cannot be read are
        left out and said in ``problems``."""
        self.problems = []
        found = []
        try:
            entries = sorted(self.folder.glob("*" + SUFFIX))
        except OSError as error:
            self.problems.append(f"{self.folder}: cannot be read ({error.strerror or error})")
            entries = []
        for path in entries:
            try:
                preset = read_file(path)
            except PresetError as error:
                self.problems.append(str(error))
                continue
            found.append(replace(preset, path=path))
        return self.builtin + sorted(found, key=lambda p: p.name.casefold())

    def get(self, name: str) -> Preset:
        key = check_name(name).casefold()
        for preset in self.list():
            if preset.name.casefold() == key:
                return preset
        raise PresetError(f"no preset called “{name.strip()}”")

    def _find(self, name: str) -> Preset | None:
        try:
            return self.get(name)
        except PresetError:
            return None

    def _writable(self, name: str) -> Preset:
        preset = self.get(name)
        if preset.read_only:
            raise PresetError(
                f"“{preset.name}” is a built-in preset; it cannot be changed (save a copy under another name)"
            )
        return preset

    def save(self, preset: Preset, overwrite: bool = False) -> Preset:
        """Store ``preset`` as one of the person's; ``overwrite`` replaces a preset of that name
        (never a built-in). Returns the stored preset (with its file)."""
        existing = self._find(preset.name)
        if existing is not None and existing.read_only:
            raise PresetError(f"“{existing.name}” is a built-in preset; choose another name")
        if existing is not None and not overwrite:
            raise PresetError(f"a preset called “{existing.name}” exists already")
        stored = replace(preset, origin=USER)
        target = self.folder / file_name(preset.name)
        written = write_file(stored, target)
        if existing is not None and existing.path is not None and existing.path != target:
            _remove(existing.path)  # the same name in another case: one file, the new one
        return replace(stored, path=written)

    def rename(self, old: str, new: str) -> Preset:
        preset = self._writable(old)
        new = check_name(new)
        other = self._find(new)
        if other is not None and other.path != preset.path:
            raise PresetError(f"a preset called “{other.name}” exists already")
        renamed = self.save(replace(preset, name=new), overwrite=True)
        if preset.path is not None and preset.path != renamed.path:
            _remove(preset.path)
        return renamed

    def delete(self, name: str) -> None:
        preset = self._writable(name)
        assert preset.path is not None  # a USER preset comes from its file
        _remove(preset.path)

    def import_file(self, path: str | os.PathLike, overwrite: bool = False) -> Preset:
        """Add the preset in a ``.ieapreset`` file to the store (under the name it holds)."""
        return self.save(read_file(path), overwrite=overwrite)

    def export_file(self, name: str, path: str | os.PathLike) -> Path:
        """Write a preset (built-in ones too) to a ``.ieapreset`` file to share."""
        preset = self.get(name)
        return write_file(replace(preset, origin=USER), path)
