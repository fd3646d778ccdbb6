"""Baseline JPEG encoding on every core: horizontal bands encoded at once, joined into one file.

Why: Pillow's JPEG encoder holds the GIL, so a 24 MP export encoded on one core while the others
waited (0.18 s of a 1 s export on 2 cores). OpenCV's encoder (the same libjpeg-turbo) lets go of
it, so its bands run side by side (docs/performance.md).

How the bands join (ITU-T T.81): every band is encoded with the same quality, chroma subsampling
and standard Huffman tables, with a restart marker after each row of MCUs (the restart interval is
one MCU row). At a restart marker the coder's bits end on a byte boundary and the DC predictions
start again from zero, which is exactly how a band's own data starts. So the file is the first
band's headers (with the picture's full height), its entropy-coded data, then for every further
band a restart marker and its data, the eight restart marker numbers continuing in sequence. It
decodes to the same pixels as the same settings encoded in one piece. Bands are whole MCU rows
(8 or 16 pixel rows), except the last.
"""

from __future__ import annotations

import threading

import cv2
import numpy as np

from .parallel import cpu_count, parallel

SOF0, SOS, EOI, RST0 = 0xC0, 0xDA, b"\xff\xd9", 0xD0
APP0 = 0xE0
MAX_SEGMENT = 65533  # bytes of payload a marker segment can hold
ICC_CHUNK = MAX_SEGMENT - 14  # after "ICC_PROFILE\0" and the chunk's number and count


