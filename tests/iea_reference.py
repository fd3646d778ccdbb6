"""Independent, deliberately literal reference of the IEA renderer ("version 1").

Written straight from ``/work/shared/design/iea-tools.md`` (stages A-E) for testing the
production renderer ``iea_desktop.core.iea_exact.render_iea_exact``.  It must NOT import
anything from ``iea_desktop``: its value is that it was derived separately from the spec.

Conventions followed literally (see the spec):

* pixel arrays are float32: ``x = float32(b) / 255`` and Python-float coefficients meet
  float32 arrays (numpy keeps float32);
* every coefficient is the linear slider map ``m(v; a, b -> lo, hi)`` evaluated in double;
* look-up tables are computed in double, stored as float32, then trunc8;
* trunc8 = clip to [0, 255] then truncate toward zero (float -> uint8 cast);
  round8 = round half to even, saturate to [0, 255];
* OpenCV 8-bit HSV convention (H in [0, 180), S and V in [0, 255]).

Choices where the spec leaves room (documented so that a mismatch can be traced):

* stage A and the HSV round trip of stage C always run (the "no edit" quirk: the reference
  round-trips through 8-bit HSV even with every value 0).  Stage A's float round trip is
  lossless on 8-bit input (float32(b) / 255 * 255 == b for all b), so whether it runs at all
  zeros is unobservable.  Stage D likewise.  Stage E (sharpness) only runs when v != 0.
* vignette: pixel coordinates are the integer indices (column j, row i); the centre is
  (w/2, h/2); r is divided by the largest distance over the pixels, i.e. that of pixel (0, 0).
  The mask is computed in float64 then cast to float32, so the pixel arithmetic stays float32.
* grain: the noise is drawn with ``rng.standard_normal`` in float64, scaled by the sigma and
  cast to float32 before it is added (pixel arithmetic float32).
* when both an alias and its canonical name are given with different values, ValueError.
"""

from __future__ import annotations

from collections.abc import Mapping

import cv2
import numpy as np

TOOLS: tuple[str, ...] = (
    # stage A
    "exposure",
    "brightness",
    "contrast",
    "fade",
    # stage B
    "natural_contrast",
    "highlights",
    "shadows",
    "whites",
    "blacks",
    # stage C
    "saturation",
    "vibrance",
    "temperature",
    "tint",
    # stage D
    "grain",
    "vignette",
    # stage E
    "sharpness",
)

ALIASES: dict[str, str] = {
    "sharpen": "sharpness",
    "hue": "temperature",
    "lightness": "highlights",
}


# --------------------------------------------------------------------------- helpers


def m(v: float, a: float, b: float, lo: float, hi: float) -> float:
    """The reference's linear slider map, in double precision."""
    v = float(min(max(v, a), b))
    return (v - a) * (hi - lo) / (b - a) + lo


def trunc8(x: np.ndarray) -> np.ndarray:
    """Clip to [0, 255] then truncate toward zero (a float -> uint8 cast)."""
    return np.clip(x, 0, 255).astype(np.uint8)


def round8(x: np.ndarray) -> np.ndarray:
    """Round to nearest, ties to even, then saturate to [0, 255]."""
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def normalize_values(values: Mapping[str, float] | None) -> dict[str, int]:
    """Resolve aliases, reject unknown names, clamp to [-100, 100]; returns all 16 tools."""
    out = {name: 0 for name in TOOLS}
    seen: dict[str, tuple[str, float]] = {}
    for raw_name, raw_value in (values or {}).items():
        if not isinstance(raw_name, str):
            raise ValueError(f"tool name must be a string, got {raw_name!r}")
        key = raw_name.strip().lower()
        name = ALIASES.get(key, key)
        if name not in out:
            raise ValueError(
                f"unknown IEA tool {raw_name!r}; known tools: {', '.join(TOOLS)} "
                f"(aliases: {', '.join(f'{a}->{c}' for a, c in ALIASES.items())})"
            )
        value = max(-100, min(100, raw_value))
        if name in seen and seen[name][1] != value:
            raise ValueError(
                f"conflicting values for {name!r}: {seen[name][0]!r}={seen[name][1]} "
                f"and {raw_name!r}={value}"
            )
        seen[name] = (raw_name, value)
        out[name] = value
    return out


