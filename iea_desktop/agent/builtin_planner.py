"""The built-in assistant's planner: what the person asked for (``builtin_parse.Request``) and
the photo's measurements -> the turn's ``Decisions`` (builtin_decisions.py), as data.

Which tools move to which values, on which places, for which looks, and the measured numbers
behind each; what cannot be done and why. ``builtin_words.py`` says it. The magnitudes come from
``builtin_measure.py`` (the tools' own maths), the vocabulary from ``builtin_lexicon.py``.
Follow-ups change the assistant's existing nodes (whose current values include any change the
person made by hand since).
"""

from __future__ import annotations

import re

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
from .builtin_decisions import (
    Decisions,
    GeometryChoice,
    LookApplied,
    Note,
    PlaceChange,
    Slider,
    Start,
    ToolChange,
    Why,
    asked,
    measured,
)
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
)
from .plan import Intent, aspect_crop, validate_edit
from .session import TurnContext

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
REDUCING = re.compile(r"\b(?:too|less|not so|not as|overly|tone down|reduce)\b")  # "too moody", "less vintage"
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
BRIGHT_ALREADY = 0.56  # median brightness above which "too dark" is said to risk the highlights


def _mired(kelvin: float) -> float:
    return 1e6 / kelvin


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


class Planner:
    """One turn's deciding: ``decide()`` returns the ``Decisions``."""

    def __init__(self, ctx: TurnContext, req: Request):
        self.ctx, self.req = ctx, req
        self.stats = ctx.current_stats
        mine = {tool: node for tool in IEA_TOOLS if (node := ctx.assistant_node(tool)) is not None}
        self.d = Decisions(Start.of(mine))
        self.places = PlacePlanner(ctx, self.d)
        self.more = MoreToolsPlanner(ctx, self.d)

    # --- small helpers ------------------------------------------------------------------------

    def value(self, tool: str) -> int:
        return self.d.value(tool)

    def set_value(self, tool: str, value: float, why: Why, primary: bool = True) -> Slider:
        low = 0 if tool in lex.POSITIVE_ONLY else -100
        slider = self.d.sliders.setdefault(tool, Slider(0))
        slider.value = int(round(min(max(value, low), 100)))
        if why not in slider.whys:
            slider.whys.append(why)
        if primary:
            slider.primary = True
        return slider

    def user_nodes(self, tools) -> list[Node]:
        return [n for n in self.ctx.nodes if n.op in tools and n.provenance.origin != "assistant" and n.enabled]

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
            self.d.intents.append(Intent(measure_name, sign, words, **extra))

    # --- the turn -------------------------------------------------------------------------------

    def decide(self) -> Decisions:
        req = self.req
        for item in req.sets:
            self.apply_set(item)
        for geometry in req.geometry:
            self.apply_geometry(geometry)
        for look in req.looks:
            self.apply_look(look)
        for tool_wish in req.tools:
            self.more.wish(tool_wish)
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
            self.places.move(move)
        self.apply_limits()
        self.keep_hand_tuned()
        self.checks()
        return self.d

    # --- edits -----------------------------------------------------------------------------------

    def apply_set(self, item: SetValue) -> None:
        target = self.value(item.tool) + item.value if item.relative else item.value
        edit, warning = validate_edit(item.tool, target)
        if warning:
            self.d.warnings.append(warning)
        if edit is None:
            return
        self.set_value(edit.tool, edit.value, asked(item.words))
        if edit.value == 0:
            self.d.asked_to_remove.add(edit.tool)
        own = self.user_nodes([edit.tool])
        if own:
            self.d.note("yours_on_top", tool=edit.tool, value=own[0].params["value"])

    def mine_of_look(self, name: str) -> list[Node]:
        return [n for n in self.ctx.assistant_nodes() if n.provenance.look == name]

    def apply_look(self, look: LookWish) -> None:
        name = look.name
        values = lex.LOOKS[name][1]
        if look.remove:
            tools = [n.op for n in self.mine_of_look(name)] or [t for t in values if self.value(t)]
            for tool in tools:
                self.set_value(tool, 0, Why("look_removed", look=name))
                self.d.asked_to_remove.add(tool)
            if not tools:
                self.d.note("no_look_to_remove", look=name)
            return
        mine = self.mine_of_look(name)
        if look.scale < 1.0 and look.words and REDUCING.search(look.words):
            if not mine:
                self.d.note("no_look_to_reduce", look=name)
                return
            self.d.follow_words = look.words
            for node in mine:
                slider = self.set_value(node.op, round(node.params["value"] * look.scale), asked(look.words))
                slider.followed, slider.look = "weaker", name
            return
        this_turn = {w.name for w in self.req.looks}
        for node in self.ctx.assistant_nodes():
            other = node.provenance.look
            if other and other not in this_turn and node.op not in values and node.op not in self.d.sliders:
                self.set_value(node.op, 0, Why("look_replaced", look=name, other=other)).quiet = True
                self.d.replaced.setdefault(other, []).append(node.op)
        cleared: list[str] = []
        if name in lex.BLACK_AND_WHITE_LOOKS:
            cleared = [t for t in lex.COLOR_AFTER_BW if t not in values and self.value(t)]
            for tool in cleared:
                self.set_value(tool, 0, Why("look_clear", look=name)).quiet = True
            own = self.user_nodes([t for t in lex.COLOR_AFTER_BW if t not in values])
            if own:
                self.d.note("yours_tints", tool=own[0].op)
        for tool, amount in values.items():
            target = round(amount * look.scale)
            current = self.value(tool)
            existing = self.ctx.assistant_node(tool)
            from_other_look = existing is not None and existing.provenance.look not in (None, name)
            if (
                look.scale == 1.0
                and current * amount > 0
                and abs(current) > abs(target)
                and tool not in self.d.sliders
                and not from_other_look
            ):
                target = current  # a stronger push of mine in the same direction stays
            self.set_value(tool, target, Why("look", look=name)).look = name
        self.d.looks.append(LookApplied(name, look.scale, tuple(cleared)))
        if values.get("saturation", 0) <= -100:
            self.intend("color", -1, look.words, none=True)

    def gain(self) -> float:
        """How much this turn's exposure and whites changes multiply the tones (colour casts scale with it)."""
        start = self.d.start.current
        exposure = measure.exposure_gain(self.value("exposure") - start.get("exposure", 0))
        return exposure * measure.whites_gain(self.value("whites")) / measure.whites_gain(start.get("whites", 0))

    def apply_fix(self, fix: Fix) -> None:
        """A measured correction: "fix it", "fix the exposure", "white balance", "fix the contrast"."""
        s, image = self.stats, self.ctx.current
        kind = fix.kind
        if kind == "noise":
            self.fix_noise(fix.intensity)
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
                self._brighten(delta, measured(need), primary=True)
            else:
                self.set_value(need.tool, self.value(need.tool) + delta, measured(need))
                if need.tool == "highlights":
                    whites = measure.whites_for_clipping(s)
                    if whites:
                        self.set_value("whites", self.value("whites") + whites, measured(need), primary=False)
            self.d.fixed[need.tool] = 1 if delta > 0 else -1
            applied += 1

        if kind in ("auto", "exposure"):
            use(measure.auto_exposure(s))
        # The tones once this turn's exposure and shadows are in: later needs are measured on that.
        lifted = self.value("shadows") - self.d.start.current.get("shadows", 0)
        after = measure.predict(s, self.gain(), lifted)
        if kind in ("auto", "contrast"):
            need = measure.contrast_need(after, 0)
            if need and need.tool not in protected:
                use(need)
                # Contrast pivots on middle grey: hold the median where exposure put it.
                hold = measure.brightness_to_hold(min(1.0, s.median_luma * self.gain()), need.delta * fix.intensity)
                if abs(hold) >= 2:
                    self.set_value("brightness", self.value("brightness") + hold, Why("hold_brightness"), primary=False)
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
            looks = sorted({look for n in self.ctx.assistant_nodes() if (look := n.provenance.look)})
            self.d.note("kept_looks", looks=tuple(looks))
        if not applied:
            if kept:
                self.d.note("nothing_else_to_fix")
            else:
                warm, gm = measure.neutral_cast(self.ctx.current) if kind == "color" else (0.0, 0.0)
                self.d.note("already_fine", fix=kind, warm=warm, gm=gm)

    def _look_protected(self) -> set[str]:
        """Tools an automatic fix leaves alone because my current look chose them on purpose."""
        tools = {n.op for n in self.ctx.assistant_nodes() if n.provenance.look}
        tools |= {t for t, slider in self.d.sliders.items() if slider.look}
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

    def fix_noise(self, intensity: float) -> None:
        """Grain of mine goes first; otherwise noise reduction, luminance and colour alike, sized by
        the measured noise."""
        if self.value("grain") > 0:
            self.set_value("grain", 0, Why("grain_is_noise"))
            return
        self.more.noise_reduction(intensity)

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

    def _brighten(self, delta: float, why: Why, primary: bool) -> None:
        """Brighten by exposure; beyond one stop the whites scale further, and near clipping the shadows lift."""
        current = self.value("exposure")
        exposure, whites, shadows = measure.split_brightening(self.stats, current, delta)
        self.set_value("exposure", current + exposure, why, primary=primary)
        if whites >= 3:
            self.set_value("whites", self.value("whites") + whites, Why("beyond_one_stop"), primary=False)
        if shadows >= 3:
            self.set_value("shadows", self.value("shadows") + shadows, Why("lift_dark_tones"), primary=False)

    def apply_wish(self, wish: Wish) -> None:
        axis, sign = wish.axis, wish.sign
        if wish.where is not None and axis in lex.AXES:
            self.places.wish(wish)
            return
        if axis == "noise":
            self.fix_noise(wish.intensity)
            return
        if axis == "fade" and sign < 0 and self.value("fade") <= 0:
            axis, sign = "washed", +1  # "less faded" with no fade of mine: add punch instead
        if axis == "grain" and sign < 0 and self.value("grain") <= 0:
            self.fix_noise(wish.intensity)
            return
        if axis in ("dehaze", "washed") and sign > 0 and "color" not in wish.words:
            self.more.dehaze(wish.intensity)  # "hazy", "washed out" (the colours washed out: saturation, below)
            return
        if axis == "color" and sign > 0 and self.value("saturation") <= -90:
            self.set_value("saturation", 0, Why("colour_back"))
            self.intend(axis, +1, wish.words, at_most=self.colour_before_black_and_white())
            return
        if axis in ("color", "vivid", "saturation", "vibrance", "pop") and sign > 0 and self.stats.is_grayscale:
            own = [n for n in self.user_nodes(["saturation"]) if n.params["value"] <= -90]
            if own:
                self.d.note("yours_black_and_white", value=own[0].params["value"])
            else:
                self.d.note("black_and_white_photo")
            return
        if wish.area:
            self.d.note("whole_photo", area=wish.area)
        self.intend(axis, sign, wish.words)
        if axis == "light" and sign > 0 and wish.complaint and self.stats.median_luma > BRIGHT_ALREADY:
            self.d.note("already_bright", median=self.stats.median_luma)
        for index, (tool, weight) in enumerate(lex.AXES[axis]["+" if sign > 0 else "-"]):
            tool_sign = sign if weight > 0 else -sign
            if self.d.fixed.get(tool) == tool_sign:
                continue  # a measured fix in this turn already moved it this way
            if self.d.fixed.pop(tool, None) == -tool_sign:  # "too dark, fix it" on a bright photo: follow the person
                self.d.sliders[tool].value = self.d.start.current.get(tool, 0)
            base = lex.DEFAULT_STEP[tool] * abs(weight)
            # A look of mine made the photo dark or cool on purpose: then "brighter" is a step, not a fix.
            need = self._measured(tool, tool_sign, wish) if index == 0 and tool not in self._look_protected() else None
            size = abs(need.delta) * (self.gain() if tool in ("temperature", "tint") else 1.0) if need else 0.0
            if tool == "whites" and axis == "highlights" and tool_sign < 0:
                size = abs(measure.whites_for_clipping(self.stats))  # clipped whites need pulling down too
            magnitude = wish.intensity * max(base, size)
            why = measured(need) if need else asked(wish.words)
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
            self.set_value(tool, target, why, primary=index == 0)

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
        mine = [t for t in tools if self.value(t) != 0 or t in self.d.start.stored]
        if removal.axis == "color" and (ALL_COLOUR.search(removal.words) or not mine):
            self.apply_look(LookWish("black and white", words=removal.words))  # "strip the colour completely"
            return
        if mine:
            for tool in mine:
                self.set_value(tool, 0, Why("removed"))
                self.d.asked_to_remove.add(tool)
            return
        if self.user_nodes(tools):
            self.d.note("yours_to_remove", axis=removal.axis)
        elif removal.strict:
            self.d.note("nothing_of_mine", axis=removal.axis)
        elif removal.axis == "shadows":
            self.apply_wish(Wish("shadows", +1, 1.0, removal.words, complaint=True))  # "remove the shadows"
        elif removal.axis == "warmth":
            self.apply_wish(Wish("warmth", -1, 1.0, removal.words, complaint=True))
        elif removal.axis == "tint":
            warm, gm = measure.neutral_cast(self.ctx.current)
            self.apply_wish(Wish("tint", -1 if gm > 0 else 1, 1.0, removal.words, complaint=True))
        else:
            self.d.note("nothing_to_remove", axis=removal.axis)

    def apply_followup(self, follow: FollowUp) -> None:
        if follow.where is not None:
            self.places.follow(follow)
            return
        nodes = self.last_turn_nodes()
        if not nodes:
            self.d.note("nothing_to_follow")
            return
        factor = follow.factor
        for node in nodes:
            tool = node.op
            if areas.area_of(node.mask) is not None:
                self.places.follow_node(node, factor, follow.words)
                continue
            if tool in self.d.sliders or tool in self.d.tools:
                continue
            if tool in MORE_TOOLS:
                if node.enabled:
                    action = "stronger" if factor > 1 else "weaker"
                    self.more.set(tool, scaled(tool, node.params, factor), asked(follow.words), action)
                continue
            if node.provenance.edited_by_user:  # the person's value is the new starting point
                self.d.note("from_yours", tool=tool, value=node.summary())
            current = self.d.start.stored.get(tool, 0)  # a switched-off node comes back on, changed
            if current == 0:
                continue
            self.d.follow_words = follow.words
            slider = self.set_value(tool, followed_value(current, factor), asked(follow.words))
            slider.followed = "stronger" if factor > 1 else "weaker"
            slider.look = node.provenance.look or slider.look

    # --- limits ------------------------------------------------------------------------------------

    def apply_geometry(self, wish: GeometryWish) -> None:
        choice = geometry_choice(self.ctx, wish)
        if isinstance(choice, Note):
            self.d.notes.append(choice)
        else:
            self.d.geometry.append(choice)

    def apply_limits(self) -> None:
        """What the person asked to leave alone ("don't touch the colours", "only the exposure",
        "nothing else") goes back to how it was."""
        req, start = self.req, self.d.start
        dropped_keep, dropped_scope = [], []
        for tool in self.d.changed():
            if tool in req.keep:
                dropped_keep.append(tool)
            elif req.scope is not None and tool not in req.scope:
                dropped_scope.append(tool)
            elif req.nothing_else and not self.d.sliders[tool].primary:
                dropped_scope.append(tool)
            else:
                continue
            del self.d.sliders[tool]
        for op in list(self.d.tools):
            if op in req.keep or (req.scope is not None and op not in req.scope):
                del self.d.tools[op]
        if dropped_keep:
            self.d.note("left_alone", words=tuple(req.keep_words))
        if dropped_scope and req.scope:
            self.d.note("only_changed", words=req.scope_words)
        if req.keep and not req.has_edits:
            mine = tuple((t, start.current[t]) for t in sorted(req.keep) if start.current.get(t))
            self.d.note("will_leave_alone", words=tuple(req.keep_words), mine=mine)
        elif req.nothing_else and not req.has_edits:
            self.d.note("will_leave_everything")

    def keep_hand_tuned(self) -> None:
        """My nodes the person changed by hand are never removed unasked (the session would keep them too)."""
        for tool in self.d.changed():
            node = self.ctx.assistant_node(tool)
            hand_tuned = node is not None and node.provenance.edited_by_user
            if self.d.sliders[tool].value == 0 and tool not in self.d.asked_to_remove and hand_tuned:
                self.d.kept.append(tool)

    def checks(self) -> None:
        """What the plan check verifies: the directions of this turn's wishes that moved a tool, and
        what the person asked to keep; the tools it may not move (those they asked to leave alone;
        "keep the brightness" is about the result, so the brightness slider may hold it)."""
        keep = self.req.keep
        moved = {t for t in self.d.changed() if t not in self.d.kept}
        measured_axes = {
            AXIS_MEASURE.get(axis)
            for axis, directions in lex.AXES.items()
            if moved & {t for direction in directions.values() for t, _ in direction}
        }
        self.d.intents = [i for i in self.d.intents if i.direction == 0 or i.measure in measured_axes]
        if keep & COLOUR_TOOLS:
            self.d.intents.append(Intent("colour", 0, "leave the colours alone"))
        if keep & {"exposure", "brightness"}:
            self.d.intents.append(Intent("light", 0, "keep the brightness"))
        self.d.fixed_tools = frozenset(keep - {"brightness"})

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


