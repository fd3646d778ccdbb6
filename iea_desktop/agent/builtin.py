"""The built-in assistant: chat that works on first launch, with no model file.

Deterministic and instant: ``builtin_parse`` reads the message into wishes ("more light",
"the vintage look", "a bit less"), ``builtin_measure`` sizes them from the photo's statistics,
and this module turns them into a ``Plan`` of absolute slider values for the assistant's own
nodes, each with a one-line reason, plus a short reply. Where one of the tools beyond the 16 is
the right tool (a colour cast, noise, haze, punch and detail, greens and skies, a matte curve),
its node's params go in ``Plan.geometry`` (an op and its params). Follow-ups change the assistant's
existing nodes (whose current values include any change the person made by hand since).
"""

from __future__ import annotations

import builtins
import re
import threading
from collections.abc import Callable

import numpy as np

from ..core import white_balance as wb
from ..core.graph import EditGraph, Node
from ..core.ops import IEA_TOOLS, REGISTRY
from ..core.ops.tone_curve import PRESETS as CURVE_PRESETS
from ..core.ops.white_balance import AS_SHOT, resolve
from ..core.stats import horizon_tilt
from ..core.stats import measure as measure_stats
from . import areas
from . import builtin_lexicon as lex
from . import builtin_measure as measure
from .builtin_parse import (
    Fix,
    FollowUp,
    GeometryWish,
    LookWish,
    Move,
    Removal,
    Request,
    SetValue,
    ToolWish,
    Wish,
    parse,
    tool_words,
)
from .errors import Cancelled
from .plan import Edit, GeometryEdit, Intent, Plan, aspect_crop, validate_edit
from .session import TurnContext, describe_node

# What a change does, in words: (going up, going down).
VERBS = {
    "exposure": ("Brightened", "Darkened"),
    "brightness": ("Lifted the brightness", "Lowered the brightness"),
    "contrast": ("Added contrast", "Reduced contrast"),
    "fade": ("Faded the photo", "Reduced the fade"),
    "natural_contrast": ("Added depth with an S-curve", "Softened the tone curve"),
    "highlights": ("Brightened the highlights", "Pulled back the highlights"),
    "shadows": ("Lifted the shadows", "Deepened the shadows"),
    "whites": ("Raised the whites", "Lowered the whites"),
    "blacks": ("Lifted the blacks", "Deepened the blacks"),
    "saturation": ("Boosted saturation", "Reduced saturation"),
    "vibrance": ("Boosted vibrance", "Muted the colours"),
    "temperature": ("Warmed the colours", "Cooled the colours"),
    "tint": ("Shifted towards green", "Shifted towards magenta"),
    "grain": ("Added grain", "Reduced the grain"),
    "vignette": ("Darkened the corners", "Lightened the corners"),
    "sharpness": ("Sharpened", "Softened"),
}
NOUN_WORDS = {  # how to name what a noun covers, in replies
    "light": "brightness",
    "color": "colours",
    "warmth": "warmth",
    "tint": "tint",
    "contrast": "contrast",
    "clarity": "depth",
    "shadows": "shadows",
    "highlights": "highlights",
    "whites": "whites",
    "blacks": "blacks",
    "fade": "fade",
    "grain": "grain",
    "vignette": "vignette",
    "sharpness": "sharpness",
    "noise": "noise",
    "saturation": "saturation",
    "vibrance": "vibrance",
    "tone": "tones",
}
CAPABILITIES = (
    "I can adjust brightness, contrast, colour, warmth, shadows, highlights, sharpness, grain, "
    "vignette and fade, correct the white balance, reduce noise and haze, add punch and detail, enrich "
    "the greens or the sky, or apply a look (vintage, black and white, golden hour, moody, dreamy, "
    "cinematic, film, matte ...). I can also change just one part: "
    + ", ".join(areas.words(a) for a in areas.AREAS)
    + " (“darken the sky”, “brighten the faces”)."
)
# What the plan check measures for a wish of each axis (plan_check.py).
AXIS_MEASURE = {
    "light": "light",
    "brightness": "light",
    "warmth": "warmth",
    "color": "colour",
    "saturation": "colour",
    "vibrance": "colour",
    "vivid": "colour",
    "pop": "colour",
    "contrast": "contrast",
}
COLOUR_TOOLS = {"saturation", "vibrance", "temperature", "tint"}
ALL_COLOUR = re.compile(r"\b(?:all|completely|entirely|fully|totally|every|strip|whole)\b")
ASPECT_WORDS = {"1:1": "a square"}
# The tools beyond the 16 that the built-in assistant uses (issue 15); its nodes of them carry all
# their params (Plan.geometry: an op and its params, as for the geometry ops).
MORE_TOOLS = ("white_balance", "noise_reduction", "dehaze", "clarity", "texture", "colour_mixer", "tone_curve")
MATTE = "Matte (faded blacks)"
# One ordinary request, in slider units (noise reduction and dehaze are measured: builtin_measure.py).
CLARITY_STEP, TEXTURE_STEP, SKIN_TEXTURE = 30, 20, -30
GREENS = {"green_saturation": 25, "yellow_saturation": 10}
SKY = {"blue_saturation": 25, "blue_luminance": -20, "aqua_saturation": 10}
TOOLS_OF = {
    "matte": ("tone_curve",),
    "detail": ("clarity", "texture"),
    "greens": ("colour_mixer",),
    "sky": ("colour_mixer",),
    "skin": ("texture",),
}  # what "remove the ..." takes away
WB_STEP = 20.0  # mired: one "too blue" / "too orange" step when the measured white does not go that way
WB_SAME = 4.0  # mired: the measured white this close to the current one is already there
LEVEL_WITHIN = 0.5  # degrees: a measured tilt this small is left alone (the measurement is not finer)


def _label(tool: str) -> str:
    return REGISTRY[tool].label.lower()


def _mired(kelvin: float) -> float:
    return 1e6 / kelvin


def new_tool_words(op: str, params: dict) -> str:
    """A node of the tools beyond the 16 in words: 'dehaze +40', 'white balance 7400 K, tint +12',
    'colour mixer green saturation +25', 'tone curve matte (faded blacks)'."""
    spec = REGISTRY[op]
    if op == "white_balance":
        return f"white balance {params['temperature']} K, tint {params['tint']:+d}"
    if op == "tone_curve":
        name = next(
            (k for k, v in CURVE_PRESETS.items() if [list(p) for p in v] == [list(p) for p in params["rgb"]]), None
        )
        return f"tone curve {name.lower()}" if name else "tone curve " + spec.param("rgb").text(params["rgb"])
    changed = [p for p in spec.params if params[p.name] != p.default]
    if changed == [spec.params[0]] and len(spec.params) == 1:
        return f"{spec.label.lower()} {params[changed[0].name]:+d}"
    values = ", ".join(f"{p.label.lower()} {params[p.name]:{'+d' if p.minimum < 0 else 'd'}}" for p in changed)
    return f"{spec.label.lower()} {values or 'off'}"


def scaled(op: str, params: dict, factor: float) -> dict:
    """A node's params with its change from the op's defaults (as shot, for white balance, in mired;
    the straight line, for a curve) times ``factor``: what "a bit less" / "more" do to it."""
    spec, out = REGISTRY[op], dict(params)
    if op == "white_balance":
        mired = _mired(AS_SHOT[0]) + (_mired(params["temperature"]) - _mired(AS_SHOT[0])) * factor
        out["temperature"] = int(round(1e6 / max(mired, 1e6 / spec.param("temperature").maximum)))
        out["tint"] = int(round(AS_SHOT[1] + (params["tint"] - AS_SHOT[1]) * factor))
        return spec.validate(out)
    for p in spec.params:
        if p.kind == "curve":
            out[p.name] = [[x, min(max(x + (y - x) * factor, 0.0), 255.0)] for x, y in params[p.name]]
        else:
            out[p.name] = int(round(min(max(p.default + (params[p.name] - p.default) * factor, p.minimum), p.maximum)))
    return spec.validate(out)


