"""The check after every plan: render it on a small preview, measure, and make sure each asked
direction holds before anything is applied (the IEA paper's refine step, a second look, done with
the fast renderer instead of a model).

"Brighter" must come out brighter, "cooler" cooler, "keep the brightness" within a tolerance,
"remove all colour" with no colour left, "bring the colour back" no more colourful than the photo
was. When a direction does not hold, one tool per measure is moved (a few cheap rounds at
preview size); what still does not hold is said in the reply. A model's values are its intent:
the check moves any value by at most LIMIT, and the reply names every correction.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from ..core.ops import REGISTRY
from ..core.stats import ImageStats
from .builtin_measure import BRIGHTNESS_PER_UNIT, CONTRAST_PER_DOUBLING, WARM_PER_TEMPERATURE
from .plan import MEASURES, Edit, Intent, Plan

# How far each measure must move for a direction to count as holding, and how far "keep" may drift.
MOVE = {"light": 0.015, "warmth": 0.02, "colour": 0.01, "contrast": 0.015}
KEEP = {"light": 0.02, "warmth": 0.03, "colour": 0.02, "contrast": 0.03}
KEEP_RELATIVE = 0.08  # "keep the colours": saturation within 8 % of what it was
NO_COLOUR = 0.01  # mean saturation of "no colour at all"
ROUNDS = 6  # renders at preview size the check may spend correcting
LIMIT = 30  # slider units the check may move a value by (a model's values are its intent)
# The tool that corrects each measure, and the tools whose change says which way a model wanted it.
CORRECTOR = {"light": "brightness", "warmth": "temperature", "colour": "saturation", "contrast": "contrast"}
TOOLS = {
    "light": ("exposure", "brightness", "whites", "shadows", "blacks", "highlights"),
    "warmth": ("temperature",),
    "colour": ("saturation", "vibrance"),
    "contrast": ("contrast", "natural_contrast"),
}
# Tone tools that wash colours out when they lift; "leave the colours alone" takes these back first.
WASHERS = ("shadows", "blacks", "whites")


def value_of(stats: ImageStats, measure: str) -> float:
    """The number a measure reads. Warmth is R - B relative to the brightness: a brighter photo has
    a larger R - B for the same colour, and "brighter and cooler" must still come out cooler."""
    return {
        "light": stats.median_luma,
        "warmth": stats.warmth / max(stats.mean_luma, 0.05),
        "colour": stats.mean_saturation,
        "contrast": stats.contrast,
    }[measure]


def intents_of_edits(edits: list[Edit], current: dict[str, int]) -> list[Intent]:
    """A model's plan: the directions its changes point to, one per measure where they agree."""
    intents = []
    edits = [e for e in edits if e.area is None]
    for measure in MEASURES:
        moves = [(e.tool, e.value - current.get(e.tool, 0)) for e in edits if e.tool in TOOLS[measure]]
        signs = {1 if delta > 0 else -1 for _, delta in moves if abs(delta) >= 10}
        if len(signs) != 1:
            continue
        words = ", ".join(f"{REGISTRY[t].label.lower()} {current.get(t, 0) + d:+d}" for t, d in moves)
        none = any(e.tool == "saturation" and e.value <= -100 for e in edits)
        intents.append(Intent(measure, signs.pop(), words, none=none and measure == "colour"))
    return intents


@dataclass
class _Target:
    intent: Intent
    low: float
    high: float

    def miss(self, value: float) -> float:
        """How far a measured value is outside the target (signed; 0 inside)."""
        return value - self.low if value < self.low else value - self.high if value > self.high else 0.0


