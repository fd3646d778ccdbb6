"""The edit graph: an ordered list of adjustment nodes over one source photo.

Nodes are plain data. Every change to a graph goes through a command on the history
(``history.py``) so undo, the history panel and autosave see the same stream of changes.

A graph holds at most ``MAX_NODES`` nodes: every node is a pass over the picture, and a project
of 20,000 nodes took 90 s to render a 0.4 MP photo. Far more than anyone stacks by hand, it keeps
a damaged or hostile project from stalling the app; a project over it is refused when it is read.
"""

from __future__ import annotations

import copy
import math
import numbers
import uuid
from dataclasses import asdict, dataclass, field, replace

from .masks.model import Mask, MaskError
from .ops import REGISTRY, OpError, get_op
from .ops.base import STAGE_ORDER

MAX_NODES = 500


class GraphLimitError(OpError):
    """A graph that would hold more than ``MAX_NODES`` nodes."""


def check_node_count(count: int) -> None:
    """Refuse a graph of ``count`` nodes when that is over ``MAX_NODES``."""
    if count > MAX_NODES:
        raise GraphLimitError(f"{count} adjustments is more than the {MAX_NODES} one photo can hold")


def clamp_opacity(value) -> float:
    """A node's opacity: a finite number, clamped to 0..1 (NaN would pass a plain min/max clamp)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise OpError(f"opacity must be a number from 0 to 1; got {value!r}")
    if not isinstance(value, numbers.Integral) and not math.isfinite(value):
        raise OpError(f"opacity must be a finite number; got {value!r}")
    return float(min(max(value, 0), 1))  # type: ignore[arg-type]  # typeshed cannot order a numbers.Real


@dataclass
class Provenance:
    """Who made a node: the person, or the assistant (with its turn, model and reason)."""

    origin: str = "user"  # "user" or "assistant"
    reason: str = ""
    turn_id: str | None = None
    model: str | None = None
    look: str | None = None  # the assistant's look this node belongs to ("vintage"), for later turns
    # An assistant's node that a person changed (values or opacity) keeps its origin and reason;
    # these say that the person changed it and what the assistant had set (history.SetNodeFields).
    edited_by_user: bool = False
    assistant_params: dict | None = None


@dataclass
class Node:
    op: str
    params: dict
    version: int
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    enabled: bool = True
    opacity: float = 1.0
    provenance: Provenance = field(default_factory=Provenance)
    mask: Mask | None = None  # where on the photo it acts (masks/model.py); None: everywhere

    @property
    def spec(self):
        return REGISTRY[self.op]

    @property
    def label(self) -> str:
        return self.spec.label

    def summary(self) -> str:
        """Short value text for lists, e.g. '+25' or 'angle 2.5'."""
        spec = self.spec
        if spec.iea_tool:
            v = self.params["value"]
            return f"{v:+d}"
        changed = [p for p in spec.params if self.params.get(p.name) != p.default]
        parts = []
        for p in changed:
            value = self.params[p.name]
            parts.append(f"{p.label.lower()} {p.text(value)}")
        return ", ".join(parts) or "no change"

    def signature(self) -> tuple:
        """Everything that decides this node's pixels (for cache keys)."""
        mask = None if self.mask is None else self.mask.digest
        return (self.op, self.version, tuple(sorted(self.params.items())), self.enabled, self.opacity, self.id, mask)

    def to_dict(self) -> dict:
        """The node as a project stores it; "mask" only when it has one (files without masks are
        as they were before masks)."""
        data = asdict(replace(self, mask=None))
        data.pop("mask")
        if self.mask is not None:
            data["mask"] = self.mask.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Node:
        """A node from a project file, checked as strictly as one made here."""
        spec = get_op(data["op"])
        version = data.get("version", spec.latest_version)
        if isinstance(version, bool) or version not in spec.versions:
            raise OpError(f"{spec.name} has no version {version!r}")
        return cls(
            op=spec.name,
            params=spec.validate(data.get("params", {})),
            version=int(version),
            id=str(data["id"]),
            enabled=bool(data.get("enabled", True)),
            opacity=clamp_opacity(data.get("opacity", 1.0)),
            provenance=Provenance(**data.get("provenance", {})),
            mask=parse_mask(spec, data.get("mask")),
        )


