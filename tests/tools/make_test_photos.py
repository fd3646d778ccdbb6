"""Write the small real test photos in tests/photos from the full-size Kodak photos.

Each photo is the Kodak original (768 x 512 PNG) halved to 384 x 256 with OpenCV's area
averaging, stored as lossless WebP: about 600 KB for the five. The tests read these files
directly, so the suite needs nothing outside the repository.

    python tests/tools/make_test_photos.py [SOURCE_DIR]    (default: ../shared/photos)
"""
from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT.parent / "shared" / "photos"
TARGET = ROOT / "tests" / "photos"
NAMES = ("kodim01", "kodim03", "kodim05", "kodim07", "kodim14", "kodim23")
SCALE = 0.5


def make(name: str, source: Path, target: Path) -> Path:
    bgr = cv2.imread(str(source / f"{name}.png"), cv2.IMREAD_COLOR)
    if bgr is None:
        raise SystemExit(f"make_test_photos: cannot read {source / f'{name}.png'}")
    h, w = bgr.shape[:2]
    small = cv2.resize(bgr, (int(w * SCALE), int(h * SCALE)), interpolation=cv2.INTER_AREA)
    rgb = np.ascontiguousarray(small[..., ::-1])
    path = target / f"{name}.webp"
    Image.fromarray(rgb).save(path, "WEBP", lossless=True, quality=100, method=6, exact=True)
    if not np.array_equal(np.asarray(Image.open(path).convert("RGB")), rgb):
        raise SystemExit(f"make_test_photos: {path} does not decode to the pixels written")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", nargs="?", type=Path, default=SOURCE, help="folder with the Kodak kodimNN.png")
    args = parser.parse_args()
    TARGET.mkdir(parents=True, exist_ok=True)
    for name in NAMES:
        path = make(name, args.source, TARGET)
        print(f"{path.relative_to(ROOT)}: {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
