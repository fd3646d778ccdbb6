"""Fusion of neighbouring point operations into one pass over the pixels.

Why: 14 of the 16 tools change each pixel on its own (exposure, brightness, contrast, fade, the
five tone curves, temperature, tint, saturation, vibrance, grain, vignette). Run one by one, each
costs at least a full pass over the image, and they are memory-bound; fused, a whole run of them
is one pass of the compiled loop in ``_kernel.c`` (a ``Program``), in small chunks that stay in
the CPU's cache.

A run of consecutive point nodes (``OpSpec.point``; full opacity only) becomes a Program of
stages, made from the ops' own definitions:

- affine and curve nodes: a lookup table (below) per run of curves; a curve that is a straight
  line after its clip (a colour offset: temperature, tint) is a clip and a multiply-add per
  channel instead, and affine nodes alone one multiply-add;
- saturation nodes (saturation, vibrance): their maps of HSV saturation, composed and tabulated
  on a grid of (S, V) and read back with bilinear interpolation; the kernel applies the new
  saturation in RGB, keeping hue and value, as an HSV round trip would;
- field nodes (vignette, grain): their per-pixel multiply-add, whose arrays the op makes for
  each strip (noise, mask), as the renderer works in strips.
- kernel nodes (the colour mixer, white balance): the kernel stages the op itself is made of
  (``OpSpec.stages``).
- a masked node (any of the above, at any opacity): its own stages between a SAVE of the pixels
  and a MIX with them by its mask's weights per pixel (``MaskMix``, made for each strip), so that
  masked local adjustments stay in the one pass instead of a pass and a blend each.

The lookup table, for a run of affine and curve nodes:

- leading "affine" nodes (x -> a x + b, unclipped) compose exactly into one (a, b);
- from the first "curve" node on (which clips its input to [0, 1]), the rest of the run is a
  per-channel function of one value in [0, 1]. It is tabulated at 65,536 evenly spaced inputs by
  running the nodes' own pixel functions on a ramp, so the table holds exactly the unfused
  float32 results there; a pixel looks up its nearest entry. Inputs are thus quantised to 16 bits
  (half a 16-bit step at most), which keeps 16-bit and RAW precision: a 16-bit photo's own
  levels fall exactly on table entries. NaN reads the first entry.
- a run of affine nodes only is left to the nodes themselves (each is already one cheap pass,
  and their outputs then stay individually in the render cache).

The error of a Program against the nodes one by one: at most half a 16-bit step times a curve's
slope, and for the saturation grid a few 1e-4 where a map clips (tests: within 1e-3 for every
op, version and order; the typical error is far below).

The IEA-exact pipeline (``iea_exact.py``) never comes here: its quantisation is the reference's.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from threading import Lock
from typing import TYPE_CHECKING

import numpy as np

from . import kernel
from .apply_node import apply_node, node_seed
from .graph import Node
from .ops.base import RenderContext

if TYPE_CHECKING:
    from .masks.plane import MaskPlane

LUT_SIZE = 65536
_TOP = LUT_SIZE - 1


def _key(node: Node) -> tuple:
    """What a node's tables depend on: op, version and values."""
    return node.op, node.version, tuple(sorted(node.params.items()))


def fusable(node: Node, kinds: tuple[str, ...]) -> bool:
    return node.spec.point in kinds and node.opacity >= 1.0


def affine_of(node: Node) -> tuple[float, float]:
    """(a, b) with node(x) = a x + b, read from the op's own pixel function in double precision."""
    ends = node.spec.apply(np.array([0.0, 1.0]), node.params, node.version, RenderContext())
    b = float(ends[0])
    return float(ends[1]) - b, b


@dataclass(frozen=True)
class PointRun:
    """A run of affine/curve nodes as out = table[round(65535 * clip(a x + b, 0, 1))], or a x + b
    when there is no table (affine nodes only)."""

    a: float
    b: float
    table: np.ndarray | None  # (65536,) for all channels alike, (65536, 3) per channel


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


def _remembered(key: tuple, make) -> np.ndarray:
    """A table from the cache of the last 64 made (a slider drag makes one per value), or made now."""
    with _tables_lock:
        found = _tables.get(key)
        if found is not None:
            _tables.move_to_end(key)
            return found
    result = make()
    result.setflags(write=False)
    with _tables_lock:
        _tables[key] = result
        while len(_tables) > 64:
            _tables.popitem(last=False)
    return result


