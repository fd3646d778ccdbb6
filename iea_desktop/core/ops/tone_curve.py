"""Tone curve: a point curve for all channels (RGB) and one for each of red, green and blue.

Each curve is stored as its points, (x, y) pairs on the 0..255 scale with x strictly increasing
(2 to 16 of them). Between the points the curve is a monotone cubic (Fritsch-Carlson slopes, as
PCHIP computes them: a weighted harmonic mean of the neighbouring secants, zero at a local
extreme, a shape-preserving three-point formula at the ends), so it never overshoots its points
(no new extremes, no clipping, no tone reversal a smooth spline would make); before the first
point and after the last it stays flat. A pixel's channel c becomes rgb(curve_c(x)): its own
channel's curve first, then the RGB curve.

The op is a "curve" point op: the renderer fuses it with its neighbouring tone curves into one
lookup table (core/pointops.py); its own pixel function looks up the same 65,536-entry table.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .base import OpSpec, Param

TOP = 255.0  # the points' scale
LINEAR = ((0.0, 0.0), (255.0, 255.0))
CHANNELS = ("rgb", "red", "green", "blue")

# The RGB curve of each preset (the channel curves are left as they are). Medium and strong
# contrast are the classic point-curve presets; matte lifts the blacks and dims the whites.
PRESETS: dict[str, tuple[tuple[float, float], ...]] = {
    "Linear": LINEAR,
    "Medium contrast": ((0.0, 0.0), (32.0, 22.0), (64.0, 56.0), (128.0, 128.0), (192.0, 196.0), (255.0, 255.0)),
    "Strong contrast": ((0.0, 0.0), (32.0, 16.0), (64.0, 50.0), (128.0, 128.0), (192.0, 202.0), (255.0, 255.0)),
    "Matte (faded blacks)": ((0.0, 36.0), (64.0, 78.0), (128.0, 134.0), (192.0, 194.0), (255.0, 242.0)),
}

_LEVELS = 65535  # table entries - 1: 16-bit precision, as core/pointops.py tabulates curves
_SAMPLES = np.linspace(0.0, 1.0, 4097)


def slopes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Fritsch-Carlson (PCHIP) slopes at the points: the cubic between two points is monotone."""
    h = np.diff(x)
    d = np.diff(y) / h
    if len(x) == 2:
        return np.array([d[0], d[0]])
    m = np.zeros(len(x))
    w1, w2 = 2 * h[1:] + h[:-1], h[1:] + 2 * h[:-1]
    same = d[:-1] * d[1:] > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        harmonic = (w1 + w2) / (w1 / d[:-1] + w2 / d[1:])
    m[1:-1] = np.where(same, harmonic, 0.0)
    m[0] = _end_slope(h[0], h[1], d[0], d[1])
    m[-1] = _end_slope(h[-1], h[-2], d[-1], d[-2])
    return m


def _end_slope(h0: float, h1: float, d0: float, d1: float) -> float:
    """The three-point end slope, limited so the end segment cannot overshoot (as scipy's PCHIP)."""
    m = ((2 * h0 + h1) * d0 - h0 * d1) / (h0 + h1)
    if np.sign(m) != np.sign(d0):
        return 0.0
    if np.sign(d0) != np.sign(d1) and abs(m) > 3 * abs(d0):
        return 3 * d0
    return m


def evaluate(points, t: np.ndarray) -> np.ndarray:
    """The curve through ``points`` (0..255 scale) at inputs ``t`` in [0, 1]; outputs in [0, 1] (float64)."""
    x = np.array([p[0] for p in points], dtype=np.float64) / TOP
    y = np.array([p[1] for p in points], dtype=np.float64) / TOP
    m = slopes(x, y)
    h = np.diff(x)
    # each segment as y_k + s (c1 + s (c2 + s c3)), s = t - x_k: the cubic Hermite's coefficients
    d = np.diff(y) / h
    c2 = (3 * d - 2 * m[:-1] - m[1:]) / h
    c3 = (m[:-1] + m[1:] - 2 * d) / (h * h)
    t = np.clip(np.asarray(t, dtype=np.float64), x[0], x[-1])
    i = np.clip(np.searchsorted(x, t, side="right") - 1, 0, len(x) - 2)
    s = t - x[i]
    return y[i] + s * (m[i] + s * (c2[i] + s * c3[i]))