def followed_value(current: int, factor: float) -> float:
    """ "A bit more" / "a bit less" on one of my values: ``factor`` times it, by at least a few units,
    down to nothing when little is left."""
    direction = 1 if current > 0 else -1
    change = abs(current) * abs(factor - 1.0)
    if factor > 1:
        return current + direction * max(change, 4)
    target = current - direction * max(change, 3)
    return 0 if target * direction < 3 else target


def _node_words(node: Node) -> str:
    """'exposure +30', 'crop left 0.1, right 0.9'."""
    return f"{_label(node.op)} {node.summary()}"


def _quote(text: str, limit: int = 40) -> str:
    text = text.strip()
    return "“" + (text if len(text) <= limit else text[: limit - 1].rstrip() + "…") + "”"


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def _join(items: list[str]) -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


class BuiltinAssistant:
    """The offline assistant (implements ``session.Assistant``)."""

    name = "Built-in assistant"
    is_builtin = True
    op_version: int | None = None  # each op's latest version

    @property
    def device_label(self) -> str:
        return "built-in, no model"

    def plan(
        self, ctx: TurnContext, on_text: Callable[[str], None] | None = None, cancel: threading.Event | None = None
    ) -> Plan:
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        plan = _Turn(ctx, parse(ctx.request)).plan()
        if on_text is not None:
            on_text(plan.reply)
        return plan

    def summarize(
        self, ctx: TurnContext, on_text: Callable[[str], None] | None = None, cancel: threading.Event | None = None
    ) -> str:
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        text = summarize_graph(ctx.nodes)
        if on_text is not None:
            on_text(text)
        return text


# --- one turn -------------------------------------------------------------------------------------


