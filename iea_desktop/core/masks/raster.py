"""Each mask component as pixels: a float32 plane (0..1) of a given size, in the photo's frame as
opened (before geometry). ``photo`` gives the photo at that size (RGB 0..1) for the components
that read it (ranges, areas), made only when one asks."""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable

import cv2
import numpy as np

from . import areas
from .model import Area, Brush, ColourRange, Component, Linear, LuminanceRange, Radial, Stroke, _digest

Photo = Callable[[], np.ndarray]


def smoothstep(t: np.ndarray) -> np.ndarray:
    """0..1 -> 0..1 with flat ends, in place (a ramp without the visible kinks of a straight one)."""
    np.clip(t, 0.0, 1.0, out=t)
    square = t * t
    t *= np.float32(-2.0)
    t += np.float32(3.0)
    t *= square
    return t


def _centres(count: int) -> np.ndarray:
    return np.arange(count, dtype=np.float32) + np.float32(0.5)


def linear(c: Linear, height: int, width: int) -> np.ndarray:
    sx, sy = c.start[0] * width, c.start[1] * height
    dx, dy = c.end[0] * width - sx, c.end[1] * height - sy
    length2 = dx * dx + dy * dy
    if length2 < 1e-9:  # no direction: nothing
        return np.zeros((height, width), np.float32)
    # t = 0 at start, 1 at end, along the gradient's direction; the mask is 1 - t
    xs = (_centres(width) - np.float32(sx)) * np.float32(dx / length2)
    ys = (_centres(height) - np.float32(sy)) * np.float32(dy / length2)
    t = np.float32(1.0) - (ys[:, None] + xs[None, :])
    return smoothstep(t)


def radial(c: Radial, height: int, width: int) -> np.ndarray:
    rx, ry = max(c.radii[0] * width, 1e-3), max(c.radii[1] * height, 1e-3)
    angle = math.radians(c.angle)
    cos, sin = math.cos(angle), math.sin(angle)
    dx = (_centres(width) - np.float32(c.centre[0] * width))[None, :]
    dy = (_centres(height) - np.float32(c.centre[1] * height))[:, None]
    u = (dx * np.float32(cos / rx)) + (dy * np.float32(sin / rx))  # the ellipse's own axes, in radii
    v = (dy * np.float32(cos / ry)) - (dx * np.float32(sin / ry))
    r = np.sqrt(u * u + v * v)
    feather = max(c.feather, 1e-3)
    t = (np.float32(1.0) - r) * np.float32(1.0 / feather)  # 0 at the edge, 1 where the feather starts
    return smoothstep(t)


def stroke(s: Stroke, height: int, width: int) -> tuple[tuple[int, int, int, int], np.ndarray] | None:
    """One stroke's strength (flow times the falloff from its path) over its bounding box
    (x0, y0, x1, y1), or None when it lies outside the picture."""
    radius = max(s.radius * max(height, width), 0.5)
    points = np.array(s.points, dtype=np.float64) * (width, height)
    x0 = max(int(math.floor(points[:, 0].min() - radius)) - 1, 0)
    y0 = max(int(math.floor(points[:, 1].min() - radius)) - 1, 0)
    x1 = min(int(math.ceil(points[:, 0].max() + radius)) + 2, width)
    y1 = min(int(math.ceil(points[:, 1].max() + radius)) + 2, height)
    if x1 <= x0 or y1 <= y0:
        return None
    # the path drawn at 1/8 pixel precision; the distance from it gives the falloff
    path = np.full((y1 - y0, x1 - x0), 255, np.uint8)
    local = np.round((points - (x0 + 0.5, y0 + 0.5)) * 8).astype(np.int32)
    if len(local) == 1:
        local = np.vstack([local, local])
    cv2.polylines(path, [local.reshape(-1, 1, 2)], False, 0, 1, cv2.LINE_8, shift=3)
    distance = cv2.distanceTransform(path, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    hard = min(s.hardness, 0.999)
    t = (np.float32(radius) - distance) * np.float32(1.0 / (radius * (1.0 - hard)))
    strength = smoothstep(t)
    if s.flow < 1.0:
        strength *= np.float32(s.flow)
    return (x0, y0, x1, y1), strength


class _Prefixes:
    """The brush rasters of the last few stroke lists, so that a stroke being painted (the last one,
    growing with every dab) rasterises only itself over what the strokes before it made."""

    def __init__(self, keep: int = 6):
        self.keep = keep
        self._items: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> np.ndarray | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple, plane: np.ndarray) -> None:
        plane.setflags(write=False)
        with self._lock:
            self._items[key] = plane
            while len(self._items) > self.keep:
                self._items.popitem(last=False)


