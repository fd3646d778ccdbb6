"""Measured image statistics: what the assistants read to size their edits."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import cv2
import numpy as np

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