class MoreToolsPlanner:
    """Deciding my nodes of the tools beyond the 16 (white balance, noise reduction, dehaze, clarity,
    texture, colour mixer, tone curve): all their params, as ``ToolChange``s."""

    def __init__(self, ctx: TurnContext, decisions: Decisions):
        self.ctx, self.d = ctx, decisions

    def params(self, op: str) -> dict:
        """My node's params of this op as this turn has them (its defaults when I have none, or it is off)."""
        if op in self.d.tools:
            return dict(self.d.tools[op].params)
        node = self.ctx.assistant_node(op)
        if node is not None and node.enabled:
            return dict(node.params)
        return REGISTRY[op].validate({})

    def set(self, op: str, changes: dict, why: Why, action: str) -> None:
        """Set params of my node of ``op`` (clamped to the params' ranges)."""
        spec = REGISTRY[op]
        params = self.params(op)
        for name, value in changes.items():
            p = spec.param(name)
            params[name] = value if p.kind == "curve" else int(round(min(max(value, p.minimum), p.maximum)))
        node = self.ctx.assistant_node(op)
        was = dict(node.params) if node is not None and node.enabled else None
        self.d.tools[op] = ToolChange(spec.validate(params), action, why, was)

    def wish(self, wish: ToolWish) -> None:
        kind, sign, intensity = wish.kind, wish.sign, wish.intensity
        why = asked(wish.words)
        if sign < 0 and kind in TOOLS_OF:  # "remove the matte look", "no more detail"
            mine = [op for op in TOOLS_OF[kind] if self.ctx.assistant_node(op) is not None or op in self.d.tools]
            for op in mine:
                self.d.tools[op] = ToolChange(REGISTRY[op].validate({}), "remove", why)
            if not mine:
                self.d.note("no_tool_to_remove", tool=TOOLS_OF[kind][0])
        elif kind == "white_balance":
            self.white_balance(wish)
        elif kind == "punch":
            value = self.params("clarity")["value"] + sign * CLARITY_STEP * intensity
            self.set("clarity", {"value": value}, why, "punch" if sign > 0 else "less punch")
        elif kind == "detail":
            clarity = self.params("clarity")["value"] + CLARITY_STEP * 0.8 * intensity
            texture = self.params("texture")["value"] + TEXTURE_STEP * intensity
            self.set("clarity", {"value": clarity}, why, "detail")
            self.set("texture", {"value": texture}, why, "fine detail")
        elif kind == "skin":
            texture = min(self.params("texture")["value"], 0) + SKIN_TEXTURE * intensity
            self.set("texture", {"value": texture}, Why("skin", words=wish.words), "skin")
        elif kind in ("greens", "sky"):
            params = self.params("colour_mixer")
            bands = GREENS if kind == "greens" else SKY
            self.set("colour_mixer", {k: params[k] + v * intensity for k, v in bands.items()}, why, kind)
        elif kind == "matte":
            curve = [[x, x + (y - x) * min(intensity, 1.5)] for x, y in CURVE_PRESETS[MATTE]]
            self.set("tone_curve", {"rgb": curve}, why, "matte")

    def white_balance(self, wish: ToolWish) -> None:
        """The measured white ("the white balance is off"), or a step in kelvin towards warmer or
        cooler where the measured white does not lie that way ("too blue" on a photo it finds neutral)."""
        if wish.sign:
            self.d.tool_intents.append(Intent("warmth", wish.sign, wish.words))
        params = self.params("white_balance")
        try:
            white = wb.auto(self._white_balance_input(), resolve(self.ctx.document.camera))
        except wb.WhiteBalanceError as error:
            white = None
            if wish.sign == 0:
                self.d.note("white_balance_unmeasured", error=str(error))
                return
        now = _mired(params["temperature"])
        if white is not None:
            shift = now - _mired(white[0])  # > 0: the measured white is warmer than the current one
            if wish.sign == 0 and abs(shift) < WB_SAME and abs(white[1] - params["tint"]) < 5:
                self.d.note("white_balance_right", temperature=params["temperature"], tint=params["tint"])
                return
            if wish.sign == 0 or shift * wish.sign >= WB_SAME:
                basis = (("measured white (K)", float(white[0])), ("measured tint", float(white[1])))
                why = Why("white_measured", words=wish.words, basis=basis)
                self.set("white_balance", {"temperature": white[0], "tint": white[1]}, why, "white balance")
                return
        mired = now - wish.sign * WB_STEP * min(max(wish.intensity, 0.5), 2.0)
        action = "warmer white balance" if wish.sign > 0 else "cooler white balance"
        self.set("white_balance", {"temperature": 1e6 / mired}, Why("white_step", words=wish.words), action)

    def _white_balance_input(self):
        """What my white balance node sees: the photo with the nodes before it (where a new one would go)."""
        nodes = self.ctx.nodes
        node = self.ctx.assistant_node("white_balance")
        index = nodes.index(node) if node is not None else EditGraph(list(nodes)).canonical_index("white_balance")
        before = nodes[:index]
        if not before:
            return self.ctx.original
        return self.ctx.render(before) if self.ctx.render is not None else self.ctx.current

    def dehaze(self, intensity: float) -> None:
        """ "Hazy", "washed out": dehaze sized by the measured haze."""
        need = measure.dehaze_need(self.ctx.current)
        amount = need.delta * min(max(intensity, 0.6), 1.5)
        amount = max(amount, self.params("dehaze")["value"] + 10)  # asked again: more than before
        self.set("dehaze", {"value": amount}, measured(need), "dehaze")

    def noise_reduction(self, intensity: float) -> None:
        """Noise reduction, luminance and colour alike, sized by the measured noise."""
        need = measure.noise_reduction_need(self.ctx.current)
        amount = need.delta * min(max(intensity, 0.6), 1.5)
        amount = max(amount, self.params("noise_reduction")["luminance"] + 10)  # asked again: more than before
        self.set("noise_reduction", {"luminance": amount, "color": amount}, measured(need), "noise")