def table(nodes: list[Node]) -> np.ndarray:
    """The run's table: the nodes' own pixel functions (opacity and all) evaluated on a 65,536-step ramp."""

    def make() -> np.ndarray:
        ramp = np.arange(LUT_SIZE, dtype=np.float32) / np.float32(_TOP)
        image = np.repeat(ramp[None, :, None], 3, axis=2)
        for node in nodes:
            image = apply_node(image, node, 1.0)
        result = np.ascontiguousarray(image[0], dtype=np.float32)
        if np.array_equal(result[:, 0], result[:, 1]) and np.array_equal(result[:, 0], result[:, 2]):
            result = np.ascontiguousarray(result[:, 0])  # one table for all channels: a cheaper lookup
        return result

    return _remembered(tuple(_key(n) + (n.opacity,) for n in nodes), make)


# --- Programs: whole runs of point nodes through the compiled kernel ------------------------------

SATURATION_GRID = (2049, 65)  # S and V samples of a saturation table


@dataclass(frozen=True)
class MaskMix:
    """A masked node's MIX stage in a Program: its mask times its opacity, read for each strip."""

    plane: MaskPlane
    opacity: float

    def stage(self, frame: tuple[int, int], y0: int, y1: int) -> tuple:
        weights = self.plane.rows(frame, y0, y1)
        if self.opacity < 1.0:
            weights = weights * np.float32(self.opacity)
        return kernel.MIX, np.ascontiguousarray(weights, dtype=np.float32)


@dataclass(frozen=True)
class Program:
    """A fused run of point nodes: stages for ``kernel.run``; a field node's arrays and a masked
    node's weights are made per strip."""

    stages: tuple  # stage tuples, a field node or a MaskMix (their stages are made for each strip)
    scale: float

    def run(
        self,
        image: np.ndarray,
        frame: tuple[int, int] | None = None,
        origin: int = 0,
        out: np.ndarray | None = None,
        out_offset: int = 0,
    ) -> np.ndarray:
        """As ``apply_node``: the run over an image (or a strip of a frame), into ``out`` if given.
        An 8-bit image is read as float32(b) / 255, as the photo loader converts it."""
        whole = frame or image.shape[:2]  # a mask's frame (as apply_node.mix's)
        if out is not None:
            image = image[out_offset : out_offset + out.shape[0]]
            origin += out_offset
        source = np.ascontiguousarray(image, dtype=np.uint8 if image.dtype == np.uint8 else np.float32)
        if out is None:
            out = np.empty(source.shape, dtype=np.float32)
        rows, width = source.shape[:2]
        return kernel.run(source, out, self.strip_stages(frame, whole, origin, rows, width))

    def strip_stages(self, frame: tuple[int, int] | None, whole: tuple[int, int], origin: int, rows: int, width: int):
        """The kernel's stages for ``rows`` rows from row ``origin`` of a picture (``frame`` as
        RenderContext's; ``whole``: its size): a field node's arrays and a mask's weights made for them."""
        stages = []
        for stage in self.stages:
            if isinstance(stage, Node):
                ctx = RenderContext(scale=self.scale, seed=node_seed(stage), frame=frame, origin=origin)
                f, g, k = stage.spec.fields[stage.version](stage.params, ctx, rows, width)
                stage = (kernel.FIELD, _contiguous(f), _contiguous(g), float(k))
            elif isinstance(stage, MaskMix):
                stage = stage.stage(whole, origin, origin + rows)
            stages.append(stage)
        return stages


def _contiguous(array: np.ndarray | None) -> np.ndarray | None:
    return None if array is None else np.ascontiguousarray(array, dtype=np.float32)


