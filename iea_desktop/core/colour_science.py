"""Colour science for white balance: sRGB transfer, kelvin and tint to chromaticity, Bradford.

- sRGB (IEC 61966-2-1): linear = x / 12.92 for x <= 0.04045, else ((x + 0.055) / 1.055) ** 2.4;
  linear sRGB -> CIE XYZ by the standard D65 matrix ``RGB_TO_XYZ``.
- Kelvin -> chromaticity: the Planckian locus in CIE 1960 (u, v) by Krystek's rational
  approximation (1985; within 8e-5 of Planck's law from 1000 to 15000 K, smooth and monotone up
  to 50000 K, where it nears the locus' end):
  u(T) = (0.860117757 + 1.54118254e-4 T + 1.28641212e-7 T^2) / (1 + 8.42420235e-4 T + 7.08145163e-7 T^2),
  v(T) = (0.317398726 + 4.22806245e-5 T + 4.20481691e-8 T^2) / (1 - 2.89741816e-5 T + 1.61456053e-7 T^2).
- Tint: a step off the locus along its normal, Duv = tint / 3000 (the DNG SDK's scale), positive
  towards green: a light that is greener than the locus (fluorescent), which the correction then
  answers with magenta, as Lightroom's tint slider does. x = 3u / (2u - 8v + 4), y = 2v / (2u - 8v + 4).
  D65 is about 6504 K, tint +9.6.
- Chromatic adaptation (Bradford, von Kries in its sharpened cone space): XYZ -> LMS by
  ``BRADFORD``, each cone scaled by destination white / source white, back by its inverse. White
  points are taken at Y = 1, so the adaptation keeps the luminance of the white. For a camera RAW
  the same scaling acts on the camera's white-balanced RGB instead (``Camera``): that is changing
  the RAW multipliers before the colour matrix, without developing the RAW again.

Pure numpy, in double precision; the pixel work is in ``ops/white_balance.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
XYZ_TO_RGB = np.linalg.inv(RGB_TO_XYZ)
BRADFORD = np.array(
    [
        [0.8951, 0.2664, -0.1614],
        [-0.7502, 1.7135, 0.0367],
        [0.0389, -0.0685, 1.0296],
    ]
)

KELVIN_RANGE = (2000.0, 50000.0)
TINT_RANGE = (-150.0, 150.0)
TINT_SCALE = 3000.0  # tint units per unit of Duv


def srgb_to_linear(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return np.where(x <= 0.04045, x / 12.92, ((np.maximum(x, 0.04045) + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return np.where(x <= 0.0031308, x * 12.92, 1.055 * np.maximum(x, 0.0031308) ** (1 / 2.4) - 0.055)


def planck_uv(kelvin) -> tuple[np.ndarray, np.ndarray]:
    """The Planckian locus at ``kelvin`` in CIE 1960 (u, v) (Krystek's approximation)."""
    t = np.asarray(kelvin, dtype=np.float64)
    u = (0.860117757 + 1.54118254e-4 * t + 1.28641212e-7 * t * t) / (1 + 8.42420235e-4 * t + 7.08145163e-7 * t * t)
    v = (0.317398726 + 4.22806245e-5 * t + 4.20481691e-8 * t * t) / (1 - 2.89741816e-5 * t + 1.61456053e-7 * t * t)
    return u, v


def _green_normal(kelvin) -> tuple[np.ndarray, np.ndarray]:
    """The locus' unit normal at ``kelvin`` that points towards green (higher v)."""
    t = np.asarray(kelvin, dtype=np.float64)
    h = 1e-3 * t
    u1, v1 = planck_uv(t - h)
    u2, v2 = planck_uv(t + h)
    du, dv = u2 - u1, v2 - v1  # along the locus, towards blue: u and v both fall
    length = np.hypot(du, dv)
    return dv / length, -du / length


def kelvin_tint_to_uv(kelvin, tint) -> tuple[np.ndarray, np.ndarray]:
    u, v = planck_uv(kelvin)
    nu, nv = _green_normal(kelvin)
    duv = np.asarray(tint, dtype=np.float64) / TINT_SCALE
    return u + duv * nu, v + duv * nv


def uv_to_xy(u, v) -> tuple[np.ndarray, np.ndarray]:
    d = 2 * u - 8 * v + 4
    return 3 * u / d, 2 * v / d


def xy_to_uv(x, y) -> tuple[np.ndarray, np.ndarray]:
    d = -2 * x + 12 * y + 3
    return 4 * x / d, 6 * y / d


def kelvin_tint_to_xy(kelvin: float, tint: float) -> tuple[float, float]:
    x, y = uv_to_xy(*kelvin_tint_to_uv(kelvin, tint))
    return float(x), float(y)


def xy_to_xyz(x: float, y: float) -> np.ndarray:
    """The white of chromaticity (x, y) at Y = 1."""
    return np.array([x / y, 1.0, (1 - x - y) / y])


def xyz_to_xy(xyz: np.ndarray) -> tuple[float, float]:
    total = float(np.sum(xyz))
    return float(xyz[0]) / total, float(xyz[1]) / total


# The locus sampled evenly in mired (1e6 / K) for the inverse, from the range's cold end to its warm end.
_MIREDS = np.linspace(1e6 / KELVIN_RANGE[1], 1e6 / KELVIN_RANGE[0], 4001)


def xy_to_kelvin_tint(x: float, y: float) -> tuple[float, float]:
    """The (kelvin, tint) of chromaticity (x, y): the locus point whose normal passes through it
    (Robertson's isotemperature lines), found on a fine mired grid and refined by bisection, and the
    signed distance along that normal. Colours beyond the ends of the range clamp to its ends."""
    u, v = xy_to_uv(x, y)

    def along(mired):  # the offset's component along the locus' tangent: zero at the answer
        kelvin = 1e6 / mired
        lu, lv = planck_uv(kelvin)
        nu, nv = _green_normal(kelvin)
        return (u - lu) * -nv + (v - lv) * nu  # tangent = normal turned a quarter

    side = along(_MIREDS)
    flips = np.nonzero(np.sign(side[:-1]) != np.sign(side[1:]))[0]
    if len(flips) == 0:
        mired = _MIREDS[0] if abs(side[0]) < abs(side[-1]) else _MIREDS[-1]
    else:
        lo, hi = _MIREDS[flips[0]], _MIREDS[flips[0] + 1]
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            if np.sign(along(mid)) == np.sign(along(lo)):
                lo = mid
            else:
                hi = mid
        mired = 0.5 * (lo + hi)
    kelvin = 1e6 / mired
    lu, lv = planck_uv(kelvin)
    nu, nv = _green_normal(kelvin)
    tint = ((u - lu) * nu + (v - lv) * nv) * TINT_SCALE
    return float(kelvin), float(np.clip(tint, *TINT_RANGE))


BRADFORD_RGB = BRADFORD @ RGB_TO_XYZ  # linear sRGB -> Bradford's cone space
MIN_RESPONSE = 0.05  # of a white's strongest channel (see adaptation)


def adaptation(space: np.ndarray, source_xy: tuple[float, float], target_xy: tuple[float, float]) -> np.ndarray:
    """The 3x3 matrix on linear sRGB adapting colours seen under ``source_xy`` to ``target_xy`` by
    scaling each channel of ``space`` (a 3x3 from linear sRGB): Bradford's cones (``BRADFORD_RGB``),
    or a camera's white-balanced RGB, where the scales are the RAW white balance multipliers.
    A channel's response to a white is taken as at least 5% of the strongest channel's: a camera's
    matrix can put the blue of a very red light (below about 2500 K) at or under zero, where the
    scale would turn infinite or negative; so a gain is at most 20 (Bradford's cones never get there)."""
    source = space @ XYZ_TO_RGB @ xy_to_xyz(*source_xy)
    target = space @ XYZ_TO_RGB @ xy_to_xyz(*target_xy)
    source, target = (np.maximum(w, MIN_RESPONSE * w.max()) for w in (source, target))
    return np.linalg.inv(space) @ np.diag(target / source) @ space


def light_to_neutralise(space: np.ndarray, rgb: np.ndarray, target_xy: tuple[float, float]) -> tuple[float, float]:
    """The light (x, y) whose ``adaptation`` to ``target_xy`` turns the linear sRGB colour ``rgb``
    neutral (a multiple of sRGB white): scales are per channel, so the light's channels are rgb's
    times the target's over white's."""
    light = (space @ XYZ_TO_RGB @ xy_to_xyz(*target_xy)) * (space @ rgb) / (space @ np.ones(3))
    return xyz_to_xy(RGB_TO_XYZ @ np.linalg.solve(space, light))


@dataclass(frozen=True)
class Camera:
    """A RAW photo's colour as developed: ``rgb_cam`` (row-major 3x3, white-balanced camera RGB ->
    linear sRGB, LibRaw's) and the transfer curve of the developed pixels."""

    rgb_cam: tuple[float, ...]
    transfer: str = "bt709"

    @property
    def space(self) -> np.ndarray:
        """Linear sRGB -> white-balanced camera RGB: where white balance multipliers act."""
        return np.linalg.inv(np.array(self.rgb_cam, dtype=np.float64).reshape(3, 3))


def _bt709_constants(power: float = 0.45, slope: float = 4.5) -> tuple[float, float]:
    """(a, break) of V = (1 + a) L^power - a above ``break``, V = slope L below, joined smoothly (in
    value and slope), as LibRaw's gamma_curve makes its default output curve (BT.709's)."""
    lo, hi = 1e-6, 0.5
    for _ in range(200):  # slope L = (1 + a) L^p - a with (1 + a) = slope L^(1-p) / p: solve for L
        mid = 0.5 * (lo + hi)
        a = slope * mid ** (1 - power) / power - 1
        if slope * mid - ((1 + a) * mid**power - a) > 0:
            hi = mid
        else:
            lo = mid
    mid = 0.5 * (lo + hi)
    return slope * mid ** (1 - power) / power - 1, mid


_BT709_A, _BT709_BREAK = _bt709_constants()


def to_linear(x: np.ndarray, transfer: str = "srgb") -> np.ndarray:
    """Decode: sRGB, or "bt709" (LibRaw's default output curve, which RAW photos are developed with)."""
    if transfer == "srgb":
        return srgb_to_linear(x)
    x = np.asarray(x, dtype=np.float64)
    edge = 4.5 * _BT709_BREAK
    return np.where(x < edge, x / 4.5, ((np.maximum(x, edge) + _BT709_A) / (1 + _BT709_A)) ** (1 / 0.45))


def from_linear(x: np.ndarray, transfer: str = "srgb") -> np.ndarray:
    if transfer == "srgb":
        return linear_to_srgb(x)
    x = np.asarray(x, dtype=np.float64)
    return np.where(x < _BT709_BREAK, 4.5 * x, (1 + _BT709_A) * np.maximum(x, _BT709_BREAK) ** 0.45 - _BT709_A)
