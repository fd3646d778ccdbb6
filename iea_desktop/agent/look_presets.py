"""The built-in assistant's named looks ("vintage", "moody", ...) as read-only presets.

The looks are defined once, in the lexicon (``builtin_lexicon.LOOKS``: each look's tool values and
its description); this turns them into ``core.presets.Preset``s for the preset list and
``iea-desktop batch --preset``. A black-and-white look also covers the tools that would tint its
greys (``COLOR_AFTER_BW``), so applying it resets them, as the assistant clears them for that look.
"""

from __future__ import annotations

from ..core.presets import BUILTIN, Preset
from . import builtin_lexicon as lex


def look_presets() -> list[Preset]:
    """One built-in preset per look, in the lexicon's order."""
    return [
        Preset.from_values(
            name,
            values,
            ops=lex.COLOR_AFTER_BW if name in lex.BLACK_AND_WHITE_LOOKS else (),
            description=description[:1].upper() + description[1:],
            origin=BUILTIN,
        )
        for name, (_words, values, description) in lex.LOOKS.items()
    ]
