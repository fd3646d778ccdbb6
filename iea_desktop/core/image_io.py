"""Opening photos: JPEG, PNG, TIFF (8/16-bit), WebP, BMP and camera RAW, as float32 sRGB.

Every failure becomes an ``ImageLoadError`` whose message names the file and the problem in
one line. The original file is only ever opened for reading, and only if it is a regular file of
at most ``file_limit`` bytes. Decoded pixels must cover the size the header declares: a file whose
data ends early (a damaged header claiming a bigger picture) is refused, never filled in black or
grey. The pixel limit (DEFAULT_MAX_PIXELS, 200 MP) can be raised with the IEA_MAX_PIXELS
environment variable.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import simplejpeg
from PIL import Image, ImageCms, ImageFile, UnidentifiedImageError

from . import files
from .colour_science import Camera

MAX_PIXELS_VARIABLE = "IEA_MAX_PIXELS"


def _max_pixels_from(environ) -> tuple[int, str]:
    """The pixel limit (IEA_MAX_PIXELS, or 200 MP) and a note when the variable was not usable."""
    default = 200_000_000
    text = environ.get(MAX_PIXELS_VARIABLE, "").strip()
    if not text:
        return default, ""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value <= 0:
        return default, f"; {MAX_PIXELS_VARIABLE}={text!r} is not a whole number of pixels, so the default applies"
    return value, ""


DEFAULT_MAX_PIXELS, _MAX_PIXELS_NOTE = _max_pixels_from(os.environ)
DEFAULT_PREVIEW_EDGE = 1600
RAW_EXTENSIONS = {
    ".dng",
    ".cr2",
    ".cr3",
    ".crw",
    ".nef",
    ".nrw",
    ".arw",
    ".srf",
    ".sr2",
    ".raf",
    ".orf",
    ".rw2",
    ".pef",
    ".srw",
    ".rwl",
    ".3fr",
    ".iiq",
    ".x3f",
    ".erf",
    ".mrw",
    ".kdc",
    ".dcr",
    ".mef",
    ".mos",
}
OPEN_FILTER_EXTENSIONS = sorted({".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp"} | RAW_EXTENSIONS)
EXIF_ORIENTATION = 0x0112


class ImageLoadError(Exception):
    """A photo that cannot be opened; ``str(error)`` is a one-line message for a person."""

    def __init__(self, path: str | os.PathLike, problem: str):
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path.name}: {problem}")


@dataclass
class PhotoInfo:
    path: Path
    format: str  # "JPEG", "PNG", "TIFF", "WEBP", "BMP" or "RAW (NEF)" etc.
    width: int  # after EXIF orientation
    height: int
    bit_depth: int  # 8 or 16 (RAW reports 16)
    orientation: int = 1
    exif: bytes | None = None
    icc: bytes | None = None

    @property
    def is_raw(self) -> bool:
        return self.format.startswith("RAW")

    @property
    def megapixels(self) -> float:
        return self.width * self.height / 1e6

    def describe(self) -> str:
        return f"{self.width} × {self.height} {self.format}, {self.bit_depth}-bit"


def is_raw_path(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in RAW_EXTENSIONS


def apply_orientation(image: np.ndarray, orientation: int) -> np.ndarray:
    """Apply an EXIF orientation (1-8) to a pixel array."""
    ops = {
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1],
        5: lambda a: np.swapaxes(a, 0, 1),
        6: lambda a: np.rot90(a, -1),
        7: lambda a: np.swapaxes(a, 0, 1)[::-1, ::-1],
        8: lambda a: np.rot90(a, 1),
    }
    if orientation in ops:
        image = np.ascontiguousarray(ops[orientation](image))
    return image


# Pillow's own decompression-bomb check is process-wide and fires again while a TIFF loads; the
# per-call header check below (_check_size, before any decode) takes its place.
Image.MAX_IMAGE_PIXELS = None


def _check_size(path: Path, width: int, height: int, max_pixels: int) -> None:
    if width <= 0 or height <= 0:
        raise ImageLoadError(path, "the image has no pixels")
    if width * height > max_pixels:
        raise ImageLoadError(
            path,
            f"{width} × {height} is {width * height / 1e6:.0f} MP, over the {max_pixels / 1e6:.0f} MP limit "
            f"(a huge or decompression-bomb image; to open it anyway, raise the limit with the "
            f"{MAX_PIXELS_VARIABLE} environment variable, e.g. {MAX_PIXELS_VARIABLE}={_round_up(width * height)}"
            f"{_MAX_PIXELS_NOTE})",
        )


def _round_up(pixels: int) -> int:
    step = 10_000_000
    return -(-pixels // step) * step


def file_limit(max_pixels: int) -> int:
    """The most bytes a photo file may have: 16 per pixel of the pixel limit (uncompressed 16-bit
    RGBA is 8) plus 64 MB of metadata and previews; 3.3 GB at 200 MP."""
    return 16 * max_pixels + 64_000_000


def _check_readable(path: Path, max_pixels: int) -> None:
    """A regular file (not a folder, a pipe or a device) we may read, not empty, within file_limit."""
    try:
        status = files.check_regular(path, file_limit(max_pixels))
    except files.InputError as error:
        reason = "is a folder, not a photo" if error.reason.startswith("is a folder") else error.reason
        raise ImageLoadError(path, reason) from None
    if not os.access(path, os.R_OK):
        raise ImageLoadError(path, "permission denied")
    if status.st_size == 0:
        raise ImageLoadError(path, "the file is empty")


# --- Pillow formats ---------------------------------------------------------------------------


@functools.cache
def _tiff_decoders_orient() -> tuple[bool, bool]:
    """(Pillow, OpenCV): whether each already applies a TIFF's orientation tag when decoding (newer versions do)."""
    import tifffile

    buffer = io.BytesIO()
    tifffile.imwrite(
        buffer,
        np.array([[[0, 0, 0], [255, 255, 255]]], dtype=np.uint8),
        photometric="rgb",
        extratags=[(EXIF_ORIENTATION, "H", 1, 2, True)],
    )  # 2 = mirrored: the white pixel comes first
    data = buffer.getvalue()
    with Image.open(io.BytesIO(data)) as img:
        pillow = bool(np.asarray(img.convert("RGB"))[0, 0, 0])
    cv2 = _cv2()
    decoded = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    return pillow, decoded is not None and bool(decoded[0, 0, 0])


