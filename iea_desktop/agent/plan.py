"""What an assistant turn decides, as data: the edits to make, checked against the op registry.

Model output never runs as code: it becomes a ``Plan`` of (tool, value, reason) entries, each
validated by the registry (unknown tools refused, aliases resolved, values clamped), with a
message for everything that had to be corrected.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.ops import IEA_TOOLS, REGISTRY, OpError, resolve_name
from ..core.ops.tone_curve import PRESETS
from ..core.stats import centre_of_interest
from .areas import AREAS
from .backends.grammar import Arg


@dataclass
class Edit:
    tool: str  # canonical op name, one of the 16 IEA tools
    value: int  # the absolute value the assistant's node for this tool should have (0 removes it)
    reason: str = ""
    look: str | None = None  # the look this value belongs to ("vintage"), kept on the node's provenance
    area: str | None = None  # where the node acts (agent/areas.py: "sky", "top", ...); None: the whole photo


@dataclass
class GeometryEdit:
    """The params the assistant's node of a geometry op (crop, rotate, straighten, flip) or of
    another op with named parameters (white balance, the tone curve, ...) should have; ``params``
    None removes that node."""

    op: str
    params: dict | None
    reason: str = ""
    area: str | None = None  # as Edit.area (never for a geometry op)


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


# --- the generic dialect's tools beyond the 16 ------------------------------------------------------

# The ops a general model may use besides the 16 (issues 15 and 17). Most take their registry
# params as they are; crop, rotate and the tone curve take a word a model can say instead
# (model_args), turned into params here.
MODEL_OPS = (
    "crop",
    "rotate",
    "straighten",
    "flip",
    "white_balance",
    "dehaze",
    "noise_reduction",
    "clarity",
    "texture",
    "colour_mixer",
    "tone_curve",
)
ASPECT_ALIASES = {"square": "1:1"}


def crop_aspects() -> tuple[str, ...]:
    """The crop's fixed aspects ("original" takes the crop away)."""
    return tuple(a for a in REGISTRY["crop"].param("aspect").choices if a != "free")


def curve_presets() -> dict[str, tuple]:
    """The tone curve's presets by the words a model uses: 'linear', 'medium contrast', 'matte'."""
    return {name.split(" (")[0].lower(): points for name, points in PRESETS.items()}


def rotations() -> dict[int, int]:
    """Degrees a model may write (90 clockwise, -90 counter-clockwise) -> the rotate op's quarter turns."""
    turns = REGISTRY["rotate"].param("turns")
    return {t * 90 if t * 90 <= 180 else t * 90 - 360: t for t in range(int(turns.minimum), int(turns.maximum) + 1)}


_WORD_ARGS: dict[str, tuple[Callable[[], Arg], str]] = {
    "crop": (
        lambda: Arg("aspect", "choice", choices=crop_aspects()),
        "width:height, centred on the subject; original: no crop",
    ),
    "rotate": (
        lambda: Arg("degrees", "choice", choices=tuple(rotations())),
        "90 clockwise, -90 counter-clockwise, 0 none",
    ),
    "tone_curve": (lambda: Arg("preset", "choice", choices=tuple(curve_presets())), "linear: no curve"),
}
_ARG_KINDS = {"int": "int", "float": "decimal", "bool": "bool"}


def model_args(op: str) -> tuple[tuple[Arg, str], ...]:
    """The arguments a model writes for one of MODEL_OPS, each with its help: the op's own params
    (optional when it has several), or the word that stands for them."""
    if op in _WORD_ARGS:
        make, help = _WORD_ARGS[op]
        return ((make(), help),)
    params = REGISTRY[op].params
    return tuple(
        (Arg(p.name, _ARG_KINDS[p.kind], int(p.minimum), int(p.maximum), required=len(params) == 1), p.help)
        for p in params
    )


def aspect_crop(frame: np.ndarray, aspect: str) -> tuple[dict, bool]:
    """Crop params for ``aspect`` ("16:9") on ``frame``: as large as fits, centred on the subject
    where one stands out (else on the middle); and whether a subject was found."""
    height, width = frame.shape[:2]
    a, b = (int(x) for x in aspect.split(":"))
    ratio = a / b
    w, h = (height * ratio / width, 1.0) if width / height > ratio else (1.0, width / ratio / height)
    centre = centre_of_interest(frame)
    cx, cy = centre or (0.5, 0.5)
    left = min(max(cx - w / 2, 0.0), 1.0 - w)
    top = min(max(cy - h / 2, 0.0), 1.0 - h)
    return {
        "left": round(left, 4),
        "top": round(top, 4),
        "right": round(left + w, 4),
        "bottom": round(top + h, 4),
        "aspect": aspect,
    }, centre is not None


class Refused(ValueError):
    """A tool call that cannot be used; the message says why."""


def _word(op: str, value) -> str:
    if not isinstance(value, str):
        raise Refused(f"ignored {op}: {value!r} is not a word")
    return " ".join(value.lower().split())


