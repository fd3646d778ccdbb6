from __future__ import annotations

import codecs
import json
import re
from functools import cache

import pytest

from iea_desktop.agent.backends.grammar import (
    Arg,
    decimal_range_gbnf,
    iea_answer_grammar,
    iea_answer_schema,
    int_range_gbnf,
    tool_calls_grammar,
    tool_calls_schema,
)
from iea_desktop.agent.dialects.common import generic_tools

SMALL = [("exposure", -100, 100), ("rotate", -45, 45), ("flip", 0, 1)]
# Shaped like the app's registry (the grammar module itself knows nothing of it).
TOOLS = [
    ("exposure", -100, 100), ("contrast", -100, 100), ("highlights", -100, 100),
    ("shadows", -100, 100), ("whites", -100, 100), ("blacks", -100, 100),
    ("saturation", -100, 100), ("vibrance", -100, 100), ("temperature", -100, 100),
    ("tint", -100, 100), ("sharpness", 0, 100), ("vignette", -100, 100),
    ("grain", 0, 100), ("fade", 0, 100), ("natural_contrast", 0, 100), ("rotate", -45, 45),
]


# --- A tiny GBNF -> Python regex translator (enough for these non-recursive grammars) ---

_TOKEN = re.compile(
    r'\s*(?:(?P<lit>"(?:\\.|[^"\\])*")|(?P<cls>\[(?:\\.|[^\]\\])*\])'
    r"|(?P<name>[A-Za-z][A-Za-z0-9-]*)|(?P<rep>\{\d+(?:,\d*)?\})|(?P<op>[()|?*+]))"
)


def gbnf_to_regex(grammar: str, root: str = "root") -> re.Pattern:
    rules = {}
    for line in grammar.strip().splitlines():
        name, body = line.split("::=", 1)
        rules[name.strip()] = body

    @cache
    def rule(name: str) -> str:
        return "(?:" + expr(rules[name]) + ")"

    def expr(body: str) -> str:
        out, pos = [], 0
        while body[pos:].strip():
            m = _TOKEN.match(body, pos)
            assert m, f"cannot read {body[pos:]!r}"
            pos = m.end()
            if m["lit"]:
                out.append("(?:" + re.escape(codecs.decode(m["lit"][1:-1], "unicode_escape")) + ")")
            elif m["cls"]:
                out.append(m["cls"])
            elif m["name"]:
                out.append(rule(m["name"]))
            else:
                out.append(m["rep"] or m["op"])
        return "".join(out)

    return re.compile(rule(root))


def accepts(grammar: str, text: str) -> bool:
    return gbnf_to_regex(grammar).fullmatch(text) is not None


# --- Integer ranges ---


@pytest.mark.parametrize(
    "lo,hi",
    [(-100, 100), (0, 1), (0, 0), (7, 7), (-5, -3), (-1, 0), (-45, 45), (0, 100),
     (15, 2345), (99, 101), (-1000, 37), (100, 100), (-20, 180), (10, 19), (-9, 9)],
)
def test_int_range_matches_exactly_the_range(lo, hi):
    pattern = gbnf_to_regex(f"root ::= {int_range_gbnf(lo, hi)}")
    for n in range(lo - 150, hi + 151):
        assert bool(pattern.fullmatch(str(n))) == (lo <= n <= hi), n
    for bad in ("007", "-0", "+5", "01", "", "-", "1.0", " 1"):
        assert not pattern.fullmatch(bad), bad


def test_int_range_rejects_empty_range():
    with pytest.raises(ValueError):
        int_range_gbnf(3, 2)


# --- IEA answer: {"tool": value, ...} ---


def test_iea_answer_ordered():
    g = iea_answer_grammar(SMALL)
    for ok in ("{}", '{"exposure": 20}', '{"exposure":-100,"flip":1}', '{\n  "rotate": 45\n}',
               '{"exposure": 0, "rotate": -45, "flip": 0}'):
        assert accepts(g, ok), ok
    for bad in ('{"flip":1,"exposure":2}', '{"exposure":101}', '{"exposure":2,"exposure":3}',
                '{"bogus":1}', '{"exposure":05}', '{"exposure":-0}', '{"exposure":1.5}',
                '{"exposure":"20"}', '{"exposure":20,}', '{"rotate": 46}'):
        assert not accepts(g, bad), bad


