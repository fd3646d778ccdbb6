"""A camera RAW file's metadata: its EXIF for exports, and a check of a DNG's black and white levels.

LibRaw (rawpy) develops the pixels but hands over no EXIF, so exports from RAW lost the camera,
lens, date, exposure and GPS. ``exifread`` (pure Python) reads the RAW's TIFF-style tags; the ones
a photo's EXIF carries are copied into a Pillow ``Image.Exif`` (IFD0, the Exif IFD 0x8769 and the
GPS IFD 0x8825) with the orientation reset to 1, since the developed pixels are upright. Maker
notes, previews and the raw image's own layout tags are left out.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import exifread
from PIL import Image
from PIL.ExifTags import Base
from PIL.TiffImagePlugin import IFDRational

log = logging.getLogger(__name__)

# IFD0: who made the picture and when.
IMAGE_TAGS = {
    0x010E,  # ImageDescription
    0x010F,  # Make
    0x0110,  # Model
    0x0132,  # DateTime
    0x013B,  # Artist
    0x8298,  # Copyright
}
# The Exif IFD: how it was taken. RAW files keep these in their Exif IFD, or (TIFF/EP, DNG) in IFD0.
PHOTO_TAGS = {
    0x829A,
    0x829D,
    0x8822,
    0x8827,
    0x8830,
    0x8832,  # ExposureTime, FNumber, ExposureProgram, ISO, SensitivityType, RecommendedExposureIndex
    0x9000,
    0x9003,
    0x9004,
    0x9010,
    0x9011,
    0x9012,  # ExifVersion, DateTimeOriginal/Digitized, OffsetTime(s)
    0x9201,
    0x9202,
    0x9204,
    0x9205,
    0x9206,
    0x9207,
    0x9208,
    0x9209,
    0x920A,  # shutter, aperture, bias, max aperture, distance, metering, light, flash, focal length
    0x9290,
    0x9291,
    0x9292,  # SubSecTime(s)
    0xA402,
    0xA403,
    0xA404,
    0xA405,
    0xA406,  # ExposureMode, WhiteBalance, DigitalZoomRatio, FocalLengthIn35mmFilm, SceneCaptureType
    0xA430,
    0xA431,
    0xA432,
    0xA433,
    0xA434,
    0xA435,  # CameraOwnerName, BodySerialNumber, LensSpecification, LensMake, LensModel, LensSerialNumber
}
DNG_LENS_INFO = 0xC630  # a DNG's lens range: the same four numbers as LensSpecification
DNG_BLACK_LEVEL, DNG_WHITE_LEVEL = 0xC61A, 0xC61D
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
ASCII, BYTE, UNDEFINED, RATIONAL, SRATIONAL = 2, 1, 7, 5, 10


@dataclass
class RawMetadata:
    exif: bytes | None = None  # EXIF for exports (orientation 1), None when the file has none
    problem: str | None = None  # what is impossible about the file's levels, for the person


def _value(tag):
    """An exifread tag's value as Pillow writes it (text, bytes, int, IFDRational, or a tuple)."""
    values = tag.values
    if tag.field_type == ASCII:
        return str(values).rstrip("\x00 ")
    if tag.field_type == UNDEFINED:
        return values.encode("latin-1") if isinstance(values, str) else bytes(values)
    if isinstance(values, (str, bytes)):
        return values
    if tag.field_type in (RATIONAL, SRATIONAL):
        values = [IFDRational(v.numerator, v.denominator) for v in values]
    elif tag.field_type == BYTE:
        return bytes(values)
    values = tuple(values)
    return values[0] if len(values) == 1 else values


def _levels_problem(tags: dict) -> str | None:
    """A DNG's BlackLevel/WhiteLevel that no sensor can have (LibRaw develops them without a word:
    a white level of 0 becomes 65535, a black one above white gives a black picture)."""
    for ifd in {name.split(" ", 1)[0] for name in tags}:
        by_id = {t.tag: t for name, t in tags.items() if name.split(" ", 1)[0] == ifd and hasattr(t, "tag")}
        if DNG_WHITE_LEVEL not in by_id:
            continue
        whites = [float(v) for v in by_id[DNG_WHITE_LEVEL].values]
        blacks = [float(v) for v in by_id[DNG_BLACK_LEVEL].values] if DNG_BLACK_LEVEL in by_id else [0.0]
        if min(whites) <= 0:
            return f"the RAW file's white level is {min(whites):g}, which no camera records; the file is damaged"
        if max(blacks) >= min(whites):
            return (
                f"the RAW file's black level ({max(blacks):g}) is not below its white level ({min(whites):g}); "
                "the file is damaged"
            )
    return None


def _exif(tags: dict) -> bytes | None:
    exif = Image.Exif()
    photo: dict = {}
    gps: dict = {}
    lens_info = None
    for name, tag in tags.items():
        ifd = name.split(" ", 1)[0]
        number = getattr(tag, "tag", None)
        if number is None or ifd not in ("Image", "EXIF", "GPS"):  # not Thumbnail, MakerNote, Interoperability
            continue
        try:
            value = _value(tag)
        except (TypeError, ValueError, ZeroDivisionError, UnicodeError):
            continue  # one damaged tag is left out, not the rest
        if ifd == "GPS":
            gps[number] = value
        elif number in IMAGE_TAGS:
            exif[number] = value
        elif number in PHOTO_TAGS:
            photo[number] = value
        elif number == DNG_LENS_INFO:
            lens_info = value
    if lens_info is not None:
        photo.setdefault(0xA432, lens_info)
    if not (len(exif) or photo or gps):
        return None
    exif[Base.Orientation] = 1
    if photo:
        exif.get_ifd(EXIF_IFD).update(photo)
    if gps:
        exif.get_ifd(GPS_IFD).update(gps)
    return exif.tobytes()


def read(path: str | os.PathLike) -> RawMetadata:
    """The RAW file's EXIF and any impossible levels. Unreadable or damaged metadata gives an
    empty result (the picture matters more than its metadata)."""
    try:
        with open(path, "rb") as handle:
            tags = exifread.process_file(handle, details=False, extract_thumbnail=False)
    except Exception as error:  # noqa: BLE001 (exifread raises many kinds on damaged files)
        log.info("no EXIF read from %s: %s", Path(path).name, error)
        return RawMetadata()
    result = RawMetadata(problem=_levels_problem(tags))
    try:
        result.exif = _exif(tags)
    except Exception as error:  # noqa: BLE001 (a tag Pillow cannot write)
        log.info("no EXIF built for %s: %s", Path(path).name, error)
    return result