def program(nodes: list[Node], scale: float, masks: Sequence[MaskPlane | None] = (), camera=None) -> Program:
    """The Program of a run of point nodes (any kinds, in order, full opacity unless masked).
    ``masks``: the nodes' mask planes in the same order (None: not masked; missing: none masked);
    a masked node is [SAVE, its own stages at full opacity, MIX by its mask times its opacity].
    ``camera``: the photo's RAW colour, if it is one (RenderContext.camera: white balance's stages)."""
    stages: list = []
    i = 0
    while i < len(nodes):
        plane = masks[i] if i < len(masks) else None
        if plane is not None:
            own = program([dataclasses.replace(nodes[i], mask=None, opacity=1.0)], scale, camera=camera)
            stages += [(kernel.SAVE,), *own.stages, MaskMix(plane, nodes[i].opacity)]
            i += 1
            continue
        kind = nodes[i].spec.point
        j = i + 1
        if kind in ("affine", "curve", "saturation"):
            same = ("affine", "curve") if kind != "saturation" else ("saturation",)
            while j < len(nodes) and nodes[j].spec.point in same and (j >= len(masks) or masks[j] is None):
                j += 1
        if kind == "saturation":
            stages.append((kernel.SATURATION, saturation_table(nodes[i:j]), *SATURATION_GRID))
        elif kind == "field":
            stages.append(nodes[i])
        elif kind == "kernel":
            stages.extend(nodes[i].spec.stages[nodes[i].version](nodes[i].params, camera))
        else:
            stages.extend(_tone_stages(nodes[i:j]))
        i = j
    return Program(tuple(stages), scale)


def _tone_stages(nodes: list[Node]) -> list[tuple]:
    """Stages for a run of affine and curve nodes: a curve that is a straight line after its clip
    (a colour offset) is a multiply-add of its own; neighbouring other curves share one table;
    affine nodes fold into what follows them (or stay one multiply-add at the end)."""
    stages: list[tuple] = []
    start = 0
    while start < len(nodes):
        end = start
        while end < len(nodes) and nodes[end].spec.point == "affine":
            end += 1
        if end < len(nodes):
            line = line_of(nodes[end])
            end += 1
            while (
                line is None and end < len(nodes) and nodes[end].spec.point == "curve" and line_of(nodes[end]) is None
            ):
                end += 1
        else:
            line = None
        run = build(nodes[start:end])
        if run.table is None:
            stages.append((kernel.AFFINE, run.a, run.b))
        elif line is not None:
            stages.append((kernel.CLIPPED_AFFINE, run.a, run.b, *line))
        else:
            stages.append((kernel.TABLE, run.a * _TOP, run.b * _TOP, run.table))
        start = end
    return stages


_lines: dict[tuple, tuple | None] = {}


def line_of(node: Node) -> tuple[tuple, tuple] | None:
    """A curve node's straight line after its clip (see straight_line), remembered per op, version, values."""
    key = _key(node)
    if key not in _lines:
        if len(_lines) > 4096:
            _lines.clear()
        _lines[key] = straight_line(table([node]))
    return _lines[key]


def straight_line(table: np.ndarray) -> tuple[tuple, tuple] | None:
    """(scales, offsets) per channel when the table is a straight line on [0, 1] in every channel
    (to 1e-6: colour offsets such as temperature and tint), so no lookup is needed; else None."""
    columns = table.reshape(LUT_SIZE, -1).astype(np.float64)
    offsets, scales = columns[0], columns[-1] - columns[0]
    ramp = np.arange(LUT_SIZE, dtype=np.float64)[:, None] / _TOP
    if np.abs(columns - (ramp * scales + offsets)).max() > 1e-6:
        return None
    if columns.shape[1] == 1:
        scales, offsets = np.repeat(scales, 3), np.repeat(offsets, 3)
    return tuple(float(v) for v in scales), tuple(float(v) for v in offsets)


def saturation_table(nodes: list[Node]) -> np.ndarray:
    """The saturation nodes' maps composed, on the (S, V) grid: rows V = j / (nv - 1), columns S = i / (ns - 1)."""

    def make() -> np.ndarray:
        ns, nv = SATURATION_GRID
        s = np.tile(np.linspace(0.0, 1.0, ns, dtype=np.float32), (nv, 1))
        v = np.tile(np.linspace(0.0, 1.0, nv, dtype=np.float32)[:, None], (1, ns))
        for node in nodes:
            s = np.clip(node.spec.saturation[node.version](node.params)(s, v), 0.0, 1.0)
        return np.ascontiguousarray(s, dtype=np.float32)

    return _remembered(("saturation",) + tuple(_key(n) for n in nodes), make)
