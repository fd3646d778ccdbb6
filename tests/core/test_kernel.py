"""The pixel kernel, compiled (core/kernel.c) and its numpy fallback (core/kernel_fallback.py),
against independent numpy/OpenCV references: every test runs on both (tests/core/conftest.py).

Why: every fused point run, every sharpen/blur and every finished result goes through these C loops, which see raw
buffers, work in chunks of 1024 pixels, index tables by hand and let go of the GIL. A wrong index,
a chunk offset, a border rule or a missing argument check would not show in the ops' own tests
as plainly as here, where each stage kind is checked alone and chained, on NaN/inf inputs, in
place, across chunks, on strips of rows, from two threads, and for clean errors.
"""

from __future__ import annotations

import threading

import cv2
import numpy as np
import pytest

from iea_desktop.core import kernel, pointops
from iea_desktop.core.apply_node import apply_node
from iea_desktop.core.graph import make_node
from iea_desktop.core.ops import colour_mixer, sharpness

AFFINE, TABLE, SATURATION, FIELD, CLIPPED_AFFINE, MATRIX, HUE, DETAIL, PLANES, TOWARD, SAVE, MIX = range(12)
SHAPES = [(1, 1, 3), (7, 11, 3), (64, 96, 3), (50, 70, 3)]  # the last two span several 1024-pixel chunks


# --------------------------------------------------------------------------- references

def wide(shape, seed=0, nan=np.nan):
    """float32 RGB in [-0.2, 1.2] with NaN (or ``nan``), +inf and -inf among the values."""
    x = np.random.default_rng(seed).uniform(-0.2, 1.2, shape).astype(np.float32)
    x.flat[:3] = [nan, np.inf, -np.inf]
    if x.size > 30:
        x.flat[[10, 17, 29]] = [-np.inf, nan, np.inf]
    return x


def clip01(x):
    """clip to [0, 1] with NaN -> 0, as the renderer does."""
    return np.where(x > 0, np.minimum(x, 1), 0).astype(np.float32)


def table_input(shape, a, b, seed=0):
    """Inputs whose x a + b falls within 0.3 of a whole index (so rounding is unambiguous), spanning
    below 0 and above 65535, with NaN and infinities."""
    rng = np.random.default_rng(seed)
    target = np.round(rng.uniform(-0.2, 1.2, shape) * 65535) + rng.uniform(-0.3, 0.3, shape)
    x = ((target - b) / a).astype(np.float32)
    x.flat[:3] = [np.nan, np.inf, -np.inf]
    return x


def table_ref(x, a, b, table):
    v = x.astype(np.float64) * a + b
    index = np.floor(np.where(v > 0, np.minimum(v, 65535), 0) + 0.5).astype(np.int64)
    return table[index] if table.ndim == 1 else table[index, np.arange(3)]


def saturation_ref(x, grid):
    """New S bilinear on the (nv, ns) grid, hue and value kept: c' = V - (S'/S)(V - c)."""
    nv, ns = grid.shape
    p = clip01(x).astype(np.float64)
    v, m = p.max(-1), p.min(-1)
    s = np.where(v > 0, (v - m) / np.where(v > 0, v, 1), 0)
    fs, fv = s * (ns - 1), v * (nv - 1)
    i, j = np.minimum(fs.astype(int), ns - 2), np.minimum(fv.astype(int), nv - 2)
    ws, wv, g = fs - i, fv - j, grid.astype(np.float64)
    lo = g[j, i] + ws * (g[j, i + 1] - g[j, i])
    hi = g[j + 1, i] + ws * (g[j + 1, i + 1] - g[j + 1, i])
    k = np.where(s > 0, (lo + wv * (hi - lo)) / np.where(s > 0, s, 1), 0)[..., None]
    return (v[..., None] - k * (v[..., None] - p)).astype(np.float32)


def scaled_grid(factor, ns=2049, nv=65):
    """The grid of S' = min(factor S, 1): rows V, columns S."""
    s = np.linspace(0, 1, ns, dtype=np.float32)
    return np.ascontiguousarray(np.tile(np.minimum(factor * s, 1), (nv, 1)), dtype=np.float32)


def saturation_cv2(x, factor):
    hsv = cv2.cvtColor(clip01(x), cv2.COLOR_RGB2HSV)
    hsv[..., 1] = np.minimum(hsv[..., 1] * factor, 1)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


def field_ref(x, f, g, k):
    out = clip01(x)
    if f is not None:
        out = out * (f if f.ndim == 3 else f[..., None])
    if g is not None:
        out = out + np.float32(k) * (g if g.ndim == 3 else g[..., None])
    return out


