"""Texture: clarity's local contrast (see clarity.py) at a fine scale: small detail such as skin,
foliage or fabric, with a smaller edge threshold."""

from .base import OpSpec, value_param
from .clarity import describe, local_contrast

RADIUS, EPS, GAIN = 4.0, 0.04**2, 1.5
apply, halo = local_contrast(RADIUS, EPS, GAIN)

OP = OpSpec(
    name="texture",
    label="Texture",
    help="Fine detail: more (+) or smoothed (-), mostly in the mid-tones.",
    stage="C",
    order=138,
    params=value_param("+ more fine detail, - smoother"),
    versions={1: apply},
    tiles=True,
    halo=halo,
    fuses_after=True,
    math=describe(RADIUS, EPS, GAIN),
)
