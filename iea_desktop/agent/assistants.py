"""Choosing an assistant: the built-in one, or a GGUF model through llama.cpp with a dialect."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

from .backends.gguf_inspect import ModelFileError, find_mmproj
from .dialects import dialect_for


class ModelAssistant:
    """A language model (with or without vision) speaking one dialect."""

    is_builtin = False

    def __init__(self, backend, dialect):
        self.backend = backend
        self.dialect = dialect
        self.name = backend.name
        self.op_version = dialect.op_version

    @property
    def device_label(self) -> str:
        return self.backend.device_label

    @property
    def has_vision(self) -> bool:
        return self.backend.has_vision

    def plan(self, ctx, on_text, cancel):
        return self.dialect.plan(self.backend, ctx, on_text, cancel)

    def summarize(self, ctx, on_text, cancel):
        return self.dialect.summarize(self.backend, ctx, on_text, cancel)

    def warm_up(self, cancel=None) -> None:
        """Read what starts every prompt ahead of the first request, where the dialect has such a
        part (the generic one: ``GenericDialect.warm_up``; the IEA one starts with the request)."""
        warm_up = getattr(self.dialect, "warm_up", None)
        if warm_up is not None:
            warm_up(self.backend, cancel)


def builtin_assistant():
    from .builtin import BuiltinAssistant

    return BuiltinAssistant()


LLAMA_MISSING = (
    "llama.cpp support is not installed, so GGUF models cannot be used; the built-in assistant "
    'still works. Install it with `make setup`, or CMAKE_ARGS="-DGGML_NATIVE=OFF" pip install '
    "'iea-desktop[llama]' (README, Quick start)"
)


def llama_cpp_installed() -> bool:
    """Whether llama-cpp-python can be imported (found without loading its libraries)."""
    try:
        return importlib.util.find_spec("llama_cpp") is not None
    except (ImportError, ValueError):  # ValueError: blocked in sys.modules
        return False


def load_model_assistant(
    model_path: str | Path,
    mmproj_path: str | Path | None = None,
    progress: Callable[[float, str], None] | None = None,
    dialect: str | None = None,
    n_threads: int | None = None,
    auto_mmproj: bool = True,
) -> ModelAssistant:
    """Load a GGUF (and its mmproj, given or found next to it). Raises ModelFileError with a clear message.

    llama.cpp runs in a child process (backends/model_process.py): a model that crashes ends
    a turn with an error message instead of ending the app.
    """
    from .backends.model_process import IsolatedBackend

    if not llama_cpp_installed():
        raise ModelFileError(LLAMA_MISSING)
    model_path = Path(model_path)
    if mmproj_path is None and auto_mmproj and model_path.exists():
        mmproj_path = find_mmproj(model_path)
    backend = IsolatedBackend(model_path, mmproj_path=mmproj_path, n_threads=n_threads)
    backend.load(progress=progress)
    return ModelAssistant(backend, dialect_for(f"{backend.name} {model_path.name}", dialect))


def load_assistant(model: str | None, mmproj: str | None = None, progress=None, dialect: str | None = None):
    """'builtin' / None -> the built-in assistant; anything else is a GGUF path."""
    if model in (None, "", "builtin"):
        return builtin_assistant()
    if not str(model).lower().endswith(".gguf") and not Path(model).exists():
        raise ModelFileError(f"{model}: not a model file (expected builtin or a .gguf path)")
    return load_model_assistant(model, mmproj, progress=progress, dialect=dialect)


__all__ = ["ModelAssistant", "ModelFileError", "builtin_assistant", "load_assistant", "load_model_assistant"]
