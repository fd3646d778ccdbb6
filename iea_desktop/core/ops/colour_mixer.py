"""Colour mixer (HSL): hue, saturation and luminance of eight colour bands.

Works on the pixel's HSV hue H, saturation S and value V (OpenCV's float HSV: H in degrees).
Each band has a centre hue (red 0, orange 30, yellow 60, green 120, aqua 180, blue 240, purple
270, magenta 300 degrees); between two neighbouring centres the weights of those two bands are a
raised cosine, w = (1 + cos(pi t)) / 2 and 1 - w, t going 0..1 from one centre to the next. They
sum to one everywhere and change smoothly (no edge where a band ends, so no banding in a hue
gradient). With a band's sliders h_b, s_b, l_b in [-100, 100] and weights w_b(H):

- hue: H + sum w_b h_b / 100 * R_b degrees, R_b = 0.3 x the smaller gap to a neighbouring centre
  (9 degrees for the narrow bands, 18 for green and aqua): small enough that the hue map stays
  increasing (its slope is at least 1 - 0.6 pi / 2 > 0), so colours never swap order;
- saturation: S x (1 + sum w_b s_b / 100), at most 1 (-100: that band grey, +100: twice as
  saturated);
- luminance: V x (1 + S (2^(sum w_b l_b / 100) - 1)), at most 1: up to one stop at full
  saturation and nothing on greys, whose hue means nothing (their S is 0, so they stay grey).

The sums are tabulated at 8,192 hues (every 0.044 degrees, finer than an 8-bit photo's hues
are): a pixel reads the saturation and luminance factors of the step its hue falls in, and the hue
shift interpolated linearly (a step function would let hues a step apart swap order). The pixels
go through the compiled kernel's HUE stage (core/_kernel.c; kernel_fallback.py in numpy), fused
with the neighbouring point ops into one pass (core/pointops.py).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .base import OpSpec, Param

BANDS = (
    ("red", 0.0),
    ("orange", 30.0),
    ("yellow", 60.0),
    ("green", 120.0),
    ("aqua", 180.0),
    ("blue", 240.0),
    ("purple", 270.0),
    ("magenta", 300.0),
)
HUE_REACH = 0.3  # a band's largest hue shift, as a share of the smaller gap to a neighbouring centre
LUMINANCE_STOPS = 1.0  # +-100 luminance at full saturation
STEPS = 8192  # table steps over 360 degrees: finer than an 8-bit photo's own hues
PROPERTIES = ("hue", "saturation", "luminance")


def weights(hue: np.ndarray) -> np.ndarray:
    """(len(hue), 8) raised-cosine weights of the bands at hues in degrees; rows sum to 1."""
    centres = np.array([c for _, c in BANDS])
    hue = np.mod(np.asarray(hue, dtype=np.float64), 360.0)
    following = np.append(centres[1:], centres[0] + 360.0)
    i = np.searchsorted(centres, hue, side="right") - 1  # the centre at or below (red's is 0)
    t = (hue - centres[i]) / (following[i] - centres[i])
    w = (1.0 + np.cos(np.pi * t)) / 2.0
    out = np.zeros((hue.size, len(BANDS)))
    out[np.arange(hue.size), i] = w
    out[np.arange(hue.size), (i + 1) % len(BANDS)] += 1.0 - w
    return out


def hue_reach() -> np.ndarray:
    """R_b in degrees: HUE_REACH x the smaller gap to a neighbouring centre."""
    centres = np.array([c for _, c in BANDS])
    after = np.diff(np.append(centres, centres[0] + 360.0))
    return HUE_REACH * np.minimum(after, np.roll(after, 1))


@lru_cache(maxsize=64)
def table(values: tuple) -> tuple[np.ndarray, tuple[bool, bool, bool]]:
    """The mixer's sums per hue step (STEPS of them and one more for 360 degrees), as a float32
    (STEPS + 1, 4) table: the hue shift at each step's start plus 360 (OpenCV's HSV to RGB wraps
    hues above 360, not below 0) and its rise to the next step, read with linear interpolation (so
    the hue map stays increasing); the saturation factor and the luminance factor - 1 in the middle
    of each step, read as they are. Also whether any hue, saturation or luminance slider is set
    (the work for the others is skipped). ``values``: the 24 sliders."""
    sliders = np.array(values, dtype=np.float64).reshape(3, len(BANDS)) / 100.0
    middles = weights((np.arange(STEPS + 1) + 0.5) * (360.0 / STEPS))
    starts = weights(np.arange(STEPS + 2) * (360.0 / STEPS)) @ (sliders[0] * hue_reach()) + 360.0
    columns = (
        starts[:-1],
        np.diff(starts),
        1.0 + middles @ sliders[1],
        np.exp2(LUMINANCE_STOPS * (middles @ sliders[2])) - 1.0,
    )
    result = np.ascontiguousarray(np.stack(columns, axis=-1), dtype=np.float32)
    result.setflags(write=False)
    hue, saturation, luminance = (bool(row.any()) for row in sliders)
    return result, (hue, saturation, luminance)


def param_names() -> list[str]:
    return [f"{band}_{prop}" for prop in PROPERTIES for band, _ in BANDS]


CHANGES = (1, 2, 4)  # the kernel's HUE stage: which of hue, saturation, luminance a slider changes


def stage(p: dict) -> tuple:
    """The mixer as one stage of the compiled kernel (core/_kernel.c, ``hue_pixel``): OpenCV's HSV
    round trip, with the table's row for each hue; the renderer fuses it with its neighbours."""
    from .. import kernel

    lookup, changes = table(tuple(p[name] for name in param_names()))
    return kernel.HUE, lookup, STEPS, sum(bit for bit, changed in zip(CHANGES, changes) if changed)


