"""The IEA reference renderer's pipeline, reproduced exactly (iea-tools.md, "Pipeline order").

Used for nodes an IEA-trained model created when rendering with ``--iea-exact``, and for the
fidelity tests. It quantises to 8 bits between stages, as the reference does, and so is only
for 8-bit comparison work; ordinary editing uses the float pipeline in ``render.py``.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from .ops import IEA_TOOLS, REGISTRY, OpError, resolve_name
from .ops.base import trunc8


def normalise_values(values: dict) -> dict[str, int]:
    """Canonical names, integer values clamped to [-100, 100]; unknown names raise OpError."""
    out: dict[str, int] = {}
    for name, value in values.items():
        spec = REGISTRY[resolve_name(name)]
        if not spec.iea_tool:
            raise OpError(f"{name!r} is not one of the 16 IEA tools: {', '.join(IEA_TOOLS)}")
        out[spec.name] = spec.param("value").coerce(value, spec.name)
    return out


def _stage(values: dict[str, int], stage: str) -> list[tuple[str, int]]:
    """The non-zero tools of one stage, in canonical order (0 means the step is skipped)."""
    return [(n, values[n]) for n in IEA_TOOLS if REGISTRY[n].stage == stage and values.get(n, 0) != 0]


def _exact(name: str) -> Callable:
    """The reference's function for one of the 16 tools (each of them has one)."""
    function = REGISTRY[name].iea_exact
    assert function is not None, f"{name} has no iea_exact"
    return function


def render_iea_exact(image_u8: np.ndarray, values: dict, seed: int = 0) -> np.ndarray:
    """Render an 8-bit RGB image with the 16 tools as the IEA reference does."""
    values = normalise_values(values)
    img = image_u8

    # Stage A: float, no clipping between steps.
    stage_a = _stage(values, "A")
    if stage_a:
        x = img.astype(np.float32) / 255
        for name, v in stage_a:
            x = _exact(name)(x, v)
        img = trunc8(255 * np.clip(x, 0.0, 1.0))

    # Stage B: 8-bit lookup tables, applied one after the other (composed into one table).
    stage_b = _stage(values, "B")
    if stage_b:
        table = np.arange(256, dtype=np.uint8)
        for name, v in stage_b:
            table = _exact(name)(v)[table]
        img = cv2.LUT(img, table)

    # Stage C: the reference always round-trips through 8-bit HSV, even with nothing to do.
    hsv = cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_RGB2HSV)
    s = hsv[..., 1].astype(np.float32) / 255
    for name in ("saturation", "vibrance"):
        if values.get(name, 0) != 0:
            s = _exact(name)(s, values[name])
    hsv[..., 1] = trunc8(255 * s)
    img = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    for name in ("temperature", "tint"):
        if values.get(name, 0) != 0:
            img = _exact(name)(img, values[name])

    # Stage D: float again.
    stage_d = _stage(values, "D")
    if stage_d:
        x = img.astype(np.float32) / 255
        rng = np.random.default_rng(seed)
        for name, v in stage_d:
            x = _exact(name)(x, v, rng) if name == "grain" else _exact(name)(x, v)
        img = trunc8(255 * np.clip(x, 0.0, 1.0))

    # Stage E: 8-bit.
    for name, v in _stage(values, "E"):
        img = _exact(name)(img, v)
    return img


def graph_values(nodes) -> tuple[dict[str, int], int]:
    """The IEA tool values of a graph's enabled nodes (several nodes of one tool add up) and a grain seed."""
    from .apply_node import node_seed

    values: dict[str, int] = {}
    seed = 0
    for node in nodes:
        if node.enabled and node.spec.iea_tool:
            values[node.op] = max(-100, min(100, values.get(node.op, 0) + node.params["value"]))
            if node.op == "grain":
                seed = node_seed(node)
    return values, seed
