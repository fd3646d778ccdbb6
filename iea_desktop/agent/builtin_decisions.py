"""What the built-in assistant decides in one turn, as data: no English here.

``builtin_planner.py`` makes a ``Decisions`` from the person's request and the photo's
measurements (which sliders move to which values and why, which looks, which tools beyond the 16,
which places, which geometry, what to tell the person); ``builtin_words.py`` turns it into the
plan's reasons and the reply. A later turn reads what it needs from the nodes' provenance (the
look a node belongs to: ``Provenance.look``), not from these words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..core.graph import Node
from ..core.ops import IEA_TOOLS
from .builtin_measure import Need
from .plan import Intent


@dataclass(frozen=True)
class Why:
    """Why a value changed. ``kind`` names the reason (builtin_words.why_words says it):

    asked      the person asked (``words``: their phrase)
    measured   the photo's measurements call for it (``need``: the change, its words and numbers)
    look       part of a look (``look``); ``look_clear``: a tool cleared so the look stays neutral
    ...        the other kinds are fixed phrases (``builtin_words.REASONS``), some naming
               ``look`` / ``other`` (a look replaced, a place an adjustment moved from or to)
    """

    kind: str
    words: str = ""
    look: str = ""
    other: str = ""
    need: Need | None = None
    basis: tuple[tuple[str, float], ...] = ()  # measured numbers when no Need carries them

    @property
    def measured(self) -> dict[str, float]:
        """The numbers this reason rests on (empty: the person's word alone)."""
        return dict(self.need.basis) if self.need is not None else dict(self.basis)


def asked(words: str) -> Why:
    return Why("asked", words=words)


def measured(need: Need) -> Why:
    return Why("measured", need=need)


@dataclass
class Slider:
    """My node of one of the 16 tools, as this turn leaves it."""

    value: int
    whys: list[Why] = field(default_factory=list)
    primary: bool = False  # the main tool of a wish (False: one that helps another, as whites helps exposure)
    look: str | None = None  # the look it belongs to (on the node's provenance)
    followed: str | None = None  # "stronger" / "weaker": a follow-up ("a bit less") changed it
    quiet: bool = False  # a look's sentence already explains it


@dataclass
class ToolChange:
    """My node of one of the tools beyond the 16 (white balance, dehaze, ...): all its params."""

    params: dict
    action: str  # what it does, for the reply (builtin_words.ACTIONS)
    why: Why
    was: dict | None = None  # the params of my node before, when it was on


@dataclass
class PlaceChange:
    """My node of a tool masked to a place (agent/areas.py)."""

    value: int
    why: Why


@dataclass(frozen=True)
class LookApplied:
    name: str
    scale: float  # 1: as the look has it; less: a lighter version
    cleared: tuple[str, ...] = ()  # colour tools set to 0 because they would tint a black and white look


@dataclass(frozen=True)
class GeometryChoice:
    """A geometry node's params (None: remove my node), and what to say about it: ``how`` names the
    change (builtin_words.GEOMETRY), ``amount`` its size (turns, degrees), ``aspect`` a crop's."""

    op: str
    params: dict | None
    how: str
    amount: float = 0.0
    aspect: str = ""
    on_subject: bool = False


@dataclass(frozen=True)
class Note:
    """Something to tell the person besides the changes (builtin_words.NOTES says it)."""

    kind: str
    values: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, kind: str, **values) -> Note:
        return cls(kind, tuple(values.items()))


@dataclass
class Start:
    """My sliders as the turn finds them."""

    current: dict[str, int]  # the assistant's nodes of the 16 tools (a switched-off node counts 0)
    stored: dict[str, int]  # their stored values, switched off or not
    disabled: set[str]

    @classmethod
    def of(cls, mine: dict[str, Node]) -> Start:
        stored = {tool: int(node.params["value"]) for tool, node in mine.items()}
        current = {tool: stored[tool] if node.enabled else 0 for tool, node in mine.items()}
        return cls(current, stored, {tool for tool, node in mine.items() if not node.enabled})


@dataclass
class Decisions:
    start: Start
    sliders: dict[str, Slider] = field(default_factory=dict)  # the 16 tools this turn sets
    asked_to_remove: set[str] = field(default_factory=set)  # tools the person asked by name to take away
    kept: list[str] = field(default_factory=list)  # removals left out: nodes of mine changed by hand
    fixed: dict[str, int] = field(default_factory=dict)  # tool -> the direction a measured fix moved it
    looks: list[LookApplied] = field(default_factory=list)
    replaced: dict[str, list[str]] = field(default_factory=dict)  # an earlier look -> its tools set to 0
    follow_words: str = ""  # the person's "a bit less" for my last changes
    tools: dict[str, ToolChange] = field(default_factory=dict)
    places: dict[tuple[str, str], PlaceChange] = field(default_factory=dict)  # (tool, place) -> change
    geometry: list[GeometryChoice] = field(default_factory=list)
    intents: list[Intent] = field(default_factory=list)  # directions the plan check verifies
    fixed_tools: frozenset[str] = frozenset()  # tools the plan check may not move
    tool_intents: list[Intent] = field(default_factory=list)  # the same for the tools beyond the 16
    notes: list[Note] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # from validation (plan.validate_edit), said as is

    def note(self, kind: str, **values) -> None:
        """Something to tell the person (a ``Note``)."""
        self.notes.append(Note.of(kind, **values))

    def value(self, tool: str) -> int:
        """A slider's value as this turn has it."""
        slider = self.sliders.get(tool)
        return slider.value if slider is not None else self.start.current.get(tool, 0)

    def changed(self) -> list[str]:
        """Tools whose node this turn creates, changes, switches back on or removes (pipeline order)."""
        return [
            t
            for t in IEA_TOOLS
            if t in self.sliders and (self.sliders[t].value != self.start.current.get(t, 0) or t in self.start.disabled)
        ]