def hue_ref(x, table, steps, changes):
    """HSV changes by hue, straightforwardly: OpenCV's HSV round trip, in between the row of the
    table for the step each hue falls in (hue shift and its rise, S factor, V factor - 1)."""
    hsv = cv2.cvtColor(clip01(x), cv2.COLOR_RGB2HSV)
    h, s, v = (hsv[..., k].astype(np.float64) for k in range(3))
    where = hsv[..., 0] * np.float32(steps / 360.0)
    i = np.minimum(where.astype(int), steps)
    row = table[i].astype(np.float64)
    if changes & 1:
        h = h + row[..., 0] + row[..., 1] * (where - i)
    if changes & 4:
        v = np.minimum(v * (1 + row[..., 3] * s), 1)
    if changes & 2:
        s = np.minimum(s * row[..., 2], 1)
    return cv2.cvtColor(np.stack([h % 360, s, v], axis=-1).astype(np.float32), cv2.COLOR_HSV2RGB)


def mixer_table(**sliders):
    """The colour mixer's HUE table for some of its sliders, and the changes they make."""
    table, changes = colour_mixer.table(tuple(sliders.get(name, 0) for name in colour_mixer.param_names()))
    return table, sum(bit for bit, changed in zip((1, 2, 4), changes) if changed)


def hue_stage(**sliders):
    table, changes = mixer_table(**sliders)
    return HUE, table, colour_mixer.STEPS, changes


def sharpen_ref(x, v, scale):
    ksize, sigma = sharpness._gaussian(v, scale)
    c, amount = clip01(x), amount_of(v)
    return (1 + amount) * c - amount * cv2.GaussianBlur(c, ksize, sigma)  # BORDER_REFLECT_101


def amount_of(v):
    return 0.015 * v if v > 0 else -1.0


def run(x, stages):
    return kernel.run(x, np.empty_like(x), stages)


def sharpen(x, v, scale):
    return kernel.sharpen(x, np.empty_like(x), x.shape[1], 0, sharpness.weights(v, scale), amount_of(v))


def read_only():
    a = np.zeros((4, 4, 3), np.float32)
    a.setflags(write=False)
    return a


# --------------------------------------------------------------------------- run: stages alone

@pytest.mark.parametrize("shape", SHAPES)
def test_affine_is_a_multiply_add_without_clip(shape, simd):
    x = wide(shape)
    out = run(x, [(AFFINE, 1.25, -0.125)])
    np.testing.assert_allclose(out, x * np.float32(1.25) - np.float32(0.125), rtol=1e-6, atol=1e-7)
    assert np.isnan(out.flat[0]) and out.flat[1] == np.inf and out.flat[2] == -np.inf


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("channels", [1, 3])
def test_table_reads_the_nearest_clipped_entry(shape, channels, simd):
    rng = np.random.default_rng(1)
    table = rng.random(65536 if channels == 1 else (65536, 3), dtype=np.float32)  # a wrong index shows
    a, b = 70000.0, -3000.0
    x = table_input(shape, a, b)
    out = run(x, [(TABLE, a, b, table)])
    np.testing.assert_array_equal(out, table_ref(x, a, b, table))
    top = table[-1] if channels == 1 else table[-1, 1]
    assert out.flat[0] == (table[0] if channels == 1 else table[0, 0]) and out.flat[1] == top  # NaN, +inf


@pytest.mark.parametrize("shape", SHAPES)
def test_saturation_matches_an_hsv_round_trip(shape, simd):
    x = wide(shape, seed=2)
    for factor in (0.4, 1.5):
        out = run(x, [(SATURATION, scaled_grid(factor), 2049, 65)])
        np.testing.assert_allclose(out, saturation_cv2(x, factor), atol=1e-3)


@pytest.mark.parametrize("shape", SHAPES)
def test_saturation_identity_grid_and_greys_are_exact(shape, simd):
    x = wide(shape, seed=3)
    x[0, -1] = [0.3, 0.3, 0.3]
    np.testing.assert_allclose(run(x, [(SATURATION, scaled_grid(1.0), 2049, 65)]), clip01(x), atol=1e-6)
    boosted = run(x, [(SATURATION, scaled_grid(3.0), 2049, 65)])
    np.testing.assert_array_equal(boosted[0, -1], np.float32([0.3, 0.3, 0.3]))


