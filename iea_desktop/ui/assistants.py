"""What the model picker offers: the built-in assistant and every installed GGUF model.

Thin glue over ``agent.assistants`` and ``agent.models``; if the agent cannot list models, the
picker offers the built-in assistant alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the agent's modules load where used
    from ..agent.models import ModelEntry

BUILTIN_LABEL = "Built-in assistant (no AI model)"
BUILTIN_TIP = (
    "A simple assistant built into the app: it understands common requests such as “brighter”, "
    "“warmer” or “black and white”, works offline and needs no model file."
)


@dataclass
class Choice:
    label: str
    tooltip: str
    key: str  # "builtin" or the model file's path
    entry: ModelEntry | None = None  # None for the built-in assistant
    problem: str | None = None  # why it cannot be used

    @property
    def usable(self) -> bool:
        return self.problem is None


def _size(n: int) -> str:
    return f"{n / 1e9:.1f} GB" if n >= 1e9 else f"{n / 1e6:.0f} MB"


def choices() -> tuple[list[Choice], str | None]:
    """The picker's entries, and a note when installed models could not be listed."""
    found = [Choice(BUILTIN_LABEL, BUILTIN_TIP, "builtin")]
    try:
        from ..agent.models import list_installed_models

        entries = list_installed_models()
    except Exception as error:  # a broken models folder must not take the chat down
        return found, f"Installed models could not be listed: {error}"
    for entry in entries:
        vision = " · sees the photo" if entry.mmproj_path else ""
        label = f"{entry.name} ({_size(entry.size_bytes)}{vision})"
        tip = f"{entry.path}" + (
            f"\nVision projector: {entry.mmproj_path}"
            if entry.mmproj_path
            else "\nNo vision projector found: this model reads the photo's statistics, not the photo"
        )
        problem = getattr(entry, "problem", None)
        if problem:
            label, tip = f"{label}: unusable", f"{tip}\n{problem}"
        found.append(Choice(label, tip, str(entry.path), entry, problem))
    return found, None


def load_builtin():
    from ..agent.assistants import builtin_assistant

    return builtin_assistant()


def load(choice: Choice, progress: Callable[[float, str], None] | None = None):
    """The assistant for a picker entry (a model loads here: call it in a worker)."""
    if choice.key == "builtin":
        return load_builtin()
    from ..agent.assistants import load_model_assistant

    assert choice.entry is not None, "a model's entry in the picker carries its files"
    return load_model_assistant(choice.entry.path, choice.entry.mmproj_path, progress=progress)


def describe(assistant) -> str:
    """One line for the status bar and the picker: which assistant, on which device."""
    if assistant is None:
        return "No assistant"
    if getattr(assistant, "is_builtin", False):
        return "Built-in assistant · CPU, no AI model"
    return f"{assistant.name} · {assistant.device_label}"
