"""Edge-aware smoothing for the neighbourhood ops (clarity, texture, dehaze, noise reduction).

The guided filter (He, Sun and Tang, "Guided Image Filtering", 2010): in every window of radius
r, the output is a linear function a I + b of the guide I fitted to the input p by least squares,
with a = cov(I, p) / (var(I) + eps), b = mean(p) - a mean(I); each pixel averages the (a, b) of
the windows that hold it. Where the guide varies much more than sqrt(eps) (an edge) a is near 1
and the edge is kept; where it varies less (flat areas, noise, fine texture) a is near 0 and the
output is the window's mean. Everything is box means, whose cost does not depend on r.

Large radii run on a grid ``step`` times coarser (He and Sun, "Fast Guided Filter", 2015): I and p
are subsampled (one pixel per step x step cell), a and b are computed and averaged there, upsampled
bilinearly and applied to the full-resolution guide, so edges stay sharp. The grid is anchored to
the picture's rows (``origin``, the first row's place in the picture), so that a strip of the
picture and the whole picture use the same cells and agree away from the strip's edges:
``reach`` is how many rows of context that takes (the op's halo). The filter only reads its guide
and input at the grid's samples, so an op whose input is costly per pixel computes it there alone
(``grid``, ``samples``, ``guided_on_grid``; ``self_guided``: the luma's), the same values.
"""

from __future__ import annotations

import threading

import cv2
import numpy as np

# Rec. 709 luma weights on the pipeline's (sRGB-encoded) values.
LUMA = np.array([[0.2126, 0.7152, 0.0722]], dtype=np.float32)
LUMA_WEIGHTS = tuple(float(w) for w in LUMA[0])  # as the kernel's DETAIL stage takes them
BORDER = cv2.BORDER_REFLECT  # also defined on a single row or column


def luma(rgb: np.ndarray) -> np.ndarray:
    """(h, w) luma of a float32 RGB image."""
    return cv2.transform(rgb, LUMA)


def box(x: np.ndarray, r: int) -> np.ndarray:
    """Mean over the (2r + 1) x (2r + 1) window around each pixel (edges reflected)."""
    return cv2.boxFilter(x, -1, (2 * r + 1, 2 * r + 1), borderType=BORDER)


