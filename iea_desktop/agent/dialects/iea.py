"""The IEA dialect: how models trained as in the IEA paper are prompted and parsed.

The model sees one image and a request, thinks inside <think>...</think>, then answers with a
fenced JSON object of absolute values for the 16 tools (only the non-zero ones) inside
<answer>...</answer>. Edit turn: the photo. Refine turn: original | current edit side by side,
the previous values and the new request; the answer is the complete new set. Summary: before |
after side by side; the answer is one sentence of the person's preference.
Nodes made from IEA answers use the version-1 (reference-exact) ops.
"""

from __future__ import annotations

import json
import re

from ...core.chat import ChatMessage
from ...core.iea_exact import graph_values
from ...core.ops import IEA_TOOLS
from ..backends.grammar import iea_answer_grammar
from ..plan import Edit, Plan, validate_edits
from .common import (
    IEA_MAX_PIXELS,
    AnswerError,
    extract_json_object,
    first_sentence,
    png_for_model,
    side_by_side,
    tool_ranges,
    tool_table,
)

MAX_TOKENS = 1024  # as in training
THINK_CHARS = 1500

EDIT_SYSTEM = (
    "You are a skilled photo editor. You are shown one photo and decide how to adjust it with an "
    "image editor's sliders so that it looks better. You give the slider values as a JSON object."
)
REFINE_SYSTEM = (
    "You are a skilled photo editor. You are shown one image: its left half is the original photo "
    "and its right half is the current edit. You change the slider values so the edit follows the "
    "person's new request."
)
SUMMARY_SYSTEM = (
    "You are a skilled photo editor. You are shown one image: its left half is the original photo "
    "and its right half is the person's edit. You describe the person's editing preference."
)

ANSWER_LAYOUT = """Write it in this layout:
<think> how you would improve the photo </think>
<answer>
```json
{
    "exposure": 10,
    "sharpness": -30
}
```
</answer>
List only the sliders you change, with whole numbers from -100 to 100."""


def full_grammar() -> str:
    """<think>free text</think> <answer> fenced JSON limited to the 16 tools and their ranges </answer>."""
    # Any key order (we do not know the order IEA was trained to write); a repeated key is
    # refused after parsing (see extract_json_object).
    answer = iea_answer_grammar(tool_ranges(), ordered=False).replace("root ::=", "answer-json ::=", 1)
    # % rather than an f-string: the grammar's own braces stay unescaped.
    root = (
        'root ::= "<think>" think-char{0,%d} "</think>" ws "<answer>" ws "```json" ws answer-json ws "```" ws "</answer>"\n'  # noqa: UP031
        "think-char ::= [^<]\n"
    ) % THINK_CHARS
    return root + answer


def whole_photo(nodes):
    """The nodes that act on the whole photo: IEA's sliders know no masks, so a masked node (the sky
    darker) is neither shown to it as a slider value nor replaced by its complete set."""
    return [n for n in nodes if n.mask is None]


def parse_answer(text: str) -> tuple[str, dict]:
    """(thoughts, raw values) from an IEA answer; AnswerError when there is nothing usable."""
    if not text or not text.strip():
        raise AnswerError("the model gave an empty answer")
    think = re.search(r"<think>(.*?)(</think>|<answer>|$)", text, re.S)
    answer = re.search(r"<answer>(.*?)(</answer>|$)", text, re.S)
    body = answer.group(1) if answer else text
    values = extract_json_object(body)
    return (think.group(1).strip() if think else ""), values


def parse_summary(text: str) -> str:
    answer = re.search(r"<answer>(.*?)(</answer>|$)", text, re.S)
    summary = (answer.group(1) if answer else re.sub(r"<think>.*?</think>", "", text, flags=re.S)).strip()
    if not summary:
        raise AnswerError("the model gave an empty summary")
    return first_sentence(summary, 300)


