"""A mask: where on the photo a node acts, as data (docs/masks.md).

A node with a mask mixes its result with its input per pixel, ``out = in + mask * (op(in) - in)``
(``apply_node``). A mask is a list of components combined in order, each adding to, subtracting
from or intersecting what the ones before it made, then inverted and scaled by the density:

- ``Linear``: a gradient, full at ``start``, fading to nothing at ``end``;
- ``Radial``: an ellipse, full inside, fading over its outer ``feather`` share;
- ``Brush``: strokes stored as vectors (points, radius, hardness, flow, erase), rasterised at the
  render's scale, so they mean the same at every zoom and on export;
- ``LuminanceRange`` and ``ColourRange``: the photo's pixels of a brightness or a hue;
- ``Area``: found in the photo (sky, subject, people, faces, background: ``areas.py``).

Positions are fractions of the photo's width and height, in the photo as opened (before any crop
or rotation: geometry moves masks with the photo). Lengths (brush radius, feather) are fractions
of the photo's long edge. Everything is frozen and hashable (render caches key on it), checked on
the way in as strictly as an op's params (``Mask.from_dict``), with bounded sizes.
"""

from __future__ import annotations

import functools
import hashlib
import math
import numbers
from dataclasses import dataclass, fields, replace
from typing import Any, ClassVar

from ..ops.base import OpError

MASK_VERSION = 1
MODES = ("add", "subtract", "intersect")
AREAS = ("sky", "subject", "people", "faces", "background")
MAX_COMPONENTS = 16
MAX_STROKES = 2000  # per brush component
MAX_POINTS = 200_000  # over all strokes of a mask
COORDINATE_RANGE = (-2.0, 3.0)  # handles may sit outside the photo (a gradient that starts above it)


class MaskError(OpError):
    """Mask data that cannot be used; the message says why."""


def _number(value: Any, where: str, lo: float, hi: float) -> float:
    """A finite number clamped to lo..hi (as an op's float params are)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise MaskError(f"{where} must be a number; got {value!r}"[:200])
    if not isinstance(value, numbers.Integral) and not math.isfinite(value):
        raise MaskError(f"{where} must be a finite number; got {value!r}")
    return float(min(max(value, lo), hi))  # type: ignore[arg-type]


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise MaskError(f"{where} must be true or false; got {value!r}"[:200])
    return value


def _point(value: Any, where: str) -> tuple[float, float]:
    if isinstance(value, (str, bytes, dict)) or not isinstance(value, (list, tuple)) or len(value) != 2:
        raise MaskError(f"{where} must be a point [x, y]; got {value!r}"[:200])
    lo, hi = COORDINATE_RANGE
    return (_number(value[0], where, lo, hi), _number(value[1], where, lo, hi))


def _digest(*parts: object) -> str:
    return hashlib.sha1(repr(parts).encode()).hexdigest()[:16]


def _canonical(value: Any) -> Any:
    """Numbers as floats, lists as tuples: equal masks look the same to digests and caches
    however they were made (``Radial(angle=15)`` and one read back from a file)."""
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Real):
        return float(value)  # type: ignore[arg-type]
    if isinstance(value, (list, tuple)):
        return tuple(_canonical(v) for v in value)
    return value


class _Canonical:
    """Dataclasses whose number fields are kept canonical (``_canonical``); ``version`` stays an int."""

    def __post_init__(self) -> None:
        for f in fields(self):  # type: ignore[arg-type]
            if f.name != "version":
                object.__setattr__(self, f.name, _canonical(getattr(self, f.name)))


@dataclass(frozen=True)
class Component(_Canonical):
    """What every component has: how it combines with the ones before it, and an invert flag."""

    kind: ClassVar[str] = ""
    mode: str = "add"
    invert: bool = False

    @functools.cached_property
    def digest(self) -> str:
        """What decides this component's pixels, short (render caches key on it)."""
        return _digest(self)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "mode": self.mode, "invert": self.invert, **self._fields()}

    def _fields(self) -> dict:
        raise NotImplementedError

    @staticmethod
    def _common(data: dict, where: str) -> dict:
        mode = data.get("mode", "add")
        if mode not in MODES:
            raise MaskError(f"{where}.mode must be one of {', '.join(MODES)}; got {mode!r}"[:200])
        return {"mode": mode, "invert": _flag(data.get("invert", False), f"{where}.invert")}