def _lut(table_double: np.ndarray) -> np.ndarray:
    """Table computed in double -> stored as float32 -> trunc8."""
    return trunc8(np.asarray(table_double, dtype=np.float64).astype(np.float32))


# --------------------------------------------------------------------------- stages


def _stage_a(img: np.ndarray, p: dict[str, int]) -> np.ndarray:
    x = img.astype(np.float32) / 255  # float32 pixel array

    v = p["exposure"]
    if v != 0:
        x = x * (2.0 ** m(v, -100, 100, -1.0, 1.0))

    v = p["brightness"]
    if v != 0:
        x = x + m(v, -100, 100, -0.5, 0.5)

    v = p["contrast"]
    if v != 0:  # skipped at 0: k(0) would be 1.25, not 1
        k = m(v, -100, 100, 0.5, 2.0)  # 1.25 + 0.0075 v
        x = 0.5 + k * (x - 0.5)

    v = p["fade"]
    if v != 0:  # negative values give s = 0 but are still evaluated
        s = m(v, 0, 100, 0.0, 0.6)
        x = x + s * (1 - x)
        x = 0.5 + (1 - 0.5 * s) * (x - 0.5)

    x = np.clip(x, 0, 1)
    return trunc8(255 * x)


def _stage_b(img: np.ndarray, p: dict[str, int]) -> np.ndarray:
    i = np.arange(256, dtype=np.float64)
    y = i / 255

    v = p["natural_contrast"]
    if v != 0:
        f = m(v, -100, 100, -10.0, 10.0)  # v / 10
        img = _lut(255 / (1 + np.exp(-f * (i - 128) / 255)))[img]

    v = p["highlights"]
    if v != 0:
        s = m(v, -100, 100, -0.8, 0.8)  # 0.008 v
        img = _lut(255 * (y + s * y * (1 - y)))[img]

    v = p["shadows"]
    if v != 0:
        s = m(v, -100, 100, -0.8, 0.8)
        img = _lut(255 * (y + s * (1 - y**2) * (1 - y)))[img]

    v = p["whites"]
    if v != 0:
        s = m(v, -100, 100, -0.8, 0.8)
        img = _lut(255 * (y + s * y))[img]

    v = p["blacks"]
    if v != 0:
        s = m(v, -100, 100, -0.8, 0.8)
        img = _lut(255 * (y + s * (1 - y)))[img]

    return img


def _stage_c(img: np.ndarray, p: dict[str, int]) -> np.ndarray:
    # Always round-trips through 8-bit HSV (the reference's "no edit" quirk).
    hsv = cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_RGB2HSV)
    H = hsv[..., 0].astype(np.float32)
    S = hsv[..., 1].astype(np.float32) / 255
    V = hsv[..., 2].astype(np.float32)  # stays on the 0..255 scale (the defect)

    v = p["saturation"]
    if v != 0:
        S = np.clip(S * (1 + m(v, -100, 100, -1.0, 1.0)), 0, 1)

    v = p["vibrance"]
    if v != 0:
        a = m(v, -100, 100, -1.0, 1.0)
        if v > 0:
            w = np.clip(1 - 2 * np.abs(V - 0.5), 0, 1)  # 0 everywhere: V is 0..255
            S = np.clip(S + a * (1 - S) * w, 0, 1)
        else:
            S = np.clip(S + a * S, 0, 1)

    S = 255 * S
    hsv8 = np.stack(
        [trunc8(np.clip(H, 0, 255)), trunc8(np.clip(S, 0, 255)), trunc8(np.clip(V, 0, 255))],
        axis=-1,
    )
    img = cv2.cvtColor(hsv8, cv2.COLOR_HSV2RGB)

    v = p["temperature"]
    if v != 0:
        t = m(v, -100, 100, -50.0, 50.0)  # v / 2
        f = img.astype(np.float32)
        f[..., 0] = f[..., 0] + t
        f[..., 1] = f[..., 1] + 0.6 * t
        f[..., 2] = f[..., 2] - t
        img = trunc8(f)

    v = p["tint"]
    if v != 0:
        img = img.copy()
        img[..., 1] = round8(img[..., 1].astype(np.float32) + m(v, -100, 100, -30.0, 30.0))

    return img