class Encoder:
    """Encodes one picture's bands as they come, from any thread, then joins them (see above).

    ``add`` takes 8-bit RGB or RGBX rows; every band starts on a whole MCU row, and every band
    but the picture's last is a whole number of MCU rows (8 pixel rows, or 16 with 4:2:0).
    ``subsampling``: Pillow's codes, 0 for 4:4:4, 2 for 4:2:0.
    """

    def __init__(self, quality: int, subsampling: int):
        self.quality = int(quality)
        self.subsampling = subsampling
        self.mcu = 8 if subsampling == 0 else 16
        self._parts: dict[int, tuple[int, int, np.ndarray]] = {}  # first row -> (rows, width, data)
        self.size: tuple[int, int] | None = None  # (width, height), once joined
        self._lock = threading.Lock()
        self._scratch = threading.local()

    def add(self, first_row: int, rows: np.ndarray) -> None:
        if first_row % self.mcu:
            raise ValueError(f"a band must start on a whole MCU row (a multiple of {self.mcu}), not {first_row}")
        height, width = rows.shape[:2]
        params = [
            cv2.IMWRITE_JPEG_QUALITY,
            self.quality,
            cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
            cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444 if self.subsampling == 0 else cv2.IMWRITE_JPEG_SAMPLING_FACTOR_420,
            cv2.IMWRITE_JPEG_RST_INTERVAL,
            -(-width // self.mcu),
        ]
        ok, data = cv2.imencode(".jpg", self._bgr(rows), params)
        if not ok:
            raise OSError("the JPEG encoder failed")
        with self._lock:
            self._parts[first_row] = (height, width, data)

    def _bgr(self, rows: np.ndarray) -> np.ndarray:
        """The rows in OpenCV's channel order, in a buffer each thread keeps for its next band."""
        held = getattr(self._scratch, "buffer", None)
        if held is None or held.shape[1] != rows.shape[1] or held.shape[0] < rows.shape[0]:
            held = self._scratch.buffer = np.empty(rows.shape[:2] + (3,), np.uint8)
        out = held[: rows.shape[0]]
        return cv2.cvtColor(rows, cv2.COLOR_RGBA2BGR if rows.shape[2] == 4 else cv2.COLOR_RGB2BGR, dst=out)

    def join(self, exif: bytes | None = None, icc: bytes | None = None) -> bytes:
        """The whole picture's file, with an APP1 ``exif`` payload ("Exif\\0\\0...") and an ICC profile."""
        firsts = sorted(self._parts)
        if not firsts:
            raise ValueError("no bands to join")
        row, width = 0, self._parts[firsts[0]][1]
        for first in firsts:  # (a band that ends inside an MCU row cannot be followed: add() refuses the next)
            rows, band_width, _ = self._parts[first]
            if first != row or band_width != width:
                raise ValueError("the bands do not tile one picture")
            row += rows
        self.size = (width, row)
        return join([self._parts[first][2] for first in firsts], row, app_segments(exif, icc))


def encode(
    pixels: np.ndarray,
    quality: int,
    subsampling: int,
    exif: bytes | None = None,
    icc: bytes | None = None,
    bands: int | None = None,
) -> bytes:
    """A whole picture (8-bit RGB or RGBX) as a baseline JPEG, its bands encoded on every core.
    ``bands``: how many (default: two per core)."""
    encoder = Encoder(quality, subsampling)
    height = pixels.shape[0]
    count = max(1, min(bands or 2 * cpu_count(), -(-height // encoder.mcu)))
    rows = -(-height // count // encoder.mcu) * encoder.mcu  # whole MCU rows per band
    parallel(lambda y0, y1: encoder.add(y0, pixels[y0:y1]), height, rows)
    return encoder.join(exif, icc)


def app_segments(exif: bytes | None, icc: bytes | None) -> bytes:
    """APP1 (EXIF) and APP2 (ICC profile, in chunks) marker segments, as Pillow writes them."""
    out = b""
    if exif:
        out += _segment(0xE1, exif)
    if icc:
        chunks = [icc[i : i + ICC_CHUNK] for i in range(0, len(icc), ICC_CHUNK)]
        for number, chunk in enumerate(chunks, 1):
            out += _segment(0xE2, b"ICC_PROFILE\0" + bytes([number, len(chunks)]) + chunk)
    return out


def _segment(marker: int, payload: bytes) -> bytes:
    if len(payload) > MAX_SEGMENT:
        raise ValueError(f"a JPEG marker segment holds at most {MAX_SEGMENT} bytes, not {len(payload)}")
    return bytes([0xFF, marker]) + (len(payload) + 2).to_bytes(2, "big") + payload


def _headers(data: np.ndarray) -> tuple[list[tuple[int, int, int]], int]:
    """The marker segments from SOI to SOS as (marker, start, end), and where the entropy-coded data starts."""
    segments, i = [], 2
    while True:
        if data[i] != 0xFF:
            raise ValueError("not a JPEG marker where one was expected")
        marker, length = int(data[i + 1]), int(data[i + 2]) << 8 | int(data[i + 3])
        segments.append((marker, i, i + 2 + length))
        i += 2 + length
        if marker == SOS:
            return segments, i


def join(parts: list[np.ndarray], height: int, extra: bytes = b"") -> bytes:
    """One JPEG from bands encoded as above (see the module docstring); ``extra``: marker segments
    to add after the first band's APP0 (or SOI)."""
    segments, start = _headers(parts[0])
    header = bytearray(parts[0][:start].tobytes())
    sof = next((s for s in segments if s[0] == SOF0), None)
    if sof is None:
        raise ValueError("the bands are not baseline JPEGs")
    header[sof[1] + 5 : sof[1] + 7] = height.to_bytes(2, "big")
    after = segments[0][2] if segments[0][0] == APP0 else 2
    out = [bytes(header[:after]), extra, bytes(header[after:])]
    restarts = 0
    for number, part in enumerate(parts):
        if number:
            out.append(bytes([0xFF, RST0 + restarts % 8]))
            restarts += 1
            start = _headers(part)[1]
        data = part[start : len(part) - 2].copy()  # without EOI
        ff = np.flatnonzero(data[:-1] == 0xFF) + 1  # a 0xFF in the data is always followed by 0 or a marker
        rst = ff[(data[ff] >= RST0) & (data[ff] <= RST0 + 7)]
        data[rst] = RST0 + (data[rst].astype(np.int64) - RST0 + restarts) % 8
        restarts += len(rst)
        out.append(data.tobytes())
    out.append(EOI)
    return b"".join(out)