def test_iea_answer_unordered():
    g = iea_answer_grammar(SMALL, ordered=False)
    assert accepts(g, '{"flip":1,"exposure":2}')
    assert accepts(g, '{"flip":1,"flip":0}')  # documented: the caller rejects duplicates
    assert not accepts(g, '{"flip":1,"flip":0,"flip":1,"flip":0}')  # at most len(tools)
    assert not accepts(g, '{"rotate": 90}')


def test_tool_names_are_checked():
    for bad in ([("has space", 0, 1)], [('quo"te', 0, 1)], [("a", 0, 1), ("a", 0, 2)],
                [("a", 2, 1)], []):
        with pytest.raises(ValueError):
            iea_answer_grammar(bad)


# --- Tool calls: {"reply": ..., "edits": [...]} ---


def test_tool_calls_shape():
    g = tool_calls_grammar(SMALL, max_edits=2, reply_chars=20, reason_chars=12)
    ok = [
        '{"reply": "Done.", "edits": []}',
        '{"reply":"Brighter \\"pop\\"\\n","edits":[{"tool":"exposure","value":30,"reason":"dark"}]}',
        '{"reply": "", "edits": [{"tool": "rotate", "value": -45, "reason": ""},'
        ' {"tool": "flip", "value": 1, "reason": "mirror"}]}',
    ]
    for text in ok:
        assert accepts(g, text), text
        json.loads(text)
    bad = [
        '{"reply": "x", "edits": [{"tool": "rotate", "value": 90, "reason": ""}]}',
        '{"reply": "x", "edits": [{"tool": "crop", "value": 1, "reason": ""}]}',
        '{"reply": "x", "edits": [{"tool": "flip", "value": 1}]}',
        '{"edits": [], "reply": "x"}',
        '{"reply": "' + "x" * 21 + '", "edits": []}',
        '{"reply": "x", "edits": [{"tool": "flip", "value": 1, "reason": "' + "y" * 13 + '"}]}',
        '{"reply": "x", "edits": ['
        + ",".join(['{"tool": "flip", "value": 1, "reason": ""}'] * 3) + "]}",
        '{"reply": "raw\nnewline", "edits": []}',
    ]
    for text in bad:
        assert not accepts(g, text), text


