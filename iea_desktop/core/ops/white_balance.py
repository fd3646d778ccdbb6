"""White balance: the light the photo was taken under, in kelvin and tint, corrected in linear light.

The values name the light to correct for, as RAW editors' sliders do: a higher temperature means
a bluer light was assumed, so the photo comes out warmer; a positive tint, a greener light, so it
comes out more magenta. The values are relative to the photo's own white (as shot: D65, which an
sRGB photo is balanced to, or a RAW's camera white balance), which is 6500 K, tint +10 (D65's own
values); there the op is the identity (the renderer skips it).

The math (``core/colour_science.py``): decode sRGB to linear, multiply by
M = XYZ_to_sRGB · Bradford(white(K, tint) -> white(6500, +10)) · sRGB_to_XYZ, clip to [0, 1],
encode sRGB. For a camera RAW (``ctx.camera``: the renderer's, read from the photo the first time
a white balance renders) the channels are
scaled in the camera's white-balanced RGB instead, M = rgb_cam · diag(cam(white(6500, +10)) /
cam(white(K, tint))) · rgb_cam^-1, which is the RAW develop with its multipliers changed (the
developed pixels are linear in the camera's data once their BT.709 curve is decoded).

The decode and encode are 65,536-entry tables and M a MATRIX stage of the compiled kernel, all
three in one pass over the pixels (``kernel.run``), fused with the point nodes around it (a
"kernel" point op, ``pointops.py``) or into noise reduction's own pass before it.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .. import colour_science as cs
from .base import OpSpec, Param

AS_SHOT = (6500, 10)  # (temperature, tint) of the photo's own white: D65 is 6504 K, +9.6


def white_xy(temperature: float, tint: float) -> tuple[float, float]:
    return cs.kelvin_tint_to_xy(temperature, tint)


def resolve(camera) -> cs.Camera | None:
    """RenderContext.camera as a Camera: it may be a function that reads it (image_io.raw_camera)."""
    return camera() if callable(camera) else camera


def space(camera: cs.Camera | None) -> np.ndarray:
    """Where the channels are scaled: Bradford's cones, or a RAW photo's camera RGB."""
    return cs.BRADFORD_RGB if camera is None else camera.space


@lru_cache(maxsize=64)
def matrix(temperature: float, tint: float, camera: cs.Camera | None = None) -> np.ndarray:
    """The 3x3 matrix on linear sRGB that corrects a light of (temperature, tint), float32."""
    m = cs.adaptation(space(camera), white_xy(temperature, tint), white_xy(*AS_SHOT)).astype(np.float32)
    m.setflags(write=False)
    return m


@lru_cache(maxsize=2)
def _tables(transfer: str = "srgb") -> tuple[np.ndarray, np.ndarray]:
    """(decode, encode) of the transfer curve at 65,536 evenly spaced inputs in [0, 1]."""
    ramp = np.arange(65536, dtype=np.float64) / 65535.0
    return cs.to_linear(ramp, transfer).astype(np.float32), cs.from_linear(ramp, transfer).astype(np.float32)


def stages(p: dict, camera) -> list[tuple]:
    """Decode, the matrix and encode back: stages of the compiled kernel (the encode table's index
    clips to [0, 1]); at the photo's own white, only the clip (no table round trip)."""
    from .. import kernel

    if (p["temperature"], p["tint"]) == AS_SHOT:
        return [(kernel.CLIPPED_AFFINE, 1.0, 0.0, (1.0, 1.0, 1.0), (0.0, 0.0, 0.0))]
    camera = resolve(camera)
    decode, encode = _tables("srgb" if camera is None else camera.transfer)
    m = tuple(tuple(float(v) for v in row) for row in matrix(p["temperature"], p["tint"], camera))
    return [(kernel.TABLE, 65535.0, 0.0, decode), (kernel.MATRIX, m), (kernel.TABLE, 65535.0, 0.0, encode)]


