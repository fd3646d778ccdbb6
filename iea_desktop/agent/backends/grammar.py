"""GBNF grammars that force a model's answer into the tool-call shapes the app accepts.

The caller passes the tools as ``[(name, min_int, max_int), ...]`` (one integer ``value``) or,
for tool calls, ``(name, (Arg, ...))`` (named arguments: integers, bounded decimals, choices,
booleans); nothing here knows the op registry. The strings go to ``llama_cpp.LlamaGrammar.from_string``.

Why hand-written GBNF rather than llama.cpp's JSON-schema converter: the converter ignores
``minimum``/``maximum`` (a model happily writes 2018 for a -100..100 slider), so integer
ranges are spelled out digit by digit here. Strings, the list of edits and whitespace are
bounded too, so a constrained answer always ends. Parsed values must still be validated
and clamped by the caller: the grammar is a strong hint to the sampler, not a proof.

Note that ``LlamaGrammar.from_string`` does not parse anything: a malformed grammar only
fails when llama.cpp builds its sampler (see ``LlamaCppBackend.check_grammar``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Arg",
    "Tool",
    "decimal_range_gbnf",
    "int_range_gbnf",
    "iea_answer_grammar",
    "iea_answer_schema",
    "tool_calls_grammar",
    "tool_calls_schema",
]

Tool = tuple[str, int, int]  # (name, min_int, max_int)


@dataclass(frozen=True)
class Arg:
    """One named argument of a tool call. ``kind``: "int" (lo..hi), "decimal" (lo..hi, integer
    bounds, at most one decimal place), "choice" (one of ``choices``: strings or integers) or
    "bool". Arguments come in the order given; an optional one may be left out."""

    name: str
    kind: str
    lo: int = 0
    hi: int = 0
    choices: tuple = ()
    required: bool = True

    def gbnf(self) -> str:
        if self.kind == "int":
            return int_range_gbnf(self.lo, self.hi)
        if self.kind == "decimal":
            return decimal_range_gbnf(self.lo, self.hi)
        if self.kind == "bool":
            return '("true" | "false")'
        if self.kind == "choice" and self.choices:
            return "(" + " | ".join(_literal(json.dumps(c)) for c in self.choices) + ")"
        raise ValueError(f"argument {self.name!r}: unknown kind {self.kind!r} or no choices")


CallTool = tuple[str, int, int] | tuple[str, Sequence[Arg]]


def _literal(text: str) -> str:
    """A GBNF string literal matching ``text`` exactly."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")

# JSON string content: any character but '"', '\' and control characters, or an escape.
_CHAR_RULE = r'char ::= [^"\\\x00-\x1F] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4})'
# Whitespace between tokens: a space, or one line break and indentation (pretty-printed
# JSON), never unbounded runs of blank lines.
_WS_RULE = r'ws ::= (" " | "\n" [ \t]{0,12})?'


def _check_calls(tools: Sequence[CallTool]) -> list[tuple[str, tuple[Arg, ...]]]:
    """Tool-call tools as (name, args): a (name, lo, hi) tool takes one integer "value"."""
    calls = [
        (t[0], (Arg("value", "int", int(t[1]), int(t[2])),)) if len(t) == 3 else (t[0], tuple(t[1])) for t in tools
    ]
    _check_tools([(name, 0, 0) for name, _ in calls])
    for name, args in calls:
        names = [a.name for a in args]
        if any(not _NAME.match(n) for n in names) or len(set(names)) < len(names) or {"tool", "reason"} & set(names):
            raise ValueError(f"tool {name!r}: argument names must be distinct names other than tool and reason")
        for arg in args:
            arg.gbnf()  # checks the kind and range
    return calls


def _check_tools(tools: Sequence[Tool]) -> list[Tool]:
    tools = [(str(n), int(lo), int(hi)) for n, lo, hi in tools]
    if not tools:
        raise ValueError("at least one tool is needed")
    seen = set()
    for name, lo, hi in tools:
        if not _NAME.match(name):
            raise ValueError(f"tool name {name!r} must be letters, digits, '_', '.' or '-'")
        if name in seen:
            raise ValueError(f"tool {name!r} listed twice")
        if lo > hi:
            raise ValueError(f"tool {name!r}: min {lo} > max {hi}")
        seen.add(name)
    return tools


