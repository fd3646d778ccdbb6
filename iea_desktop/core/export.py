"""Export: encode a rendered image to JPEG, PNG, TIFF (8/16-bit) or WebP, atomically.

The source photo is never written: an export path that resolves to it is refused. EXIF from the
source is kept with its orientation reset (the pixels are already upright) and an sRGB ICC
profile is embedded, except in 16-bit TIFF, which carries the ICC profile only. A picture larger
than its format can hold (JPEG 65,535 pixels a side, WebP 16,383) is refused before encoding.
"""

from __future__ import annotations

import io
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms

from . import files, jpeg_bands
from .finish import to_uint8, to_uint16
from .image_io import EXIF_ORIENTATION, downscale
from .parallel import cpu_count

OPTIMIZE_HUFFMAN_PIXELS = 12_000_000
FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".tif": "TIFF", ".tiff": "TIFF", ".webp": "WEBP"}
# lcms stamps the profile's header with the time it is made (bytes 24-35); a fixed date makes the
# same pixels the same file in every process, so a batch run again writes the same bytes.
_PROFILE = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
SRGB_ICC = _PROFILE[:24] + struct.pack(">6H", 2000, 1, 1, 0, 0, 0) + _PROFILE[36:]
MAX_SIDE = {"JPEG": 65_535, "WEBP": 16_383}  # pixels a side the format can hold (PNG and TIFF: far more)


class ExportError(Exception):
    """An export that cannot be done; the message is meant for a person."""


@dataclass
class ExportOptions:
    format: str | None = None  # "JPEG", "PNG", "TIFF", "WEBP"; None = from the file suffix
    quality: int = 92  # JPEG and WebP
    bit_depth: int = 8  # 16 for TIFF only
    max_edge: int | None = None  # downscale so the long edge is at most this
    keep_metadata: bool = True
    sharpen: str = "none"  # output sharpening of the picture as written: a key of OUTPUT_SHARPENING


# Output sharpening (Lightroom's "sharpen for screen"): an unsharp mask of the picture at the size
# it is written, (1 + a) x - a blur(x), the blur a Gaussian of OUTPUT_SIGMA pixels, by amount a.
OUTPUT_SHARPENING = {"none": 0.0, "low": 0.25, "standard": 0.5, "high": 0.9}
OUTPUT_SIGMA = 0.8


def sharpening_amount(options: ExportOptions) -> float:
    try:
        return OUTPUT_SHARPENING[options.sharpen]
    except (KeyError, TypeError):
        raise ExportError(
            f"unknown output sharpening {options.sharpen!r}; use {', '.join(OUTPUT_SHARPENING)}"
        ) from None


def sharpen_output(image: np.ndarray, options: ExportOptions) -> np.ndarray:
    """The picture as written (float32 RGB, or 8-bit RGB/RGBX) with the output sharpening asked for."""
    amount = sharpening_amount(options)
    if not amount:
        return image
    import cv2

    blur = cv2.GaussianBlur(image, (0, 0), OUTPUT_SIGMA)
    sharpened = cv2.addWeighted(image, 1.0 + amount, blur, -amount, 0.0)  # 8 bits: rounded and saturated
    return sharpened if sharpened.dtype == np.uint8 else np.clip(sharpened, 0.0, 1.0, out=sharpened)


def format_for(path: Path, options: ExportOptions) -> str:
    if options.format:
        fmt = options.format.upper().replace("JPG", "JPEG").replace("TIF", "TIFF").replace("TIFFF", "TIFF")
        if fmt not in set(FORMATS.values()):
            raise ExportError(f"unknown export format {options.format!r}; use JPEG, PNG, TIFF or WebP")
        return fmt
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise ExportError(
            f"{path.name}: unknown file type {path.suffix or '(none)'}; use .jpg, .png, .tif or .webp"
        ) from None


def check_target(target: Path, source: Path | None) -> None:
    """Refuse to write over the original photo (or any of its hard links)."""
    if source is None:
        return
    # realpath, not Path.resolve: a link that points to itself must not raise RuntimeError here
    same = os.path.realpath(target) == os.path.realpath(source)
    if not same and target.exists():
        try:
            same = os.path.samefile(target, source)
        except OSError:
            same = False
    if same:
        raise ExportError(f"{target.name}: refusing to overwrite the original photo; choose another file name")