@dataclass(frozen=True)
class Linear(Component):
    """A linear gradient: full at ``start``, nothing at ``end``, a straight ramp between."""

    kind: ClassVar[str] = "linear"
    start: tuple[float, float] = (0.5, 0.0)
    end: tuple[float, float] = (0.5, 0.5)

    def _fields(self) -> dict:
        return {"start": list(self.start), "end": list(self.end)}

    @classmethod
    def parse(cls, data: dict, where: str) -> Linear:
        start, end = _point(data.get("start"), f"{where}.start"), _point(data.get("end"), f"{where}.end")
        return cls(start=start, end=end, **cls._common(data, where))


@dataclass(frozen=True)
class Radial(Component):
    """An ellipse at ``centre`` with radii (fractions of the width and the height) turned by
    ``angle`` degrees (clockwise): full inside, fading to nothing over the outer ``feather`` share
    of the radius. ``invert`` makes it act outside (a vignette of any adjustment)."""

    kind: ClassVar[str] = "radial"
    centre: tuple[float, float] = (0.5, 0.5)
    radii: tuple[float, float] = (0.25, 0.25)
    angle: float = 0.0
    feather: float = 0.5

    def _fields(self) -> dict:
        return {"centre": list(self.centre), "radii": list(self.radii), "angle": self.angle, "feather": self.feather}

    @classmethod
    def parse(cls, data: dict, where: str) -> Radial:
        radii = data.get("radii")
        if isinstance(radii, (str, bytes, dict)) or not isinstance(radii, (list, tuple)) or len(radii) != 2:
            raise MaskError(f"{where}.radii must be [rx, ry]; got {radii!r}"[:200])
        return cls(
            centre=_point(data.get("centre"), f"{where}.centre"),
            radii=(_number(radii[0], f"{where}.radii", 0.001, 4.0), _number(radii[1], f"{where}.radii", 0.001, 4.0)),
            angle=_number(data.get("angle", 0.0), f"{where}.angle", -360.0, 360.0),
            feather=_number(data.get("feather", 0.5), f"{where}.feather", 0.0, 1.0),
            **cls._common(data, where),
        )


@dataclass(frozen=True)
class Stroke(_Canonical):
    """One brush stroke: its path, radius (a fraction of the long edge), hardness (the share of the
    radius at full strength), flow (its strength) and whether it erases."""

    points: tuple[tuple[float, float], ...]
    radius: float = 0.03
    hardness: float = 0.5
    flow: float = 1.0
    erase: bool = False

    @functools.cached_property
    def digest(self) -> str:
        return _digest(self)

    def to_dict(self) -> dict:
        return {
            "points": [list(p) for p in self.points],
            "radius": self.radius,
            "hardness": self.hardness,
            "flow": self.flow,
            "erase": self.erase,
        }

    @classmethod
    def parse(cls, data: Any, where: str) -> Stroke:
        if not isinstance(data, dict):
            raise MaskError(f"{where} must be an object; got {type(data).__name__}")
        points = data.get("points")
        if isinstance(points, (str, bytes, dict)) or not isinstance(points, (list, tuple)) or not points:
            raise MaskError(f"{where}.points must be a non-empty list of [x, y]")
        if len(points) > MAX_POINTS:
            raise MaskError(f"{where} has {len(points)} points; at most {MAX_POINTS}")
        return cls(
            points=tuple(_point(p, f"{where}.points") for p in points),
            radius=_number(data.get("radius", 0.03), f"{where}.radius", 0.0005, 0.5),
            hardness=_number(data.get("hardness", 0.5), f"{where}.hardness", 0.0, 1.0),
            flow=_number(data.get("flow", 1.0), f"{where}.flow", 0.0, 1.0),
            erase=_flag(data.get("erase", False), f"{where}.erase"),
        )


