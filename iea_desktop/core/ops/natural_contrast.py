"""Natural contrast: an S-shaped tone curve.

Version 1 is the IEA reference's un-normalised sigmoid T(y) = 1 / (1 + exp(-f (255 y - 128) / 255))
with f = v / 10: small positive values squeeze the range towards grey and negative values invert
the image. Version 2 normalises the sigmoid so black stays black and white stays white, and for
negative values applies its inverse (a gentle flattening), so the slider is monotonic.
"""

import numpy as np

from .base import OpSpec, apply_curve, table_from_curve, value_param


def reference_curve(v: int):
    f = v / 10.0
    return lambda y: 1.0 / (1.0 + np.exp(-f * (255.0 * y - 128.0) / 255.0))


def normalised_curve(v: int):
    gain = 0.08 * abs(v)  # 8 at the ends of the slider
    if gain == 0:
        return lambda y: y  # the sigmoid is flat at 0: (s - lo) / (hi - lo) would be 0 / 0

    def sigmoid(t):
        return 1.0 / (1.0 + np.exp(-gain * (t - 0.5)))

    lo, hi = sigmoid(0.0), sigmoid(1.0)
    if v > 0:
        return lambda y: (sigmoid(y) - lo) / (hi - lo)

    def inverse(y):
        s = lo + np.clip(y, 0.0, 1.0) * (hi - lo)
        return 0.5 + np.log(s / (1.0 - s)) / gain

    return inverse


def exact(v: int) -> np.ndarray:
    return table_from_curve(reference_curve(v))


OP = OpSpec(
    name="natural_contrast",
    label="Natural contrast",
    help="An S-curve: richer mid-tone contrast (+) or a softer, flatter look (-).",
    stage="B",
    order=50,
    params=value_param("+ S-curve, - flatter"),
    versions={
        1: lambda img, p, ctx: apply_curve(img, reference_curve(p["value"])),
        2: lambda img, p, ctx: apply_curve(img, normalised_curve(p["value"])),
    },
    iea_tool=True,
    iea_exact=exact,
    point="curve",
    tiles=True,
    version_notes={1: "IEA reference (squeezes or inverts)", 2: "normalised S-curve"},
)
