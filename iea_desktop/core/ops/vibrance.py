"""Vibrance: saturation that favours muted colours.

Version 1 is the IEA reference, whose weight is computed with V on the 0..255 scale and so is
zero everywhere: positive values change nothing and negative values act as negative saturation,
S + a S. Version 2 is the intended behaviour, made proportional so greys stay grey:
S (1 + 2 a (1 - S) w) with the weight w = clip(1 - 2 |V - 0.5|, 0, 1) for v > 0 (muted mid-tone
colours gain most), and S (1 + a (1 - S)) for v < 0 (muted colours lose most, vivid ones keep
some colour). The paper's intended S + a (1 - S) w would paint colour into neutral greys.
"""

import numpy as np

from .base import saturation_op, slider_map, value_param


def exact(s: np.ndarray, v: int) -> np.ndarray:
    """s: HSV saturation in [0, 1] (float32)."""
    if v > 0:
        return s
    a = slider_map(v, -100, 100, -1.0, 1.0)
    return np.clip(s + a * s, 0.0, 1.0)


def intended(s: np.ndarray, value: np.ndarray, v: int) -> np.ndarray:
    a = v / 100.0
    if v > 0:
        w = np.clip(1.0 - 2.0 * np.abs(value - 0.5), 0.0, 1.0)
        return s * (1.0 + 2.0 * a * (1.0 - s) * w)
    return s * (1.0 + a * (1.0 - s))


MAPS = {
    1: lambda p: lambda s, _v: exact(s, p["value"]),
    2: lambda p: lambda s, value: intended(s, value, p["value"]),
}


OP = saturation_op(
    MAPS,
    name="vibrance",
    label="Vibrance",
    help="Boost (+) or mute (-) the dull colours more than the vivid ones.",
    stage="C",
    order=110,
    params=value_param("+ livelier muted colours, - quieter colours"),
    iea_tool=True,
    iea_exact=exact,
    version_notes={1: "IEA reference (+ does nothing)", 2: "weighted towards muted colours"},
)
