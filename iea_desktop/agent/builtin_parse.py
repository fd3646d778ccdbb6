"""The built-in assistant's reader: a chat message -> what the person asked for, as data.

It knows words, not photos: "it's too dark" becomes a wish for more light with the person's
intensity and the fact that they complained (so the magnitude may come from measuring the photo);
the planner (``builtin.py``) turns wishes into slider values. The vocabulary lives in
``builtin_lexicon.py``.

How a message is read:
1. normalise (lower case, contractions, "b&w", British spellings);
2. whole-message commands: undo, reset, "what did you change?", help, thanks, ...;
3. split into clauses at commas, "and", "but", "with" ("darker but more colorful");
4. per clause: refusals (crop, remove a person, write a poem), explicit numbers ("exposure +20"),
   scope ("only the exposure", "don't touch the colors", "nothing else"), then tokens:
   heads (adjectives, nouns, looks, fixes) and the modifiers before and after them
   ("a bit", "too", "not ... enough", "less", "it is").
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from ..core.ops.crop import ASPECTS as CROP_ASPECTS
from . import builtin_lexicon as lex

# --- results -----------------------------------------------------------------------------------------


@dataclass
class Wish:
    """Move one axis ("light", "warmth", ...) in a direction."""

    axis: str
    sign: int  # +1 / -1: the change the person wants
    intensity: float = 1.0
    words: str = ""  # what the person wrote for it (quoted in reasons)
    complaint: bool = False  # they described a problem ("too dark"): the photo's measurements size the fix
    reduce: bool = False  # "less X" / "too X": take back an earlier opposite push before going further
    area: str | None = None  # a part they named that cannot be selected ("the hair", "the water")
    where: str | None = None  # the place it acts on (agent/areas.py: "sky", "top", ...); None: everywhere


@dataclass
class LookWish:
    name: str
    scale: float = 1.0
    remove: bool = False
    words: str = ""


@dataclass
class Removal:
    axis: str
    words: str = ""
    strict: bool = False  # "revert the warmth": only my own change, no other way to get there


@dataclass
class SetValue:
    tool: str
    value: int
    relative: bool = False
    words: str = ""


@dataclass
class FollowUp:
    factor: float  # multiply the values of the assistant's latest turn
    words: str = ""
    where: str | None = None  # "a bit more on the sky": only my adjustments there


@dataclass
class Move:
    """ "Not the face, the hair": my adjustments on ``source`` belong on ``target`` (a place), or on
    ``words``, a part that cannot be selected (target None)."""

    source: str
    target: str | None
    words: str = ""


@dataclass
class Fix:
    kind: str  # "auto", "exposure", "color", "contrast", "shadows", "highlights", "noise", "sharpness"
    intensity: float = 1.0
    words: str = ""


@dataclass
class ToolWish:
    """A wish for one of the tools beyond the 16 (``lex.TOOL_PHRASES``): white balance, dehaze,
    clarity and texture, the colour mixer, the tone curve."""

    kind: str  # "white_balance", "dehaze", "punch", "detail", "greens", "sky", "matte", "skin"
    sign: int = 1  # white balance: +1 warmer, -1 cooler, 0 the measured white
    intensity: float = 1.0
    words: str = ""


@dataclass
class GeometryWish:
    """Crop to an aspect, turn by quarter turns, straighten (``angle`` None: level it from the
    photo's lines), or mirror."""

    kind: str  # "crop", "rotate", "straighten", "flip"
    aspect: str = ""  # crop: one of the crop op's aspects ("1:1", "16:9", "original")
    turns: int = 0  # rotate: quarter turns clockwise (negative: counter-clockwise)
    angle: float | None = None  # straighten: degrees clockwise
    vertical: bool = False  # flip: top to bottom instead of left to right
    words: str = ""


@dataclass
class Request:
    """Everything one message asks for."""

    text: str
    normalized: str = ""
    command: str | None = (
        None  # undo, reset_all, reset_assistant, explain, help, thanks, greeting, summary, style, assess
    )
    wishes: list[Wish] = field(default_factory=list)
    looks: list[LookWish] = field(default_factory=list)
    removals: list[Removal] = field(default_factory=list)
    sets: list[SetValue] = field(default_factory=list)
    followups: list[FollowUp] = field(default_factory=list)
    fixes: list[Fix] = field(default_factory=list)
    scope: set[str] | None = None  # tools this turn may change ("only the exposure")
    scope_words: str = ""
    nothing_else: bool = False  # "nothing else": no helper tools beyond what was asked
    keep: set[str] = field(default_factory=set)  # tools to leave alone ("don't touch the colors")
    keep_words: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)  # what it cannot do, in words for the reply
    notes: list[str] = field(default_factory=list)
    corrected: list[tuple[str, str]] = field(default_factory=list)  # typos read as known words
    undo_count: int = 1  # "undo the last two"
    undo_before: str = ""  # "go back to before the vignette": the words after "before"
    geometry: list[GeometryWish] = field(default_factory=list)
    tools: list[ToolWish] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)

    @property
    def has_edits(self) -> bool:
        return bool(
            self.moves
            or self.wishes
            or self.looks
            or self.removals
            or self.sets
            or self.followups
            or self.fixes
            or self.geometry
            or self.tools
        )


# --- normalisation -------------------------------------------------------------------------------------

_CONTRACTIONS = (
    (r"\bcan'?t\b|\bcannot\b", "can not"),
    (r"\bwon'?t\b", "will not"),
    (r"\bdon'?t\b", "do not"),
    (r"\bdoesn'?t\b", "does not"),
    (r"\bdidn'?t\b", "did not"),
    (r"\bisn'?t\b", "is not"),
    (r"\baren'?t\b", "are not"),
    (r"\bwasn'?t\b", "was not"),
    (r"\bshouldn'?t\b", "should not"),
    (r"\bwouldn'?t\b", "would not"),
    (r"\bcouldn'?t\b", "could not"),
    (r"\bhaven'?t\b", "have not"),
    (
        r"\bit'?s\b(?= (?:too|so|very|a|kind|way|really|quite|pretty|rather|not|still|getting|bit|little|super|"
        r"far|much|all|just|slightly|somewhat|overly|totally|way|kinda|sorta|sort|extremely|incredibly|"
        r"[a-z]+(?:ed|er|ish|y)\b))",
        "it is",
    ),
    (r"\bit's\b", "it is"),
    (r"\bthat'?s\b", "that is"),
    (r"\bwhat'?s\b", "what is"),
    (r"\bthere'?s\b", "there is"),
    (r"\bi'?m\b", "i am"),
    (r"\byou'?re\b", "you are"),
    (r"\blet'?s\b", "let us"),
    (r"\bi'd\b", "i would"),
    (r"\b(\w+)'ve\b", r"\1 have"),
    (r"\b(\w+)'ll\b", r"\1 will"),
    (r"\bw/o\b", "without"),
    (r"\bw/", "with "),
    (r"\bpl[sz]\b", "please"),
    (r"\babit\b", "a bit"),
    (r"\balot\b", "a lot"),
    (r"\blil\b", "little"),
    (r"\bu\b", "you"),
    (r"\bur\b", "your"),
    (r"\br\b", "are"),
    (r"\bsoo+\b", "so"),
    (r"\btoo+\b", "too"),
    (r"\b(?:can not|could not|can hardly|can barely|hard to|unable to|barely) see\b", "see"),
    (r"\bmore+\b", "more"),
    (r"\bpic\b", "photo"),
)
_JOINED = (
    (r"\bb\s*[&/+n]\s*w\b|\bblack\s*(?:and|&|n|'n'|-|/)\s*white\b|\bblack-and-white\b", "blackandwhite"),
    (r"\bteal\s*(?:and|&|/|-)\s*orange\b", "tealorange"),
    (r"\borange\s*(?:and|&|/|-)\s*teal\b", "orangeteal"),
    (r"\b(?:bright|light)\s*(?:and|&)\s*airy\b", "brightairy"),
    (r"\bdark\s*(?:and|&)\s*moody\b", "darkandmoody"),
    (r"\bsoft\s*(?:and|&)\s*dreamy\b", "softanddreamy"),
    (r"\bsalt\s*(?:and|&)\s*pepper\b", "saltpepper"),
    (r"\bfilm\s+noir\b", "filmnoir"),
    (r"\bclean\s+and\s+bright\b", "clean-bright"),
    (r"\bbright\s+and\s+clean\b", "clean-bright"),
)