def _open_pillow(path: Path, max_pixels: int) -> ImageFile.ImageFile:
    """Open (header only) and refuse images over the pixel limit before any pixel is decoded."""
    try:
        img = Image.open(path)
    except UnidentifiedImageError:
        raise ImageLoadError(path, "not an image, or a format this app cannot read") from None
    except OSError as error:
        raise ImageLoadError(path, f"cannot be read ({error})") from None
    _check_size(path, img.width, img.height, max_pixels)
    return img


def _is_16bit(img: ImageFile.ImageFile) -> bool:
    if img.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        return True
    rawmode = img.tile[0][3] if img.tile and len(img.tile[0]) > 3 else ""
    rawmode = rawmode[0] if isinstance(rawmode, tuple) else rawmode
    return isinstance(rawmode, str) and "16" in rawmode


def _info_from_pillow(path: Path, img: ImageFile.ImageFile) -> PhotoInfo:
    bit_depth = 16 if _is_16bit(img) else 8
    try:
        # Pillow's getexif() decodes a whole PNG when no eXIf chunk comes before the pixels (looking
        # for one after them), and a failed decode there left an empty picture behind: read only
        # the header's (where Pillow and the PNG spec put it).
        exif = img.getexif() if img.format != "PNG" or "exif" in img.info else Image.Exif()
        orientation = int(exif.get(EXIF_ORIENTATION, 1) or 1)
        exif_bytes = exif.tobytes() if len(exif) else None
    except Exception:  # damaged EXIF must not stop the photo from opening
        orientation, exif_bytes = 1, None
    stored = (img.width, img.height)
    if img.format == "TIFF":  # newer Pillow reports a TIFF's size already turned by its orientation tag
        tags = img.tag_v2  # type: ignore[attr-defined]  # a TIFF's ImageFile (TiffImageFile) has them
        stored = (tags.get(256, img.width), tags.get(257, img.height))
    width, height = (stored[1], stored[0]) if orientation in (5, 6, 7, 8) else stored
    return PhotoInfo(
        path=path,
        format=img.format or path.suffix.lstrip(".").upper(),
        width=width,
        height=height,
        bit_depth=bit_depth,
        orientation=orientation,
        exif=exif_bytes,
        icc=img.info.get("icc_profile"),
    )


