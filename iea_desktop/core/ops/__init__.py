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


def registry_markdown() -> str:
    """The tool table in docs/tools.md, generated from the registry (``make docs`` rewrites it)."""
    lines = [
        "# Tools",
        "",
        "Generated from the op registry (`iea_desktop/core/ops/`) by `make docs`; do not edit by hand.",
        "Pipeline order is the table's order. The 16 IEA tools take one value in [-100, 100] (0 = off).",
        "Version 1 reproduces the IEA reference renderer exactly (nodes made by IEA-trained models);",
        "the latest version is what a person or a general model gets.",
        "",
        "| tool | stage | what it does | parameters | versions |",
        "| --- | --- | --- | --- | --- |",
    ]
    for spec in REGISTRY.values():
        params = "; ".join(
            f"`{p.name}` {p.kind} {p.minimum:g}..{p.maximum:g} (default {p.default}): {p.help}"
            if p.numeric
            else f"`{p.name}` curve, points on {p.minimum:g}..{p.maximum:g} (default {p.text(p.default)}): {p.help}"
            if p.kind == "curve"
            else f"`{p.name}` {p.kind}{' of ' + ', '.join(p.choices) if p.choices else ''}: {p.help}"
            for p in spec.params
        )
        versions = "; ".join(f"v{v}: {spec.version_notes.get(v, 'only version')}" for v in sorted(spec.versions))
        name = f"**{spec.name}**" + (" (IEA)" if spec.iea_tool else "")
        lines.append(f"| {name} | {spec.stage} | {spec.help} | {params} | {versions} |")
    aliases = ", ".join(f"`{a}` -> `{t}`" for a, t in ALIASES.items())
    lines += ["", f"Aliases accepted from models: {aliases}.", ""]
    formulas = [spec for spec in REGISTRY.values() if spec.math]
    if formulas:
        lines += ["## Formulas", ""]
        for spec in formulas:
            lines += [f"**{spec.name}**: {spec.math}", ""]
    return "\n".join(lines)


__all__ = [
    "ALIASES",
    "IEA_TOOLS",
    "REGISTRY",
    "OpError",
    "OpSpec",
    "Param",
    "RenderContext",
    "get_op",
    "registry_markdown",
    "resolve_name",
]
