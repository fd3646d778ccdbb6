"""The generic dialect: any instruction-following model, grammar-constrained to the registry's tools.

The messages: a fixed system prompt (the instructions and the tool table), then the recent
conversation as chat turns (the person's requests, the assistant's replies and the edits each
made), then one user message with what varies from turn to turn: the person's own changes since
the assistant's last turn, the measured statistics of the photo, the current graph, and the
request (the photo, for a model with vision, goes with it). That order lets llama.cpp keep the
evaluated prompt from one turn to the next up to the first thing that changed (see
backends/llama_cpp_backend.py). The conversation is trimmed to the model's context: the newest
turns whole, older ones a line each, the oldest dropped; the system prompt always stays.

The answer is JSON, {"reply": ..., "edits": [{"tool", "value", "reason"}, ...]}, where each
value is the new absolute value of that tool's assistant adjustment (0 removes it). Besides the
16 tools a model may crop to an aspect, turn, straighten, flip and use the colour and tone tools
(plan.MODEL_OPS): those edits name their arguments instead of "value" ({"tool": "crop",
"aspect": "1:1", ...}), and plan.validate_calls turns them into node params.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ...core.chat import ChatMessage
from ...core.graph import EditGraph, make_node
from ..areas import AREAS, mask_words, missing_areas, words
from ..backends.grammar import tool_calls_grammar
from ..plan import GeometryEdit, Plan, validate_calls
from ..session import graph_changes
from .common import (
    DEFAULT_MAX_PIXELS,
    AnswerError,
    extract_json_object,
    generic_tool_table,
    generic_tools,
    png_for_model,
    side_by_side,
)

# Bounded so that the longest answer of one-value tools (the reply and 6 edits with short reasons: 463 tokens
# with SmolLM2's tokenizer) fits, and the named-argument tools (at most 550 for 6 white balance edits). Only
# an answer naming most of the colour mixer's 24 arguments in several edits can run past it (6 such edits
# take about 2,260 tokens): it is then cut off and refused as not valid JSON.
MAX_TOKENS = 768
MAX_EDITS = 6
REASON_CHARS = 80
REPLY_CHARS = 200

DEFAULT_CONTEXT = 4096  # tokens, when the backend does not say (LlamaCppBackend's default n_ctx)
IMAGE_TOKENS = 512  # kept free for the photo: 256 to 300 tokens for most vision models at 448 x 448
MESSAGE_TOKENS = 8  # what a chat template adds around each message (role, start and end marks)
CHARS_PER_TOKEN = 3  # a cautious estimate (English runs near 4) when the model cannot count
LINE_CHARS = 120  # an older turn, summarised in one line: its request and its edits (or reply), each at most

SYSTEM = """You are the assistant of a photo editor. The person asks for changes to their photo in plain words; \
you answer with the editor's tools. Only these tools exist; you cannot remove objects, paint, or change what the \
photo shows.

{tools}

Answer with JSON only: {{"reply": "<one short sentence for the person>", "edits": [{{"tool": "<tool>", \
"value": <new value from -100 to 100>, "reason": "<why, in a few words>"}}]}}. A tool with named arguments takes \
them instead of "value", e.g. {{"tool": "crop", "aspect": "1:1", "reason": "square"}} or {{"tool": "white_balance", \
"temperature": 3200, "reason": "tungsten light"}}; one left out keeps its setting. Every tool but crop, rotate, \
straighten and flip may take "area" to act on part of the photo only: one of {areas} \
(e.g. {{"tool": "exposure", "value": -30, "area": "sky", "reason": "darker sky"}}); without it the edit acts on the \
whole photo, and each area has its own adjustment of a tool. A value is the tool's new absolute setting, not a change; 0 \
switches that adjustment off. Use small values (10-30) for gentle requests and larger ones for strong requests. If \
the request is not about adjusting the photo, reply politely with no edits. The conversation so far comes before \
the request: "a bit less" or "undo that" refers to your earlier edits."""

EARLIER = "\n\nEarlier in this conversation, oldest first:\n"

SUMMARY_REQUEST = (
    "Summarize my editing preference in one short sentence, from the adjustments I made "
    "(the picture: the original on the left, my edit on the right). Reply only, make no edits."
)

REQUEST = """{manual}The photo now: {stats}.
Current adjustments: {graph}.

The person asks: {request}"""


def describe_graph(nodes) -> str:
    parts = []
    for node in nodes:
        who = "yours" if node.provenance.origin == "assistant" else "set by the person"
        state = "" if node.enabled else ", switched off"
        where = f" {mask_words(node.mask)}" if node.mask is not None else ""
        parts.append(f"{node.op} {node.summary()}{where} ({who}{state})")
    return "; ".join(parts) or "none"


