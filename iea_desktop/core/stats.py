"""Measured image statistics: what the assistants read to size their edits."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import cv2
import numpy as np

from .ops.dehaze import dark_channel

LUMA = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)


@dataclass
class ImageStats:
    median_luma: float  # 0..1, perceptual (gamma-encoded) luminance
    mean_luma: float
    p01: float  # luminance percentiles
    p05: float
    p95: float
    p99: float
    clip_low: float  # fraction of pixels with luminance <= 1/255
    clip_high: float  # fraction of pixels with any channel >= 254/255
    mean_saturation: float  # HSV saturation, 0..1
    warmth: float  # mean (R - B), -1..1: > 0 warm/yellow cast, < 0 cool/blue cast
    green_magenta: float  # mean (G - (R + B) / 2): > 0 green cast, < 0 magenta cast
    sharpness: float  # variance of the Laplacian of luminance (0..255 scale), higher = crisper
    is_grayscale: bool

    @property
    def contrast(self) -> float:
        """Spread of the middle 90% of tones, 0..1."""
        return self.p95 - self.p05

    def to_dict(self) -> dict:
        data = {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items()}
        data["contrast"] = round(self.contrast, 4)
        return data

    def to_text(self) -> str:
        """A compact description for a model's prompt."""
        return (
            f"median brightness {self.median_luma:.2f} (0 black, 1 white), tonal range p5-p95 "
            f"{self.p05:.2f}-{self.p95:.2f}, {100 * self.clip_low:.1f}% crushed shadows, "
            f"{100 * self.clip_high:.1f}% clipped highlights, saturation {self.mean_saturation:.2f}, "
            f"colour cast {'warm' if self.warmth > 0 else 'cool'} {abs(self.warmth):.3f}, "
            f"{'green' if self.green_magenta > 0 else 'magenta'} {abs(self.green_magenta):.3f}, "
            f"sharpness {self.sharpness:.0f}{', black and white' if self.is_grayscale else ''}"
        )


def measure(image: np.ndarray) -> ImageStats:
    """Statistics of a float32 RGB image in [0, 1] (use a small preview: a few ms at 512 px)."""
    rgb = np.clip(image, 0.0, 1.0).astype(np.float32, copy=False)
    luma = rgb @ LUMA
    p01, p05, p50, p95, p99 = np.percentile(luma, [1, 5, 50, 95, 99])
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    sat, top = hsv[..., 1], hsv[..., 2]  # top = max(R, G, B); max - min = V * S
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    lap = cv2.Laplacian(luma * 255.0, cv2.CV_32F)
    # Reductions along the 3-channel axis (rgb.max(axis=2)) are slow in numpy; HSV already has them.
    chroma = float(np.mean(top * sat))
    return ImageStats(
        median_luma=float(p50),
        mean_luma=float(luma.mean()),
        p01=float(p01),
        p05=float(p05),
        p95=float(p95),
        p99=float(p99),
        clip_low=float(np.mean(luma <= 1 / 255)),
        clip_high=float(np.mean(top >= 254 / 255)),
        mean_saturation=float(sat.mean()),
        warmth=float(np.mean(r - b)),
        green_magenta=float(np.mean(g - (r + b) / 2)),
        sharpness=float(lap.var()),
        is_grayscale=chroma < 0.01,
    )


# --- noise and haze: what noise reduction and dehaze are sized by ----------------------------------

# Immerkaer's noise kernel (1996): the difference of two Laplacians, blind to edges' first and
# second order; for white noise of deviation sigma its response has deviation 6 sigma.
_NOISE_KERNEL = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float32)


def noise_level(image: np.ndarray) -> float:
    """The deviation of the luma's noise, in 0..255 levels: the median absolute response of a
    high-pass (Immerkaer's kernel) over the flat areas (the fifth of the picture with the least
    gradient in a smoothed copy), as a Gaussian deviation (MAD x 1.4826 / 6). A few ms at 512 px."""
    luma = np.clip(image, 0.0, 1.0).astype(np.float32, copy=False) @ LUMA * np.float32(255.0)
    response = np.abs(cv2.filter2D(luma, cv2.CV_32F, _NOISE_KERNEL))[1:-1, 1:-1]
    smooth = cv2.GaussianBlur(luma, (0, 0), 2.0)
    gradient = (np.abs(cv2.Sobel(smooth, cv2.CV_32F, 1, 0)) + np.abs(cv2.Sobel(smooth, cv2.CV_32F, 0, 1)))[1:-1, 1:-1]
    flat = gradient <= np.quantile(gradient, 0.2)
    unclipped = (luma[1:-1, 1:-1] > 2.0) & (luma[1:-1, 1:-1] < 253.0)  # noise clips away at black and white
    pick = flat & unclipped if np.count_nonzero(flat & unclipped) >= 64 else flat
    return float(1.4826 * np.median(response[pick]) / 6.0)


