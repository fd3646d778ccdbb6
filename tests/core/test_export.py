"""Export: formats, bit depths, resizing, metadata, and never writing over the source photo."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from iea_desktop.core import image_io
from iea_desktop.core.document import Document
from iea_desktop.core.export import SRGB_ICC, ExportError, ExportOptions, write_image
from iea_desktop.core.finish import to_uint8, to_uint16
from iea_desktop.core.graph import make_node
from iea_desktop.core.history import AddNode

MAKE = 0x010F


@pytest.fixture
def image(make_rgb) -> np.ndarray:
    return make_rgb(96, 128)


def exif_with(orientation: int = 6, make: str = "IEA test camera") -> bytes:
    exif = Image.Exif()
    exif[image_io.EXIF_ORIENTATION] = orientation
    exif[MAKE] = make
    return exif.tobytes()


def files_in(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


# --------------------------------------------------------------------------- formats


def test_png_is_exact(image, tmp_path):
    out = write_image(image, tmp_path / "out.png")
    assert out == tmp_path / "out.png"
    with Image.open(out) as img:
        assert img.format == "PNG" and img.mode == "RGB"
        np.testing.assert_array_equal(np.asarray(img), to_uint8(image))


@pytest.mark.parametrize("suffix", [".jpg", ".jpeg", ".JPG"])
def test_jpeg_quality_changes_the_size(suffix, image, tmp_path):
    low = write_image(image, tmp_path / f"low{suffix}", ExportOptions(quality=30))
    high = write_image(image, tmp_path / f"high{suffix}", ExportOptions(quality=95))
    assert low.stat().st_size < high.stat().st_size
    with Image.open(high) as img:
        assert img.format == "JPEG"
        assert np.abs(np.asarray(img).astype(int) - to_uint8(image)).mean() < 3


def test_webp(image, tmp_path):
    out = write_image(image, tmp_path / "out.webp", ExportOptions(quality=90))
    with Image.open(out) as img:
        assert img.format == "WEBP" and img.size == (128, 96)
        assert np.abs(np.asarray(img.convert("RGB")).astype(int) - to_uint8(image)).mean() < 4
    low = write_image(image, tmp_path / "low.webp", ExportOptions(quality=10))
    assert low.stat().st_size < out.stat().st_size


@pytest.mark.parametrize("suffix", [".tif", ".tiff"])
def test_8bit_tiff_is_exact(suffix, image, tmp_path):
    import tifffile

    out = write_image(image, tmp_path / f"out{suffix}")
    data = tifffile.imread(out)
    assert data.dtype == np.uint8
    np.testing.assert_array_equal(data, to_uint8(image))


def test_16bit_tiff_keeps_precision(tmp_path):
    import tifffile

    levels = (30000 + np.arange(64 * 48, dtype=np.uint32).reshape(48, 64)).astype(np.uint16)
    image = np.repeat(levels[..., None], 3, axis=2).astype(np.float32) / np.float32(65535)
    out = write_image(image, tmp_path / "deep.tif", ExportOptions(bit_depth=16))
    with tifffile.TiffFile(out) as tif:
        data = tif.asarray()
        assert 34675 in tif.pages[0].tags  # ICC profile
        assert tif.pages[0].tags[34675].value == SRGB_ICC
    assert data.dtype == np.uint16
    np.testing.assert_array_equal(data, to_uint16(image))
    assert len(np.unique(data[..., 0])) == data[..., 0].size  # 1/65535 steps stayed distinct
    info, back = image_io.load(out)  # and our own loader reads it back at 16 bits
    assert info.bit_depth == 16
    np.testing.assert_allclose(back, image, atol=1e-6)


def test_16bit_only_for_tiff_and_bit_depth_checked(image, tmp_path):
    with pytest.raises(ExportError, match="TIFF"):
        write_image(image, tmp_path / "deep.png", ExportOptions(bit_depth=16))
    with pytest.raises(ExportError, match="8 or 16"):
        write_image(image, tmp_path / "odd.tif", ExportOptions(bit_depth=12))
    assert files_in(tmp_path) == set()


def test_explicit_format_option(image, tmp_path):
    out = write_image(image, tmp_path / "named.out.jpg", ExportOptions(format="png"))
    with Image.open(out) as img:
        assert img.format == "PNG"
    for name in ("jpg", "JPEG", "tif", "TIFF", "webp"):
        write_image(image, tmp_path / f"x-{name}.bin", ExportOptions(format=name))
    with pytest.raises(ExportError, match="unknown export format"):
        write_image(image, tmp_path / "x.png", ExportOptions(format="gif"))


@pytest.mark.parametrize("name", ["out.gif", "out", "out.bmp.txt", "out.heic"])
def test_unknown_suffix_is_refused(name, image, tmp_path):
    with pytest.raises(ExportError) as info:
        write_image(image, tmp_path / name)
    assert name in str(info.value) and ".jpg" in str(info.value)
    assert files_in(tmp_path) == set()


def test_out_of_range_and_nan_pixels_are_clipped(tmp_path):
    image = np.array([[[np.nan, -1.0, 2.0], [0.5, np.inf, -np.inf]]], dtype=np.float32)
    out = write_image(image, tmp_path / "edge.png")
    with Image.open(out) as img:
        np.testing.assert_array_equal(np.asarray(img), [[[0, 0, 255], [128, 255, 0]]])


# --------------------------------------------------------------------------- resizing


@pytest.mark.parametrize("max_edge,expected", [(64, (64, 48)), (100, (100, 75)), (1000, (128, 96)), (None, (128, 96))])
def test_resize_to_a_long_edge(max_edge, expected, image, tmp_path):
    out = write_image(image, tmp_path / "small.png", ExportOptions(max_edge=max_edge))
    with Image.open(out) as img:
        assert img.size == expected


def test_resize_portrait(make_rgb, tmp_path):
    out = write_image(make_rgb(200, 100), tmp_path / "p.jpg", ExportOptions(max_edge=50))
    with Image.open(out) as img:
        assert img.size == (25, 50)


# --------------------------------------------------------------------------- metadata


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".webp", ".tif"])
def test_exif_is_kept_with_orientation_reset_and_srgb_embedded(suffix, image, tmp_path):
    out = write_image(image, tmp_path / f"meta{suffix}", exif=exif_with(orientation=6))
    with Image.open(out) as img:
        exif = img.getexif()
        assert exif.get(image_io.EXIF_ORIENTATION) == 1
        assert exif.get(MAKE) == "IEA test camera"
        assert img.info.get("icc_profile") == SRGB_ICC
    # reading it back does not turn the upright pixels again
    info, back = image_io.load(out)
    assert back.shape == image.shape and info.orientation == 1


def test_no_metadata_when_asked(image, tmp_path):
    out = write_image(image, tmp_path / "bare.jpg", ExportOptions(keep_metadata=False), exif=exif_with())
    with Image.open(out) as img:
        assert not img.info.get("icc_profile")
        assert img.getexif().get(MAKE) is None


def test_damaged_exif_is_dropped_not_fatal(image, tmp_path):
    out = write_image(image, tmp_path / "x.jpg", exif=b"Exif\0\0not a tiff header at all")
    with Image.open(out) as img:
        assert img.size == (128, 96)


def test_export_of_an_oriented_photo_is_upright_once(make_u8, tmp_path):
    """A photo with orientation 6, rendered and exported: upright pixels, orientation 1."""
    exif = Image.Exif()
    exif[image_io.EXIF_ORIENTATION] = 6
    src = tmp_path / "rotated.png"
    Image.fromarray(make_u8(48, 64)).save(src, exif=exif)
    doc = Document.open(src)
    out = write_image(doc.render_full(), tmp_path / "upright.png", exif=doc.info.exif, source=doc.path)
    with Image.open(out) as img:
        assert img.size == (48, 64) and img.getexif().get(image_io.EXIF_ORIENTATION) == 1
        np.testing.assert_array_equal(np.asarray(img), np.rot90(make_u8(48, 64), -1))


# --------------------------------------------------------------------------- the source photo is safe


def test_exporting_onto_the_source_is_refused(photo, image):
    before = photo.read_bytes()
    with pytest.raises(ExportError, match="original"):
        write_image(image, photo, source=photo)
    assert photo.read_bytes() == before


def test_exporting_onto_the_source_through_another_path_is_refused(photo, image, tmp_path, monkeypatch):
    before = photo.read_bytes()
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    for target in (Path("..") / photo.name, Path("../sub/..") / photo.name, tmp_path / "sub" / ".." / photo.name):
        with pytest.raises(ExportError, match="original"):
            write_image(image, target, source=photo)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ExportError):
        write_image(image, Path(photo.name), source=photo)
    with pytest.raises(ExportError):  # the source given relatively, the target absolutely
        write_image(image, photo, source=Path(photo.name))
    assert photo.read_bytes() == before


def test_exporting_onto_a_symlink_or_hard_link_to_the_source_is_refused(photo, image, tmp_path):
    before = photo.read_bytes()
    link = tmp_path / "link.png"
    link.symlink_to(photo)
    with pytest.raises(ExportError):
        write_image(image, link, source=photo)
    folder_link = tmp_path / "folder-link"
    folder_link.symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(ExportError):
        write_image(image, folder_link / photo.name, source=photo)
    hard = tmp_path / "hard.png"
    os.link(photo, hard)
    with pytest.raises(ExportError):
        write_image(image, hard, source=photo)
    assert photo.read_bytes() == before


def test_exporting_next_to_the_source_is_fine(photo, image):
    out = write_image(image, photo.with_name("photo-edit.png"), source=photo)
    assert out.exists()


# --------------------------------------------------------------------------- writing


def test_export_overwrites_an_earlier_export_and_leaves_no_temporary_files(image, tmp_path):
    target = tmp_path / "out.jpg"
    write_image(image, target)
    write_image(image * 0.5, target)
    assert files_in(tmp_path) == {"out.jpg"}
    with Image.open(target) as img:
        assert np.asarray(img).mean() < to_uint8(image).mean() * 0.7


def test_a_missing_folder_is_refused(image, tmp_path):
    with pytest.raises(ExportError, match="does not exist"):
        write_image(image, tmp_path / "no" / "such" / "out.png")


def test_a_failed_write_leaves_no_temporary_file(image, tmp_path, monkeypatch):
    from iea_desktop.core import export

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export.files.os, "replace", broken_replace)
    with pytest.raises(ExportError, match="the disk is full"):
        write_image(image, tmp_path / "out.png")
    assert files_in(tmp_path) == set()


def test_document_render_and_export(photo, tmp_path):
    doc = Document.open(photo)
    doc.apply(AddNode(make_node("exposure", {"value": 40})))
    doc.apply(AddNode(make_node("crop", {"right": 0.5})))
    out = write_image(doc.render_full(), tmp_path / "edit.jpg", exif=doc.info.exif, source=doc.path)
    with Image.open(out) as img:
        assert img.size == (64, 96)
        assert np.asarray(img).mean() > np.asarray(Image.open(photo)).mean()


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_exports_get_the_mode_a_plain_write_gives_and_keep_an_existing_one(image, tmp_path):
    saved = os.umask(0o022)
    try:
        target = write_image(image, tmp_path / "out.jpg")
        assert stat.S_IMODE(target.stat().st_mode) == 0o644
        target.chmod(0o664)
        write_image(image * 0.5, target)
        assert stat.S_IMODE(target.stat().st_mode) == 0o664
    finally:
        os.umask(saved)


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_exporting_onto_a_symlink_writes_its_target(image, tmp_path):
    real = tmp_path / "real.png"
    write_image(image, real)
    link = tmp_path / "link.png"
    link.symlink_to(real)
    write_image(image * 0.5, link)
    assert link.is_symlink()
    with Image.open(real) as img:
        assert np.asarray(img).mean() < to_uint8(image).mean() * 0.7


# --------------------------------------------------------------------------- sizes a format cannot hold


@pytest.mark.parametrize("suffix,shape,limit", [
    (".jpg", (1, 65_536), "65,535"), (".jpg", (65_536, 1), "65,535"),
    (".webp", (1, 16_384), "16,383"), (".webp", (16_384, 1), "16,383"),
])
def test_pictures_past_a_format_limit_are_refused_before_encoding(suffix, shape, limit, tmp_path):
    pixels = np.zeros(shape + (3,), np.uint8)
    with pytest.raises(ExportError) as info:
        write_image(pixels, tmp_path / ("big" + suffix))
    message = str(info.value)
    assert limit in message and "PNG or TIFF" in message and "\n" not in message
    if suffix == ".webp":
        assert "JPEG (up to 65,535" in message
    assert files_in(tmp_path) == set()


def test_png_holds_a_picture_jpeg_cannot(tmp_path):
    target = write_image(np.zeros((1, 65_536, 3), np.uint8), tmp_path / "wide.png")
    with Image.open(target) as img:
        assert img.size == (65_536, 1)


def test_a_streamed_export_past_the_jpeg_limit_is_refused(tmp_path):
    from iea_desktop.core import export

    def render(sink):  # a tall picture, band by band: refused at the band that crosses the limit
        for first in range(0, 70_000, 10_000):
            sink(first, np.zeros((10_000, 2, 3), np.uint8))

    with pytest.raises(ExportError, match="65,535"):
        export.write_streamed(render, tmp_path / "tall.jpg", ExportOptions())
    assert files_in(tmp_path) == set()


def test_an_encoder_failure_is_an_export_error(image, tmp_path, monkeypatch):
    def failing_save(self, *args, **kwargs):
        raise OSError("encoder error -2")

    monkeypatch.setattr(Image.Image, "save", failing_save)
    with pytest.raises(ExportError, match="the PNG encoder failed .encoder error -2"):
        write_image(image, tmp_path / "out.png")
    assert files_in(tmp_path) == set()


def test_a_camera_exif_with_exif_and_gps_ifds_exports_to_every_format(image, tmp_path):
    """A camera's EXIF keeps exposure and GPS in sub-IFDs, which Pillow's compressing TIFF writer
    fails on ("Error setting from dictionary"): TIFF gets IFD0 only, the others everything."""
    from PIL.TiffImagePlugin import IFDRational

    exif = Image.Exif()
    exif[MAKE] = "IEA test camera"
    exif[image_io.EXIF_ORIENTATION] = 6
    exif.get_ifd(0x8769)[0x829A] = IFDRational(1, 250)
    exif.get_ifd(0x8825)[1] = "N"
    for suffix in (".jpg", ".png", ".webp", ".tif"):
        target = write_image(image, tmp_path / ("out" + suffix), exif=exif.tobytes())
        with Image.open(target) as img:
            back = img.getexif()
            assert back[MAKE] == "IEA test camera" and back[image_io.EXIF_ORIENTATION] == 1
            assert (back.get_ifd(0x8769).get(0x829A) == IFDRational(1, 250)) == (suffix != ".tif")