def check_size(fmt: str, width: int, height: int) -> None:
    """Refuse a picture larger than ``fmt`` can hold, naming the formats that can."""
    limit = MAX_SIDE.get(fmt)
    if limit is not None and max(width, height) > limit:
        others = [
            f"{name} (up to {side:,} pixels)"
            for name, side in MAX_SIDE.items()
            if name != fmt and side >= max(width, height)
        ]
        raise ExportError(
            f"{width:,} × {height:,} pixels is too big for {fmt} (at most {limit:,} pixels a side); "
            f"export as PNG or TIFF{''.join(', or ' + o for o in others)}, or set a smaller size"
        )


EXIF_SUB_IFDS = (0x8769, 0x8825)  # the Exif IFD (exposure, lens, dates) and the GPS IFD


def upright_exif(exif: bytes | None, sub_ifds: bool = True) -> bytes | None:
    """The source's EXIF with orientation 1. Damaged EXIF, or more than a JPEG marker can hold, is
    dropped: the export matters more than its metadata. ``sub_ifds=False``: without the Exif and
    GPS IFDs (only IFD0: camera, date, author), for TIFF, whose compressing writer (libtiff through
    Pillow) fails on them."""
    if not exif:
        return None
    try:
        data = Image.Exif()
        data.load(exif)
        data[EXIF_ORIENTATION] = 1
        for pointer in () if sub_ifds else EXIF_SUB_IFDS:
            data.pop(pointer, None)
        result = data.tobytes()
    except Exception:  # damaged EXIF is dropped, not fatal
        return None
    return result if len(result) <= jpeg_bands.MAX_SEGMENT else None


def _pillow_image(image: np.ndarray, fmt: str) -> Image.Image:
    """8-bit pixels for Pillow: RGBX ones are shared, not copied (JPEG encodes them as they are)."""
    if image.dtype != np.uint8:
        image = to_uint8(image)
    if image.shape[-1] == 4:
        pil = Image.frombuffer(
            "RGBX", (image.shape[1], image.shape[0]), np.ascontiguousarray(image), "raw", "RGBX", 0, 1
        )
        return pil if fmt == "JPEG" else pil.convert("RGB")
    return Image.fromarray(image, "RGB")


def encode(image: np.ndarray, fmt: str, options: ExportOptions, exif: bytes | None) -> bytes:
    """Encode float32 RGB in [0, 1] (or, for 8-bit output, 8-bit RGB or RGBX) to file bytes."""
    if options.bit_depth == 16:
        if image.dtype == np.uint8:
            raise ExportError("a 16-bit export needs the full-precision render, not 8-bit pixels")
        if fmt != "TIFF":
            raise ExportError("16-bit export is available for TIFF only")
        import tifffile

        buffer = io.BytesIO()
        extratags = [(34675, "B", len(SRGB_ICC), SRGB_ICC, True)] if options.keep_metadata else []
        tifffile.imwrite(buffer, to_uint16(image), photometric="rgb", compression="zlib", extratags=extratags)
        return buffer.getvalue()
    if options.bit_depth != 8:
        raise ExportError(f"bit depth must be 8 or 16, not {options.bit_depth}")
    check_size(fmt, image.shape[1], image.shape[0])
    try:
        return _encode_8_bit(image, fmt, options, exif)
    except (OSError, ValueError, RuntimeError, MemoryError) as error:  # the encoder's refusal, said plainly
        raise ExportError(f"the {fmt} encoder failed ({error or type(error).__name__})") from None


def _encode_8_bit(image: np.ndarray, fmt: str, options: ExportOptions, exif: bytes | None) -> bytes:
    pil = _pillow_image(image, fmt)
    kwargs: dict = {}
    if options.keep_metadata:
        kwargs["icc_profile"] = SRGB_ICC
        exif = upright_exif(exif, sub_ifds=fmt != "TIFF")
        if exif:
            kwargs["exif"] = exif
    if fmt == "JPEG":
        # Huffman optimisation saves about 2% of the file but costs a second encoding pass: 0.5 s
        # of a 24 MP export's 1.2 s budget (docs/performance.md), so it is kept for smaller pictures.
        optimize = image.shape[0] * image.shape[1] <= OPTIMIZE_HUFFMAN_PIXELS
        quality, subsampling = jpeg_settings(options)
        kwargs.update(quality=quality, optimize=optimize, subsampling=subsampling)
        if not optimize and cpu_count() > 1:  # in bands on every core (Pillow's encoder holds the GIL)
            pixels = image if image.dtype == np.uint8 else to_uint8(image)
            return jpeg_bands.encode(pixels, quality, subsampling, kwargs.get("exif"), kwargs.get("icc_profile"))
    elif fmt == "WEBP":
        kwargs.update(quality=quality_of(options), method=4)
    elif fmt == "TIFF":
        kwargs.update(compression="tiff_adobe_deflate")
    elif fmt == "PNG":
        kwargs.update(compress_level=6)
    buffer = io.BytesIO()
    try:
        pil.save(buffer, fmt, **kwargs)
    except OSError:
        if not kwargs.get("optimize"):
            raise
        # Pillow encodes an optimised JPEG in one buffer of one byte per pixel; a noisy picture at
        # high quality needs more ("Suspension not allowed here"): encode it without optimising.
        buffer = io.BytesIO()
        pil.save(buffer, fmt, **{**kwargs, "optimize": False})
    return buffer.getvalue()


