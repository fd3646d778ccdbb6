"""Opening photos: formats and bit depths, EXIF orientation, ICC profiles, DNG, and bad inputs.

Every input is generated in tmp_path.
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageCms, ImageOps

from iea_desktop.core import image_io
from iea_desktop.core.image_io import ImageLoadError, load, probe


def u8(image: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(image * 255), 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------- generated files


def _s15(x: float) -> bytes:
    return struct.pack(">i", int(round(x * 65536)))


def rgb_icc_profile(description: str = "Adobe RGB (1998) compatible test profile", gamma: float = 563 / 256,
                    red=(0.6097, 0.3111, 0.0195), green=(0.2053, 0.6257, 0.0609), blue=(0.1492, 0.0632, 0.7446)) -> bytes:
    """A minimal ICC v2 matrix/TRC display profile (Adobe RGB primaries and gamma by default)."""
    def xyz(v):
        return b"XYZ \0\0\0\0" + b"".join(_s15(c) for c in v)

    text = description.encode("ascii") + b"\0"
    desc = b"desc\0\0\0\0" + struct.pack(">I", len(text)) + text + struct.pack(">IIHB", 0, 0, 0, 0) + b"\0" * 67
    curv = b"curv\0\0\0\0" + struct.pack(">IH", 1, int(round(gamma * 256))) + b"\0\0"
    tags = [(b"desc", desc), (b"cprt", b"text\0\0\0\0public domain\0"), (b"wtpt", xyz((0.9642, 1.0, 0.8249))),
            (b"rXYZ", xyz(red)), (b"gXYZ", xyz(green)), (b"bXYZ", xyz(blue)),
            (b"rTRC", curv), (b"gTRC", curv), (b"bTRC", curv)]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for sig, body in tags:
        data += b"\0" * (-(offset + len(data)) % 4)
        table += sig + struct.pack(">II", offset + len(data), len(body))
        data += body
    body = struct.pack(">I", len(tags)) + table + data
    header = (struct.pack(">I", 128 + len(body)) + b"\0" * 4 + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ "
              + b"\0" * 12 + b"acsp" + b"\0" * 28 + _s15(0.9642) + _s15(1.0) + _s15(0.8249) + b"\0" * 48)
    assert len(header) == 128
    return header + body


ADOBE_ICC = rgb_icc_profile()
SRGB_ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def ramp16(height: int = 48, width: int = 64) -> np.ndarray:
    """16-bit RGB whose neighbouring values differ by 1/65535 (lost by any 8-bit step)."""
    base = np.arange(height * width, dtype=np.uint32).reshape(height, width)
    r = 30000 + base  # consecutive 16-bit levels
    g = 65535 - base
    b = (base * 7) % 65536
    return np.stack([r, g, b], axis=-1).astype(np.uint16)


def write_dng(path: Path, width: int = 256, height: int = 192, orientation: int = 1, black: int = 256,
              white: int = 4095, extra: tuple = ()) -> Path:
    """A small 16-bit RGGB Bayer mosaic as a DNG (pidng): red rises left to right, green top to bottom.
    ``black``, ``white``: the levels the file declares (the data spans 256-3327 whatever they say);
    ``extra``: more (pidng Tag, value) pairs."""
    from dng import dng_bytes

    ys, xs = np.mgrid[0:height, 0:width]
    r, g, b = xs / (width - 1), ys / (height - 1), np.full(xs.shape, 0.4)
    def level(v):
        return (256 + v * (4095 - 256) * 0.8).astype(np.uint16)

    cfa = np.empty((height, width), dtype=np.uint16)
    cfa[0::2, 0::2] = level(r[0::2, 0::2])
    cfa[0::2, 1::2] = level(g[0::2, 1::2])
    cfa[1::2, 0::2] = level(g[1::2, 0::2])
    cfa[1::2, 1::2] = level(b[1::2, 1::2])
    path.write_bytes(dng_bytes(cfa, black=black, white=white, orientation=orientation, extra=extra))
    return path


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height (a decompression bomb's calling card)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


# --------------------------------------------------------------------------- 8-bit formats


@pytest.mark.parametrize("suffix,fmt,kwargs", [
    (".png", "PNG", {}),
    (".bmp", "BMP", {}),
    (".webp", "WEBP", {"lossless": True}),
    (".tif", "TIFF", {}),
])
def test_lossless_8bit_formats_decode_exactly(suffix, fmt, kwargs, make_photo, make_u8):
    path = make_photo("photo" + suffix, **kwargs)
    info, image = load(path)
    assert (info.format, info.width, info.height, info.bit_depth) == (fmt, 128, 96, 8)
    assert image.dtype == np.float32 and image.shape == (96, 128, 3) and image.flags["C_CONTIGUOUS"]
    np.testing.assert_array_equal(u8(image), make_u8())


@pytest.mark.parametrize("suffix,kwargs", [(".jpg", {"quality": 95}), (".jpeg", {"quality": 95}), (".webp", {"quality": 90})])
def test_lossy_formats_decode_close_to_the_original(suffix, kwargs, make_photo, make_u8):
    path = make_photo("photo" + suffix, **kwargs)
    info, image = load(path)
    assert (info.width, info.height, info.bit_depth) == (128, 96, 8)
    assert np.abs(u8(image).astype(int) - make_u8()).mean() < 6
    # the same pixels Pillow decodes
    np.testing.assert_array_equal(u8(image), np.asarray(Image.open(path).convert("RGB")))


def test_8bit_tiff_written_by_tifffile(tmp_path, make_u8):
    import tifffile

    path = tmp_path / "eight.tiff"
    tifffile.imwrite(path, make_u8(), photometric="rgb")
    info, image = load(path)
    assert info.bit_depth == 8
    np.testing.assert_array_equal(u8(image), make_u8())


@pytest.mark.parametrize("mode", ["L", "LA", "RGBA", "P", "1", "CMYK", "I;16"])
def test_other_pillow_modes_become_rgb(mode, tmp_path, make_u8):
    rgb = Image.fromarray(make_u8())
    if mode == "P":
        img = rgb.quantize(16)
    elif mode == "RGBA":
        img = rgb.copy()
        img.putalpha(128)
    elif mode == "I;16":
        img = Image.fromarray(np.asarray(rgb.convert("L")).astype(np.uint16) * 257)
    else:
        img = rgb.convert(mode)
    suffix = ".jpg" if mode == "CMYK" else ".tif" if mode == "1" else ".png"
    path = tmp_path / f"mode{suffix}"
    img.save(path)
    info, image = load(path)
    assert image.shape == (96, 128, 3) and image.dtype == np.float32
    assert 0.0 <= image.min() and image.max() <= 1.0
    expected = np.asarray(Image.open(path).convert("RGB"))
    if mode in ("L", "LA", "1", "I;16"):
        np.testing.assert_array_equal(image[..., 0], image[..., 2])  # grey stays grey
    if mode == "I;16":
        assert info.bit_depth == 16
        np.testing.assert_allclose(image[..., 0], np.asarray(img).astype(np.float32) / 65535, atol=1e-6)
    elif mode == "CMYK":
        assert np.abs(u8(image).astype(int) - expected).mean() < 2
    else:
        np.testing.assert_array_equal(u8(image), expected)  # RGBA: alpha dropped, colour kept


# --------------------------------------------------------------------------- 16-bit


def _assert_16bit_precision(image: np.ndarray, source: np.ndarray) -> None:
    np.testing.assert_allclose(image, source.astype(np.float32) / 65535, atol=1e-6)
    levels = np.rint(image[..., 0].ravel() * 65535).astype(np.int64)
    assert len(np.unique(levels)) == levels.size  # consecutive 16-bit levels stay distinct
    assert np.all(np.diff(levels) == 1)


@pytest.mark.parametrize("compression", [None, "zlib"])
def test_16bit_tiff_keeps_its_precision(compression, tmp_path):
    import tifffile

    source = ramp16()
    path = tmp_path / "sixteen.tif"
    tifffile.imwrite(path, source, photometric="rgb", compression=compression)
    info, image = load(path)
    assert (info.format, info.bit_depth, info.width, info.height) == ("TIFF", 16, 64, 48)
    _assert_16bit_precision(image, source)


def test_16bit_png_keeps_its_precision(tmp_path):
    source = ramp16()
    path = tmp_path / "sixteen.png"
    assert cv2.imwrite(str(path), source[..., ::-1])  # OpenCV writes BGR
    info, image = load(path)
    assert (info.format, info.bit_depth) == ("PNG", 16)
    _assert_16bit_precision(image, source)


def test_16bit_grey_and_rgba_png(tmp_path):
    source = ramp16()
    grey = tmp_path / "grey16.png"
    cv2.imwrite(str(grey), source[..., 0])
    _, image = load(grey)
    np.testing.assert_allclose(image[..., 1], source[..., 0] / 65535, atol=1e-6)
    rgba = tmp_path / "rgba16.png"
    alpha = np.full(source.shape[:2] + (1,), 1000, dtype=np.uint16)
    cv2.imwrite(str(rgba), np.concatenate([source[..., ::-1], alpha], axis=2))
    info, image = load(rgba)
    assert info.bit_depth == 16
    _assert_16bit_precision(image, source)


@pytest.mark.parametrize("bits", [8, 16])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_tiff_orientation_tag_is_applied_once(bits, orientation, tmp_path, make_u8):
    # Newer Pillow and OpenCV turn TIFFs themselves while decoding; the photo must not be turned twice.
    import tifffile

    source = ramp16() if bits == 16 else make_u8(48, 64)
    path = tmp_path / f"oriented{bits}.tif"
    tifffile.imwrite(path, source, photometric="rgb", extratags=[(image_io.EXIF_ORIENTATION, "H", 1, orientation, True)])
    info, image = load(path)
    expected = image_io.apply_orientation(source, orientation)
    assert info.orientation == orientation and info.bit_depth == bits
    assert (info.height, info.width) == expected.shape[:2]
    assert (probe(path).height, probe(path).width) == expected.shape[:2]
    np.testing.assert_allclose(image, expected.astype(np.float32) / (65535 if bits == 16 else 255), atol=1e-6)


# --------------------------------------------------------------------------- EXIF orientation


def _with_orientation(make_u8, tmp_path, suffix, orientation) -> Path:
    exif = Image.Exif()
    exif[image_io.EXIF_ORIENTATION] = orientation
    exif[0x010F] = "IEA test camera"  # Make
    path = tmp_path / f"orient{orientation}{suffix}"
    kwargs = {"quality": 95} if suffix == ".jpg" else {}
    Image.fromarray(make_u8(48, 64)).save(path, exif=exif, **kwargs)
    return path


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".webp"])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_matches_pillow_exif_transpose(suffix, orientation, make_u8, tmp_path):
    path = _with_orientation(make_u8, tmp_path, suffix, orientation)
    info, image = load(path)
    expected = np.asarray(ImageOps.exif_transpose(Image.open(path)).convert("RGB"))
    assert info.orientation == orientation
    assert (info.height, info.width) == expected.shape[:2]
    assert probe(path).width == info.width and probe(path).height == info.height
    np.testing.assert_array_equal(u8(image), expected)
    assert info.exif and b"IEA test camera" in info.exif


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_fast_jpeg_preview_is_oriented_and_small(orientation, make_u8, tmp_path):
    exif = Image.Exif()
    exif[image_io.EXIF_ORIENTATION] = orientation
    path = tmp_path / "big.jpg"
    Image.fromarray(make_u8(192, 256)).save(path, exif=exif, quality=90)
    _, full = load(path)
    _, quick = load(path, max_edge=64, fast=True)
    assert max(quick.shape[:2]) == 64
    assert (quick.shape[0] > quick.shape[1]) == (full.shape[0] > full.shape[1])
    reference = image_io.downscale(full, 64)
    assert quick.shape == reference.shape
    assert np.abs(quick - reference).mean() < 0.03


def test_damaged_exif_does_not_stop_the_photo(make_u8, tmp_path):
    path = tmp_path / "bad_exif.jpg"
    Image.fromarray(make_u8()).save(path, exif=b"Exif\0\0garbage-not-a-tiff-header")
    info, image = load(path)
    assert image.shape == (96, 128, 3) and info.orientation == 1


# --------------------------------------------------------------------------- ICC profiles


def test_srgb_profiled_image_is_unchanged(make_photo, make_u8):
    path = make_photo("srgb.png", icc_profile=SRGB_ICC)
    info, image = load(path)
    assert info.icc == SRGB_ICC
    np.testing.assert_array_equal(u8(image), make_u8())


def test_adobe_rgb_profile_is_converted_to_srgb(make_photo, make_u8):
    path = make_photo("adobe.png", icc_profile=ADOBE_ICC)
    info, image = load(path)
    assert info.icc == ADOBE_ICC
    expected = ImageCms.profileToProfile(Image.fromarray(make_u8()), ImageCms.ImageCmsProfile(io.BytesIO(ADOBE_ICC)),
                                         ImageCms.createProfile("sRGB"), outputMode="RGB")
    np.testing.assert_array_equal(u8(image), np.asarray(expected))
    assert np.abs(u8(image).astype(int) - make_u8()).max() > 10  # the profile really changed the pixels

    def saturation(img):
        return float(cv2.cvtColor(img, cv2.COLOR_RGB2HSV)[..., 1].mean())

    # Adobe RGB values shown as sRGB look dull: converted properly, the colours get stronger.
    assert saturation(u8(image)) > saturation(make_u8())


def test_a_damaged_profile_is_ignored(make_photo, make_u8):
    path = make_photo("damaged_icc.png", icc_profile=b"this is not an ICC profile at all" * 4)
    _, image = load(path)
    np.testing.assert_array_equal(u8(image), make_u8())


def test_16bit_tiff_with_a_profile_is_converted_and_keeps_its_precision(tmp_path):
    import tifffile

    base = np.arange(48 * 64, dtype=np.uint16).reshape(48, 64)
    source = np.stack([24000 + base, 20000 + base, 16000 + base], axis=-1)  # muted colours, inside sRGB
    path = tmp_path / "adobe16.tif"
    tifffile.imwrite(path, source, photometric="rgb", extratags=[(34675, "B", len(ADOBE_ICC), ADOBE_ICC, True)])
    info, image = load(path)
    assert info.bit_depth == 16 and info.icc == ADOBE_ICC
    # close to the 8-bit conversion of the same pixels ...
    as8 = np.clip(np.rint(source / 257), 0, 255).astype(np.uint8)
    converted = np.asarray(ImageCms.profileToProfile(Image.fromarray(as8), ImageCms.ImageCmsProfile(io.BytesIO(ADOBE_ICC)),
                                                     ImageCms.createProfile("sRGB"), outputMode="RGB"))
    assert np.abs(u8(image).astype(int) - converted).max() <= 1
    assert np.abs(image - source / 65535).max() > 0.02  # changed by the profile
    # ... and neighbouring 16-bit levels are not merged into 8-bit steps
    levels = np.rint(image[..., 0].ravel() * 65535)
    assert len(np.unique(levels)) == levels.size


# --------------------------------------------------------------------------- camera RAW (DNG)


@pytest.fixture
def dng(tmp_path) -> Path:
    return write_dng(tmp_path / "camera.dng")


def test_dng_full_develop(dng):
    info, image = load(dng)
    assert info.is_raw and info.format == "RAW (DNG)" and info.bit_depth == 16
    assert (info.width, info.height) == (256, 192)
    assert image.shape == (192, 256, 3) and image.dtype == np.float32
    assert np.all(np.isfinite(image)) and 0.0 <= image.min() and image.max() <= 1.0
    # the mosaic's content survives demosaicing: red rises left to right, green top to bottom
    assert image[:, -32:, 0].mean() > image[:, :32, 0].mean() + 0.2
    assert image[-32:, :, 1].mean() > image[:32, :, 1].mean() + 0.1
    assert probe(dng).width == 256


def test_dng_fast_preview(dng):
    _, quick = load(dng, max_edge=64, fast=True)  # no embedded preview here: a half-size develop
    assert max(quick.shape[:2]) == 64 and quick.shape[1] > quick.shape[0]
    _, full = load(dng)
    assert np.abs(quick - image_io.downscale(full, 64)).mean() < 0.05


def test_dng_in_a_document(dng):
    from iea_desktop.core.document import Document

    doc = Document.open(dng)
    assert doc.info.is_raw
    preview = doc.quick_preview()
    assert preview.shape == (192, 256, 3)
    assert doc.refine_preview() is True
    assert doc.refine_preview() is False  # already developed
    out = doc.render_full()
    assert out.shape == (192, 256, 3)


def test_dng_with_orientation(tmp_path):
    path = write_dng(tmp_path / "portrait.dng", orientation=6)
    info, image = load(path)
    assert info.orientation == 6 and (info.width, info.height) == (192, 256)
    assert image.shape[:2] == (256, 192)


# --------------------------------------------------------------------------- bad inputs


def _expect_error(path, match: str | None = None, **kwargs) -> ImageLoadError:
    for fn in (load, probe) if "max_edge" not in kwargs else (load,):
        with pytest.raises(ImageLoadError) as info:
            fn(path, **kwargs)
        message = str(info.value)
        assert Path(path).name in message
        assert "\n" not in message
        if match:
            assert match in message.lower(), message
    return info.value


def test_empty_file(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    _expect_error(path, "empty")


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_truncated_file(suffix, make_photo):
    path = make_photo("truncated" + suffix, height=192, width=256, quality=90) if suffix == ".jpg" else make_photo("truncated.png", 192, 256)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageLoadError) as info:
        load(path)
    assert path.name in str(info.value)
    assert "truncated" in str(info.value) or "damaged" in str(info.value)


def test_truncated_16bit_png(tmp_path):
    path = tmp_path / "truncated16.png"
    cv2.imwrite(str(path), ramp16(128, 128))
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ImageLoadError) as info:
        load(path)
    assert path.name in str(info.value)


def test_text_file_named_jpg(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("these are my holiday notes, not a photo\n" * 10)
    _expect_error(path, "not an image")


def test_random_bytes_named_nef(tmp_path):
    path = tmp_path / "random.nef"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 50_000, dtype=np.uint8).tobytes())
    _expect_error(path, "raw")


def test_truncated_dng_never_escapes_as_another_exception(dng):
    dng.write_bytes(dng.read_bytes()[:3000])
    try:
        load(dng)
    except ImageLoadError as error:
        assert dng.name in str(error)


def test_a_folder(tmp_path):
    folder = tmp_path / "holiday.jpg"
    folder.mkdir()
    _expect_error(folder, "folder")


def test_a_missing_path(tmp_path):
    _expect_error(tmp_path / "nowhere" / "missing.png", "not found")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read any file")
def test_an_unreadable_file(photo):
    photo.chmod(0)
    try:
        _expect_error(photo, "permission")
    finally:
        photo.chmod(0o644)


def test_over_the_pixel_limit(photo):
    _expect_error(photo, "limit", max_pixels=1000)


@pytest.mark.parametrize("width,height", [(100_000, 100_000), (30_000, 10_000)])
def test_decompression_bomb_header(width, height, tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(png_claiming(width, height))
    error = _expect_error(path, "limit", max_pixels=200_000_000)
    assert "decompression bomb" in str(error) or "MP" in str(error)


def test_huge_raw_is_refused_by_the_pixel_limit(dng):
    _expect_error(dng, "limit", max_pixels=10_000)


# --------------------------------------------------------------------------- helpers


def test_downscale_never_upscales(rgb):
    assert image_io.downscale(rgb, 1000) is rgb
    small = image_io.downscale(rgb, 64)
    assert max(small.shape[:2]) == 64 and small.shape[1] / small.shape[0] == pytest.approx(128 / 96, rel=0.02)


def test_file_hash_follows_the_content(photo, make_u8):
    first = image_io.file_hash(photo)
    assert first == image_io.file_hash(photo) and len(first) == 64
    Image.fromarray(make_u8(seed=5)).save(photo)
    assert image_io.file_hash(photo) != first


def test_raw_extension_check_and_open_filter():
    assert image_io.is_raw_path("a/B.NEF") and image_io.is_raw_path("x.dng")
    assert not image_io.is_raw_path("x.jpg")
    for ext in (".jpg", ".png", ".tif", ".webp", ".bmp", ".dng", ".cr2"):
        assert ext in image_io.OPEN_FILTER_EXTENSIONS


def test_apply_orientation_inverts_pillow_transposes(make_u8):
    image = make_u8(6, 10)
    transposes = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
                  5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
                  8: Image.Transpose.ROTATE_90}
    for orientation, method in transposes.items():
        expected = np.asarray(Image.fromarray(image).transpose(method))
        np.testing.assert_array_equal(image_io.apply_orientation(image, orientation), expected)
    np.testing.assert_array_equal(image_io.apply_orientation(image, 1), image)


def test_photo_info_describe(photo):
    info = probe(photo)
    assert info.describe() == "128 × 96 PNG, 8-bit"
    assert info.megapixels == pytest.approx(128 * 96 / 1e6)
    assert not info.is_raw


# --------------------------------------------------------------------------- data that does not cover the header


def _claiming(data: bytes, marker: bytes, width: int, height: int) -> bytes:
    """A JPEG whose frame header (SOF0 or SOF2) claims width x height over the real scan data."""
    out = bytearray(data)
    at = out.find(marker)
    out[at + 5:at + 9] = struct.pack(">HH", height, width)
    return bytes(out)


def _png_header_claiming(data: bytes, width: int, height: int) -> bytes:
    out = bytearray(data)
    out[16:24] = struct.pack(">II", width, height)
    out[29:33] = struct.pack(">I", zlib.crc32(bytes(out[12:29])))
    return bytes(out)


def test_a_png_header_claiming_more_than_its_data_is_refused(make_photo):
    path = make_photo("claims.png", 96, 128)
    path.write_bytes(_png_header_claiming(path.read_bytes(), 1414, 1414))
    for kwargs in ({}, {"keep_8bit": True}, {"max_edge": 64, "fast": True}):
        with pytest.raises(ImageLoadError, match="data ends before the picture does"):
            load(path, **kwargs)


@pytest.mark.parametrize("progressive", [False, True])
def test_a_jpeg_frame_header_claiming_more_than_its_data_is_refused(progressive, make_photo):
    path = make_photo("claims.jpg", 96, 128, quality=90, progressive=progressive)
    path.write_bytes(_claiming(path.read_bytes(), b"\xff\xc2" if progressive else b"\xff\xc0", 1400, 1400))
    assert probe(path).width == 1400  # the header alone cannot tell
    for kwargs in ({}, {"keep_8bit": True}, {"max_edge": 64, "fast": True}):
        with pytest.raises(ImageLoadError, match="data ends before the picture does"):
            load(path, **kwargs)


@pytest.mark.parametrize("kwargs", [{"progressive": True}, {}])
def test_grey_and_progressive_jpegs_decode_as_pillow_does(kwargs, tmp_path, make_u8):
    for name, pixels in (("grey.jpg", make_u8()[..., 1]), ("colour.jpg", make_u8())):
        path = tmp_path / name
        Image.fromarray(pixels).save(path, quality=90, **kwargs)
        _, image = load(path, keep_8bit=True)
        np.testing.assert_array_equal(image, np.asarray(Image.open(path).convert("RGB")))


# --------------------------------------------------------------------------- special files


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs")
def test_a_fifo_named_like_a_photo_is_refused(tmp_path):
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    _expect_error(fifo, "not a regular file")


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="/dev/zero")
def test_a_link_to_dev_zero_is_refused(tmp_path):
    link = tmp_path / "zero.png"
    link.symlink_to("/dev/zero")
    _expect_error(link, "not a regular file")


def test_a_file_over_the_size_cap_is_refused(photo, monkeypatch):
    monkeypatch.setattr(image_io, "file_limit", lambda max_pixels: 100)
    _expect_error(photo, "more than the 100 bytes")


def test_the_file_cap_follows_the_pixel_limit():
    assert image_io.file_limit(200_000_000) > 200_000_000 * 8  # an uncompressed 16-bit RGBA TIFF fits
    assert image_io.file_limit(400_000_000) > image_io.file_limit(200_000_000)


# --------------------------------------------------------------------------- the pixel limit


def test_the_pixel_limit_message_says_how_to_raise_it(photo):
    error = _expect_error(photo, "limit", max_pixels=1000)
    assert "IEA_MAX_PIXELS=10000000" in str(error)


@pytest.mark.parametrize("value,expected,note", [
    (None, 200_000_000, ""), ("300000000", 300_000_000, ""), ("300_000_000", 300_000_000, ""),
    ("lots", 200_000_000, "not a whole number"), ("-5", 200_000_000, "not a whole number"),
])
def test_the_pixel_limit_comes_from_iea_max_pixels(value, expected, note):
    limit, message = image_io._max_pixels_from({} if value is None else {"IEA_MAX_PIXELS": value})
    assert limit == expected and note in message


def test_iea_max_pixels_reaches_the_default(tmp_path):
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "IEA_MAX_PIXELS": "1000"}
    out = subprocess.run([sys.executable, "-c", "from iea_desktop.core import image_io; print(image_io.DEFAULT_MAX_PIXELS)"],
                         cwd=root, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1000"


# --------------------------------------------------------------------------- RAW levels and names


@pytest.mark.parametrize("black,white,words", [
    (256, 0, "white level is 0"), (5000, 4095, "black level (5000) is not below its white level (4095)"),
    (4095, 4095, "not below"),
])
def test_a_dng_with_impossible_levels_is_refused(black, white, words, tmp_path):
    path = write_dng(tmp_path / "levels.dng", black=black, white=white)
    error = _expect_error(path, "damaged")
    assert words in str(error)


def test_a_raw_whose_name_is_not_utf8_opens(tmp_path):
    if os.name != "posix" or sys_platform() == "darwin":
        pytest.skip("file names of arbitrary bytes: Linux")
    path = write_dng(tmp_path / os.fsdecode(b"caf\xe9.dng"))
    info, image = load(path)
    assert image.shape == (192, 256, 3) and info.exif


def sys_platform() -> str:
    import sys

    return sys.platform


def test_impossible_levels_that_only_libraw_sees_are_refused_when_developing(tmp_path, monkeypatch):
    """Other RAW formats have no DNG level tags: LibRaw's levels are checked before developing."""
    from iea_desktop.core import raw_metadata

    path = write_dng(tmp_path / "levels.dng", black=5000, white=4095)
    monkeypatch.setattr(raw_metadata, "read", lambda p: raw_metadata.RawMetadata())
    assert probe(path).width == 256
    with pytest.raises(ImageLoadError, match="black level .5000. is not below its white level .4095."):
        load(path)
