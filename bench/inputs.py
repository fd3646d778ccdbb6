"""Generate the benchmark's inputs (once; reused while their recipe is unchanged).

- ``photo24.jpg``: the Kodak photos (768 x 512, from ../shared/photos; in a clone of the project
  alone, the half-size copies in tests/photos brought back to 768 x 512) tiled into a 3000 x 2000 mosaic and
  upscaled 2x (bicubic) to 6000 x 4000 (24 MP), plus a little sensor-like noise, with a small
  EXIF block, saved as JPEG quality 90 (4:2:0, as cameras write). The mosaic keeps real photo
  detail at 24 MP (about 5 MB), where one Kodak photo upscaled 8x would be unrealistically smooth.
- ``raw24.dng``: the same scene as a 24 MP RGGB Bayer mosaic (16-bit samples, 12-bit levels),
  written with pidng, without an embedded preview.
- ``raw24-preview.dng``: the same DNG with a full-size JPEG preview in a second IFD, the way
  most cameras embed one (pidng cannot write one; we append the IFD ourselves).
"""

from __future__ import annotations

import io
import struct
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = ROOT.parent / "shared" / "photos"
TEST_PHOTOS = ROOT / "tests" / "photos"  # the same photos at half size, always in the repository
DATA = Path(__file__).resolve().parent / "data"
WIDTH, HEIGHT = 6000, 4000
RECIPE = "v1" if PHOTOS.is_dir() else "v1-test-photos"  # bump when the inputs change