def vignette_mask(h: int, w: int, v: int) -> np.ndarray:
    """m = clip(r / k, 0, 1)^g over the pixel grid, float64, shape (h, w)."""
    a = abs(v)
    k = m(a, 0, 100, 1.0, 0.5)  # 1 - 0.005 a
    g = m(a, 0, 100, 0.5, 2.0)  # 0.5 + 0.015 a
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    d = np.sqrt((xx - w / 2) ** 2 + (yy - h / 2) ** 2)
    r = d / d.max()
    return np.clip(r / k, 0, 1) ** g


def _stage_d(img: np.ndarray, p: dict[str, int], rng: np.random.Generator) -> np.ndarray:
    x = img.astype(np.float32) / 255

    v = p["grain"]
    if v > 0:  # only positive values
        sigma = m(v, -100, 100, -0.3, 0.3)  # 0.003 v
        noise = (rng.standard_normal(x.shape) * sigma).astype(np.float32)
        x = x + noise

    v = p["vignette"]
    if v != 0:
        x = np.clip(x, 0, 1)
        h, w = x.shape[:2]
        s = m(abs(v), 0, 100, 0.0, 0.9)  # 0.009 a
        mask = vignette_mask(h, w, v).astype(np.float32)[..., None]
        if v > 0:
            x = x * (1 - s * mask)
        else:
            x = x + s * mask * (1 - x)

    x = np.clip(x, 0, 1)
    return trunc8(255 * x)


def sharpen_kernel_size(v: int) -> int:
    n = int(3 + m(abs(v), 0, 100, 0.0, 12.0))  # 3 + 0.12 |v|
    if n % 2 == 0:
        n += 1
    return n


def _stage_e(img: np.ndarray, p: dict[str, int]) -> np.ndarray:
    v = p["sharpness"]
    if v == 0:
        return img
    img = np.ascontiguousarray(img)
    if v > 0:
        s = m(v, -100, 100, -1.5, 1.5)  # 0.015 v
        blur = cv2.GaussianBlur(img, (0, 0), 3)
        out = (1 + s) * img.astype(np.float32) - s * blur.astype(np.float32)
        return round8(out)
    n = sharpen_kernel_size(v)
    return cv2.GaussianBlur(img, (n, n), 0)


# --------------------------------------------------------------------------- entry point


def reference_render(
    image_u8: np.ndarray,
    values: Mapping[str, float] | None,
    rng: np.random.Generator | int | None = None,
) -> np.ndarray:
    """Render ``values`` onto ``image_u8`` ((H, W, 3) uint8 RGB) like the IEA reference."""
    img = np.asarray(image_u8)
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) uint8 RGB image, got {img.dtype} {img.shape}")
    p = normalize_values(values)
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(0 if rng is None else rng)

    img = _stage_a(img, p)
    img = _stage_b(img, p)
    img = _stage_c(img, p)
    img = _stage_d(img, p, rng)
    img = _stage_e(img, p)
    return np.ascontiguousarray(img, dtype=np.uint8)


__all__ = [
    "ALIASES",
    "TOOLS",
    "m",
    "normalize_values",
    "reference_render",
    "round8",
    "sharpen_kernel_size",
    "trunc8",
    "vignette_mask",
]
