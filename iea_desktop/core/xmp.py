"""Lightroom / Camera Raw interchange: an XMP sidecar of ``crs:`` settings from an edit graph, and back.

``MAPPINGS`` is the one table of which tool goes to which Camera Raw setting, how close the two
are and the scale each way; docs/xmp.md's table is made from it (``mapping_markdown``). Tools
that have no Camera Raw equivalent are in ``UNMAPPED`` with the reason: writing returns the
nodes it could not write, reading returns a warning for every setting it did not read.

Facts about the format (Adobe's XMP specification and Camera Raw's ``crs`` schema, as exiftool and
darktable's Lightroom import read it): the settings are properties of an ``rdf:Description`` in
the namespace http://ns.adobe.com/camera-raw-settings/1.0/, written as attributes (or, by newer
Lightroom versions, as child elements); tone curves are an ``rdf:Seq`` of "x, y" points on 0..255.
The user's quarter turns and mirroring are ``tiff:Orientation`` (EXIF's 1-8). The crop is
``CropLeft/Top/Right/Bottom`` as fractions of the stored (not yet oriented) picture: the crop
frame's top-left and bottom-right corners, the frame tilted by ``CropAngle`` degrees about its
centre (a negative angle tilts the frame counter-clockwise, so the photo turns clockwise).

Parsing uses the standard library's expat with explicit checks: no DOCTYPE (so no entities,
internal or external), a size cap and a depth cap.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NoReturn
from xml.etree import ElementTree
from xml.parsers import expat
from xml.sax.saxutils import escape, quoteattr

import numpy as np

from . import files
from .graph import Node, Provenance, make_node
from .ops import REGISTRY
from .ops import crop as crop_op
from .ops import straighten as straighten_op
from .ops.base import CURVE_POINTS
from .ops.colour_mixer import BANDS
from .ops.tone_curve import CHANNELS, LINEAR
from .ops.white_balance import AS_SHOT

CRS = "http://ns.adobe.com/camera-raw-settings/1.0/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
TIFF = "http://ns.adobe.com/tiff/1.0/"
XMP_META = "adobe:ns:meta/"
CAMERA_RAW_VERSION = "15.4"  # crs:Version: the Camera Raw that wrote the settings
PROCESS_VERSION = "11.0"  # crs:ProcessVersion: Lightroom's "Version 5" process, which the *2012 tags belong to
MAX_BYTES = 32 << 20  # a sidecar with masks is a few MB; more is not an XMP sidecar
MAX_DEPTH = 64  # nesting; Lightroom's deepest (masks) is about 12
CURVE_MAX_POINTS = CURVE_POINTS[1]  # the most points a tone curve holds here


class XmpError(files.InputError):
    """A file that is not a readable XMP sidecar; ``str()`` is one line."""


@dataclass(frozen=True)
class Photo:
    """What the crop and orientation need: the photo's size as shown (after its EXIF orientation),
    the orientation (1-8), and whether it is a camera RAW (Lightroom keeps a RAW's white balance
    in kelvin, other files' as a shift)."""

    width: int
    height: int
    orientation: int = 1
    raw: bool = False
    as_shot: tuple[float, float] | None = None  # a RAW's camera white (kelvin, tint), see ``as_shot``

    @classmethod
    def of(cls, info) -> Photo:
        """From image_io.PhotoInfo (a RAW's as-shot white is read from its file)."""
        shot = as_shot(info.path) if info.is_raw else None
        return cls(info.width, info.height, info.orientation or 1, info.is_raw, shot)


def as_shot(path: str | Path) -> tuple[float, float] | None:
    """A RAW's as-shot white as (kelvin, tint): the light its camera multipliers neutralise. LibRaw's
    develop matrix takes camera RGB scaled by its daylight multipliers to linear sRGB, so that light
    is rgb_cam · (daylight / as-shot multipliers) in sRGB. None when the file does not say."""
    from . import colour_science, image_io

    try:
        raw, _ = image_io._open_raw(Path(path), image_io.DEFAULT_MAX_PIXELS)
    except (image_io.ImageLoadError, OSError):
        return None
    try:
        shot = np.array(raw.camera_whitebalance[:3], dtype=np.float64)
        daylight = np.array(raw.daylight_whitebalance[:3], dtype=np.float64)
        rgb_cam = np.array(raw.color_matrix, dtype=np.float64)[:, :3]
    except Exception:  # noqa: BLE001 (LibRaw's errors: a camera that does not say)
        return None
    finally:
        raw.close()
    multipliers = np.concatenate([shot, daylight])
    if not np.all(np.isfinite(multipliers)) or np.any(multipliers <= 0) or not np.all(np.isfinite(rgb_cam)):
        return None
    xyz = colour_science.RGB_TO_XYZ @ rgb_cam @ (daylight / shot)
    if np.any(xyz <= 0):
        return None
    return colour_science.xy_to_kelvin_tint(*colour_science.xyz_to_xy(xyz))


# --- the mapping table ------------------------------------------------------------------------


@dataclass(frozen=True)
class Mapping:
    """One tool parameter and its Camera Raw setting. ``write``: our value -> the setting's,
    ``read``: back (None for the settings written by dedicated code: curves and geometry)."""

    op: str
    param: str
    tag: str
    closeness: str  # "exact" or "approximate"
    note: str
    write: Callable[[float], float] | None = None
    read: Callable[[float], float] | None = None
    limits: tuple[float, float] = (-100, 100)  # the setting's range in Camera Raw
    digits: int = 0  # decimals Lightroom writes
    only_rendered: bool = False  # Lightroom uses the setting for JPEG/TIFF/PNG files, not RAW ones


def _same(v: float) -> float:
    return v


def _negated(v: float) -> float:
    return -v


EXPOSURE_STOPS = 2.2  # our +100 doubles sRGB-encoded values, about 2.2 stops in linear light (gamma 2.2)
SHARPNESS_SCALE = 1.5  # our 0..100 unsharp amount onto Camera Raw's 0..150

_SCALAR = [
    Mapping(
        "exposure",
        "value",
        "Exposure2012",
        "approximate",
        "ours multiplies the sRGB-encoded values by 2^(v/100), which is about 2.2 v/100 stops in linear "
        "light: Exposure2012 = 2.2 v/100 (so ours reaches +-2.2 of Lightroom's +-5 stops); Lightroom "
        "also rolls off the highlights",
        lambda v: EXPOSURE_STOPS * v / 100,
        lambda s: 100 * s / EXPOSURE_STOPS,
        limits=(-5, 5),
        digits=2,
    ),
    Mapping("contrast", "value", "Contrast2012", "approximate", "same range; ours is a straight line about middle "
            "grey (version 1 jumps at 0), Lightroom's an S-curve", _same, _same),
    Mapping("highlights", "value", "Highlights2012", "approximate", "same range and direction; ours is one tone "
            "curve for the whole photo, Lightroom's adapts to the neighbourhood", _same, _same),
    Mapping("shadows", "value", "Shadows2012", "approximate", "same range and direction; ours is one tone curve, "
            "Lightroom's adapts to the neighbourhood", _same, _same),
    Mapping("whites", "value", "Whites2012", "approximate", "same range and direction; ours scales the tones, "
            "Lightroom moves the white point", _same, _same),
    Mapping("blacks", "value", "Blacks2012", "approximate", "same range and direction; ours moves the black "
            "point linearly", _same, _same),
    Mapping("clarity", "value", "Clarity2012", "approximate", "same range and direction; both are mid-tone local "
            "contrast at a middle scale", _same, _same),
    Mapping("texture", "value", "Texture", "approximate", "same range and direction; both act on fine detail",
            _same, _same),
    Mapping("dehaze", "value", "Dehaze", "approximate", "same range and direction; ours is the dark-channel "
            "haze model", _same, _same),
    Mapping("vibrance", "value", "Vibrance", "approximate", "same range and direction (version 1, the IEA "
            "reference, does nothing above 0)", _same, _same),
    Mapping("saturation", "value", "Saturation", "approximate", "same range and direction; -100 is black and "
            "white in both; ours scales HSV saturation", _same, _same),
    Mapping("saturation", "value", "ConvertToGrayscale", "approximate", "read only: True reads as saturation -100 "
            "(Lightroom's black-and-white mix, GrayMixer*, is not read)"),
    Mapping("temperature", "value", "IncrementalTemperature", "approximate", "same range and direction (+ warmer); "
            "ours offsets the channels, Lightroom changes the white balance; Lightroom reads it for JPEG, TIFF "
            "and PNG files only (a RAW's is in kelvin)", _same, _same, only_rendered=True),
    Mapping("tint", "value", "IncrementalTint", "approximate", "opposite direction: our + is greener, "
            "Lightroom's + more magenta; JPEG, TIFF and PNG files only", _negated, _negated, only_rendered=True),
    Mapping("sharpness", "value", "Sharpness", "approximate", "0..100 onto Lightroom's 0..150 (x 1.5); the "
            "blur (values below 0) has no equivalent and is not written", lambda v: SHARPNESS_SCALE * v,
            lambda s: s / SHARPNESS_SCALE, limits=(0, 150)),
    Mapping("noise_reduction", "luminance", "LuminanceSmoothing", "approximate", "same range 0..100", _same, _same,
            limits=(0, 100)),
    Mapping("noise_reduction", "color", "ColorNoiseReduction", "approximate", "same range 0..100", _same, _same,
            limits=(0, 100)),
    Mapping("vignette", "value", "PostCropVignetteAmount", "approximate", "opposite direction: our + darkens the "
            "corners, Lightroom's -; both act after the crop", _negated, _negated),
    Mapping("grain", "value", "GrainAmount", "approximate", "0..100 (values below 0 do nothing in either); "
            "Lightroom's grain size and roughness stay at their defaults", _same, _same, limits=(0, 100)),
]  # fmt: skip

_MIXER = [
    Mapping(
        "colour_mixer",
        f"{band}_{prop}",
        f"{tag}Adjustment{band.capitalize()}",
        "approximate",
        "same bands, range and direction; ours works on HSV hue, saturation and value",
        _same,
        _same,
    )
    for prop, tag in (("hue", "Hue"), ("saturation", "Saturation"), ("luminance", "Luminance"))
    for band, _centre in BANDS
]

_CURVE_TAGS = {"rgb": "ToneCurvePV2012", "red": "ToneCurvePV2012Red", "green": "ToneCurvePV2012Green",
               "blue": "ToneCurvePV2012Blue"}  # fmt: skip
_CURVES = [
    Mapping(
        "tone_curve",
        channel,
        _CURVE_TAGS[channel],
        "approximate",
        "the same points (rounded to whole levels, at most 16 read); between them Lightroom draws a cubic "
        "spline, ours a monotone one that never overshoots",
    )
    for channel in CHANNELS
]

_GEOMETRY = [
    Mapping("rotate", "turns", "tiff:Orientation", "exact", "quarter turns and mirroring together are one EXIF "
            "orientation (1-8)"),
    Mapping("flip", "horizontal, vertical", "tiff:Orientation", "exact", "with rotate, as above"),
    Mapping("straighten", "angle", "CropAngle", "exact", "CropAngle = -angle; Lightroom keeps the crop frame, "
            "ours crops to the largest frame of the photo's shape (written as that crop)"),
    Mapping("crop", "left, top, right, bottom", "CropLeft, CropTop, CropRight, CropBottom, HasCrop", "exact",
            "to the pixel; the aspect lock is not kept (Lightroom stores the frame, not the ratio). Read: a "
            "Lightroom crop reaching past what our straighten keeps is cut to it, with a warning"),
]  # fmt: skip

# Tools that are one curve, the same on every channel, with no slider of their own in Camera Raw:
# written as points of the point curve (their own pixel function sampled on a grey ramp, composed
# in pipeline order with the tone curve's RGB curve).
FOLDED = ("brightness", "fade", "natural_contrast")
_FOLDED = [
    Mapping(op, "value", "ToneCurvePV2012", "approximate", f"no {why} in Camera Raw: written as 16 points of the "
            "point curve sampled from ours (composed with the tone curve's RGB curve, if any; its red, green and blue "
            "curves then act before it rather than after); read back as a tone curve")
    for op, why in (("brightness", "brightness slider since its 2012 process"), ("fade", "fade slider"),
                    ("natural_contrast", "second contrast slider"))
]  # fmt: skip

_WHITE_BALANCE = [
    Mapping("white_balance", param, tag, "approximate", "RAW files only (Lightroom has no kelvin for other files: "
            "not written): ours is relative to the camera's white (6500 K, +10), Lightroom's absolute, so the shift "
            "from the as-shot white is kept, in mired and in tint; the as-shot kelvin is worked out from LibRaw's "
            "colour matrix, Lightroom's from Adobe's profiles", limits=limits)
    for param, tag, limits in (("temperature", "Temperature", (2000, 50000)), ("tint", "Tint", (-150, 150)))
]  # fmt: skip

MAPPINGS: tuple[Mapping, ...] = (*_GEOMETRY, *_SCALAR, *_WHITE_BALANCE, *_CURVES, *_FOLDED, *_MIXER)

UNMAPPED: dict[str, str] = {}  # every tool has a setting now; kept for the next tool that has none

# Camera Raw settings that say nothing about the look, or that are at their neutral value when
# they equal these; others that are not read get a warning.
BOOKKEEPING = frozenset(
    "Version ProcessVersion HasSettings HasCrop AlreadyApplied RawFileName CameraProfile CameraProfileDigest "
    "ToneCurveName ToneCurveName2012 WhiteBalance CropConstrainToWarp CropUnit CropWidth CropHeight "
    "SupportsAmount SupportsAmount2 SupportsColor SupportsMonochrome SupportsHighDynamicRange "
    "SupportsNormalDynamicRange SupportsSceneReferred SupportsOutputReferred OverrideLookVignette "
    "LensProfileSetup LensProfileName LensProfileFilename LensProfileDigest LensProfileIsEmbedded "
    "LensManualDistortionAmount Presence Look JPEGHandling CompatibleVersion".split()
)
NEUTRAL = {
    "SharpenRadius": 1.0, "SharpenDetail": 25, "SharpenEdgeMasking": 0, "LuminanceNoiseReductionDetail": 50,
    "LuminanceNoiseReductionContrast": 0, "ColorNoiseReductionDetail": 50, "ColorNoiseReductionSmoothness": 50,
    "PostCropVignetteMidpoint": 50, "PostCropVignetteFeather": 50, "PostCropVignetteRoundness": 0,
    "PostCropVignetteStyle": 1, "PostCropVignetteHighlightContrast": 0, "GrainSize": 25, "GrainFrequency": 50,
    "ParametricShadowSplit": 25, "ParametricMidtoneSplit": 50, "ParametricHighlightSplit": 75,
    "ColorGradeBlending": 50, "SplitToningBalance": 0,
    "Brightness": 50, "Contrast": 25, "PerspectiveScale": 100,
    "AutoLateralCA": 0, "LensProfileEnable": 0, "EnableColorAdjustments": None,
    "EnableDetail": None, "EnableVignettes": None, "EnableGrayscaleMix": None, "EnableSplitToning": None,
    "EnableEffects": None, "EnableLensCorrections": None, "EnableCalibration": None, "EnableRetouch": None,
    "EnableRedEye": None, "EnableCircularGradientBasedCorrections": None, "EnableGradientBasedCorrections": None,
    "EnablePaintBasedCorrections": None, "EnableMaskGroupBasedCorrections": None, "EnableToneCurve": None,
    "EnableTransform": None,
}  # fmt: skip  # None: any value is neutral (the panels' on/off switches)


def _mapping_for(op: str) -> list[Mapping]:
    return [m for m in MAPPINGS if m.op == op]


def mapping_markdown() -> str:
    """The table in docs/xmp.md, made from MAPPINGS and UNMAPPED (tests/core/test_xmp.py checks it)."""
    lines = [
        "| tool | parameter | Camera Raw setting (`crs:`) | how close | notes |",
        "| --- | --- | --- | --- | --- |",
    ]
    for m in MAPPINGS:
        tag = ", ".join(f"`{t.strip()}`" for t in m.tag.split(","))
        lines.append(f"| {m.op} | {m.param} | {tag} | {m.closeness} | {m.note} |")
    for op, why in UNMAPPED.items():
        lines.append(f"| {op} | | | no equivalent | {why} |")
    return "\n".join(lines) + "\n"


# --- geometry: EXIF orientations and crop frames ----------------------------------------------


def _quarter(width: float, height: float, turns: int, mirror: bool) -> np.ndarray:
    """The 3x3 map from the coordinates after ``turns`` quarter turns clockwise then a left-right
    mirror (if ``mirror``) of a width x height picture back to its coordinates before them."""
    m = np.eye(3)
    w, h = width, height
    for _ in range(turns % 4):  # each turn: new (u, v) is old (v, h - u); the picture becomes h x w
        m = m @ np.array([[0.0, 1.0, 0.0], [-1.0, 0.0, h], [0.0, 0.0, 1.0]])
        w, h = h, w
    if mirror:
        m = m @ np.array([[-1.0, 0.0, w], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    return m


# EXIF orientation -> (quarter turns clockwise, then mirrored left-right) from stored to shown.
ORIENTATIONS = {1: (0, False), 2: (0, True), 3: (2, False), 4: (2, True), 5: (1, True), 6: (1, False),
                7: (3, True), 8: (3, False)}  # fmt: skip


@dataclass(frozen=True)
class Frame:
    """What ends up on screen, in some picture's coordinates: the top-left corner and the unit
    vectors along the shown picture's rows (``x``) and columns (``y``), and its size."""

    origin: np.ndarray
    x: np.ndarray
    y: np.ndarray
    width: float
    height: float

    def corners(self) -> list[np.ndarray]:
        w, h = self.x * self.width, self.y * self.height
        return [self.origin, self.origin + w, self.origin + h, self.origin + w + h]

    def mapped(self, m: np.ndarray) -> Frame:
        """The frame in other coordinates; ``m``: 3x3 map from these to those (a rigid motion)."""
        tl, tr, bl = (m @ np.append(p, 1.0) for p in self.corners()[:3])
        x, y = tr[:2] - tl[:2], bl[:2] - tl[:2]
        return Frame(tl[:2], x / np.linalg.norm(x), y / np.linalg.norm(y), float(np.linalg.norm(x)),
                     float(np.linalg.norm(y)))  # fmt: skip

    def upright(self, tilt_first: bool) -> tuple[int, bool, float]:
        """Split the frame into quarter turns and a mirror, and a tilt of at most 45 degrees: the
        turns and tilt, and the angle of the tilted frame's rows (degrees; - when they lean
        counter-clockwise on screen, y pointing down). ``tilt_first``: the tilt is applied to the
        picture before it is turned (Camera Raw's crop, then orientation), else after (our
        rotate and flip, then straighten)."""
        best = None
        for turns, mirror in ORIENTATIONS.values():
            linear = _quarter(1, 1, turns, mirror)[:2, :2]
            shown = np.column_stack([self.x, self.y])
            axes = shown @ linear.T if tilt_first else linear.T @ shown  # the tilted frame's axes
            if np.linalg.det(axes) > 0 and (best is None or axes[0, 0] > best[0]):
                best = (axes[0, 0], turns, mirror, math.degrees(math.atan2(axes[1, 0], axes[0, 0])))
        assert best is not None  # one of the eight always leaves a tilt of at most 45 degrees
        return best[1], best[2], best[3]


def _rotation(degrees: float) -> np.ndarray:
    """3x3: rotates a vector counter-clockwise on screen (y down) by ``degrees``."""
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])


def _about(centre_new: tuple[float, float], centre_old: tuple[float, float], degrees: float) -> np.ndarray:
    """3x3 from new coordinates to old ones, the old picture turned clockwise by ``degrees`` about its
    centre into a new one of another size (straighten's geometry)."""
    shift_new = np.array([[1.0, 0, -centre_new[0]], [0, 1.0, -centre_new[1]], [0, 0, 1.0]])
    shift_old = np.array([[1.0, 0, centre_old[0]], [0, 1.0, centre_old[1]], [0, 0, 1.0]])
    return shift_old @ _rotation(degrees) @ shift_new


def _shown_frame(nodes: Iterable[Node], photo: Photo) -> tuple[Frame, list[Node]]:
    """The frame our geometry nodes show, in the stored picture's coordinates, and the nodes used."""
    stored_size = _stored_size(photo)
    m = _quarter(*stored_size, *ORIENTATIONS.get(photo.orientation, (0, False)))  # shown photo -> stored
    w, h = float(photo.width), float(photo.height)
    used = []
    for node in nodes:
        p = node.params
        if node.op == "rotate":
            step, size = _quarter(w, h, p["turns"], False), ((h, w) if p["turns"] % 2 else (w, h))
        elif node.op == "flip":
            step = _quarter(w, h, 2 if p["vertical"] else 0, p["horizontal"] != p["vertical"])
            size = (w, h)
        elif node.op == "straighten":
            new_w, new_h = straighten_op.size(p, int(round(w)), int(round(h)))
            size = (float(new_w), float(new_h))
            step = _about((size[0] / 2, size[1] / 2), (w / 2, h / 2), p["angle"])
        elif node.op == "crop":
            x0, y0, x1, y1 = crop_op.box(p, int(round(w)), int(round(h)))
            step, size = np.array([[1.0, 0, x0], [0, 1.0, y0], [0, 0, 1.0]]), (float(x1 - x0), float(y1 - y0))
        else:
            continue
        m, (w, h) = m @ step, size
        used.append(node)
    return Frame(np.zeros(2), np.array([1.0, 0.0]), np.array([0.0, 1.0]), w, h).mapped(m), used


def _stored_size(photo: Photo) -> tuple[int, int]:
    return (photo.height, photo.width) if photo.orientation in (5, 6, 7, 8) else (photo.width, photo.height)


def _crop_settings(frame: Frame, photo: Photo) -> dict[str, str]:
    """tiff:Orientation and the crs crop of a frame given in the stored picture's coordinates."""
    turns, mirror, angle = frame.upright(tilt_first=True)
    stored_w, stored_h = _stored_size(photo)
    linear = _quarter(1, 1, turns, mirror)[:2, :2]
    axes = np.column_stack([frame.x, frame.y]) @ linear.T  # the crop frame's rows and columns, untilted
    size = np.abs(linear @ np.array([frame.width, frame.height]))
    centre = frame.origin + (frame.x * frame.width + frame.y * frame.height) / 2
    tl, br = centre - axes @ (size / 2), centre + axes @ (size / 2)
    code = next(c for c, tm in ORIENTATIONS.items() if tm == (turns, mirror))
    settings = {"tiff:Orientation": str(code)}
    whole = abs(angle) < 1e-6 and np.allclose([*tl, *br], [0, 0, stored_w, stored_h], atol=1e-3)
    if not whole:
        settings.update(
            CropLeft=f"{tl[0] / stored_w:.6f}",
            CropTop=f"{tl[1] / stored_h:.6f}",
            CropRight=f"{br[0] / stored_w:.6f}",
            CropBottom=f"{br[1] / stored_h:.6f}",
            CropAngle=_number(angle, 4),
        )
    settings["HasCrop"] = "False" if whole else "True"
    return settings


def _crop_frame(crop: tuple[float, float, float, float, float], code: int, photo: Photo) -> Frame:
    """The frame Camera Raw shows for a crop (left, top, right, bottom, angle) and an orientation,
    in the stored picture's coordinates."""
    stored_w, stored_h = _stored_size(photo)
    left, top, right, bottom, degrees = crop
    angle = math.radians(degrees)
    ux, uy = np.array([math.cos(angle), math.sin(angle)]), np.array([-math.sin(angle), math.cos(angle)])
    centre = np.array([(left + right) / 2 * stored_w, (top + bottom) / 2 * stored_h])
    corner = np.array([left * stored_w, top * stored_h]) - centre
    box = np.array([-2 * corner @ ux, -2 * corner @ uy])
    linear = _quarter(1, 1, *ORIENTATIONS[code])[:2, :2]
    shown = np.column_stack([ux, uy]) @ linear
    width, height = np.abs(linear.T @ box)
    origin = centre - (shown[:, 0] * width + shown[:, 1] * height) / 2
    return Frame(origin, shown[:, 0], shown[:, 1], float(width), float(height))


def _geometry_nodes(frame: Frame, photo: Photo) -> tuple[list[Node], list[str]]:
    """Our rotate, flip, straighten and crop nodes that show ``frame`` (given in the shown photo's
    coordinates), and a warning when the crop had to be cut to what straighten keeps."""
    turns, mirror, angle = frame.upright(tilt_first=False)
    nodes = []
    if turns:
        nodes.append(make_node("rotate", {"turns": turns}))
    if mirror:
        nodes.append(make_node("flip", {"horizontal": True}))
    width, height = (photo.height, photo.width) if turns % 2 else (photo.width, photo.height)
    frame = frame.mapped(np.linalg.inv(_quarter(photo.width, photo.height, turns, mirror)))
    tilt = round(-angle, 4)
    if tilt:
        nodes.append(make_node("straighten", {"angle": tilt}))
        new_w, new_h = straighten_op.size({"angle": tilt}, width, height)
        frame = frame.mapped(np.linalg.inv(_about((new_w / 2, new_h / 2), (width / 2, height / 2), tilt)))
        width, height = new_w, new_h
    edges = np.array([frame.origin[0], frame.origin[1], frame.origin[0] + frame.width, frame.origin[1] + frame.height])
    size = np.array([width, height, width, height], dtype=float)
    kept = np.clip(edges, 0, size)
    warnings = []
    if np.max(np.abs(kept - edges)) > 0.5:
        warnings.append(
            "the crop reaches past the part of the photo that straighten keeps (it crops the corners the tilt "
            "leaves blank); it was cut to fit"
        )
    if not np.allclose(kept, [0, 0, width, height], atol=0.5):
        fractions = dict(zip(("left", "top", "right", "bottom"), (float(v) for v in kept / size)))
        nodes.append(make_node("crop", fractions))
    return nodes, warnings


# --- writing ----------------------------------------------------------------------------------


def _number(value: float, digits: int = 0, signed: bool = True) -> str:
    """A value as Lightroom writes it: '+0.50', '-12', '0', '25' (unsigned settings)."""
    value = round(value, digits) + 0.0  # no '-0'
    text = f"{value:.{digits}f}" if digits else str(int(value))
    return f"+{text}" if signed and value > 0 else text


@dataclass
class Sidecar:
    """What was written: the crs settings (tiff:Orientation with its prefix), the tone curves'
    points, and the nodes that were not written (or not wholly), with why."""

    settings: dict[str, str] = field(default_factory=dict)
    curves: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    skipped: list[tuple[Node, str]] = field(default_factory=list)

    def xml(self) -> bytes:
        """The sidecar as Lightroom lays it out: one rdf:Description, settings as attributes."""
        attrs = [("crs:Version", CAMERA_RAW_VERSION), ("crs:ProcessVersion", PROCESS_VERSION)]
        attrs += [(k if ":" in k else f"crs:{k}", v) for k, v in self.settings.items()]
        attrs += [("crs:HasSettings", "True"), ("crs:AlreadyApplied", "False")]
        lines = [
            f'<x:xmpmeta xmlns:x="{XMP_META}" x:xmptk="IEA Desktop">',
            f' <rdf:RDF xmlns:rdf="{RDF}">',
            '  <rdf:Description rdf:about=""',
            f'    xmlns:tiff="{TIFF}"',
            f'    xmlns:crs="{CRS}"',
        ]
        lines += [f"   {name}={quoteattr(value)}" for name, value in attrs]
        lines[-1] += ">"
        for tag, points in self.curves.items():
            lines += [f"   <crs:{tag}>", "    <rdf:Seq>"]
            lines += [f"     <rdf:li>{escape(f'{x}, {y}')}</rdf:li>" for x, y in points]
            lines += ["    </rdf:Seq>", f"   </crs:{tag}>"]
        lines += ["  </rdf:Description>", " </rdf:RDF>", "</x:xmpmeta>", ""]
        return "\n".join(lines).encode("utf-8")


def _curve_points(points, opacity: float) -> list[tuple[int, int]]:
    """A curve's points on whole levels (Lightroom's), blended towards the diagonal by the opacity."""
    out: list[tuple[int, int]] = []
    for x, y in points:
        px, py = int(round(x)), int(round(x + opacity * (y - x)))
        if not out or px > out[-1][0]:
            out.append((px, min(max(py, 0), 255)))
    return out


MIRED = 1e6  # mired = 1e6 / kelvin: equal steps look about equally far apart


def to_lightroom_kelvin(kelvin: float, tint: float, shot: tuple[float, float]) -> tuple[float, float]:
    """Our white balance (relative: AS_SHOT is the camera's white) as Lightroom's absolute kelvin and
    tint for a RAW whose camera white is ``shot``: the same shift from it, in mired and in tint."""
    mired = MIRED / shot[0] + MIRED / kelvin - MIRED / AS_SHOT[0]
    return MIRED / max(mired, MIRED / 50000), shot[1] + tint - AS_SHOT[1]


def from_lightroom_kelvin(kelvin: float, tint: float, shot: tuple[float, float]) -> tuple[float, float]:
    """``to_lightroom_kelvin`` the other way."""
    mired = MIRED / AS_SHOT[0] + MIRED / kelvin - MIRED / shot[0]
    return MIRED / max(mired, MIRED / 50000), AS_SHOT[1] + tint - shot[1]


def _white_balance_settings(node: Node, photo: Photo, settings: dict[str, str]) -> str:
    """Lightroom's Temperature and Tint for a white balance node, into ``settings``; or why not."""
    if not photo.raw:
        return "Lightroom has no kelvin white balance for JPEG, TIFF and PNG files"
    if photo.as_shot is None:
        return "the RAW's as-shot white could not be read, and Lightroom's kelvin is absolute"
    if "Temperature" in settings:
        return "Camera Raw has one white balance; the first one was written"
    p, opacity = node.params, node.opacity  # opacity: part of the way from the as-shot white, in mired
    kelvin = MIRED / (MIRED / AS_SHOT[0] + opacity * (MIRED / p["temperature"] - MIRED / AS_SHOT[0]))
    kelvin, tint = to_lightroom_kelvin(kelvin, AS_SHOT[1] + opacity * (p["tint"] - AS_SHOT[1]), photo.as_shot)
    settings.update(WhiteBalance="Custom", Temperature=_number(min(max(kelvin, 2000), 50000), signed=False),
                    Tint=_number(min(max(tint, -150), 150)))  # fmt: skip
    return ""


def _point_curves(nodes: list[Node]) -> dict[str, list[tuple[int, int]]]:
    """Camera Raw's point curves for a tone curve node and the FOLDED tools' nodes: the tone curve's
    points as they are when it is alone, else the RGB curve sampled at 16 levels from the nodes'
    own pixel functions (opacity included), composed in order."""
    from .apply_node import apply_node

    tone = next((n for n in nodes if n.op == "tone_curve"), None)
    out = {}
    if tone is not None:
        for m in _CURVES:
            if tone.params[m.param] != LINEAR:
                out[m.tag] = _curve_points(tone.params[m.param], tone.opacity)
    if any(n.op in FOLDED for n in nodes):
        levels = np.arange(0, 256, 17)  # 16 points, the most a tone curve holds here
        grey = np.repeat((levels / 255.0).astype(np.float32)[None, :, None], 3, axis=2)
        for node in nodes:
            if node.op == "tone_curve":  # its RGB curve only; the channels' curves are written as they are
                node = replace(node, params=node.spec.validate({"rgb": node.params["rgb"]}))
            grey = apply_node(grey, node, 1.0)
        values = np.clip(np.rint(grey[0, :, 1] * 255.0), 0, 255).astype(int)
        out[_CURVE_TAGS["rgb"]] = [(int(x), int(y)) for x, y in zip(levels, values)]
    return out


def settings_for(nodes: Iterable[Node], photo: Photo) -> Sidecar:
    """The Camera Raw settings for the nodes that have an effect (enabled, opacity above 0, not at
    their defaults). A node's opacity scales its values (an approximation). Several nodes of one
    tool add up; a second tone curve is not written (Camera Raw has one)."""
    from .graph import EditGraph

    active = EditGraph(list(nodes)).active_nodes()
    out = Sidecar()
    totals: dict[str, float] = {}
    sources: dict[str, list[Node]] = {}
    geometry = [n for n in active if n.spec.stage == "geometry" and n.mask is None]
    curves: list[Node] = []  # the first tone curve and the folded tools, in pipeline order
    for node in active:
        if node.mask is not None:
            out.skipped.append((node, "a local adjustment (it has a mask); Camera Raw's masks are not written"))
        elif node.op in UNMAPPED:
            out.skipped.append((node, f"no Camera Raw equivalent: {UNMAPPED[node.op]}"))
        elif node.op == "tone_curve" and any(n.op == "tone_curve" for n in curves):
            out.skipped.append((node, "Camera Raw has one tone curve; the first one was written"))
        elif node.op == "tone_curve" or node.op in FOLDED:
            curves.append(node)
        elif node.op == "white_balance":
            problem = _white_balance_settings(node, photo, out.settings)
            if problem:
                out.skipped.append((node, problem))
        elif node.spec.stage != "geometry":
            for m in _mapping_for(node.op):
                if m.write is None:  # read only
                    continue
                if m.only_rendered and photo.raw:
                    out.skipped.append((node, f"{m.tag}: {m.note}"))
                    break
                value = m.write(node.params[m.param] * node.opacity)
                if value:
                    totals[m.tag] = totals.get(m.tag, 0.0) + value
                    sources.setdefault(m.tag, []).append(node)
    out.curves = _point_curves(curves)
    if out.curves:
        out.settings["ToneCurveName2012"] = "Custom"
    if any(tag in totals for tag in ("IncrementalTemperature", "IncrementalTint")):
        out.settings["WhiteBalance"] = "Custom"
    for m in MAPPINGS:
        if m.tag not in totals:
            continue
        lo, hi = m.limits
        value = min(max(totals[m.tag], lo), hi)
        if abs(value - totals[m.tag]) > 0.5 * 10**-m.digits:
            for node in sources[m.tag]:
                out.skipped.append(
                    (node, f"{m.tag} goes from {lo:g} to {hi:g} in Camera Raw; {_number(totals[m.tag], m.digits)} "
                     f"was written as {_number(value, m.digits)}")
                )  # fmt: skip
        if round(value, m.digits):
            out.settings[m.tag] = _number(value, m.digits, signed=lo < 0)
    if geometry:
        frame, _ = _shown_frame(geometry, photo)
        out.settings.update(_crop_settings(frame, photo))
    return out


def write_sidecar(path: str | Path, nodes: Iterable[Node], photo: Photo, source: str | Path | None = None) -> Sidecar:
    """Write the XMP sidecar atomically (never onto ``source``, the photo); returns what was written
    and what was not. Raises files.WriteError, export.ExportError (the photo itself)."""
    from .export import check_target

    check_target(Path(path), Path(source) if source is not None else None)
    sidecar = settings_for(nodes, photo)
    files.atomic_write(path, sidecar.xml())
    return sidecar


# --- reading ----------------------------------------------------------------------------------


def _qname(name: str) -> str:
    """expat's 'uri}local' (namespace_separator '}') as ElementTree's '{uri}local'."""
    return "{" + name if "}" in name else name


def parse(data: bytes, what: str = "XMP") -> ElementTree.Element:
    """The XML tree of a sidecar, refusing what a sidecar never holds: a DOCTYPE (and with it every
    entity, so no entity expansion and nothing fetched), more than MAX_BYTES, deeper than MAX_DEPTH."""
    if len(data) > MAX_BYTES:
        raise XmpError(what, f"more than {MAX_BYTES >> 20} MB; not an XMP sidecar")
    builder = ElementTree.TreeBuilder()
    parser = expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    depth = 0

    def refuse(*_args) -> NoReturn:
        raise XmpError(what, "the file declares a DOCTYPE or entities, which an XMP sidecar never does; refused")

    def start(name: str, attrs: dict) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_DEPTH:
            raise XmpError(what, f"elements nested more than {MAX_DEPTH} deep; not an XMP sidecar")
        builder.start(_qname(name), {_qname(k): v for k, v in attrs.items()})

    def end(name: str) -> None:
        nonlocal depth
        depth -= 1
        builder.end(_qname(name))

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(data, True)
    except expat.ExpatError as error:
        raise XmpError(
            what, f"not a readable XMP file ({expat.ErrorString(error.code)}, line {error.lineno})"
        ) from None
    return builder.close()


@dataclass
class _Found:
    """The crs settings of a sidecar: plain values, lists (rdf:Seq/Bag/Alt items), and the names of
    structures (masks, looks), plus tiff:Orientation."""

    values: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)
    structures: list[str] = field(default_factory=list)
    orientation: str | None = None


