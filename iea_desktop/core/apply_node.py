"""Running one node on one picture (or one strip of it): the op's pixel function, blended by the
node's opacity. Every renderer path and the point-op fusion's tables go through here."""

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
) -> np.ndarray:
    """One node on one image: the op's pixel function, blended by the node's opacity.

    For strips (see RenderContext): the image is rows ``origin``.. of a ``frame``-sized picture;
    with ``out``, rows ``out_offset``.. of the result are written there and ``out`` is returned.
    ``camera``: the photo's RAW colour, if it is one (RenderContext.camera).
    ``estimate``: the node's whole-picture estimate (``estimates``), if its op needs one.
    """
    blend = node.opacity < 1.0 and node.spec.stage != "geometry"  # geometry has no meaningful partial opacity
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
        result = image + np.float32(node.opacity) * (result - image)
    if out is None:
        return result
    out[...] = result[out_offset : out_offset + out.shape[0]]
    return out