def system_prompt() -> str:
    """The fixed part of every prompt: the instructions and the tool table."""
    return SYSTEM.format(tools=generic_tool_table(), areas=", ".join(AREAS))


def streamed_reply(buffer: str) -> str:
    """The part of the "reply" string that has been generated so far (for streaming to the chat)."""
    match = re.search(r'"reply"\s*:\s*"((?:[^"\\]|\\.)*)', buffer)
    if not match:
        return ""
    return match.group(1).replace('\\"', '"').replace("\\n", " ").replace("\\\\", "\\")


def describe_changes(changes: list[dict]) -> str:
    """session.graph_changes in one line: 'added Temperature +30; Exposure +10 → +20; removed Grain +15'."""
    verbs: dict[str | None, str] = {"added": "added ", "removed": "removed ", "kept": "kept "}
    return "; ".join(verbs.get(c.get("kind"), "") + str(c["text"]) for c in changes if c.get("text"))


def manual_changes(ctx) -> str:
    """What the person changed by hand since the assistant's last applied turn, in words.

    Compared with the graph that turn's history step left (``ctx.turns``, kept in the project):
    an undo or a slider moved back shows as what it did to that graph. Empty before the
    assistant's first turn (the current adjustments then say who set what).
    """
    if not ctx.turns:
        return ""
    step = ctx.document.history.entries[ctx.turns[-1].entry]
    return describe_changes(graph_changes(EditGraph.from_list(step.state).nodes, ctx.nodes))


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def conversation(chat: list[ChatMessage]) -> list[tuple[str, str, str]]:
    """The earlier turns in the chat as (request, answer with the edits it made, one-line summary), oldest first."""
    requests: dict = {}
    turns = []
    for message in chat:
        turn = message.turn_id
        if message.is_user:
            requests[turn] = " ".join(message.text.split())
        elif turn in requests:
            request, reply = requests.pop(turn), message.text.strip()
            edits = describe_changes(list(message.changes or []))
            answer = f"{reply}\n(Edits made: {edits}.)" if edits else reply
            line = f"- “{clip(request, LINE_CHARS // 3)}”: {clip(edits or reply, LINE_CHARS)}"
            turns.append((request, answer, line))
    return turns