def parse_mask(spec, data) -> Mask | None:
    """A node's mask from data (None: none), refused on geometry, which has no per-pixel mix."""
    if data is None:
        return None
    if spec.stage == "geometry":
        raise MaskError(f"{spec.label} moves the whole picture; it cannot have a mask")
    return data if isinstance(data, Mask) else Mask.from_dict(data)


def make_node(
    op: str,
    params: dict | None = None,
    version: int | None = None,
    provenance: Provenance | None = None,
    mask: Mask | dict | None = None,
) -> Node:
    """A validated node; the op's latest version unless one is asked for; ``mask``: where it acts."""
    spec = get_op(op)
    if version is None:
        version = spec.latest_version
    if version not in spec.versions:
        raise OpError(f"{spec.name} has no version {version}; known: {sorted(spec.versions)}")
    return Node(
        op=spec.name,
        params=spec.validate(params or {}),
        version=version,
        provenance=provenance or Provenance(),
        mask=parse_mask(spec, mask),
    )


LOCAL_STAGE = (STAGE_ORDER["C"], math.inf)  # where masked nodes go: after the tone and colour stages


def place_key(sort_key: tuple, masked: bool) -> tuple:
    """A node's pipeline position for ``canonical_index``: a masked node's is at least LOCAL_STAGE."""
    return max(sort_key, LOCAL_STAGE) if masked else sort_key


class EditGraph:
    """Ordered nodes. Change it through history commands (they call ``insert``, ``remove`` and
    ``move``), so that every change is undoable and heard (``History.subscribe``)."""

    def __init__(self, nodes: list[Node] | None = None):
        self.nodes: list[Node] = list(nodes or [])

    def insert(self, index: int, node: Node) -> None:
        self.nodes.insert(index, node)

    def remove(self, node_id: str) -> tuple[int, Node]:
        """Take the node out; returns where it was and the node."""
        index = self.index_of(node_id)
        return index, self.nodes.pop(index)

    def move(self, node_id: str, index: int) -> int:
        """Move the node to ``index`` (clamped to the list); returns where it was."""
        old, node = self.remove(node_id)
        self.nodes.insert(min(max(index, 0), len(self.nodes)), node)
        return old

    def __iter__(self):
        return iter(self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)

    def get(self, node_id: str) -> Node:
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(f"no node {node_id!r}")

    def find_node(self, node_id: str | None) -> Node | None:
        """The node, or None for no id or one no longer in the graph (a panel's selection, removed since)."""
        return next((node for node in self.nodes if node.id == node_id), None) if node_id is not None else None

    def index_of(self, node_id: str) -> int:
        for i, node in enumerate(self.nodes):
            if node.id == node_id:
                return i
        raise KeyError(f"no node {node_id!r}")

    def canonical_index(self, op: str, masked: bool = False) -> int:
        """Where a new node of this op goes: after every node that precedes or equals it in the
        pipeline. A masked node (a local adjustment) goes after every tone and colour node and
        before the effects (grain, vignette, sharpening), as Lightroom applies local adjustments
        over the global ones; a slider on it then recomputes only the local ones and the effects."""
        key = place_key(REGISTRY[op].sort_key, masked)
        index = 0
        for i, node in enumerate(self.nodes):
            if place_key(node.spec.sort_key, node.mask is not None) <= key:
                index = i + 1
        return index

    def find(self, op: str, origin: str | None = None) -> list[Node]:
        return [n for n in self.nodes if n.op == op and (origin is None or n.provenance.origin == origin)]

    def active_nodes(self) -> list[Node]:
        return [n for n in self.nodes if n.enabled and n.opacity > 0 and not n.spec.is_identity(n.params)]

    def to_list(self) -> list[dict]:
        return [n.to_dict() for n in self.nodes]

    def replace_all(self, nodes: list[Node]) -> None:
        self.nodes = [copy.deepcopy(n) for n in nodes]

    @classmethod
    def from_list(cls, items: list[dict]) -> EditGraph:
        check_node_count(len(items))
        return cls([Node.from_dict(item) for item in items])