_TO_TOO = re.compile(
    r"\b(is|are|its|looks?|seems?|way|far|much|bit|little|was|were|getting|got|kinda|also|"
    r"still|very|just|abit|slightly|a lot|alot|so|feels?|came out|turned out)\s+to\s+(?=(?:much|many|"
    r"dark|bright|light|warm|cold|cool|blue|yellow|orange|red|green|pink|purple|saturated|contrasty|"
    r"harsh|soft|blurry|flat|dull|grainy|noisy|sharp|faded|washed|strong|intense|vivid|dim|gloomy|"
    r"moody|muted|pale|heavy|hazy|shiny|white|black|gray|magenta|busy|glowy|vibrant|colorful)\b)"
)


def canon(text: str) -> str:
    """Spacing, hyphens and spelling shared by the lexicon's keys and the messages."""
    text = text.lower()
    text = re.sub(r"colour", "color", text)
    text = re.sub(r"\bgrey", "gray", text)
    text = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def normalize(text: str) -> str:
    text = text.lower()
    for a, b in (("’", "'"), ("‘", "'"), ("`", "'"), ("“", '"'), ("”", '"'), ("…", "."), ("–", "-"), ("—", ", ")):
        text = text.replace(a, b)
    text = re.sub(r"([a-z])\1{2,}", r"\1\1", text)  # "sooooo" -> "soo"
    for pattern, repl in _JOINED:
        text = re.sub(pattern, repl, text)
    for pattern, repl in _CONTRACTIONS:
        text = re.sub(pattern, repl, text)
    text = _TO_TOO.sub(r"\1 too ", text)  # "its to dark": the commonest typo there is
    text = text.replace("&", " and ")
    text = re.sub(r"[\"()\[\]{}*_~#]", " ", text)
    text = re.sub(r"[^\w\s+\-.,;:!?%'/&=]", " ", text)  # emoji and symbols carry no edit
    text = re.sub(r"\b(\d)\s*x\b", r"\1x", text)
    return canon(text)


# --- the token matcher -------------------------------------------------------------------------------

# Roles, in priority order when one key has several.
_TABLE: dict[str, list[tuple[str, object]]] = {}


def _add(role: str, key: str, data: object = None) -> None:
    _TABLE.setdefault(canon(key), []).append((role, data))


for _key, _kind in lex.FIX_PHRASES.items():
    _add("fix", _key, _kind)
for _verb in lex.FIX_VERBS:
    _add("fix", _verb, "auto")
for _name, (_words, _values, _desc) in lex.LOOKS.items():
    for _w in _words:
        _add("look", _w, _name)
for _key, _entry in lex.ADJECTIVES.items():
    _add("adj", _key, _entry)
for _key, _axis in lex.NOUNS.items():
    _add("noun", _key, _axis)
for _key in lex.REMOVE_WORDS:
    _add("remove", _key)
_DOWN_INTENSITY = {
    "way too much": 1.6,
    "much less": 1.6,
    "a bit much": 0.6,
    "half": 1.0,
    "halve": 1.0,
    "too much": 1.0,
    "a little less": 0.5,
}
for _key in lex.UP_WORDS + (
    "again",
    "once more",
    "one more time",
    "do it again",
    "same again",
    "repeat",
    "double it",
    "double",
):
    _add("level", _key, (+1, 2.0 if _key.startswith("double") else 1.0))
for _key in lex.DOWN_WORDS:
    _add("level", _key, (-1, _DOWN_INTENSITY.get(_key, 1.0)))
for _key, _sign in lex.LEVEL_ADJECTIVES.items():
    _add("leveladj", _key, _sign)
_TOO_INTENSITY = {
    "way too": 1.8,
    "far too": 1.8,
    "much too": 1.8,
    "far too much": 2.0,
    "a bit too": 0.5,
    "a little too": 0.5,
    "slightly too": 0.5,
    "bit too": 0.5,
    "little too": 0.5,
    "a tad too": 0.45,
    "rather too": 0.8,
    "so very": 1.6,
}
for _key in lex.TOO_WORDS:
    _add("too", _key, _TOO_INTENSITY.get(_key, 1.0))
for _key, _factor in lex.INTENSITY.items():
    _add("int", _key, _factor)
for _key in lex.NEGATIONS:
    _add("neg", _key)
_add("enough", "enough")
for _key in lex.COPULAS:
    _add("copula", _key)
_STRONG_REQUEST = (
    "make",
    "want",
    "wanted",
    "need it",
    "needs to be",
    "should be",
    "prefer",
    "like it",
    "would like",
    "rather have",
    "turn it",
    "render it",
    "give it",
    "make it look",
    "make it more",
    "i want",
    "go for",
    "go with",
    "i need",
    "could be",
    "can be",
)
for _key in _STRONG_REQUEST:
    _add("asks", _key)

_KEYS = sorted(_TABLE, key=len, reverse=True)
_MATCHER = re.compile(r"(?<![\w+-])(" + "|".join(re.escape(k).replace(r"\ ", r"\s+") for k in _KEYS) + r")(?![\w])")
_VOCABULARY = sorted({w for k in _KEYS for w in k.split() if len(w) >= 4 and w.isalpha()})


@dataclass
class _Token:
    role: str
    data: Any  # what the lexicon gives the role: an axis name, (axis, sign, kind), a factor, (level, intensity)...
    text: str
    start: int
    end: int


_AMOUNT_WORDS = {
    "light": -1,
    "slight": -1,
    "soft": -1,
    "subtle": -1,
    "heavy": +1,
    "strong": +1,
    "dark": +1,
    "deep": +1,
    "big": +1,
}


def _tokens(clause: str) -> list[_Token]:
    out = []
    for m in _MATCHER.finditer(clause):
        key = canon(m.group(1))
        role, data = _TABLE[key][0]
        out.append(_Token(role, data, key, m.start(), m.end()))
    # "a light vignette", "a heavy grain": an amount of the effect, not a brightness wish.
    for a, b in zip(out, out[1:]):
        if (
            a.text in _AMOUNT_WORDS
            and b.role == "noun"
            and b.data in ("vignette", "grain", "fade")
            and not clause[a.end : b.start].strip()
        ):
            a.role, a.data = "leveladj", _AMOUNT_WORDS[a.text]
    return out


# --- whole-message commands ------------------------------------------------------------------------------

_FILLER = re.compile(
    r"^(?:(?:ok|okay|hey|hi|so|now|well|please|pls|um|uh|hmm|can you|could you|would you|will you|"
    r"would you mind|assistant|and|just|alright|right|oh|ah)\b[\s,]*)+|"
    r"[\s,]*\b(?:please|for me|now|thanks|thank you|pls)\s*$"
)


def _bare(text: str) -> str:
    text = re.sub(r"[.!?,;:]+", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    previous = None
    while previous != text:
        previous = text
        text = _FILLER.sub("", text).strip()
    return text


def _phrases(phrases) -> frozenset[str]:
    return frozenset(canon(p) for p in phrases)


def _anywhere(phrases) -> re.Pattern:
    """One pattern finding any of the phrases as whole words."""
    keys = sorted({canon(p) for p in phrases}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(k).replace(r"\ ", r"\s+") for k in keys) + r")(?!\w)")