def write_image(
    image: np.ndarray,
    target: str | os.PathLike,
    options: ExportOptions | None = None,
    exif: bytes | None = None,
    source: Path | None = None,
) -> Path:
    """Resize if asked, encode, and write atomically. Returns the path written."""
    options = options or ExportOptions()
    target = Path(target)
    check_target(target, source)
    fmt = format_for(target, options)
    if options.max_edge:
        image = downscale(image, int(options.max_edge))
    return _write(encode(sharpen_output(image, options), fmt, options, exif), target)


def quality_of(options: ExportOptions) -> int:
    """The JPEG/WebP quality, 1-100."""
    return int(min(max(options.quality, 1), 100))


def jpeg_settings(options: ExportOptions) -> tuple[int, int]:
    """JPEG quality and chroma subsampling (Pillow's codes: 0 is 4:4:4, kept from quality 90 on;
    2 is 4:2:0)."""
    quality = quality_of(options)
    return quality, 0 if quality >= 90 else 2


def full_size_8_bit(options: ExportOptions) -> bool:
    """Whether the file gets the picture at full size in 8 bits, which renders from the photo's own
    8 bits (Document.render_export); 16-bit and resized files need the float render."""
    return options.bit_depth == 8 and not options.max_edge


def _streamable(target: Path, options: ExportOptions) -> bool:
    """Output sharpening needs the whole picture (a band's blur reaches into the next)."""
    return format_for(target, options) == "JPEG" and full_size_8_bit(options) and not sharpening_amount(options)


def streams(target: str | os.PathLike, options: ExportOptions, pixels: int) -> bool:
    """Whether an export of a picture this many pixels is rendered and encoded at once, band by
    band (``write_streamed``): 8-bit JPEGs at full size that are too big for Huffman optimisation
    (which needs the whole picture), on more than one core."""
    return _streamable(Path(target), options) and pixels > OPTIMIZE_HUFFMAN_PIXELS and cpu_count() > 1


def write_streamed(
    render: Callable[[Callable[[int, np.ndarray], None]], None],
    target: str | os.PathLike,
    options: ExportOptions,
    exif: bytes | None = None,
    source: Path | None = None,
) -> tuple[Path, tuple[int, int]]:
    """Render and encode at once (see ``streams``): ``render(sink)`` renders the picture and hands
    its finished 8-bit rows to ``sink(first_row, rows)`` band by band, from any thread (as
    a ``RenderRequest`` with a sink does); each band is encoded as it comes (jpeg_bands), so the
    picture is never whole in memory and the encoding shares the cores with the rendering.
    Written atomically; returns the path written and the picture's size (width, height)."""
    target = Path(target)
    check_target(target, source)
    if not _streamable(target, options):
        raise ExportError(f"{target.name}: only full-size 8-bit JPEG is written band by band")
    _check_folder(target)
    encoder = jpeg_bands.Encoder(*jpeg_settings(options))

    def add(first_row: int, rows: np.ndarray) -> None:  # refused at the first band past the limit
        check_size("JPEG", rows.shape[1], first_row + rows.shape[0])
        encoder.add(first_row, rows)

    render(add)
    exif = upright_exif(exif) if options.keep_metadata else None
    data = encoder.join(exif, SRGB_ICC if options.keep_metadata else None)
    assert encoder.size is not None  # join() sets it
    return _write(data, target), encoder.size


def _check_folder(target: Path) -> None:
    if not target.parent.exists():
        raise ExportError(f"{target.parent}: folder does not exist")


def _write(data: bytes, target: Path) -> Path:
    """The file's bytes to ``target`` atomically, with the mode a plain write would give
    (``files.atomic_write``)."""
    _check_folder(target)
    try:
        files.atomic_write(target, data)
    except files.WriteError as error:
        raise ExportError(str(error)) from None
    return target
