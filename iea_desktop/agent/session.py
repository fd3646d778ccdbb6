"""An assistant turn, end to end: request -> context -> plan -> validated commands -> reply.

A turn becomes one compound command on the document's history (one undo step), recorded in the
document's ``turns`` (core/turns.py, saved with the project), so that undoing the last N turns and
follow-ups work after the project is reopened. Before it is applied, the plan is rendered on a
small preview and each asked direction checked (plan_check.py). A failed or cancelled turn leaves
the graph exactly as it was. The chat transcript lives in the document, so it is saved with the
project.

What a turn did is read off the graph, before and after, whatever the assistant said: every node
added, changed (old -> new), removed, or brought back or taken away by an undo (``TurnResult.changes``).
An assistant's node that the person changed by hand is never removed unless they asked for that
tool to go: it is kept, and the reply says so. When the highlights clip more after the turn, the
reply says by how much, measured.
"""

from __future__ import annotations

import copy
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from ..core.chat import ChatMessage
from ..core.document import Document
from ..core.graph import EditGraph, Node, Provenance, make_node
from ..core.history import AddNode, Command, Compound, RemoveNode, ReplaceGraph, SetNodeFields
from ..core.image_io import downscale
from ..core.ops import IEA_TOOLS
from ..core.render import RenderRequest
from ..core.stats import ImageStats, measure
from ..core.turns import TurnRecord
from .areas import area_of, mask_for, mask_words
from .errors import Cancelled  # raised by model backends and by us alike
from .plan import Plan
from .plan_check import PlanCheck
from .turns import applied_turns, node_changes, record_turn, undo_turns

STATS_EDGE = 512  # measuring a 512 px preview takes a few milliseconds and is plenty for statistics
CHECK_EDGE = 256  # the plan check renders this small: a few renders per turn stay cheap
CLIPPING_NOTE = 0.01  # say so when a turn makes 1 % more of the photo clip to white


@dataclass
class TurnContext:
    """Everything an assistant may look at for one turn."""

    request: str
    document: Document
    original: np.ndarray  # the source preview, float32 RGB (no edits)
    current: np.ndarray  # the current render of the same preview
    current_stats: ImageStats  # measured on ``current``
    nodes: list[Node]  # the graph as it is now
    chat: list[ChatMessage]  # earlier messages
    turns: list[TurnRecord] = field(default_factory=list)  # the assistant's applied turns, oldest first
    # the small check preview rendered with other nodes (AssistantSession.render_small)
    render: Callable[[list[Node]], np.ndarray] | None = None

    def assistant_values(self) -> dict[str, int]:
        """The assistant's tool values as they are now (a switched-off node counts 0)."""
        values = {}
        for tool in IEA_TOOLS:
            node = self.assistant_node(tool)
            if node is not None and node.enabled:
                values[tool] = int(node.params["value"])
        return values

    def assistant_nodes(self) -> list[Node]:
        return [n for n in self.nodes if n.provenance.origin == "assistant"]

    def assistant_node(self, tool: str, area: str | None = None) -> Node | None:
        """The node a follow-up should change: the latest assistant node of this tool acting on
        ``area`` (agent/areas.py; None: the whole photo, or a mask the person made by hand)."""
        found = [
            n for n in self.nodes if n.op == tool and n.provenance.origin == "assistant" and area_of(n.mask) == area
        ]
        return found[-1] if found else None


class Assistant(Protocol):
    name: str
    is_builtin: bool
    op_version: int | None  # the op version its nodes use (None = each op's latest)

    @property
    def device_label(self) -> str: ...

    def plan(self, ctx: TurnContext, on_text: Callable[[str], None] | None, cancel: threading.Event | None) -> Plan: ...

    def summarize(
        self, ctx: TurnContext, on_text: Callable[[str], None] | None, cancel: threading.Event | None
    ) -> str: ...