def step_for(radius: int) -> int:
    """Cell size of the coarse grid: 1 (full resolution) up to radius 5, then about radius / 3, at
    most 8. (Coarser grids blur A and B across an edge: about 6 % of the step, on the edge's own
    pixels, at radius 4 with cells of 2.)"""
    return max(1, min(8, radius // 3))


def _coarse_radius(radius: int, step: int) -> int:
    return max(1, round(radius / step))


def reach(radius: int) -> int:
    """Rows of context a guided filter of this radius reads on each side: two box means, and on
    the coarse grid, whole cells plus one for the bilinear upsampling and one for the alignment."""
    step = step_for(radius)
    if step == 1:
        return 2 * radius + 1
    return step * (2 * _coarse_radius(radius, step) + 2)


def grid(radius: int, origin: int, height: int, width: int) -> tuple[int, int] | None:
    """(step, skip) of the coarse grid ``guided`` uses for a (height, width) image that starts at
    row ``origin`` of the picture; None where it works at full resolution."""
    step = step_for(max(1, int(radius)))
    if step == 1 or min(height, width) <= 2 * step:  # a sliver: no grid to speak of
        return None
    return step, (-origin) % step


def samples(step: int, skip: int) -> tuple[int, int]:
    """(first row, first column) of the grid's samples, one every ``step`` rows and columns: the
    middle of each step x step cell (the fast guided filter's subsampling; the box means that
    follow do the averaging)."""
    first = (step - 1) // 2
    return skip + first, first


def _down(x: np.ndarray, step: int, skip: int) -> np.ndarray:
    """The grid's samples of x."""
    row, column = samples(step, skip)
    return np.ascontiguousarray(x[row::step, column::step])


def _up(c: np.ndarray, step: int, skip: int, rows: slice, width: int) -> np.ndarray:
    """``_down``'s grid back to full resolution, bilinear, for ``rows`` (of the image ``_down`` had)
    only: coarse row i sits at image row skip + i step + (step - 1) / 2; rows past the grid's ends
    repeat its edge."""
    start, stop = rows.start, rows.stop
    lo = max(0, (start - skip) // step - 1)  # one coarse row beyond those needed on each side,
    hi = min(c.shape[0], -(-(stop - skip) // step) + 1)  # so that the block's own edges do not show
    lo = min(lo, hi - 1)
    u = cv2.resize(c[lo:hi], (c.shape[1] * step, (hi - lo) * step), interpolation=cv2.INTER_LINEAR)
    first = start - skip - lo * step
    if first < 0 or first + (stop - start) > u.shape[0] or u.shape[1] < width:  # beyond the grid: edges repeated
        u = cv2.copyMakeBorder(
            u,
            max(0, -first),
            max(0, first + stop - start - u.shape[0]),
            0,
            max(0, width - u.shape[1]),
            cv2.BORDER_REPLICATE,
        )
        first = max(0, first)
    return u[first : first + stop - start, :width]


def _coefficients(guide: np.ndarray, src: np.ndarray | None, r: int, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """The window means of a and b; ``src`` None: the guide filters itself. In place where it can
    be: at full resolution each pass is a picture-sized read and write."""
    mean_i = box(guide, r)
    var = box(np.square(guide), r)
    square = np.square(mean_i)
    var -= square
    np.maximum(var, 0.0, out=var)  # rounding can make it slightly negative
    if src is None:  # a = var / (var + eps)
        mean_p, a = mean_i, var
        a /= np.add(var, np.float32(eps), out=square)
    else:  # a = cov / (var + eps)
        mean_p = box(src, r)
        a = box(guide * src, r)
        a -= np.multiply(mean_i, mean_p, out=square)
        var += np.float32(eps)
        a /= var
    b = np.multiply(a, mean_i, out=square)
    np.subtract(mean_p, b, out=b)  # b = mean_p - a mean_i
    return box(a, r), box(b, r)


def guided(
    guide: np.ndarray, src: np.ndarray | None, radius: int, eps: float, origin: int = 0, rows: slice | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The guided filter's (A, B) on ``rows`` of the image (default all), the caller's to change:
    the output there is A guide[rows] + B.

    ``guide`` and ``src``: (h, w) float32 (``src`` None: the guide itself); ``radius`` in pixels
    of this image (at least 1); ``origin``: the row of the picture the image starts at.
    """
    radius = max(1, int(radius))
    height, width = guide.shape[:2]
    rows = slice(0, height) if rows is None else rows
    coarse = grid(radius, origin, height, width)
    if coarse is None:
        a, b = _coefficients(guide, src, radius, eps)
        return a[rows], b[rows]
    step, skip = coarse
    small_src = None if src is None else _down(src, step, skip)
    return guided_on_grid(_down(guide, step, skip), small_src, radius, eps, coarse, rows, width)


def guided_on_grid(
    small_guide: np.ndarray,
    small_src: np.ndarray | None,
    radius: int,
    eps: float,
    coarse: tuple[int, int],
    rows: slice,
    width: int,
) -> tuple[np.ndarray, np.ndarray]:
    """``guided`` on its coarse grid ``coarse`` = (step, skip) (``grid``) from the samples of the
    guide and the input (``samples``), which a caller may compute there alone (dehaze's dark
    channel): (A, B) on ``rows`` of the image, ``width`` wide."""
    step, skip = coarse
    a, b = _coefficients(small_guide, small_src, _coarse_radius(radius, step), eps)
    return _up(a, step, skip, rows, width), _up(b, step, skip, rows, width)


def self_guided(image: np.ndarray, radius: int, eps: float, origin: int, rows: slice) -> np.ndarray:
    """(A, B) of the guided filter of the clipped luma Y of an RGB image by itself, on ``rows``, as
    one (2, rows, width) array: the base layer is A Y + B. Where the filter has a coarse grid, Y is
    computed at the grid's samples alone."""
    height, width = image.shape[:2]
    coarse = grid(radius, origin, height, width)
    if coarse is None:
        a, b = guided(clipped_luma(image), None, radius, eps, origin, rows)
    else:
        row, column = samples(*coarse)
        step = coarse[0]
        small = clipped_luma(np.ascontiguousarray(image[row::step, column::step]))
        a, b = guided_on_grid(small, None, radius, eps, coarse, rows, width)
    return np.stack([a, b])


def wanted(image: np.ndarray, ctx) -> tuple[slice, np.ndarray]:
    """The rows of the image the renderer wants (RenderContext.out, out_offset; all by default) and
    where they go."""
    if ctx.out is not None:
        return slice(ctx.out_offset, ctx.out_offset + ctx.out.shape[0]), ctx.out
    return slice(0, image.shape[0]), np.empty(image.shape, dtype=np.float32)


def clipped_luma(image: np.ndarray) -> np.ndarray:
    """The luma of the image's values as they are, clipped to [0, 1]."""
    y = luma(image)
    return np.clip(y, 0.0, 1.0, out=y)


class Memo:
    """What a neighbourhood op computed for a strip that its slider does not change (clarity's
    base layer, dehaze's transmission), kept while the op is handed strips of the same picture:
    during a drag the renderer hands it the cached output of the step before it (read-only, see
    render.py), so only the part that depends on the value is done again on each move.

    Safe by construction: only strips of a read-only array are memoized, and the memo holds that
    array, so it can neither change nor be freed and its memory reused while the entries stand
    (the renderer's BufferPool leaves alone an array that is still referred to). Or, where the op
    has one, a ``token`` stands for the pixels instead: the whole-picture estimate that the renderer
    makes once per state of the nodes upstream and source (render.estimates, by the same keys as
    its cache) and hands to every strip, so that the same token means the same input at the same
    rows; held here, it cannot be freed and its identity reused (dehaze, whose input is the preview
    itself when it is the first node). A new picture or token replaces them all; at most
    ``max_bytes`` are kept, for pictures of at most that size (previews; an export's strips are each
    made once).
    """

    def __init__(self, max_bytes: int = 64 << 20):
        self.max_bytes = max_bytes
        self._owner: object = None
        self._entries: dict = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, image: np.ndarray, ctx, key: tuple, make, token: object = None):
        """make() for this strip of this picture, or what it returned before (not to be changed)."""
        if token is not None:
            height, width = ctx.frame_size(*image.shape[:2])
            if height * width * image.shape[2] * 4 > self.max_bytes:
                return make()  # an export's
            owner = token
        else:
            owner = image
            while isinstance(owner.base, np.ndarray):
                owner = owner.base
            if owner.flags.writeable or owner.base is not None or owner.nbytes > self.max_bytes:
                return make()  # may change, not an array of its own, or too big for a preview (an export's)
        where = (
            image.__array_interface__["data"][0],
            image.shape,
            ctx.origin,
            ctx.out_offset,
            None if ctx.out is None else ctx.out.shape[0],
            ctx.frame,
            ctx.scale,
            key,
        )
        with self._lock:
            if self._owner is not owner:
                self._owner, self._entries, self._bytes = owner, {}, 0
            hit = self._entries.get(where)
        if hit is not None:
            return hit
        value = make()
        with self._lock:
            if self._owner is owner and self._bytes + value.nbytes <= self.max_bytes:
                value.setflags(write=False)
                self._entries[where] = value
                self._bytes += value.nbytes
        return value