_PREFIXES = _Prefixes()


def _paint(plane: np.ndarray, s: Stroke) -> None:
    made = stroke(s, *plane.shape)
    if made is None:
        return
    (x0, y0, x1, y1), strength = made
    region = plane[y0:y1, x0:x1]
    if s.erase:
        region *= np.float32(1.0) - strength
    else:  # paint builds up: each stroke covers its flow's share of what is left
        region += strength * (np.float32(1.0) - region)


def brush(c: Brush, height: int, width: int) -> np.ndarray:
    digests = tuple(s.digest for s in c.strokes)
    key = (_digest(digests), height, width)
    found = _PREFIXES.get(key)
    if found is not None:
        return found
    before = _PREFIXES.get((_digest(digests[:-1]), height, width)) if digests else None
    if before is not None:  # the stroke being painted, over the strokes before it
        plane = before.copy()
        _paint(plane, c.strokes[-1])
    else:
        plane = np.zeros((height, width), np.float32)
        for number, s in enumerate(c.strokes):
            if number == len(c.strokes) - 1:
                _PREFIXES.put((_digest(digests[:-1]), height, width), plane.copy())
            _paint(plane, s)
    _PREFIXES.put(key, plane)
    return plane


def luminance(photo: np.ndarray) -> np.ndarray:
    """Rec. 709 luma of display values (0 black .. 1 white)."""
    return cv2.transform(photo, np.array([[0.2126, 0.7152, 0.0722]], np.float32))


def _band(value: np.ndarray, low: float, high: float, soft: float) -> np.ndarray:
    """1 within low..high, fading to 0 over ``soft`` beyond each end."""
    soft = max(soft, 1e-4)
    up = (value - np.float32(low - soft)) * np.float32(1.0 / soft)
    down = (np.float32(high + soft) - value) * np.float32(1.0 / soft)
    return smoothstep(np.minimum(up, down, out=up))


def luminance_range(c: LuminanceRange, photo: np.ndarray) -> np.ndarray:
    return _band(luminance(photo), c.low, c.high, c.smoothness)


def colour_range(c: ColourRange, photo: np.ndarray) -> np.ndarray:
    hsv = cv2.cvtColor(photo, cv2.COLOR_RGB2HSV)  # float input: hue in degrees, saturation 0..1
    distance = np.abs(np.mod(hsv[..., 0] - np.float32(c.hue) + np.float32(180.0), np.float32(360.0)) - 180.0)
    soft = c.tolerance * max(c.smoothness, 0.05)
    strength = _band(distance, -1.0, c.tolerance, soft)
    # greys have no hue: fade them out by their saturation (and the darkest pixels, whose hue is noise)
    chroma = smoothstep((hsv[..., 1] - np.float32(0.06)) * np.float32(1 / 0.14))
    chroma *= smoothstep(hsv[..., 2] * np.float32(1 / 0.08))
    strength *= chroma
    return strength


def component(c: Component, height: int, width: int, photo: Photo) -> np.ndarray:
    """The component's plane (0..1, float32, ``height`` x ``width``); do not write to it (brush
    planes are cached)."""
    if isinstance(c, Linear):
        return linear(c, height, width)
    if isinstance(c, Radial):
        return radial(c, height, width)
    if isinstance(c, Brush):
        return brush(c, height, width)
    if isinstance(c, LuminanceRange):
        return luminance_range(c, photo())
    if isinstance(c, ColourRange):
        return colour_range(c, photo())
    if isinstance(c, Area):
        found = areas.find(c.area, photo())
        return np.zeros((height, width), np.float32) if found is None else found
    raise TypeError(f"no raster for mask component {c.kind!r}")
