"""Per-user folders (data, config, cache). ``IEA_HOME`` moves them all, for tests and portable installs."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "iea-desktop"


def _base(kind: str) -> Path:
    override = os.environ.get("IEA_HOME")
    if override:
        return Path(override) / kind
    import platformdirs

    return Path(getattr(platformdirs, f"user_{kind}_dir")(APP_NAME, appauthor=False))


def data_dir() -> Path:
    return _base("data")


def config_dir() -> Path:
    return _base("config")


def cache_dir() -> Path:
    return _base("cache")


def ensure(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