class _Turn:
    def __init__(self, ctx: TurnContext, req: Request):
        self.ctx, self.req = ctx, req
        self.stats = ctx.current_stats
        self.current: dict[str, int] = {}  # the assistant's nodes as they are now (a switched-off node counts 0)
        self.stored: dict[str, int] = {}  # their stored values, switched off or not
        self.disabled: set[str] = set()
        for tool in IEA_TOOLS:
            node = ctx.assistant_node(tool)
            if node is not None:
                self.stored[tool] = int(node.params["value"])
                self.current[tool] = self.stored[tool] if node.enabled else 0
                if not node.enabled:
                    self.disabled.add(tool)
        self.values = dict(self.current)
        self.whys: dict[str, list[str]] = {}
        self.primary: set[str] = set()
        self.secondary: set[str] = set()
        self.touched: set[str] = set()
        self.look_tools: dict[str, str] = {}  # tool -> look name, for this turn's looks
        self.replaced: dict[str, list[str]] = {}  # an earlier look this turn's look replaces -> its tools set to 0
        self.applied_looks: list[tuple[str, str, list[str]]] = []  # (look, " (a lighter version)", cleared tools)
        self.notes: list[str] = []
        self.warnings: list[str] = []
        self.asked: set[str] = set()  # tools the person asked by name to take away
        self.kept: list[str] = []  # removals left out: nodes of mine the person changed by hand
        self.fixed: dict[str, int] = {}  # tool -> direction a measured fix already moved it this turn
        self.followed: dict[str, str] = {}  # tool -> "stronger"/"weaker" for follow-up changes
        self.follow_words = ""
        self.quiet: set[str] = set()  # changes a look's sentence already explains
        self.intents: list[Intent] = []  # directions the plan check verifies on the preview
        self.geometry: list[GeometryEdit] = []
        self.tools: dict[str, dict] = {}  # the tools beyond the 16: op -> the params my node of it should have
        self.tool_whys: dict[str, str] = {}  # op -> a sentence on what changed and why
        self.tool_intents: list[Intent] = []  # "too blue": warmer, checked when the plan check runs
        self.placed: dict[tuple[str, str], int] = {}  # (tool, place) -> my node's value there (agent/areas.py)
        self.placed_whys: dict[tuple[str, str], str] = {}
        self.found: dict[str, np.ndarray | None] = {}  # place -> the current render's pixels there

    # --- small helpers ------------------------------------------------------------------------

    def value(self, tool: str) -> int:
        return self.values.get(tool, 0)

    def set(self, tool: str, value: float, why: str, primary: bool = True) -> None:
        low = 0 if tool in lex.POSITIVE_ONLY else -100
        self.values[tool] = int(round(min(max(value, low), 100)))
        self.touched.add(tool)
        whys = self.whys.setdefault(tool, [])
        if why and why not in whys:
            whys.append(why)
        if primary:
            self.primary.add(tool)
            self.secondary.discard(tool)
        elif tool not in self.primary:
            self.secondary.add(tool)

    def user_nodes(self, tools) -> list[Node]:
        return [n for n in self.ctx.nodes if n.op in tools and n.provenance.origin != "assistant" and n.enabled]

    def note(self, text: str) -> None:
        text = _sentence(text)
        if text and text not in self.notes:
            self.notes.append(text)

    def last_turn_nodes(self) -> list[Node]:
        """The assistant's tool nodes from its most recent applied turn that added or changed some
        (the project's turn records: this works after reopening); all of them when no turn is recorded."""
        mine = [n for n in self.ctx.assistant_nodes() if n.op in IEA_TOOLS or n.op in MORE_TOOLS]
        for turn in reversed(self.ctx.turns):
            ids = set(turn.node_ids("added", "changed"))
            nodes = [n for n in mine if n.id in ids]
            if nodes:
                return nodes
        return mine

    def intend(self, axis: str, sign: int, words: str, **extra) -> None:
        """Note a direction to check on the preview."""
        measure_name = AXIS_MEASURE.get(axis)
        if measure_name is not None:
            self.intents.append(Intent(measure_name, sign, words, **extra))

    # --- the plan -------------------------------------------------------------------------------

    def plan(self) -> Plan:
        req = self.req
        if req.command:
            return self.command(req.command)
        if not (req.has_edits or req.refusals or req.scope or req.keep or req.nothing_else):
            return Plan(reply=self.not_understood())
        if req.scope and not req.has_edits:
            return self.keep_only()
        for item in req.sets:
            self.apply_set(item)
        for geometry in req.geometry:
            self.apply_geometry(geometry)
        for look in req.looks:
            self.apply_look(look)
        for tool_wish in req.tools:
            self.apply_tool(tool_wish)
        for fix in req.fixes:
            self.apply_fix(fix)
        # Light first: the colour corrections that follow scale with this turn's exposure.
        for wish in sorted(req.wishes, key=lambda w: w.axis != "light"):
            self.apply_wish(self._within_scope(wish))
        for removal in req.removals:
            self.apply_removal(removal)
        for follow in req.followups:
            self.apply_followup(follow)
        for move in req.moves:
            self.apply_move(move)
        self.apply_limits()
        return self.finish()

    # --- commands ------------------------------------------------------------------------------

    def command(self, command: str) -> Plan:
        ctx = self.ctx
        mine = ctx.assistant_nodes()
        if command == "undo":
            return self.undo()
        if command == "reset_all":
            if not ctx.nodes:
                return Plan(reply="There is nothing to reset: the photo has no adjustments.")
            count = len(ctx.nodes)
            what = "the only adjustment" if count == 1 else f"all {count} adjustments"
            return Plan(reply=f"Back to the original photo: removed {what}. Edit ▸ Undo brings them back.", reset="all")
        if command == "reset_assistant":
            if not mine:
                return Plan(reply="I haven't made any changes, so there is nothing of mine to remove.")
            listed = _join([_node_words(n) for n in mine])
            yours = " Your own adjustments are untouched." if len(mine) != len(ctx.nodes) else ""
            return Plan(reply=f"Removed my adjustments ({listed}).{yours}", reset="assistant")
        if command == "explain":
            return Plan(reply=describe_graph(ctx.nodes, reasons=True))
        if command == "summary":
            return Plan(reply=describe_graph(ctx.nodes))
        if command == "style":
            return Plan(reply=summarize_graph(ctx.nodes))
        if command == "help":
            return Plan(
                reply=f"{CAPABILITIES} Try: {', '.join(lex.EXAMPLES)}. I can also undo my last change, "
                "make it “a bit less” or “more”, and tell you what I changed."
            )
        if command == "thanks":
            return Plan(reply="Glad you like it! Tell me if you'd like anything else changed.")
        if command == "greeting":
            return Plan(
                reply=f"Hi! Tell me how you'd like the photo to look, for example {lex.EXAMPLES[0]}, "
                f"{lex.EXAMPLES[1]} or {lex.EXAMPLES[3]}."
            )
        if command == "assess":
            return Plan(reply=self.assessment())
        return Plan(reply=self.not_understood())

    def undo(self) -> Plan:
        """ "undo", "undo the last two", "go back to before the vignette" (the session undoes them)."""
        req, turns = self.req, self.ctx.turns
        if not req.undo_before:
            return Plan(reply="", undo_turns=req.undo_count)
        look = next(
            (name for name in lex.LOOKS if name in req.undo_before.replace("blackandwhite", "black and white")), None
        )
        tools = set(tool_words(req.undo_before))
        mine = {
            n.id
            for n in self.ctx.assistant_nodes()
            if (look is not None and n.provenance.look == look) or (look is None and n.op in tools)
        }
        for back, turn in enumerate(reversed(turns), start=1):
            if mine & set(turn.node_ids("added", "changed")):
                return Plan(reply="", undo_turns=back)
        what = f"{look} look" if look else req.undo_before
        return Plan(
            reply=f"There is no {what} of mine among the changes I can undo, so I left everything as it "
            "is. The History panel lists every step."
        )

    def assessment(self) -> str:
        s = self.stats
        issues = measure.assess(self.ctx.current, s)
        if issues:
            return _sentence("I'd say " + _join(issues)) + " Say “fix it” and I'll correct that."
        return (
            f"It looks well balanced to me (median brightness {s.median_luma:.2f}, tones {s.p05:.2f}–"
            f"{s.p95:.2f}, neutral colours, nothing clipped). For a different mood, try “warmer”, “moody” "
            "or “vintage”."
        )

    def not_understood(self) -> str:
        return "I'm not sure what you'd like me to change. " + CAPABILITIES + " Try: " + ", ".join(lex.EXAMPLES) + "."

    def keep_only(self) -> Plan:
        """ "only the exposure" on its own: keep just my changes to those tools."""
        scope, words = self.req.scope or set(), self.req.scope_words or "those"
        mine = [n for n in self.ctx.assistant_nodes() if n.op in IEA_TOOLS and areas.area_of(n.mask) is None]
        kept = [n for n in mine if n.op in scope]
        dropped = [n for n in mine if n.op not in scope]
        if not mine or not kept:
            return Plan(
                reply=f"Tell me what to do with the {words}, for example “more {words}” or “less "
                f"{words}”; I'll leave everything else alone."
            )
        if not dropped:
            return Plan(reply=f"Only my {words} change is in place already.")
        edits = [Edit(n.op, int(n.params["value"]), n.provenance.reason, n.provenance.look) for n in kept]
        listed = _join([_node_words(n) for n in dropped])
        return Plan(
            reply=f"Kept only my {words} change and removed my other adjustments ({listed}).",
            edits=edits,
            complete=True,
        )

    # --- edits -----------------------------------------------------------------------------------

    def apply_set(self, item: SetValue) -> None:
        target = self.value(item.tool) + item.value if item.relative else item.value
        edit, note = validate_edit(item.tool, target)
        if note:
            self.warnings.append(note)
        if edit is None:
            return
        self.set(edit.tool, edit.value, f"as you asked ({_quote(item.words)})")
        if edit.value == 0:
            self.asked.add(edit.tool)
        own = self.user_nodes([edit.tool])
        if own:
            self.note(f"your own {_label(edit.tool)} adjustment ({own[0].params['value']:+d}) still applies on top")

    def apply_look(self, look: LookWish) -> None:
        name = look.name
        values = lex.LOOKS[name][1]
        if look.remove:
            tools = [n.op for n in self.ctx.assistant_nodes() if self._look_of(n) == name] or [
                t for t in values if self.value(t)
            ]
            for tool in tools:
                self.set(tool, 0, f"to take the {name} look away, as you asked")
                self.asked.add(tool)
            if not tools:
                self.note(f"There is no {name} look of mine to remove")
            return
        mine = [n for n in self.ctx.assistant_nodes() if self._look_of(n) == name]
        if look.scale < 1.0 and look.words and self._reducing(look):
            if not mine:
                self.note(
                    f"There is no {name} look of mine to tone down; tell me what to change instead, e.g. "
                    "“brighter” or “warmer”"
                )
                return
            self.follow_words = look.words
            for node in mine:
                self.followed[node.op] = "weaker"
                self.look_tools[node.op] = name
                self.set(node.op, round(node.params["value"] * look.scale), f"as you asked ({_quote(look.words)})")
            return
        this_turn = {w.name for w in self.req.looks}
        for node in self.ctx.assistant_nodes():
            other = self._look_of(node)
            if other and other not in this_turn and node.op not in values and node.op not in self.touched:
                self.set(node.op, 0, f"to replace the {other} look with {name}")
                self.quiet.add(node.op)
                self.replaced.setdefault(other, []).append(node.op)
        cleared: list[str] = []
        if name in lex.BLACK_AND_WHITE_LOOKS:
            cleared = [t for t in lex.COLOR_AFTER_BW if t not in values and self.value(t)]
            for tool in cleared:
                self.set(tool, 0, f"for the {name} look (it would tint the result)")
                self.quiet.add(tool)
            own = self.user_nodes([t for t in lex.COLOR_AFTER_BW if t not in values])
            if own:
                self.note(
                    f"your own {_label(own[0].op)} adjustment still tints the result; switch it off for neutral greys"
                )
        for tool, amount in values.items():
            target = round(amount * look.scale)
            current = self.value(tool)
            existing = self.ctx.assistant_node(tool)
            from_other_look = existing is not None and self._look_of(existing) not in (None, name)
            if (
                look.scale == 1.0
                and current * amount > 0
                and abs(current) > abs(target)
                and tool not in self.touched
                and not from_other_look
            ):
                target = current  # a stronger push of mine in the same direction stays
            self.set(tool, target, f"for the {name} look")
            self.look_tools[tool] = name
        strength = (
            ""
            if abs(look.scale - 1.0) < 0.05
            else " (a lighter version)"
            if look.scale < 1
            else " (a stronger version)"
        )
        self.applied_looks.append((name, strength, cleared))
        if values.get("saturation", 0) <= -100:
            self.intend("color", -1, look.words, none=True)

    def _reducing(self, look: LookWish) -> bool:
        """ "too moody" / "less vintage" (as opposed to "a little vintage")."""
        return bool(re.search(r"\b(?:too|less|not so|not as|overly|tone down|reduce)\b", look.words))

    @staticmethod
    def _look_of(node: Node) -> str | None:
        return node.provenance.look

    def gain(self) -> float:
        """How much this turn's exposure and whites changes multiply the tones (colour casts scale with it)."""
        exposure = measure.exposure_gain(self.value("exposure") - self.current.get("exposure", 0))
        return exposure * measure.whites_gain(self.value("whites")) / measure.whites_gain(self.current.get("whites", 0))

    def apply_fix(self, fix: Fix) -> None:
        """A measured correction: "fix it", "fix the exposure", "white balance", "fix the contrast"."""
        s, image = self.stats, self.ctx.current
        kind = fix.kind
        if kind == "noise":
            self.fix_noise(fix.intensity, fix.words)
            return
        protected = self._look_protected() if kind == "auto" else set()
        kept: list[measure.Need] = []
        applied = 0

        def use(need: measure.Need | None, scale: float = 1.0) -> None:
            nonlocal applied
            if need is None:
                return
            if need.tool in protected:
                kept.append(need)
                return
            delta = need.delta * fix.intensity * scale
            if need.tool == "exposure" and delta > 0:
                self._brighten(delta, need.why, primary=True)
            else:
                self.set(need.tool, self.value(need.tool) + delta, need.why)
                if need.tool == "highlights":
                    whites = measure.whites_for_clipping(s)
                    if whites:
                        self.set("whites", self.value("whites") + whites, need.why, primary=False)
            self.fixed[need.tool] = 1 if delta > 0 else -1
            applied += 1

        if kind in ("auto", "exposure"):
            use(measure.auto_exposure(s))
        # The tones once this turn's exposure and shadows are in: later needs are measured on that.
        lifted = self.value("shadows") - self.current.get("shadows", 0)
        after = measure.predict(s, self.gain(), lifted)
        if kind in ("auto", "contrast"):
            need = measure.contrast_need(after, 0)
            if need and need.tool not in protected:
                use(need)
                # Contrast pivots on middle grey: hold the median where exposure put it.
                hold = measure.brightness_to_hold(min(1.0, s.median_luma * self.gain()), need.delta * fix.intensity)
                if abs(hold) >= 2:
                    self.set(
                        "brightness",
                        self.value("brightness") + hold,
                        "to keep the overall brightness while adding contrast",
                        primary=False,
                    )
            else:
                use(need)
        if kind == "auto":
            if not lifted:
                use(measure.shadows_need(after))
            use(measure.highlights_need(after))
        if kind in ("auto", "color"):
            for need in measure.white_balance(image, s, strict=kind == "color"):
                use(need, self.gain())  # temperature adds levels after exposure has multiplied them
            use(measure.saturation_need(s))
        if kept:
            looks = sorted({look for n in self.ctx.assistant_nodes() if (look := self._look_of(n))})
            self.note(f"I kept the {_join(looks)} look as it is")
        if not applied:
            self.note(self._fine(kind) if not kept else "nothing else needs fixing")

    def _look_protected(self) -> builtins.set[str]:  # (builtins: the method set shadows the type here)
        """Tools an automatic fix leaves alone because my current look chose them on purpose."""
        tools = {n.op for n in self.ctx.assistant_nodes() if self._look_of(n)} | set(self.look_tools)
        protected = set(tools)
        if tools & {"temperature", "tint"}:
            protected |= {"temperature", "tint"}
        if tools & {"fade", "exposure", "brightness"}:
            protected |= {"exposure"}
        if tools & {"fade", "contrast", "natural_contrast", "blacks"}:
            protected |= {"contrast", "shadows"}
        if tools & {"saturation", "vibrance"}:
            protected |= {"saturation", "vibrance"}
        return protected

    def _fine(self, kind: str) -> str:
        s = self.stats
        if kind == "exposure":
            return (
                f"The exposure already looks right (median brightness {s.median_luma:.2f}, "
                f"{100 * s.clip_high:.1f}% clipped), so I left it. Say “brighter” or “darker” if you'd like "
                "it different"
            )
        if kind == "color":
            warm, gm = measure.neutral_cast(self.ctx.current)
            return (
                f"The colours already look neutral (grey areas are {measure.cast_words(warm, gm)}), so I left "
                "them. Say “warmer” or “cooler” to change the mood"
            )
        if kind == "contrast":
            return (
                f"The contrast already looks fine (tones {s.p05:.2f}–{s.p95:.2f}), so I left it. Say “more "
                "contrast” or “softer” if you'd like it different"
            )
        return (
            f"It already looks well balanced: {measure.describe_light(s)}, tones {s.p05:.2f}–{s.p95:.2f}, no "
            "colour cast, nothing badly clipped. Tell me what you'd like instead, e.g. “warmer”, “more "
            "contrast” or “make it vintage”"
        )

    def fix_noise(self, intensity: float, words: str) -> None:
        """Grain of mine goes first; otherwise noise reduction, luminance and colour alike, sized by
        the measured noise."""
        if self.value("grain") > 0:
            self.set("grain", 0, "because the grain I added reads as noise")
            return
        need = measure.noise_reduction_need(self.ctx.current)
        amount = need.delta * min(max(intensity, 0.6), 1.5)
        amount = max(amount, self.tool_params("noise_reduction")["luminance"] + 10)  # asked again: more than before
        self.set_tool("noise_reduction", {"luminance": amount, "color": amount}, need.why, "Reduced the noise")

    # --- the tools beyond the 16 -------------------------------------------------------------------

    def tool_params(self, op: str) -> dict:
        """My node's params of this op as this turn has them (its defaults when I have none, or it is off)."""
        if op in self.tools:
            return dict(self.tools[op])
        node = self.ctx.assistant_node(op)
        if node is not None and node.enabled:
            return dict(node.params)
        return REGISTRY[op].validate({})

    def set_tool(self, op: str, changes: dict, why: str, verb: str) -> None:
        """Set params of my node of ``op`` (clamped to the params' ranges), with the sentence for the reply."""
        spec = REGISTRY[op]
        params = self.tool_params(op)
        for name, value in changes.items():
            p = spec.param(name)
            params[name] = value if p.kind == "curve" else int(round(min(max(value, p.minimum), p.maximum)))
        self.tools[op] = spec.validate(params)
        new = new_tool_words(op, self.tools[op])
        node = self.ctx.assistant_node(op)
        if node is not None and node.enabled:  # 'dehaze +30 → +22'
            new = f"{new_tool_words(op, node.params)} → {new.removeprefix(spec.label.lower() + ' ')}"
        self.tool_whys[op] = f"{verb} ({new}) {why}".strip()

    def apply_tool(self, wish: ToolWish) -> None:
        kind, sign, intensity = wish.kind, wish.sign, wish.intensity
        why = f"as you asked ({_quote(wish.words)})"
        if sign < 0 and kind in TOOLS_OF:  # "remove the matte look", "no more detail"
            mine = [op for op in TOOLS_OF[kind] if self.ctx.assistant_node(op) is not None or op in self.tools]
            for op in mine:
                self.tools[op] = REGISTRY[op].validate({})
            if not mine:
                self.note(f"There is no {_label(TOOLS_OF[kind][0])} of mine to take away")
        elif kind == "white_balance":
            self.white_balance(wish)
        elif kind == "punch":
            value = self.tool_params("clarity")["value"] + sign * CLARITY_STEP * intensity
            self.set_tool("clarity", {"value": value}, why, "Added punch" if sign > 0 else "Took some punch out")
        elif kind == "detail":
            clarity = self.tool_params("clarity")["value"] + CLARITY_STEP * 0.8 * intensity
            texture = self.tool_params("texture")["value"] + TEXTURE_STEP * intensity
            self.set_tool("clarity", {"value": clarity}, why, "Brought out detail")
            self.set_tool("texture", {"value": texture}, why, "Brought out fine detail")
        elif kind == "skin":
            self.set_tool(
                "texture",
                {"value": min(self.tool_params("texture")["value"], 0) + SKIN_TEXTURE * intensity},
                why + "; texture works on the whole photo, so other fine detail softens too",
                "Smoothed skin",
            )
        elif kind in ("greens", "sky"):
            params = self.tool_params("colour_mixer")
            bands = GREENS if kind == "greens" else SKY
            self.set_tool(
                "colour_mixer",
                {k: params[k] + v * intensity for k, v in bands.items()},
                why,
                "Made the greens richer" if kind == "greens" else "Made the blues deeper",
            )
        elif kind == "matte":
            curve = [[x, x + (y - x) * min(intensity, 1.5)] for x, y in CURVE_PRESETS[MATTE]]
            self.set_tool("tone_curve", {"rgb": curve}, why, "Gave it a matte, faded look")

    def white_balance(self, wish: ToolWish) -> None:
        """The measured white ("the white balance is off"), or a step in kelvin towards warmer or
        cooler where the measured white does not lie that way ("too blue" on a photo it finds neutral)."""
        if wish.sign:
            self.tool_intents.append(Intent("warmth", wish.sign, wish.words))
        params = self.tool_params("white_balance")
        try:
            measured = wb.auto(self._white_balance_input(), resolve(self.ctx.document.camera))
        except wb.WhiteBalanceError as error:
            measured = None
            if wish.sign == 0:
                self.note(f"I couldn't measure the white balance: {error}")
                return
        now = _mired(params["temperature"])
        if measured is not None:
            shift = now - _mired(measured[0])  # > 0: the measured white is warmer than the current one
            if wish.sign == 0 and abs(shift) < WB_SAME and abs(measured[1] - params["tint"]) < 5:
                self.note(
                    f"The white balance already looks right to me ({params['temperature']} K, tint "
                    f"{params['tint']:+d}); say “warmer” or “cooler” to change the mood"
                )
                return
            if wish.sign == 0 or shift * wish.sign >= WB_SAME:
                self.set_tool(
                    "white_balance",
                    {"temperature": measured[0], "tint": measured[1]},
                    f"from the light measured in the photo (as you asked: {_quote(wish.words)})",
                    "Corrected the white balance",
                )
                return
        mired = now - wish.sign * WB_STEP * min(max(wish.intensity, 0.5), 2.0)
        self.set_tool(
            "white_balance",
            {"temperature": 1e6 / mired},
            f"as you asked ({_quote(wish.words)}); the measured light did not suggest more",
            "Warmed the white balance" if wish.sign > 0 else "Cooled the white balance",
        )

    def _white_balance_input(self):
        """What my white balance node sees: the photo with the nodes before it (where a new one would go)."""
        nodes = self.ctx.nodes
        node = self.ctx.assistant_node("white_balance")
        index = nodes.index(node) if node is not None else EditGraph(list(nodes)).canonical_index("white_balance")
        before = nodes[:index]
        if not before:
            return self.ctx.original
        return self.ctx.render(before) if self.ctx.render is not None else self.ctx.current

    def dehaze(self, wish: Wish) -> None:
        need = measure.dehaze_need(self.ctx.current)
        amount = need.delta * min(max(wish.intensity, 0.6), 1.5)
        amount = max(amount, self.tool_params("dehaze")["value"] + 10)  # asked again: more than before
        self.set_tool("dehaze", {"value": amount}, need.why, "Cut through the haze")

    def _measured(self, tool: str, sign: int, wish: Wish) -> measure.Need | None:
        s, image = self.stats, self.ctx.current
        if tool == "exposure":
            return measure.light_need(s, sign)
        if tool == "contrast" and sign > 0:
            return measure.contrast_need(s, +1)
        if tool == "shadows" and sign > 0:
            return measure.shadows_need(s)
        if tool == "highlights" and sign < 0:
            return measure.highlights_need(s)
        if tool in ("temperature", "tint") and wish.complaint:
            return measure.cast_need(image, s, tool, sign)
        if tool == "saturation":
            return measure.saturation_need(s, sign)
        if tool == "sharpness" and sign > 0 and wish.complaint:
            return measure.sharpness_need(s)
        return None

    def _why(self, wish: Wish) -> str:
        return f"as you asked ({_quote(wish.words)})"

    def _brighten(self, delta: float, why: str, primary: bool) -> None:
        """Brighten by exposure; beyond one stop the whites scale further, and near clipping the shadows lift."""
        current = self.value("exposure")
        exposure, whites, shadows = measure.split_brightening(self.stats, current, delta)
        self.set("exposure", current + exposure, why, primary=primary)
        if whites >= 3:
            self.set(
                "whites", self.value("whites") + whites, "to brighten further than exposure's one stop", primary=False
            )
        if shadows >= 3:
            self.set(
                "shadows",
                self.value("shadows") + shadows,
                "to brighten the dark tones more than the bright ones",
                primary=False,
            )

    def apply_wish(self, wish: Wish) -> None:
        axis, sign = wish.axis, wish.sign
        if wish.where is not None and axis in lex.AXES:
            self.apply_area_wish(wish)
            return
        if axis == "noise":
            self.fix_noise(wish.intensity, wish.words)
            return
        if axis == "fade" and sign < 0 and self.value("fade") <= 0:
            axis, sign = "washed", +1  # "less faded" with no fade of mine: add punch instead
        if axis == "grain" and sign < 0 and self.value("grain") <= 0:
            self.fix_noise(wish.intensity, wish.words)
            return
        if axis in ("dehaze", "washed") and sign > 0 and "color" not in wish.words:
            self.dehaze(wish)  # "hazy", "washed out" (the colours washed out: saturation, below)
            return
        if axis == "color" and sign > 0 and self.value("saturation") <= -90:
            self.set("saturation", 0, "to bring the colour back, as you asked")
            self.intend(axis, +1, wish.words, at_most=self.colour_before_black_and_white())
            return
        if axis in ("color", "vivid", "saturation", "vibrance", "pop") and sign > 0 and self.stats.is_grayscale:
            own = [n for n in self.user_nodes(["saturation"]) if n.params["value"] <= -90]
            if own:
                self.note(
                    f"Your own saturation adjustment ({own[0].params['value']:+d}) makes it black and white; "
                    "switch it off to bring the colour back"
                )
            else:
                self.note(
                    "This photo is black and white, so there is no colour to boost; I can tint it with "
                    "“warmer” or “sepia”"
                )
            return
        if wish.area:
            self.note(f"I can't select just the {wish.area}, so this changes the whole photo")
        self.intend(axis, sign, wish.words)
        if axis == "light" and sign > 0 and wish.complaint and self.stats.median_luma > 0.56:
            self.note(
                f"It already measures fairly bright (median brightness {self.stats.median_luma:.2f}), so the "
                "brightest parts may lose detail; I brightened it as you asked. Say “recover the highlights” "
                "if they look burnt out"
            )
        for index, (tool, weight) in enumerate(lex.AXES[axis]["+" if sign > 0 else "-"]):
            tool_sign = sign if weight > 0 else -sign
            if self.fixed.get(tool) == tool_sign:
                continue  # a measured fix in this turn already moved it this way
            if self.fixed.pop(tool, None) == -tool_sign:  # "too dark, fix it" on a bright photo: follow the person
                self.values[tool] = self.current.get(tool, 0)
            base = lex.DEFAULT_STEP[tool] * abs(weight)
            # A look of mine made the photo dark or cool on purpose: then "brighter" is a step, not a fix.
            need = self._measured(tool, tool_sign, wish) if index == 0 and tool not in self._look_protected() else None
            measured = abs(need.delta) * (self.gain() if tool in ("temperature", "tint") else 1.0) if need else 0.0
            if tool == "whites" and axis == "highlights" and tool_sign < 0:
                measured = abs(measure.whites_for_clipping(self.stats))  # clipped whites need pulling down too
            magnitude = wish.intensity * max(base, measured)
            why = need.why if need else self._why(wish)
            current = self.value(tool)
            if tool == "exposure" and tool_sign > 0 and current >= 0:
                self._brighten(magnitude, why, primary=index == 0)
                continue
            target = current + tool_sign * magnitude
            if wish.reduce and current * tool_sign < 0:
                if not wish.complaint:  # "less warm": some of my own push, not all of it
                    target = current + tool_sign * min(magnitude, abs(current) * 0.5 * wish.intensity)
                    if abs(target) < 3:
                        target = 0
                elif target * current < 0:
                    target = (
                        0  # "too warm": take back my own earlier push, not past neutral; a second complaint goes on
                    )
            self.set(tool, target, why, primary=index == 0)

    def _within_scope(self, wish: Wish) -> Wish:
        """ "brighter, just the shadows": brighten with the tool the person allowed."""
        scope = self.req.scope
        if not scope or wish.axis != "light":
            return wish
        tools = {t for direction in lex.AXES["light"].values() for t, _ in direction}
        if tools & scope:
            return wish
        for region in ("shadows", "highlights", "whites", "blacks"):
            if region in scope:
                return Wish(region, wish.sign, wish.intensity, wish.words, wish.complaint, wish.reduce, wish.area)
        return wish

    def apply_removal(self, removal: Removal) -> None:
        tools = lex.NOUN_TOOLS.get(removal.axis, (removal.axis,))
        tools = tuple(t for t in tools if t in IEA_TOOLS)
        what = NOUN_WORDS.get(removal.axis, removal.axis)
        mine = [t for t in tools if self.value(t) != 0 or t in self.stored]
        if removal.axis == "color" and (ALL_COLOUR.search(removal.words) or not mine):
            self.apply_look(LookWish("black and white", words=removal.words))  # "strip the colour completely"
            return
        if mine:
            for tool in mine:
                self.set(tool, 0, "as you asked")
                self.asked.add(tool)
            return
        own = self.user_nodes(tools)
        if own:
            self.note(
                f"The {what} adjustment is one you added yourself; I only remove my own, so switch it off or "
                "delete it in the Adjustments list"
            )
        elif removal.strict:
            self.note(f"I haven't changed the {what}, so there is nothing of mine to take back")
        elif removal.axis == "shadows":
            self.apply_wish(Wish("shadows", +1, 1.0, removal.words, complaint=True))  # "remove the shadows"
        elif removal.axis == "warmth":
            self.apply_wish(Wish("warmth", -1, 1.0, removal.words, complaint=True))
        elif removal.axis == "tint":
            warm, gm = measure.neutral_cast(self.ctx.current)
            self.apply_wish(Wish("tint", -1 if gm > 0 else 1, 1.0, removal.words, complaint=True))
        else:
            self.note(f"There is no {what} to remove")

    def apply_followup(self, follow: FollowUp) -> None:
        if follow.where is not None:
            self.follow_area(follow)
            return
        nodes = self.last_turn_nodes()
        if not nodes:
            self.note(
                "I haven't changed anything yet, so there is nothing to make stronger or weaker. Tell me what "
                "to change, e.g. “a bit brighter”"
            )
            return
        factor = follow.factor
        for node in nodes:
            tool = node.op
            if areas.area_of(node.mask) is not None:
                self.follow_place(node, factor, follow.words)
                continue
            if tool in self.touched or tool in self.tools:
                continue
            if tool in MORE_TOOLS:
                if node.enabled:
                    self.set_tool(
                        tool,
                        scaled(tool, node.params, factor),
                        f"as you asked ({_quote(follow.words)})",
                        "Strengthened" if factor > 1 else "Toned down",
                    )
                continue
            if node.provenance.edited_by_user:  # the person's value is the new starting point
                self.note(
                    f"You changed the {_label(tool)} since my last turn, so I started from your "
                    f"{_label(tool)} {node.summary()}"
                )
            current = self.stored.get(tool, 0)  # a switched-off node comes back on, changed
            if current == 0:
                continue
            target = followed_value(current, factor)
            self.followed[tool] = "stronger" if factor > 1 else "weaker"
            self.follow_words = follow.words
            look = self._look_of(node)
            if look:
                self.look_tools[tool] = look
            self.set(tool, target, f"as you asked ({_quote(follow.words)})")

    # --- places: an adjustment on one part of the photo (a masked node, agent/areas.py) ----------------

    def area_pixels(self, where: str) -> np.ndarray | None:
        """The current render's pixels in ``where`` (N x 1 x 3), or None when the photo has no such place."""
        if where not in self.found:
            weights = areas.on_render(self.ctx, where)
            self.found[where] = None if weights is None else areas.pixels(self.ctx.current, weights)
        return self.found[where]

    def placed_value(self, tool: str, where: str) -> int:
        """My value of ``tool`` on ``where`` as this turn has it (0 where I have no node, or it is off)."""
        if (tool, where) in self.placed:
            return self.placed[tool, where]
        node = self.ctx.assistant_node(tool, where)
        return int(node.params["value"]) if node is not None and node.enabled else 0

    def place(self, tool: str, where: str, value: float, why: str) -> None:
        low = 0 if tool in lex.POSITIVE_ONLY else -100
        self.placed[tool, where] = int(round(min(max(value, low), 100)))
        self.placed_whys[tool, where] = why

    def not_found(self, where: str) -> None:
        self.note(f"I could not find {areas.words(where)} in this photo, so I made no change for it")

    def apply_area_wish(self, wish: Wish) -> None:
        """ "Darken the sky", "the faces are too dark": the wish's main tool on a node masked to that
        place, sized by measuring the place's own pixels."""
        where = wish.where
        assert where is not None
        found = self.area_pixels(where)
        if found is None:
            self.not_found(where)
            return
        tool, weight = lex.AXES[wish.axis]["+" if wish.sign > 0 else "-"][0]
        sign = wish.sign if weight > 0 else -wish.sign
        stats = measure_stats(found)
        need = measure.area_need(tool, sign, stats, areas.on(where))
        step = lex.DEFAULT_STEP[tool]
        if need is not None and need.delta * sign >= step:  # measured: more than an ordinary step that way
            delta, why = need.delta * wish.intensity, need.why
        else:
            delta = sign * step * wish.intensity
            why = (
                f"as you asked ({_quote(wish.words)}); measured {areas.on(where)}: median brightness "
                f"{stats.median_luma:.2f}, saturation {stats.mean_saturation:.2f}"
            )
        self.place(tool, where, self.placed_value(tool, where) + delta, why)

    def my_nodes_on(self, where: str) -> list[Node]:
        return [n for n in self.ctx.assistant_nodes() if n.op in IEA_TOOLS and areas.area_of(n.mask) == where]

    def follow_area(self, follow: FollowUp) -> None:
        """ "A bit more on the sky": my adjustments there, stronger or weaker."""
        where = follow.where
        assert where is not None
        nodes = self.my_nodes_on(where)
        if not nodes:
            self.note(
                f"I haven't changed {areas.words(where)} yet, so there is nothing there to make stronger or "
                f"weaker. Tell me what to change, e.g. “brighten {areas.words(where)}”"
            )
        for node in nodes:
            self.follow_place(node, follow.factor, follow.words)

    def follow_place(self, node: Node, factor: float, words: str) -> None:
        where = areas.area_of(node.mask)
        assert where is not None
        current = self.placed_value(node.op, where)
        if current:
            self.place(node.op, where, followed_value(current, factor), f"as you asked ({_quote(words)})")

    def apply_move(self, move: Move) -> None:
        """ "Not the sky, the background": my adjustments on one place move to another. A part I cannot
        select ("not the face, the hair") leaves them as they are, and says how to get there by hand."""
        source = areas.words(move.source)
        nodes = self.my_nodes_on(move.source)
        if not nodes:
            self.note(f"I haven't changed {source}, so there is nothing of mine to move")
            return
        if move.target is None:
            places = _join([areas.words(a) for a in areas.AREAS])
            self.note(
                f"I can't select {move.words} on its own; the places I can find are {places}. I left my change "
                f"on {source} as it is: paint {move.words} into its mask with the brush in the inspector, or "
                "say “undo” to take it back"
            )
            return
        if self.area_pixels(move.target) is None:
            self.not_found(move.target)
            return
        for node in nodes:
            value = self.placed_value(node.op, move.source)
            self.place(node.op, move.source, 0, f"to move it to {areas.words(move.target)}, as you asked")
            self.place(node.op, move.target, value, f"moved from {source}, as you asked")

    def place_edits(self) -> list[Edit]:
        """This turn's changes to my nodes on places, each with its sentence."""
        out = []
        for (tool, where), value in self.placed.items():
            node = self.ctx.assistant_node(tool, where)
            old = int(node.params["value"]) if node is not None and node.enabled else 0
            if value == old and (node is None or node.enabled):
                continue
            out.append(Edit(tool, value, self.place_reason(tool, where, old, value), area=where))
        return out

    def place_reason(self, tool: str, where: str, old: int, new: int) -> str:
        """'Darkened the sky (exposure -31) because the sky measures bright (median brightness 0.78 there)'."""
        why, label = self.placed_whys[tool, where], _label(tool)
        if new == 0:
            return f"Removed my {label} adjustment {areas.on(where)} (was {old:+d}) {why}"
        verb = VERBS[tool][0 if new > old else 1]
        verb = f"{verb} {areas.words(where)}" if tool in ("exposure", "brightness") else f"{verb} {areas.on(where)}"
        values = f"{label} {new:+d}" if old == 0 else f"{label} {old:+d} → {new:+d}"
        return f"{verb} ({values}) {why}"

    # --- limits and the result ---------------------------------------------------------------------

    def changed(self) -> list[str]:
        """Tools whose assistant node this turn creates, changes, switches back on or removes."""
        return [
            t
            for t in IEA_TOOLS
            if t in self.touched and (self.values.get(t, 0) != self.current.get(t, 0) or t in self.disabled)
        ]

    def apply_limits(self) -> None:
        req = self.req
        dropped_keep, dropped_scope = [], []
        for tool in self.changed():
            if tool in req.keep:
                dropped_keep.append(tool)
            elif req.scope is not None and tool not in req.scope:
                dropped_scope.append(tool)
            elif req.nothing_else and tool in self.secondary:
                dropped_scope.append(tool)
            else:
                continue
            self.values[tool] = self.current.get(tool, 0)
            self.touched.discard(tool)
        if dropped_keep:
            words = _join(sorted({NOUN_WORDS.get(lex.NOUNS.get(w, ""), w) for w in req.keep_words}))
            self.note(f"Left the {words or 'rest'} alone, as you asked")
        if dropped_scope and req.scope:
            self.note(f"Only changed the {req.scope_words}, as you asked")
        if req.keep and not req.has_edits:
            mine = [t for t in req.keep if self.current.get(t)]
            words = _join(sorted({NOUN_WORDS.get(lex.NOUNS.get(w, ""), w) for w in req.keep_words}))
            text = f"OK, I'll leave the {words} alone"
            if mine:
                text += (
                    f". My earlier change{'s' * (len(mine) > 1)} there ("
                    f"{_join([f'{_label(t)} {self.current[t]:+d}' for t in sorted(mine)])}) "
                    "stay; say “remove the " + _label(sorted(mine)[0]) + "” to take it out"
                )
            self.note(text)
        elif req.nothing_else and not req.has_edits:
            self.note("OK, I'll leave everything else as it is")

    def hand_tuned(self, tool: str) -> Node | None:
        """My node of this tool, if the person changed it by hand since I set it."""
        node = self.ctx.assistant_node(tool)
        return node if node is not None and node.provenance.edited_by_user else None

    def finish(self) -> Plan:
        edits: list[Edit] = []
        for tool in self.changed():
            new, old = self.values.get(tool, 0), self.current.get(tool, 0)
            if new == 0 and tool not in self.asked and self.hand_tuned(tool) is not None:
                self.kept.append(tool)  # never removed unasked (the session would keep it too)
                continue
            edit, note = validate_edit(tool, new, self.reason(tool, old, new))
            if note:
                self.warnings.append(note)
            if edit is not None:
                edit.look = self.look_tools.get(tool)
                edits.append(edit)
        notes = list(self.notes)
        if self.kept:
            listed = _join([f"{_label(t)} {self.stored[t]:+d}" for t in self.kept])
            notes.append(
                f"I kept your {listed}: you changed {'it' if len(self.kept) == 1 else 'them'} by hand. Say "
                f"“remove the {_label(self.kept[0])}” if you want it gone."
            )
        if self.req.corrected:
            notes.append(_sentence("I read " + _join([f"“{a}” as “{b}”" for a, b in self.req.corrected])))
        notes.extend(_sentence(r) for r in self.req.refusals)
        self.geometry.extend(self.tool_edits())
        shaped = [g.reason for g in self.geometry]
        placed = self.place_edits()
        if not edits and not self.geometry and not placed:
            if not notes:
                notes.append("That is already how it is, so I didn't change anything.")
            if self.req.refusals and not self.req.has_edits:
                notes.append(CAPABILITIES)
            return Plan(reply=" ".join(notes), warnings=self.warnings)
        return Plan(
            reply=" ".join(shaped + self.summary_sentences(edits) + [_sentence(e.reason) for e in placed] + notes),
            edits=edits + placed,
            warnings=self.warnings,
            asked_to_remove=set(self.asked),
            geometry=self.geometry,
            intents=self.checked_intents(edits) + self.tool_intents,
            fixed_tools=set(self.fixed_tools()),
        )

    def tool_edits(self) -> list[GeometryEdit]:
        """My nodes of the tools beyond the 16 that this turn adds, changes or removes (back at the
        defaults), unless the person asked to leave them alone."""
        out = []
        for op, params in self.tools.items():
            if op in self.req.keep or (self.req.scope is not None and op not in self.req.scope):
                continue
            node = self.ctx.assistant_node(op)
            if params == REGISTRY[op].validate({}):
                if node is not None:
                    out.append(GeometryEdit(op, None, _sentence(f"Removed my {_label(op)}")))
            elif node is None or node.params != params or not node.enabled:
                out.append(GeometryEdit(op, params, _sentence(self.tool_whys[op])))
        return out

    def checked_intents(self, edits: list[Edit]) -> list[Intent]:
        """The directions to check: this turn's wishes that moved a tool, and what it was asked to keep."""
        keep = self.req.keep
        intents = [
            i
            for i in self.intents
            if i.direction == 0
            or any(
                AXIS_MEASURE.get(w) == i.measure
                for e in edits
                for w, tools in lex.AXES.items()
                if e.tool in {t for d in tools.values() for t, _ in d}
            )
        ]
        if keep & COLOUR_TOOLS:
            intents.append(Intent("colour", 0, "leave the colours alone"))
        if keep & {"exposure", "brightness"}:
            intents.append(Intent("light", 0, "keep the brightness"))
        return intents

    def fixed_tools(self) -> frozenset[str]:
        """Tools the plan check may not move: those the person asked to leave alone; "keep the
        brightness" is about the result, so the brightness slider may hold it."""
        return frozenset(self.req.keep - {"brightness"})

    def colour_before_black_and_white(self) -> float | None:
        """The photo's saturation without my black and white look: as far as colour may come back."""
        if self.ctx.render is None:
            return None
        bw = {
            n.id
            for n in self.ctx.assistant_nodes()
            if n.provenance.look in lex.BLACK_AND_WHITE_LOOKS or (n.op == "saturation" and n.params["value"] <= -90)
        }
        return measure_stats(self.ctx.render([n for n in self.ctx.nodes if n.id not in bw])).mean_saturation

    # --- geometry ----------------------------------------------------------------------------------

    def apply_geometry(self, wish: GeometryWish) -> None:
        """Crop to an aspect, turn, straighten or mirror: the params of my node of that op."""
        node = self.ctx.assistant_node(wish.kind)
        if wish.kind == "rotate":
            turns = ((node.params["turns"] if node else 0) + wish.turns) % 4
            way = (
                "a half turn"
                if wish.turns % 4 == 2
                else "a quarter turn to the left"
                if wish.turns % 4 == 3
                else "a quarter turn to the right"
            )
            self.geometry.append(
                GeometryEdit("rotate", {"turns": turns} if turns else None, f"Turned the photo {way}.")
            )
        elif wish.kind == "flip":
            params = dict(node.params) if node else {"horizontal": False, "vertical": False}
            key = "vertical" if wish.vertical else "horizontal"
            params[key] = not params[key]
            self.geometry.append(
                GeometryEdit(
                    "flip",
                    params if any(params.values()) else None,
                    "Flipped the photo upside down." if wish.vertical else "Mirrored the photo left to right.",
                )
            )
        elif wish.kind == "straighten":
            self.straighten(wish, node)
        else:
            self.crop_to(wish.aspect, node)

    def straighten(self, wish: GeometryWish, node: Node | None) -> None:
        current = float(node.params["angle"]) if node else 0.0
        if wish.angle is None:
            tilt = horizon_tilt(self.ctx.current)
            if tilt is None:
                self.note(
                    "I couldn't find a clear horizon or long straight lines to level the photo by. Tell me an "
                    "angle (“rotate 2 degrees”, “1.5 degrees to the left”), or use the Crop button in the "
                    "toolbar (R) and Ctrl + drag along the horizon"
                )
                return
            if abs(tilt) < LEVEL_WITHIN:
                self.note(f"The horizon already looks level (the photo's lines are within {LEVEL_WITHIN}° of level)")
                return
            why = (
                f"Levelled the horizon: turned the photo {abs(tilt):.1f}° "
                f"{'clockwise' if tilt > 0 else 'counter-clockwise'} (measured from its straight lines)"
            )
            change = tilt
        else:
            change = wish.angle
            why = f"Rotated the photo {abs(change):g}° {'clockwise' if change > 0 else 'counter-clockwise'}"
        angle = round(min(max(current + change, -45.0), 45.0), 2)
        self.geometry.append(
            GeometryEdit(
                "straighten",
                {"angle": angle} if angle else None,
                why + "; the edges are cropped so no corners go blank.",
            )
        )

    def crop_to(self, aspect: str, node: Node | None) -> None:
        """Crop to an aspect, as large as it fits, centred on the subject where one stands out."""
        if aspect == "original":
            if node is None:
                self.note("It already has its original shape")
            else:
                self.geometry.append(GeometryEdit("crop", None, "Back to the original shape: removed my crop."))
            return
        frame_nodes = [n for n in self.ctx.nodes if n is not node]
        frame = self.ctx.render(frame_nodes) if self.ctx.render else self.ctx.current
        params, subject = aspect_crop(frame, aspect)
        where = "centred on the subject" if subject else "centred (nothing in particular stands out)"
        self.geometry.append(
            GeometryEdit("crop", params, f"Cropped to {ASPECT_WORDS.get(aspect, aspect)} ({aspect}), {where}.")
        )

    def summary_sentences(self, edits: list[Edit]) -> list[str]:
        """The reply: looks in a phrase each, follow-ups together, other changes grouped by their reason."""
        removed = [e.tool for e in edits if e.value == 0]

        def were(tools: list[str]) -> str:
            return _join([f"{_label(t)} {self.current.get(t, 0):+d}" for t in tools if t in removed])

        sentences = []
        for other, tools in self.replaced.items():
            sentences.append(f"Replaced the {other} look" + (f" (removed {were(tools)})." if were(tools) else "."))
        for name, strength, cleared in self.applied_looks:
            listed = ", ".join(f"{_label(t)} {self.value(t):+d}" for t in lex.LOOKS[name][1] if self.value(t))
            sentence = f"Applied the {name} look{strength}: {lex.LOOKS[name][2]} ({listed})."
            if were(cleared):
                sentence += f" I removed my {were(cleared)}, which would tint it."
            sentences.append(sentence)
        followed = [e for e in edits if e.tool in self.followed]
        if len(followed) >= 3:
            stronger = all(self.followed[e.tool] == "stronger" for e in followed)
            listed = ", ".join(f"{_label(e.tool)} {self.current.get(e.tool, 0):+d} → {e.value:+d}" for e in followed)
            sentences.append(
                f"{'Strengthened' if stronger else 'Toned down'} my last changes ({listed}) as you "
                f"asked ({_quote(self.follow_words)})."
            )
        else:
            sentences.extend(_sentence(e.reason) for e in followed)
        groups: dict[str, list[Edit]] = {}
        for edit in edits:
            in_look = edit.tool in self.look_tools and all(
                w.startswith("for the ") for w in self.whys.get(edit.tool, [])
            )
            if edit.tool in self.followed or in_look or edit.tool in self.quiet:
                continue
            groups.setdefault(" and ".join(self.whys.get(edit.tool, [])), []).append(edit)
        for why, group in groups.items():
            if len(group) == 1 or not why:
                sentences.extend(_sentence(e.reason) for e in group)
                continue
            verbs, values = [], []
            for e in group:
                old = self.current.get(e.tool, 0)
                verb = VERBS[e.tool][0 if e.value > old else 1]
                verbs.append(f"removed the {_label(e.tool)}" if e.value == 0 else verb[0].lower() + verb[1:])
                values.append(
                    f"{_label(e.tool)} {e.value:+d}" if old == 0 else f"{_label(e.tool)} {old:+d} → {e.value:+d}"
                )
            sentences.append(_sentence(f"{_join(verbs)} ({', '.join(values)}) {why}"))
        return sentences

    def reason(self, tool: str, old: int, new: int) -> str:
        """One line a person understands: what moved, from what to what, and why."""
        why = " and ".join(self.whys.get(tool, []))
        label = _label(tool)
        if new == 0:
            joiner = " " if why.startswith(("to ", "because", "for ", "as you")) else ", "
            return f"Removed the {label} adjustment (was {old:+d}){joiner + why if why else ''}"
        follow = self.followed.get(tool)
        if follow:
            verb = f"{'Strengthened' if follow == 'stronger' else 'Toned down'} the {label}"
            if tool in self.look_tools:
                verb += f" of the {self.look_tools[tool]} look"
            values = f"{old:+d} → {new:+d}"
        else:
            verb = VERBS[tool][0 if new > old else 1]
            values = f"{label} {new:+d}" if old == 0 else f"{label} {old:+d} → {new:+d}"
        return f"{verb} ({values}) {why}".strip()


