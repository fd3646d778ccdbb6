"""The assistant's turns as the project records them (core/turns.py): which are still applied,
and undoing the last N of them.

An undo by the assistant only takes back its own steps: when the person changed anything after
the turns to undo, it says what and leaves the photo as it is (Edit ▸ Undo and the History panel
are theirs to use).
"""

from __future__ import annotations

from ..core.document import Document
from ..core.graph import EditGraph, Node
from ..core.turns import NodeChange, TurnRecord


def applied_turns(doc: Document) -> list[TurnRecord]:
    """The turns whose history step is applied, oldest first."""
    return sorted((t for t in doc.turns if t.is_applied(doc.history)), key=lambda t: t.entry)


def record_turn(doc: Document, turn_id: str, request: str, changes: list[NodeChange]) -> TurnRecord:
    """Record the history step just pushed as this turn's."""
    history = doc.history
    entry = history.position - 1
    record = TurnRecord(turn_id, request, entry, history.entries[entry].timestamp, changes)
    doc.add_turn(record)
    return record


def node_changes(before: list[Node], after: list[Node]) -> list[NodeChange]:
    """The nodes added, changed or removed between two states of a graph."""
    old = {n.id: n for n in before}
    new = {n.id for n in after}
    changes = []
    for node in after:
        was = old.get(node.id)
        if was is None:
            changes.append(NodeChange("added", node.id, node.op))
        elif (was.params, was.enabled, was.opacity, was.mask) != (node.params, node.enabled, node.opacity, node.mask):
            changes.append(NodeChange("changed", node.id, node.op))
    changes.extend(NodeChange("removed", n.id, n.op) for n in before if n.id not in new)
    return changes


def _quoted(turns: list[TurnRecord]) -> str:
    return ", ".join(f"“{t.request}”" for t in turns)


def undo_turns(doc: Document, count: int) -> tuple[str, bool]:
    """Undo the assistant's last ``count`` turns; (reply, whether anything was undone)."""
    history = doc.history
    turns = applied_turns(doc)
    if not turns:
        return "There is no edit of mine to undo.", False
    chosen = turns[-count:]
    mine = {t.entry for t in turns}
    first = chosen[0].entry
    since = [i for i in range(first, history.position) if i not in mine]
    if since:
        after = EditGraph.from_list(history.entries[since[0] - 1].state).nodes
        what = _what_changed(after, list(doc.graph.nodes)) or [history.entries[i].label.lower() for i in since]
        return (
            f"You have changed things since my last edit ({', '.join(what[:3])}), so I left it as it is. "
            "Use Edit ▸ Undo or click an earlier step in the History panel."
        ), False
    history.goto(first)
    if len(chosen) == 1:
        reply = f"Undone: my last change ({_quoted(chosen)}) is taken back."
    else:
        reply = f"Undone my last {len(chosen)} changes ({_quoted(chosen)})."
    if len(chosen) < count:
        reply += f" I had made only {len(chosen)} change{'s' * (len(chosen) != 1)} to undo."
    return reply, True


def _what_changed(before: list[Node], after: list[Node]) -> list[str]:
    """'the exposure', 'the vignette': what the person changed, in words."""
    labels = {n.id: n.label.lower() for n in before + after}
    return list(dict.fromkeys(f"the {labels[c.node_id]}" for c in node_changes(before, after)))
