"""What each assistant turn did, kept in the project file, so that "undo that", "undo the last
two" and "a bit less" still work after the project is closed and opened again (or across
``iea-desktop edit --project`` calls).

A turn that changed the graph made one history step; its record names that step by index and
time (the history saved in the project keeps both, so the pair still finds it after a reload,
and a step that was undone and replaced by another is not mistaken for it) and lists the nodes
it added, changed or removed. Only the last ``MAX_TURNS`` records are kept.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass, field

from .history import History

MAX_TURNS = 200  # far more than anyone undoes by name; keeps the project small
CHANGE_KINDS = ("added", "changed", "removed")


@dataclass
class NodeChange:
    kind: str  # one of CHANGE_KINDS
    node_id: str
    op: str


@dataclass
class TurnRecord:
    turn_id: str
    request: str
    entry: int  # index of the turn's step in ``History.entries``
    entry_time: float  # that step's timestamp: with ``entry``, it identifies the step
    changes: list[NodeChange] = field(default_factory=list)

    def is_applied(self, history: History) -> bool:
        """The turn's step is in the history and applied (not undone)."""
        return self.entry < history.position and history.entries[self.entry].timestamp == self.entry_time

    def node_ids(self, *kinds: str) -> list[str]:
        return [c.node_id for c in self.changes if not kinds or c.kind in kinds]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data) -> TurnRecord:
        """A record from a project file; ValueError says what is wrong with it."""
        if not isinstance(data, dict):
            raise ValueError("a turn is not an object")
        turn_id, request, entry, when = (data.get(k) for k in ("turn_id", "request", "entry", "entry_time"))
        if not isinstance(turn_id, str) or not 0 < len(turn_id) <= 64:
            raise ValueError(f"turn id {turn_id!r}")
        if not isinstance(request, str):
            raise ValueError(f"turn {turn_id}: request {request!r}")
        if isinstance(entry, bool) or not isinstance(entry, int) or entry < 0:
            raise ValueError(f"turn {turn_id}: history step {entry!r}")
        if isinstance(when, bool) or not isinstance(when, numbers.Real) or not math.isfinite(when):
            raise ValueError(f"turn {turn_id}: time {when!r}")
        changes = data.get("changes", [])
        if not isinstance(changes, list):
            raise ValueError(f"turn {turn_id}: changes are not a list")
        parsed = []
        for change in changes:
            if (
                not isinstance(change, dict)
                or change.get("kind") not in CHANGE_KINDS
                or not isinstance(change.get("node_id"), str)
                or not isinstance(change.get("op"), str)
            ):
                raise ValueError(f"turn {turn_id}: change {change!r}")
            parsed.append(NodeChange(change["kind"], change["node_id"], change["op"]))
        return cls(turn_id, request[:500], entry, float(when), parsed)


def turns_from_list(items) -> list[TurnRecord]:
    """The ``turns`` list of a project file, checked; more than MAX_TURNS is a damaged file."""
    if not isinstance(items, list):
        raise ValueError("'turns' is not a list")
    if len(items) > MAX_TURNS:
        raise ValueError(f"{len(items)} assistant turns (at most {MAX_TURNS} are kept)")
    return [TurnRecord.from_dict(item) for item in items]


def add_turn(turns: list[TurnRecord], record: TurnRecord) -> None:
    """Append a record, dropping the oldest beyond MAX_TURNS."""
    turns.append(record)
    del turns[:-MAX_TURNS]
