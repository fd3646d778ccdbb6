"""What an operation is: its parameters, pipeline position, versions and pixel functions.

Every op module under ``core/ops/`` defines one module-level ``OP = OpSpec(...)``. The registry
(``core/ops/__init__.py``) collects them; sliders, model schemas, validation and project files
all read the same definition.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# Pipeline position of each stage. Geometry runs first so every later op (vignette above all)
# works in the cropped/rotated frame. Letters A-E are the IEA reference's stages.
STAGE_ORDER = {"geometry": 0, "A": 1, "B": 2, "C": 3, "D": 4, "E": 5}


class OpError(ValueError):
    """An op name or parameter that the registry cannot accept; the message says why."""


CURVE_POINTS = (2, 16)  # fewest and most points of a "curve" parameter


@dataclass(frozen=True)
class Param:
    """One parameter. ``kind``: "int" or "float" (a number clamped to minimum..maximum), "bool",
    "choice" (one of ``choices``), or "curve": points ((x, y), ...) with x strictly increasing,
    both clamped to minimum..maximum, CURVE_POINTS many; stored as a tuple of pairs of floats
    (hashable, like every other value: caches key on params), written to JSON as lists."""

    name: str
    label: str
    minimum: float
    maximum: float
    default: Any
    help: str
    kind: str = "int"  # "int", "float", "bool", "choice" or "curve"
    choices: tuple[str, ...] = ()

    @property
    def numeric(self) -> bool:
        """A single number (int or float): what sliders, models and grammars handle."""
        return self.kind in ("int", "float")

    def coerce(self, value: Any, op_name: str) -> Any:
        """Validate and clamp one value; raise OpError for values of the wrong type."""
        if self.kind == "curve":
            return self._coerce_curve(value, op_name)
        if self.kind == "choice":
            if value not in self.choices:
                raise OpError(f"{op_name}.{self.name} must be one of {', '.join(self.choices)}; got {value!r}")
            return value
        if self.kind == "bool":
            if isinstance(value, bool):
                return value
            if isinstance(value, (int, float)) and value in (0, 1):
                return bool(value)
            raise OpError(f"{op_name}.{self.name} must be true or false; got {value!r}")
        if isinstance(value, bool) or not isinstance(value, numbers.Real):  # Real: numpy scalars too
            if isinstance(value, str):
                try:
                    value = float(value.strip())
                except ValueError:
                    raise OpError(f"{op_name}.{self.name} must be a number; got {value!r}") from None
            else:
                raise OpError(f"{op_name}.{self.name} must be a number; got {value!r}")
        if not isinstance(value, numbers.Integral) and not math.isfinite(value):  # a huge int clamps like any other
            raise OpError(f"{op_name}.{self.name} must be a finite number; got {value!r}")
        value = min(max(value, self.minimum), self.maximum)
        return int(round(value)) if self.kind == "int" else float(value)

    def _coerce_curve(self, value: Any, op_name: str) -> tuple[tuple[float, float], ...]:
        where = f"{op_name}.{self.name}"
        lo, hi = CURVE_POINTS
        if isinstance(value, (str, bytes, dict)) or not isinstance(value, (list, tuple)):
            raise OpError(f"{where} must be a list of [x, y] points; got {value!r}"[:300])
        if not lo <= len(value) <= hi:
            raise OpError(f"{where} must have {lo} to {hi} points; got {len(value)}")
        points = []
        for point in value:
            if (
                not isinstance(point, (list, tuple))
                or len(point) != 2
                or not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in point)
            ):
                raise OpError(f"{where}: each point must be a pair of numbers [x, y]; got {point!r}"[:300])
            if not all(isinstance(v, numbers.Integral) or math.isfinite(v) for v in point):
                raise OpError(f"{where}: points must be finite numbers; got {point!r}")
            x, y = (float(min(max(v, self.minimum), self.maximum)) for v in point)
            points.append((x, y))
        if any(b[0] <= a[0] for a, b in zip(points, points[1:])):
            raise OpError(
                f"{where}: the points' x must increase from one point to the next "
                f"(each within {self.minimum:g}..{self.maximum:g}); got {[list(p) for p in points]}"[:300]
            )
        return tuple(points)

    def text(self, value: Any) -> str:
        """A value as people read it in lists and the history: '2.5', '16:9', '3 points'."""
        if self.kind == "curve":
            return "straight" if value == self.default else f"{len(value)} points"
        return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class RenderContext:
    """What a pixel function may need besides its input.

    scale: rendered pixels per full-resolution pixel (1.0 for export, < 1 for the preview proxy),
    so radius-based effects look the same in preview and export.
    seed: a stable per-node seed, so grain renders the same pixels every time.
    frame, origin: the renderer may hand a pixel function a horizontal strip of the picture
    (rows ``origin`` .. ``origin + image height`` of a ``frame`` = (height, width) picture) so that
    big renders stay in cache and memory and use every core. Ops whose pixels depend on the
    position (vignette, grain) read them through ``frame_size`` and ``origin``; ``frame`` None
    means the image is the whole picture.
    out, out_offset: the renderer may also say where the result goes: it wants rows
    ``out_offset`` .. ``out_offset + len(out)`` of the result (the rest of a strip is context for a
    neighbourhood op), and an op may write exactly those rows into ``out`` and return ``out``,
    saving a copy. An op that ignores ``out`` returns its whole result, as usual. ``out`` is
    float32, or for an op that declares ``OpSpec.finishes``, possibly the 8-bit finished result.
    estimate: what the op's ``OpSpec.estimate`` found on the whole picture (the renderer computes
    it once per render, so every strip uses the same value); None: the op estimates from its input.
    then: the point nodes after this one, for an op that declares ``OpSpec.fuses_after``: it appends
    their stages (``then_stages``) to its own last pass of the compiled kernel, so that their run
    costs no pass over the picture of its own (the renderer runs them itself if the op does not).
    """

    scale: float = 1.0
    seed: int = 0
    frame: tuple[int, int] | None = None
    origin: int = 0
    out: np.ndarray | None = field(default=None, compare=False, repr=False)
    out_offset: int = 0
    camera: Any = (
        None  # a RAW's colour (colour_science.Camera), or a function that reads it: white balance acts in its space
    )
    estimate: Any = field(default=None, compare=False, repr=False)
    then: Any = field(default=None, compare=False, repr=False)  # apply_node.Then

    def frame_size(self, rows: int, width: int) -> tuple[int, int]:
        """(height, width) of the whole picture that a strip of ``rows`` x ``width`` belongs to."""
        return self.frame if self.frame is not None else (rows, width)

    def then_stages(self, rows: slice, width: int) -> list:
        """The stages of ``then`` for ``rows`` of this strip (what the op's last kernel pass
        reads), to append to that pass; [] when there is nothing after the op to fuse."""
        if self.then is None:
            return []
        return self.then.stages(self.origin + rows.start, rows.stop - rows.start, width)


PixelFn = Callable[[np.ndarray, dict, RenderContext], np.ndarray]
SaturationFn = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (S, V) in [0, 1] -> new S
# (params, ctx, rows, width) -> (f, g, k): the op is clip(x, 0, 1) f + k g on rows ctx.origin ..
# + rows of the picture, f and g being (rows, width) or (rows, width, 3) float32 arrays, or None
# for 1 and 0.
FieldFn = Callable[[dict, RenderContext, int, int], tuple]

# Point-operation kinds (``OpSpec.point``), which the renderer may fuse (see ``core/pointops.py``):
# "affine": the pixel function is x -> a x + b with the same a, b on every channel and no clipping;
# "curve": a per-channel function of clip(x, 0, 1), the same at every pixel (tone curves, colour
# offsets); "saturation": a map of HSV saturation, in ``OpSpec.saturation`` (``saturation_op``); "field":
# a per-pixel multiply-add that depends on the position (vignette, grain), in ``OpSpec.fields`` (``field_op``);
# "kernel": stages of the compiled kernel (core/_kernel.c), in ``OpSpec.stages`` (the colour mixer, white balance).
POINT_KINDS = ("affine", "curve", "saturation", "field", "kernel")


@dataclass(frozen=True)
class OpSpec:
    name: str
    label: str
    help: str
    stage: str
    order: int  # position within the canonical pipeline (global, ascending)
    params: tuple[Param, ...]
    versions: dict[int, PixelFn]  # version -> float32 RGB pixel function
    iea_tool: bool = False  # one of the 16 tools of the IEA paper (single "value" parameter)
    iea_exact: Callable | None = None  # the reference's stage-domain function (see iea_exact.py)
    version_notes: dict[int, str] = field(default_factory=dict)
    point: str | None = None  # one of POINT_KINDS when the renderer may fuse this op with its neighbours
    saturation: dict[int, Callable[[dict], SaturationFn]] = field(default_factory=dict)  # version -> S map
    fields: Mapping[int, FieldFn] = field(default_factory=dict)  # version -> per-pixel multiply-add (point="field")
    # version -> (params, camera) -> the op's kernel stages (point="kernel"; camera as RenderContext's)
    stages: Mapping[int, Callable[[dict, Any], list[tuple]]] = field(default_factory=dict)
    tiles: bool = False  # the pixel function may run on horizontal strips (see RenderContext)
    halo: Callable[[dict, RenderContext], int] | None = None  # rows of context a strip needs on each side
    # the pixel function may also be handed an 8-bit ``out`` (RGB or RGBX, see RenderContext) and
    # write its result there finished: clipped and rounded as finish.finish does (sharpness)
    finishes: bool = False
    # the pixel function ends in one pass of the compiled kernel, to which it appends the stages of
    # the point nodes after it (``RenderContext.then_stages``): the renderer fuses that run into it
    fuses_after: bool = False
    # geometry that changes the picture's size: (params, width, height) -> (width, height) of the
    # result, without rendering (the export dialog shows the size that will be written); None: same size
    size: Callable[[dict, int, int], tuple[int, int]] | None = None
    # a whole-picture estimate the pixel function needs (dehaze's atmospheric light): (small copy of
    # the op's input, ctx) -> value, made by the renderer (render.estimates) and passed as ctx.estimate
    estimate: Callable[[np.ndarray, RenderContext], Any] | None = None
    # the op's formulas, for docs/tools.md (registry_markdown prints them below the table)
    math: str = ""

    @property
    def latest_version(self) -> int:
        return max(self.versions)

    @property
    def sort_key(self) -> tuple[int, int]:
        return (STAGE_ORDER[self.stage], self.order)

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        valid = ", ".join(p.name for p in self.params)
        raise OpError(f"{self.name} has no parameter {name!r}; valid: {valid}")

    def defaults(self) -> dict:
        return {p.name: p.default for p in self.params}

    def validate(self, params: dict) -> dict:
        """Full parameter set: defaults filled in, values clamped, unknown names refused."""
        if not isinstance(params, dict):
            raise OpError(f"{self.name} parameters must be an object; got {type(params).__name__}")
        out = self.defaults()
        for key, value in params.items():
            out[key] = self.param(key).coerce(value, self.name)
        return out

    def is_identity(self, params: dict) -> bool:
        return all(params.get(p.name, p.default) == p.default for p in self.params)

    def apply(self, image: np.ndarray, params: dict, version: int, ctx: RenderContext) -> np.ndarray:
        if version not in self.versions:
            raise OpError(f"{self.name} has no version {version}; known: {sorted(self.versions)}")
        return self.versions[version](image, params, ctx)


def value_param(help: str, label: str = "Amount") -> tuple[Param, ...]:
    """The single -100..100 parameter that every IEA tool has."""
    return (Param("value", label, -100, 100, 0, help),)


def slider_map(v: float, a: float, b: float, lo: float, hi: float) -> float:
    """The reference's linear slider map m(v; a, b -> lo, hi), in double precision."""
    return (min(max(v, a), b) - a) * (hi - lo) / (b - a) + lo