def apply(image: np.ndarray, p: dict, ctx) -> np.ndarray:
    """``stages`` in one pass of the compiled kernel (the renderer fuses them with its neighbours instead)."""
    from .. import kernel

    out = ctx.out
    if out is None or ctx.out_offset != 0 or out.shape != image.shape:
        out = np.empty(image.shape, dtype=np.float32)
    source = np.ascontiguousarray(image, dtype=np.uint8 if image.dtype == np.uint8 else np.float32)
    return kernel.run(source, out, stages(p, ctx.camera))


OP = OpSpec(
    name="white_balance",
    label="White balance",
    help="Correct the colour of the light: the temperature (kelvin) and tint of the light the photo was taken "
    "under. Higher temperature = warmer result, positive tint = more magenta; 6500 K, tint +10 is as shot.",
    stage="A",
    order=5,
    params=(
        Param(
            "temperature",
            "Temperature",
            2000,
            50000,
            AS_SHOT[0],
            "kelvin of the light to correct for; higher = warmer result (as shot: 6500)",
        ),
        Param(
            "tint",
            "Tint",
            -150,
            150,
            AS_SHOT[1],
            "green (-) or magenta (+) correction; the light's offset from the Planckian locus, Duv x 3000 "
            "(as shot: +10)",
        ),
    ),
    versions={1: apply},
    version_notes={1: "a chromatic adaptation in linear light (see Formulas)"},
    point="kernel",
    stages={1: stages},
    math=(
        "sRGB decoded (IEC 61966-2-1: x / 12.92 up to 0.04045, else ((x + 0.055) / 1.055)^2.4), then "
        "M = XYZ_to_sRGB · Bradford(white(K, tint) -> white(6500, +10)) · sRGB_to_XYZ, clipped to [0, 1] and "
        "encoded. Bradford: LMS = B · XYZ, B = [[0.8951, 0.2664, -0.1614], [-0.7502, 1.7135, 0.0367], "
        "[0.0389, -0.0685, 1.0296]], each cone scaled by target white / source white (whites at Y = 1). "
        "white(K, tint): the Planckian locus in CIE 1960 uv by Krystek's approximation, u = (0.860117757 + "
        "1.54118254e-4 T + 1.28641212e-7 T²) / (1 + 8.42420235e-4 T + 7.08145163e-7 T²), v = (0.317398726 + "
        "4.22806245e-5 T + 4.20481691e-8 T²) / (1 - 2.89741816e-5 T + 1.61456053e-7 T²), moved along the locus' "
        "normal towards green by Duv = tint / 3000; x = 3u / (2u - 8v + 4), y = 2v / (2u - 8v + 4) (D65 is "
        "about 6504 K, +9.6). Camera RAW: the same scaling on the camera's white-balanced RGB instead of the "
        "cones, M = rgb_cam · diag(cam(white(6500, +10)) / cam(white(K, tint))) · rgb_cam^-1 with cam = "
        "rgb_cam^-1 · XYZ_to_sRGB, on the develop's BT.709 curve decoded: LibRaw's develop with the as-shot "
        "multipliers times those ratios, without developing again. Presets (K, tint): as shot 6500/+10, "
        "daylight 5500/+10, cloudy 6500/+10, shade 7500/+10, tungsten 2850/0, fluorescent 3800/+21, flash "
        "5500/0. Eyedropper: the light whose scaling turns the mean linear colour c of a 5 x 5 patch neutral, "
        "s(light) = s(white(6500, +10)) · s(c) / s(1, 1, 1) per channel of the space s, back to (K, tint) on "
        "the locus' normals (Robertson's isotemperature lines). Auto: lights on a 5-mired x 5-tint grid "
        "(2000-12000 K, tint -60..+60) voted for by the luminance-weighted log-chromaticity histogram of the "
        "unclipped pixels (a grey surface under that light), weighted by nearness to the grey-edge estimate "
        "(Minkowski p = 6 of the gradients); the light is the mean of the brighter half of the pixels within "
        "0.04 of the winner's chromaticity (core/white_balance.py)."
    ),
    tiles=True,
)