@dataclass(frozen=True)
class Brush(Component):
    """Painted strokes, in the order they were painted (each builds on the ones before it)."""

    kind: ClassVar[str] = "brush"
    strokes: tuple[Stroke, ...] = ()

    @functools.cached_property
    def digest(self) -> str:
        return _digest(self.mode, self.invert, tuple(s.digest for s in self.strokes))

    def _fields(self) -> dict:
        return {"strokes": [s.to_dict() for s in self.strokes]}

    @classmethod
    def parse(cls, data: dict, where: str) -> Brush:
        strokes = data.get("strokes", [])
        if isinstance(strokes, (str, bytes, dict)) or not isinstance(strokes, (list, tuple)):
            raise MaskError(f"{where}.strokes must be a list")
        if len(strokes) > MAX_STROKES:
            raise MaskError(f"{where} has {len(strokes)} strokes; at most {MAX_STROKES}")
        parsed = tuple(Stroke.parse(s, f"{where}.strokes[{i}]") for i, s in enumerate(strokes))
        return cls(strokes=parsed, **cls._common(data, where))

    def with_stroke(self, stroke: Stroke) -> Brush:
        """This brush with one more stroke (the strokes before it are the same objects: their
        rasters stay cached)."""
        return Brush(mode=self.mode, invert=self.invert, strokes=self.strokes + (stroke,))


@dataclass(frozen=True)
class LuminanceRange(Component):
    """The photo's pixels whose brightness (0 black .. 1 white) is within ``low``..``high``, fading
    over ``smoothness`` beyond each end."""

    kind: ClassVar[str] = "luminance"
    low: float = 0.0
    high: float = 0.3
    smoothness: float = 0.1

    def _fields(self) -> dict:
        return {"low": self.low, "high": self.high, "smoothness": self.smoothness}

    @classmethod
    def parse(cls, data: dict, where: str) -> LuminanceRange:
        low = _number(data.get("low", 0.0), f"{where}.low", 0.0, 1.0)
        high = _number(data.get("high", 1.0), f"{where}.high", 0.0, 1.0)
        if high < low:
            raise MaskError(f"{where}: low ({low:g}) must not be above high ({high:g})")
        smoothness = _number(data.get("smoothness", 0.1), f"{where}.smoothness", 0.0, 1.0)
        return cls(low=low, high=high, smoothness=smoothness, **cls._common(data, where))


@dataclass(frozen=True)
class ColourRange(Component):
    """The photo's pixels of a hue (degrees: 0 red, 120 green, 240 blue) within ``tolerance``
    degrees, fading over ``smoothness`` (a share of the tolerance) beyond it; greys (no hue) are
    left out."""

    kind: ClassVar[str] = "colour"
    hue: float = 120.0
    tolerance: float = 30.0
    smoothness: float = 0.5

    def _fields(self) -> dict:
        return {"hue": self.hue, "tolerance": self.tolerance, "smoothness": self.smoothness}

    @classmethod
    def parse(cls, data: dict, where: str) -> ColourRange:
        hue = _number(data.get("hue", 0.0), f"{where}.hue", -720.0, 720.0) % 360.0
        return cls(
            hue=hue,
            tolerance=_number(data.get("tolerance", 30.0), f"{where}.tolerance", 1.0, 180.0),
            smoothness=_number(data.get("smoothness", 0.5), f"{where}.smoothness", 0.0, 1.0),
            **cls._common(data, where),
        )


@dataclass(frozen=True)
class Area(Component):
    """An area found in the photo (``areas.py``): sky, subject, people, faces or background."""

    kind: ClassVar[str] = "area"
    area: str = "sky"

    def _fields(self) -> dict:
        return {"area": self.area}

    @classmethod
    def parse(cls, data: dict, where: str) -> Area:
        area = data.get("area")
        if area not in AREAS:
            raise MaskError(f"{where}.area must be one of {', '.join(AREAS)}; got {area!r}"[:200])
        return cls(area=area, **cls._common(data, where))


