"""core/raw_metadata.py: the camera's EXIF carried from a RAW file to its exports; DNG level checks."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from PIL import ExifTags, Image

from iea_desktop.core import image_io, raw_metadata
from iea_desktop.core.document import Document
from iea_desktop.core.export import ExportOptions
from test_image_io import write_dng

EXIF_IFD, GPS_IFD = 0x8769, 0x8825


def exif_tags(exif: Image.Exif) -> dict[str, object]:
    """{name: value} over IFD0, the Exif IFD and the GPS IFD (GPS names prefixed)."""
    out = {ExifTags.TAGS.get(k, hex(k)): v for k, v in exif.items() if k not in (EXIF_IFD, GPS_IFD)}
    out.update({ExifTags.TAGS.get(k, hex(k)): v for k, v in exif.get_ifd(EXIF_IFD).items()})
    out.update({"GPS" + ExifTags.GPSTAGS.get(k, hex(k)): v for k, v in exif.get_ifd(GPS_IFD).items()})
    return out


@pytest.fixture
def camera_dng(tmp_path) -> Path:
    from pidng.core import Tag

    return write_dng(tmp_path / "camera.dng", orientation=6, extra=(
        (Tag.ExposureTime, [[1, 250]]), (Tag.FNumber, [[28, 10]]), (Tag.PhotographicSensitivity, 400),
        (Tag.FocalLength, [[50, 1]]), (Tag.DateTimeOriginal, "2024:05:01 10:11:12"),
        (Tag.EXIFPhotoLensModel, "Test Lens 50mm F2.8"), (Tag.ExposureBiasValue, [[-1, 3]]),
    ))


@pytest.mark.parametrize("suffix", [".jpg", ".tif", ".png", ".webp"])
def test_exports_from_raw_carry_the_camera_exif_upright(suffix, camera_dng, tmp_path):
    doc = Document.open(camera_dng)
    target, size = doc.export(tmp_path / ("out" + suffix), ExportOptions())
    assert size == (192, 256)  # developed upright
    with Image.open(target) as img:
        tags = exif_tags(img.getexif())
    assert tags["Make"] == "IEA" and tags["Model"] == "Test Camera"
    assert tags["Orientation"] == 1
    if suffix == ".tif":  # TIFF carries IFD0 only (export.upright_exif)
        assert "ExposureTime" not in tags
        return
    assert tags["ExposureTime"] == Fraction(1, 250) and tags["FNumber"] == Fraction(28, 10)
    assert tags["ISOSpeedRatings"] == 400 and tags["FocalLength"] == 50
    assert tags["DateTimeOriginal"] == "2024:05:01 10:11:12"
    assert tags["LensModel"] == "Test Lens 50mm F2.8"
    assert tags["ExposureBiasValue"] == Fraction(-1, 3)
    assert "Software" not in tags and "ImageWidth" not in tags and "BlackLevel" not in tags


def test_gps_is_carried_where_present(tmp_path, make_u8):
    """exifread reads the same TIFF structures from any file: a JPEG with a GPS IFD stands in for a
    RAW that has one (pidng writes no GPS)."""
    source = Image.Exif()
    source[0x010F] = "Phone"
    gps = source.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (Fraction(48), Fraction(51), Fraction(2979, 100)), 3: "E",
                4: (Fraction(2), Fraction(17), Fraction(4032, 100)), 0: b"\x02\x03\x00\x00"})
    path = tmp_path / "gps.jpg"
    Image.fromarray(make_u8()).save(path, exif=source)
    metadata = raw_metadata.read(path)
    exif = Image.Exif()
    exif.load(metadata.exif)
    tags = exif_tags(exif)
    assert tags["Make"] == "Phone" and tags["Orientation"] == 1
    assert tags["GPSGPSLatitudeRef"] == "N" and tags["GPSGPSLongitudeRef"] == "E"
    assert tuple(tags["GPSGPSLatitude"]) == (48, 51, Fraction(2979, 100))
    assert tags["GPSGPSVersionID"] == b"\x02\x03\x00\x00"


def test_a_raw_without_metadata_gives_none(tmp_path):
    path = tmp_path / "noise.nef"
    path.write_bytes(bytes(range(256)) * 40)
    assert raw_metadata.read(path) == raw_metadata.RawMetadata()


def test_a_missing_file_gives_none(tmp_path):
    assert raw_metadata.read(tmp_path / "none.dng") == raw_metadata.RawMetadata()


def test_the_photo_info_of_a_raw_has_its_exif(camera_dng):
    info = image_io.probe(camera_dng)
    exif = Image.Exif()
    exif.load(info.exif)
    assert exif[0x010F] == "IEA" and exif[0x0112] == 1 and info.orientation == 6


@pytest.mark.parametrize("black,white,problem", [
    (256, 4095, None), (256, 0, "white level is 0"), (4096, 4095, "black level (4096) is not below"),
])
def test_dng_levels(black, white, problem, tmp_path):
    metadata = raw_metadata.read(write_dng(tmp_path / "l.dng", black=black, white=white))
    assert (metadata.problem is None) if problem is None else (problem in metadata.problem)