@pytest.mark.parametrize("shape", SHAPES)
def test_saturation_reads_the_grid_bilinearly_rows_v_columns_s(shape, simd):
    grid = np.random.default_rng(4).random((5, 9), dtype=np.float32)  # nv = 5 rows, ns = 9 columns
    x = wide(shape, seed=4)
    np.testing.assert_allclose(run(x, [(SATURATION, grid, 9, 5)]), saturation_ref(x, grid), atol=1e-5)


@pytest.mark.parametrize("pixel_kernel", ["compiled"], indirect=True)  # the fallback has no levels
def test_every_level_of_vector_code_gives_the_same_saturation(pixel_kernel):
    """The AVX-512 pass, the AVX2 gathers and the portable loops do the same arithmetic in the same
    order (any pixel count: the vector passes leave the last few pixels to the portable loop)."""
    grid = np.random.default_rng(7).random((65, 2049), dtype=np.float32)
    results = []
    for shape in [(1, 1, 3), (3, 7, 3), (17, 61, 3), (64, 96, 3)]:
        x = wide(shape, seed=8)
        for level in (4, 3, 0):
            kernel.use_simd(level)
            results.append(run(x, [(SATURATION, grid, 2049, 65)]))
        kernel.use_simd(4)
        np.testing.assert_allclose(results[-3], results[-1], atol=1e-6)
        np.testing.assert_allclose(results[-2], results[-1], atol=1e-6)
        assert not np.isnan(results[-3]).any()


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("fc, gc", [(None, None), (1, None), (None, 3), (1, 3), (3, 1), (3, 3)])
def test_field_is_clip_times_f_plus_k_g(shape, fc, gc, simd):
    rng = np.random.default_rng(5)
    h, w = shape[:2]

    def plane(c):
        return None if c is None else rng.uniform(0.3, 1.2, (h, w) if c == 1 else (h, w, 3)).astype(np.float32)

    x, f, g = wide(shape, seed=5), plane(fc), plane(gc)
    np.testing.assert_allclose(run(x, [(FIELD, f, g, 0.7)]), field_ref(x, f, g, 0.7), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(
    "sliders",
    [{"green_hue": 60, "blue_saturation": 40, "red_luminance": -30}, {"aqua_hue": -100, "yellow_hue": 100},
     {"magenta_saturation": -100, "orange_luminance": 100}, {"purple_hue": 80, "red_saturation": 100}],
)
def test_hue_stage_is_an_hsv_round_trip_with_the_tables_row_for_each_hue(shape, sliders, simd):
    x = wide(shape, seed=11)
    x[0, -1] = [0.4, 0.4, 0.4]  # a grey: its hue means nothing, it stays grey
    table, changes = mixer_table(**sliders)
    out = run(x, [(HUE, table, colour_mixer.STEPS, changes)])
    np.testing.assert_allclose(out, hue_ref(x, table, colour_mixer.STEPS, changes), atol=2e-5)
    np.testing.assert_allclose(out[0, -1], [0.4, 0.4, 0.4], atol=1e-6)
    assert np.isfinite(out).all() and out.min() >= 0 and out.max() <= 1


@pytest.mark.parametrize("shape", SHAPES)
def test_matrix_stage_is_a_3x3_product_without_clip(shape, simd):
    x = wide(shape, seed=12)
    x[~np.isfinite(x)] = 0.5  # inf times a zero weight is NaN in any implementation
    m = ((1.2, -0.1, -0.1), (0.05, 0.9, 0.05), (-0.02, -0.3, 1.4))
    out = run(x, [(MATRIX, m)])
    np.testing.assert_allclose(out, x @ np.float32(m).T, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("k, mid", [(0.8, 1), (-1.0, 1), (-0.6, 0)])
def test_detail_adds_the_local_contrast_of_a_base_layer(shape, k, mid, simd):
    rng = np.random.default_rng(14)
    x = wide(shape, seed=14)
    x[~np.isfinite(x)] = 0.25  # the luma of a NaN pixel is its own business: not part of the contract
    a = rng.uniform(0, 1, shape[:2]).astype(np.float32)
    b = rng.uniform(-0.2, 0.5, shape[:2]).astype(np.float32)
    weights = (0.2126, 0.7152, 0.0722)
    y = np.clip(x @ np.float32(weights), 0, 1)
    base = a * y + b
    change = k * (y - base) * (4 * base * (1 - base) if mid else 1)
    out = run(x, [(DETAIL, a, b, k, weights, mid)])
    np.testing.assert_allclose(out, np.clip(clip01(x) + change[..., None], 0, 1), atol=2e-6)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("present", [(True, True, True), (True, False, False), (False, True, True)])
def test_planes_add_a_matrix_times_the_planes_then_clip(shape, present, simd):
    rng = np.random.default_rng(15)
    x = wide(shape, seed=15)
    planes = [rng.uniform(-0.3, 0.3, shape[:2]).astype(np.float32) if p else None for p in present]
    m = ((1.0, 0.0, 1.0), (1.0, -0.1, -0.3), (1.0, 1.0, 0.0))
    change = sum(np.float32(m)[:, i] * plane[..., None] for i, plane in enumerate(planes) if plane is not None)
    out = run(x, [(PLANES, tuple(planes), m)])
    np.testing.assert_allclose(out, np.clip(clip01(x) + change, 0, 1), atol=1e-6)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("a, b, lo, invert", [(0.6, 0.4, 0.1, 1), (1.0, 0.0, 0.1, 1), (0.3, 0.55, 0.0, 0)])
def test_toward_mixes_with_a_colour_by_a_weight_from_a_plane(shape, a, b, lo, invert, simd):
    x = wide(shape, seed=16)
    t = np.random.default_rng(16).uniform(0, 1, shape[:2]).astype(np.float32)
    colour = np.float32([0.8, 0.85, 0.9])
    w = a * t + b
    if invert:
        w = 1 / np.maximum(w, lo)
    expected = np.clip(colour + (clip01(x) - colour) * w[..., None], 0, 1)
    out = run(x, [(TOWARD, t, a, b, lo, tuple(float(c) for c in colour), invert)])
    np.testing.assert_allclose(out, expected, atol=2e-6)


@pytest.mark.parametrize("shape", SHAPES + [(3, 7, 3), (17, 61, 3)])  # any pixel count: the last few under a mask
def test_save_and_mix_mix_each_masked_stage_with_its_input_by_a_weight_per_pixel(shape, simd):
    """Two masked nodes in one Program (a curve and a saturation map), among unmasked stages:
    each MIX gives saved + w (x - saved) with the pixels its SAVE kept, w per pixel."""
    x = wide(shape, seed=17, nan=0.3)
    rng = np.random.default_rng(17)
    w1, w2 = (rng.uniform(0, 1, shape[:2]).astype(np.float32) for _ in range(2))
    w1.flat[:2], w2.flat[-2:] = 0.0, 1.0
    ramp = np.linspace(0, 1, 65536, dtype=np.float32)
    before, after = (AFFINE, 1.1, -0.05), (AFFINE, 0.9, 0.02)
    curve, saturation = (TABLE, 65535.0, 0.0, np.ascontiguousarray(ramp**0.7)), (SATURATION, scaled_grid(1.6), 2049, 65)

    def masked(image, stage, w):
        result = run(image, [stage])
        with np.errstate(invalid="ignore"):  # the infinities of wide(): inf - inf, as in the kernel
            return image + w[..., None] * (result - image)

    expected = masked(run(masked(run(x, [before]), curve, w1), [after]), saturation, w2)
    out = run(x, [before, (SAVE,), curve, (MIX, w1), after, (SAVE,), saturation, (MIX, w2)])
    np.testing.assert_allclose(out, expected, atol=1e-6)


# --------------------------------------------------------------------------- run: chains, in place, chunks

def chain(shape, seed=6):
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 1, 65536, dtype=np.float32)
    curve = np.stack([0.05 + 0.9 * ramp ** 2, ramp, 1 - 0.5 * ramp], axis=1)
    f = rng.uniform(0.5, 1.0, shape[:2]).astype(np.float32)
    g = rng.uniform(-0.1, 0.1, shape).astype(np.float32)
    grid = scaled_grid(1.5)
    stages = [(AFFINE, 1.1, -0.05), (TABLE, 65535.0, 0.0, curve), (SATURATION, grid, 2049, 65), (FIELD, f, g, 0.5)]
    x = wide(shape, seed)
    ref = x * np.float32(1.1) - np.float32(0.05)
    ref = saturation_ref(table_ref(ref, 65535.0, 0.0, curve), grid)
    return x, stages, field_ref(ref, f, g, 0.5)


@pytest.mark.parametrize("shape", SHAPES)
def test_a_chain_of_every_kind_equals_the_stages_one_by_one(shape, simd):
    x, stages, ref = chain(shape)
    np.testing.assert_allclose(run(x, stages), ref, atol=1e-4)  # a 16-bit table step at most, times the slopes


def every_stage_kind(shape, seed=9):
    """Tables (one for all channels, one per channel), saturation, a multiply-add, colour offsets,
    fields with one value per pixel and with three, another saturation: the slider's tail and
    more, for the AVX-512 pass that runs a whole Program split into channel vectors."""
    rng = np.random.default_rng(seed)
    f1 = rng.uniform(0.5, 1.0, shape[:2]).astype(np.float32)
    g1 = rng.normal(0, 1, shape[:2]).astype(np.float32)
    g3 = rng.uniform(-0.1, 0.1, shape).astype(np.float32)
    grid = np.random.default_rng(seed + 1).random((65, 2049), dtype=np.float32)
    ramp = np.linspace(0, 1, 65536, dtype=np.float32)
    per_channel = np.ascontiguousarray(np.stack([ramp ** 0.8, ramp, 0.1 + 0.8 * ramp], axis=1))
    # HUE first, MATRIX near the end: where the levels round a value an ulp apart (contracted multiply-adds),
    # a hue or a table index on a step's edge would read the next step
    return [hue_stage(green_hue=50, blue_saturation=-40, red_luminance=30),
            (TABLE, 65535.0 * 1.1, -300.0, np.ascontiguousarray(ramp ** 1.2)), (TABLE, 65535.0, 0.0, per_channel),
            (SATURATION, grid, 2049, 65), (AFFINE, 1.05, -0.02),
            (CLIPPED_AFFINE, 1.0, 0.0, (1.1, 1.0, 0.9), (0.0, 0.02, 0.01)),
            (CLIPPED_AFFINE, 0.9, 0.05, (1.0, 0.95, 1.05), (0.01, 0.0, -0.01)),
            (FIELD, None, g1, 0.05), (FIELD, f1, None, 1.0), (FIELD, f1, g1, -0.02),
            (FIELD, None, g3, 0.5), (SATURATION, scaled_grid(0.7), 2049, 65), (FIELD, f1, None, 1.0),
            (FIELD, f1, g1, 0.02), (DETAIL, f1, g1 * 0.1, 0.7, (0.3, 0.6, 0.1), 1),
            (PLANES, (g1 * 0.1, None, f1 * 0.1), ((1.0, 0.0, 1.0), (1.0, -0.1, -0.3), (1.0, 1.0, 0.0))),
            (TOWARD, f1, 0.7, 0.3, 0.1, (0.8, 0.85, 0.9), 1),
            (MATRIX, ((1.1, -0.05, -0.05), (0.02, 0.96, 0.02), (0.0, -0.1, 1.1))),
            (FIELD, f1, None, 1.0)]


@pytest.mark.parametrize("shape", SHAPES + [(3, 7, 3), (17, 61, 3)])  # any pixel count: the last few under a mask
def test_a_program_in_one_pass_gives_what_its_stages_give_one_by_one(shape, pixel_kernel):
    x = wide(shape, seed=10)
    stages = every_stage_kind(shape)
    results = {}
    for level in (4, 3, 0):
        kernel.use_simd(level)
        results[level] = run(x, stages)
        one_by_one = x
        for stage in stages:
            one_by_one = run(one_by_one, [stage])
        np.testing.assert_allclose(results[level], one_by_one, atol=1e-6)
    kernel.use_simd(4)
    for level in (4, 3):
        np.testing.assert_allclose(results[level], results[0], atol=1e-6)
    assert np.isfinite(results[4]).all()


@pytest.mark.parametrize("shape", SHAPES)
def test_in_place_equals_separate_arrays(shape, pixel_kernel):
    x, stages, _ = chain(shape)
    separate = run(x, stages)
    same = x.copy()
    assert kernel.run(same, same, stages) is same
    np.testing.assert_array_equal(same, separate)


def test_fields_keep_their_place_across_chunks(simd):
    h, w = 50, 70  # 3500 pixels: three full chunks of 1024 and a partial one
    x = np.full((h, w, 3), 0.5, np.float32)
    f = (np.arange(h * w, dtype=np.float32) / (h * w)).reshape(h, w)  # a different value per pixel
    g = np.arange(h * w * 3, dtype=np.float32).reshape(h, w, 3)
    out = run(x, [(FIELD, f, None, 0.0), (FIELD, None, g, 1.0)])
    np.testing.assert_array_equal(out, 0.5 * f[..., None] + g)


# --------------------------------------------------------------------------- run: errors

X = np.zeros((4, 4, 3), np.float32)
RUN_ERRORS = {
    "float64 image": (lambda: kernel.run(X.astype(np.float64), X.copy(), []), TypeError),
    "float64 output": (lambda: kernel.run(X, X.astype(np.float64), []), TypeError),
    "output of another size": (lambda: kernel.run(X, np.zeros((4, 5, 3), np.float32), []), ValueError),
    "not RGB": (lambda: kernel.run(np.zeros(8, np.float32), np.zeros(8, np.float32), []), ValueError),
    "short table": (lambda: run(X, [(TABLE, 1.0, 0.0, np.zeros(65535, np.float32))]), ValueError),
    "float64 table": (lambda: run(X, [(TABLE, 1.0, 0.0, np.zeros(65536))]), TypeError),
    "saturation grid mismatch": (lambda: run(X, [(SATURATION, np.zeros(20, np.float32), 5, 5)]), ValueError),
    "saturation grid too small": (lambda: run(X, [(SATURATION, np.zeros(5, np.float32), 5, 1)]), ValueError),
    "field of the wrong size": (lambda: run(X, [(FIELD, np.ones((4, 5), np.float32), None, 0.0)]), ValueError),
    "unknown stage kind": (lambda: run(X, [(99, 1.0, 0.0)]), ValueError),
    "detail plane of the wrong size": (lambda: run(X, [(DETAIL, np.ones(15, np.float32), np.ones(16, np.float32), 1.0,
                                                         (0.3, 0.6, 0.1), 1)]), ValueError),
    "matrix of two rows": (lambda: run(X, [(MATRIX, ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0)))]), TypeError),
    "hue table of the wrong size": (lambda: run(X, [(HUE, np.zeros((8, 4), np.float32), 8, 1)]), ValueError),
    "hue table without steps": (lambda: run(X, [(HUE, np.zeros((1, 4), np.float32), 0, 1)]), ValueError),
    "plane of the wrong size": (lambda: run(X, [(PLANES, (np.ones(15, np.float32), None, None), ((1, 0, 0),) * 3)]),
                                ValueError),
    "weight plane of the wrong size": (lambda: run(X, [(TOWARD, np.ones(15, np.float32), 1.0, 0.0, 0.1, (0.5,) * 3, 1)]),
                                       ValueError),
    "mix without a save": (lambda: run(X, [(MIX, np.ones(16, np.float32)), (SAVE,)]), ValueError),
    "mask weights of the wrong size": (lambda: run(X, [(SAVE,), (MIX, np.ones(15, np.float32))]), ValueError),
    "float64 mask weights": (lambda: run(X, [(SAVE,), (MIX, np.ones(16))]), TypeError),
    "two planes": (lambda: run(X, [(PLANES, (None, None), ((1, 0, 0),) * 3)]), TypeError),
    "stage not a tuple": (lambda: run(X, [[AFFINE, 1.0, 0.0]]), TypeError),
    "stage missing values": (lambda: run(X, [(AFFINE, 1.0)]), TypeError),
    "read-only output": (lambda: kernel.run(X, read_only(), []), (BufferError, ValueError)),
    "strided image": (lambda: kernel.run(np.zeros((4, 8, 3), np.float32)[:, ::2], X, []), (BufferError, ValueError)),
}


