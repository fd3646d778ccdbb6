"""The pixel kernel in numpy and OpenCV: ``_kernel.c``'s functions, for where it is not built.

Same interface, arguments, checks and results (within float rounding: a separate multiply and add
where the C code may fuse them; far inside the fusion tolerance, tests/core/test_kernel.py runs
every kernel test on both). Slower, mostly in the table and grid lookups and the extra passes
(docs/performance.md, "Without the compiled kernel"); ``core/kernel.py`` picks which one runs.
Works in place on the output array; numpy and OpenCV let go of the GIL, so the renderer's threads
still share the cores.
"""

from __future__ import annotations

import operator

import cv2
import numpy as np

# the stage kinds, as _kernel.c's
AFFINE, TABLE, SATURATION, FIELD, CLIPPED_AFFINE, MATRIX, HUE, DETAIL, PLANES, TOWARD, SAVE, MIX = range(12)
ITEMS = {
    AFFINE: 3,
    TABLE: 4,
    SATURATION: 4,
    FIELD: 4,
    CLIPPED_AFFINE: 5,
    MATRIX: 2,
    HUE: 4,
    DETAIL: 6,
    PLANES: 3,
    TOWARD: 7,
    SAVE: 1,
    MIX: 2,
}
TABLE_SIZE = 65536
MAX_TAPS = 255
ONE, HALF = np.float32(1.0), np.float32(0.5)


def simd() -> str:
    return "none (numpy and OpenCV)"


def use_simd(level: int) -> int:
    """No explicit vector code to choose from: always level 0."""
    return 0


# --- argument checks (the C module's buffer rules) ---------------------------------------------


def _array(obj, what: str, writable: bool = False) -> np.ndarray:
    """``obj`` as the C module reads a buffer: C-contiguous (and writable for an output)."""
    if not isinstance(obj, np.ndarray):
        raise TypeError(f"{what} must be a numpy array")
    if not obj.flags.c_contiguous:
        raise ValueError(f"{what} is not C-contiguous")
    if writable and not obj.flags.writeable:
        raise ValueError(f"{what} is read-only")
    return obj


def _floats(obj, what: str, writable: bool = False) -> np.ndarray:
    array = _array(obj, what, writable)
    if array.dtype != np.float32:
        raise TypeError(f"{what} must be float32")
    return array