def apply(image: np.ndarray, p: dict, ctx) -> np.ndarray:
    from .. import kernel

    if ctx.out is not None:  # only the rows the renderer wants, straight into its array
        out = ctx.out
        image = image[ctx.out_offset : ctx.out_offset + out.shape[0]]
    else:
        out = np.empty(image.shape, dtype=np.float32)
    if not any(p[name] for name in param_names()):
        return np.clip(image, 0.0, 1.0, out=out)
    source = np.ascontiguousarray(image, dtype=np.uint8 if image.dtype == np.uint8 else np.float32)
    return kernel.run(source, out, [stage(p)])


def _params() -> tuple[Param, ...]:
    helps = {
        "hue": "+ turns {band} towards the next colour round the wheel, - towards the previous one",
        "saturation": "+ richer {band}, - duller ({band} grey at -100)",
        "luminance": "+ lighter {band}, - darker {band}",
    }
    return tuple(
        Param(f"{band}_{prop}", f"{band.capitalize()} {prop}", -100, 100, 0, helps[prop].format(band=band + "s"))
        for prop in PROPERTIES
        for band, _ in BANDS
    )


OP = OpSpec(
    name="colour_mixer",
    label="Colour mixer",
    help="Change the hue, saturation and luminance of one colour at a time: reds, oranges, yellows, greens, aquas, "
    "blues, purples, magentas.",
    stage="C",
    order=135,
    params=_params(),
    versions={1: apply},
    point="kernel",
    stages={1: lambda p, _camera: [stage(p)]},
    tiles=True,
    math=(
        "On the pixel's HSV hue H (degrees), saturation S and value V. Bands centred at red 0, orange 30, "
        "yellow 60, green 120, aqua 180, blue 240, purple 270, magenta 300; between neighbouring centres "
        "raised-cosine weights w = (1 + cos(pi t)) / 2 and 1 - w (t: 0..1 from one centre to the next), "
        "summing to 1. With a band's sliders h_b, s_b, l_b / 100: H' = H + sum w_b h_b R_b, R_b = "
        f"{HUE_REACH:g} x the smaller gap to a neighbouring centre (9 or 18 degrees; the hue map stays "
        "increasing); S' = min(1, S (1 + sum w_b s_b)); V' = min(1, V (1 + S (2^(sum w_b l_b) - 1))) "
        "(luminance: up to one stop at full saturation, none on greys). Tabulated at 8,192 hues: "
        "the hue shift read with linear interpolation, the factors at the step a hue falls in."
    ),
)