@pytest.mark.parametrize("case", list(RUN_ERRORS))
def test_run_rejects_bad_arguments_cleanly(case, pixel_kernel):
    call, error = RUN_ERRORS[case]
    with pytest.raises(error):
        call()


# --------------------------------------------------------------------------- sharpen

@pytest.mark.parametrize("shape", [(7, 11, 3), (64, 96, 3)])
@pytest.mark.parametrize("v, scale", [(30, 1.0), (100, 1.0), (30, 0.3), (100, 0.3), (-40, 1.0), (-40, 0.3)])
def test_sharpen_matches_opencv(shape, v, scale, pixel_kernel):
    x = wide(shape, seed=7)
    np.testing.assert_allclose(sharpen(x, v, scale), sharpen_ref(x, v, scale), atol=1e-5)


@pytest.mark.parametrize("shape", [(1, 1, 3), (2, 5, 3), (3, 4, 3), (30, 2, 3)])
@pytest.mark.parametrize("v", [100, -40])
def test_sharpen_on_images_smaller_than_the_kernel(shape, v, pixel_kernel):
    x = wide(shape, seed=8)
    np.testing.assert_allclose(sharpen(x, v, 1.0), sharpen_ref(x, v, 1.0), atol=1e-5)


@pytest.mark.parametrize("y0, y1", [(0, 9), (20, 37), (50, 64), (0, 64)])
@pytest.mark.parametrize("v", [100, -40])
def test_sharpen_rows_of_a_block_with_halo_equal_the_whole(y0, y1, v, pixel_kernel):
    x = wide((64, 96, 3), seed=9)
    whole = sharpen(x, v, 1.0)
    w = sharpness.weights(v, 1.0)
    top, bottom = max(y0 - len(w) // 2, 0), min(y1 + len(w) // 2, 64)
    block = np.ascontiguousarray(x[top:bottom])
    out = np.empty((y1 - y0, 96, 3), np.float32)
    assert kernel.sharpen(block, out, 96, y0 - top, w, amount_of(v)) is out
    np.testing.assert_array_equal(out, whole[y0:y1])


W5 = np.full(5, 0.2, np.float32)
SHARPEN_ERRORS = {
    "even weights": (lambda: kernel.sharpen(X, X.copy(), 4, 0, np.full(4, 0.25, np.float32), 1.0), ValueError),
    "rows beyond the image": (lambda: kernel.sharpen(X, np.zeros((2, 4, 3), np.float32), 4, 3, W5, 1.0), ValueError),
    "negative first row": (lambda: kernel.sharpen(X, np.zeros((2, 4, 3), np.float32), 4, -1, W5, 1.0), ValueError),
    "output taller": (lambda: kernel.sharpen(X, np.zeros((5, 4, 3), np.float32), 4, 0, W5, 1.0), ValueError),
    "width not dividing": (lambda: kernel.sharpen(X, X.copy(), 5, 0, W5, 1.0), ValueError),
    "zero width": (lambda: kernel.sharpen(X, X.copy(), 0, 0, W5, 1.0), ValueError),
    "too many weights": (lambda: kernel.sharpen(X, X.copy(), 4, 0, np.ones(257, np.float32), 1.0), ValueError),
    "float64 weights": (lambda: kernel.sharpen(X, X.copy(), 4, 0, W5.astype(np.float64), 1.0), TypeError),
    "float64 image": (lambda: kernel.sharpen(X.astype(np.float64), X.copy(), 4, 0, W5, 1.0), TypeError),
    "read-only output": (lambda: kernel.sharpen(X, read_only(), 4, 0, W5, 1.0), (BufferError, ValueError)),
}


@pytest.mark.parametrize("v, scale", [(30, 1.0), (80, 0.4), (-40, 1.0)])
def test_sharpen_into_8_bits_finishes_as_finish_does(v, scale, pixel_kernel):
    x = wide((45, 37, 3), seed=11)
    w = sharpness.weights(v, scale)
    floats = kernel.sharpen(x, np.empty((30, 37, 3), np.float32), 37, 6, w, amount_of(v))
    rgb = kernel.sharpen(x, np.empty((30, 37, 3), np.uint8), 37, 6, w, amount_of(v))
    rgbx = kernel.sharpen(x, np.zeros((30, 37, 4), np.uint8), 37, 6, w, amount_of(v))
    expected = kernel.finish(floats, np.empty((30, 37, 3), np.uint8))
    np.testing.assert_array_equal(rgb, expected)
    np.testing.assert_array_equal(rgbx[..., :3], expected)
    assert (rgbx[..., 3] == 255).all()
    with pytest.raises(ValueError, match="wrong size"):
        kernel.sharpen(x, np.empty((30, 37, 2), np.uint8), 37, 6, w, amount_of(v))
    with pytest.raises(TypeError, match="float32, or uint8"):
        kernel.sharpen(x, np.empty((30, 37, 3), np.uint16), 37, 6, w, amount_of(v))


@pytest.mark.parametrize("case", list(SHARPEN_ERRORS))
def test_sharpen_rejects_bad_arguments_cleanly(case, pixel_kernel):
    call, error = SHARPEN_ERRORS[case]
    with pytest.raises(error):
        call()


def test_sharpen_from_two_threads_gives_correct_results(pixel_kernel):
    """The kernel lets go of the GIL: two threads computing at once must not disturb each other."""
    images = [wide((600, 800, 3), seed=s) for s in (10, 11)]
    expected = [sharpen_ref(x, 60, 1.0) for x in images]
    results: dict[int, list] = {0: [], 1: []}

    def work(i):
        for _ in range(3):
            results[i].append(sharpen(images[i], 60, 1.0))

    threads = [threading.Thread(target=work, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads)
    for i in (0, 1):
        assert len(results[i]) == 3
        for out in results[i]:
            np.testing.assert_allclose(out, expected[i], atol=1e-5)


# --------------------------------------------------------------------------- pointops Programs on real nodes

def real_nodes():
    return [
        make_node("exposure", {"value": 20}),
        make_node("highlights", {"value": -30}),
        make_node("grain", {"value": 40}, version=1),
        make_node("saturation", {"value": 25}),
        make_node("vignette", {"value": 50}),
        make_node("grain", {"value": 30}, version=2),
        make_node("vignette", {"value": -35}),
    ]


def test_a_program_equals_the_nodes_one_by_one(pixel_kernel):
    nodes, x = real_nodes(), wide((64, 96, 3), seed=12, nan=0.4)  # numpy ops keep NaN; the kernel reads 0
    expected = x
    for node in nodes:
        expected = apply_node(expected, node, 1.0)
    np.testing.assert_allclose(pointops.program(nodes, 1.0).run(x), expected, atol=1e-3)


@pytest.mark.parametrize("y0, y1", [(0, 16), (5, 29), (40, 64)])
def test_a_program_over_a_strip_equals_those_rows_of_the_whole(y0, y1, pixel_kernel):
    prog, x = pointops.program(real_nodes(), 1.0), wide((64, 96, 3), seed=13, nan=0.4)
    whole = prog.run(x)
    strip = prog.run(np.ascontiguousarray(x[y0:y1]), frame=(64, 96), origin=y0)
    np.testing.assert_array_equal(strip, whole[y0:y1])
    out = np.empty((y1 - y0, 96, 3), np.float32)  # rows of a strip with context, written into out
    top = max(y0 - 3, 0)
    assert prog.run(x[top:y1], frame=(64, 96), origin=top, out=out, out_offset=y0 - top) is out
    np.testing.assert_array_equal(out, whole[y0:y1])


# --------------------------------------------------------------------------- finish, clipped affine

def test_finish_writes_floats_8_16_bits_and_rgbx_exactly(pixel_kernel):
    x = wide((9, 13, 3), seed=4)
    clipped = clip01(x)
    for dtype, levels in ((np.uint8, 255), (np.uint16, 65535)):
        out = np.empty(x.shape, dtype)
        kernel.finish(x, out)
        np.testing.assert_array_equal(out, np.rint(clipped * np.float32(levels)).astype(dtype))
    floats = np.empty_like(x)
    np.testing.assert_array_equal(kernel.finish(x, floats), clipped)
    rgbx = np.zeros((9, 13, 4), np.uint8)
    kernel.finish(x, rgbx)
    np.testing.assert_array_equal(rgbx[..., :3], np.rint(clipped * np.float32(255)).astype(np.uint8))
    assert (rgbx[..., 3] == 255).all()
    with pytest.raises(TypeError):
        kernel.finish(x, np.empty(x.shape, np.float64))
    with pytest.raises(ValueError):
        kernel.finish(x, np.empty((9, 13, 2), np.uint8))


def test_clipped_affine_is_a_clip_then_a_multiply_add_per_channel(simd):
    x = wide((7, 11, 3), seed=5)
    scale, offset = (1.0, 0.5, -2.0), (0.1, -0.2, 0.3)
    out = kernel.run(x, np.empty_like(x), [(CLIPPED_AFFINE, 1.5, -0.1, scale, offset)])
    expected = clip01(x * np.float32(1.5) - np.float32(0.1)) * np.float32(scale) + np.float32(offset)
    np.testing.assert_allclose(out, expected, atol=1e-6)
    with pytest.raises(TypeError):
        kernel.run(x, np.empty_like(x), [(CLIPPED_AFFINE, 1.5, -0.1, (1.0, 2.0), offset)])


def test_the_stage_kinds_are_the_compiled_kernels():
    """_kernel.c owns the numbers of run()'s stage kinds (it exports them); the numpy fallback
    mirrors them and kernel.py hands them to pointops and the ops."""
    from iea_desktop.core import kernel_fallback

    if kernel.compiled is None:
        pytest.skip("the compiled kernel is not built here")
    names = ("AFFINE", "TABLE", "SATURATION", "FIELD", "CLIPPED_AFFINE", "MATRIX", "HUE", "DETAIL", "PLANES", "TOWARD",
             "SAVE", "MIX")
    assert [getattr(kernel, n) for n in names] == [getattr(kernel.compiled, n) for n in names]
    assert [getattr(kernel_fallback, n) for n in names] == [getattr(kernel.compiled, n) for n in names]


def test_a_kernel_built_from_an_older_source_is_not_used(monkeypatch):
    """A build that predates the exported stage kinds says so (doctor) and the fallback runs."""
    import sys
    import types

    import iea_desktop.core as core

    old = types.ModuleType("iea_desktop.core._kernel")  # run() and friends, but no stage kinds
    monkeypatch.delenv("IEA_KERNEL", raising=False)
    monkeypatch.setitem(sys.modules, "iea_desktop.core._kernel", old)
    monkeypatch.setattr(core, "_kernel", old, raising=False)
    module, why = kernel._load_compiled()
    assert module is None and "older core/_kernel.c" in why
