"""What an assistant turn decides, as data: the edits to make, checked against the op registry.

Model output never runs as code: it becomes a ``Plan`` of (tool, value, reason) entries, each
validated by the registry (unknown tools refused, aliases resolved, values clamped), with a
message for everything that had to be corrected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..core.ops import IEA_TOOLS, REGISTRY, OpError, resolve_name


@dataclass
class Edit:
    tool: str  # canonical op name, one of the 16 IEA tools
    value: int  # the absolute value the assistant's node for this tool should have (0 removes it)
    reason: str = ""
    look: str | None = None  # the look this value belongs to ("vintage"), kept on the node's provenance


@dataclass
class GeometryEdit:
    """The params the assistant's node of a geometry op (crop, rotate, straighten, flip) should
    have; ``params`` None removes that node."""

    op: str
    params: dict | None
    reason: str = ""


# What the plan check measures for each kind of wish (plan_check.py).
MEASURES = ("light", "warmth", "colour", "contrast")


@dataclass
class Intent:
    """A direction the person asked for, checked on the preview before the plan is applied:
    ``direction`` +1 more, -1 less, 0 keep as it is. ``none``: no colour at all ("remove all
    colour"). ``at_most``: a ceiling for the measure ("bring the colour back" up to the photo's
    own saturation). ``words``: the person's words, for the reply."""

    measure: str  # one of MEASURES
    direction: int
    words: str = ""
    none: bool = False
    at_most: float | None = None


@dataclass
class Plan:
    reply: str
    edits: list[Edit] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)  # tools whose assistant nodes go away
    # tools the person asked, by name, to take away: only these may remove a node they changed by
    # hand (any other removal of such a node is skipped, and the reply says so; see session.py)
    asked_to_remove: set[str] = field(default_factory=set)
    reset: str | None = None  # "assistant": remove the assistant's nodes; "all": every node
    undo_turns: int = 0  # undo the assistant's last N turns (agent/turns.py)
    complete: bool = False  # the edits are the complete set: assistant nodes of other tools are removed
    warnings: list[str] = field(default_factory=list)  # shown in the chat
    geometry: list[GeometryEdit] = field(default_factory=list)
    # Directions to check on the preview; None: read them off the edits (a model's plan)
    intents: list[Intent] | None = None
    # tools the check may not move ("leave the colours alone")
    fixed_tools: set[str] = field(default_factory=set)

    @property
    def changes_graph(self) -> bool:
        return bool(self.edits or self.remove or self.reset or self.undo_turns or self.complete or self.geometry)


def validate_edit(tool, value, reason="") -> tuple[Edit | None, str | None]:
    """One proposed tool call -> (Edit, None), (Edit, note about a correction) or (None, why it was refused)."""
    try:
        name = resolve_name(tool)
    except OpError:
        return None, f"ignored unknown tool {tool!r} (valid: {', '.join(IEA_TOOLS)})"
    if name not in IEA_TOOLS:
        return None, f"ignored {name!r}: the assistant can only use the 16 adjustment tools"
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None, f"ignored {name}: value {value!r} is not a number"
    try:
        number = float(value)
    except ValueError:
        return None, f"ignored {name}: value {value!r} is not a number"
    if not math.isfinite(number):
        return None, f"ignored {name}: value {value!r} is not a number"
    param = REGISTRY[name].param("value")
    clamped = int(param.coerce(number, name))
    note = None
    if number < param.minimum or number > param.maximum:
        note = f"{name} {number:g} is out of range; used {clamped}"
    elif not float(number).is_integer():
        note = f"{name} {number:g} rounded to {clamped}"
    text = reason if isinstance(reason, str) else ""
    return Edit(name, clamped, text.strip()[:300]), note


def validate_edits(proposed: list[tuple]) -> tuple[list[Edit], list[str]]:
    """Validate several (tool, value, reason) calls; a tool named twice keeps its last value."""
    edits: dict[str, Edit] = {}
    warnings: list[str] = []
    for item in proposed:
        edit, note = validate_edit(*item)
        if note:
            warnings.append(note)
        if edit is not None:
            edits[edit.tool] = edit
    return list(edits.values()), warnings