@dataclass
class TurnResult:
    turn_id: str
    reply: str
    node_ids: list[str] = field(default_factory=list)  # nodes created or changed by this turn
    changes: list[dict] = field(default_factory=list)  # what the graph shows changed (see graph_changes)
    undone: bool = False  # the turn undid an earlier one
    warnings: list[str] = field(default_factory=list)
    applied: bool = False
    cancelled: bool = False
    error: str | None = None
    seconds: float = 0.0


class AssistantSession:
    """Runs turns of one assistant against one document. One turn at a time."""

    def __init__(self, document: Document, assistant: Assistant):
        self.document = document
        self.assistant = assistant
        self._lock = threading.Lock()
        self._small: np.ndarray | None = None  # the check preview (CHECK_EDGE), made once

    # --- context -----------------------------------------------------------------------------

    def context(self, request: str) -> TurnContext:
        doc = self.document
        original = downscale(doc.preview_source(), STATS_EDGE)
        current = doc.render(
            RenderRequest(nodes=doc.graph.nodes, source=original, source_key="stats", pipe="assistant")
        )
        return TurnContext(
            request,
            doc,
            original,
            current,
            measure(current),
            list(doc.graph.nodes),
            list(doc.chat),
            applied_turns(doc),
            self.render_small,
        )

    def render_small(self, nodes: list[Node]) -> np.ndarray:
        """The check preview rendered with ``nodes`` (not cached: it must not evict the canvas's renders)."""
        doc = self.document
        if self._small is None:
            self._small = downscale(doc.preview_source(), CHECK_EDGE)
        return doc.render(
            RenderRequest(nodes=nodes, source=self._small, source_key="check", cached=False, pipe="assistant")
        )

    # --- turns -------------------------------------------------------------------------------

    def run_turn(
        self, request: str, on_text: Callable[[str], None] | None = None, cancel: threading.Event | None = None
    ) -> TurnResult:
        with self._lock:
            started = time.perf_counter()
            turn_id = uuid.uuid4().hex[:8]
            request = request.strip()
            result = TurnResult(turn_id, "")
            try:
                ctx = self.context(request)
                plan = self.assistant.plan(ctx, on_text, cancel)
                if cancel is not None and cancel.is_set():
                    raise Cancelled()
                before = [copy.deepcopy(n) for n in self.document.graph.nodes]
                kept: list[Node] = []
                checked = self._check(plan, ctx)
                if plan.undo_turns:
                    plan.reply, result.undone = undo_turns(self.document, plan.undo_turns)
                else:
                    result.node_ids = self._apply(plan, ctx, turn_id, request, kept)
                result.applied = True
                result.changes = graph_changes(before, self.document.graph.nodes) + [
                    {"kind": "kept", "node_id": n.id, "text": f"{describe_node(n)} (you changed it by hand)"}
                    for n in kept
                ]
                result.reply = " ".join(
                    [plan.reply, *checked, *self._after_notes(ctx, plan, kept, result.changes)]
                ).strip()
                result.warnings = plan.warnings
            except Cancelled:
                result.cancelled, result.reply = True, "Stopped. Nothing was changed."
            except Exception as error:  # a broken model must not break the app: report it in the chat
                result.error = (
                    f"{type(error).__name__}: {error}"
                    if not str(error).startswith(type(error).__name__)
                    else str(error)
                )
                result.reply = f"Sorry, that did not work: {error}. Nothing was changed."
            result.seconds = time.perf_counter() - started
            self._record(request, result)
            return result

    def summarize(self, on_text=None, cancel=None) -> TurnResult:
        """ "Summarize my edits": every adjustment with its values (the same words for every
        assistant, from the graph), then the assistant's one sentence on the person's taste (IEA's
        summary task)."""
        from .builtin_words import describe_graph  # the built-in assistant's words for a graph

        with self._lock:
            started = time.perf_counter()
            result = TurnResult(uuid.uuid4().hex[:8], "")
            try:
                listing = describe_graph(list(self.document.graph.nodes))
                if on_text is not None:
                    on_text(listing + "\n")
                taste = self.assistant.summarize(self.context("Summarize my edits"), on_text, cancel)
                result.reply = f"{listing}\n{taste}" if self.document.graph.nodes and taste else listing
            except Cancelled:
                result.cancelled, result.reply = True, "Stopped."
            except Exception as error:
                result.error, result.reply = str(error), f"Sorry, I could not summarize: {error}"
            result.seconds = time.perf_counter() - started
            self._record("Summarize my edits", result)
            return result

    # --- applying a plan ---------------------------------------------------------------------

    def _after_notes(self, ctx: TurnContext, plan: Plan, kept: list[Node], changes: list[dict]) -> list[str]:
        """What the reply adds from the graph itself: hand-tuned nodes kept, measured clipping (after
        tone edits only: an undo brings back what was, and a crop changes the share of clipped pixels)."""
        notes = []
        if kept:
            listed = ", ".join(describe_node(n) for n in kept)
            notes.append(
                f"I kept your {listed}: you changed {'it' if len(kept) == 1 else 'them'} by hand. "
                f"Say “remove the {kept[0].label.lower()}” if you want it gone."
            )
        if plan.edits and not plan.undo_turns and any(c["kind"] != "kept" for c in changes):
            before, after = ctx.current_stats.clip_high, self.context("").current_stats.clip_high
            if after - before >= CLIPPING_NOTE:
                notes.append(
                    f"Highlight clipping rose from {100 * before:.1f}% to {100 * after:.1f}% of the photo "
                    "(pure white, no detail there); say “recover the highlights” to bring some back."
                )
        return notes

    def _check(self, plan: Plan, ctx: TurnContext) -> list[str]:
        """Check the plan on the small preview (plan_check.py), correcting its values; the reply's notes."""
        if not plan.edits or plan.reset or plan.undo_turns:
            return []
        before = measure(self.render_small(ctx.nodes))

        def render(candidate: Plan) -> ImageStats:
            graph = EditGraph(copy.deepcopy(ctx.nodes))
            commands, _ = self._commands(candidate, ctx, "check", [])
            Compound(commands).do(graph)
            return measure(self.render_small(graph.nodes))

        return PlanCheck(plan, before, ctx.assistant_values(), render).run()

    def _apply(self, plan: Plan, ctx: TurnContext, turn_id: str, request: str, kept: list[Node]) -> list[str]:
        """Apply the plan as one history step, recorded as this turn's; returns the ids of the nodes
        it adds or changes. Hand-tuned nodes it would remove without being asked are left in place
        and put in ``kept``."""
        doc = self.document
        before = list(doc.graph.nodes)
        commands, touched = self._commands(plan, ctx, turn_id, kept)
        if not commands:
            return []
        if plan.reset:
            text = "Assistant: reset" if plan.reset == "all" else "Assistant: remove its edits"
        else:
            text = "Assistant: " + (request if len(request) <= 40 else request[:39] + "…")
        doc.apply(Compound(commands, text=text))
        record_turn(doc, turn_id, request, node_changes(before, doc.graph.nodes))
        return touched

    def _commands(
        self, plan: Plan, ctx: TurnContext, turn_id: str, kept: list[Node]
    ) -> tuple[list[Command], list[str]]:
        """The history commands that carry out the plan, and the ids of the nodes they add or change."""

        def removable(node: Node) -> bool:
            if node.provenance.edited_by_user and node.op not in plan.asked_to_remove:
                if node not in kept:
                    kept.append(node)
                return False
            return True

        if plan.reset:
            keep = (
                []
                if plan.reset == "all"
                else [n for n in ctx.nodes if n.provenance.origin != "assistant" or not removable(n)]
            )
            return ([ReplaceGraph(keep)] if len(keep) != len(ctx.nodes) else []), []

        # the assistant's own again: a person's earlier change to the node is superseded
        provenance: dict = {
            "turn_id": turn_id,
            "model": self.assistant.name,
            "edited_by_user": False,
            "assistant_params": None,
        }
        commands: list[Command] = []
        touched: list[str] = []
        planned = {edit.tool for edit in plan.edits if edit.area is None}
        changes = [(e.tool, None if e.value == 0 else {"value": e.value}, e.reason, e.look, e.area) for e in plan.edits]
        changes += [(g.op, g.params, g.reason, None, g.area) for g in plan.geometry]
        for op, params, reason, look, area in changes:
            node = ctx.assistant_node(op, area)
            if params is None:
                if node is not None and removable(node):
                    commands.append(RemoveNode(node.id))
                continue
            if node is None:  # a node on an area gets that area's mask; one the person refined keeps theirs
                new = make_node(
                    op,
                    params,
                    version=self.assistant.op_version if op in IEA_TOOLS else None,
                    provenance=Provenance("assistant", reason, look=look, **provenance),
                    mask=None if area is None else mask_for(area),
                )
                commands.append(AddNode(new))
                touched.append(new.id)
            elif any(node.params.get(k) != v for k, v in params.items()) or not node.enabled:
                commands.append(
                    SetNodeFields(
                        node.id,
                        params=params,
                        enabled=True,
                        provenance={"reason": reason or node.provenance.reason, "look": look, **provenance},
                        text=f"Assistant: {node.label}",
                    )
                )
                touched.append(node.id)
        for node in ctx.assistant_nodes():
            complete = plan.complete and node.op in IEA_TOOLS and node.op not in planned and node.mask is None
            if (node.op in plan.remove or complete) and removable(node):
                commands.append(RemoveNode(node.id))
        return commands, touched

    def _record(self, request: str, result: TurnResult) -> None:
        now = time.time()
        self.document.add_chat(
            ChatMessage("user", request, result.turn_id, now),
            ChatMessage(
                "assistant",
                result.reply,
                result.turn_id,
                now,
                model=self.assistant.name,
                node_ids=tuple(result.node_ids),
                changes=tuple(result.changes),
                undone=result.undone,
                warnings=tuple(result.warnings),
                error=result.error,
                cancelled=result.cancelled,
                seconds=round(result.seconds, 3),
            ),
        )


