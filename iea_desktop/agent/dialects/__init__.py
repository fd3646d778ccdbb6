"""Dialects: how one family of models is prompted and how its answers are parsed into plans."""

from .generic import GenericDialect
from .iea import IEADialect

DIALECTS = {"iea": IEADialect, "generic": GenericDialect}


def dialect_for(model_name: str, override: str | None = None):
    """IEA-trained models speak the IEA dialect; every other model the generic tool-call one."""
    if override:
        if override not in DIALECTS:
            raise ValueError(f"unknown dialect {override!r}; known: {', '.join(DIALECTS)}")
        return DIALECTS[override]()
    return IEADialect() if "iea" in model_name.lower() else GenericDialect()


__all__ = ["DIALECTS", "GenericDialect", "IEADialect", "dialect_for"]