def apply_curve(image: np.ndarray, curve: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Apply a per-channel tone curve defined on [0, 1] to an image (input clipped to [0, 1])."""
    y = np.clip(image, 0.0, 1.0)
    return curve(y).astype(np.float32, copy=False)


def table_from_curve(curve: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """The reference's 8-bit lookup table: 255 * curve(i / 255) in double, stored as float32, trunc8."""
    y = np.arange(256, dtype=np.float64) / 255.0
    return trunc8((255.0 * curve(y)).astype(np.float32))


def trunc8(x: np.ndarray) -> np.ndarray:
    """Clip to [0, 255] and truncate toward zero, as a float to uint8 cast does."""
    return np.clip(x, 0, 255).astype(np.uint8)


def round8(x: np.ndarray) -> np.ndarray:
    """Round half to even and saturate to [0, 255], as OpenCV does."""
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def map_saturation(
    image: np.ndarray, fn: SaturationFn | list[SaturationFn], out: np.ndarray | None = None
) -> np.ndarray:
    """Run fn(S, V) -> S on the HSV saturation of a float RGB image (S and V in [0, 1]).

    ``fn`` may be a list of maps, applied in order (each result clipped to [0, 1]) in one HSV
    round trip: that is how the renderer fuses neighbouring saturation and vibrance nodes.
    ``out``: where to write the RGB result (same shape as the image), if given.
    """
    import cv2  # local: keeps `import iea_desktop.core.ops` light for tools that only read the registry

    clipped = np.clip(image, 0.0, 1.0, out=out if out is not None and image.dtype == np.float32 else None)
    hsv = cv2.cvtColor(clipped.astype(np.float32, copy=False), cv2.COLOR_RGB2HSV)
    s, v = cv2.extractChannel(hsv, 1), cv2.extractChannel(hsv, 2)  # contiguous planes: the maps run faster
    for one in fn if isinstance(fn, list) else [fn]:
        s = np.clip(one(s, v), 0.0, 1.0)
    cv2.insertChannel(np.asarray(s, dtype=np.float32), hsv, 1)
    if out is not None:
        return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB, dst=out)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