_SRGB = ImageCms.createProfile("sRGB")


def _icc_transform_8bit(img: Image.Image, icc: bytes | None) -> Image.Image:
    """Convert to sRGB with the embedded profile; a damaged profile is ignored (treated as sRGB)."""
    if img.mode not in ("RGB", "CMYK"):
        img = img.convert("RGB")
    if not icc:
        return img.convert("RGB")
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if img.mode == "RGB" and "srgb" in ImageCms.getProfileDescription(source).lower():
            return img
        converted = ImageCms.profileToProfile(img, source, _SRGB, outputMode="RGB")
        assert converted is not None  # None only when converting in place
        return converted
    except (ImageCms.PyCMSError, OSError, ValueError):
        return img.convert("RGB")


def _rgb(array: np.ndarray, bgr: bool = False) -> np.ndarray:
    """Gray or RGB(A), in RGB or OpenCV's BGR order -> 3-channel RGB of the same type (a view if it can)."""
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=2)
    array = array[..., :3]
    return array[..., ::-1] if bgr else array


def _to_float_rgb(array: np.ndarray, bgr: bool = False, keep_8bit: bool = False) -> np.ndarray:
    """uint8/uint16/float, gray or RGB(A) -> float32 RGB in [0, 1] (``bgr``: OpenCV's channel order).

    ``keep_8bit``: 8-bit pixels stay uint8 RGB (C-contiguous), for the export path, which turns
    them into floats strip by strip with exactly the division below (``render.as_float``).
    """
    array = _rgb(array, bgr)
    if array.dtype == np.uint8 and keep_8bit:
        return np.ascontiguousarray(array)
    if array.dtype in (np.uint8, np.uint16):
        # float32(b) / float32(levels), as array.astype(np.float32) / levels computes it, but in
        # strips on every core and without a second picture-sized temporary.
        from .parallel import parallel, strip_rows

        levels = np.float32(255 if array.dtype == np.uint8 else 65535)
        out = np.empty(array.shape[:2] + (3,), dtype=np.float32)

        def rows(y0: int, y1: int) -> None:
            np.divide(array[y0:y1], levels, out=out[y0:y1], dtype=np.float32)

        parallel(rows, array.shape[0], strip_rows(array.shape[1]))
        return out
    return np.nan_to_num(np.clip(array.astype(np.float32), 0.0, 1.0))


def _decode_16bit(path: Path, info: PhotoInfo, size: tuple[int, int]) -> np.ndarray:
    """16-bit PNG/TIFF through OpenCV, which keeps all 16 bits (Pillow would drop to 8)."""
    data = np.fromfile(path, dtype=np.uint8)
    cv2 = _cv2()
    array = cv2.imdecode(data, cv2.IMREAD_UNCHANGED | cv2.IMREAD_ANYDEPTH)
    if array is None:
        raise ImageLoadError(path, "the 16-bit image data cannot be decoded (damaged or unsupported layout)")
    _check_decoded(path, array, size, may_be_turned=True)  # OpenCV may apply a TIFF's orientation
    rgb = _to_float_rgb(array, bgr=array.ndim == 3)  # the channel swap is free in the conversion
    if info.icc:
        # LittleCMS through Pillow works on 8-bit images only: apply the profile's correction,
        # measured at 8 bits, as an offset so the 16-bit gradations survive.
        as8 = np.clip(np.rint(rgb * 255), 0, 255).astype(np.uint8)
        converted = np.asarray(_icc_transform_8bit(Image.fromarray(as8), info.icc), dtype=np.float32)
        rgb = np.clip(rgb + (converted - as8.astype(np.float32)) / 255, 0.0, 1.0)
    return rgb


def _srgb_or_untagged(icc: bytes | None) -> bool:
    if not icc:
        return True
    try:
        return "srgb" in ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(icc))).lower()
    except (ImageCms.PyCMSError, OSError, ValueError):
        return True  # a damaged profile is ignored (treated as sRGB), as in _icc_transform_8bit


TRUNCATED = "the file is truncated or damaged (its data ends before the picture does)"