def _settings(root: ElementTree.Element, what: str) -> _Found:
    rdf = root if root.tag == f"{{{RDF}}}RDF" else root.find(f"{{{RDF}}}RDF")
    if rdf is None:
        raise XmpError(what, "not an XMP sidecar (no rdf:RDF element)")
    found = _Found()
    for description in rdf.findall(f"{{{RDF}}}Description"):
        for key, value in description.attrib.items():
            if key.startswith(f"{{{CRS}}}"):
                found.values[key[len(CRS) + 2 :]] = value.strip()
            elif key == f"{{{TIFF}}}Orientation":
                found.orientation = value.strip()
        for child in description:
            if child.tag == f"{{{TIFF}}}Orientation":
                found.orientation = (child.text or "").strip()
            if not child.tag.startswith(f"{{{CRS}}}"):
                continue
            name = child.tag[len(CRS) + 2 :]
            container = child.find("*")
            if container is None:
                found.values[name] = (child.text or "").strip()
            elif container.tag in (f"{{{RDF}}}Seq", f"{{{RDF}}}Bag", f"{{{RDF}}}Alt") and not any(
                len(li) for li in container
            ):
                found.lists[name] = [(li.text or "").strip() for li in container]
            else:
                found.structures.append(name)
    return found


class _Reader:
    """Turns found settings into nodes, with a warning for everything not read."""

    def __init__(self, found: _Found, photo: Photo):
        self.found, self.photo = found, photo
        self.used: set[str] = set()
        self.warnings: list[str] = []

    def number(self, name: str, default: float | None = None) -> float | None:
        self.used.add(name)
        text = self.found.values.get(name)
        if text is None:
            return default
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            self.warnings.append(f"crs:{name} = {text!r} is not a number; not read")
            return default
        return value

    def scalars(self) -> list[Node]:
        nodes = []
        for op in dict.fromkeys(m.op for m in (*_SCALAR, *_MIXER)):
            params = {}
            for m in _mapping_for(op):
                if m.tag not in self.found.values or m.read is None:
                    continue
                if m.only_rendered and self.photo.raw:
                    self.used.add(m.tag)
                    self.warnings.append(f"crs:{m.tag} not read: Camera Raw uses it for JPEG, TIFF and PNG files only")
                    continue
                value = self.number(m.tag)
                if value is None:
                    continue
                wanted = m.read(value)
                param = REGISTRY[op].param(m.param)
                params[m.param] = param.coerce(wanted, op)
                if abs(params[m.param] - wanted) > 0.5 + 1e-9:
                    self.warnings.append(
                        f"crs:{m.tag} {self.found.values[m.tag]} is past what {op} reaches here; "
                        f"read as {op} {params[m.param]:+g}"
                    )
            if params and not REGISTRY[op].is_identity(params):
                nodes.append(make_node(op, params))
        return nodes

    def grayscale(self, nodes: list[Node]) -> list[Node]:
        """crs:ConvertToGrayscale="True" as saturation -100, in place of any other saturation."""
        self.used.add("ConvertToGrayscale")
        if self.found.values.get("ConvertToGrayscale", "").lower() != "true":
            return nodes
        return [n for n in nodes if n.op != "saturation"] + [make_node("saturation", {"value": -100})]

    def curve(self) -> list[Node]:
        params = {}
        for m in _CURVES:
            self.used.add(m.tag)
            texts = self.found.lists.pop(m.tag, None)
            if texts is None:
                continue
            try:
                points = [tuple(float(v) for v in text.split(",")) for text in texts]
                if any(len(p) != 2 or not all(math.isfinite(v) for v in p) for p in points):
                    raise ValueError
            except ValueError:
                self.warnings.append(f"crs:{m.tag}: points that are not 'x, y' numbers; not read")
                continue
            if len(points) > CURVE_MAX_POINTS:
                keep = np.unique(np.round(np.linspace(0, len(points) - 1, CURVE_MAX_POINTS)).astype(int))
                points = [points[i] for i in keep]
                self.warnings.append(
                    f"crs:{m.tag} has {len(texts)} points; the {CURVE_MAX_POINTS} a curve holds here were read"
                )
            params[m.param] = points
        if not params:
            return []
        try:
            node = make_node("tone_curve", params)
        except ValueError as error:
            self.warnings.append(f"the tone curve was not read: {error}")
            return []
        return [] if node.spec.is_identity(node.params) else [node]

    def geometry(self) -> list[Node]:
        text = self.found.orientation
        code = self.photo.orientation
        if text is not None:
            if text.isdigit() and int(text) in ORIENTATIONS:
                code = int(text)
            else:
                self.warnings.append(f"tiff:Orientation = {text!r} is not an EXIF orientation (1-8); not read")
        has_crop = self.found.values.get("HasCrop", "False").strip().lower() == "true"
        self.used.update(("CropLeft", "CropTop", "CropRight", "CropBottom", "CropAngle"))
        if code == self.photo.orientation and not has_crop:
            return []
        names = {"CropLeft": 0.0, "CropTop": 0.0, "CropRight": 1.0, "CropBottom": 1.0, "CropAngle": 0.0}
        crop = tuple(self.number(name, default) if has_crop else default for name, default in names.items())
        frame = _crop_frame(crop, code, self.photo)  # type: ignore[arg-type]  # number() gave the defaults
        if min(frame.width, frame.height) < 1:
            self.warnings.append("the crop is less than a pixel wide; not read")
            return []
        stored_to_shown = np.linalg.inv(_quarter(*_stored_size(self.photo), *ORIENTATIONS[self.photo.orientation]))
        nodes, warnings = _geometry_nodes(frame.mapped(stored_to_shown), self.photo)
        self.warnings += warnings
        return nodes

    def white_balance(self) -> list[Node]:
        """A RAW's kelvin (crs:Temperature/Tint) when it is not the camera's own (as shot)."""
        self.used.update(("Temperature", "Tint"))
        balance = self.found.values.get("WhiteBalance", "As Shot")
        if balance == "As Shot" or "Temperature" not in self.found.values:
            return []
        if not self.photo.raw or self.photo.as_shot is None:
            why = "this photo is not a camera RAW" if not self.photo.raw else "its as-shot white could not be read"
            self.warnings.append(
                f"crs:Temperature {self.found.values['Temperature']} K (crs:WhiteBalance {balance!r}) not read: "
                f"the kelvin of a RAW file's white balance, and {why}"
            )
            return []
        kelvin, tint = self.number("Temperature"), self.number("Tint", 0.0)
        if kelvin is None or kelvin <= 0 or tint is None:
            return []
        params = dict(zip(("temperature", "tint"), from_lightroom_kelvin(kelvin, tint, self.photo.as_shot)))
        node = make_node("white_balance", params)
        return [] if node.spec.is_identity(node.params) else [node]

    def unread(self) -> None:
        """A warning for each setting that changes the look and was not read."""
        for name, text in self.found.values.items():
            if name in self.used or name in BOOKKEEPING:
                continue
            neutral = NEUTRAL.get(name, 0)
            if neutral is None:
                continue
            try:
                if float(text) == float(neutral):
                    continue
            except ValueError:
                if text.lower() in ("", "false", str(neutral).lower()):
                    continue
            self.warnings.append(f"crs:{name} = {text} not read: no equivalent here")
        for name, items in self.found.lists.items():
            if items:
                self.warnings.append(f"crs:{name} ({len(items)} items) not read: no equivalent here")
        for name in self.found.structures:
            self.warnings.append(f"crs:{name} not read: local corrections, looks and other structures have no "
                                 "equivalent here")  # fmt: skip


