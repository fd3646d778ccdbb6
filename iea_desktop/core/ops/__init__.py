"""The op registry: every module in this package that defines ``OP`` is an operation.

Adding an operation means adding one file here. Everything else (sliders, the model's tool
schema and grammar, validation, project files, the docs' tool table) reads this registry.
"""

from __future__ import annotations

import importlib
import pkgutil

from .base import OpError, OpSpec, Param, RenderContext

# Names IEA-trained models use for some tools (iea-tools.md, "Contract").
ALIASES = {"sharpen": "sharpness", "hue": "temperature", "lightness": "highlights"}


def _discover() -> dict[str, OpSpec]:
    ops = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        spec = getattr(module, "OP", None)
        if isinstance(spec, OpSpec):
            ops[spec.name] = spec
    return dict(sorted(ops.items(), key=lambda item: item[1].sort_key))


REGISTRY: dict[str, OpSpec] = _discover()

# The 16 IEA tools, in the reference's canonical order.
IEA_TOOLS: tuple[str, ...] = tuple(name for name, spec in REGISTRY.items() if spec.iea_tool)


def resolve_name(name: str) -> str:
    """Canonical op name for a name or alias; OpError listing the valid names otherwise."""
    if not isinstance(name, str):
        raise OpError(f"tool name must be a string; got {name!r}")
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key not in REGISTRY:
        raise OpError(f"unknown tool {name!r}; valid tools: {', '.join(REGISTRY)}")
    return key


def get_op(name: str) -> OpSpec:
    return REGISTRY[resolve_name(name)]


__all__ = ["ALIASES", "IEA_TOOLS", "REGISTRY", "OpError", "OpSpec", "Param", "RenderContext", "get_op", "resolve_name"]