def _clip(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """clip(x, 0, 1) with NaN -> 0, as everywhere in the renderer (fmax drops the NaN)."""
    out = np.minimum(x, ONE, out=out)
    return np.fmax(out, np.float32(0.0), out=out)


# --- run ----------------------------------------------------------------------------------------


def _stage(stage, pixels: int) -> tuple:
    """A stage tuple checked (as _kernel.c's parse_stage) and its arrays shaped for the pixels."""
    if not isinstance(stage, tuple) or not stage:
        raise TypeError("a stage must be a tuple")
    kind = operator.index(stage[0])
    if kind not in ITEMS:
        raise ValueError(f"unknown stage kind {kind}")
    if len(stage) != ITEMS[kind]:
        raise TypeError(f"a stage of kind {kind} has {ITEMS[kind]} items")
    if kind == AFFINE:
        return kind, np.float32(stage[1]), np.float32(stage[2])
    if kind == SAVE:
        return (kind,)
    if kind == MIX:
        w = _floats(stage[1], "a mask's weights").reshape(-1)
        if w.size != pixels:
            raise ValueError("a mask's weights have one value per pixel of the image")
        return kind, w[:, None]
    if kind == TABLE:
        table = _floats(stage[3], "a table").reshape(-1)
        if table.size not in (TABLE_SIZE, 3 * TABLE_SIZE):
            raise ValueError("a table has 65536 entries, or 65536 per channel")
        return kind, np.float32(stage[1]), np.float32(stage[2]), table
    if kind == SATURATION:
        ns, nv = operator.index(stage[2]), operator.index(stage[3])
        if ns < 2 or nv < 2:
            raise ValueError("a saturation grid needs at least 2 x 2 points")
        grid = _floats(stage[1], "a saturation table").reshape(-1)
        if grid.size != ns * nv:
            raise ValueError("the saturation table does not match its grid")
        return kind, grid, ns, nv
    if kind == FIELD:
        planes = []
        for plane in stage[1:3]:
            if plane is not None:
                plane = _floats(plane, "a field").reshape(-1)
                if plane.size not in (pixels, 3 * pixels):
                    raise ValueError("a field has one or three values per pixel of the image")
                plane = plane.reshape(pixels, plane.size // pixels)
            planes.append(plane)
        return kind, *planes, np.float32(stage[3])
    if kind == MATRIX:
        m = np.array(stage[1], dtype=np.float32)
        if m.shape != (3, 3):
            raise TypeError("a matrix is three rows of three numbers")
        return kind, m
    if kind == HUE:
        steps, changes = operator.index(stage[2]), operator.index(stage[3])
        if steps < 1:
            raise ValueError("a hue table needs at least one step")
        table = _floats(stage[1], "a hue table").reshape(-1)
        if table.size != 4 * (steps + 1):
            raise ValueError("a hue table has steps + 1 rows of 4 values")
        return kind, table.reshape(steps + 1, 4), steps, changes
    if kind == TOWARD:
        t = _floats(stage[1], "a weight plane").reshape(-1)
        if t.size != pixels:
            raise ValueError("a weight plane has one value per pixel of the image")
        colour = np.array(stage[5], dtype=np.float32)
        if colour.shape != (3,):
            raise TypeError("the colour is three numbers")
        return (
            kind,
            t,
            np.float32(stage[2]),
            np.float32(stage[3]),
            np.float32(stage[4]),
            colour,
            operator.index(stage[6]),
        )
    if kind == PLANES:
        if len(stage[1]) != 3:
            raise TypeError("PLANES takes three planes (or None)")
        planes = []
        for plane in stage[1]:
            if plane is not None:
                plane = _floats(plane, "a plane").reshape(-1)
                if plane.size != pixels:
                    raise ValueError("a plane has one value per pixel of the image")
            planes.append(plane)
        m = np.array(stage[2], dtype=np.float32)
        if m.shape != (3, 3):
            raise TypeError("a matrix is three rows of three numbers")
        return kind, planes, m
    if kind == DETAIL:
        planes = []
        for plane in stage[1:3]:
            plane = _floats(plane, "a base layer's coefficients").reshape(-1)
            if plane.size != pixels:
                raise ValueError("a base layer has one coefficient per pixel of the image")
            planes.append(plane)
        weights = np.array(stage[4], dtype=np.float32)
        if weights.shape != (3,):
            raise TypeError("the luma's weights are three numbers")
        return kind, *planes, np.float32(stage[3]), weights, operator.index(stage[5])
    a, b, scale, offset = stage[1:]
    if len(scale) != 3 or len(offset) != 3:
        raise TypeError("colour scales and offsets have three values")
    # as OpenCV scalars (one value per channel): numpy would broadcast them three floats at a time
    per_channel = [tuple(float(np.float32(v)) for v in values) + (0.0,) for values in (scale, offset)]
    return kind, np.float32(a), np.float32(b), *per_channel


def _table(d: np.ndarray, a, b, table: np.ndarray) -> None:
    """Each value -> the table entry nearest to x a + b, clipped to the table; NaN reads entry 0."""
    v = d * a
    v += b
    np.minimum(v, np.float32(TABLE_SIZE - 1), out=v)
    np.fmax(v, np.float32(0.0), out=v)
    v += HALF
    index = v.astype(np.intp)
    if table.size == 3 * TABLE_SIZE:  # entry e of channel c is at 3 e + c
        index *= 3
        index += np.arange(3)
    np.take(table, index, out=d, mode="clip")  # in range already; "clip" spares numpy a buffer


def _saturation(d: np.ndarray, grid: np.ndarray, ns: int, nv: int) -> None:
    """HSV saturation S -> grid(S, V) read bilinearly, hue and value kept: c' = V - (S'/S)(V - c),
    written as (S'/S) c + (1 - S'/S) V (one pass fewer); in place, few temporaries."""
    _clip(d, out=d)
    r, g, b = d[:, 0], d[:, 1], d[:, 2]
    v = np.maximum(np.maximum(r, g), b)
    sat = v - np.minimum(np.minimum(r, g), b)  # 0 where v is 0
    np.divide(sat, v, out=sat, where=v > 0)
    fs, fv = sat * np.float32(ns - 1), v * np.float32(nv - 1)
    i = np.minimum(fs.astype(np.intp), ns - 2)
    cell = np.minimum(fv.astype(np.intp), nv - 2)
    fs -= i.astype(np.float32)  # the weights within the cell
    fv -= cell.astype(np.float32)
    cell *= ns
    cell += i
    lo, hi = np.take(grid, cell), np.take(grid, cell + ns)
    cell += 1
    lo_next, hi_next = np.take(grid, cell), np.take(grid, cell + ns)
    for near, far in ((lo, lo_next), (hi, hi_next)):  # along S
        far -= near
        far *= fs
        near += far
    hi -= lo  # along V: the new S in lo
    hi *= fv
    lo += hi
    k = np.divide(lo, sat, out=np.zeros_like(sat), where=sat > 0)  # S'/S; greys keep their value
    d *= k[:, None]
    np.subtract(ONE, k, out=k)
    v *= k
    d += v[:, None]


def _field(d: np.ndarray, f: np.ndarray | None, g: np.ndarray | None, k) -> None:
    """clip(x) f + k g; f and g with a value per pixel or three."""
    _clip(d, out=d)
    if f is not None:
        d *= f
    if g is not None:
        d += k * g


def _detail(d: np.ndarray, a: np.ndarray, b: np.ndarray, k, weights: np.ndarray, changes: int) -> None:
    """Local contrast from a base layer (see _kernel.c's detail): Y = clip(w . x), base = A Y + B,
    clip(clip(x) + k (Y - base), times 4 base (1 - base) where changes is 1)."""
    y = _clip(cv2.transform(d.reshape(-1, 1, 3), weights[None]).reshape(-1))
    base = a * y
    base += b
    change = y - base
    change *= k
    if changes & 1:
        change *= np.float32(4.0) * base * (ONE - base)
    _clip(d, out=d)
    d += change[:, None]
    _clip(d, out=d)


def _planes(d: np.ndarray, planes: list, m: np.ndarray) -> None:
    """clip(clip(x) + M p) with p the planes (None: 0), as _kernel.c's planes()."""
    _clip(d, out=d)
    for i, plane in enumerate(planes):
        if plane is not None:
            d += plane[:, None] * m[:, i]
    _clip(d, out=d)


def _toward(d: np.ndarray, t: np.ndarray, a, b, lo, colour: np.ndarray, changes: int) -> None:
    """clip(k + (clip(x) - k) w), w = a t + b or 1 / max(a t + b, lo) (changes 1), as _kernel.c's toward()."""
    w = t * a
    w += b
    if changes & 1:
        np.maximum(w, lo, out=w)
        np.divide(ONE, w, out=w)
    _clip(d, out=d)
    d -= colour
    d *= w[:, None]
    d += colour
    _clip(d, out=d)


HUE_BLOCK = 16 * 1024  # pixels of a hue stage at a time: its dozen planes stay in the CPU's cache


def _hue(d: np.ndarray, table: np.ndarray, steps: int, changes: int) -> None:
    """HSV changes by hue (see _kernel.c's hue_pixel): an HSV round trip through OpenCV, the
    table's row read for the step each hue falls in; in place, a block of pixels at a time."""
    for start in range(0, len(d), HUE_BLOCK):
        block = d[start : start + HUE_BLOCK].reshape(-1, 1, 3)  # a one-column image to OpenCV
        hsv = cv2.cvtColor(_clip(block, out=block), cv2.COLOR_RGB2HSV)
        h, s, v = cv2.split(hsv)
        where = h * np.float32(steps / 360.0)
        np.fmax(where, np.float32(0.0), out=where)
        index = np.minimum(where.astype(np.intp), steps)  # the step each hue falls in
        where -= index  # how far into it
        shift, rise, factor, lift = np.take(table, index, axis=0).transpose(2, 0, 1)
        if changes & 1:
            h += shift
            h += rise * where
        if changes & 4:
            lift *= s
            lift += ONE
            v *= lift
            np.minimum(v, ONE, out=v)
        if changes & 2:
            s *= factor
            np.minimum(s, ONE, out=s)
        cv2.cvtColor(cv2.merge([h, s, v]), cv2.COLOR_HSV2RGB, dst=block)


def run(src, dst, stages):
    """A fused run of point stages, src (float32 or uint8) -> dst (float32; may be src); see _kernel.c."""
    source = _array(src, "the image")
    if source.dtype not in (np.float32, np.uint8):
        raise TypeError("the image must be float32 or uint8")
    out = _floats(dst, "the output", writable=True)
    if source.size % 3 or out.size != source.size:
        raise ValueError("image and output must be RGB of the same size")
    pixels = source.size // 3
    parsed = [_stage(stage, pixels) for stage in stages]  # all checked before anything is written
    kinds = [stage[0] for stage in parsed]
    if MIX in kinds and SAVE not in kinds[: kinds.index(MIX)]:
        raise ValueError("a MIX stage mixes with what a SAVE stage before it kept")
    d = out.reshape(pixels, 3)
    if source.dtype == np.uint8:
        np.divide(source.reshape(pixels, 3), np.float32(255.0), out=d, dtype=np.float32)
    elif not np.shares_memory(source, out):
        np.copyto(d, source.reshape(pixels, 3))
    # SAVE's copy: a masked node's input, which MIX mixes back (see _kernel.c's mix)
    saved = np.empty_like(d) if SAVE in kinds else d[:0]
    for kind, *values in parsed:
        if kind == SAVE:
            np.copyto(saved, d)
        elif kind == MIX:
            with np.errstate(invalid="ignore"):  # inf - inf is NaN, silently, as in the C loops
                d -= saved
                d *= values[0]
                d += saved
        elif kind == AFFINE:
            d *= values[0]
            d += values[1]
        elif kind == TABLE:
            _table(d, *values)
        elif kind == SATURATION:
            _saturation(d, *values)
        elif kind == FIELD:
            _field(d, *values)
        elif kind == MATRIX:
            np.copyto(d, cv2.transform(d.reshape(-1, 1, 3), values[0]).reshape(-1, 3))
        elif kind == HUE:
            _hue(d, *values)
        elif kind == DETAIL:
            _detail(d, *values)
        elif kind == PLANES:
            _planes(d, *values)
        elif kind == TOWARD:
            _toward(d, *values)
        else:  # CLIPPED_AFFINE
            a, b, scale, offset = values
            d *= a
            d += b
            _clip(d, out=d)
            pixels3 = d.reshape(-1, 1, 3)  # a one-column, 3-channel image to OpenCV
            cv2.multiply(pixels3, scale, dst=pixels3)
            cv2.add(pixels3, offset, dst=pixels3)
    return dst


# --- sharpen, finish ---------------------------------------------------------------------------


def _finish_into(values: np.ndarray, out: np.ndarray, rgbx: bool) -> None:
    """clip(values) into out: float32, or rounded half to even to 8/16 bits; RGBX gets X = 255.
    OpenCV's conversion to 8 bits rounds as numpy's rint, in one pass instead of three."""
    c = _clip(values.reshape(-1))
    if out.dtype == np.uint8:
        eight = cv2.convertScaleAbs(c, alpha=255.0)  # c >= 0: the absolute value changes nothing
        if rgbx:
            cv2.cvtColor(eight.reshape(-1, 1, 3), cv2.COLOR_RGB2RGBA, dst=out.reshape(-1, 1, 4))  # X = 255
        else:
            out.reshape(-1)[...] = eight.reshape(-1)
        return
    if out.dtype != np.float32:
        c *= np.float32(np.iinfo(out.dtype).max)
        np.rint(c, out=c)
    out.reshape(-1)[...] = c


def sharpen(src, dst, width, first, weights, amount):
    """(1 + amount) clip(src) - amount blur(clip(src)), rows first.. of src into dst (float32, or
    uint8 RGB or RGBX, finished as finish() would); weights: the odd-length separable Gaussian."""
    source = _floats(src, "the image")
    out = _array(dst, "the output", writable=True)
    if out.dtype not in (np.float32, np.uint8):
        raise TypeError("sharpen: the output must be float32, or uint8 RGB or RGBX")
    w = _floats(weights, "the weights").reshape(-1)
    width, first = operator.index(width), operator.index(first)
    eight_bit = out.dtype == np.uint8
    per_pixel = out.shape[-1] if eight_bit and out.ndim >= 1 else 3
    rowlen, taps = 3 * width, w.size
    out_row = per_pixel * width
    if (
        width < 1
        or source.size % rowlen
        or per_pixel not in (3, 4)
        or out.size % out_row
        or taps % 2 != 1
        or taps > MAX_TAPS
    ):
        raise ValueError("sharpen: the image, the output or the weights have the wrong size")
    rows, out_rows = source.size // rowlen, out.size // out_row
    if first < 0 or first + out_rows > rows:
        raise ValueError("sharpen: the output rows are not inside the image")
    radius = taps // 2
    top, bottom = max(first - radius, 0), min(first + out_rows + radius, rows)
    # Only the rows the output needs; past the image's edges OpenCV reflects as the C code does.
    clipped = _clip(source.reshape(rows, width, 3)[top:bottom])
    blur = cv2.sepFilter2D(clipped, -1, w, w, borderType=cv2.BORDER_REFLECT_101)[first - top : first - top + out_rows]
    amount = np.float32(amount)
    mixed = clipped[first - top : first - top + out_rows] * (ONE + amount)
    blur *= amount
    mixed -= blur
    if eight_bit:
        _finish_into(mixed, out, per_pixel == 4)
    else:
        out.reshape(mixed.shape)[...] = mixed
    return dst


def finish(src, dst):
    """clip(src, 0, 1) with NaN -> 0 into dst: float32, or rounded to uint8 / uint16; an 8-bit dst
    with 4 values per RGB pixel of src gets RGBX (X = 255)."""
    source = _floats(src, "the image")
    out = _array(dst, "the output", writable=True)
    if out.dtype not in (np.float32, np.uint8, np.uint16):
        raise TypeError("the output must be float32, uint8 or uint16")
    n = source.size
    rgbx = out.dtype == np.uint8 and n % 3 == 0 and out.size == n // 3 * 4
    if not rgbx and out.size != n:
        raise ValueError("image and output must have the same size (or RGB into 8-bit RGBX)")
    _finish_into(source, out, rgbx)
    return dst
