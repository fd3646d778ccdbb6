"""Planning: the active nodes of a graph grouped into steps, each computed in one pass.

Runs of point operations fuse into one Program of the compiled kernel (``pointops.py``), masked
ones among them (each mixed by its mask inside the Program); every other node is a step of its own,
with the point run after it where its op ends in a kernel pass of its own (``OpSpec.fuses_after``).
A step says how it may be scheduled (``strips.py``): over strips or whole, with how many rows of
context, reading 8-bit input, finishing its own output.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import pointops
from .apply_node import apply_node, node_seed
from .graph import Node
from .ops.base import POINT_KINDS, RenderContext


@dataclass(frozen=True, kw_only=True)
class Step:
    """One or more consecutive nodes computed together (a fused run, or one node)."""

    nodes: list[Node]
    last: int  # index of the step's last node in the active list
    # run(strip, frame, origin, out, out_offset): as apply_node (out None: the whole result)
    run: Callable[..., np.ndarray]
    tiles: bool  # it may run on horizontal strips (else on the whole picture: geometry)
    halo: int  # rows of context a strip reads above and below its own
    reads_8bit: bool = False  # run() also takes 8-bit strips (the export path's source), converting as it reads
    finishes: bool = False  # run() also takes an 8-bit out, which it writes finished (OpSpec.finishes)


def plan(
    active: list[Node],
    start: int,
    scale: float,
    split_at: int | None = None,
    estimates: dict | None = None,
    camera=None,
    masks: dict | None = None,
) -> list[Step]:
    """Group active[start:] into steps: runs of point ops fuse into one Program (see pointops.py),
    except runs of affine ops alone (each already one cheap pass); the rest is one step per node.

    ``split_at``: a node that starts a new step even inside a fused run, so that the step before
    it ends there and its output (this node's input) is cached: the node being edited.
    ``camera``: the photo's RAW colour, if it is one (RenderContext.camera).
    ``estimates``: whole-picture estimates by node index (``render.estimates``).
    ``masks``: the masked nodes' ``MaskPlane`` by node index. A masked point op joins a fused run
    at any opacity (its mask times its opacity mixes it in the Program); other masked nodes, and
    masked point ops without a plane, are steps of their own.
    """
    estimates, masks = estimates or {}, masks or {}
    steps: list[Step] = []
    i = start
    while i < len(active):
        node = active[i]
        j = _fused_end(active, i, i, masks, split_at)
        if any(n.spec.point != "affine" or n.mask is not None for n in active[i:j]):
            steps.append(
                Step(
                    nodes=active[i:j],
                    last=j - 1,
                    run=_program(active, i, j, scale, masks, camera).run,
                    tiles=True,
                    halo=0,
                    reads_8bit=True,
                )
            )
            i = j
            continue
        halo = 0
        if node.spec.halo is not None:
            halo = int(node.spec.halo(node.params, RenderContext(scale=scale, seed=node_seed(node))))
        # the point run after an op that ends in a kernel pass joins that pass (not after a mix)
        j = i + 1
        if node.spec.fuses_after and node.mask is None and node.opacity >= 1.0:
            j = _fused_end(active, i + 1, i, masks, split_at)
        then = _program(active, i + 1, j, scale, masks, camera) if j > i + 1 else None
        run = functools.partial(
            _run_node, node=node, scale=scale, estimate=estimates.get(i), camera=camera, mask=masks.get(i), then=then
        )
        steps.append(
            Step(
                nodes=active[i:j],
                last=j - 1,
                run=run,
                tiles=bool(node.spec.tiles),
                halo=halo,
                finishes=node.spec.finishes and node.opacity >= 1.0 and node.mask is None and j == i + 1,
            )
        )
        i = j
    return steps


def _fused_end(active: list[Node], j: int, step: int, masks: dict, split_at: int | None) -> int:
    """Where the run of nodes that may fuse from ``active[j]`` on ends, in a step that starts at
    ``step``: the node being edited (``split_at``) starts a step of its own."""
    while j < len(active) and _fuses(active[j], j in masks) and not (j == split_at and j > step):
        j += 1
    return j


def _program(active: list[Node], i: int, j: int, scale: float, masks: dict, camera) -> pointops.Program:
    """The Program of the point nodes active[i:j], with their mask planes."""
    return pointops.program(active[i:j], scale, [masks.get(k) for k in range(i, j)], camera)


def _fuses(node: Node, has_plane: bool) -> bool:
    """Whether a node may join a fused run: a point op at full opacity, or a masked point op whose
    mask plane the renderer made (``has_plane``)."""
    if node.mask is None:
        return pointops.fusable(node, POINT_KINDS)
    return has_plane and node.spec.point in POINT_KINDS


def _run_node(
    image: np.ndarray,
    frame: tuple[int, int] | None,
    origin: int,
    out: np.ndarray | None = None,
    offset: int = 0,
    *,
    node: Node,
    scale: float,
    estimate,
    camera,
    mask,
    then,
) -> np.ndarray:
    """A node's step: ``apply_node`` with the step's node, scale, estimate, camera and mask, and
    ``then``, the Program of the point nodes fused after it (or None)."""
    return apply_node(image, node, scale, frame, origin, out, offset, estimate, camera, mask, then)