# --------------------------------------------------------------------------------------
# Integer ranges


def _same_length(lo: str, hi: str) -> str:
    """GBNF for digit strings of equal length between lo and hi (inclusive)."""
    if not lo:
        return ""
    if lo == hi:
        return f'"{lo}"'
    rest = len(lo) - 1
    tail = " [0-9]" * rest
    if lo[0] == hi[0]:
        return f'"{lo[0]}" {_same_length(lo[1:], hi[1:])}'
    alts = []
    first, last = int(lo[0]), int(hi[0])
    if lo[1:] != "0" * rest:  # lo's leading digit only allows part of the tail
        alts.append(f'"{lo[0]}" {_same_length(lo[1:], "9" * rest)}')
        first += 1
    hi_alt = None
    if hi[1:] != "9" * rest:
        hi_alt = f'"{hi[0]}" {_same_length("0" * rest, hi[1:])}'
        last -= 1
    if first <= last:
        digit = f'"{first}"' if first == last else f"[{first}-{last}]"
        alts.append(digit + tail)
    if hi_alt:
        alts.append(hi_alt)
    return alts[0] if len(alts) == 1 else "(" + " | ".join(alts) + ")"


def _non_negative(lo: int, hi: int) -> list[str]:
    alts = []
    for digits in range(len(str(lo)), len(str(hi)) + 1):
        a = max(lo, 10 ** (digits - 1) if digits > 1 else 0)
        b = min(hi, 10**digits - 1)
        if a <= b:
            alts.append(_same_length(str(a), str(b)))
    return alts


def int_range_gbnf(lo: int, hi: int) -> str:
    """A GBNF expression matching exactly the integers lo..hi in JSON form.

    No leading zeros, no "-0", no "+": e.g. -100..100 gives
    ``("-" ([1-9] | [1-9] [0-9] | "100") | [0-9] | [1-9] [0-9] | "100")``.
    """
    if lo > hi:
        raise ValueError(f"empty range {lo}..{hi}")
    alts = []
    if lo < 0:
        neg = _non_negative(max(1, -hi), -lo)
        alts.append('"-" ' + (neg[0] if len(neg) == 1 else "(" + " | ".join(neg) + ")"))
    if hi >= 0:
        alts.extend(_non_negative(max(0, lo), hi))
    return alts[0] if len(alts) == 1 else "(" + " | ".join(alts) + ")"


def decimal_range_gbnf(lo: int, hi: int) -> str:
    """A GBNF expression for the numbers lo..hi (integer bounds) with at most one decimal place:
    e.g. -45..45 takes "2", "-2.5" and "45.0" but not "45.5" or "2.25"."""
    if lo > hi:
        raise ValueError(f"empty range {lo}..{hi}")

    def between(a: int, b: int) -> str:  # a .. b, 0 <= a <= b: a.0 .. (b-1).9, then b or b.0
        whole = f'"{b}" (".0")?'
        return f'({int_range_gbnf(a, b - 1)} ("." [0-9])? | {whole})' if a < b else whole

    alts = []
    if lo < 0:
        alts.append('"-" ' + between(max(0, -hi), -lo))
    if hi >= 0:
        alts.append(between(max(0, lo), hi))
    return alts[0] if len(alts) == 1 else "(" + " | ".join(alts) + ")"


# --------------------------------------------------------------------------------------
# Grammars


def iea_answer_grammar(tools: Sequence[Tool], *, ordered: bool = True) -> str:
    """A JSON object of tool -> absolute integer value, e.g. ``{"exposure": 20}``.

    With ``ordered`` (the default) keys may only appear in the order of ``tools``, which
    makes every key appear at most once; pass the tools in the order the model was trained
    to write them. Without it keys come in any order and may repeat (at most
    ``len(tools)`` members); the caller must then reject duplicates. ``{}`` is allowed.
    """
    tools = _check_tools(tools)
    n = len(tools)
    rules = []
    for i, (name, lo, hi) in enumerate(tools):
        rules.append(f'kv{i} ::= "\\"{name}\\"" ws ":" ws {int_range_gbnf(lo, hi)}')
    if ordered:
        # from{i}: a non-empty run of members drawn, in order, from tools[i:].
        for i in range(n):
            nxt = f' (ws "," ws from{i + 1})?' if i + 1 < n else ""
            skip = f" | from{i + 1}" if i + 1 < n else ""
            rules.append(f"from{i} ::= kv{i}{nxt}{skip}")
        members = "from0"
    else:
        rules.append("kv ::= " + " | ".join(f"kv{i}" for i in range(n)))
        members = f'kv (ws "," ws kv){{0,{n - 1}}}' if n > 1 else "kv"
    return "\n".join([f'root ::= "{{" ws ({members} ws)? "}}"', *rules, _WS_RULE]) + "\n"


