"""The built-in assistant's words: a turn's ``Decisions`` (builtin_decisions.py) -> the plan's
reasons and the reply, plus a graph described for "what did you change?" and the summary task.

Nothing here decides a value: every number it says comes from the decisions (the values, the
measured numbers behind them) or from the nodes.
"""

from __future__ import annotations

from collections.abc import Callable

from ..core.graph import Node
from ..core.ops import IEA_TOOLS, REGISTRY
from ..core.ops.tone_curve import PRESETS as CURVE_PRESETS
from ..core.stats import ImageStats
from . import areas
from . import builtin_lexicon as lex
from . import builtin_measure as measure
from .builtin_decisions import Decisions, GeometryChoice, Note, Why
from .builtin_parse import Request
from .plan import Edit, GeometryEdit, Plan, validate_edit
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
ASPECT_WORDS = {"1:1": "a square"}
# The fixed reasons (builtin_decisions.Why kinds), in words.
REASONS: dict[str, Callable[[Why], str]] = {
    "removed": lambda w: "as you asked",
    "look": lambda w: f"for the {w.look} look",
    "look_clear": lambda w: f"for the {w.look} look (it would tint the result)",
    "look_removed": lambda w: f"to take the {w.look} look away, as you asked",
    "look_replaced": lambda w: f"to replace the {w.other} look with {w.look}",
    "hold_brightness": lambda w: "to keep the overall brightness while adding contrast",
    "grain_is_noise": lambda w: "because the grain I added reads as noise",
    "beyond_one_stop": lambda w: "to brighten further than exposure's one stop",
    "lift_dark_tones": lambda w: "to brighten the dark tones more than the bright ones",
    "colour_back": lambda w: "to bring the colour back, as you asked",
    "skin": lambda w: (
        f"as you asked ({quote(w.words)}); texture works on the whole photo, so other fine detail softens too"
    ),
    "white_measured": lambda w: f"from the light measured in the photo (as you asked: {quote(w.words)})",
    "white_step": lambda w: f"as you asked ({quote(w.words)}); the measured light did not suggest more",
    "asked_measured_place": lambda w: (
        f"as you asked ({quote(w.words)}); measured {areas.on(w.other)}: median brightness "
        f"{w.measured['median brightness']:.2f}, saturation {w.measured['saturation']:.2f}"
    ),
    "moved_to": lambda w: f"to move it to {areas.words(w.other)}, as you asked",
    "moved_from": lambda w: f"moved from {areas.words(w.other)}, as you asked",
}
# What a change of a tool beyond the 16 does (builtin_decisions.ToolChange.action).
ACTIONS = {
    "noise": "Reduced the noise",
    "dehaze": "Cut through the haze",
    "punch": "Added punch",
    "less punch": "Took some punch out",
    "detail": "Brought out detail",
    "fine detail": "Brought out fine detail",
    "skin": "Smoothed skin",
    "greens": "Made the greens richer",
    "sky": "Made the blues deeper",
    "matte": "Gave it a matte, faded look",
    "white balance": "Corrected the white balance",
    "warmer white balance": "Warmed the white balance",
    "cooler white balance": "Cooled the white balance",
    "stronger": "Strengthened",
    "weaker": "Toned down",
}


def why_words(why: Why) -> str:
    if why.kind == "asked":
        return f"as you asked ({quote(why.words)})"
    if why.kind == "measured":
        assert why.need is not None
        return why.need.why
    return REASONS[why.kind](why)


def _noun(axis: str) -> str:
    return NOUN_WORDS.get(axis, axis)


def _kept_words(words: tuple[str, ...]) -> str:
    """ "the colours", "the brightness": the things the person asked to leave alone."""
    return join(sorted({NOUN_WORDS.get(lex.NOUNS.get(w, ""), w) for w in words}))