class PlanCheck:
    """Checks one plan. ``render(plan)`` -> the statistics of the preview with the plan applied."""

    def __init__(self, plan: Plan, before: ImageStats, current: dict[str, int], render: Callable[[Plan], ImageStats]):
        self.plan, self.before, self.current, self.render = plan, before, current, render
        self.intents = plan.intents if plan.intents is not None else intents_of_edits(plan.edits, current)
        self.proposed = {e.tool: e.value for e in self.edits()}  # the assistant's own values, before the check
        self.notes: list[str] = []
        self._targets: list[_Target] = []
        self._light: float | None = None

    def edits(self) -> list[Edit]:
        """The plan's edits of the whole photo: the directions are measured on all of it, so an edit
        on an area (the sky darker) is neither measured nor corrected."""
        return [e for e in self.plan.edits if e.area is None]

    def targets(self) -> list[_Target]:
        targets = []
        for intent in self.intents:
            start = value_of(self.before, intent.measure)
            low, high = -math.inf, math.inf
            if intent.none:
                high = NO_COLOUR
            elif intent.direction > 0:
                low = start + MOVE[intent.measure]
                if intent.measure == "light" and any(i.direction and i is not intent for i in self.intents):
                    low = max(low, self._light_alone() - 0.01)  # other wishes may not cancel the brightness asked for
            elif intent.direction < 0:
                high = start - MOVE[intent.measure]
            else:
                drift = max(KEEP[intent.measure], KEEP_RELATIVE * start if intent.measure == "colour" else 0.0)
                low, high = start - drift, start + drift
            if intent.at_most is not None:
                high = min(high, intent.at_most * (1 + KEEP_RELATIVE / 2))
                low = min(low, high)
            targets.append(_Target(intent, low, high))
        return targets

    def _light_alone(self) -> float:
        """The median with only the plan's light changes as proposed: the brightness asked for."""
        if self._light is None:
            edits = [Edit(tool, value) for tool, value in self.proposed.items() if tool in TOOLS["light"]]
            self._light = self.render(Plan("", edits=edits)).median_luma
        return self._light

    def run(self) -> list[str]:
        """Check, correct where needed; returns sentences for the reply."""
        if not self.intents or not self.edits():
            return []
        failing: list[_Target] = []
        for done in range(ROUNDS + 1):
            stats = self.render(self.plan)
            self._targets = self.targets()
            failing = [t for t in self._targets if t.miss(value_of(stats, t.intent.measure))]
            if not failing or done == ROUNDS or not any(self.correct(t, stats) for t in failing):
                break
        self.describe(failing, stats)
        return self.notes

    def correct(self, target: _Target, stats: ImageStats) -> bool:
        """Move one tool towards the target; False when nothing may move."""
        measure = target.intent.measure
        miss = target.miss(value_of(stats, measure))
        # Lifted shadows and whites flatten the tones and wash the colours out: those go first.
        washed = miss < 0 and (measure == "contrast" or (measure == "colour" and target.intent.direction == 0))
        if washed and self._take_back_washers():
            return True
        if target.intent.direction and self._take_back_opposers(measure, target.intent.direction):
            return True
        tool = CORRECTOR[measure]
        if tool in self.plan.fixed_tools:
            return False
        edit = self._edit(tool)
        now = value_of(stats, measure)
        if measure == "light":
            step = -miss / BRIGHTNESS_PER_UNIT * 1.2  # a little more for the curves after it
        elif measure == "warmth":
            step = -miss * max(stats.mean_luma, 0.05) / WARM_PER_TEMPERATURE * 1.2  # warmth is per unit of brightness
        elif measure == "colour":
            if target.intent.none:
                step = -100 - edit.value
            else:
                wanted = now - miss * 1.1
                step = 100.0 * (1.0 + edit.value / 100.0) * (wanted / max(now, 1e-3) - 1.0)
        else:
            wanted = now - miss * 1.1
            step = CONTRAST_PER_DOUBLING * math.log2(max(wanted, 1e-3) / max(now, 1e-3))
        step = max(-40.0, min(40.0, step))
        value = round(edit.value + (math.copysign(max(abs(step), 1.0), step) if step else 0))
        value = self._within(tool, value)
        if value == edit.value:
            return False
        edit.value = value
        return True

    def _take_back_washers(self) -> bool:
        """Take two thirds of the largest tone lift that washes the colours out and flattens the tones."""
        lifts = [e for e in self.edits() if e.tool in WASHERS and e.value - self.current.get(e.tool, 0) > 2]
        if not lifts:
            return False
        edit = max(lifts, key=lambda e: e.value - self.current.get(e.tool, 0))
        start = self.current.get(edit.tool, 0)
        edit.value = start + (edit.value - start) // 3
        return True

    def _take_back_opposers(self, measure: str, direction: int) -> bool:
        """ "Too dark, fix it" on a bright photo: the plan's own changes that go against the asked
        direction (a highlights recovery darkens) are taken back; the person is followed."""
        opposers = [
            e
            for e in self.edits()
            if e.tool in TOOLS[measure]
            and e.tool != CORRECTOR[measure]
            and (e.value - self.current.get(e.tool, 0)) * direction < 0
        ]
        moved = False
        for edit in opposers:
            value = self._within(edit.tool, self.current.get(edit.tool, 0))
            moved, edit.value = moved or value != edit.value, value
        return moved

    def _within(self, tool: str, value: float) -> int:
        """A corrected value: at most LIMIT from the plan's own, and in the slider's range."""
        start = self.proposed.get(tool, self.current.get(tool, 0))
        return int(max(-100, start - LIMIT, min(100, start + LIMIT, value)))

    def _edit(self, tool: str) -> Edit:
        for edit in self.edits():
            if edit.tool == tool:
                return edit
        edit = Edit(tool, self.current.get(tool, 0), "")
        self.plan.edits.append(edit)
        return edit

    def describe(self, failing: list[_Target], stats: ImageStats) -> None:
        """The corrections made, and what could not be met, in words."""
        changed = []
        for edit in self.edits():
            was = self.proposed.get(edit.tool, self.current.get(edit.tool, 0))
            if edit.value != was:
                label = REGISTRY[edit.tool].label.lower()
                changed.append(f"{label} {was:+d} → {edit.value:+d}")
                why = "corrected after checking the result on the preview"
                edit.reason = f"{edit.reason} ({why})" if edit.reason else f"Set {label} {edit.value:+d}, {why}"
        self.plan.edits = [
            e
            for e in self.plan.edits
            if e.area is not None or e.value != self.current.get(e.tool, 0) or e.tool in self.proposed
        ]
        if changed:
            held = [_wanted(t.intent) for t in self._targets if not t.miss(value_of(stats, t.intent.measure))]
            self.notes.append(
                f"I checked the result on the preview and corrected {', '.join(changed)}"
                + (f" so that {_join(held)}." if held else ".")
            )
        for target in failing:
            self.notes.append(
                f"I could not {_wanted(target.intent, failing=True)}: "
                f"{_measure_words(target.intent.measure)} is {value_of(stats, target.intent.measure):.2f} "
                f"(it was {value_of(self.before, target.intent.measure):.2f})."
            )


