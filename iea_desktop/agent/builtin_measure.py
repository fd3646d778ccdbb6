"""The built-in assistant's magnitudes: how far to move a slider, from measuring the photo.

Each function reads the current render's statistics (``ImageStats``, plus the pixels for colour
casts) and returns a slider change in the tools' own units, with the measurement that justifies
it, as numbers (``Need.basis``) and in words. The numbers follow the tools' own maths, read from
``core/ops`` at a few points (exposure's and contrast's gain per unit, the shadows curve's lift,
the whites' gain, the colour offsets of temperature and tint), never written out again here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from ..core.ops import brightness as brightness_op
from ..core.ops import contrast as contrast_op
from ..core.ops import exposure as exposure_op
from ..core.ops import shadows as shadows_op
from ..core.ops import temperature as temperature_op
from ..core.ops import tint as tint_op
from ..core.ops import whites as whites_op
from ..core.stats import ImageStats, haze_level, noise_level

# Median luminance a well-exposed everyday photo has; "auto" leaves medians inside the band alone.
TARGET_MEDIAN = 0.46
AUTO_BAND = (0.33, 0.62)
AUTO_TARGET_DARK, AUTO_TARGET_BRIGHT = 0.43, 0.52
CONTRAST_BAND = (0.33, 0.88)  # p95 - p05: "auto" acts outside it
CONTRAST_TARGET = 0.50
SATURATION_BAND = (0.12, 0.55)
# Colour cast of the near-neutral pixels: explicit "fix the colours" acts from CAST_FIX, auto from CAST_AUTO.
CAST_FIX, CAST_AUTO = 0.035, 0.07
TINT_FIX, TINT_AUTO = 0.03, 0.05
CAST_KEEP = 0.01  # leave a trace of the scene's own warmth: full neutralisation looks clinical


@dataclass
class Need:
    tool: str
    delta: float  # slider units to add to the assistant's current value
    why: str  # "because the photo is dark (median brightness 0.22)"
    basis: dict[str, float] = field(default_factory=dict)  # the measured numbers: {"median brightness": 0.22}


def _clamp(v: float, lo: float = -100.0, hi: float = 100.0) -> float:
    return min(max(v, lo), hi)


# The tone ops' own maths (core/ops), read at a few points rather than written out again here.
# Slider values are whole units: a fractional value is rounded as a node would hold it.
def exposure_gain(v: float) -> float:
    """What exposure ``v`` multiplies the tones by."""
    return float(exposure_op.exact(np.ones(1), round(v))[0])


def whites_gain(v: float) -> float:
    """What whites ``v`` multiplies the tones by (y + s y)."""
    return float(whites_op.curve(round(v))(1.0))


def shadows_curve(v: float, y: float) -> float:
    return float(shadows_op.curve(round(v))(y))


def contrast_factor(v: float) -> float:
    """What contrast ``v`` (version 2) multiplies the spread around middle grey by."""
    return float(contrast_op.continuous(np.ones(1), round(v))[0] - 0.5) / 0.5


SHADOWS_PER_UNIT = shadows_curve(1, 0.0)  # the lift of the darkest tone per slider unit
WHITES_PER_UNIT = whites_gain(1) - 1.0  # the extra gain per slider unit
BRIGHTNESS_PER_UNIT = float(brightness_op.exact(np.zeros(1), 1)[0])  # the offset per slider unit
EXPOSURE_PER_STOP = 100.0 / math.log2(exposure_gain(100))  # slider units that double the tones
CONTRAST_PER_DOUBLING = 100.0 / math.log2(contrast_factor(100))  # units that double the spread
# Colour offsets per slider unit (fractions of white): temperature moves R - B and G - (R + B) / 2,
# tint moves G - (R + B) / 2.
_R, _G, _B = temperature_op.shifts(1)
WARM_PER_TEMPERATURE = (_R - _B) / 255.0
GREEN_PER_TEMPERATURE = (_G - (_R + _B) / 2.0) / 255.0
GREEN_PER_TINT = tint_op.shift(1) / 255.0


def shadows_for_lift(y: float, lift: float) -> float:
    """Shadows slider units that lift tone ``y`` by ``lift`` (the curve's own lift there, never
    taken as less than a twentieth of the darkest tone's, where it fades out near white)."""
    per_unit = max(shadows_curve(1, y) - y, 0.05 * SHADOWS_PER_UNIT)
    return lift / per_unit


# --- light ---------------------------------------------------------------------------------------


def exposure_to_reach(median: float, target: float) -> float:
    """Exposure slider units that move a median to a target (may exceed +-100)."""
    return EXPOSURE_PER_STOP * math.log2(max(target, 1e-3) / max(median, 1e-3))


def _light_word(m: float) -> str:
    """A median brightness in a word: 'dark', 'well exposed', 'very bright'."""
    return (
        "very dark"
        if m < 0.18
        else "dark"
        if m < AUTO_BAND[0]
        else "a little dark"
        if m < 0.40
        else "very bright"
        if m > 0.75
        else "bright"
        if m > AUTO_BAND[1]
        else "well exposed"
    )


def describe_light(s: ImageStats) -> str:
    return f"the photo is {_light_word(s.median_luma)} (median brightness {s.median_luma:.2f})"


def light_need(s: ImageStats, sign: int) -> Need | None:
    """For "brighter"/"darker"/"too dark": the exposure change to a normal median, when the photo is off that way."""
    m = s.median_luma
    if (sign > 0 and m < 0.40) or (sign < 0 and m > 0.56):
        return Need("exposure", exposure_to_reach(m, TARGET_MEDIAN), "because " + describe_light(s), _median(s))
    return None


def _median(s: ImageStats) -> dict[str, float]:
    return {"median brightness": s.median_luma}


def auto_exposure(s: ImageStats) -> Need | None:
    """ "Fix the exposure": only when the median is outside the normal band."""
    m = s.median_luma
    if m < AUTO_BAND[0]:
        return Need("exposure", exposure_to_reach(m, AUTO_TARGET_DARK), "because " + describe_light(s), _median(s))
    if m > AUTO_BAND[1]:
        return Need("exposure", exposure_to_reach(m, AUTO_TARGET_BRIGHT), "because " + describe_light(s), _median(s))
    return None


def split_brightening(s: ImageStats, current: float, delta: float) -> tuple[float, float, float]:
    """Share a brightening (exposure units) between exposure, whites and shadows.

    Exposure gives at most one stop (+100). Beyond that, whites scales the tones again (y (1 + s):
    another gain, so colours and contrast survive). Neither goes past the point where the 95th
    percentile would clip; what is still missing lifts the shadows, which brightens the dark and
    middle tones and leaves the light ones. Returns (exposure delta, whites delta, shadows delta).
    """
    if delta <= 0:
        return delta, 0.0, 0.0
    headroom = max(0.0, exposure_to_reach(max(s.p95, 1e-3), 0.97))
    exposure = max(0.0, min(delta, max(headroom, 0.5 * delta), 100.0 - current))
    rest = min(delta - exposure, max(headroom - exposure, 0.0))
    whites = 0.0
    if rest >= 5:
        whites = _clamp((exposure_gain(rest) - 1.0) / WHITES_PER_UNIT, 0.0, 80.0)
        rest = exposure_to_reach(1.0, whites_gain(whites))
    else:
        rest = 0.0
    missing = delta - exposure - rest
    if missing < 8:
        return exposure, whites, 0.0
    y = min(0.95, s.median_luma * exposure_gain(exposure + rest))
    target = min(0.9, y * exposure_gain(missing))
    return exposure, whites, _clamp(shadows_for_lift(y, target - y), 0.0, 40.0)


def predict(s: ImageStats, gain: float = 1.0, shadows: float = 0.0) -> ImageStats:
    """The tonal statistics after an exposure gain and a shadows lift (slider units), approximately.

    Both are monotonic per-channel curves, so percentiles of luminance map through them closely.
    """
    if abs(gain - 1.0) < 1e-6 and not shadows:
        return s

    def f(v: float) -> float:
        return shadows_curve(shadows, min(1.0, v * gain))

    clip_high = s.clip_high if f(s.p99) >= 0.985 else 0.0  # darkened below white: no longer clipping
    return replace(
        s,
        median_luma=f(s.median_luma),
        mean_luma=f(s.mean_luma),
        p01=f(s.p01),
        p05=f(s.p05),
        p95=f(s.p95),
        p99=f(s.p99),
        clip_high=clip_high,
    )


def brightness_to_hold(median: float, contrast: float) -> float:
    """Brightness (slider units) that keeps a median in place under contrast (version 2: pivot 0.5)."""
    k = contrast_factor(contrast)
    return _clamp((median - 0.5) * (1.0 / k - 1.0) / BRIGHTNESS_PER_UNIT, -30.0, 30.0)


# --- tonal range ---------------------------------------------------------------------------------


def contrast_need(s: ImageStats, sign: int = 0) -> Need | None:
    spread = max(s.contrast, 0.02)
    if sign >= 0 and spread < CONTRAST_BAND[0]:
        delta = _clamp(CONTRAST_PER_DOUBLING * math.log2(CONTRAST_TARGET / spread), 0.0, 45.0)
        return Need(
            "contrast",
            delta,
            f"because the tones are bunched together (range {s.p05:.2f}-{s.p95:.2f})",
            {"5th percentile": s.p05, "95th percentile": s.p95},
        )
    if sign <= 0 and spread > CONTRAST_BAND[1] and s.clip_low + s.clip_high > 0.04:
        delta = _clamp(CONTRAST_PER_DOUBLING * math.log2(0.75 / spread), -50.0, 0.0)
        return Need(
            "contrast",
            delta,
            f"because both ends are clipped ({100 * (s.clip_low + s.clip_high):.0f}% pure black or white)",
            {"clipped black": s.clip_low, "clipped white": s.clip_high},
        )
    return None


def shadows_need(s: ImageStats) -> Need | None:
    if s.p05 < 0.06 or s.clip_low > 0.02:
        y = max(s.p05, 0.0)
        delta = _clamp(max(shadows_for_lift(y, 0.12 - y), 15.0 + 300.0 * s.clip_low), 0.0, 60.0)
        return Need(
            "shadows",
            delta,
            f"because the darkest tones are crushed ({100 * s.clip_low:.0f}% pure black, 5th percentile {s.p05:.2f})",
            {"clipped black": s.clip_low, "5th percentile": s.p05},
        )
    return None


def highlights_need(s: ImageStats) -> Need | None:
    if s.clip_high > 0.01 or s.p99 > 0.985:
        delta = -_clamp(15.0 + 300.0 * s.clip_high, 0.0, 40.0)
        return Need(
            "highlights",
            delta,
            f"because the brightest areas are blown out ({100 * s.clip_high:.1f}% clipped)",
            {"clipped white": s.clip_high, "99th percentile": s.p99},
        )
    return None


def whites_for_clipping(s: ImageStats) -> float:
    """Whites pull-back (negative) that goes with a highlights recovery when pixels clip."""
    return -_clamp(300.0 * s.clip_high, 0.0, 25.0) if s.clip_high > 0.01 else 0.0


# --- colour ----------------------------------------------------------------------------------------


def neutral_cast(image: np.ndarray) -> tuple[float, float]:
    """(R - B, G - (R + B) / 2) of the least colourful third of the pixels.

    Greys, whites and shadows should be neutral, so their average colour is the cast; the mean of
    the whole photo is not (a sunset or a brick wall is warm without a cast).
    """
    step = max(1, int(max(image.shape[:2]) // 160))
    small = np.ascontiguousarray(image[::step, ::step], dtype=np.float32).reshape(-1, 3)
    r, g, b = small[:, 0], small[:, 1], small[:, 2]
    top = np.maximum(np.maximum(r, g), b)
    low = np.minimum(np.minimum(r, g), b)
    usable = (top > 0.08) & (top < 0.98)
    if usable.sum() < 50:
        usable = np.ones_like(top, dtype=bool)
    sat = (top - low) / np.maximum(top, 1e-4)
    sat_u = sat[usable]
    cut = np.quantile(sat_u, 0.33)
    pick = usable & (sat <= cut)
    return float(np.mean(r[pick] - b[pick])), float(np.mean(g[pick] - (r[pick] + b[pick]) / 2.0))


def cast_words(warm: float, gm: float) -> str:
    parts = []
    if abs(warm) >= 0.02:
        parts.append(f"{'yellow' if warm > 0 else 'blue'} ({'+' if warm > 0 else '-'}{abs(warm):.2f})")
    if abs(gm) >= 0.02:
        parts.append(f"{'green' if gm > 0 else 'magenta'} ({'+' if gm > 0 else '-'}{abs(gm):.2f})")
    return " and ".join(parts) or "neutral"


def white_balance(image: np.ndarray, s: ImageStats, strict: bool) -> list[Need]:
    """Temperature and tint that neutralise the measured cast; [] when the colours are neutral."""
    if s.is_grayscale:
        return []
    warm, gm = neutral_cast(image)
    cast_limit, tint_limit = (CAST_FIX, TINT_FIX) if strict else (CAST_AUTO, TINT_AUTO)
    needs = []
    temperature = 0.0
    if abs(warm) > cast_limit:
        residual = math.copysign(CAST_KEEP, warm)
        temperature = _clamp(-(warm - residual) / WARM_PER_TEMPERATURE, -60.0, 60.0)
        needs.append(
            Need(
                "temperature",
                temperature,
                f"to remove the {'yellow' if warm > 0 else 'blue'} cast (grey areas are "
                f"{'warm' if warm > 0 else 'cool'} by {abs(warm):.2f})",
                {"grey areas' R - B": warm},
            )
        )
    gm_after = gm + GREEN_PER_TEMPERATURE * temperature
    if abs(gm_after) > tint_limit:
        residual = math.copysign(CAST_KEEP, gm_after)
        tint = _clamp(-(gm_after - residual) / GREEN_PER_TINT, -50.0, 50.0)
        needs.append(
            Need(
                "tint",
                tint,
                f"to remove the {'green' if gm_after > 0 else 'magenta'} cast "
                f"(grey areas are off by {abs(gm_after):.2f})",
                {"grey areas' G - (R + B) / 2": gm_after},
            )
        )
    return needs


def cast_need(image: np.ndarray, s: ImageStats, tool: str, sign: int) -> Need | None:
    """For "too yellow"/"too green": the measured correction on that tool, if the cast goes that way."""
    for need in white_balance(image, s, strict=True):
        if need.tool == tool and need.delta * sign > 0:
            return need
    return None


def saturation_need(s: ImageStats, sign: int = 0) -> Need | None:
    if s.is_grayscale:
        return None
    ms = s.mean_saturation
    if sign >= 0 and ms < SATURATION_BAND[0]:
        return Need(
            "saturation",
            _clamp(100.0 * (0.18 / max(ms, 0.02) - 1.0), 15.0, 45.0),
            f"because the colours are weak (saturation {ms:.2f})",
            {"saturation": ms},
        )
    if sign <= 0 and ms > SATURATION_BAND[1]:
        return Need(
            "saturation",
            _clamp(100.0 * (0.45 / ms - 1.0), -50.0, 0.0),
            f"because the colours are very strong (saturation {ms:.2f})",
            {"saturation": ms},
        )
    return None


# Noise reduction (luminance and colour alike) NOISE_AMOUNT[0] at a noise level of NOISE_LEVELS[0]
# (deviation in levels of 255) up to NOISE_AMOUNT[1] at NOISE_LEVELS[1]; dehaze likewise from the
# haze level (the mean dark channel: clear photos about 0.1, a thick veil 0.5).
NOISE_LEVELS, NOISE_AMOUNT = (1.5, 7.5), (30.0, 60.0)
HAZE_LEVELS, DEHAZE_AMOUNT = (0.2, 0.5), (30.0, 50.0)


def _between(x: float, xs: tuple[float, float], ys: tuple[float, float]) -> float:
    """ys[0] at xs[0] or below, ys[1] at xs[1] or above, linear between."""
    t = min(max((x - xs[0]) / (xs[1] - xs[0]), 0.0), 1.0)
    return ys[0] + t * (ys[1] - ys[0])


def noise_reduction_need(image: np.ndarray) -> Need:
    """For "too noisy": the noise reduction amount (its value, not a change) from the measured noise."""
    level = noise_level(image)
    why = (
        f"because the photo is noisy (noise level {level:.1f} of 255)"
        if level >= NOISE_LEVELS[0]
        else f"as you asked; the measured noise is low ({level:.1f} of 255), so a light setting"
    )
    return Need("noise_reduction", _between(level, NOISE_LEVELS, NOISE_AMOUNT), why, {"noise level": level})


def dehaze_need(image: np.ndarray) -> Need:
    """For "hazy" / "washed out": the dehaze amount (its value, not a change) from the measured haze."""
    level = haze_level(image)
    why = (
        f"because the photo looks hazy (haze level {level:.2f})"
        if level >= HAZE_LEVELS[0]
        else f"as you asked; the measured haze is low ({level:.2f}), so a moderate setting"
    )
    return Need("dehaze", _between(level, HAZE_LEVELS, DEHAZE_AMOUNT), why, {"haze level": level})


def sharpness_need(s: ImageStats) -> Need | None:
    if s.sharpness < 150:
        return Need("sharpness", 50.0, f"because the photo is soft (detail {s.sharpness:.0f})", _detail(s))
    if s.sharpness < 400:
        return Need("sharpness", 35.0, f"because the photo is a little soft (detail {s.sharpness:.0f})", _detail(s))
    return None


def _detail(s: ImageStats) -> dict[str, float]:
    return {"detail": s.sharpness}


def assess(image: np.ndarray, s: ImageStats) -> list[str]:
    """What a measured "auto" would fix, in words (for "what do you think?")."""
    issues = []
    if auto_exposure(s):
        issues.append(describe_light(s).replace("the photo is ", "it is "))
    if contrast_need(s, +1):
        issues.append(f"the contrast is low (tones {s.p05:.2f}-{s.p95:.2f})")
    if shadows_need(s):
        issues.append(f"the shadows are crushed ({100 * s.clip_low:.0f}% pure black)")
    if highlights_need(s):
        issues.append(f"the highlights are blown out ({100 * s.clip_high:.1f}% clipped)")
    if white_balance(image, s, strict=False):
        warm, gm = neutral_cast(image)
        issues.append(f"it has a {cast_words(warm, gm)} colour cast")
    need = saturation_need(s)
    if need:
        issues.append("the colours are weak" if need.delta > 0 else "the colours are very strong")
    return issues


# --- one area of the photo (a masked node: agent/areas.py) ----------------------------------------------


def area_need(tool: str, sign: int, s: ImageStats, place: str) -> Need | None:
    """For "darken the sky" / "the faces are too dark" / "more colour in the greens": the change
    measured on the area's own pixels (``s``: their statistics; ``place``: 'on the sky'). Exposure
    moves the area's median half way to a normal median; saturation brings its colours into the
    normal band. None when the measurement does not point the asked way (or the tool has no
    measure): the caller then makes an ordinary step."""
    if tool == "exposure":
        m = s.median_luma
        delta = _clamp(exposure_to_reach(m, (m + TARGET_MEDIAN) / 2))
        return Need(
            "exposure", delta, f"because the median brightness {place} is {m:.2f} ({_light_word(m)})", _median(s)
        )
    if tool == "saturation" and not s.is_grayscale:
        ms = s.mean_saturation
        target = SATURATION_BAND[0] + 0.1 if sign > 0 else SATURATION_BAND[1] - 0.1
        delta = _clamp(100.0 * (target / max(ms, 0.02) - 1.0), -60.0, 60.0)
        word = "weak" if delta > 0 else "strong"
        return Need(
            "saturation", delta, f"because the colours {place} are {word} (saturation {ms:.2f})", {"saturation": ms}
        )
    return None
