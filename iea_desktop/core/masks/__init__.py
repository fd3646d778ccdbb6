"""Masks: where on the photo a node acts (model.py: the data; raster.py: each component's pixels;
areas.py: the areas found in a photo; plane.py: a mask as the renderer reads it)."""

from .model import (
    AREAS,
    MASK_VERSION,
    Area,
    Brush,
    ColourRange,
    Linear,
    LuminanceRange,
    Mask,
    MaskError,
    Radial,
    Stroke,
)

__all__ = [
    "AREAS",
    "MASK_VERSION",
    "Area",
    "Brush",
    "ColourRange",
    "Linear",
    "LuminanceRange",
    "Mask",
    "MaskError",
    "Radial",
    "Stroke",
]
