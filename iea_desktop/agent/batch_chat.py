"""Batch chat: one request ("make all of these warmer") applied to many photos, each on its own.

Every photo gets an ordinary assistant turn (``AssistantSession.run_turn``, as `iea-desktop edit`
runs one): its own context and statistics, so its own nodes, values and reasons, measured on that
photo; one undo step in its history; the turn recorded with its chat. A turn that fails fails
that photo only (``core.batch``: the others go on).

- ``chat_edit(request, assistant)``: the per-photo edit for ``core.batch.export_photos`` (export
  the answers; nothing saved) or ``core.batch.edit_photos`` (save each photo's project).
- ``chat_photos``: the library's "ask about the selection": each photo's project changed and saved.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from ..core import batch
from ..core.document import Document
from .session import Assistant, AssistantSession


class TurnFailed(batch.BatchError):
    """The assistant's turn on one photo failed or was stopped; nothing was changed on it."""


def chat_edit(request: str, assistant: Assistant) -> Callable[[Document], str]:
    """An edit that runs one turn of ``assistant`` on a document and returns its reply (raising
    TurnFailed, with the reason, when the turn changed nothing because it failed)."""

    def edit(document: Document) -> str:
        result = AssistantSession(document, assistant).run_turn(request)
        if result.error or result.cancelled:
            raise TurnFailed(f"the assistant failed: {result.error}" if result.error else result.reply)
        return result.reply

    return edit


def chat_photos(
    photos: Sequence[str | os.PathLike],
    request: str,
    assistant: Assistant,
    progress: batch.ProgressCallback | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> batch.BatchReport:
    """Run ``request`` on every photo and save each photo's project (``core.batch.edit_photos``);
    each result's ``reply`` is what the assistant said about that photo."""
    return batch.edit_photos(photos, chat_edit(request, assistant), progress, cancelled)