def tool_calls_grammar(
    tools: Sequence[CallTool],
    *,
    max_edits: int = 8,
    reply_chars: int = 300,
    reason_chars: int = 160,
) -> str:
    """``{"reply": str, "edits": [{"tool": name, "value": int, "reason": str}, ...]}``.

    Keys come in that order (the reply streams first); ``value`` is restricted to the
    chosen tool's range; at most ``max_edits`` edits and bounded string lengths. A tool given
    with named arguments has them, in their order, in place of ``value``:
    ``{"tool": "crop", "aspect": "1:1", "reason": ...}``.
    """
    calls = _check_calls(tools)
    if max_edits < 1:
        raise ValueError("max_edits must be at least 1")
    pick = []
    for i, (name, args) in enumerate(calls):
        members = "".join(
            f' (ws "," ws "\\"{a.name}\\"" ws ":" ws {a.gbnf()}){"" if a.required else "?"}' for a in args
        )
        pick.append(f'tv{i} ::= "\\"{name}\\""{members}')
    edits = f'edit (ws "," ws edit){{0,{max_edits - 1}}}' if max_edits > 1 else "edit"
    return (
        "\n".join(
            [
                'root ::= "{" ws "\\"reply\\"" ws ":" ws reply ws "," ws "\\"edits\\"" ws ":" ws edits ws "}"',
                f'reply ::= "\\"" char{{0,{reply_chars}}} "\\""',
                f'reason ::= "\\"" char{{0,{reason_chars}}} "\\""',
                f'edits ::= "[" ws ({edits} ws)? "]"',
                'edit ::= "{" ws "\\"tool\\"" ws ":" ws tool-value ws "," ws "\\"reason\\"" ws ":" ws reason ws "}"',
                "tool-value ::= " + " | ".join(f"tv{i}" for i in range(len(calls))),
                *pick,
                _CHAR_RULE,
                _WS_RULE,
            ]
        )
        + "\n"
    )


# --------------------------------------------------------------------------------------
# The same shapes as JSON schema, for validating parsed answers or showing them in prompts.


def iea_answer_schema(tools: Sequence[Tool]) -> dict[str, Any]:
    tools = _check_tools(tools)
    return {
        "type": "object",
        "properties": {name: {"type": "integer", "minimum": lo, "maximum": hi} for name, lo, hi in tools},
        "additionalProperties": False,
    }


def tool_calls_schema(
    tools: Sequence[CallTool],
    *,
    max_edits: int = 8,
    reply_chars: int = 300,
    reason_chars: int = 160,
) -> dict[str, Any]:
    def schema(arg: Arg) -> dict[str, Any]:
        if arg.kind == "choice":
            return {"enum": list(arg.choices)}
        if arg.kind == "bool":
            return {"type": "boolean"}
        return {"type": "integer" if arg.kind == "int" else "number", "minimum": arg.lo, "maximum": arg.hi}

    edit_variants = [
        {
            "type": "object",
            "properties": {
                "tool": {"const": name},
                **{arg.name: schema(arg) for arg in args},
                "reason": {"type": "string", "maxLength": reason_chars},
            },
            "required": ["tool", *(arg.name for arg in args if arg.required), "reason"],
            "additionalProperties": False,
        }
        for name, args in _check_calls(tools)
    ]
    return {
        "type": "object",
        "properties": {
            "reply": {"type": "string", "maxLength": reply_chars},
            "edits": {"type": "array", "items": {"oneOf": edit_variants}, "maxItems": max_edits},
        },
        "required": ["reply", "edits"],
        "additionalProperties": False,
    }