@lru_cache(maxsize=32)
def table(rgb, red, green, blue) -> np.ndarray:
    """Outputs at inputs i / 65535, rgb(curve_c(x)): (65536, 3) float32, or (65536,) when the three
    channels' curves are straight (the usual case: one curve to evaluate, and one for the renderer
    to look up)."""
    ramp = np.arange(_LEVELS + 1, dtype=np.float64) / _LEVELS

    def curve(points, x: np.ndarray) -> np.ndarray:
        """The cubic at 4,097 inputs, linear between them: 1e-7 from exact, a tenth of the time
        (a curve drag remakes the table at every step)."""
        return np.interp(x, _SAMPLES, evaluate(points, _SAMPLES))

    if red == green == blue == LINEAR:
        result = curve(rgb, ramp).astype(np.float32)
    else:
        columns = [curve(rgb, ramp if c == LINEAR else curve(c, ramp)) for c in (red, green, blue)]
        result = np.ascontiguousarray(np.stack(columns, axis=1), dtype=np.float32)
    result.setflags(write=False)
    return result


def apply(image: np.ndarray, p: dict, ctx) -> np.ndarray:
    """Each channel's value looked up at the nearest of 65,536 levels (NaN reads level 0)."""
    lut = table(*(p[name] for name in CHANNELS))
    x = np.clip(np.nan_to_num(image, nan=0.0), 0.0, 1.0)
    index = np.rint(x * np.float32(_LEVELS)).astype(np.intp)
    if lut.ndim == 1:
        return lut[index]
    index *= 3
    index += np.arange(3)
    return lut.ravel()[index]


def _curve(name: str, label: str, help: str) -> Param:
    return Param(name, label, 0, TOP, LINEAR, help, kind="curve")


OP = OpSpec(
    name="tone_curve",
    label="Tone curve",
    help="Shape the tones with a curve you draw: all channels at once (RGB) or red, green and blue each.",
    stage="B",
    order=95,
    params=(
        _curve(
            "rgb", "RGB", "Points [x, y] (0..255) of the curve for all channels: raise a point to lighten those tones"
        ),
        _curve("red", "Red", "Points [x, y] (0..255) of the red channel's curve: up adds red, down adds cyan"),
        _curve(
            "green", "Green", "Points [x, y] (0..255) of the green channel's curve: up adds green, down adds magenta"
        ),
        _curve("blue", "Blue", "Points [x, y] (0..255) of the blue channel's curve: up adds blue, down adds yellow"),
    ),
    versions={1: apply},
    point="curve",
    tiles=True,
    math=(
        "Each curve: points (x, y) on 0..255, x strictly increasing, 2 to 16 points; between points a "
        "monotone cubic Hermite spline with Fritsch-Carlson (PCHIP) slopes: m_k = (w1 + w2) / (w1 / d_(k-1) + "
        "w2 / d_k) with w1 = 2 h_k + h_(k-1), w2 = h_k + 2 h_(k-1) where the secants d_(k-1), d_k have the "
        "same sign, else 0; end slopes ((2 h0 + h1) d0 - h0 d1) / (h0 + h1), limited to keep the sign of d0 "
        "(and to 3 d0 beside an extreme). So the curve never overshoots its points; flat before the first "
        "point and after the last. Channel c: out = rgb(curve_c(clip(x, 0, 1))), tabulated at 65,536 levels. "
        f"Presets (the RGB curve): {'; '.join(f'{k}: ' + ' '.join(f'({x:g}, {y:g})' for x, y in v) for k, v in PRESETS.items())}."
    ),
)