# --- what a turn changed ----------------------------------------------------------------------------


def describe_node(node: Node) -> str:
    """'Exposure +30', 'Exposure -25 on the sky', 'Vignette +25 at 50%', 'Grain +15, switched off'."""
    text = f"{node.label} {node.summary()}"
    if node.mask is not None:
        text += f" {mask_words(node.mask)}"
    if node.opacity < 1.0:
        text += f" at {node.opacity:.0%}"
    return text if node.enabled else text + ", switched off"


def graph_changes(before: list[Node], after: list[Node]) -> list[dict]:
    """Every node added, changed or removed between two states of a graph, in words:
    ``{"kind": "added" | "changed" | "removed", "node_id", "text"}``, in pipeline order."""
    old = {n.id: n for n in before}
    new = {n.id: n for n in after}
    texts = {
        "added": lambda i: describe_node(new[i]),
        "changed": lambda i: _change_text(old[i], new[i]),
        "removed": lambda i: describe_node(old[i]),
    }
    return [
        {"kind": c.kind, "node_id": c.node_id, "text": texts[c.kind](c.node_id)} for c in node_changes(before, after)
    ]


def _where(node: Node) -> str:
    return mask_words(node.mask) if node.mask is not None else "on the whole photo"


def _change_text(was: Node, node: Node) -> str:
    """'Exposure +20 → +35', 'Temperature +20 (switched back on)', 'Vignette +25 at 100% → 50%'."""
    text = node.label
    if was.params != node.params:
        text += f" {was.summary()} → {node.summary()}"
    else:
        text += f" {node.summary()}"
    if was.mask != node.mask:
        text += f" ({_where(was)} → {_where(node)})"
    elif node.mask is not None:
        text += f" {_where(node)}"
    if was.opacity != node.opacity:
        text += f" at {was.opacity:.0%} → {node.opacity:.0%}"
    if was.enabled != node.enabled:
        text += " (switched back on)" if node.enabled else " (switched off)"
    return text