def nodes_from(data: bytes, photo: Photo, what: str = "XMP") -> tuple[list[Node], list[str]]:
    """The nodes for a sidecar's settings that map, in pipeline order, and one warning for each
    setting that was not read (or not exactly). Raises XmpError for what is not an XMP sidecar."""
    found = _settings(parse(data, what), what)
    if not found.values and not found.lists and not found.structures and found.orientation is None:
        return [], ["no Camera Raw settings (crs:) in it: nothing to read"]
    reader = _Reader(found, photo)
    nodes = reader.geometry() + reader.white_balance() + reader.grayscale(reader.scalars()) + reader.curve()
    reader.unread()
    for node in nodes:
        node.provenance = Provenance(reason=f"from Lightroom settings ({what})")
    return sorted(nodes, key=lambda n: n.spec.sort_key), reader.warnings


def read_sidecar(path: str | Path, photo: Photo) -> tuple[list[Node], list[str]]:
    """``nodes_from`` a sidecar file (a regular file of at most MAX_BYTES)."""
    name = Path(path).name
    try:
        data = files.read_regular(path, MAX_BYTES, name)
    except files.InputError as error:
        raise XmpError(error.what, error.reason) from None
    return nodes_from(data, photo, name)


_TABLE = re.compile(r"(<!-- mapping table.*?-->\n)(.*?)(<!-- end of mapping table -->)", re.S)


def update_docs(path: str | Path = "docs/xmp.md") -> None:
    """Rewrite the mapping table in docs/xmp.md (`make docs`, from the repository's root; between
    its markers, appended when it has none)."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if _TABLE.search(text) is None:
        text += "<!-- mapping table: generated by xmp.update_docs(), do not edit by hand -->\n<!-- end of mapping table -->\n"
    path.write_text(_TABLE.sub(lambda m: m.group(1) + mapping_markdown() + m.group(3), text), encoding="utf-8")
