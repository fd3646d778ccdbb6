"""Running one node on one picture (or one strip of it): the op's pixel function, mixed with its
input by the node's mask and opacity. Every renderer path and the point-op fusion's tables go
through here."""

from __future__ import annotations

import zlib

import numpy as np

from .graph import Node
from .ops.base import RenderContext


def node_seed(node: Node) -> int:
    """A stable seed per node (grain must render the same pixels every time)."""
    return zlib.crc32(node.id.encode())


def apply_node(
    image: np.ndarray,
    node: Node,
    scale: float,
    frame: tuple[int, int] | None = None,
    origin: int = 0,
    out: np.ndarray | None = None,
    out_offset: int = 0,
    estimate=None,
    camera=None,
    mask=None,
) -> np.ndarray:
    """One node on one image: the op's pixel function, mixed with its input by the node's mask
    (``mask``: its ``MaskPlane``, which the renderer builds) and opacity,
    ``out = in + opacity * mask * (op(in) - in)``.

    For strips (see RenderContext): the image is rows ``origin``.. of a ``frame``-sized picture;
    with ``out``, rows ``out_offset``.. of the result are written there and ``out`` is returned.
    ``camera``: the photo's RAW colour, if it is one (RenderContext.camera).
    ``estimate``: the node's whole-picture estimate (``estimates``), if its op needs one.
    """
    # geometry has no meaningful partial opacity (nor masks: graph.parse_mask)
    blend = (node.opacity < 1.0 or mask is not None) and node.spec.stage != "geometry"
    ctx = RenderContext(
        scale=scale,
        seed=node_seed(node),
        frame=frame,
        origin=origin,
        out=None if blend else out,
        out_offset=out_offset,
        estimate=estimate,
        camera=camera,
    )
    result = node.spec.apply(image, node.params, node.version, ctx)
    if out is not None and result is out:
        return out
    result = np.asarray(result, dtype=np.float32)
    if blend and result.shape == image.shape:
        rows = out.shape[0] if out is not None else image.shape[0] - out_offset
        if mask is None:
            weight = np.float32(node.opacity)
        else:  # only the rows asked for (a strip's context rows are read, not written)
            top = origin + out_offset
            weight = mask.rows(frame or image.shape[:2], top, top + rows)[..., None]
            if node.opacity < 1.0:
                weight = weight * np.float32(node.opacity)
        before = image[out_offset : out_offset + rows]
        mixed = np.subtract(result[out_offset : out_offset + rows], before, out=out)
        mixed *= weight
        mixed += before
        return mixed
    if out is None:
        return result
    out[...] = result[out_offset : out_offset + out.shape[0]]
    return out
