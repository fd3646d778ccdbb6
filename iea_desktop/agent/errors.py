"""Errors the agent reports to people; kept free of heavy imports so the CLI can catch them cheaply."""

from __future__ import annotations

from pathlib import Path


class ModelFileError(Exception):
    """A model file that cannot be used; ``str(err)`` is a one-line message for people."""

    def __init__(self, message: str, path: str | Path | None = None):
        super().__init__(message)
        self.path = Path(path) if path is not None else None


class Cancelled(Exception):
    """A request (a model's answer, an assistant's turn) was stopped because its cancel event was set."""