_GREETINGS, _THANKS, _HELP = _phrases(lex.GREETINGS), _phrases(lex.THANKS_PHRASES), _phrases(lex.HELP_PHRASES)
_UNDO, _RESET_ALL = _phrases(lex.UNDO_PHRASES), _phrases(lex.RESET_ALL_PHRASES)
_EXPLAIN, _SUMMARY, _ASSESS = _phrases(lex.EXPLAIN_PHRASES), _phrases(lex.SUMMARY_PHRASES), _phrases(lex.ASSESS_PHRASES)
_STYLE = _phrases(lex.STYLE_PHRASES)
_RESET_MINE_ANYWHERE = _anywhere(lex.RESET_ASSISTANT_PHRASES)
_RESET_ALL_ANYWHERE = _anywhere(p for p in lex.RESET_ALL_PHRASES if " " in p)
_UNDO_FORMS = re.compile(
    r"(?:undo|revert|go back|take back|cancel)(?: (?:that|it|this|one step|a step|once|again|"
    r"(?:the |your |my )?(?:last|previous|latest) ?(?:change|edit|step|one|thing|turn|adjustment)?s?|"
    r"what you (?:just )?did|the change|that change|please))*"
)


def _command(norm: str) -> str | None:
    """Messages about the conversation rather than the photo: undo, reset, explain, help, thanks."""
    plain = re.sub(r"\s+", " ", re.sub(r"[.!?,;:]+", " ", norm)).strip()
    if plain in _GREETINGS:
        return "greeting"
    if plain in _THANKS:
        return "thanks"
    bare = _bare(norm)
    if not bare:
        return "help" if "?" in norm else "empty"
    if _RESET_MINE_ANYWHERE.search(bare):
        return "reset_assistant"
    if bare in _RESET_ALL or _RESET_ALL_ANYWHERE.search(bare):
        return "reset_all"
    if bare in _UNDO or _UNDO_FORMS.fullmatch(bare):
        return "undo"
    if any(bare == p or (bare.startswith(p + " ") and p != "why") for p in _EXPLAIN):
        return "explain"
    if any(bare == p or bare.startswith(p + " ") for p in _STYLE):
        return "style"
    if any(bare == p or bare.startswith(p + " ") for p in _SUMMARY):
        return "summary"
    if bare in _HELP:
        return "help"
    if any(bare == p or bare.startswith(p) or (" " in p and f" {p}" in f" {bare}") for p in _ASSESS):
        return "assess"
    words = re.sub(r"\b(?:so|very|really|much|it|that|this|is|looks|now|a lot|oh|wow)\b", " ", bare)
    words = re.sub(r"\s+", " ", words).strip()
    if bare in _GREETINGS:
        return "greeting"
    if bare in _THANKS or words in _THANKS:
        return "thanks"
    return None


_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "both": 2,
    "couple": 2,
    "a couple": 2,
    "a couple of": 2,
}
_COUNT = r"(\d{1,2}|one|two|three|four|five|six|both|a couple(?: of)?)"
_UNDO_MANY = re.compile(
    r"(?:undo|revert|take back|go back|cancel)\s+(?:the\s+|your\s+|my\s+|those\s+)?(?:(?:last|previous|latest)\s+)?"
    + _COUNT
    + r"(?:\s+(?:last|previous|latest))?(?:\s+(?:of\s+)?(?:your\s+|my\s+)?(?:changes?|edits?|steps?|turns?|"
    r"ones|things|adjustments))?(?:\s+back)?"
)
_UNDO_BEFORE = re.compile(
    r"(?:go back|undo|revert|take (?:me|it) back|back|return)\s+(?:everything\s+)?(?:to\s+)?(?:how it was\s+|"
    r"the way it was\s+|what it was like\s+|where it was\s+)?before\s+(?:you\s+(?:added|made|did|applied)\s+)?"
    r"(?:the\s+|my\s+|your\s+|that\s+|adding\s+(?:the\s+)?)?(.+)"
)


def _undo_scope(bare: str, req: Request) -> bool:
    """ "undo the last two", "go back to before the vignette": an undo of several turns."""
    m = _UNDO_MANY.fullmatch(bare)
    if m:
        count = m.group(1)
        req.undo_count = int(count) if count.isdigit() else _NUMBERS[count]
        req.command = "undo"
        return req.undo_count > 0
    m = _UNDO_BEFORE.fullmatch(bare)
    if m:
        req.undo_before, req.command = m.group(1).strip(), "undo"
        return True
    return False


# --- geometry in words -------------------------------------------------------------------------------------

_CROP_VERB = (
    r"(?:(?:crop|cut|trim|make|turn|reframe|change)\s+(?:it|this|the\s+(?:photo|picture|image|frame))?\s*"
    r"(?:in|into|to|as|at)?\s*(?:an?\s+|the\s+)?)?"
)
_ASPECT = re.compile(
    _CROP_VERB + r"(?:(\d{1,2})\s*(?::|x|/|by)\s*(\d{1,2})|(square)|(?:the\s+)?(original)\s+"
    r"(?:ratio|aspect(?:\s+ratio)?|shape|proportions?|format))(?:\s+(?:crop|ratio|aspect(?:\s+ratio)?|"
    r"format|shape|frame))?\b"
)
_TURN = re.compile(r"\b(?:rotate|turn)\b((?:(?!\b(?:and|but|then|also)\b)(?:\d\.\d|[^.,;!?]))*)")
_TURN_DEGREES = re.compile(r"(-?\d{1,3}(?:\.\d+)?)\s*(?:degrees?|deg\b|°)?")
_LEFT = re.compile(r"\b(?:left|counter\s*clockwise|anti\s*clockwise|ccw)\b")
_RIGHT = re.compile(r"\b(?:right|clockwise|cw)\b")
_STRAIGHTEN = re.compile(
    r"\b(?:level(?:\s+out)?\s+(?:the\s+)?horizon|straighten(?:\s+(?:it|the\s+(?:horizon|photo|picture|image|lines?)))?(?:"
    r"\s+out)?|(?:make|get)\s+(?:the\s+)?horizon\s+(?:level|straight)|horizon\s+is\s+(?:tilted|crooked|wonky|skewed|"
    r"not\s+(?:level|straight))|(?:it|the\s+photo)\s+is\s+(?:tilted|crooked|wonky|skewed)|fix\s+the\s+(?:tilt|horizon))\b"
)
_FLIP = re.compile(
    r"\b(?:mirror|flip)\b(?:\s+(?:it|the\s+(?:photo|picture|image)))?((?:\s+(?:vertically|horizontally|upside\s+"
    r"down|top\s+to\s+bottom|left\s+to\s+right|sideways|around|over))?)(?:\s+image)?"
)


def _geometry(text: str, req: Request) -> str:
    """Crop aspects, quarter turns, straightening and mirroring; returns the text without them."""

    def blank(m: re.Match, text: str) -> str:
        return text[: m.start()] + " " * (m.end() - m.start()) + text[m.end() :]

    for m in list(_ASPECT.finditer(text)):
        if m.group(3):
            aspect = "1:1"
        elif m.group(4):
            aspect = "original"
        else:
            aspect = f"{int(m.group(1))}:{int(m.group(2))}"
            if aspect not in CROP_ASPECTS:
                continue
        req.geometry.append(GeometryWish("crop", aspect=aspect, words=m.group(0).strip()))
        text = blank(m, text)
    for m in list(_STRAIGHTEN.finditer(text)):
        req.geometry.append(GeometryWish("straighten", words=m.group(0).strip()))
        text = blank(m, text)
    for m in list(_TURN.finditer(text)):
        wish = _turn(m.group(1))
        if wish is not None:
            wish.words = m.group(0).strip()
            req.geometry.append(wish)
            text = blank(m, text)
    for m in list(_FLIP.finditer(text)):
        vertical = bool(re.search(r"vertical|upside|top to bottom", m.group(1)))
        req.geometry.append(GeometryWish("flip", vertical=vertical, words=m.group(0).strip()))
        text = blank(m, text)
    return text


