"""What both dialects share: the tool table, images for the model, tolerant JSON extraction."""

from __future__ import annotations

import io
import json
import re

import numpy as np
from PIL import Image

from ...core.finish import to_uint8
from ...core.ops import IEA_TOOLS, REGISTRY
from ..backends.grammar import Arg
from ..plan import MODEL_OPS, area_arg, maskable, model_args

IEA_MAX_PIXELS = 262_144  # the largest images IEA saw in training
DEFAULT_MAX_PIXELS = 448 * 448


class AnswerError(ValueError):
    """A model answer that cannot be turned into edits; the message is shown in the chat."""


def tool_ranges() -> list[tuple[str, int, int]]:
    return [
        (name, int(REGISTRY[name].param("value").minimum), int(REGISTRY[name].param("value").maximum))
        for name in IEA_TOOLS
    ]


def tool_table() -> str:
    """A markdown table of the 16 tools, generated from the registry."""
    rows = ["| tool | what it does | values |", "| --- | --- | --- |"]
    for name in IEA_TOOLS:
        spec = REGISTRY[name]
        rows.append(f"| {name} | {spec.help} | -100..100: {spec.param('value').help} |")
    return "\n".join(rows)


def generic_tools() -> list[tuple[str, tuple[Arg, ...]]]:
    """The generic dialect's tools for its grammar and schema: the 16 (one "value"), then MODEL_OPS
    with their named arguments; each that may act on part of the photo ends with the optional
    ``area`` (plan.area_arg)."""
    area = area_arg()
    return [
        *((name, (Arg("value", "int", lo, hi), area)) for name, lo, hi in tool_ranges()),
        *((op, (*(arg for arg, _ in model_args(op)), *((area,) if maskable(op) else ()))) for op in MODEL_OPS),
    ]


def _arg_text(arg: Arg, help: str) -> str:
    """'temperature 2000..50000: kelvin of the light to correct for' (a help's first clause only)."""
    values = (
        f"one of {', '.join(str(c) for c in arg.choices)}"
        if arg.kind == "choice"
        else "true or false"
        if arg.kind == "bool"
        else f"{arg.lo}..{arg.hi}" + (" (tenths allowed)" if arg.kind == "decimal" else "")
    )
    return f"{arg.name} {values}: {help.split(';')[0]}"


def _grid_text(args: tuple[tuple[Arg, str], ...]) -> str | None:
    """Arguments named <row>_<column> for every row and column (the colour mixer's 24), in one line."""
    names = [arg.name.split("_", 1) for arg, _ in args]
    rows, columns = list(dict.fromkeys(n[0] for n in names)), list(dict.fromkeys(n[-1] for n in names))
    if len(names) < 4 or any(len(n) != 2 for n in names) or len(rows) * len(columns) != len(names):
        return None
    first = args[0][0]
    return (
        f"<band>_<property> {first.lo}..{first.hi}, e.g. {first.name}; band: {', '.join(rows)}; "
        f"property: {', '.join(columns)}"
    )


def generic_tool_table() -> str:
    """The generic dialect's tool table: the 16 tools, then the other ops a model may use with
    their arguments, generated from the registry (and plan.model_args)."""
    rows = [tool_table().replace("| values |", "| arguments |", 1)]
    for op in MODEL_OPS:
        args = model_args(op)
        if [arg.name for arg, _ in args] == ["value"]:
            text = f"{args[0][0].lo}..{args[0][0].hi}: {args[0][1]}"  # as the 16 read
        else:
            text = _grid_text(args) or "; ".join(_arg_text(arg, help) for arg, help in args)
        rows.append(f"| {op} | {REGISTRY[op].help} | {text} |")
    return "\n".join(rows)


def png_for_model(image: np.ndarray, max_pixels: int) -> bytes:
    """Downscale a float RGB image to at most max_pixels and encode it as PNG."""
    h, w = image.shape[:2]
    scale = min(1.0, (max_pixels / (h * w)) ** 0.5)
    pil = Image.fromarray(to_uint8(image))
    if scale < 1.0:
        pil = pil.resize((max(1, int(w * scale)), max(1, int(h * scale))), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    pil.save(buffer, "PNG")
    return buffer.getvalue()


def side_by_side(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Original and edit next to each other (IEA's refine and summary input)."""
    h = min(left.shape[0], right.shape[0])
    return np.hstack([left[:h], right[:h]])


def _balanced_object(text: str) -> str | None:
    """The first balanced {...} in text (strings respected)."""
    start = text.find("{")
    while start != -1:
        depth, in_string, escape = 0, False, False
        for i in range(start, len(text)):
            c = text[i]
            if in_string:
                escape = (c == "\\") and not escape
                if c == '"' and not escape:
                    in_string = False
                continue
            if c == '"':
                in_string = True
            elif c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    return text[start : i + 1]
        start = text.find("{", start + 1)
    return None


def _refuse_repeated_keys(pairs: list) -> dict:
    """json.loads would silently keep the last of two values for one key: that would be a guess."""
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise AnswerError(f"the model's answer names {', '.join(repeated)} more than once")
    return dict(pairs)


def extract_json_object(text: str) -> dict:
    """Parse the JSON object in a model answer: fenced or bare; // comments and trailing commas tolerated.

    Only ever json.loads: an answer is data, never code.
    """
    fenced = re.search(r"```(?:json)?\s*(.*?)```", text, re.S | re.I)
    candidate = _balanced_object(fenced.group(1) if fenced else text) or _balanced_object(text)
    if candidate is None:
        raise AnswerError("the model's answer holds no JSON object")
    for attempt in (candidate, re.sub(r",\s*([}\]])", r"\1", re.sub(r"//[^\n]*", "", candidate))):
        try:
            data = json.loads(attempt, object_pairs_hook=_refuse_repeated_keys)
        except json.JSONDecodeError:
            continue
        if not isinstance(data, dict):
            raise AnswerError("the model's answer is JSON but not an object")
        return data
    raise AnswerError("the model's answer is not valid JSON")


def first_sentence(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    sentence = match.group(1) if match else text
    return sentence if len(sentence) <= limit else sentence[: limit - 1] + "…"