class PlacePlanner:
    """Deciding my adjustments on one part of the photo (a masked node, agent/areas.py): made,
    followed up or moved, sized by measuring the place's own pixels."""

    def __init__(self, ctx: TurnContext, decisions: Decisions):
        self.ctx, self.d = ctx, decisions
        self.found: dict[str, np.ndarray | None] = {}  # place -> the current render's pixels there

    def pixels(self, where: str) -> np.ndarray | None:
        """The current render's pixels in ``where`` (N x 1 x 3), or None when the photo has no such place."""
        if where not in self.found:
            weights = areas.on_render(self.ctx, where)
            self.found[where] = None if weights is None else areas.pixels(self.ctx.current, weights)
        return self.found[where]

    def value(self, tool: str, where: str) -> int:
        """My value of ``tool`` on ``where`` as this turn has it (0 where I have no node, or it is off)."""
        if (tool, where) in self.d.places:
            return self.d.places[tool, where].value
        node = self.ctx.assistant_node(tool, where)
        return int(node.params["value"]) if node is not None and node.enabled else 0

    def set(self, tool: str, where: str, value: float, why: Why) -> None:
        low = 0 if tool in lex.POSITIVE_ONLY else -100
        self.d.places[tool, where] = PlaceChange(int(round(min(max(value, low), 100))), why)

    def wish(self, wish: Wish) -> None:
        """ "Darken the sky", "the faces are too dark": the wish's main tool on a node masked to that
        place, sized by measuring the place's own pixels."""
        where = wish.where
        assert where is not None
        found = self.pixels(where)
        if found is None:
            self.d.note("not_found", where=where)
            return
        tool, weight = lex.AXES[wish.axis]["+" if wish.sign > 0 else "-"][0]
        sign = wish.sign if weight > 0 else -wish.sign
        stats = measure_stats(found)
        need = measure.area_need(tool, sign, stats, areas.on(where))
        step = lex.DEFAULT_STEP[tool]
        if need is not None and need.delta * sign >= step:  # measured: more than an ordinary step that way
            delta, why = need.delta * wish.intensity, measured(need)
        else:
            delta = sign * step * wish.intensity
            basis = (("median brightness", stats.median_luma), ("saturation", stats.mean_saturation))
            why = Why("asked_measured_place", words=wish.words, other=where, basis=basis)
        self.set(tool, where, self.value(tool, where) + delta, why)

    def my_nodes_on(self, where: str) -> list[Node]:
        return [n for n in self.ctx.assistant_nodes() if n.op in IEA_TOOLS and areas.area_of(n.mask) == where]

    def follow(self, follow: FollowUp) -> None:
        """ "A bit more on the sky": my adjustments there, stronger or weaker."""
        where = follow.where
        assert where is not None
        nodes = self.my_nodes_on(where)
        if not nodes:
            self.d.note("nothing_there", where=where)
        for node in nodes:
            self.follow_node(node, follow.factor, follow.words)

    def follow_node(self, node: Node, factor: float, words: str) -> None:
        where = areas.area_of(node.mask)
        assert where is not None
        current = self.value(node.op, where)
        if current:
            self.set(node.op, where, followed_value(current, factor), asked(words))

    def move(self, move: Move) -> None:
        """ "Not the sky, the background": my adjustments on one place move to another. A part I cannot
        select ("not the face, the hair") leaves them as they are, and says how to get there by hand."""
        nodes = self.my_nodes_on(move.source)
        if not nodes:
            self.d.note("nothing_to_move", where=move.source)
            return
        if move.target is None:
            self.d.note("cannot_select", words=move.words, where=move.source)
            return
        if self.pixels(move.target) is None:
            self.d.note("not_found", where=move.target)
            return
        for node in nodes:
            value = self.value(node.op, move.source)
            self.set(node.op, move.source, 0, Why("moved_to", other=move.target))
            self.set(node.op, move.target, value, Why("moved_from", other=move.source))


