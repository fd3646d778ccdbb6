"""Fusion of neighbouring point operations into one pass over the pixels.

Why: most of the 16 tools change each channel value on its own (exposure, brightness, contrast,
fade, the five tone curves, temperature, tint). Run one by one, each costs a full pass over the
image, and they are memory-bound; fused, the whole run costs about one pass. Saturation and
vibrance likewise share one HSV round trip instead of one each.

How, for a run of consecutive point nodes (``OpSpec.point``; full opacity only):

- leading "affine" nodes (x -> a x + b, unclipped) compose exactly into one (a, b);
- from the first "curve" node on (which clips its input to [0, 1]), the rest of the run is a
  per-channel function of one value in [0, 1]. It is tabulated at 65,536 evenly spaced inputs by
  running the nodes' own pixel functions on a ramp, so the table holds exactly the unfused
  float32 results there; a pixel looks up its nearest entry. Inputs are thus quantised to 16 bits
  (half a 16-bit step at most), which keeps 16-bit and RAW precision: a 16-bit photo's own
  levels fall exactly on table entries.
- a run of affine nodes only is left to the nodes themselves (each is already one cheap pass,
  and their outputs then stay individually in the render cache).

The IEA-exact pipeline (``iea_exact.py``) never comes here: its quantisation is the reference's.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from threading import Lock

import cv2
import numpy as np

from .graph import Node
from .ops.base import RenderContext

LUT_SIZE = 65536
_TOP = LUT_SIZE - 1


def fusable(node: Node, kinds: tuple[str, ...]) -> bool:
    return node.spec.point in kinds and node.opacity >= 1.0


def affine_of(node: Node) -> tuple[float, float]:
    """(a, b) with node(x) = a x + b, read from the op's own pixel function in double precision."""
    ends = node.spec.apply(np.array([0.0, 1.0]), node.params, node.version, RenderContext())
    b = float(ends[0])
    return float(ends[1]) - b, b


@lru_cache(maxsize=1)
def opencv_lut16() -> bool:
    """Whether cv2.LUT takes 16-bit indices (OpenCV 5); numpy's take stands in otherwise."""
    try:
        out = cv2.LUT(np.array([[0, 65535]], dtype=np.uint16), np.arange(LUT_SIZE, dtype=np.float32).reshape(1, -1))
        return out is not None and float(out[0, 1]) == 65535.0
    except cv2.error:
        return False


@dataclass(frozen=True)
class PointRun:
    """A fused run: out = table[round(65535 * clip(a x + b, 0, 1))], or a x + b when there is no table."""

    a: float
    b: float
    table: np.ndarray | None  # (1, 65536) for all channels alike, (1, 65536, 3) per channel

    def apply(self, image: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """The run's result, written into ``out`` (same shape as the image) when given."""
        if out is None:
            out = np.empty(image.shape, dtype=np.float32)
        if self.table is None:
            np.multiply(image, np.float32(self.a), out=out)
            return np.add(out, np.float32(self.b), out=out)
        index = to_index(image, self.a, self.b)
        if opencv_lut16():
            return cv2.LUT(index, self.table, dst=out)
        table = self.table.reshape(LUT_SIZE, -1)
        if table.shape[1] == 1:
            return np.take(table[:, 0], index, out=out)
        for c in range(index.shape[-1]):
            out[..., c] = table[:, c].take(index[..., c])
        return out


def to_index(image: np.ndarray, a: float, b: float) -> np.ndarray:
    """uint16 table index round(65535 * clip(a x + b, 0, 1)), in one OpenCV pass that saturates.

    OpenCV rounds through a 32-bit integer first: NaN, infinities and values whose a x + b is
    beyond +-32,768 come out as 0 (the first entry). The pipeline never makes such values; only
    damaged input could, and the renderer's output stays finite and in [0, 1] either way.
    """
    return cv2.addWeighted(image, a * _TOP, image, 0.0, b * _TOP, dtype=cv2.CV_16U)


def build(nodes: list[Node]) -> PointRun:
    """Fuse a run of affine/curve nodes (in order); see the module docstring."""
    a, b = 1.0, 0.0
    first_curve = len(nodes)
    for i, node in enumerate(nodes):
        if node.spec.point != "affine":
            first_curve = i
            break
        na, nb = affine_of(node)
        a, b = na * a, na * b + nb
    rest = nodes[first_curve:]
    return PointRun(a, b, table(rest) if rest else None)


_tables: OrderedDict[tuple, np.ndarray] = OrderedDict()
_tables_lock = Lock()


def table(nodes: list[Node]) -> np.ndarray:
    """The run's table: the nodes' own pixel functions (opacity and all) evaluated on a 65,536-step ramp."""
    from .render import apply_node

    key = tuple((n.op, n.version, tuple(sorted(n.params.items())), n.opacity) for n in nodes)
    with _tables_lock:
        found = _tables.get(key)
        if found is not None:
            _tables.move_to_end(key)
            return found
    ramp = np.arange(LUT_SIZE, dtype=np.float32) / np.float32(_TOP)
    image = np.repeat(ramp[None, :, None], 3, axis=2)
    for node in nodes:
        image = apply_node(image, node, 1.0)
    result = np.ascontiguousarray(image, dtype=np.float32)
    if np.array_equal(result[..., 0], result[..., 1]) and np.array_equal(result[..., 0], result[..., 2]):
        result = np.ascontiguousarray(result[..., 0])  # one table for all channels: a cheaper lookup
    result.setflags(write=False)
    with _tables_lock:
        _tables[key] = result
        while len(_tables) > 64:
            _tables.popitem(last=False)
    return result


def saturation_maps(nodes: list[Node]) -> list:
    """The (S, V) -> S maps of a run of saturation nodes, in order (one HSV round trip for all)."""
    return [node.spec.saturation[node.version](node.params) for node in nodes]