class IEADialect:
    name = "iea"
    op_version = 1

    def _messages(self, system: str, user: str) -> list[dict]:
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def _assistant_turns(self, ctx) -> list[ChatMessage]:
        return [m for m in ctx.chat if m.is_user]

    def build(self, ctx, has_vision: bool) -> tuple[list[dict], bytes]:
        """Messages and image for an edit or refine turn."""
        values, _ = graph_values(whole_photo(ctx.nodes))
        values = {k: v for k, v in values.items() if v}
        stats = "" if has_vision else f"\nYou cannot see the photo; measured: {ctx.current_stats.to_text()}.\n"
        if values:
            previous = self._assistant_turns(ctx)
            old = previous[-1].text if previous else "(make it look nicer)"
            user = (
                f"Follow the person's earlier request and their new refinement.\nEarlier request:\n{old}\n"
                f"Earlier values:\n{json.dumps(values, indent=4)}\nNew request:\n{ctx.request or '(make it look nicer)'}\n{stats}\n"
                f"First give your thoughts on how to change the current edit, then the complete new set of "
                f"values (they replace the earlier ones).\n{ANSWER_LAYOUT}\n\nThe sliders:\n{tool_table()}"
            )
            return self._messages(REFINE_SYSTEM, user), png_for_model(
                side_by_side(ctx.original, ctx.current), IEA_MAX_PIXELS
            )
        request = f"Follow the person's request:\n{ctx.request}\n" if ctx.request else ""
        user = (
            f"{request}{stats}First give your thoughts on how to improve the photo, then the values as a JSON "
            f"object.\n{ANSWER_LAYOUT}\n\nThe sliders:\n{tool_table()}"
        )
        return self._messages(EDIT_SYSTEM, user), png_for_model(ctx.original, IEA_MAX_PIXELS)

    def plan(self, backend, ctx, on_text, cancel) -> Plan:
        messages, image = self.build(ctx, backend.has_vision)
        text = backend.complete(
            messages,
            image_png=image if backend.has_vision else None,
            grammar=full_grammar(),
            max_tokens=MAX_TOKENS,
            temperature=0.0,
            on_text=on_text,
            cancel=cancel,
        )
        think, raw = parse_answer(text)
        area = raw.pop("area", None)
        edits, warnings = validate_edits([(k, v, "") for k, v in raw.items()])
        if area is not None:  # the model was trained on whole-photo sliders: its values mean the whole photo
            warnings.append(f"ignored area {area!r}: the IEA model's edits act on the whole photo"[:200])
        reason = first_sentence(think) if think else "Suggested by the model"
        # IEA values are the complete, absolute set for the photo; what a person set by hand
        # in their own nodes counts towards it, so the assistant's node holds the difference.
        user_values, _ = graph_values([n for n in whole_photo(ctx.nodes) if n.provenance.origin != "assistant"])
        target = {e.tool: e.value for e in edits}
        planned = [
            Edit(tool, max(-100, min(100, target.get(tool, 0) - user_values.get(tool, 0))), reason)
            for tool in IEA_TOOLS
            if tool in target or ctx.assistant_node(tool) is not None
        ]
        if target:
            listing = ", ".join(f"{k} {v:+d}" for k, v in target.items())
            reply = f"{first_sentence(think, 400) + ' ' if think else ''}Set {listing}."
        else:
            reply = f"{first_sentence(think, 400) + ' ' if think else ''}No changes needed."
        return Plan(reply=reply, edits=planned, complete=True, warnings=warnings)

    def summarize(self, backend, ctx, on_text, cancel) -> str:
        user = (
            "First note what was changed between the two halves, then summarize the person's editing preference "
            "in one short sentence that can guide future edits.\nWrite it in this layout:\n"
            "<think> what was changed </think>\n<answer> the preference </answer>"
        )
        if not backend.has_vision:
            values, _ = graph_values(ctx.nodes)
            user += f"\nYou cannot see the images; the edit's values are {json.dumps(values)}."
        image = png_for_model(side_by_side(ctx.original, ctx.current), IEA_MAX_PIXELS)
        text = backend.complete(
            self._messages(SUMMARY_SYSTEM, user),
            image_png=image if backend.has_vision else None,
            grammar=None,
            max_tokens=MAX_TOKENS,
            temperature=0.0,
            on_text=on_text,
            cancel=cancel,
        )
        return parse_summary(text)


__all__ = ["IEADialect", "parse_answer", "parse_summary", "full_grammar", "AnswerError", "IEA_TOOLS"]