@pytest.mark.parametrize("lo, hi", [(-45, 45), (0, 3), (-2, 0), (2, 5), (7, 7)])
def test_decimal_range_matches_tenths_within_the_range(lo, hi):
    pattern = gbnf_to_regex(f"root ::= {decimal_range_gbnf(lo, hi)}")
    for tenths in range(10 * lo - 25, 10 * hi + 26):
        text = f"{tenths / 10:.1f}"
        assert bool(pattern.fullmatch(text)) == (10 * lo <= tenths <= 10 * hi), text
        if tenths % 10 == 0:
            assert bool(pattern.fullmatch(str(tenths // 10))) == (lo <= tenths // 10 <= hi), tenths
    for text in ["2.25", "01", "+1", "1.", ".5", "1e1"]:
        assert not pattern.fullmatch(text), text


def call(**fields) -> str:
    edit = {"tool": fields.pop("tool"), **fields, "reason": "asked"}
    return json.dumps({"reply": "Done.", "edits": [edit]})


@cache
def generic_grammar() -> str:
    return tool_calls_grammar(generic_tools(), max_edits=3, reply_chars=40, reason_chars=20)


@pytest.mark.parametrize("text", [
    call(tool="crop", aspect="1:1"), call(tool="crop", aspect="original"), call(tool="rotate", degrees=-90),
    call(tool="straighten", angle=2.5), call(tool="straighten", angle=-45), call(tool="flip", horizontal=True),
    call(tool="flip", horizontal=False, vertical=True), call(tool="white_balance", temperature=3200),
    call(tool="white_balance", temperature=50000, tint=-150), call(tool="white_balance", tint=10),
    call(tool="dehaze", value=40), call(tool="tone_curve", preset="matte"),
    call(tool="noise_reduction", color=30), call(tool="colour_mixer", green_saturation=20, blue_luminance=-10),
    call(tool="exposure", value=20),
])
def test_generic_grammar_takes_geometry_and_colour_calls(text):
    assert accepts(generic_grammar(), text), text


@pytest.mark.parametrize("text", [
    call(tool="white_balance", temperature=1999), call(tool="white_balance", temperature=50001),
    call(tool="white_balance", tint=151), call(tool="white_balance", tint="warm"),
    call(tool="straighten", angle=45.5), call(tool="straighten", angle=2.25), call(tool="rotate", degrees=45),
    call(tool="crop", aspect="7:5"), call(tool="crop"), call(tool="tone_curve", preset="sepia"),
    call(tool="flip", horizontal=1), call(tool="dehaze", value=101), call(tool="dehaze", amount=10),
    call(tool="noise_reduction", luminance=-1), call(tool="colour_mixer", blue_luminance=-10, green_saturation=20),
    call(tool="crop", value=1),
])
def test_generic_grammar_refuses_out_of_range_and_unknown_arguments(text):
    assert not accepts(generic_grammar(), text), text


def test_arguments_are_checked():
    with pytest.raises(ValueError, match="distinct"):
        tool_calls_grammar([("crop", (Arg("aspect", "choice", choices=("1:1",)), Arg("aspect", "bool")))])
    with pytest.raises(ValueError, match="unknown kind"):
        tool_calls_grammar([("crop", (Arg("aspect", "choice"),))])


def test_schemas_describe_the_same_shapes():
    answer = iea_answer_schema(SMALL)
    assert answer["properties"]["rotate"] == {"type": "integer", "minimum": -45, "maximum": 45}
    assert answer["additionalProperties"] is False
    calls = tool_calls_schema(SMALL, max_edits=3)
    assert calls["properties"]["edits"]["maxItems"] == 3
    variants = calls["properties"]["edits"]["items"]["oneOf"]
    assert [v["properties"]["tool"]["const"] for v in variants] == ["exposure", "rotate", "flip"]
    wb = next(v for v in tool_calls_schema(generic_tools())["properties"]["edits"]["items"]["oneOf"]
              if v["properties"]["tool"]["const"] == "white_balance")
    assert wb["properties"]["temperature"] == {"type": "integer", "minimum": 2000, "maximum": 50000}
    assert wb["required"] == ["tool", "reason"]


# --- With llama.cpp and the real SmolLM2 model ---


def test_llama_cpp_parses_the_grammars(text_backend):
    text_backend.check_grammar(iea_answer_grammar(TOOLS))
    text_backend.check_grammar(iea_answer_grammar(TOOLS, ordered=False))
    text_backend.check_grammar(tool_calls_grammar(TOOLS))
    text_backend.check_grammar(generic_grammar())
    with pytest.raises(ValueError, match="rejected the grammar"):
        text_backend.check_grammar('root ::= "a" missing-rule')


def _in_range(tool: str, value: int) -> bool:
    lo, hi = next((lo, hi) for name, lo, hi in TOOLS if name == tool)
    return isinstance(value, int) and lo <= value <= hi


PROMPT = [
    {"role": "system", "content": "You edit photos. Answer with JSON only."},
    {"role": "user", "content": "The photo is too dark and a bit crooked. Fix it."},
]


@pytest.mark.parametrize("temperature", [0.0, 1.0, 1.0])
def test_smollm2_iea_answers_are_valid(text_backend, temperature):
    out = text_backend.complete(PROMPT, grammar=iea_answer_grammar(TOOLS), max_tokens=200,
                                temperature=temperature)
    answer = json.loads(out)
    assert isinstance(answer, dict)
    names = [name for name, _, _ in TOOLS]
    assert list(answer) == sorted(answer, key=names.index)  # known keys, registry order
    assert all(_in_range(k, v) for k, v in answer.items()), answer


@pytest.mark.parametrize("temperature", [0.0, 1.0])
def test_smollm2_tool_calls_are_valid(text_backend, temperature):
    grammar = tool_calls_grammar(TOOLS, max_edits=2, reply_chars=40, reason_chars=24)
    out = text_backend.complete(PROMPT, grammar=grammar, max_tokens=200, temperature=temperature)
    answer = json.loads(out)
    assert list(answer) == ["reply", "edits"]
    assert isinstance(answer["reply"], str) and len(answer["reply"]) <= 40
    assert len(answer["edits"]) <= 2
    for edit in answer["edits"]:
        assert list(edit) == ["tool", "value", "reason"]
        assert _in_range(edit["tool"], edit["value"]), edit