KINDS: dict[str, type[Component]] = {c.kind: c for c in (Linear, Radial, Brush, LuminanceRange, ColourRange, Area)}


@dataclass(frozen=True)
class Mask(_Canonical):
    """Components combined in order, then ``feather`` (a blur, a fraction of the long edge),
    ``invert`` and ``density`` (0..1: how strongly the node acts where the mask is full)."""

    components: tuple[Component, ...] = ()
    invert: bool = False
    density: float = 1.0
    feather: float = 0.0
    version: int = MASK_VERSION

    @functools.cached_property
    def digest(self) -> str:
        """What decides this mask's pixels, short: node signatures (cache keys) carry it."""
        return _digest(self.version, self.invert, self.density, self.feather, tuple(c.digest for c in self.components))

    @property
    def areas(self) -> list[str]:
        return [c.area for c in self.components if isinstance(c, Area)]

    def describe(self) -> str:
        """A few words for lists, the history and the assistant: 'sky', 'brush', 'radial (inverted)'."""
        names: list[str] = []
        for c in self.components:
            name = (
                c.area
                if isinstance(c, Area)
                else {"luminance": "brightness range", "colour": "colour range"}.get(c.kind, c.kind)
            )
            if c.invert:
                name = f"outside {name}" if c.kind in ("radial", "area") else f"{name} inverted"
            if c.mode != "add" and names:
                name = f"{'minus' if c.mode == 'subtract' else 'within'} {name}"
            names.append(name)
        text = ", ".join(names) or "empty"
        return f"everything but {text}" if self.invert else text

    def to_dict(self) -> dict:
        return {
            "version": self.version,
            "invert": self.invert,
            "density": self.density,
            "feather": self.feather,
            "components": [c.to_dict() for c in self.components],
        }

    @classmethod
    def from_dict(cls, data: Any, where: str = "mask") -> Mask:
        """A mask from a project file or a model's plan, checked: known kinds and modes, finite
        numbers clamped to their ranges, bounded sizes. Anything else raises MaskError."""
        if not isinstance(data, dict):
            raise MaskError(f"{where} must be an object; got {type(data).__name__}")
        version = data.get("version", MASK_VERSION)
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise MaskError(f"{where}.version must be a whole number from 1; got {version!r}"[:200])
        if version > MASK_VERSION:
            raise MaskError(
                f"{where} was made by a newer IEA Desktop (mask version {version}; this one reads {MASK_VERSION})"
            )
        components = data.get("components", [])
        if isinstance(components, (str, bytes, dict)) or not isinstance(components, (list, tuple)):
            raise MaskError(f"{where}.components must be a list")
        if len(components) > MAX_COMPONENTS:
            raise MaskError(f"{where} has {len(components)} components; at most {MAX_COMPONENTS}")
        parsed = []
        for i, item in enumerate(components):
            here = f"{where}.components[{i}]"
            if not isinstance(item, dict):
                raise MaskError(f"{here} must be an object; got {type(item).__name__}")
            kind = KINDS.get(item.get("kind"))  # type: ignore[arg-type]
            if kind is None:
                raise MaskError(f"{here}.kind must be one of {', '.join(KINDS)}; got {item.get('kind')!r}"[:200])
            parsed.append(kind.parse(item, here))  # type: ignore[attr-defined]
        points = sum(len(s.points) for c in parsed if isinstance(c, Brush) for s in c.strokes)
        if points > MAX_POINTS:
            raise MaskError(f"{where} has {points} brush points; at most {MAX_POINTS}")
        return cls(
            components=tuple(parsed),
            invert=_flag(data.get("invert", False), f"{where}.invert"),
            density=_number(data.get("density", 1.0), f"{where}.density", 0.0, 1.0),
            feather=_number(data.get("feather", 0.0), f"{where}.feather", 0.0, 0.25),
            version=MASK_VERSION,
        )

    def replace_component(self, index: int, component: Component) -> Mask:
        """This mask with component ``index`` replaced (or appended, for index == len)."""
        items = list(self.components)
        if index == len(items):
            items.append(component)
        else:
            items[index] = component
        return replace(self, components=tuple(items))
