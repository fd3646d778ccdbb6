"""JPEG in bands on every core (core/jpeg_bands.py): the joined file must be an ordinary baseline
JPEG that decodes to exactly the pixels of the same settings encoded in one piece by Pillow, with
Pillow's metadata segments, whatever the size, subsampling and number of bands."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from iea_desktop.core import export, jpeg_bands
from iea_desktop.core.export import ExportOptions


def photo_like(height: int, width: int, seed: int = 0) -> np.ndarray:
    """Smooth gradients with noise (so every coefficient and many 0xFF bytes occur)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x / max(width, 1), y / max(height, 1), (x + y) / max(width + height, 1)], axis=-1) * 200
    return np.clip(base + rng.normal(0, 25, base.shape), 0, 255).astype(np.uint8)


def pillow_jpeg(pixels: np.ndarray, quality: int, subsampling: int, **kwargs) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=quality, subsampling=subsampling, **kwargs)
    return buffer.getvalue()


def decode(data: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG" and image.info.get("progressive", 0) == 0
    return np.asarray(image.convert("RGB"))


def markers(data: bytes) -> list[tuple[int, bytes]]:
    """(marker, whole segment) from SOI to SOS."""
    segments, _ = jpeg_bands._headers(np.frombuffer(data, np.uint8))
    return [(marker, data[start:end]) for marker, start, end in segments]


def restart_numbers(data: bytes) -> list[int]:
    array = np.frombuffer(data, np.uint8)
    _, start = jpeg_bands._headers(array)
    body = array[start:-2]
    ff = np.flatnonzero(body[:-1] == 0xFF) + 1
    return [int(v) - 0xD0 for v in body[ff] if 0xD0 <= v <= 0xD7]


@pytest.mark.parametrize("shape", [(1, 1), (8, 8), (37, 53), (200, 96), (333, 41)])
@pytest.mark.parametrize("subsampling", [0, 2])
@pytest.mark.parametrize("bands", [1, 2, 3, 7])
def test_bands_decode_to_the_pixels_of_one_piece(shape, subsampling, bands):
    pixels = photo_like(*shape, seed=sum(shape))
    joined = jpeg_bands.encode(pixels, 90, subsampling, bands=bands)
    np.testing.assert_array_equal(decode(joined), decode(pillow_jpeg(pixels, 90, subsampling)))
    assert decode(joined).shape[:2] == shape


def test_rgbx_pixels_encode_as_their_rgb():
    pixels = photo_like(70, 90, seed=3)
    rgbx = np.concatenate([pixels, np.full((70, 90, 1), 255, np.uint8)], axis=-1)
    assert jpeg_bands.encode(rgbx, 85, 2, bands=3) == jpeg_bands.encode(pixels, 85, 2, bands=3)


def test_restart_markers_count_on_in_sequence_across_bands():
    pixels = photo_like(400, 64, seed=4)  # 50 rows of 8-pixel MCUs: the numbers wrap several times
    numbers = restart_numbers(jpeg_bands.encode(pixels, 92, 0, bands=6))
    assert numbers == [i % 8 for i in range(49)]  # one after each MCU row but the last


def test_metadata_segments_are_pillows():
    pixels = photo_like(48, 64, seed=5)
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"
    exif = exif.tobytes()
    joined = jpeg_bands.encode(pixels, 92, 0, exif=exif, icc=export.SRGB_ICC, bands=2)
    reference = pillow_jpeg(pixels, 92, 0, exif=exif, icc_profile=export.SRGB_ICC)
    apps = lambda data: [segment for marker, segment in markers(data) if 0xE0 <= marker <= 0xEF]  # noqa: E731
    assert apps(joined) == apps(reference)  # JFIF, EXIF, ICC, in Pillow's order
    image = Image.open(io.BytesIO(joined))
    assert image.info["icc_profile"] == export.SRGB_ICC and image.getexif()[0x010F] == "Camera maker"


def test_a_large_icc_profile_is_split_into_chunks_that_read_back_whole():
    icc = bytes(range(256)) * 400  # 102,400 bytes: two APP2 segments
    joined = jpeg_bands.encode(photo_like(16, 16), 90, 0, icc=icc, bands=2)
    assert [marker for marker, _ in markers(joined)].count(0xE2) == 2
    assert Image.open(io.BytesIO(joined)).info["icc_profile"] == icc


def test_a_segment_too_long_is_refused():
    with pytest.raises(ValueError, match="at most"):
        jpeg_bands.app_segments(b"Exif\0\0" + bytes(70_000), None)


def test_export_encodes_big_jpegs_in_bands(monkeypatch):
    """Where Huffman optimisation is off (big pictures), exports are joined bands with the usual metadata."""
    monkeypatch.setattr(export, "OPTIMIZE_HUFFMAN_PIXELS", 100)
    monkeypatch.setattr(export, "cpu_count", lambda: 2)
    pixels = photo_like(120, 90, seed=6)
    data = export.encode(pixels, "JPEG", ExportOptions(quality=92), None)
    assert 0xDD in [marker for marker, _ in markers(data)]  # the restart interval: made in bands
    np.testing.assert_array_equal(decode(data), decode(pillow_jpeg(pixels, 92, 0)))
    assert Image.open(io.BytesIO(data)).info["icc_profile"] == export.SRGB_ICC
    floats = pixels.astype(np.float32) / np.float32(255)
    assert export.encode(floats, "JPEG", ExportOptions(quality=92), None) == data


def test_exif_too_long_for_a_jpeg_is_dropped_not_fatal():
    exif = Image.Exif()
    exif[0x010E] = "x" * 70_000  # ImageDescription
    assert export.upright_exif(exif.tobytes()) is None


def test_bands_that_do_not_tile_one_picture_are_refused():
    rows = photo_like(16, 24)
    encoder = jpeg_bands.Encoder(90, 0)
    with pytest.raises(ValueError, match="whole MCU row"):
        encoder.add(4, rows)
    encoder.add(0, rows[:12])  # ends inside an MCU row: nothing can follow it
    with pytest.raises(ValueError, match="whole MCU row"):
        encoder.add(12, rows)
    assert decode(encoder.join()).shape == (12, 24, 3)  # as the picture's last band it is fine
    gap = jpeg_bands.Encoder(90, 0)
    gap.add(0, rows)
    gap.add(32, rows)
    with pytest.raises(ValueError, match="do not tile"):
        gap.join()
    with pytest.raises(ValueError, match="no bands"):
        jpeg_bands.Encoder(90, 0).join()