# --- what the edits are --------------------------------------------------------------------------------


def describe_graph(nodes: list[Node], reasons: bool = False) -> str:
    """Every adjustment in the order it is applied, in plain words with its values: who made it,
    its opacity when not 100 %, whether it is switched off; with ``reasons``, why I made mine."""
    if not nodes:
        return "There are no adjustments yet: the photo is as it was shot."
    off = sum(not n.enabled for n in nodes)
    count = f"{len(nodes)} adjustment{'s' * (len(nodes) != 1)}"
    head = f"The photo has {count}" + (f" ({off} switched off)" if off else "") + ", applied in this order:"
    lines = [head]
    for node in nodes:
        text = describe_node(node)
        if node.op in VERBS and node.params["value"]:
            verb = VERBS[node.op][0 if node.params["value"] > 0 else 1]
            text += f": {verb[0].lower() + verb[1:]}"
        prov = node.provenance
        if prov.origin != "assistant":
            text += " (yours)"
        elif prov.edited_by_user and prov.assistant_params:
            text += (
                f" (mine, then changed by you; I had set {prov.assistant_params.get('value', 0):+d})"
                if node.op in VERBS
                else " (mine, then changed by you)"
            )
        else:
            text += " (mine)"
        if reasons and prov.origin == "assistant" and prov.reason:
            text += f". Why: {prov.reason}"
        lines.append("• " + _sentence(text))
    masked = any(n.mask is not None for n in nodes)
    lines.append("The others apply to the whole photo." if masked else "Each one applies to the whole photo.")
    return "\n".join(lines)