# --- geometry ------------------------------------------------------------------------------------------


def geometry_choice(ctx: TurnContext, wish: GeometryWish) -> GeometryChoice | Note:
    """Crop to an aspect, turn, straighten or mirror: the params of my node of that op, or what to
    say instead."""
    node = ctx.assistant_node(wish.kind)
    if wish.kind == "rotate":
        turns = ((node.params["turns"] if node else 0) + wish.turns) % 4
        return GeometryChoice("rotate", {"turns": turns} if turns else None, "turn", amount=wish.turns % 4)
    if wish.kind == "flip":
        params = dict(node.params) if node else {"horizontal": False, "vertical": False}
        key = "vertical" if wish.vertical else "horizontal"
        params[key] = not params[key]
        return GeometryChoice("flip", params if any(params.values()) else None, "flip " + key)
    if wish.kind == "straighten":
        return _straighten(ctx, wish, node)
    return _crop_to(ctx, wish.aspect, node)


def _straighten(ctx: TurnContext, wish: GeometryWish, node: Node | None) -> GeometryChoice | Note:
    current = float(node.params["angle"]) if node else 0.0
    if wish.angle is None:
        tilt = horizon_tilt(ctx.current)
        if tilt is None:
            return Note.of("no_horizon")
        if abs(tilt) < LEVEL_WITHIN:
            return Note.of("already_level", within=LEVEL_WITHIN)
        how, change = "level", tilt
    else:
        how, change = "rotate", wish.angle
    angle = round(min(max(current + change, -45.0), 45.0), 2)
    return GeometryChoice("straighten", {"angle": angle} if angle else None, how, amount=change)


def _crop_to(ctx: TurnContext, aspect: str, node: Node | None) -> GeometryChoice | Note:
    """Crop to an aspect, as large as it fits, centred on the subject where one stands out."""
    if aspect == "original":
        return Note.of("already_original") if node is None else GeometryChoice("crop", None, "uncrop")
    frame = ctx.render([n for n in ctx.nodes if n is not node]) if ctx.render else ctx.current
    params, subject = aspect_crop(frame, aspect)
    return GeometryChoice("crop", params, "crop", aspect=aspect, on_subject=bool(subject))
