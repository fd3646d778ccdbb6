"""Commands and the undo history.

Each change to the graph is a command with ``do``/``undo``. The history is a list plus a
position: undo/redo move the position, a new command after going back drops the redo branch,
and ``goto`` jumps to any entry (the history panel's click). A slider drag sends many
``SetParams`` with one gesture id; they coalesce into a single undo step.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeGuard

from .graph import EditGraph, Node, clamp_opacity, parse_mask
from .masks.model import Mask


class Command:
    @property
    def label(self) -> str:
        """The undo step's name in the history."""
        return "Edit"

    def do(self, graph: EditGraph) -> None:
        raise NotImplementedError

    def undo(self, graph: EditGraph) -> None:
        raise NotImplementedError

    gesture: str | None = None  # commands of one gesture (a slider drag, a brush stroke) are one undo step

    def can_merge(self, other: Command) -> bool:
        """Whether ``other``, pushed right after this one, joins it as one undo step."""
        return False

    def merge(self, other: Command) -> None:
        raise NotImplementedError


@dataclass
class AddNode(Command):
    node: Node
    index: int | None = None  # None: the op's canonical pipeline position

    @property
    def label(self) -> str:
        return f"Add {self.node.label}"

    def do(self, graph):
        if self.index is None:
            self.index = graph.canonical_index(self.node.op, masked=self.node.mask is not None)
        graph.insert(self.index, copy.deepcopy(self.node))

    def undo(self, graph):
        graph.remove(self.node.id)


@dataclass
class RemoveNode(Command):
    node_id: str
    _removed: Node | None = None
    _index: int | None = None

    @property
    def label(self) -> str:
        return f"Remove {self._removed.label}" if self._removed else "Remove adjustment"

    def do(self, graph):
        self._index, self._removed = graph.remove(self.node_id)

    def undo(self, graph):
        graph.insert(self._index, self._removed)


@dataclass
class SetNodeFields(Command):
    """Change params (merged into the existing ones), enabled, opacity and/or the provenance of a node.

    A change without ``provenance`` is the person's own: when it changes the values or the opacity
    of an assistant's node, the node's provenance records that (``edited_by_user``) and keeps what
    the assistant had set. The assistant's changes always come with their provenance.
    """

    node_id: str
    params: dict | None = None
    enabled: bool | None = None
    opacity: float | None = None
    provenance: dict | None = None
    gesture: str | None = None  # same gesture id + same node + same fields -> one undo step
    text: str = ""
    _before: dict | None = None

    @property
    def label(self) -> str:
        return self.text or "Change adjustment"

    def do(self, graph):
        node = graph.get(self.node_id)
        if self._before is None:
            self._before = {
                "params": dict(node.params),
                "enabled": node.enabled,
                "opacity": node.opacity,
                "provenance": copy.deepcopy(node.provenance),
            }
        if self.params is not None:
            node.params = node.spec.validate({**node.params, **self.params})
        if self.enabled is not None:
            node.enabled = bool(self.enabled)
        if self.opacity is not None:
            node.opacity = clamp_opacity(self.opacity)
        if self.provenance is not None:
            for key, value in self.provenance.items():
                setattr(node.provenance, key, value)
        elif (
            node.provenance.origin == "assistant"
            and not node.provenance.edited_by_user
            and (node.params != self._before["params"] or node.opacity != self._before["opacity"])
        ):
            node.provenance.edited_by_user = True
            node.provenance.assistant_params = dict(self._before["params"])

    def undo(self, graph):
        node, before = graph.get(self.node_id), self._before
        assert before is not None, "undo follows do, which keeps the node as it was"
        node.params = dict(before["params"])
        node.enabled = before["enabled"]
        node.opacity = before["opacity"]
        node.provenance = copy.deepcopy(before["provenance"])

    def can_merge(self, other: Command) -> TypeGuard[SetNodeFields]:  # type: ignore[override]
        return (
            isinstance(other, SetNodeFields)
            and self.gesture is not None
            and other.gesture == self.gesture
            and other.node_id == self.node_id
        )

    def merge(self, other: SetNodeFields) -> None:  # type: ignore[override]
        """Absorb a later command of the same gesture; our ``_before`` stays the gesture's start, and
        the later text (which may name the values, "Temperature +10 → +25") replaces ours."""
        self.text = other.text or self.text
        for name in ("enabled", "opacity"):
            if getattr(other, name) is not None:
                setattr(self, name, getattr(other, name))
        if other.params is not None:
            self.params = {**(self.params or {}), **other.params}
        if other.provenance is not None:
            self.provenance = {**(self.provenance or {}), **other.provenance}


@dataclass
class SetNodeMask(Command):
    """Give a node a mask, change it, or take it away (``mask`` None). The dabs of one brush stroke
    or the moves of one handle drag share a ``gesture`` and are one undo step."""

    node_id: str
    mask: Mask | None
    gesture: str | None = None
    text: str = ""
    _before: Mask | None = None
    _started: bool = False

    @property
    def label(self) -> str:
        return self.text or ("Remove mask" if self.mask is None else "Change mask")

    def do(self, graph):
        node = graph.get(self.node_id)
        if not self._started:
            self._before, self._started = node.mask, True
        node.mask = parse_mask(node.spec, self.mask)

    def undo(self, graph):
        graph.get(self.node_id).mask = self._before

    def can_merge(self, other: Command) -> bool:
        return (
            isinstance(other, SetNodeMask)
            and self.gesture is not None
            and other.gesture == self.gesture
            and other.node_id == self.node_id
        )

    def merge(self, other: Command) -> None:
        assert isinstance(other, SetNodeMask)
        self.mask, self.text = other.mask, other.text or self.text


