"""The generic dialect: any instruction-following model, grammar-constrained to the registry's tools.

The system prompt carries the tool table, the measured image statistics and the current
graph; the answer is JSON, {"reply": ..., "edits": [{"tool", "value", "reason"}, ...]}, where
each value is the new absolute value of that tool's assistant adjustment (0 removes it).
"""

from __future__ import annotations

import re

from ..backends.grammar import tool_calls_grammar
from ..plan import Plan, validate_edits
from .common import DEFAULT_MAX_PIXELS, AnswerError, extract_json_object, png_for_model, side_by_side, tool_ranges, tool_table

# Bounded so the longest answer the grammar allows (reply, 6 edits with short reasons) always fits.
MAX_TOKENS = 768
MAX_EDITS = 6
REASON_CHARS = 80
REPLY_CHARS = 200

SYSTEM = """You are the assistant of a photo editor. The person asks for changes to their photo in plain words; \
you answer by setting adjustment sliders. Only these 16 sliders exist; you cannot remove objects, paint, or \
change what the photo shows.

{tools}

The photo: {stats}.
Current adjustments: {graph}.

Answer with JSON only: {{"reply": "<one short sentence for the person>", "edits": [{{"tool": "<slider>", \
"value": <new value from -100 to 100>, "reason": "<why, in a few words>"}}]}}. A value is the slider's new \
absolute setting, not a change; 0 switches that adjustment off. Use small values (10-30) for gentle requests and \
larger ones for strong requests. If the request is not about adjusting the photo, reply politely with no edits."""


def describe_graph(nodes) -> str:
    parts = []
    for node in nodes:
        if node.spec.iea_tool:
            who = "yours" if node.provenance.origin == "assistant" else "set by the person"
            state = "" if node.enabled else ", switched off"
            parts.append(f"{node.op} {node.params['value']:+d} ({who}{state})")
    return "; ".join(parts) or "none"


def streamed_reply(buffer: str) -> str:
    """The part of the "reply" string that has been generated so far (for streaming to the chat)."""
    match = re.search(r'"reply"\s*:\s*"((?:[^"\\]|\\.)*)', buffer)
    if not match:
        return ""
    return match.group(1).replace('\\"', '"').replace("\\n", " ").replace("\\\\", "\\")


class GenericDialect:
    name = "generic"
    op_version = None  # each op's latest (corrected) version

    def build(self, ctx, has_vision: bool) -> tuple[list[dict], bytes]:
        system = SYSTEM.format(tools=tool_table(), stats=ctx.current_stats.to_text(), graph=describe_graph(ctx.nodes))
        return ([{"role": "system", "content": system}, {"role": "user", "content": ctx.request}],
                png_for_model(ctx.current, DEFAULT_MAX_PIXELS))

    def plan(self, backend, ctx, on_text, cancel) -> Plan:
        messages, image = self.build(ctx, backend.has_vision)
        buffer, shown = [], [0]

        def relay(chunk: str) -> None:
            buffer.append(chunk)
            reply = streamed_reply("".join(buffer))
            if on_text is not None and len(reply) > shown[0]:
                on_text(reply[shown[0]:])
                shown[0] = len(reply)

        text = backend.complete(messages, image_png=image if backend.has_vision else None,
                                grammar=tool_calls_grammar(tool_ranges(), max_edits=MAX_EDITS, reply_chars=REPLY_CHARS,
                                                          reason_chars=REASON_CHARS),
                                max_tokens=MAX_TOKENS, temperature=0.0, on_text=relay, cancel=cancel)
        if not text.strip():
            raise AnswerError("the model gave an empty answer")
        data = extract_json_object(text)
        raw_edits = data.get("edits", [])
        if not isinstance(raw_edits, list):
            raise AnswerError("the model's 'edits' is not a list")
        proposed = [(e.get("tool"), e.get("value"), e.get("reason", "")) for e in raw_edits if isinstance(e, dict)]
        edits, warnings = validate_edits(proposed)
        reply = data.get("reply") if isinstance(data.get("reply"), str) else ""
        if len(proposed) < len(raw_edits):
            warnings.append("ignored edits that were not objects")
        return Plan(reply=reply.strip() or ("Done." if edits else "No changes."), edits=edits, warnings=warnings)

    def summarize(self, backend, ctx, on_text, cancel) -> str:
        system = ("You are the assistant of a photo editor. Summarize the person's editing preference in one short "
                  "sentence, from the adjustments they made: " + describe_graph(ctx.nodes) + ".")
        image = png_for_model(side_by_side(ctx.original, ctx.current), DEFAULT_MAX_PIXELS)
        text = backend.complete([{"role": "system", "content": system},
                                 {"role": "user", "content": "Summarize my editing preference in one sentence."}],
                                image_png=image if backend.has_vision else None, grammar=None, max_tokens=80,
                                temperature=0.0, on_text=on_text, cancel=cancel)
        if not text.strip():
            raise AnswerError("the model gave an empty summary")
        return " ".join(text.split())
