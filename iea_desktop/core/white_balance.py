"""White balance presets, the automatic estimate and the eyedropper, as values of the
``white_balance`` op (``ops/white_balance.py``): (temperature in kelvin, tint).

Both measurements read the op's input (the picture as rendered up to the white balance node),
encoded floats (sRGB, or a RAW's develop curve), and work in linear light, in the op's space (Bradford's
cones, or a RAW's camera RGB):

- eyedropper: the mean linear colour of a small patch around the clicked pixel is taken for the
  light; the values returned correct exactly that light, so the patch comes out neutral.
- auto: a grey surface under a light takes that light's colour, and lights lie near the Planckian
  locus. So plausible lights (2000-12000 K, tint -60..+60) are voted for by the unclipped pixels
  whose log-chromaticity (log R/G, log B/G) is that of a grey under them, brighter pixels weighing
  more; a colour far from every light (grass, sky) casts no vote, however much of the picture it
  covers. The votes are weighted by nearness to a grey-edge estimate (van de Weijer et al. 2007:
  the Minkowski mean, p = 6, of each channel's gradient), which settles near ties; the light is the
  mean of the brighter half of the pixels near the winner.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import colour_science as cs
from .ops.white_balance import AS_SHOT, matrix, resolve, space, white_xy

# (temperature, tint) per preset; "as shot" is the photo's own white, "auto" is measured (``auto``).
PRESETS: dict[str, tuple[int, int] | None] = {
    "As shot": AS_SHOT,
    "Auto": None,
    "Daylight": (5500, 10),
    "Cloudy": (6500, 10),
    "Shade": (7500, 10),
    "Tungsten": (2850, 0),
    "Fluorescent": (3800, 21),
    "Flash": (5500, 0),
}

PATCH = 5  # the eyedropper averages a PATCH x PATCH square (clipped at the picture's edges)
_DARKEST = 1e-4  # linear luminance below which a colour says nothing about the light


class WhiteBalanceError(ValueError):
    """A measurement that cannot be made (a black patch); the message says why, for a person."""


def values_for_light(rgb: np.ndarray, camera: cs.Camera | None = None) -> tuple[int, int]:
    """(temperature, tint) of the op that turns the linear colour ``rgb`` neutral: the op scales the
    channels of its space (Bradford's cones, or the RAW's camera RGB) from the light's white to the
    as-shot white, so the light is rgb with each channel times as-shot white's over sRGB white's."""
    rgb, camera = np.asarray(rgb, dtype=np.float64), resolve(camera)
    if not np.all(np.isfinite(rgb)) or float(cs.RGB_TO_XYZ[1] @ np.maximum(rgb, 0)) < _DARKEST:
        raise WhiteBalanceError("that spot is too dark to tell the colour of the light; pick something light grey")
    light = cs.light_to_neutralise(space(camera), np.maximum(rgb, 1e-6), white_xy(*AS_SHOT))
    kelvin, tint = cs.xy_to_kelvin_tint(*light)
    low, high = cs.KELVIN_RANGE
    return int(round(min(max(kelvin, low), high))), int(round(tint))


def eyedropper(image: np.ndarray, x: int, y: int, camera: cs.Camera | None = None) -> tuple[int, int]:
    """The values that make the patch around pixel (x, y) of ``image`` (the op's input, encoded float
    RGB) neutral; ``camera``: the photo's, if it is a RAW (RenderContext.camera)."""
    camera = resolve(camera)
    height, width = image.shape[:2]
    if not (0 <= x < width and 0 <= y < height):
        raise WhiteBalanceError(f"({x}, {y}) is outside the picture ({width} × {height})")
    r = PATCH // 2
    patch = image[max(0, y - r) : y + r + 1, max(0, x - r) : x + r + 1, :3]
    linear = cs.to_linear(np.clip(patch, 0.0, 1.0), _transfer(camera))
    return values_for_light(linear.reshape(-1, 3).mean(axis=0), camera)


def _transfer(camera: cs.Camera | None) -> str:
    return "srgb" if camera is None else camera.transfer


def _small_linear(image: np.ndarray, transfer: str, edge: int = 384) -> np.ndarray:
    """A linear-light copy at most ``edge`` pixels on its long side (area-averaged, in double)."""
    import cv2

    height, width = image.shape[:2]
    scale = min(1.0, edge / max(height, width))
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        image = cv2.resize(np.asarray(image[..., :3], dtype=np.float32), size, interpolation=cv2.INTER_AREA)
    return cs.to_linear(np.clip(image[..., :3], 0.0, 1.0), transfer)


