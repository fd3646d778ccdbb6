"""Running one node on one picture (or one strip of it): the op's pixel function, mixed with its
input by the node's mask and opacity. Every renderer path and the point-op fusion's tables go
through here."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from .graph import Node
from .ops.base import RenderContext


def node_seed(node: Node) -> int:
    """A stable seed per node (grain must render the same pixels every time)."""
    return zlib.crc32(node.id.encode())


@dataclass
class Then:
    """The point nodes after a node (``program``, a pointops.Program) that the node's op runs in
    its own last pass of the compiled kernel (RenderContext.then_stages); ``used``: whether it did."""

    program: Any
    frame: tuple[int, int] | None
    whole: tuple[int, int]  # the picture's size
    used: bool = False

    def stages(self, first: int, rows: int, width: int) -> list:
        self.used = True
        return self.program.strip_stages(self.frame, self.whole, first, rows, width)


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
    then=None,
) -> np.ndarray:
    """One node on one image: the op's pixel function, mixed with its input by the node's mask
    (``mask``: its ``MaskPlane``, which the renderer builds) and opacity,
    ``out = in + opacity * mask * (op(in) - in)``.

    For strips (see RenderContext): the image is rows ``origin``.. of a ``frame``-sized picture;
    with ``out``, rows ``out_offset``.. of the result are written there and ``out`` is returned.
    ``camera``: the photo's RAW colour, if it is one (RenderContext.camera).
    ``estimate``: the node's whole-picture estimate (``estimates``), if its op needs one.
    ``then``: the point nodes after this one (a pointops.Program), run on its result: in the op's
    own kernel pass where it declares ``OpSpec.fuses_after`` (steps.plan fuses only unmasked nodes
    at full opacity), else here.
    """
    # geometry has no meaningful partial opacity (nor masks: graph.parse_mask)
    blend = (node.opacity < 1.0 or mask is not None) and node.spec.stage != "geometry"
    if then is not None and blend:
        raise ValueError("the point nodes after a masked or faded node run after its mix, not in its pass")
    follow = None if then is None else Then(then, frame, frame or image.shape[:2])
    ctx = RenderContext(
        scale=scale,
        seed=node_seed(node),
        frame=frame,
        origin=origin,
        out=None if blend else out,
        out_offset=out_offset,
        estimate=estimate,
        camera=camera,
        then=follow if node.spec.fuses_after else None,
    )
    result = node.spec.apply(image, node.params, node.version, ctx)
    if out is not None and result is not out:
        result = np.asarray(result, dtype=np.float32)
        if blend and result.shape == image.shape:
            result = mix(image, result, node, mask, frame, origin, out, out_offset)
        else:
            out[...] = result[out_offset : out_offset + out.shape[0]]
            result = out
    elif out is None:
        result = np.asarray(result, dtype=np.float32)
        if blend and result.shape == image.shape:
            result = mix(image, result, node, mask, frame, origin, out, out_offset)
    if follow is not None and not follow.used:  # the op did not run them (an identity, or not declared)
        if out is None and np.may_share_memory(result, image):
            result = result.copy()  # never over the input's pixels, which may be a cached render's
        first = origin + (out_offset if out is not None else 0)
        then.run(result, frame, first, out=result)
    return result


def mix(
    image: np.ndarray,
    result: np.ndarray,
    node: Node,
    mask,
    frame: tuple[int, int] | None,
    origin: int = 0,
    out: np.ndarray | None = None,
    out_offset: int = 0,
) -> np.ndarray:
    """``result`` (the op's, over ``image``) mixed with ``image`` by the node's ``mask`` (a
    ``MaskPlane`` or None) and opacity: rows ``out_offset``.. (a strip's context rows are read, not
    written), into ``out`` when given (as ``apply_node``)."""
    rows = out.shape[0] if out is not None else image.shape[0] - out_offset
    before = image[out_offset : out_offset + rows]
    after = result[out_offset : out_offset + rows]
    if mask is None:
        mixed = np.subtract(after, before, out=out)
        mixed *= np.float32(node.opacity)
        mixed += before
        return mixed
    top = origin + out_offset
    into_after, into_before = mask.weights(frame or image.shape[:2], top, top + rows, node.opacity)
    # one pass in OpenCV: (w1 after + w2 before) / (w1 + w2), the weights summing to 1e5 (MaskPlane.weights)
    if out is None:
        return cv2.blendLinear(after, before, into_after, into_before)
    cv2.blendLinear(after, before, into_after, into_before, dst=out)
    return out