def _decode_jpeg(
    path: Path, img: Image.Image, info: PhotoInfo, draft_edge: int | None, keep_8bit: bool
) -> np.ndarray | None:
    """A YCbCr or grey JPEG through simplejpeg: the same libjpeg-turbo decode as Pillow, bit for bit
    (baseline and progressive), but straight into one RGB array (Pillow's 4-byte RGBX buffer costs
    two extra picture-sized copies) and a third faster than OpenCV's decoder (24 MP: 0.11-0.14 s
    against 0.16-0.17 s). ``draft_edge``: decoded at the smallest of libjpeg's scales that still
    covers it (as Pillow's draft mode), for previews.

    Unlike Pillow, it says when the data ends before the picture does (libjpeg fills the rest
    grey): that is refused. None for its other complaints (Pillow then decodes, or says what is
    wrong).
    """
    size = {}
    if draft_edge:
        scale = draft_edge / max(img.width, img.height)
        size = {"min_width": max(1, int(img.width * scale)), "min_height": max(1, int(img.height * scale))}
    try:
        rgb = simplejpeg.decode_jpeg(path.read_bytes(), colorspace="RGB", **size)
    except ValueError as error:
        if "premature end" in str(error).lower():
            raise ImageLoadError(path, TRUNCATED) from None
        return None
    if not draft_edge:
        _check_decoded(path, rgb, img.size)
    if not _srgb_or_untagged(info.icc):
        rgb = np.asarray(_icc_transform_8bit(Image.fromarray(rgb), info.icc))
    return rgb if keep_8bit else _to_float_rgb(rgb)


def _check_decoded(path: Path, array: np.ndarray, size: tuple[int, int], may_be_turned: bool = False) -> None:
    """The decoded pixels have the size (width, height) the header declares (or, ``may_be_turned``,
    that size turned a quarter)."""
    decoded = (array.shape[1], array.shape[0])
    if decoded != tuple(size) and not (may_be_turned and decoded == tuple(size)[::-1]):
        raise ImageLoadError(
            path,
            f"the image data ({array.shape[1]} × {array.shape[0]}) does not match its "
            f"header ({size[0]} × {size[1]}); the file is damaged",
        )


def _decode_pillow(
    path: Path, img: Image.Image, info: PhotoInfo, draft_edge: int | None, keep_8bit: bool = False
) -> np.ndarray:
    try:
        if info.bit_depth == 16:
            return _decode_16bit(path, info, img.size)
        if img.format == "JPEG" and img.mode in ("RGB", "L"):
            decoded = _decode_jpeg(path, img, info, draft_edge, keep_8bit)
            if decoded is not None:
                return decoded
        if draft_edge and img.format == "JPEG":
            scale = draft_edge / max(img.width, img.height)
            img.draft("RGB", (max(1, int(img.width * scale)), max(1, int(img.height * scale))))
        img.load()
        return _to_float_rgb(np.asarray(_icc_transform_8bit(img, info.icc)), keep_8bit=keep_8bit)
    except ImageLoadError:
        raise
    except (OSError, ValueError, SyntaxError) as error:
        text = str(error).lower()
        if "unrecognized data stream" in text:  # Pillow: the pixel data ends before the picture does
            problem = TRUNCATED
        elif "truncated" in text or "broken" in text:
            problem = "the file is truncated or damaged"
        else:
            problem = f"cannot be decoded ({error})"
        raise ImageLoadError(path, problem) from None


def _cv2():
    """OpenCV, imported when first needed: the command line starts decoding a JPEG (which needs
    only Pillow and simplejpeg) before OpenCV's 25 ms import, and imports it meanwhile."""
    import cv2

    return cv2


# --- camera RAW -------------------------------------------------------------------------------


def _rawpy():
    import rawpy  # local: only RAW files need LibRaw

    return rawpy


_LIBRAW_FLIP_TO_EXIF = {0: 1, 3: 3, 5: 8, 6: 6}