def _op_params(
    op: str, given: dict, current: dict | None, frame: Callable[[], np.ndarray] | None, notes: list[str]
) -> dict | None:
    """The params the assistant's node of ``op`` should have (None: no node) for the arguments a model gave."""
    spec = REGISTRY[op]
    if op == "crop":
        aspect = ASPECT_ALIASES.get(_word(op, given["aspect"]), _word(op, given["aspect"]))
        if aspect not in crop_aspects():
            raise Refused(f"ignored crop: no aspect {given['aspect']!r} (valid: square, {', '.join(crop_aspects())})")
        if aspect == "original":
            return None
        if frame is None:
            raise Refused("ignored crop: there is no picture to crop")
        return aspect_crop(frame(), aspect)[0]
    if op == "rotate":
        degrees = given["degrees"]
        if (
            isinstance(degrees, bool)
            or not isinstance(degrees, (int, float))
            or not math.isfinite(degrees)
            or degrees % 90
        ):
            raise Refused(
                f"ignored rotate: {degrees!r} is not a quarter turn (90, 180, -90); straighten turns by small angles"
            )
        turns = int(degrees) // 90 % 4
        return {"turns": turns} if turns else None
    if op == "tone_curve":
        word = _word(op, given["preset"])
        presets = curve_presets()
        if word not in presets:
            raise Refused(f"ignored tone_curve: no preset {given['preset']!r} (valid: {', '.join(presets)})")
        params = {**(current or spec.defaults()), "rgb": presets[word]}
    else:
        params = dict(current or spec.defaults())
        for name, value in given.items():
            param = spec.param(name)
            try:
                params[name] = param.coerce(value, op)
            except OpError as error:
                raise Refused(f"ignored {op}: {error}") from None
            if param.numeric and isinstance(value, (int, float)) and not param.minimum <= value <= param.maximum:
                where = op if name == "value" else f"{op}.{name}"
                notes.append(f"{where} {value:g} is out of range; used {params[name]:g}")
    return None if params == spec.defaults() else params


def area_arg() -> Arg:
    """The optional argument that makes a generic model's edit act on part of the photo only."""
    return Arg("area", "choice", choices=AREAS, required=False)


def maskable(op: str) -> bool:
    """Whether a node of ``op`` may act on part of the photo (geometry acts on all of it)."""
    return REGISTRY[op].stage != "geometry"


def _area(name: str, area: Any) -> str | None:
    """A model's ``area`` argument checked: None (the whole photo) or one of agent/areas.AREAS."""
    if area is None:
        return None
    if not maskable(name):
        raise Refused(f"ignored {name}: it acts on the whole photo, not on an area ({area!r})"[:200])
    if not isinstance(area, str) or area.strip().lower() not in AREAS:
        raise Refused(f"ignored {name}: no area {area!r} (valid: {', '.join(AREAS)})"[:300])
    return area.strip().lower()


def validate_call(
    call: dict,
    *,
    current: Callable[[str, str | None], dict | None] = lambda op, area: None,
    frame: Callable[[], np.ndarray] | None = None,
) -> tuple[Edit | GeometryEdit | None, list[str]]:
    """One tool call of the generic dialect (``{"tool": ..., <arguments>, "area": ..., "reason": ...}``)
    -> (an Edit for one of the 16, a GeometryEdit for the other ops, or None) and the notes on what
    was corrected or refused. ``area`` (optional): where on the photo the node acts.
    ``current(op, area)``: the params of the assistant's node of that op there, if any (arguments
    left out keep their values); ``frame()``: the picture a crop applies to."""
    tool: Any = call.get("tool")  # anything a model wrote: resolve_name says what is wrong with it
    reason = call.get("reason", "")
    reason = reason.strip()[:300] if isinstance(reason, str) else ""
    try:
        name = resolve_name(tool)
    except OpError:
        return None, [f"ignored unknown tool {tool!r} (valid: {', '.join(IEA_TOOLS + MODEL_OPS)})"]
    if name not in IEA_TOOLS and name not in MODEL_OPS:
        return None, [f"ignored {name!r}: the assistant cannot use it"]
    try:
        area = _area(name, call.get("area"))
    except Refused as refused:
        return None, [str(refused)]
    if name in IEA_TOOLS:
        edit, note = validate_edit(name, call.get("value"), reason)
        if edit is not None:
            edit.area = area
        return edit, [note] if note else []
    args = model_args(name)
    valid = [arg.name for arg, _ in args]
    notes = [
        f"ignored {name}.{key}: not one of its arguments ({', '.join(valid)})"
        for key in call
        if key not in ("tool", "reason", "area", *valid)
    ]
    given = {key: call[key] for key in valid if key in call}
    missing = [arg.name for arg, _ in args if arg.required and arg.name not in call]
    if missing or not given:
        return None, [*notes, f"ignored {name}: it needs {' or '.join(missing or valid)}"]
    try:
        params = _op_params(name, given, current(name, area), frame, notes)
    except Refused as refused:
        return None, [*notes, str(refused)]
    return GeometryEdit(name, params, reason, area), notes


def validate_calls(
    calls: list[dict],
    *,
    current: Callable[[str, str | None], dict | None] = lambda op, area: None,
    frame: Callable[[list[GeometryEdit]], np.ndarray] | None = None,
) -> tuple[list[Edit], list[GeometryEdit], list[str]]:
    """Validate a generic model's tool calls; a tool named twice for one area keeps its last call. ``frame(edits)``:
    the picture a crop applies to, with these edits of the same answer made: a crop comes last in
    the pipeline, so it is worked out after the answer's other edits (a quarter turn changes its frame)."""
    edits: dict[tuple[str, str | None], Edit] = {}
    others: dict[tuple[str, str | None], GeometryEdit] = {}
    warnings: list[str] = []
    crop_last = sorted(calls, key=lambda call: call.get("tool") == "crop")
    for call in crop_last:
        result, notes = validate_call(
            call, current=current, frame=None if frame is None else lambda: frame(list(others.values()))
        )
        warnings += notes
        if isinstance(result, Edit):
            edits[result.tool, result.area] = result
        elif result is not None:
            others[result.op, result.area] = result
    return list(edits.values()), list(others.values()), warnings
