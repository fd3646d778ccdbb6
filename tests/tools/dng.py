"""One writer of test DNGs (pidng, a test dependency) for the tests, the fault-injection campaign and
the benchmark: a 16-bit RGGB Bayer mosaic with a fixed colour matrix, uncompressed.

Imported by file path from tools/fuzz.py and bench/inputs.py (neither is a package).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# A typical camera's XYZ -> camera matrix (ColorMatrix1, D65), as rationals.
COLOR_MATRIX = [[19549, 10000], [-7877, 10000], [-2582, 10000], [-5724, 10000], [10121, 10000], [1917, 10000],
                [-1267, 10000], [-110, 10000], [6621, 10000]]


def dng_bytes(cfa: np.ndarray, *, black: int = 256, white: int = 4095, orientation: int = 1,
              as_shot: Sequence[float] = (1.0, 1.0, 1.0), model: str = "Test Camera", extra: tuple = ()) -> bytes:
    """The DNG of ``cfa`` (uint16 RGGB samples); ``black``/``white`` are the levels the file declares,
    ``as_shot`` the camera's AsShotNeutral, ``extra`` more (pidng Tag, value) pairs."""
    from pidng.core import RAW2DNG, DNGTags, Tag
    from pidng.defs import CalibrationIlluminant, CFAPattern, DNGVersion, PhotometricInterpretation

    height, width = cfa.shape
    tags = DNGTags()
    for tag, value in (
        (Tag.ImageWidth, width), (Tag.ImageLength, height), (Tag.TileWidth, width), (Tag.TileLength, height),
        (Tag.Orientation, orientation), (Tag.PhotometricInterpretation, PhotometricInterpretation.Color_Filter_Array),
        (Tag.SamplesPerPixel, 1), (Tag.BitsPerSample, 16), (Tag.CFARepeatPatternDim, [2, 2]),
        (Tag.CFAPattern, CFAPattern.RGGB), (Tag.BlackLevel, black), (Tag.WhiteLevel, white),
        (Tag.ColorMatrix1, COLOR_MATRIX), (Tag.CalibrationIlluminant1, CalibrationIlluminant.D65),
        (Tag.AsShotNeutral, [[int(round(v * 10000)), 10000] for v in as_shot]), (Tag.BaselineExposure, [[0, 100]]),
        (Tag.Make, "IEA"), (Tag.Model, model),
        (Tag.DNGVersion, DNGVersion.V1_4), (Tag.DNGBackwardVersion, DNGVersion.V1_2), *extra,
    ):
        tags.set(tag, value)
    converter = RAW2DNG()
    converter.options(tags, path="", compress=False)
    return bytes(converter.convert(cfa))