def _open_raw(path: Path, max_pixels: int):
    """LibRaw's handle on a RAW file and its PhotoInfo (with the camera's EXIF, raw_metadata).
    A DNG's impossible black and white levels are refused here (from its tags, without unpacking
    the data); LibRaw's own levels when developing (_develop_raw)."""
    rawpy = _rawpy()
    source: str | io.BytesIO
    try:
        str(path).encode("utf-8")
        source = str(path)
    except UnicodeEncodeError:  # rawpy encodes a path as UTF-8: a name that is not valid UTF-8 goes as bytes
        source = io.BytesIO(path.read_bytes())
    try:
        raw = rawpy.imread(source)
    except rawpy.LibRawFileUnsupportedError:
        raise ImageLoadError(path, "unsupported camera RAW (LibRaw cannot read this camera or file)") from None
    except (rawpy.LibRawIOError, rawpy.LibRawDataError):
        raise ImageLoadError(path, "the RAW file is truncated or damaged") from None
    except rawpy.LibRawError as error:
        raise ImageLoadError(path, f"cannot be read as camera RAW ({type(error).__name__})") from None
    from . import raw_metadata

    try:
        sizes = raw.sizes
        flip = _LIBRAW_FLIP_TO_EXIF.get(sizes.flip, 1)
        width, height = (sizes.height, sizes.width) if flip in (6, 8) else (sizes.width, sizes.height)
        _check_size(path, width, height, max_pixels)
        metadata = raw_metadata.read(path)
        if metadata.problem:
            raise ImageLoadError(path, metadata.problem)
    except BaseException:
        raw.close()
        raise
    info = PhotoInfo(
        path=path,
        format=f"RAW ({path.suffix.lstrip('.').upper()})",
        width=width,
        height=height,
        bit_depth=16,
        orientation=flip,
        exif=metadata.exif,
    )
    return raw, info


_camera_lock = threading.Lock()


def raw_camera(path: str | os.PathLike, identity: str = "") -> Camera | None:
    """The colour a RAW is developed with (``_camera``), read when first asked for: LibRaw gives its
    matrix only once the RAW is unpacked (a quarter of a second at 24 MP), which opening a photo
    avoids. ``identity``: what tells this version of the file from another (the document's); None
    when the file cannot be read now (white balance then adapts in Bradford's space)."""
    with _camera_lock:
        return _raw_camera(Path(path), identity)


@functools.lru_cache(maxsize=8)
def _raw_camera(path: Path, identity: str) -> Camera | None:
    try:
        raw, _ = _open_raw(path, DEFAULT_MAX_PIXELS)
    except (ImageLoadError, OSError):
        return None
    try:
        return _camera(raw)
    finally:
        raw.close()


def _camera(raw) -> Camera | None:
    """The matrix LibRaw develops with (white-balanced camera RGB -> linear sRGB; its rows sum to 1)
    and its output curve (BT.709, _develop_raw's default); None for a camera that is not RGB or a
    matrix that is not usable (white balance then adapts in Bradford's space, as for other photos)."""
    try:
        matrix = np.array(raw.color_matrix, dtype=np.float64)
    except Exception:  # noqa: BLE001 (LibRaw's errors: no matrix to use)
        return None
    if matrix.shape != (3, 4) or np.any(matrix[:, 3] != 0) or not np.all(np.isfinite(matrix)):
        return None
    matrix = matrix[:, :3]
    if np.abs(matrix.sum(axis=1) - 1).max() > 0.01 or abs(np.linalg.det(matrix)) < 1e-3:
        return None
    return Camera(tuple(float(v) for v in matrix.ravel()))


def _develop_raw(path: Path, raw, half_size: bool) -> np.ndarray:
    rawpy = _rawpy()
    try:
        black, white = max(raw.black_level_per_channel), raw.white_level  # these unpack the data
        if white <= black:  # LibRaw would develop a black picture without a word
            raise ImageLoadError(
                path,
                f"the RAW file's black level ({black}) is not below its white level ({white}); the file is damaged",
            )
        rgb = raw.postprocess(use_camera_wb=True, output_bps=16, half_size=half_size)
    except rawpy.LibRawError as error:
        raise ImageLoadError(path, f"the RAW data cannot be developed ({type(error).__name__})") from None
    return _to_float_rgb(rgb)