def saturation_op(maps: dict[int, Callable[[dict], SaturationFn]], **spec: Any) -> OpSpec:
    """An op defined by its saturation maps (version -> params -> S map), declared once: its pixel
    functions (one HSV round trip each) and the maps the renderer fuses with its neighbours' (a
    point op: it tiles). ``spec``: the rest of the OpSpec."""

    def version(make):
        return lambda img, p, ctx: map_saturation(img, make(p), out=ctx.out if ctx.out_offset == 0 else None)

    return OpSpec(
        versions={v: version(make) for v, make in maps.items()}, point="saturation", saturation=maps, tiles=True, **spec
    )


def apply_field(
    image: np.ndarray, f: np.ndarray | None, g: np.ndarray | None, k: float, out: np.ndarray | None = None
) -> np.ndarray:
    """clip(image, 0, 1) f + k g, with f and g of one or three values per pixel (None: 1 and 0)."""
    x = np.clip(image, 0.0, 1.0, out=out if out is not None and image.dtype == np.float32 else None)
    x = x.astype(np.float32, copy=False)
    if f is not None:
        x *= f if f.ndim == 3 else f[..., None]
    if g is not None:
        x += np.float32(k) * (g if g.ndim == 3 else g[..., None])
    return x


def field_op(fields: Mapping[int, FieldFn], **spec: Any) -> OpSpec:
    """An op defined by its fields (version -> per-pixel multiply-add), declared once: its pixel
    functions, on the whole picture or any strip of it, and the fields the renderer fuses with its
    neighbours' (point="field"). ``spec``: the rest of the OpSpec."""

    def version(make):
        def pixels(image, p, ctx):
            f, g, k = make(p, ctx, image.shape[0], image.shape[1])
            return apply_field(image, f, g, k, out=ctx.out if ctx.out_offset == 0 else None)

        return pixels

    return OpSpec(
        versions={v: version(make) for v, make in fields.items()}, point="field", fields=fields, tiles=True, **spec
    )
