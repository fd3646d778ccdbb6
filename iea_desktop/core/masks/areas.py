"""Areas found in a photo for masks: sky, subject, people, faces, background.

Being written (issue 14); ``find`` is the contract the renderer and the assistant use.
"""

from __future__ import annotations

import numpy as np


def find(area: str, photo: np.ndarray) -> np.ndarray | None:
    """The area in ``photo`` (float32 RGB 0..1, H x W x 3) as a float32 H x W plane (0..1), refined
    to the photo's edges, or None when the photo has no such area (no sky in an indoor photo)."""
    raise NotImplementedError(f"automatic {area} masks are not ready yet")