# --- the summary task --------------------------------------------------------------------------------


def summarize_graph(nodes: list[Node]) -> str:
    """One sentence describing the person's editing preference, from the edit graph."""
    totals: dict[str, float] = {}
    for node in nodes:
        if node.enabled and node.op in IEA_TOOLS:
            totals[node.op] = totals.get(node.op, 0.0) + node.params["value"] * node.opacity
    if not any(abs(v) >= 1 for v in totals.values()):
        return "There are no edits yet, so I can't tell your preference."
    t = lambda name: totals.get(name, 0.0)  # noqa: E731
    adjectives, withs = [], []
    light = t("exposure") + 1.5 * t("brightness")
    if abs(light) >= 10:
        adjectives.append("brighter" if light > 0 else "darker")
    if t("saturation") <= -90:
        adjectives.append("black-and-white")
    if abs(t("temperature")) >= 8:
        adjectives.append("warmer" if t("temperature") > 0 else "cooler")
    contrast = t("contrast") + t("natural_contrast") - 0.5 * t("fade")
    if abs(contrast) >= 10:
        adjectives.append("punchier" if contrast > 0 else "softer, lower-contrast")
    colour = t("saturation") + t("vibrance")
    if t("saturation") > -90 and abs(colour) >= 10:
        adjectives.append("more colourful" if colour > 0 else "more muted")
    if abs(t("sharpness")) >= 10:
        adjectives.append("crisper" if t("sharpness") > 0 else "softer")
    for tool, up, down in (
        ("shadows", "lifted shadows", "deep shadows"),
        ("highlights", "bright highlights", "softened highlights"),
        ("blacks", "matte, lifted blacks", "deep blacks"),
        ("whites", "bright whites", "toned-down whites"),
        ("fade", "a faded look", ""),
        ("grain", "film grain", ""),
        ("vignette", "darkened corners", "lightened corners"),
        ("tint", "a green tint", "a magenta tint"),
    ):
        value = t(tool)
        if abs(value) >= 10 and (up if value > 0 else down):
            withs.append(up if value > 0 else down)
    if not adjectives and not withs:
        return "Your edits so far are small, so you seem to like your photos close to how they were shot."
    text = "You prefer " + (", ".join(adjectives) + " " if adjectives else "") + "photos"
    if withs:
        text += " with " + _join(withs)
    return text + "."