def _scene() -> np.ndarray:
    """24 MP 8-bit RGB: a mosaic of the Kodak photos upscaled 2x, plus Gaussian noise of 2 levels."""
    import cv2
    from PIL import Image

    photos = []
    sources = sorted(PHOTOS.glob("*.png")) or sorted(TEST_PHOTOS.glob("*.webp"))
    for path in sources:
        array = np.asarray(Image.open(path).convert("RGB"))
        if max(array.shape[:2]) < 768:  # a half-size test photo
            array = cv2.resize(array, (array.shape[1] * 2, array.shape[0] * 2), interpolation=cv2.INTER_CUBIC)
        photos.append(np.ascontiguousarray(np.rot90(array) if array.shape[0] > array.shape[1] else array))
    if not photos:
        sys.exit(f"bench: no Kodak photos in {PHOTOS} or {TEST_PHOTOS}")
    th, tw = HEIGHT // 2, WIDTH // 2
    canvas = np.zeros((th, tw, 3), np.uint8)
    k = 0
    for y in range(0, th, 512):
        for x in range(0, tw, 768):
            tile = photos[k % len(photos)]
            k += 1
            h, w = min(tile.shape[0], th - y), min(tile.shape[1], tw - x)
            canvas[y:y + h, x:x + w] = tile[:h, :w]
    big = cv2.resize(canvas, (WIDTH, HEIGHT), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    big += np.random.default_rng(2024).normal(0.0, 2.0, size=big.shape).astype(np.float32)
    return np.clip(np.rint(big), 0, 255).astype(np.uint8)


def _exif() -> bytes:
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "IEA Bench"  # Make
    exif[0x0110] = "Synthetic 24 MP"  # Model
    exif[0x0112] = 1  # Orientation
    return exif.tobytes()


def _write_jpeg(rgb: np.ndarray, path: Path) -> None:
    from PIL import Image

    Image.fromarray(rgb).save(path, "JPEG", quality=90, exif=_exif())


def _mosaic(rgb: np.ndarray) -> np.ndarray:
    """RGGB Bayer samples, linearised (gamma 2.2), 12-bit levels with black 256 and white 4095."""
    black, white = 256, 4095
    lut = (black + (np.arange(256) / 255.0) ** 2.2 * (white - black) * 0.9).astype(np.uint16)
    cfa = np.empty(rgb.shape[:2], dtype=np.uint16)
    cfa[0::2, 0::2] = lut[rgb[0::2, 0::2, 0]]
    cfa[0::2, 1::2] = lut[rgb[0::2, 1::2, 1]]
    cfa[1::2, 0::2] = lut[rgb[1::2, 0::2, 1]]
    cfa[1::2, 1::2] = lut[rgb[1::2, 1::2, 2]]
    return cfa


def _dng_bytes(cfa: np.ndarray) -> bytes:
    sys.path.insert(0, str(ROOT / "tests" / "tools"))  # the tests' DNG writer (pidng)
    from dng import dng_bytes

    return dng_bytes(cfa, model="Bench Camera")


def _append_jpeg_ifd(dng: bytes, jpeg: bytes, width: int, height: int) -> bytes:
    """Chain a reduced-resolution IFD holding a baseline JPEG after IFD0 (little-endian TIFF)."""
    data = bytearray(dng)
    first_ifd = struct.unpack_from("<I", data, 4)[0]
    count = struct.unpack_from("<H", data, first_ifd)[0]
    next_pointer = first_ifd + 2 + 12 * count
    assert struct.unpack_from("<I", data, next_pointer)[0] == 0, "pidng wrote more than one IFD"
    while len(data) % 4:
        data.append(0)
    jpeg_offset = len(data)
    data += jpeg
    while len(data) % 4:
        data.append(0)
    ifd_offset = len(data)
    bits_offset = ifd_offset + 2 + 12 * 11 + 4
    entries = [  # (tag, type, count, value); type 3 = SHORT, 4 = LONG
        (254, 4, 1, 1),  # NewSubfileType: reduced-resolution image
        (256, 4, 1, width), (257, 4, 1, height),
        (258, 3, 3, bits_offset),  # BitsPerSample 8,8,8 (stored after the IFD)
        (259, 3, 1, 7),  # Compression: JPEG
        (262, 3, 1, 6),  # PhotometricInterpretation: YCbCr
        (273, 4, 1, jpeg_offset),  # StripOffsets
        (277, 3, 1, 3),  # SamplesPerPixel
        (278, 4, 1, height),  # RowsPerStrip
        (279, 4, 1, len(jpeg)),  # StripByteCounts
        (284, 3, 1, 1),  # PlanarConfiguration: chunky
    ]
    ifd = struct.pack("<H", len(entries))
    for tag, kind, n, value in entries:
        packed = struct.pack("<H", value) + b"\0\0" if kind == 3 and n == 1 else struct.pack("<I", value)
        ifd += struct.pack("<HHI", tag, kind, n) + packed
    ifd += struct.pack("<I", 0) + struct.pack("<HHH", 8, 8, 8) + b"\0\0"
    data += ifd
    struct.pack_into("<I", data, next_pointer, ifd_offset)
    return bytes(data)


def ensure_inputs(verbose: bool = True) -> dict[str, Path]:
    DATA.mkdir(parents=True, exist_ok=True)
    paths = {"jpeg": DATA / "photo24.jpg", "dng": DATA / "raw24.dng", "dng_preview": DATA / "raw24-preview.dng"}
    stamp = DATA / "recipe.txt"
    if stamp.exists() and stamp.read_text() == RECIPE and all(p.exists() for p in paths.values()):
        return paths
    if verbose:
        print("bench: generating 24 MP inputs in bench/data (once)...", flush=True)
    rgb = _scene()
    _write_jpeg(rgb, paths["jpeg"])
    cfa = _mosaic(rgb)
    dng = _dng_bytes(cfa)
    paths["dng"].write_bytes(dng)
    from PIL import Image

    preview = io.BytesIO()
    Image.fromarray(rgb).save(preview, "JPEG", quality=90)
    paths["dng_preview"].write_bytes(_append_jpeg_ifd(dng, preview.getvalue(), WIDTH, HEIGHT))
    stamp.write_text(RECIPE)
    return paths


if __name__ == "__main__":
    for name, path in ensure_inputs().items():
        print(f"{name}: {path} ({path.stat().st_size / 1e6:.1f} MB)")