def _measure_words(measure: str) -> str:
    return {
        "light": "the median brightness",
        "warmth": "the warmth",
        "colour": "the colour saturation",
        "contrast": "the contrast",
    }[measure]


def _wanted(intent: Intent, failing: bool = False) -> str:
    """'it comes out brighter', 'the colours stay as they were', 'no colour is left'."""
    if intent.none:
        return "take all the colour out" if failing else "no colour is left"
    if intent.at_most is not None and intent.direction > 0:
        return (
            "bring the colour back without overdoing it"
            if failing
            else "the colour comes back no stronger than the photo's own"
        )
    words = {
        ("light", 1): "brighter",
        ("light", -1): "darker",
        ("warmth", 1): "warmer",
        ("warmth", -1): "cooler",
        ("colour", 1): "more colourful",
        ("colour", -1): "less colourful",
        ("contrast", 1): "punchier",
        ("contrast", -1): "softer",
    }
    if intent.direction == 0:
        thing = {"light": "brightness", "warmth": "warmth", "colour": "colours", "contrast": "contrast"}[intent.measure]
        return (
            f"keep the {thing} as {'they were' if thing == 'colours' else 'it was'}"
            if failing
            else f"the {thing} stay{'s' * (thing != 'colours')} as before"
        )
    word = words[(intent.measure, intent.direction)]
    return f"make it {word}" if failing else f"it comes out {word}"


def _join(items) -> str:
    items = list(dict.fromkeys(items))
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