@lru_cache(maxsize=4)
def _candidate_lights(camera: cs.Camera | None) -> tuple[np.ndarray, np.ndarray]:
    """Plausible lights, 2000-12000 K every 5 mired, tint -60..+60 every 5: (their values, the
    log-chroma (log R/G, log B/G) a grey surface takes under each, as the photo shows it)."""
    values, chroma = [], []
    for mired in np.arange(1e6 / 12000, 1e6 / 2000 + 1e-9, 5.0):
        for tint in range(-60, 61, 5):
            grey = np.linalg.solve(matrix(1e6 / mired, tint, camera).astype(np.float64), np.ones(3))
            if grey.min() <= 0:  # beyond what sRGB can show
                continue
            values.append((1e6 / mired, tint))
            chroma.append(np.log(grey[[0, 2]] / grey[1]))
    return np.array(values), np.array(chroma)


def _log_chroma(rgb: np.ndarray) -> np.ndarray:
    return np.log(rgb[..., [0, 2]] / rgb[..., 1:2])


def _grey_edge(linear: np.ndarray, usable: np.ndarray) -> np.ndarray:
    """Grey-edge: the Minkowski mean (p = 6) of each channel's gradient magnitude, on a smoothed copy."""
    import cv2

    smooth = cv2.GaussianBlur(linear.astype(np.float32), (0, 0), 1.0).astype(np.float64)
    gx = cv2.Sobel(smooth, cv2.CV_64F, 1, 0, ksize=3)
    gy = cv2.Sobel(smooth, cv2.CV_64F, 0, 1, ksize=3)
    magnitude = np.sqrt(gx * gx + gy * gy)[usable]
    light = np.mean(magnitude**6, axis=0) ** (1 / 6) if magnitude.size else np.zeros(3)
    if not np.all(light > 0):  # no edges (a flat picture): its mean colour
        light = linear[usable].mean(axis=0) if usable.any() else linear.reshape(-1, 3).mean(axis=0)
    return light


def estimate_light(image: np.ndarray, camera: cs.Camera | None = None) -> np.ndarray:
    """The colour of the light (linear sRGB, green = 1) in an encoded float picture; see the module."""
    import cv2

    linear = _small_linear(image, _transfer(camera))
    usable = (linear.max(axis=2) < 0.98) & (linear.min(axis=2) > 0.004)  # clipped or noise-dark: no colour
    prior = _grey_edge(linear, usable)
    if not np.all(prior > 0):
        raise WhiteBalanceError("the picture has no colour to measure the light from")
    pixels = linear[usable]
    if len(pixels) < 16:
        return prior / prior[1]
    chroma = _log_chroma(pixels)
    weight = cs.RGB_TO_XYZ[1] @ pixels.T  # brighter surfaces say more about the light
    bins, span = 300, 1.5  # log-chroma from -1.5 to 1.5 in steps of 0.01
    histogram, _, _ = np.histogram2d(chroma[:, 0], chroma[:, 1], bins=bins, range=[[-span, span]] * 2, weights=weight)
    histogram = cv2.GaussianBlur(histogram, (0, 0), 2.0)
    values, lights = _candidate_lights(camera)
    index = np.clip(((lights + span) / (2 * span) * bins).astype(int), 0, bins - 1)
    support = histogram[index[:, 0], index[:, 1]]
    distance = np.sum((lights - _log_chroma(prior)) ** 2, axis=1)
    score = support * np.exp(-distance / (2 * 0.7**2))
    if score.max() <= 0:
        return prior / prior[1]
    best = lights[np.argmax(score)]
    near = np.abs(chroma - best).max(axis=1) < 0.04
    chosen = pixels[near]
    light = chosen[chosen[:, 1] >= np.quantile(chosen[:, 1], 0.5)].mean(axis=0)
    return light / light[1]


def auto(image: np.ndarray, camera: cs.Camera | None = None) -> tuple[int, int]:
    """(temperature, tint) that neutralise the estimated light of an encoded float picture (the op's
    input; ``camera`` as for ``eyedropper``)."""
    camera = resolve(camera)
    return values_for_light(estimate_light(image, camera), camera)


def node_input(document, node_id: str) -> np.ndarray:
    """What the white balance node ``node_id`` of ``document`` (a core Document) measures: the nodes
    before it rendered over the preview source (float32, encoded as the photo is), for ``auto`` and
    ``eyedropper`` with ``document.camera``."""
    from .render import RenderRequest

    nodes = document.graph.nodes
    before = nodes[: next(i for i, n in enumerate(nodes) if n.id == node_id)]
    return document.render(RenderRequest(nodes=before, cached=False, pipe="white balance"))
