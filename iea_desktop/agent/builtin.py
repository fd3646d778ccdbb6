"""The built-in assistant: chat that works on first launch, with no model file.

Deterministic and instant. A message goes through three steps, each in its own module:
``builtin_parse`` reads it into wishes ("more light", "the vintage look", "a bit less"),
``builtin_planner`` decides what they do to this photo (slider values sized from its statistics by
``builtin_measure``, looks, places, geometry: ``builtin_decisions.Decisions``, data only), and
``builtin_words`` writes each edit's reason and the reply. Commands ("undo", "what did you
change?", "help", "only the exposure") are answered here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ..core.ops import IEA_TOOLS
from . import areas
from . import builtin_lexicon as lex
from . import builtin_measure as measure
from .builtin_parse import Request, parse, tool_words
from .builtin_planner import Planner
from .builtin_words import CAPABILITIES, Writer, describe_graph, join, node_words, sentence, summarize_graph
from .errors import Cancelled
from .plan import Edit, Plan
from .session import TurnContext


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
        req = parse(ctx.request)
        plan = answer(ctx, req) or Writer(ctx, req, Planner(ctx, req).decide()).plan()
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


# --- what is answered without planning edits ------------------------------------------------------------


def answer(ctx: TurnContext, req: Request) -> Plan | None:
    """The plan for a command, a message with nothing to do, or "only the exposure" on its own;
    None for a request with edits to plan."""
    if req.command:
        return command(ctx, req)
    if not (req.has_edits or req.refusals or req.scope or req.keep or req.nothing_else):
        return Plan(reply=not_understood())
    if req.scope and not req.has_edits:
        return keep_only(ctx, req)
    return None


def command(ctx: TurnContext, req: Request) -> Plan:
    mine = ctx.assistant_nodes()
    command = req.command
    if command == "undo":
        return undo(ctx, req)
    if command == "reset_all":
        if not ctx.nodes:
            return Plan(reply="There is nothing to reset: the photo has no adjustments.")
        count = len(ctx.nodes)
        what = "the only adjustment" if count == 1 else f"all {count} adjustments"
        return Plan(reply=f"Back to the original photo: removed {what}. Edit ▸ Undo brings them back.", reset="all")
    if command == "reset_assistant":
        if not mine:
            return Plan(reply="I haven't made any changes, so there is nothing of mine to remove.")
        listed = join([node_words(n) for n in mine])
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
        return Plan(reply=assessment(ctx))
    return Plan(reply=not_understood())


def undo(ctx: TurnContext, req: Request) -> Plan:
    """ "undo", "undo the last two", "go back to before the vignette" (the session undoes them)."""
    if not req.undo_before:
        return Plan(reply="", undo_turns=req.undo_count)
    look = next(
        (name for name in lex.LOOKS if name in req.undo_before.replace("blackandwhite", "black and white")), None
    )
    tools = set(tool_words(req.undo_before))
    mine = {
        n.id
        for n in ctx.assistant_nodes()
        if (look is not None and n.provenance.look == look) or (look is None and n.op in tools)
    }
    for back, turn in enumerate(reversed(ctx.turns), start=1):
        if mine & set(turn.node_ids("added", "changed")):
            return Plan(reply="", undo_turns=back)
    what = f"{look} look" if look else req.undo_before
    return Plan(
        reply=f"There is no {what} of mine among the changes I can undo, so I left everything as it "
        "is. The History panel lists every step."
    )


def assessment(ctx: TurnContext) -> str:
    s = ctx.current_stats
    issues = measure.assess(ctx.current, s)
    if issues:
        return sentence("I'd say " + join(issues)) + " Say “fix it” and I'll correct that."
    return (
        f"It looks well balanced to me (median brightness {s.median_luma:.2f}, tones {s.p05:.2f}–"
        f"{s.p95:.2f}, neutral colours, nothing clipped). For a different mood, try “warmer”, “moody” "
        "or “vintage”."
    )


def not_understood() -> str:
    return "I'm not sure what you'd like me to change. " + CAPABILITIES + " Try: " + ", ".join(lex.EXAMPLES) + "."


def keep_only(ctx: TurnContext, req: Request) -> Plan:
    """ "only the exposure" on its own: keep just my changes to those tools."""
    scope, words = req.scope or set(), req.scope_words or "those"
    mine = [n for n in ctx.assistant_nodes() if n.op in IEA_TOOLS and areas.area_of(n.mask) is None]
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
    listed = join([node_words(n) for n in dropped])
    return Plan(
        reply=f"Kept only my {words} change and removed my other adjustments ({listed}).",
        edits=edits,
        complete=True,
    )
