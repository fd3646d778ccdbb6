"""Fidelity of the reference-exact IEA renderer (``render_iea_exact``) against the spec.

Spec: /work/shared/design/iea-tools.md ("The 16 IEA tools: exact semantics").

(a) fidelity target: production vs the independent literal reference in
    ``tests/iea_reference.py`` on Kodak photos, each tool alone and fixed-seed random
    combinations of 3-5 tools; grain compared by its statistics.
(b) hand-checked values on tiny synthetic images, expected numbers written literally
    (worked out from the formulas; derivations in the comments), for both renderers.
(c) the reference's "no edit" quirk (8-bit HSV round trip even at all zeros).
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

_TESTS_DIR = Path(__file__).resolve().parents[1]
if str(_TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(_TESTS_DIR))

from iea_reference import TOOLS, reference_render  # noqa: E402

PHOTO_NAMES = ("kodim03", "kodim14", "kodim23")  # tests/photos: 384x256, the Kodak originals halved

SPEC_VALUES = (-100, -50, -25, 25, 50, 100)
# A few extra values whose coefficients are not exact binary fractions.
EXTRA_VALUES = (-77, -13, -1, 1, 7, 33)
NON_GRAIN_TOOLS = tuple(t for t in TOOLS if t != "grain")


# --------------------------------------------------------------------------- helpers


def _production():
    # Imported lazily so that the reference-only tests run before the module exists.
    from iea_desktop.core.iea_exact import render_iea_exact

    return render_iea_exact


def _render_prod(image, values, seed=0):
    out = _production()(image.copy(), dict(values), seed=seed)
    out = np.asarray(out)
    assert out.dtype == np.uint8, f"render_iea_exact returned {out.dtype}, expected uint8"
    assert out.shape == image.shape, f"render_iea_exact returned {out.shape}, expected {image.shape}"
    return out


def _render_ref(image, values, seed=0):
    return reference_render(image.copy(), dict(values), rng=np.random.default_rng(seed))


RENDERERS = {"reference": _render_ref, "production": _render_prod}


@pytest.fixture(params=sorted(RENDERERS))
def render(request):
    return RENDERERS[request.param]


@pytest.fixture(scope="module")
def photos(photos_dir):
    """[(name, read-only uint8 RGB image)] for the Kodak photos, read once per module."""
    loaded = []
    for name in PHOTO_NAMES:
        path = photos_dir / f"{name}.webp"
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            raise FileNotFoundError(path)
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        rgb.setflags(write=False)
        loaded.append((name, rgb))
    return loaded


def _describe_mismatch(image, ref, prod, label):
    d = prod.astype(np.int16) - ref.astype(np.int16)
    ad = np.abs(d)
    y, x, c = np.unravel_index(int(np.argmax(ad)), ad.shape)
    return (
        f"{label}: max|diff|={int(ad.max())}, within 1 level={np.mean(ad <= 1):.4%}, "
        f"exact={np.mean(ad == 0):.4%}, MAD={ad.mean():.4f}, mean diff={d.mean():+.4f}; "
        f"worst pixel (y={y}, x={x}, ch={'RGB'[c]}): input={image[y, x].tolist()} "
        f"reference={ref[y, x].tolist()} production={prod[y, x].tolist()}"
    )


def _assert_fidelity(image, values, label):
    ref = _render_ref(image, values)
    prod = _render_prod(image, values)
    ad = np.abs(prod.astype(np.int16) - ref.astype(np.int16))
    within1 = float(np.mean(ad <= 1))
    mad = float(ad.mean())
    assert within1 >= 0.99 and mad < 0.5, _describe_mismatch(image, ref, prod, label)


# --------------------------------------------------------------------------- (a) fidelity


@pytest.mark.parametrize("value", SPEC_VALUES + EXTRA_VALUES)
@pytest.mark.parametrize("tool", NON_GRAIN_TOOLS)
def test_fidelity_single_tool(tool, value, photos):
    for name, image in photos:
        _assert_fidelity(image, {tool: value}, f"{name} {{{tool!r}: {value}}}")


def _random_combos(n=32, seed=20240607):
    rng = random.Random(seed)
    combos = []
    for _ in range(n):
        k = rng.randint(3, 5)
        tools = rng.sample(NON_GRAIN_TOOLS, k)
        vals = {}
        for t in tools:
            v = 0
            while v == 0:
                v = rng.randint(-100, 100)
            vals[t] = v
        # Shuffle the dict order: the renderers must apply canonical order, not dict order.
        items = list(vals.items())
        rng.shuffle(items)
        combos.append(dict(items))
    return combos


COMBOS = _random_combos()


@pytest.mark.parametrize("combo", COMBOS, ids=[f"combo{i:02d}" for i in range(len(COMBOS))])
def test_fidelity_random_combination(combo, photos):
    for name, image in photos:
        _assert_fidelity(image, combo, f"{name} {combo}")


@pytest.mark.parametrize("value", (25, 50, 100))
def test_grain_statistics_match_reference(value, photos):
    """Grain is unseeded in the reference: compare the statistics of (grain - no grain)."""
    for name, image in photos[:2]:
        ref_d = _render_ref(image, {"grain": value}, seed=1).astype(np.float64) - _render_ref(
            image, {}
        )
        prod_d = _render_prod(image, {"grain": value}, seed=1).astype(np.float64) - _render_prod(
            image, {}
        )
        label = (
            f"{name} grain={value}: production diff mean={prod_d.mean():+.3f} "
            f"std={prod_d.std():.3f}; reference diff mean={ref_d.mean():+.3f} std={ref_d.std():.3f}"
        )
        assert abs(prod_d.mean() - ref_d.mean()) < 0.15, label
        assert abs(prod_d.std() - ref_d.std()) < 0.03 * ref_d.std(), label


@pytest.mark.parametrize("value", (10, 25, 40))
def test_grain_statistics_match_theory(render, value):
    # Mid-grey 128 (255 * float32(128/255) == 128 exactly): no clipping within +-4 sigma for
    # v <= 40 (sigma = 0.003 v * 255 = 0.765 v levels). trunc8(128 + n) - 128 has
    # mean E[floor(n)] = -0.5 and std sqrt(sigma^2 + 1/12).
    image = np.full((256, 256, 3), 128, np.uint8)
    base = render(image, {}).astype(np.float64)
    assert (base == 128).all()
    d = render(image, {"grain": value}, seed=3).astype(np.float64) - base
    sigma = 0.765 * value
    assert abs(d.mean() - (-0.5)) < 0.05 + 4 * sigma / np.sqrt(d.size), d.mean()
    assert abs(d.std() - np.sqrt(sigma**2 + 1 / 12)) < 0.02 * sigma, d.std()


def test_grain_seeded_and_positive_only(photos):
    image = photos[0][1]
    a = _render_prod(image, {"grain": 40}, seed=7)
    b = _render_prod(image, {"grain": 40}, seed=7)
    c = _render_prod(image, {"grain": 40}, seed=8)
    assert np.array_equal(a, b), "same seed must render the same pixels"
    assert not np.array_equal(a, c), "different seeds should give different grain"
    # grain only for v > 0: negative grain is a no-op (equal to the no-edit render).
    noedit = _render_prod(image, {})
    for v in (-1, -50, -100):
        assert np.array_equal(_render_prod(image, {"grain": v}), noedit), v
        assert np.array_equal(_render_ref(image, {"grain": v}), _render_ref(image, {})), v


# --------------------------------------------------------------------------- (b) hand values


def _grey(levels, rows=1):
    a = np.asarray(levels, dtype=np.uint8)
    return np.ascontiguousarray(np.repeat(np.stack([a, a, a], axis=-1)[None], rows, axis=0))


# Grey pixels (R = G = B) survive the 8-bit HSV round trip unchanged (H = S = 0, V = level),
# so every stage-A/B tool on a grey row can be checked with plain arithmetic.
# Each case: (values, input grey levels, expected output grey levels). L = level.
GREY_CASES = [
    # exposure: L * 2^(v/100), trunc.  100*2 = 200; 101*2 = 202; 127*2 = 254; 128*2 = 256 -> 255
    ({"exposure": 100}, [100, 101, 127, 128, 200], [200, 202, 254, 255, 255]),
    # 64 * sqrt(2) = 90.51 -> 90
    ({"exposure": 50}, [64], [90]),
    # 201 / 2 = 100.5 -> 100; 200 / 2 = 100
    ({"exposure": -100}, [201, 200], [100, 100]),
    # brightness: L + 255 v / 200.  100 + 63.75 = 163.75 -> 163
    ({"brightness": 50}, [100], [163]),
    # 100 - 127.5 < 0 -> 0; 200 - 127.5 = 72.5 -> 72
    ({"brightness": -100}, [100, 200], [0, 72]),
    # contrast v=+1: k = 1.25 + 0.0075 = 1.2575; L' = 127.5 + k (L - 127.5)
    #   200 -> 127.5 + 91.16875 = 218.66875 -> 218;  50 -> 127.5 - 97.45625 = 30.04 -> 30
    #   128 -> 128.13 -> 128;  127 -> 126.87 -> 126
    ({"contrast": 1}, [200, 50, 128, 127], [218, 30, 128, 126]),
    # contrast -100: k = 0.5; 0 -> 63.75 -> 63; 255 -> 191.25 -> 191
    ({"contrast": -100}, [0, 255], [63, 191]),
    # contrast 0 is skipped (k(0) = 1.25 would give 218.125 -> 218 for 200)
    ({"contrast": 0}, [200, 50], [200, 50]),
    # fade +50: s = 0.3; L1 = L + 0.3 (255 - L); L2 = 127.5 + 0.85 (L1 - 127.5)
    #   0 -> 76.5 -> 84.15 -> 84; 255 -> 235.875 -> 235; 100 -> 146.5 -> 143.65 -> 143
    ({"fade": 50}, [0, 255, 100], [84, 235, 143]),
    # whites +50: s = 0.4; 1.4 L: 100 -> 140; 101 -> 141.4 -> 141; 200 -> 280 -> 255
    ({"whites": 50}, [100, 101, 200], [140, 141, 255]),
    # whites -100: 0.2 L: 255 -> 51; 254 -> 50.8 -> 50
    ({"whites": -100}, [255, 254], [51, 50]),
    # blacks +50: L + 0.4 (255 - L): 0 -> 102; 100 -> 162; 101 -> 162.6 -> 162
    ({"blacks": 50}, [0, 100, 101], [102, 162, 162]),
    # blacks -100: L - 0.8 (255 - L) = 1.8 L - 204: 200 -> 156; 113 -> -0.6 -> 0; 150 -> 66
    ({"blacks": -100}, [200, 113, 150], [156, 0, 66]),
    # highlights +100: L + 0.8 L (255 - L) / 255: 128 -> 128 + 50.9992 = 178.999 -> 178
    ({"highlights": 100}, [128, 0, 255], [178, 0, 255]),
    # alias lightness -> highlights
    ({"lightness": 100}, [128], [178]),
    # shadows +100: 255 (y + 0.8 (1 - y^2)(1 - y)): 0 -> 204; 51 (y=0.2) -> 255*0.8144 = 207.67
    ({"shadows": 100}, [0, 51], [204, 207]),
    # natural_contrast +10 (f = 1): 255 / (1 + exp(-(L - 128)/255)):
    #   128 -> 127.5 -> 127; 0 -> 255/2.65196 = 96.16 -> 96; 255 -> 255/1.60772 = 158.61
    ({"natural_contrast": 10}, [128, 0, 255], [127, 96, 158]),
    # natural_contrast -100 (f = -10) inverts: 0 -> 255/(1+exp(-5.0196)) = 253.33;
    #   255 -> 255/(1+exp(4.9804)) = 1.74
    ({"natural_contrast": -100}, [0, 255], [253, 1]),
    # clamping: 150 -> 100, -1000 -> -100
    ({"exposure": 150}, [100], [200]),
    ({"whites": -1000}, [255, 254], [51, 50]),
]


@pytest.mark.parametrize(
    "values,levels,expected", GREY_CASES, ids=[repr(c[0]) for c in GREY_CASES]
)
def test_hand_grey_levels(render, values, levels, expected):
    out = render(_grey(levels), values)
    assert out[0].tolist() == [[e, e, e] for e in expected]


def test_hand_negative_fade_float32(render):
    """Negative fade: s = 0, so x <- 0.5 + 1.0 (x - 0.5) -- identity up to float32 rounding.

    For 1 <= L <= 63, x = float32(L)/255 < 0.25, so x - 0.5 is rounded to the 2^-25 grid
    and 255 x' falls just below L: trunc8 gives L - 1.  For L >= 64 (x >= 0.25) the
    subtraction is exact (Sterbenz) and L is kept.  In float64 only 20 of those levels would
    drop (1, 2, 5, 9, 10, ...), which is what the spec's float32 warning is about.
    """
    levels = list(range(256))
    expected = [0] + [L - 1 for L in range(1, 64)] + list(range(64, 256))
    # The same thing with explicit float32 scalars, as a derivation check.
    derived = [
        int(np.float32(255) * (np.float32(0.5) + (np.float32(L) / np.float32(255) - np.float32(0.5))))
        for L in levels
    ]
    assert derived == expected
    for v in (-1, -50, -100):
        out = render(_grey(levels), {"fade": v})
        assert out[0, :, 0].tolist() == expected, v


COLOUR_CASES = [
    # temperature +50: t = 25: R + 25, G + 15, B - 25
    ({"temperature": 50}, [100, 100, 100], [125, 115, 75]),
    # temperature -100: t = -50
    ({"temperature": -100}, [100, 100, 100], [50, 70, 150]),
    # temperature +33: t = 16.5: 116.5 -> 116, 109.9 -> 109, 83.5 -> 83 (trunc8, not round8)
    ({"temperature": 33}, [100, 100, 100], [116, 109, 83]),
    # alias hue -> temperature
    ({"hue": 33}, [100, 100, 100], [116, 109, 83]),
    # temperature clips: 250 + 50 -> 255, 250 + 30 -> 255, 250 - 50 = 200
    ({"temperature": 100}, [250, 250, 250], [255, 255, 200]),
    # tint +50: G + 15
    ({"tint": 50}, [100, 100, 100], [100, 115, 100]),
    # tint +2: G + 0.6 -> round8 -> 101 (truncation would keep 100)
    ({"tint": 2}, [100, 100, 100], [100, 101, 100]),
    # tint +1: G + 0.3 -> 100
    ({"tint": 1}, [100, 100, 100], [100, 100, 100]),
    # tint +5: G + 1.5, ties to even: 10 -> 11.5 -> 12; 11 -> 12.5 -> 12; 100 -> 101.5 -> 102
    ({"tint": 5}, [10, 10, 10], [10, 12, 10]),
    ({"tint": 5}, [11, 11, 11], [11, 12, 11]),
    ({"tint": 5}, [100, 100, 100], [100, 102, 100]),
    # tint -100: G - 30 saturates at 0
    ({"tint": -100}, [20, 20, 20], [20, 0, 20]),
    # saturation -100: S -> 0, so any colour becomes grey at V = max(R, G, B)
    ({"saturation": -100}, [200, 100, 50], [200, 200, 200]),
    ({"saturation": -100}, [30, 60, 90], [90, 90, 90]),
    # (255, 155, 155): OpenCV 8-bit HSV gives H = 0, V = 255, S = 255 - 155 = 100 exactly;
    # back to RGB: (V, V (1 - S/255), V (1 - S/255)) = (255, 255 - S, 255 - S).
    # saturation -50: S = 100 * 0.5 = 50 -> (255, 205, 205)
    ({"saturation": -50}, [255, 155, 155], [255, 205, 205]),
    # saturation +100: S = 200 -> (255, 55, 55)
    ({"saturation": 100}, [255, 155, 155], [255, 55, 55]),
    # vibrance -100 == saturation -100
    ({"vibrance": -100}, [200, 100, 50], [200, 200, 200]),
    # vibrance -16 uses S + a S (a = -0.16): float32 100/255 - 0.16 * 100/255 lands on
    # 84/255 -> S = 84 -> (255, 171, 171); the S (1 + a) form, which saturation -16 uses,
    # lands just below 84/255 -> S = 83 -> (255, 172, 172).
    ({"vibrance": -16}, [255, 155, 155], [255, 171, 171]),
    ({"saturation": -16}, [255, 155, 155], [255, 172, 172]),
    # vibrance > 0 does nothing (w = 0 since V is still 0..255)
    ({"vibrance": 100}, [255, 155, 155], [255, 155, 155]),
    ({"vibrance": 100}, [200, 100, 50], [200, 100, 50]),
]


@pytest.mark.parametrize(
    "values,pixel,expected",
    COLOUR_CASES,
    ids=[f"{c[0]!r}-{c[1]}" for c in COLOUR_CASES],
)
def test_hand_colour_pixels(render, values, pixel, expected):
    image = np.array([[pixel]], dtype=np.uint8)
    assert render(image, values)[0, 0].tolist() == expected


def test_hand_vignette(render):
    # 8 x 12 image of level 201; centre (w/2, h/2) = (6, 4) is pixel [4, 6] (r = 0);
    # the largest distance is that of pixel [0, 0]: sqrt(6^2 + 4^2) = sqrt(52).
    image = np.full((8, 12, 3), 201, np.uint8)
    out = render(image, {"vignette": 50})
    # a = 50: s = 0.45, k = 0.75, g = 1.25
    assert out[4, 6].tolist() == [201, 201, 201]  # r = 0: unchanged
    # corner: r = 1 -> m = 1 -> 201 * 0.55 = 110.55 -> 110
    assert out[0, 0].tolist() == [110, 110, 110]
    # [7, 11]: r = sqrt(34/52) = 0.8086, r/k > 1 -> m = 1 -> 110
    assert out[7, 11].tolist() == [110, 110, 110]
    # [4, 3]: r = 3/sqrt(52) = 0.41603; r/k = 0.55470; m = 0.55470^1.25 = 0.47871;
    #         201 * (1 - 0.45 * 0.47871) = 201 * 0.78458 = 157.70 -> 157
    assert out[4, 3].tolist() == [157, 157, 157]
    # [4, 5]: r = 1/sqrt(52) = 0.138675; r/k = 0.1849; m = 0.1849^1.25 = 0.12121;
    #         201 * (1 - 0.45 * 0.12121) = 201 * 0.945455 = 190.04 -> 190
    assert out[4, 5].tolist() == [190, 190, 190]
    # v = +100 (s = 0.9, k = 0.5, g = 2): corner 201 * 0.1 = 20.1 -> 20
    out = render(image, {"vignette": 100})
    assert out[4, 6].tolist() == [201, 201, 201]
    assert out[0, 0].tolist() == [20, 20, 20]
    # v = -100 on level 100: corner 100 + 0.9 * (255 - 100) = 239.5 -> 239; centre kept
    out = render(np.full((8, 12, 3), 100, np.uint8), {"vignette": -100})
    assert out[4, 6].tolist() == [100, 100, 100]
    assert out[0, 0].tolist() == [239, 239, 239]
    # radial symmetry about (6, 4): [1, 2] and [7, 10] are at (dx, dy) = (-4, -3), (+4, +3).
    out = render(image, {"vignette": 37})
    assert out[1, 2].tolist() == out[7, 10].tolist()


def test_hand_sharpness_formula(render):
    # Grey image with random levels: the HSV round trip keeps it, so stage E sees the input.
    rs = np.random.RandomState(5)
    levels = rs.randint(0, 256, size=(24, 40)).astype(np.uint8)
    image = np.ascontiguousarray(np.repeat(levels[..., None], 3, axis=-1))
    # v > 0: round8((1 + s) I - s blur), s = 0.015 v, blur sigma 3, ksize (0, 0).
    # At v = 100, s = 1.5: 2.5 I - 1.5 B is exact in float32, so .5 ties occur: ties to even.
    blur = cv2.GaussianBlur(image, (0, 0), 3)
    expected = np.clip(np.rint(2.5 * image.astype(np.float64) - 1.5 * blur), 0, 255)
    assert np.array_equal(render(image, {"sharpness": 100}), expected.astype(np.uint8))
    assert np.array_equal(render(image, {"sharpen": 100}), expected.astype(np.uint8))
    blur50 = 1.75 * image.astype(np.float64) - 0.75 * blur
    assert np.array_equal(
        render(image, {"sharpness": 50}), np.clip(np.rint(blur50), 0, 255).astype(np.uint8)
    )
    # v < 0: n = int(3 + 0.12 |v|), +1 if even; sigma 0 (OpenCV's rule from n).
    #   -1 -> 3.12 -> 3;  -25 -> 6 -> 7;  -50 -> 9;  -60 -> 10.2 -> 10 -> 11;  -100 -> 15
    for v, n in ((-1, 3), (-25, 7), (-50, 9), (-60, 11), (-100, 15)):
        assert np.array_equal(
            render(image, {"sharpness": v}), cv2.GaussianBlur(image, (n, n), 0)
        ), (v, n)


def test_hand_pipeline_order(render):
    # exposure (A) before whites (B) before temperature (C):
    # 100 -> exposure +100 -> 200 -> whites -100 (0.2 L) -> 40 -> temperature +50 -> (65, 55, 15)
    image = _grey([100])
    out = render(image, {"temperature": 50, "whites": -100, "exposure": 100})
    assert out[0, 0].tolist() == [65, 55, 15]
    # brightness +50 after exposure -100 in float, no clipping inside stage A:
    # 255 / 2 + 63.75 = 191.25 -> 191 (brightness first would give 255 -> 127)
    out = render(_grey([255]), {"brightness": 50, "exposure": -100})
    assert out[0, 0].tolist() == [191, 191, 191]
    # stage A does not clip between steps: 255 * 2 = 510, then contrast -100 (k = 0.5):
    # 127.5 + 0.5 * (510 - 127.5) = 318.75 -> 255; 200 -> 400 -> 263.75 -> 255;
    # 100 -> 200 -> 163.75 -> 163.
    out = render(_grey([255, 100]), {"exposure": 100, "contrast": -100})
    assert out[0, :, 0].tolist() == [255, 163]
    # tables apply one after the other: whites +100 (1.8 L) then blacks -100 (1.8 L - 204):
    # 100 -> 180 -> 120;  200 -> 360 -> 255 -> 255
    out = render(_grey([100, 200]), {"blacks": -100, "whites": 100})
    assert out[0, :, 0].tolist() == [120, 255]


def test_unknown_tool_rejected(render):
    with pytest.raises(ValueError):
        render(_grey([100]), {"clarity": 10})


def test_aliases_and_clamping_equivalent(render, photos):
    image = photos[0][1]
    assert np.array_equal(render(image, {"sharpen": 40}), render(image, {"sharpness": 40}))
    assert np.array_equal(render(image, {"hue": -30}), render(image, {"temperature": -30}))
    assert np.array_equal(render(image, {"lightness": 60}), render(image, {"highlights": 60}))
    assert np.array_equal(render(image, {"exposure": 250}), render(image, {"exposure": 100}))
    assert np.array_equal(render(image, {"vignette": -101}), render(image, {"vignette": -100}))


def test_input_not_modified(render, photos):
    image = photos[1][1].copy()
    before = image.copy()
    render(image, {"exposure": 30, "tint": 20, "vignette": 40, "sharpness": -30})
    assert np.array_equal(image, before)


# --------------------------------------------------------------------------- (c) no edit


def test_reference_no_edit_quirk_is_lossy(photos):
    for name, image in photos:
        out = _render_ref(image, {})
        d = out.astype(np.float64) - image
        # About 0.3 level darker on average (spec), from the 8-bit HSV round trip alone.
        assert -0.4 < d.mean() < -0.2, (name, d.mean())
        expected = cv2.cvtColor(cv2.cvtColor(image, cv2.COLOR_RGB2HSV), cv2.COLOR_HSV2RGB)
        assert np.array_equal(out, expected), name
        zeros = {t: 0 for t in TOOLS}
        assert np.array_equal(_render_ref(image, zeros), out), name


def test_production_no_edit_matches_reference_quirk(photos):
    for name, image in photos:
        ref = _render_ref(image, {})
        for values in ({}, {t: 0 for t in TOOLS}, {"contrast": 0, "fade": 0, "grain": 0}):
            prod = _render_prod(image, values)
            assert np.array_equal(prod, ref), _describe_mismatch(
                image, ref, prod, f"{name} no-edit {values}"
            )
    # Synthetic: every RGB combination on a coarse grid, including greys and saturated hues.
    g = np.arange(0, 256, 15, dtype=np.uint8)
    r, gg, b = np.meshgrid(g, g, g, indexing="ij")
    cube = np.ascontiguousarray(np.stack([r, gg, b], -1).reshape(1, -1, 3))
    ref = _render_ref(cube, {})
    prod = _render_prod(cube, {})
    assert np.array_equal(prod, ref), _describe_mismatch(cube, ref, prod, "RGB cube no-edit")