def _fine(note: dict, s: ImageStats) -> str:
    kind = note["fix"]
    if kind == "exposure":
        return (
            f"The exposure already looks right (median brightness {s.median_luma:.2f}, "
            f"{100 * s.clip_high:.1f}% clipped), so I left it. Say “brighter” or “darker” if you'd like "
            "it different"
        )
    if kind == "color":
        return (
            f"The colours already look neutral (grey areas are {measure.cast_words(note['warm'], note['gm'])}), "
            "so I left them. Say “warmer” or “cooler” to change the mood"
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


def _will_leave_alone(n: dict) -> str:
    text = f"OK, I'll leave the {_kept_words(n['words'])} alone"
    mine = n["mine"]
    if mine:
        text += (
            f". My earlier change{'s' * (len(mine) > 1)} there ("
            f"{join([f'{label(t)} {v:+d}' for t, v in mine])}) "
            "stay; say “remove the " + label(mine[0][0]) + "” to take it out"
        )
    return text


# Things to tell the person (builtin_decisions.Note kinds), in words; ``s``: the photo's statistics.
NOTES: dict[str, Callable[[dict, ImageStats], str]] = {
    "yours_on_top": lambda n, s: f"your own {label(n['tool'])} adjustment ({n['value']:+d}) still applies on top",
    "no_look_to_remove": lambda n, s: f"There is no {n['look']} look of mine to remove",
    "no_look_to_reduce": lambda n, s: (
        f"There is no {n['look']} look of mine to tone down; tell me what to change instead, e.g. "
        "“brighter” or “warmer”"
    ),
    "yours_tints": lambda n, s: (
        f"your own {label(n['tool'])} adjustment still tints the result; switch it off for neutral greys"
    ),
    "kept_looks": lambda n, s: f"I kept the {join(list(n['looks']))} look as it is",
    "nothing_else_to_fix": lambda n, s: "nothing else needs fixing",
    "already_fine": _fine,
    "no_tool_to_remove": lambda n, s: f"There is no {label(n['tool'])} of mine to take away",
    "white_balance_unmeasured": lambda n, s: f"I couldn't measure the white balance: {n['error']}",
    "white_balance_right": lambda n, s: (
        f"The white balance already looks right to me ({n['temperature']} K, tint {n['tint']:+d}); say "
        "“warmer” or “cooler” to change the mood"
    ),
    "yours_black_and_white": lambda n, s: (
        f"Your own saturation adjustment ({n['value']:+d}) makes it black and white; switch it off to bring "
        "the colour back"
    ),
    "black_and_white_photo": lambda n, s: (
        "This photo is black and white, so there is no colour to boost; I can tint it with “warmer” or “sepia”"
    ),
    "whole_photo": lambda n, s: f"I can't select just the {n['area']}, so this changes the whole photo",
    "already_bright": lambda n, s: (
        f"It already measures fairly bright (median brightness {n['median']:.2f}), so the brightest parts may "
        "lose detail; I brightened it as you asked. Say “recover the highlights” if they look burnt out"
    ),
    "yours_to_remove": lambda n, s: (
        f"The {_noun(n['axis'])} adjustment is one you added yourself; I only remove my own, so switch it "
        "off or delete it in the Adjustments list"
    ),
    "nothing_of_mine": lambda n, s: (
        f"I haven't changed the {_noun(n['axis'])}, so there is nothing of mine to take back"
    ),
    "nothing_to_remove": lambda n, s: f"There is no {_noun(n['axis'])} to remove",
    "nothing_to_follow": lambda n, s: (
        "I haven't changed anything yet, so there is nothing to make stronger or weaker. Tell me what to "
        "change, e.g. “a bit brighter”"
    ),
    "from_yours": lambda n, s: (
        f"You changed the {label(n['tool'])} since my last turn, so I started from your {label(n['tool'])} {n['value']}"
    ),
    "not_found": lambda n, s: f"I could not find {areas.words(n['where'])} in this photo, so I made no change for it",
    "nothing_there": lambda n, s: (
        f"I haven't changed {areas.words(n['where'])} yet, so there is nothing there to make stronger or "
        f"weaker. Tell me what to change, e.g. “brighten {areas.words(n['where'])}”"
    ),
    "nothing_to_move": lambda n, s: f"I haven't changed {areas.words(n['where'])}, so there is nothing of mine to move",
    "cannot_select": lambda n, s: (
        f"I can't select {n['words']} on its own; the places I can find are "
        f"{join([areas.words(a) for a in areas.AREAS])}. I left my change on {areas.words(n['where'])} as it "
        f"is: paint {n['words']} into its mask with the brush in the inspector, or say “undo” to take it back"
    ),
    "left_alone": lambda n, s: f"Left the {_kept_words(n['words']) or 'rest'} alone, as you asked",
    "only_changed": lambda n, s: f"Only changed the {n['words']}, as you asked",
    "will_leave_alone": lambda n, s: _will_leave_alone(n),
    "will_leave_everything": lambda n, s: "OK, I'll leave everything else as it is",
    "no_horizon": lambda n, s: (
        "I couldn't find a clear horizon or long straight lines to level the photo by. Tell me an angle "
        "(“rotate 2 degrees”, “1.5 degrees to the left”), or use the Crop button in the toolbar (R) and "
        "Ctrl + drag along the horizon"
    ),
    "already_level": lambda n, s: (
        f"The horizon already looks level (the photo's lines are within {n['within']}° of level)"
    ),
    "already_original": lambda n, s: "It already has its original shape",
}


def note_words(note: Note, stats: ImageStats) -> str:
    return sentence(NOTES[note.kind](dict(note.values), stats))


def geometry_words(g: GeometryChoice) -> str:
    """'Turned the photo a quarter turn to the right.', 'Cropped to a square (1:1), centred on the subject.'"""
    if g.how == "turn":
        way = {2: "a half turn", 3: "a quarter turn to the left"}.get(int(g.amount), "a quarter turn to the right")
        return f"Turned the photo {way}."
    if g.how == "flip vertical":
        return "Flipped the photo upside down."
    if g.how == "flip horizontal":
        return "Mirrored the photo left to right."
    if g.how in ("level", "rotate"):
        way = "clockwise" if g.amount > 0 else "counter-clockwise"
        if g.how == "level":
            why = (
                f"Levelled the horizon: turned the photo {abs(g.amount):.1f}° {way} (measured from its straight lines)"
            )
        else:
            why = f"Rotated the photo {abs(g.amount):g}° {way}"
        return why + "; the edges are cropped so no corners go blank."
    if g.how == "uncrop":
        return "Back to the original shape: removed my crop."
    where = "centred on the subject" if g.on_subject else "centred (nothing in particular stands out)"
    return f"Cropped to {ASPECT_WORDS.get(g.aspect, g.aspect)} ({g.aspect}), {where}."


def label(tool: str) -> str:
    return REGISTRY[tool].label.lower()


def node_words(node: Node) -> str:
    """'exposure +30', 'crop left 0.1, right 0.9'."""
    return f"{label(node.op)} {node.summary()}"


def quote(text: str, limit: int = 40) -> str:
    text = text.strip()
    return "“" + (text if len(text) <= limit else text[: limit - 1].rstrip() + "…") + "”"


def sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def join(items: list[str]) -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


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


# --- one turn's reply ----------------------------------------------------------------------------------


class Writer:
    """A turn's ``Decisions`` -> the ``Plan``: each edit with its reason, the reply, what to check."""

    def __init__(self, ctx: TurnContext, req: Request, decisions: Decisions):
        self.ctx, self.req, self.d = ctx, req, decisions
        self.current = decisions.start.current

    def plan(self) -> Plan:
        d, req = self.d, self.req
        edits: list[Edit] = []
        warnings = list(d.warnings)
        for tool in d.changed():
            if tool in d.kept:
                continue
            new, old = d.value(tool), self.current.get(tool, 0)
            edit, warning = validate_edit(tool, new, self.reason(tool, old, new))
            if warning:
                warnings.append(warning)
            if edit is not None:
                edit.look = d.sliders[tool].look
                edits.append(edit)
        notes: list[str] = []
        for note in d.notes:
            text = note_words(note, self.ctx.current_stats)
            if text and text not in notes:
                notes.append(text)
        if d.kept:
            listed = join([f"{label(t)} {d.start.stored[t]:+d}" for t in d.kept])
            notes.append(
                f"I kept your {listed}: you changed {'it' if len(d.kept) == 1 else 'them'} by hand. Say "
                f"“remove the {label(d.kept[0])}” if you want it gone."
            )
        if req.corrected:
            notes.append(sentence("I read " + join([f"“{a}” as “{b}”" for a, b in req.corrected])))
        notes.extend(sentence(r) for r in req.refusals)
        geometry = [GeometryEdit(g.op, g.params, geometry_words(g)) for g in d.geometry] + self.tool_edits()
        placed = self.place_edits()
        if not edits and not geometry and not placed:
            if not notes:
                notes.append("That is already how it is, so I didn't change anything.")
            if req.refusals and not req.has_edits:
                notes.append(CAPABILITIES)
            return Plan(reply=" ".join(notes), warnings=warnings)
        shaped = [g.reason for g in geometry]
        return Plan(
            reply=" ".join(shaped + self.summary_sentences(edits) + [sentence(e.reason) for e in placed] + notes),
            edits=edits + placed,
            warnings=warnings,
            asked_to_remove=set(d.asked_to_remove),
            geometry=geometry,
            intents=d.intents + d.tool_intents,
            fixed_tools=set(d.fixed_tools),
        )

    def whys(self, tool: str) -> list[str]:
        return [why_words(w) for w in self.d.sliders[tool].whys] if tool in self.d.sliders else []

    def tool_edits(self) -> list[GeometryEdit]:
        """My nodes of the tools beyond the 16 that this turn adds, changes or removes (back at the defaults)."""
        out = []
        for op, change in self.d.tools.items():
            node = self.ctx.assistant_node(op)
            if change.params == REGISTRY[op].validate({}):
                if node is not None:
                    out.append(GeometryEdit(op, None, sentence(f"Removed my {label(op)}")))
            elif node is None or node.params != change.params or not node.enabled:
                new = new_tool_words(op, change.params)
                if change.was is not None:  # 'dehaze +30 → +22'
                    new = f"{new_tool_words(op, change.was)} → {new.removeprefix(REGISTRY[op].label.lower() + ' ')}"
                text = f"{ACTIONS[change.action]} ({new}) {why_words(change.why)}".strip()
                out.append(GeometryEdit(op, change.params, sentence(text)))
        return out

    def place_edits(self) -> list[Edit]:
        """This turn's changes to my nodes on places, each with its sentence."""
        out = []
        for (tool, where), change in self.d.places.items():
            node = self.ctx.assistant_node(tool, where)
            old = int(node.params["value"]) if node is not None and node.enabled else 0
            if change.value == old and (node is None or node.enabled):
                continue
            reason = self.place_reason(tool, where, old, change.value, why_words(change.why))
            out.append(Edit(tool, change.value, reason, area=where))
        return out

    @staticmethod
    def place_reason(tool: str, where: str, old: int, new: int, why: str) -> str:
        """'Darkened the sky (exposure -31) because the sky measures bright (median brightness 0.78 there)'."""
        name = label(tool)
        if new == 0:
            return f"Removed my {name} adjustment {areas.on(where)} (was {old:+d}) {why}"
        verb = VERBS[tool][0 if new > old else 1]
        verb = f"{verb} {areas.words(where)}" if tool in ("exposure", "brightness") else f"{verb} {areas.on(where)}"
        values = f"{name} {new:+d}" if old == 0 else f"{name} {old:+d} → {new:+d}"
        return f"{verb} ({values}) {why}"

    def summary_sentences(self, edits: list[Edit]) -> list[str]:
        """The reply: looks in a phrase each, follow-ups together, other changes grouped by their reason."""
        d = self.d
        removed = [e.tool for e in edits if e.value == 0]

        def were(tools) -> str:
            return join([f"{label(t)} {self.current.get(t, 0):+d}" for t in tools if t in removed])

        sentences = []
        for other, tools in d.replaced.items():
            sentences.append(f"Replaced the {other} look" + (f" (removed {were(tools)})." if were(tools) else "."))
        for look in d.looks:
            strength = (
                ""
                if abs(look.scale - 1.0) < 0.05
                else " (a lighter version)"
                if look.scale < 1
                else " (a stronger version)"
            )
            listed = ", ".join(f"{label(t)} {d.value(t):+d}" for t in lex.LOOKS[look.name][1] if d.value(t))
            text = f"Applied the {look.name} look{strength}: {lex.LOOKS[look.name][2]} ({listed})."
            if were(look.cleared):
                text += f" I removed my {were(look.cleared)}, which would tint it."
            sentences.append(text)
        followed = [e for e in edits if d.sliders[e.tool].followed]
        if len(followed) >= 3:
            stronger = all(d.sliders[e.tool].followed == "stronger" for e in followed)
            listed = ", ".join(f"{label(e.tool)} {self.current.get(e.tool, 0):+d} → {e.value:+d}" for e in followed)
            sentences.append(
                f"{'Strengthened' if stronger else 'Toned down'} my last changes ({listed}) as you "
                f"asked ({quote(d.follow_words)})."
            )
        else:
            sentences.extend(sentence(e.reason) for e in followed)
        groups: dict[str, list[Edit]] = {}
        for edit in edits:
            slider = d.sliders[edit.tool]
            in_look = slider.look is not None and all(w.kind in ("look", "look_clear") for w in slider.whys)
            if slider.followed or in_look or slider.quiet:
                continue
            groups.setdefault(" and ".join(self.whys(edit.tool)), []).append(edit)
        for why, group in groups.items():
            if len(group) == 1 or not why:
                sentences.extend(sentence(e.reason) for e in group)
                continue
            verbs, values = [], []
            for e in group:
                old = self.current.get(e.tool, 0)
                verb = VERBS[e.tool][0 if e.value > old else 1]
                verbs.append(f"removed the {label(e.tool)}" if e.value == 0 else verb[0].lower() + verb[1:])
                values.append(
                    f"{label(e.tool)} {e.value:+d}" if old == 0 else f"{label(e.tool)} {old:+d} → {e.value:+d}"
                )
            sentences.append(sentence(f"{join(verbs)} ({', '.join(values)}) {why}"))
        return sentences

    def reason(self, tool: str, old: int, new: int) -> str:
        """One line a person understands: what moved, from what to what, and why."""
        why = " and ".join(self.whys(tool))
        name = label(tool)
        if new == 0:
            joiner = " " if why.startswith(("to ", "because", "for ", "as you")) else ", "
            return f"Removed the {name} adjustment (was {old:+d}){joiner + why if why else ''}"
        slider = self.d.sliders[tool]
        if slider.followed:
            verb = f"{'Strengthened' if slider.followed == 'stronger' else 'Toned down'} the {name}"
            if slider.look:
                verb += f" of the {slider.look} look"
            values = f"{old:+d} → {new:+d}"
        else:
            verb = VERBS[tool][0 if new > old else 1]
            values = f"{name} {new:+d}" if old == 0 else f"{name} {old:+d} → {new:+d}"
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
        lines.append("• " + sentence(text))
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
        text += " with " + join(withs)
    return text + "."