HAZE_PATCH = 7  # radius in pixels of the dark channel's window, at the preview size


def haze_level(image: np.ndarray) -> float:
    """The mean dark channel (He et al. 2009), 0..1: the darkest channel's minimum over a small
    window. Clear outdoor photos have dark pixels in nearly every patch (about 0.05-0.15); a veil
    of haze lifts them all (0.3 and more)."""
    rgb = np.clip(image, 0.0, 1.0).astype(np.float32)
    return float(dark_channel(rgb, HAZE_PATCH).mean())


# --- where things are: for crops and straightening --------------------------------------------------

SALIENCY_EDGE = 64  # the spectral residual works on a thumbnail (Hou & Zhang 2007)


def centre_of_interest(image: np.ndarray) -> tuple[float, float] | None:
    """Where the eye goes, as (x, y) fractions of the frame, or None when nothing stands out.

    Spectral residual saliency: the part of the log spectrum that a smooth spectrum does not
    explain marks what is unusual in the picture. The centre is the weighted centroid of the most
    salient pixels.
    """
    luma = np.clip(image, 0.0, 1.0).astype(np.float32, copy=False) @ LUMA
    h, w = luma.shape
    small = cv2.resize(luma, (SALIENCY_EDGE, SALIENCY_EDGE), interpolation=cv2.INTER_AREA)
    spectrum = np.fft.fft2(small)
    log_amp = np.log(np.abs(spectrum) + 1e-6)
    residual = log_amp - cv2.blur(log_amp.astype(np.float32), (3, 3))
    saliency = np.abs(np.fft.ifft2(np.exp(residual + 1j * np.angle(spectrum)))) ** 2
    saliency = cv2.GaussianBlur(saliency.astype(np.float32), (0, 0), 2.5)
    if not np.isfinite(saliency).all() or saliency.max() <= 3.0 * saliency.mean():
        return None  # flat: nothing stands out
    top = saliency >= np.quantile(saliency, 0.95)
    weights = np.where(top, saliency, 0.0)
    ys, xs = np.mgrid[0:SALIENCY_EDGE, 0:SALIENCY_EDGE]
    total = float(weights.sum())
    return (
        float((weights * (xs + 0.5)).sum() / total / SALIENCY_EDGE),
        float((weights * (ys + 0.5)).sum() / total / SALIENCY_EDGE),
    )


LEVEL_LIMIT = 10.0  # degrees: lines tilted more than this are not meant to be level or upright


def horizon_tilt(image: np.ndarray) -> float | None:
    """The clockwise rotation (degrees, as the straighten op takes it) that levels the photo's
    long straight lines, or None when it has too few of them.

    Edges (Canny), then line segments (probabilistic Hough); near-horizontal and near-vertical
    segments vote for their tilt, weighted by length, and the weighted median wins when at least
    half the length agrees with it.
    """
    luma = np.clip(image, 0.0, 1.0).astype(np.float32, copy=False) @ LUMA
    gray = (luma * 255.0).astype(np.uint8)
    edges = cv2.Canny(cv2.GaussianBlur(gray, (5, 5), 0), 50, 150)
    # A soft edge alternates between two pixel rows: thicken it so that its segments join up.
    edges = cv2.dilate(edges, np.ones((3, 3), np.uint8))
    h, w = gray.shape
    lines = cv2.HoughLinesP(
        edges,
        1,
        np.pi / 720,
        threshold=max(20, min(h, w) // 10),
        minLineLength=max(h, w) // 5,
        maxLineGap=max(4, max(h, w) // 60),
    )
    if lines is None:
        return None
    tilts, weights = [], []
    for x0, y0, x1, y1 in lines.reshape(-1, 4).astype(np.float64):
        angle = np.degrees(np.arctan2(y1 - y0, x1 - x0))  # image y grows downwards: + is clockwise
        angle = (angle + 90.0) % 180.0 - 90.0  # -90..90
        if abs(angle) <= LEVEL_LIMIT:
            tilt = angle
        elif abs(abs(angle) - 90.0) <= LEVEL_LIMIT:
            tilt = angle - 90.0 if angle > 0 else angle + 90.0
        else:
            continue
        tilts.append(tilt)
        weights.append(np.hypot(x1 - x0, y1 - y0))
    if sum(weights) < max(h, w) / 2:
        return None  # a short line or two: too little to level by
    tilts_a, weights_a = np.asarray(tilts), np.asarray(weights)
    order = np.argsort(tilts_a)
    cumulative = np.cumsum(weights_a[order])
    median = float(tilts_a[order][np.searchsorted(cumulative, cumulative[-1] / 2.0)])
    if weights_a[np.abs(tilts_a - median) <= 1.5].sum() < 0.5 * cumulative[-1]:
        return None  # the lines disagree: no clear horizon
    return 0.0 - median  # 0.0, not -0.0, for a level photo
