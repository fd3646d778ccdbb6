"""The conversation with the assistant, as the project file keeps it: one ``ChatMessage`` per
request and per reply, in order.

A reply carries what the window shows under it (what the turn changed, its warnings, whether it
failed, stopped or undid something) and what a model reads back in later turns. The layout in the
project file is the one written since the first version: a request has ``role``, ``text``,
``turn_id`` and ``time``; a reply adds the rest. Projects saved before replies recorded their
``changes`` have only ``node_ids`` (``changes`` is then None).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

ROLES = ("user", "assistant")


@dataclass(frozen=True)
class ChatMessage:
    role: str  # one of ROLES
    text: str
    turn_id: str | None = None  # the request and its reply share it
    time: float | None = None  # seconds since the epoch
    # A reply's own fields:
    model: str | None = None  # which assistant answered
    node_ids: tuple[str, ...] = ()  # nodes the turn added or changed
    changes: tuple[dict, ...] | None = None  # session.graph_changes: {"kind", "node_id", "text"}
    undone: bool = False  # the turn undid earlier ones
    warnings: tuple[str, ...] = ()
    error: str | None = None
    cancelled: bool = False
    seconds: float | None = None

    @property
    def is_user(self) -> bool:
        return self.role == "user"

    def to_dict(self) -> dict:
        data: dict = {"role": self.role, "text": self.text, "turn_id": self.turn_id, "time": self.time}
        if self.is_user:
            return data
        return {
            **data,
            "model": self.model,
            "node_ids": list(self.node_ids),
            "changes": None if self.changes is None else [dict(c) for c in self.changes],
            "undone": self.undone,
            "warnings": list(self.warnings),
            "error": self.error,
            "cancelled": self.cancelled,
            "seconds": self.seconds,
        }

    @classmethod
    def from_dict(cls, data) -> ChatMessage:
        """A message from a project file; ValueError says what is wrong with it."""
        if not isinstance(data, dict):
            raise ValueError("a chat message is not an object")
        role, text = data.get("role"), data.get("text")
        if role not in ROLES:
            raise ValueError(f"chat message role {role!r}")
        if not isinstance(text, str):
            raise ValueError(f"chat message text {text!r}")
        return cls(
            role,
            text,
            turn_id=_optional(data, "turn_id", str),
            time=_number(data, "time"),
            model=_optional(data, "model", str),
            node_ids=_strings(data, "node_ids"),
            changes=_changes(data.get("changes")),
            undone=_flag(data, "undone"),
            warnings=_strings(data, "warnings"),
            error=_optional(data, "error", str),
            cancelled=_flag(data, "cancelled"),
            seconds=_number(data, "seconds"),
        )


def chat_from_list(items) -> list[ChatMessage]:
    """The ``chat`` list of a project file; messages that cannot be read are left out (the
    conversation is a record, not the edits: a damaged line must not refuse the project)."""
    messages = []
    for item in items if isinstance(items, list) else []:
        try:
            messages.append(ChatMessage.from_dict(item))
        except ValueError:
            continue
    return messages


def _optional(data: dict, key: str, kind: type):
    value = data.get(key)
    if value is not None and not isinstance(value, kind):
        raise ValueError(f"chat message {key} {value!r}")
    return value


def _number(data: dict, key: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"chat message {key} {value!r}")
    return float(value)


def _flag(data: dict, key: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise ValueError(f"chat message {key} {value!r}")
    return value


def _strings(data: dict, key: str) -> tuple[str, ...]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"chat message {key} {value!r}")
    return tuple(value)


def _changes(value) -> tuple[dict, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise ValueError(f"chat message changes {value!r}")
    for change in value:
        if (
            not isinstance(change, dict)
            or not isinstance(change.get("kind"), str)
            or not isinstance(change.get("text"), str)
            or not isinstance(change.get("node_id", ""), str)
        ):
            raise ValueError(f"chat message change {change!r}")
    return tuple(dict(c) for c in value)
