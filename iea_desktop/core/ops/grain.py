"""Grain: film-like noise (positive values only).

Version 1 is the IEA reference: independent Gaussian noise per pixel and channel with standard
deviation 0.003 v, seeded (the reference is not) so a project always renders the same pixels.
Version 2 is monochrome (luminance) grain, which reads as film grain rather than colour noise.
"""

import numpy as np

from .base import OpSpec, value_param


def exact(x: np.ndarray, v: int, rng: np.random.Generator) -> np.ndarray:
    if v <= 0:
        return x
    return x + rng.normal(0.0, 0.003 * v, size=x.shape).astype(np.float32)


def colour_grain(image: np.ndarray, p: dict, ctx) -> np.ndarray:
    return exact(np.clip(image, 0.0, 1.0), p["value"], np.random.default_rng(ctx.seed))


def mono_grain(image: np.ndarray, p: dict, ctx) -> np.ndarray:
    v = p["value"]
    image = np.clip(image, 0.0, 1.0)
    if v <= 0:
        return image
    noise = np.random.default_rng(ctx.seed).normal(0.0, 0.003 * v, size=image.shape[:2]).astype(np.float32)
    return image + noise[..., None]


OP = OpSpec(
    name="grain",
    label="Grain",
    help="Add film grain (+); negative values do nothing.",
    stage="D",
    order=140,
    params=value_param("+ more grain; values below 0 have no effect"),
    versions={1: colour_grain, 2: mono_grain},
    iea_tool=True,
    iea_exact=exact,
    version_notes={1: "IEA reference (colour noise)", 2: "monochrome film grain"},
)