def _turn(tail: str) -> GeometryWish | None:
    """ "it a quarter to the left", "90 degrees", "2 degrees clockwise", "upside down" -> the turn."""
    sign = -1 if _LEFT.search(tail) else 1
    degrees = _TURN_DEGREES.search(tail)
    if degrees:
        angle = float(degrees.group(1))
        if angle and angle % 90 == 0:
            return GeometryWish("rotate", turns=sign * int(angle // 90))
        if abs(angle) <= 45:
            return GeometryWish("straighten", angle=sign * angle)
        return None
    if re.search(r"\b(?:half(?:\s+turn)?|upside\s+down|around)\b", tail):
        return GeometryWish("rotate", turns=2)
    if re.search(r"\bquarter\b", tail) or re.search(
        r"^\s*(?:it\s+|the\s+(?:photo|picture|image)\s+)?"
        r"(?:to\s+the\s+)?(?:left|right|(?:counter\s*|anti\s*)?clockwise)\b",
        tail,
    ):
        return GeometryWish("rotate", turns=sign)
    return None


# --- clauses -----------------------------------------------------------------------------------------------

_SPLIT = re.compile(
    r"\s*(?:[,;.!?]+|\s(and|also|plus|as well as|then|with|but|though|although|however|yet|while|"
    r"whereas|except)\s|\s(?=without\b))\s*"
)
_CARRY = {"and", "also", "plus", "as well as", "then", "with"}


def _clauses(norm: str) -> list[tuple[str, str | None]]:
    """(clause, the word that joined it to the previous one)."""
    # re.split with one group returns [text, sep, text, sep, ...]; punctuation gives sep None.
    parts = _SPLIT.split(" " + norm + " ")
    out: list[tuple[str, str | None]] = []
    joiner: str | None = None
    for i, piece in enumerate(parts):
        if i % 2 == 1:
            joiner = piece or ","
            continue
        piece = (piece or "").strip()
        lead = _LEAD.match(piece)
        if lead:  # ", but subtle": the word after the comma joins too
            joiner, piece = lead.group(1), piece[lead.end() :].strip()
        if piece:
            out.append((piece, joiner))
    return out


_LEAD = re.compile(r"^(and|also|plus|then|with|but|though|although|however|yet|while|whereas|except)\b\s*")


# --- numbers, scope, keep ----------------------------------------------------------------------------------

_TOOL_RE = "|".join(re.escape(k).replace(r"\ ", r"\s+") for k in sorted(lex.TOOL_WORDS, key=len, reverse=True))
_NUM_BY = re.compile(
    rf"\b(increase|raise|boost|bump up|bump|add|up|more|decrease|reduce|lower|drop|cut|less|down)\s+"
    rf"(?:the\s+)?({_TOOL_RE})\s+(?:by\s+)?([+-]?\d{{1,3}})\s*%?"
)
_NUM_UPDOWN = re.compile(rf"\b({_TOOL_RE})\s+(up|down)\s+(?:by\s+)?(\d{{1,3}})\s*%?")
_NUM_MORE = re.compile(rf"\b(\d{{1,3}})\s*%?\s+(more|less)\s+({_TOOL_RE})\b")
_NUM_SET = re.compile(
    rf"\b(?:set\s+|put\s+|make\s+)?(?:the\s+)?({_TOOL_RE})\s*(?:to|at|=|:|of|on)?\s*"
    rf"([+-]?\s?\d{{1,3}}(?:\.\d+)?)(?!\d)\s*%?"
)
_NUM_SIGNED = re.compile(rf"(?<![\w])([+-]\d{{1,3}})\s+({_TOOL_RE})\b")

_NOUN_RE = "|".join(re.escape(canon(k)).replace(r"\ ", r"\s+") for k in sorted(lex.NOUNS, key=len, reverse=True))
_ONLY = re.compile(
    rf"\b(?:only|just|solely|exclusively|nothing but)\s+(?:(?:change|adjust|fix|touch|edit|use|modify|"
    rf"correct|the|my|your|its|a|an)\s+)*({_NOUN_RE})\b|\b({_NOUN_RE})\s+only\b"
)
_KEEP_VERBS = "|".join(
    re.escape(canon(k)).replace(r"\ ", r"\s+") for k in sorted(lex.KEEP_VERBS, key=len, reverse=True)
)
_FINE = "|".join(re.escape(canon(k)).replace(r"\ ", r"\s+") for k in sorted(lex.FINE_WORDS, key=len, reverse=True))
_KEEP = re.compile(
    rf"\b(?:{_KEEP_VERBS})\s+(?:the\s+|my\s+|its\s+|any\s+|of\s+the\s+|with\s+the\s+)?({_NOUN_RE})\b"
    rf"(?:\s+(?:{_FINE}))?"
)
_FINE_NOUN = re.compile(rf"\b(?:the\s+)?({_NOUN_RE})\s+(?:is|are|look|looks|seem|seems)\s+(?:already\s+)?(?:{_FINE})\b")
_NOTHING_ELSE = re.compile(
    "|".join(re.escape(canon(k)).replace(r"\ ", r"\s+") for k in sorted(lex.NOTHING_ELSE, key=len, reverse=True))
)


_NOUN_AXES = {canon(k): axis for k, axis in lex.NOUNS.items()}


def _noun_axis(words: str) -> str | None:
    return _NOUN_AXES.get(canon(words))


def _noun_tools(axis: str | None) -> tuple[str, ...]:
    if axis is None:
        return ()
    return lex.NOUN_TOOLS.get(axis, (axis,) if axis in lex.DEFAULT_STEP else ())


def _prepass(clause: str, req: Request) -> tuple[str, bool]:
    """Numbers and scope: record them and blank them out of the clause. Returns (rest, had_scope)."""

    def tool(word: str) -> str:
        return lex.TOOL_WORDS[canon(word)]

    def blank(m: re.Match, text: str) -> str:
        return text[: m.start()] + " " * (m.end() - m.start()) + text[m.end() :]

    for m in list(_NUM_BY.finditer(clause)):
        sign = -1 if m.group(1) in ("decrease", "reduce", "lower", "drop", "cut", "less", "down") else 1
        req.sets.append(SetValue(tool(m.group(2)), sign * abs(int(m.group(3))), True, m.group(0).strip()))
        clause = blank(m, clause)
    for m in list(_NUM_UPDOWN.finditer(clause)):
        sign = -1 if m.group(2) == "down" else 1
        req.sets.append(SetValue(tool(m.group(1)), sign * int(m.group(3)), True, m.group(0).strip()))
        clause = blank(m, clause)
    for m in list(_NUM_MORE.finditer(clause)):
        sign = -1 if m.group(2) == "less" else 1
        req.sets.append(SetValue(tool(m.group(3)), sign * int(m.group(1)), True, m.group(0).strip()))
        clause = blank(m, clause)
    for m in list(_NUM_SIGNED.finditer(clause)):
        req.sets.append(SetValue(tool(m.group(2)), int(m.group(1)), False, m.group(0).strip()))
        clause = blank(m, clause)
    for m in list(_NUM_SET.finditer(clause)):
        value = float(m.group(2).replace(" ", ""))
        req.sets.append(SetValue(tool(m.group(1)), int(round(value)), False, m.group(0).strip()))
        clause = blank(m, clause)

    had_scope = False
    nothing_else = _NOTHING_ELSE.search(clause)
    if nothing_else:
        req.nothing_else = True
        clause = blank(nothing_else, clause)
        had_scope = True
    for m in list(_KEEP.finditer(clause)) + list(_FINE_NOUN.finditer(clause)):
        axis = _noun_axis(m.group(1))
        tools = _noun_tools(axis)
        if tools:
            req.keep.update(tools)
            req.keep_words.append(m.group(1))
            clause = blank(m, clause)
            had_scope = True
    for m in list(_ONLY.finditer(clause)):
        words = m.group(1) or m.group(2)
        tools = _noun_tools(_noun_axis(words))
        if tools:
            req.scope = set(tools) if req.scope is None else req.scope | set(tools)
            req.scope_words = words
            had_scope = True
            # Keep the noun ("fix only the exposure" still names what to fix); drop the word "only".
            only = re.search(r"\b(?:only|just|solely|exclusively|nothing but)\b", clause[m.start() : m.end()])
            if only:
                a, b = m.start() + only.start(), m.start() + only.end()
                clause = clause[:a] + " " * (b - a) + clause[b:]
    return clause, had_scope


def tool_words(text: str) -> list[str]:
    """The tools a phrase names: "vignette" -> vignette, "the warmth" -> temperature."""
    found: list[str] = []
    for tok in _tokens(normalize(text)):
        if tok.role == "noun":
            found.extend(_noun_tools(str(tok.data)))
    key = canon(text)
    if key in lex.TOOL_WORDS:
        found.append(lex.TOOL_WORDS[key])
    return list(dict.fromkeys(found))


# --- reading one clause ------------------------------------------------------------------------------------


@dataclass
class _State:
    """The modifiers read so far in a clause, waiting for the head (adjective, noun, look) they go with."""

    intensity: float = 1.0  # "a bit" 0.5, "much" 1.5, ...
    intensity_given: bool = False  # an intensity word was said (else 1.0 stands for "ordinary")
    negated: bool = False  # "not", "no", "don't"
    too_much: bool = False  # "too", "overly": the person finds it excessive (a complaint)
    copula: bool = False  # "it is", "looks": a description, often a complaint
    asks: bool = False  # a request verb: "make it", "I want"
    said_so: bool = False  # "so" as in "so dark"
    more_less: int = 0  # +1 "more", "increase"; -1 "less", "reduce" (the lexicon's "level" words)
    more_less_intensity: float = 1.0  # "a lot more": how much more or less
    more_less_words: str = ""  # the words themselves ("a bit less"), for the reason
    remove: bool = False  # "remove", "get rid of"
    amount: float = 1.0  # "a strong vignette": how much of the effect the next noun asks for

    def copy(self) -> _State:
        return _State(**self.__dict__)


@dataclass
class _Head:
    """An adjective, noun, look or fix, with the modifiers before it (``state``) and after it."""

    token: _Token
    state: _State
    enough_after: bool = False  # "not bright enough"
    more_less_after: int = 0  # "contrast up", "the vignette is too strong": +1 / -1
    more_less_after_intensity: float = 1.0
    amount_after: int = 0  # "the contrast is too high", "contrast is low": +1 / -1 (the lexicon's "leveladj")
    too_much_after: bool = False  # "the vignette is too strong"
    copula_after: bool = False  # "the shadows are ..."
    intensity_after: float = 1.0  # "the vignette is a bit strong"
    used: bool = False  # a noun consumed by an adjective ("brighter shadows")


# (adjective axis, noun axis) -> (axis, multiplier): "darker corners" is more vignette.
_REMAP = {
    ("light", "shadows"): ("shadows", 1),
    ("light", "highlights"): ("highlights", 1),
    ("light", "whites"): ("whites", 1),
    ("light", "blacks"): ("blacks", 1),
    ("light", "vignette"): ("vignette", -1),
    ("light", "color"): ("color", 1),
    ("light", "saturation"): ("saturation", 1),
    ("light", "face"): ("light", 1),
    ("depth", "shadows"): ("shadows", -1),
    ("depth", "blacks"): ("blacks", -1),
    ("depth", "color"): ("color", 1),
    ("depth", "vignette"): ("vignette", 1),
    ("depth", "contrast"): ("contrast", 1),
    ("sharpness", "color"): ("color", 1),
    ("sharpness", "shadows"): ("shadows", -1),
    ("sharpness", "highlights"): ("highlights", 1),
    ("sharpness", "light"): ("contrast", 1),
    ("sharpness", "contrast"): ("contrast", 1),
    ("sharpness", "vignette"): ("vignette", 1),
    ("contrast", "shadows"): ("contrast", 1),
    ("contrast", "light"): ("contrast", 1),
    ("color", "saturation"): ("saturation", 1),
    ("color", "vibrance"): ("vibrance", 1),
    ("vivid", "color"): ("vivid", 1),
    ("warmth", "color"): ("warmth", 1),
    ("tint", "color"): ("tint", 1),
    ("light", "light"): ("light", 1),
    ("fade", "color"): ("color", -1),
}
_AREA_NOUNS = {"shadows", "highlights", "face", "whites", "blacks"}
# The tones as places, for a quality their own sliders do not give ("cooler shadows", "warmer highlights").
_TONE_PLACES = {"shadows": "dark_areas", "blacks": "dark_areas", "highlights": "bright_areas", "whites": "bright_areas"}
_EFFECT_AXES = {"fade", "grain"}
_NOUN_BARE = {
    "vignette": "vignette",
    "grain": "grain",
    "contrast": "contrast",
    "clarity": "clarity",
    "sharpness": "sharpness",
    "fade": "fade",
    "warmth": "warmth",
    "noise": "noise",
}


class _ClauseReader:
    """Reads one clause: collects heads with the modifiers around them, then turns each into a wish."""

    def __init__(self, clause: str, carry: _State | None, req: Request, had_scope: bool):
        self.clause, self.carry, self.req, self.had_scope = clause, carry, req, had_scope
        self.state = carry.copy() if carry else _State()
        self.state.more_less, self.state.negated, self.state.remove, self.state.more_less_words = 0, False, False, ""
        self.heads: list[_Head] = []
        self.loose_more_less: list[tuple[int, float, str]] = []  # "more", "a bit less": no head to go with
        self.loose_amount = 0  # "a bit too strong"
        self.loose_remove = False  # "remove it"
        self.trailing: list[float] = []  # amounts after the last head: "bump the exposure a bit"

    def read(self) -> _State:
        for tok in _tokens(self.clause):
            self.scan(tok)
        self.apply_trailing()
        nouns = [h for h in self.heads if h.token.role == "noun"]
        others = [h for h in self.heads if h.token.role != "noun"]
        if any(h.token.role == "fix" and h.token.data != "auto" for h in others):
            # "auto white balance": the specific fix wins over the general one
            others = [h for h in others if not (h.token.role == "fix" and h.token.data == "auto")]
        for head in others:
            if head.token.role == "look":
                self.read_look(head)
            elif head.token.role == "fix":
                self.read_fix(head, nouns, others)
            else:
                self.read_adjective(head, nouns)
        for noun in nouns:
            if not noun.used:
                self.read_noun(noun)
        if not self.heads:
            self.read_loose()
        return self.carry_out()

    # --- pass 1: heads and their modifiers ------------------------------------------------------

    def scan(self, tok: _Token) -> None:
        state, last = self.state, (self.heads[-1] if self.heads else None)
        if tok.role in ("adj", "noun", "look", "fix"):
            self.trailing = []
            self.heads.append(_Head(tok, state.copy()))
            state.more_less, state.negated, state.remove, state.more_less_words, state.amount = 0, False, False, "", 1.0
            if tok.role != "noun":
                carry = self.carry
                state.intensity, state.intensity_given = (
                    (carry.intensity, carry.intensity_given) if carry else (1.0, False)
                )
            return
        if tok.role == "enough":
            if last is not None:
                last.enough_after = True
                last.state.negated = last.state.negated or state.negated
            return
        # A level word after a noun belongs to that noun: "contrast up", "the vignette is too strong";
        # after a plain adjective it is about that quality: "the green is too strong".
        if (
            last is not None
            and tok.role in ("level", "leveladj")
            and (last.token.role == "noun" or (last.token.role == "adj" and last.token.data[2] == "state"))
        ):
            if tok.role == "level":
                last.more_less_after, last.more_less_after_intensity = tok.data
                last.too_much_after = (
                    last.too_much_after or state.too_much or tok.text.startswith("too") or "much" in tok.text
                )
            else:
                last.amount_after = tok.data
                last.too_much_after = last.too_much_after or state.too_much
            last.copula_after = last.copula_after or state.copula
            last.intensity_after = state.intensity if state.intensity_given else 1.0
            return
        if tok.role == "int":
            state.intensity = min(2.2, max(0.2, (state.intensity if state.intensity_given else 1.0) * tok.data))
            state.intensity_given = True
            state.said_so = state.said_so or tok.text == "so"
            self.trailing.append(tok.data)
        elif tok.role == "too":
            state.too_much = True
            state.intensity = min(2.2, (state.intensity if state.intensity_given else 1.0) * tok.data)
            state.intensity_given = state.intensity_given or tok.data != 1.0
        elif tok.role == "neg":
            state.negated = True
        elif tok.role == "copula":
            state.copula = True
        elif tok.role == "asks":
            state.asks = True
        elif tok.role == "level":
            state.more_less, state.more_less_intensity = tok.data
            state.more_less_words = tok.text
            if tok.text.startswith("too") or tok.text in ("way too much", "a bit much", "overkill", "overdone"):
                state.too_much = True
            self.loose_more_less.append((tok.data[0], tok.data[1], tok.text))
        elif tok.role == "leveladj":
            # "a strong vignette", "a subtle vignette": an amount for the noun that follows.
            state.amount = 1.6 if tok.data > 0 else 0.5
            self.loose_amount = tok.data
        elif tok.role == "remove":
            state.remove = self.loose_remove = True

    def apply_trailing(self) -> None:
        """ "bump the exposure a bit", "lighten it up a little": an amount after the words it belongs to."""
        if not (self.heads and self.trailing):
            return
        amount = 1.0
        for factor in self.trailing:
            amount *= factor
        for head in self.heads:
            if not head.state.intensity_given:
                head.state.intensity, head.state.intensity_given = amount, True
            if head.token.role == "noun" and head.intensity_after == 1.0:
                head.intensity_after = amount

    # --- pass 2: heads -> wishes ------------------------------------------------------------------

    @staticmethod
    def intensity(head: _Head) -> float:
        return head.state.intensity if head.state.intensity_given else 1.0

    def read_look(self, head: _Head) -> None:
        st, intensity = head.state, self.intensity(head)
        look = LookWish(head.token.data, words=head.token.text)
        if st.remove or (st.negated and not st.too_much):
            look.remove = True  # "no vintage", "not black and white"
        elif st.more_less < 0 or st.too_much:
            look.scale = 0.5 if not st.intensity_given else max(0.2, 1.0 - 0.5 * intensity)  # "too moody"
        elif st.more_less > 0:
            look.scale = 1.0 + 0.5 * (intensity if st.intensity_given else st.more_less_intensity)  # "more vintage"
        else:
            look.scale = intensity  # "a little vintage"
        self.req.looks.append(look)

    def read_fix(self, head: _Head, nouns: list[_Head], others: list[_Head]) -> None:
        tok, req, intensity = head.token, self.req, self.intensity(head)
        kind = tok.data
        if (
            kind == "color"
            and tok.text in ("cast", "color cast", "tint")
            and any(h.token.role == "adj" and h.token.data[0] in ("warmth", "tint") for h in others)
        ):
            return  # "a blue cast": the named colour says which way; its adjective makes the wish
        target = next((n for n in nouns if not n.used), None)
        if kind == "auto" and target is not None:  # "fix the shadows", "improve the colours"
            axis = target.token.data
            if tok.text in ("enhance", "improve", "boost", "intensify") and axis in (
                "color",
                "sharpness",
                "contrast",
                "clarity",
            ):
                target.used = True
                req.wishes.append(Wish(axis, +1, intensity, f"{tok.text} the {target.token.text}"))
                return
            if axis in lex.FIX_TARGETS:
                kind = lex.FIX_TARGETS[axis]
                target.used = True
            elif axis == "vignette":
                target.used = True
                req.removals.append(Removal("vignette", f"{tok.text} the {target.token.text}"))
                return
        if kind in ("shadows", "highlights", "sharpness"):
            req.wishes.append(Wish(kind, -1 if kind == "highlights" else +1, intensity, tok.text, complaint=True))
        else:
            req.fixes.append(Fix(kind, intensity, tok.text))

    def read_adjective(self, head: _Head, nouns: list[_Head]) -> None:
        tok, st, req, intensity = head.token, head.state, self.req, self.intensity(head)
        axis, sign, kind = tok.data
        area = where = None
        for noun in nouns:  # "brighter shadows", "darker corners", "warmer colours", "the face is too dark"
            if noun.used:
                continue
            key = (axis, noun.token.data)
            if key in _REMAP:
                axis, mult = _REMAP[key]
                sign *= mult
                noun.used = True
                area = noun.token.text if noun.token.data == "face" else None
                break
            if noun.token.data == axis:
                noun.used = True
                break
            if noun.token.data in _AREA_NOUNS:  # "cooler shadows": the dark areas cooler
                where = _TONE_PLACES.get(noun.token.data)
                area, noun.used = None if where else noun.token.text, True
                break
        if axis == "depth":
            axis = "contrast"
        if head.more_less_after or head.amount_after:
            # "the green is too strong" / "the yellow is too much": less of that quality.
            level = head.more_less_after or head.amount_after
            if head.amount_after and (head.copula_after or head.too_much_after or st.copula):
                level = -level
            elif head.more_less_after and head.too_much_after:
                level = -abs(level)
            req.wishes.append(Wish(axis, sign * level, intensity, tok.text, complaint=level < 0, reduce=level < 0))
            return
        if kind == "change" and st.negated and not st.too_much and axis in _EFFECT_AXES | {"vignette"}:
            req.keep.update(_noun_tools(axis))  # "do not add grain": leave it alone this turn
            req.keep_words.append(axis)
            return
        wish = _adjective_wish(axis, sign, kind, st, head.enough_after, intensity, tok.text)
        if isinstance(wish, Removal):
            req.removals.append(wish)
        elif wish is not None:
            wish.area, wish.where = area, where
            req.wishes.append(wish)

    def read_noun(self, noun: _Head) -> None:
        req, st, axis, words = self.req, noun.state, noun.token.data, noun.token.text
        intensity = self.intensity(noun) * st.amount
        level, level_intensity, complaint = st.more_less, st.more_less_intensity, st.too_much
        if noun.more_less_after:  # "contrast up", "the vignette is too strong"
            level, level_intensity = noun.more_less_after, noun.more_less_after_intensity
            complaint = complaint or noun.too_much_after
            if noun.intensity_after != 1.0:
                intensity = noun.intensity_after
        elif noun.amount_after:  # "the contrast is too high", "contrast is low": a complaint about the amount
            level = noun.amount_after
            if noun.copula_after or noun.too_much_after or st.copula:
                level = -level
            complaint = True
        if axis == "background":
            req.refusals.append(
                "Tell me what to change in the background, e.g. “darken the background” or “make the background "
                "cooler”."
            )
            return
        if axis in ("face", "tone"):
            return
        if st.negated and not noun.enough_after and "enough" not in self.clause:
            req.keep.update(_noun_tools(axis))  # "do not add grain": leave that tool alone this turn
            req.keep_words.append(words)
            return
        if st.remove and not level:  # "remove the vignette", "no grain", "get rid of the noise"
            if axis == "noise":
                req.fixes.append(Fix("noise", intensity, words))
            else:
                req.removals.append(Removal(axis, words))
            return
        if level:
            if noun.enough_after and not st.negated:
                return  # "contrast is enough"
            if axis == "noise":
                if level < 0:
                    req.fixes.append(Fix("noise", intensity * level_intensity, words))
                else:
                    req.wishes.append(Wish("grain", +1, intensity, words))
                return
            if axis == "shadows":
                level = _shadow_amount(level, st.more_less_words or "", noun.more_less_after != 0)
            text = f"{st.more_less_words} {words}".strip()
            req.wishes.append(
                Wish(axis, level, intensity * level_intensity, text, complaint=complaint, reduce=level < 0)
            )
            return
        if len(self.heads) == 1 and not self.had_scope and not st.copula and axis in _NOUN_BARE:
            if axis == "noise":  # "noise" on its own: a complaint
                req.fixes.append(Fix("noise", intensity, words))
            else:  # "vignette", "grain please"
                req.wishes.append(Wish(_NOUN_BARE[axis], +1, intensity, words))

    def read_loose(self) -> None:
        """No head at all: "more", "a bit less", "too much", "remove it" are about the last turn."""
        state, clause = self.state, self.clause
        if not self.loose_more_less and self.loose_amount:
            # "a bit too strong", "too subtle"
            sign = -self.loose_amount if (state.too_much or state.copula) else self.loose_amount
            self.loose_more_less.append((sign, 1.0, clause.strip()))
        if self.loose_more_less:
            sign, level_intensity, text = self.loose_more_less[-1]
            intensity = (state.intensity if state.intensity_given else 1.0) * level_intensity
            if state.negated and "enough" not in clause:
                sign = -sign
            if sign > 0:
                factor = 2.0 if text.startswith("double") else 1.0 + 0.5 * intensity
            else:
                factor = 0.5 if text in ("half", "halve") else max(0.15, 1.0 - 0.5 * intensity)
            self.req.followups.append(FollowUp(factor, clause.strip()))
        elif self.loose_remove and re.search(r"\b(it|that|this|them|those|these)\b", clause):
            self.req.command = self.req.command or "undo"

    def carry_out(self) -> _State:
        """The mood this clause passes on ("too dark and yellow", "much brighter and warmer")."""
        heads, state = self.heads, self.state
        intensity = next((h.state.intensity for h in heads if h.state.intensity_given), None)
        return _State(
            intensity=intensity or 1.0,
            intensity_given=intensity is not None,
            too_much=state.too_much or any(h.state.too_much for h in heads),
            copula=state.copula or any(h.state.copula for h in heads),
            asks=state.asks or any(h.state.asks for h in heads),
            said_so=state.said_so or any(h.state.said_so for h in heads),
        )


_SLIDER_UP = {
    "increase",
    "increased",
    "boost",
    "raise",
    "higher",
    "up",
    "bump up",
    "bump",
    "pump up",
    "crank up",
    "crank",
    "turn up",
    "push",
    "push up",
    "lift",
    "lift up",
    "open up",
    "bring up",
    "bring out",
    "boost up",
    "enhance",
    "amplify",
    "not enough",
    "too little",
}
_SLIDER_DOWN = {"lower", "decrease", "down", "drop", "drop down", "turn down", "pull down", "bring down", "dial down"}


def _shadow_amount(level: int, word: str, after: bool) -> int:
    """Shadows as an amount ("less shadows" = lift them) or as the slider ("raise the shadows" = lift them)."""
    if after or word in _SLIDER_UP or word in _SLIDER_DOWN:
        return level  # "shadows up", "raise the shadows", "lower the shadows"
    return -level  # "less shadows", "too much shadow", "more shadows"


def _adjective_wish(axis: str, sign: int, kind: str, st: _State, enough: bool, intensity: float, words: str):
    """The change an adjective asks for, from its kind and the words around it."""
    if kind == "change":
        if st.negated and not st.too_much:
            return None  # "do not make it darker": a limit, not an edit
        if st.remove:
            if sign > 0 and axis in _EFFECT_AXES:
                return Removal(axis, words)
            return Wish(axis, -sign, intensity, words, reduce=True)
        if st.more_less < 0:
            return Wish(axis, -sign, intensity * st.more_less_intensity, words, reduce=True)
        return Wish(axis, sign, intensity * (st.more_less_intensity if st.more_less > 0 else 1.0), words)
    if kind == "problem":
        wants_more = st.more_less > 0 or (
            st.asks and not st.copula and not st.too_much and not st.negated and not st.more_less
        )
        if wants_more:
            return Wish(axis, sign, intensity, words)
        return Wish(axis, -sign, intensity, words, complaint=True, reduce=True)
    # state adjectives
    if enough:
        if st.negated:
            return Wish(axis, sign, intensity, words, complaint=True)  # "not bright enough"
        return None  # "bright enough": nothing to do
    if st.negated and st.too_much:
        return None  # "not too bright": a limit on another wish
    if st.more_less < 0:
        return Wish(axis, -sign, intensity * st.more_less_intensity, words, reduce=True)  # "less warm"
    if st.more_less > 0:
        return Wish(axis, sign, intensity * st.more_less_intensity, words)  # "more colorful"
    if st.remove:
        return Wish(axis, -sign, intensity, words, complaint=True, reduce=True)  # "remove the yellow"
    if st.too_much:
        return Wish(axis, -sign, intensity, words, complaint=True, reduce=True)  # "too warm"
    if st.negated:
        if st.copula and not st.asks:
            return Wish(axis, sign, intensity, words, complaint=True)  # "it is not sharp"
        return Wish(axis, -sign, 1.0 if st.said_so else intensity, words, reduce=True)  # "not so warm"
    if (st.copula or st.said_so) and not st.asks:
        return Wish(axis, -sign, intensity, words, complaint=True, reduce=True)  # "it is dark"
    return Wish(axis, sign, intensity, words)  # "warm", "make it bright"


# --- the whole message --------------------------------------------------------------------------------------

_LIMITER = re.compile(
    r"\b(?:but\s+)?(?:not|do not go|do not make it|never|without (?:being|going)|nothing)\s+"
    r"(?:too|overly|crazy|over the top)(?:\s+(?:much|far|strong|strongly|heavy|"
    r"heavily|intense|extreme|obvious|[a-z]+(?:er|y|ed)?))?\s*(?:though|please|ok|okay)?\b|"
    r"\b(?:gently|subtly|subtle|only slightly|just slightly|only a (?:bit|little)|"
    r"just a (?:bit|little)|"
    r"a little bit|a bit|a little|slightly|barely|lightly|nothing crazy|nothing extreme|"
    r"nothing dramatic|keep it subtle|keep it natural|subtle please|not overdone)\b"
)


def _soften_last(req: Request, clause: str) -> None:
    """A limit on the wishes just before it ("brighter but not too bright", "vintage, subtle")."""
    for item in req.wishes[-1:] + req.looks[-1:] + req.fixes[-1:]:
        if isinstance(item, LookWish):
            item.scale *= 0.6
        else:
            item.intensity *= 0.6


def _cannot(clause: str) -> str | None:
    for pattern, reply in _CANNOT:
        if pattern.search(clause):
            return reply
    return None


_CANNOT = tuple((re.compile(p), r) for p, r in lex.CANNOT)
_LOCAL = re.compile(
    r"\b(?:the|her|his|my|their)\s+(skin|water|sea|grass|trees?|flowers?|sun|clouds|eyes|"
    r"hair|lips|building|buildings|car|dress|shirt|mountains?)\b"
)


# --- where: the place a clause names ---------------------------------------------------------------------

_WHERE = tuple(
    (re.compile(r"(?:\b(?:on|in|for|at|across|along|around|to|of)\s+)?\b((?:" + p + r"))\b"), place)
    for p, place in lex.WHERE_PHRASES
)


def _where(clause: str) -> tuple[str | None, str]:
    """The place a clause names ("darken the sky": sky) and the clause without those words; no place
    when its words belong to a longer phrase the lexicon knows ("darken the edges": the vignette)."""
    for pattern, place in _WHERE:
        for m in pattern.finditer(clause):
            a, b = m.span(1)
            if any(t.start < b and t.end > a and (t.start < a or t.end > b) for t in _tokens(clause)):
                continue
            return place, clause[: m.start()] + " " * (m.end() - m.start()) + clause[m.end() :]
    return None, clause


def _snapshot(req: Request) -> dict:
    return {name: list(getattr(req, name)) for name in _READ_INTO} | {
        "keep": set(req.keep),
        "command": req.command,
    }


def _restore(req: Request, snapshot: dict) -> None:
    for name, value in snapshot.items():
        setattr(req, name, value)


_READ_INTO = ("wishes", "looks", "removals", "fixes", "followups", "keep_words", "refusals")


def _where_applies(req: Request, where: str, wishes: int, followups: int, snapshot: dict) -> bool:
    """A place goes with the wishes and follow-ups its clause made, unless the clause asked for
    something else too (a fix, a look: those act on the whole photo) or the place's own tool does
    the wish ("lighten the dark parts")."""
    made = req.wishes[wishes:] + req.followups[followups:]
    if not made:
        return False
    others = any(len(getattr(req, n)) > len(snapshot[n]) for n in ("looks", "removals", "fixes"))
    return not others and not any(w.axis in lex.WHERE_TOOLS.get(where, ()) for w in req.wishes[wishes:])


_MOVE = re.compile(r"(?:no\s*,?\s*)?(?:i meant\s+)?not\s+(.+?)\s*(?:,|;|\bbut\b)\s*(?:but\s+|i meant\s+)?(.+?)")


def _move(norm: str, req: Request) -> bool:
    """ "Not the face, the hair", "not the sky but the background": my adjustments belong elsewhere."""
    m = _MOVE.fullmatch(re.sub(r"[\s.!?]+$", "", norm))
    if m is None:
        return False
    source, _ = _where(m.group(1))
    if source is None:
        return False
    target, rest = _where(m.group(2))
    if target is not None and rest.strip():
        return False  # "not the sky, the background darker": more than a place
    req.moves.append(Move(source, target, m.group(2).strip()))
    return True


def parse(text: str, _fuzzy: bool = True) -> Request:
    norm = normalize(text)
    req = Request(text=text, normalized=norm)
    if _undo_scope(_bare(norm), req) or _move(norm, req):
        return req
    rest = _geometry(norm, req)
    if req.geometry:
        norm = rest  # what is left may ask for more ("make it square and warmer")
    else:
        req.command = _command(norm)
        if req.command is not None:
            return req
    # "undo the vignette" / "revert the warmth": a removal, not an undo of the whole turn.
    strict = bool(re.match(r"(?:undo|revert|reset|take back|put back)\b", norm))
    norm_for_clauses = re.sub(r"^(?:undo|revert|reset|take back|put back)\b", "remove", norm)
    carry: _State | None = None
    for clause, joiner in _clauses(norm_for_clauses):
        clause = _tool_wishes(clause, req)
        if not clause.strip():
            carry = None
            continue
        refusal = _cannot(clause)
        if refusal:
            if refusal not in req.refusals:
                req.refusals.append(refusal)
            carry = None
            continue
        if _bare(clause) in _THANKS and not _tokens(_bare(clause)):
            continue
        rest, had_scope = _prepass(clause, req)
        before = len(req.wishes)
        before_fixes = len(req.fixes)
        before_looks = len(req.looks)
        before_removals = len(req.removals)
        before_followups = len(req.followups)
        if (req.wishes or req.looks or req.fixes) and _LIMITER.search(clause) and not _LIMITER.sub("", clause).strip():
            _soften_last(req, clause)  # "warmer, but not too much": a smaller version of the last wish
            continue
        if carry is not None and joiner not in _CARRY:
            # After a comma only the complaint carries ("too dark, yellow"), not the amount.
            carry = _State(too_much=carry.too_much, copula=carry.copula) if joiner == "," else None
        where, without = _where(rest)
        if where is not None:
            snapshot = _snapshot(req)
            after = _ClauseReader(without, carry, req, had_scope).read()
            if _where_applies(req, where, before, before_followups, snapshot):
                carry = after
                for wish in req.wishes[before:]:
                    wish.where = where
                for follow in req.followups[before_followups:]:
                    follow.where, follow.words = where, clause
            else:  # "lighten the dark parts" (the shadows slider), "fix the sky": read as it was written
                _restore(req, snapshot)
                where = None
        if where is None:
            carry = _ClauseReader(rest, carry, req, had_scope).read()
        seen = {(w.axis, w.sign) for w in req.wishes[:before]}
        fresh = []
        for wish in req.wishes[before:]:
            wish.words = clause  # quoted in the reasons: "as you asked (“a bit warmer”)"
            if (wish.axis, wish.sign) not in seen:  # "brighter brighter brighter" is one wish
                seen.add((wish.axis, wish.sign))
                fresh.append(wish)
        req.wishes[before:] = fresh
        for item in req.fixes[before_fixes:] + req.looks[before_looks:] + req.removals[before_removals:]:
            item.words = clause
        local = _LOCAL.search(clause)
        if local:
            for wish in req.wishes[before:]:
                if wish.where is None:
                    wish.area = wish.area or local.group(1)
    for removal in req.removals:
        removal.strict = strict
    if req.has_edits or req.command or req.refusals or req.scope or req.keep or req.nothing_else:
        return req
    if _fuzzy:
        fixed, changes = _correct_typos(norm)
        if changes:
            again = parse(fixed, _fuzzy=False)
            again.text, again.corrected = text, changes
            if again.has_edits or again.command:
                return again
    return req


_TOOL_PHRASES = tuple((re.compile(p), kind, sign) for p, kind, sign in lex.TOOL_PHRASES)
_LESS = re.compile(r"\b(?:remove|no|without|less|not|undo|revert|take away|take out|get rid of|turn off|drop)\b")


def _tool_wishes(clause: str, req: Request) -> str:
    """The wishes for the tools beyond the 16 in a clause; returns the clause without their words
    (what is left may ask for more: "richer greens, much brighter")."""
    for pattern, kind, sign in _TOOL_PHRASES:
        found = pattern.search(clause)
        if found is None:
            continue
        intensity = 1.0
        for token in _tokens(clause):
            factor = token.data[1] if token.role == "level" else token.data if token.role in ("int", "too") else 1.0
            if factor != 1.0:
                intensity = factor
                break
        if kind != "white_balance" and _LESS.search(clause):
            sign = -1  # "remove the matte look", "less punch"
        req.tools.append(ToolWish(kind, sign, intensity, clause.strip()))
        clause = clause[: found.start()] + " " + clause[found.end() :]
    # what is left asks for more only with a head of its own ("fix the white balance": "fix" is done)
    heads = [t for t in _tokens(clause) if t.role in ("adj", "noun", "look") or (t.role == "fix" and t.data != "auto")]
    return clause if heads or not req.tools else ""


def _correct_typos(norm: str) -> tuple[str, list[tuple[str, str]]]:
    """Read unknown words as the closest known one ("brigther" -> "brighter"), when one is close."""
    changes = []
    words = norm.split()
    for i, word in enumerate(words):
        clean = re.sub(r"[^a-z]", "", word)
        if len(clean) < 4 or clean in _VOCABULARY:
            continue
        match = difflib.get_close_matches(clean, _VOCABULARY, n=1, cutoff=0.8)
        if match:
            words[i] = word.replace(clean, match[0])
            changes.append((clean, match[0]))
    return " ".join(words), changes