@dataclass
class MoveNode(Command):
    node_id: str
    new_index: int
    _old_index: int | None = None
    label = "Reorder adjustment"

    def do(self, graph):
        self._old_index = graph.move(self.node_id, self.new_index)

    def undo(self, graph):
        graph.move(self.node_id, self._old_index)


@dataclass
class ReplaceGraph(Command):
    """Set the whole graph at once (restore a snapshot, reset all, a step of a reopened history)."""

    nodes: list[Node]
    text: str = "Replace all adjustments"
    _before: list[Node] | None = None

    @property
    def label(self) -> str:
        return self.text

    def do(self, graph):
        if self._before is None:
            self._before = copy.deepcopy(graph.nodes)
        graph.replace_all(self.nodes)

    def undo(self, graph):
        graph.replace_all(self._before)


@dataclass
class Compound(Command):
    """Several commands as one undo step (an assistant turn, a duplicate, ...)."""

    commands: Sequence[Command]
    text: str = "Edit"

    @property
    def label(self) -> str:
        return self.text

    def do(self, graph):
        done = []
        try:
            for command in self.commands:
                command.do(graph)
                done.append(command)
        except Exception:
            for command in reversed(done):
                command.undo(graph)
            raise

    def undo(self, graph):
        for command in reversed(self.commands):
            command.undo(graph)


@dataclass
class HistoryEntry:
    command: Command
    state: list[dict]  # the graph after this entry, for saving the history in the project
    timestamp: float = field(default_factory=time.time)

    @property
    def label(self) -> str:
        return self.command.label


class History:
    """The command list and a position in it; every change to the graph passes through here."""

    def __init__(self, graph: EditGraph):
        self.graph = graph
        self.entries: list[HistoryEntry] = []
        self.position = 0  # entries[:position] are applied
        self.snapshots: dict[str, list[dict]] = {}
        self._listeners: list[Callable[[], None]] = []

    def subscribe(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener()

    def push(self, command: Command) -> None:
        """Apply a command and record it; coalesces with the previous entry when it is the same gesture."""
        command.do(self.graph)
        top = self.entries[self.position - 1].command if self.position else None
        if self.position == len(self.entries) and top is not None and top.can_merge(command):
            top.merge(command)
            self.entries[self.position - 1].state = self.graph.to_list()
        else:
            del self.entries[self.position :]
            self.entries.append(HistoryEntry(command, self.graph.to_list()))
            self.position += 1
        self._changed()

    @property
    def can_undo(self) -> bool:
        return self.position > 0

    @property
    def can_redo(self) -> bool:
        return self.position < len(self.entries)

    def undo(self) -> bool:
        if not self.can_undo:
            return False
        self.position -= 1
        self.entries[self.position].command.undo(self.graph)
        self._changed()
        return True

    def redo(self) -> bool:
        if not self.can_redo:
            return False
        self.entries[self.position].command.do(self.graph)
        self.position += 1
        self._changed()
        return True

    def goto(self, position: int) -> None:
        """Undo or redo until ``position`` entries are applied (0 = the original photo)."""
        position = min(max(position, 0), len(self.entries))
        while self.position > position:
            self.position -= 1
            self.entries[self.position].command.undo(self.graph)
        while self.position < position:
            self.entries[self.position].command.do(self.graph)
            self.position += 1
        self._changed()

    def end_gesture(self) -> None:
        """Close the current slider gesture so the next change starts a new undo step."""
        top = self.entries[self.position - 1].command if self.position else None
        if top is not None:
            top.gesture = None

    def take_snapshot(self, name: str) -> None:
        self.snapshots[name] = self.graph.to_list()
        self._changed()

    def restore_snapshot(self, name: str) -> None:
        nodes = EditGraph.from_list(self.snapshots[name]).nodes
        self.push(ReplaceGraph(nodes, text=f"Restore snapshot “{name}”"))

    def labels(self) -> list[str]:
        return [entry.label for entry in self.entries]

    def to_dict(self) -> dict:
        return {
            "position": self.position,
            "entries": [{"label": e.label, "time": e.timestamp, "nodes": e.state} for e in self.entries],
            "snapshots": self.snapshots,
        }

    def load_dict(self, data: dict, original: list[dict] | None = None) -> None:
        """Rebuild a saved history as whole-graph steps; the graph is set to the saved position."""
        previous = EditGraph.from_list(original or []).nodes
        self.entries = []
        steps: list[ReplaceGraph] = []
        for item in data.get("entries", []):
            nodes = EditGraph.from_list(item["nodes"]).nodes
            steps.append(ReplaceGraph(nodes, text=str(item.get("label", "Edit")), _before=previous))
            self.entries.append(HistoryEntry(steps[-1], item["nodes"], float(item.get("time", 0.0))))
            previous = nodes
        self.position = min(max(int(data.get("position", len(self.entries))), 0), len(self.entries))
        self.snapshots = {str(k): EditGraph.from_list(v).to_list() for k, v in dict(data.get("snapshots", {})).items()}
        state = steps[self.position - 1].nodes if self.position else EditGraph.from_list(original or []).nodes
        self.graph.replace_all(state)
        self._changed()