def _raw_embedded_preview(raw, info: PhotoInfo, max_edge: int) -> np.ndarray | None:
    """The camera's own JPEG preview, when it has one big enough to show."""
    rawpy = _rawpy()
    try:
        thumb = raw.extract_thumb()
    except (rawpy.LibRawNoThumbnailError, rawpy.LibRawUnsupportedThumbnailError, rawpy.LibRawError):
        return None
    if thumb.format == rawpy.ThumbFormat.JPEG:
        try:
            img = Image.open(io.BytesIO(thumb.data))
            img.draft("RGB", (max_edge, max_edge))
            array = np.asarray(img.convert("RGB"))
        except OSError:
            return None
    else:
        array = np.asarray(thumb.data)
    array = apply_orientation(array, info.orientation)
    if max(array.shape[:2]) < min(max_edge, max(info.width, info.height)) // 4:
        return None  # a tiny thumbnail is worse than waiting for the half-size develop
    return _to_float_rgb(array)


# --- public API -------------------------------------------------------------------------------


def downscaled_size(width: int, height: int, max_edge: int) -> tuple[int, int]:
    """(width, height) once the long edge is at most max_edge; never larger."""
    scale = max_edge / max(height, width)
    if scale >= 1.0:
        return width, height
    return max(1, round(width * scale)), max(1, round(height * scale))


def downscale(image: np.ndarray, max_edge: int) -> np.ndarray:
    """Resize so the long edge is at most max_edge (area averaging), never upscale."""
    h, w = image.shape[:2]
    size = downscaled_size(w, h, max_edge)
    if size == (w, h):
        return image
    cv2 = _cv2()
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def probe(path: str | os.PathLike, max_pixels: int = DEFAULT_MAX_PIXELS) -> PhotoInfo:
    """Read only the header: format, oriented size, bit depth, metadata."""
    path = Path(path)
    _check_readable(path, max_pixels)
    if is_raw_path(path):
        raw, info = _open_raw(path, max_pixels)
        raw.close()
        return info
    with _open_pillow(path, max_pixels) as img:
        return _info_from_pillow(path, img)


def load(
    path: str | os.PathLike,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    max_edge: int | None = None,
    fast: bool = False,
    embedded_ok: bool = True,
    keep_8bit: bool = False,
) -> tuple[PhotoInfo, np.ndarray]:
    """Decode to float32 RGB in [0, 1], oriented and in sRGB.

    max_edge: downscale so the long edge fits (for previews). fast: allow quicker, approximate
    decodes for a preview (JPEG at reduced scale; RAW as its embedded preview when embedded_ok,
    else a half-size develop). keep_8bit: an 8-bit photo comes back as uint8 RGB instead (the
    export path converts it strip by strip; 16-bit and RAW photos are float32 all the same).
    """
    path = Path(path)
    _check_readable(path, max_pixels)
    if is_raw_path(path):
        raw, info = _open_raw(path, max_pixels)
        try:
            image = None
            if fast and max_edge and embedded_ok:
                image = _raw_embedded_preview(raw, info, max_edge)
            if image is None:
                half = bool(fast and max_edge and max_edge <= max(info.width, info.height) / 2)
                image = _develop_raw(path, raw, half_size=half)
        finally:
            raw.close()
    else:
        with _open_pillow(path, max_pixels) as img:
            info = _info_from_pillow(path, img)
            image = _decode_pillow(path, img, info, max_edge if fast else None, keep_8bit and not max_edge)
        pillow_orients, opencv_orients = _tiff_decoders_orient() if info.format == "TIFF" else (False, False)
        if not (opencv_orients if info.bit_depth == 16 else pillow_orients):
            image = apply_orientation(image, info.orientation)
    if max_edge:
        image = downscale(image, max_edge)
    if image.dtype == np.uint8:
        return info, np.ascontiguousarray(image)
    return info, np.ascontiguousarray(image, dtype=np.float32)


def load_in_background(path: str | os.PathLike, max_pixels: int = DEFAULT_MAX_PIXELS, **options) -> Future:
    """``load`` in a thread of its own, started now: the decode lets go of the GIL, so whatever the
    caller does meanwhile (the command line imports the editor and reads the project) runs on
    another core. The Future holds (info, image) or load's exception."""
    future: Future = Future()

    def work() -> None:
        try:
            future.set_result(load(path, max_pixels, **options))
        except BaseException as error:  # noqa: BLE001 (handed to whoever asks for the result)
            future.set_exception(error)

    threading.Thread(target=work, name="iea-load", daemon=True).start()
    return future


def file_hash(path: str | os.PathLike) -> str:
    """sha256 of the file's bytes: projects use it to notice that the photo changed."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
