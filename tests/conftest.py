"""Shared fixtures for the whole test suite.

- Every test runs with ``IEA_HOME`` pointing at its own temporary folder, so nothing is ever
  written to the real user data/config/cache folders (autosaves, fallback projects, models).
- Qt, when a test needs it, runs offscreen.
- ``photos_dir``: small real photos kept in the repository (tests/photos, see its README).
- Small generated images and photo files (64-256 px) so the suite stays fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PHOTOS_DIR = PROJECT_ROOT / "tests" / "photos"

# The package is imported from the working tree whether or not it is pip-installed.
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))
# The tests' own tools (tests/tools: dng.py, ...) import by bare name.
if str(PROJECT_ROOT / "tests" / "tools") not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT / "tests" / "tools"))


@pytest.fixture(autouse=True)
def iea_home(tmp_path_factory, monkeypatch) -> Path:
    """A private IEA_HOME (data, config and cache folders) for every test."""
    home = tmp_path_factory.mktemp("iea_home")
    monkeypatch.setenv("IEA_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def photos_dir() -> Path:
    """The folder of real test photos (Kodak kodimNN.webp, 384 x 256); missing photos are an error."""
    if not any(PHOTOS_DIR.glob("kodim*.webp")):
        raise FileNotFoundError(f"no test photos in {PHOTOS_DIR}: run tests/tools/make_test_photos.py")
    return PHOTOS_DIR


# --- generated pixels ---------------------------------------------------------------------------

def synthetic_rgb(height: int = 96, width: int = 128, seed: int = 0) -> np.ndarray:
    """A float32 RGB image in [0.05, 0.95] with gradients, colour, edges and some texture.

    Values stay away from 0 and 1 so every tone op has room to move either way, and there is
    enough detail (a checker and noise) for sharpness and blur to show.
    """
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    r = xs / max(width - 1, 1)
    g = ys / max(height - 1, 1)
    b = 0.5 + 0.5 * np.sin(xs / 7.0) * np.cos(ys / 5.0)
    image = np.stack([r, g, b], axis=-1)
    checker = (((xs // 8) + (ys // 8)) % 2)[..., None] * 0.15
    image = 0.7 * image + checker + rng.normal(0.0, 0.02, size=image.shape)
    return np.clip(0.05 + 0.9 * (image - image.min()) / (image.max() - image.min()), 0.05, 0.95).astype(np.float32)


def synthetic_u8(height: int = 96, width: int = 128, seed: int = 0) -> np.ndarray:
    return np.clip(np.rint(synthetic_rgb(height, width, seed) * 255), 0, 255).astype(np.uint8)


@pytest.fixture
def make_rgb():
    """Factory: make_rgb(height=96, width=128, seed=0) -> float32 RGB image in [0.05, 0.95]."""
    return synthetic_rgb


@pytest.fixture
def make_u8():
    """Factory: make_u8(height=96, width=128, seed=0) -> uint8 RGB image."""
    return synthetic_u8


@pytest.fixture
def rgb() -> np.ndarray:
    return synthetic_rgb()


@pytest.fixture
def make_photo(tmp_path):
    """Factory: write a generated 8-bit RGB photo with Pillow; returns its path.

    make_photo("name.jpg", height=96, width=128, seed=0, array=None, **save_kwargs)
    """
    from PIL import Image

    def _make(name: str = "photo.png", height: int = 96, width: int = 128, seed: int = 0,
              array: np.ndarray | None = None, **save_kwargs) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        pixels = synthetic_u8(height, width, seed) if array is None else array
        Image.fromarray(pixels).save(path, **save_kwargs)
        return path

    return _make


@pytest.fixture
def photo(make_photo) -> Path:
    """A small lossless 8-bit RGB PNG photo (128 x 96)."""
    return make_photo("photo.png")