def token_counter(backend) -> Callable[[list[str]], list[int]]:
    """The model's own tokenizer when the backend offers one, else a cautious estimate from the length."""
    counter = getattr(backend, "count_tokens", None)
    return counter or (lambda texts: [-(-len(text) // CHARS_PER_TOKEN) for text in texts])


def context_budget(backend) -> int:
    """Tokens the prompt may use: the context, less the longest answer and the photo."""
    n_ctx = getattr(backend, "n_ctx", None) or DEFAULT_CONTEXT
    return n_ctx - MAX_TOKENS - (IMAGE_TOKENS if backend.has_vision else 0)


def fit_conversation(
    turns: list[tuple[str, str, str]], budget: int, count: Callable[[list[str]], list[int]]
) -> tuple[list[tuple[str, str, str]], list[str]]:
    """(turns kept whole, lines for older ones) within ``budget`` tokens: the newest turns whole,
    then one line for each older turn while they fit; what does not fit, oldest first, is left out."""
    if not turns or budget <= 0:
        return [], []
    sizes = count([text for request, answer, line in turns for text in (request, answer, line)])
    whole: list[tuple[str, str, str]] = []
    lines: list[str] = []
    used = count([EARLIER])[0]
    i = len(turns) - 1
    while i >= 0:
        size = sizes[3 * i] + sizes[3 * i + 1] + 2 * MESSAGE_TOKENS
        if used + size > budget:
            break
        whole.insert(0, turns[i])
        used += size
        i -= 1
    while i >= 0 and used + sizes[3 * i + 2] + 1 <= budget:
        lines.insert(0, turns[i][2])
        used += sizes[3 * i + 2] + 1
        i -= 1
    return whole, lines


class GenericDialect:
    name = "generic"
    op_version = None  # each op's latest (corrected) version

    def build(self, ctx, backend, request: str | None = None) -> tuple[list[dict], bytes]:
        """The messages (fixed system prompt, conversation, this turn) and the photo for the model.
        ``request``: what the person asks, when not ``ctx.request``."""
        manual = manual_changes(ctx)
        last = REQUEST.format(
            manual=f"Since your last reply the person changed by hand: {manual}.\n" if manual else "",
            stats=ctx.current_stats.to_text(),
            graph=describe_graph(ctx.nodes),
            request=ctx.request if request is None else request,
        )
        system = system_prompt()
        count = token_counter(backend)
        fixed = sum(count([system, last])) + 2 * MESSAGE_TOKENS
        whole, lines = fit_conversation(conversation(ctx.chat), context_budget(backend) - fixed, count)
        if lines:  # after the fixed part, so that the fixed part stays a prefix llama.cpp can keep
            system += EARLIER + "\n".join(lines)
        messages = [{"role": "system", "content": system}]
        for said, answer, _ in whole:
            messages += [{"role": "user", "content": said}, {"role": "assistant", "content": answer}]
        messages.append({"role": "user", "content": last})
        return messages, png_for_model(ctx.current, DEFAULT_MAX_PIXELS)

    def warm_up(self, backend, cancel=None) -> None:
        """Have the model read the fixed start of every prompt (the instructions and the tool table,
        most of a first turn's prompt) before the first request: llama.cpp keeps what it read, so
        that request reads only its own part (``build`` keeps the fixed part a prefix)."""
        messages = [{"role": "system", "content": system_prompt()}, {"role": "user", "content": ""}]
        backend.complete(messages, max_tokens=1, temperature=0.0, cancel=cancel)

    def _ask(self, backend, messages: list[dict], image: bytes, on_text, cancel) -> dict:
        """One answer under the tool-calls grammar, its reply streamed to ``on_text``; the parsed JSON."""
        buffer, shown = [], [0]

        def relay(chunk: str) -> None:
            buffer.append(chunk)
            reply = streamed_reply("".join(buffer))
            if on_text is not None and len(reply) > shown[0]:
                on_text(reply[shown[0] :])
                shown[0] = len(reply)

        text = backend.complete(
            messages,
            image_png=image if backend.has_vision else None,
            grammar=tool_calls_grammar(
                generic_tools(), max_edits=MAX_EDITS, reply_chars=REPLY_CHARS, reason_chars=REASON_CHARS
            ),
            max_tokens=MAX_TOKENS,
            temperature=0.0,
            on_text=relay,
            cancel=cancel,
        )
        if not text.strip():
            raise AnswerError("the model gave an empty answer")
        return extract_json_object(text)

    def plan(self, backend, ctx, on_text, cancel) -> Plan:
        data = self._ask(backend, *self.build(ctx, backend), on_text, cancel)
        raw_edits = data.get("edits", [])
        if not isinstance(raw_edits, list):
            raise AnswerError("the model's 'edits' is not a list")
        proposed = [e for e in raw_edits if isinstance(e, dict)]

        def current(op: str, area: str | None) -> dict | None:
            node = ctx.assistant_node(op, area)
            return dict(node.params) if node else None

        def frame(planned: list[GeometryEdit]):
            """The picture a crop applies to: the photo with every edit but my crop and the answer's
            other edits made."""
            replaced = {"crop"} | {g.op for g in planned}
            nodes = [n for n in ctx.nodes if not (n.provenance.origin == "assistant" and n.op in replaced)]
            nodes += [make_node(g.op, g.params) for g in planned if g.params is not None]
            if not ctx.render:
                return ctx.current
            geometry = sorted((n for n in nodes if n.spec.stage == "geometry"), key=lambda n: n.spec.sort_key)
            return ctx.render(geometry + [n for n in nodes if n.spec.stage != "geometry"])

        edits, geometry, warnings = validate_calls(proposed, current=current, frame=frame)
        missing = missing_areas(ctx, [e.area for e in edits] + [g.area for g in geometry])
        if missing:
            warnings += [f"ignored the edits on {words(a)}: I could not find {words(a)} in this photo" for a in missing]
            edits = [e for e in edits if e.area not in missing]
            geometry = [g for g in geometry if g.area not in missing]
        reply = data.get("reply")
        if not isinstance(reply, str):
            reply = ""
        if len(proposed) < len(raw_edits):
            warnings.append("ignored edits that were not objects")
        return Plan(
            reply=reply.strip() or ("Done." if edits or geometry else "No changes."),
            edits=edits,
            geometry=geometry,
            warnings=warnings,
        )

    def summarize(self, backend, ctx, on_text, cancel) -> str:
        """The person's editing preference in one sentence: the reply of a turn asked for it (the same
        prompt as a turn's, so that the kept context serves it too; any edits it names are ignored).
        The picture is the original and the edit side by side."""
        messages, _ = self.build(ctx, backend, request=SUMMARY_REQUEST)
        image = png_for_model(side_by_side(ctx.original, ctx.current), DEFAULT_MAX_PIXELS)
        reply = self._ask(backend, messages, image, on_text, cancel).get("reply")
        if not isinstance(reply, str) or not reply.strip():
            raise AnswerError("the model gave an empty summary")
        return " ".join(reply.split())
