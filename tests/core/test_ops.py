"""The op registry and every operation's pixel function.

Identity at default parameters, the direction of each slider, monotonicity where the
spec asks for it (and the reference's documented jumps in version 1), clamping and rejection
of bad parameters, and the geometry ops.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from iea_desktop.core.apply_node import apply_node
from iea_desktop.core.graph import Node, make_node
from iea_desktop.core.ops import ALIASES, IEA_TOOLS, REGISTRY, OpError, RenderContext, get_op, resolve_name
from iea_desktop.core.ops import crop as crop_op
from iea_desktop.core.ops import straighten as straighten_op
from iea_desktop.core.ops.base import STAGE_ORDER
from iea_desktop.core.render import Renderer, RenderRequest

CTX = RenderContext(scale=1.0, seed=1234)
OP_VERSIONS = [(name, version) for name, spec in REGISTRY.items() for version in sorted(spec.versions)]

# The 16 IEA tools in the reference's canonical order (iea-tools.md, "Pipeline order").
CANONICAL_IEA_ORDER = (
    "exposure", "brightness", "contrast", "fade",
    "natural_contrast", "highlights", "shadows", "whites", "blacks",
    "saturation", "vibrance", "temperature", "tint",
    "grain", "vignette",
    "sharpness",
)


def run(name: str, image: np.ndarray, version: int | None = None, ctx: RenderContext = CTX, **params) -> np.ndarray:
    """One op's pixel function on a copy of the image, with validated params."""
    spec = get_op(name)
    version = spec.latest_version if version is None else version
    out = spec.apply(image.copy(), spec.validate(params), version, ctx)
    return np.asarray(out, dtype=np.float32)


def luma(image: np.ndarray) -> np.ndarray:
    return image @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)


def hsv_s(image: np.ndarray) -> float:
    hsv = cv2.cvtColor(np.clip(image, 0, 1).astype(np.float32), cv2.COLOR_RGB2HSV)
    return float(hsv[..., 1].mean())


def lap_var(image: np.ndarray) -> float:
    return float(cv2.Laplacian(luma(np.clip(image, 0, 1)) * 255.0, cv2.CV_32F).var())


def grey_ramp(n: int = 64) -> np.ndarray:
    """A 1 x n x 3 grey ramp from 0.05 to 0.95."""
    return np.repeat(np.linspace(0.05, 0.95, n, dtype=np.float32)[None, :, None], 3, axis=2)


# --------------------------------------------------------------------------- the registry


def test_registry_has_the_16_iea_tools_in_canonical_order():
    assert IEA_TOOLS == CANONICAL_IEA_ORDER


def test_registry_is_sorted_in_pipeline_order_with_geometry_first():
    keys = [spec.sort_key for spec in REGISTRY.values()]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys), "two ops share a pipeline position"
    stages = [spec.stage for spec in REGISTRY.values()]
    assert stages[0] == "geometry"
    assert {"rotate", "flip", "straighten", "crop"} <= {n for n, s in REGISTRY.items() if s.stage == "geometry"}


@pytest.mark.parametrize("name", list(REGISTRY))
def test_op_definition_is_complete(name):
    spec = REGISTRY[name]
    assert spec.name == name
    assert spec.label and spec.help
    assert spec.stage in STAGE_ORDER
    assert spec.versions and all(callable(fn) for fn in spec.versions.values())
    assert spec.latest_version == max(spec.versions)
    names = [p.name for p in spec.params]
    assert len(names) == len(set(names)) and names
    for p in spec.params:
        assert p.label and p.help
        if p.kind == "choice":
            assert p.default in p.choices
        elif p.kind == "bool":
            assert p.default in (False, True)
        elif p.kind == "curve":
            assert p.coerce(p.default, name) == p.default
        else:
            assert p.minimum <= p.default <= p.maximum
    if spec.iea_tool:
        assert names == ["value"]
        assert (spec.params[0].minimum, spec.params[0].maximum, spec.params[0].default) == (-100, 100, 0)
        assert spec.iea_exact is not None
    # defaults validate to themselves and are the identity
    assert spec.validate({}) == spec.defaults()
    assert spec.is_identity(spec.defaults())


# --------------------------------------------------------------------------- identity


@pytest.mark.parametrize("name,version", OP_VERSIONS)
def test_default_node_renders_the_input_unchanged(name, version, rgb):
    node = make_node(name, {}, version=version)
    out = Renderer().run(RenderRequest(nodes=[node], source=rgb, source_key="src"))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, rgb)


# Version 1 of contrast and natural_contrast reproduce the reference, whose formulas are not
# the identity at 0 (the reference skips the step at 0 instead; so does the renderer, above).
NOT_IDENTITY_AT_ZERO = {("contrast", 1), ("natural_contrast", 1)}


@pytest.mark.parametrize("name,version", [ov for ov in OP_VERSIONS if ov not in NOT_IDENTITY_AT_ZERO])
def test_pixel_function_at_default_params_is_the_identity(name, version, rgb):
    out = run(name, rgb, version)
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, rgb, atol=1e-5)


def test_reference_versions_at_zero_are_not_identity_which_is_why_zero_is_skipped(rgb):
    # contrast v1 at 0 is k = 1.25; natural_contrast v1 at 0 is a flat 0.5.
    assert np.abs(run("contrast", rgb, 1, value=0) - rgb).max() > 0.05
    np.testing.assert_allclose(run("natural_contrast", rgb, 1, value=0), 0.5, atol=1e-6)


# --------------------------------------------------------------------------- direction


def _mean(image):
    return float(np.clip(image, 0, 1).mean())


def _std(image):
    return float(np.clip(image, 0, 1).std())


@pytest.mark.parametrize("name", ["exposure", "brightness", "highlights", "shadows", "whites"])
@pytest.mark.parametrize("value", [25, 100])
def test_brightening_tools_raise_the_mean_and_lower_it_when_negative(name, value, rgb):
    assert _mean(run(name, rgb, value=value)) > _mean(rgb) + 0.005
    assert _mean(run(name, rgb, value=-value)) < _mean(rgb) - 0.005


def test_blacks_lift_and_crush_the_darkest_tones(rgb):
    assert float(run("blacks", rgb, value=60).min()) > float(rgb.min()) + 0.1
    assert _mean(run("blacks", rgb, value=-60)) < _mean(rgb) - 0.05
    # blacks moves shadows more than highlights
    ramp = grey_ramp()
    diff = run("blacks", ramp, value=60) - ramp
    assert diff[0, 0, 0] > diff[0, -1, 0] > 0


@pytest.mark.parametrize("version", sorted(REGISTRY["contrast"].versions))
def test_contrast_spreads_and_squeezes_tones(version, rgb):
    assert _std(run("contrast", rgb, version, value=60)) > _std(rgb) * 1.1
    assert _std(run("contrast", rgb, version, value=-60)) < _std(rgb) * 0.95


def test_natural_contrast_v2_is_an_s_curve_that_keeps_black_and_white():
    ramp = np.repeat(np.linspace(0.0, 1.0, 101, dtype=np.float32)[None, :, None], 3, axis=2)
    plus = run("natural_contrast", ramp, 2, value=80)
    minus = run("natural_contrast", ramp, 2, value=-80)
    for out in (plus, minus):
        assert out[0, 0, 0] == pytest.approx(0.0, abs=1e-4)
        assert out[0, -1, 0] == pytest.approx(1.0, abs=1e-4)
        assert out[0, 50, 0] == pytest.approx(0.5, abs=1e-3)
    assert _std(plus[:, 10:91]) > _std(ramp[:, 10:91]) * 1.1  # richer mid-tone contrast
    assert _std(minus[:, 10:91]) < _std(ramp[:, 10:91]) * 0.95  # flatter


def test_natural_contrast_v1_reproduces_the_reference_squeeze_and_inversion(rgb):
    # small positive values squeeze towards grey; negative values invert.
    assert _std(run("natural_contrast", rgb, 1, value=10)) < _std(rgb) * 0.5
    inverted = run("natural_contrast", rgb, 1, value=-100)
    assert np.corrcoef(luma(inverted).ravel(), luma(rgb).ravel())[0, 1] < -0.9


def test_fade_washes_out_and_negative_values_do_nothing(rgb):
    faded = run("fade", rgb, value=80)
    assert float(faded.min()) > float(rgb.min()) + 0.2
    assert _std(faded) < _std(rgb)
    np.testing.assert_allclose(run("fade", rgb, value=-80), rgb, atol=1e-6)


def test_saturation_direction_and_black_and_white_at_minus_100(rgb):
    assert hsv_s(run("saturation", rgb, value=-40)) < hsv_s(rgb) - 0.05
    assert hsv_s(run("saturation", rgb, value=40)) > hsv_s(rgb) + 0.05
    grey = run("saturation", rgb, value=-100)
    assert np.abs(grey - grey[..., :1]).max() < 1e-5


def test_vibrance_v2_direction_and_favours_muted_colours():
    # a muted and a vivid colour, both at mid brightness
    image = np.array([[[0.55, 0.5, 0.45], [0.6, 0.2, 0.1]]], dtype=np.float32)
    s_in = cv2.cvtColor(image, cv2.COLOR_RGB2HSV)[..., 1][0]
    s_up = cv2.cvtColor(run("vibrance", image, 2, value=60), cv2.COLOR_RGB2HSV)[..., 1][0]
    s_down = cv2.cvtColor(run("vibrance", image, 2, value=-60), cv2.COLOR_RGB2HSV)[..., 1][0]
    assert np.all(s_up > s_in) and np.all(s_down < s_in)
    assert (s_up[0] - s_in[0]) > (s_up[1] - s_in[1])  # muted gains more
    assert (s_down[0] / s_in[0]) < (s_down[1] / s_in[1])  # muted loses proportionally more


def test_vibrance_v1_reproduces_the_reference_no_op_and_negative_saturation(rgb):
    np.testing.assert_allclose(run("vibrance", rgb, 1, value=70), rgb, atol=1e-5)
    assert hsv_s(run("vibrance", rgb, 1, value=-50)) < hsv_s(rgb) - 0.05


def test_temperature_warms_and_cools(rgb):
    def warmth(img):
        return float((img[..., 0] - img[..., 2]).mean())

    assert warmth(run("temperature", rgb, value=50)) > warmth(rgb) + 0.1
    assert warmth(run("temperature", rgb, value=-50)) < warmth(rgb) - 0.1


def test_hue_alias_is_temperature():
    assert resolve_name("hue") == "temperature"


def test_tint_moves_the_green_channel_only(rgb):
    plus, minus = run("tint", rgb, value=50), run("tint", rgb, value=-50)
    assert float(plus[..., 1].mean()) > float(rgb[..., 1].mean()) + 0.03
    assert float(minus[..., 1].mean()) < float(rgb[..., 1].mean()) - 0.03
    np.testing.assert_array_equal(plus[..., [0, 2]], rgb[..., [0, 2]])


@pytest.mark.parametrize("version", sorted(REGISTRY["grain"].versions))
def test_grain_adds_noise_of_the_documented_size_and_negative_does_nothing(version):
    flat = np.full((128, 128, 3), 0.5, dtype=np.float32)
    noisy = run("grain", flat, version, value=50)
    assert float((noisy - flat).std()) == pytest.approx(0.15, rel=0.1)  # 0.003 * 50
    np.testing.assert_array_equal(run("grain", flat, version, value=-50), flat)
    if version == 2:  # monochrome grain: the same noise on all three channels
        np.testing.assert_allclose(noisy[..., 0], noisy[..., 2], atol=1e-6)


def test_grain_is_seeded_by_the_context():
    flat = np.full((32, 32, 3), 0.5, dtype=np.float32)
    a = run("grain", flat, value=40, ctx=RenderContext(seed=7))
    b = run("grain", flat, value=40, ctx=RenderContext(seed=7))
    c = run("grain", flat, value=40, ctx=RenderContext(seed=8))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_vignette_darkens_and_lightens_corners_not_the_centre():
    flat = np.full((96, 128, 3), 0.5, dtype=np.float32)
    dark, light = run("vignette", flat, value=80), run("vignette", flat, value=-80)
    for corner in ((0, 0), (0, -1), (-1, 0), (-1, -1)):
        assert dark[corner][0] < 0.3
        assert light[corner][0] > 0.7
    assert dark[48, 64, 0] == pytest.approx(0.5, abs=1e-3)
    assert light[48, 64, 0] == pytest.approx(0.5, abs=1e-3)


def test_sharpness_raises_and_lowers_laplacian_variance(rgb):
    base = lap_var(rgb)
    assert lap_var(run("sharpness", rgb, value=60)) > base * 1.5
    assert lap_var(run("sharpness", rgb, value=-60)) < base * 0.5


def test_sharpen_alias():
    assert resolve_name("sharpen") == "sharpness"
    assert resolve_name(" Sharpen ") == "sharpness"


# --------------------------------------------------------------------------- monotonicity


def _curve_through_renderer(name, version, x, values):
    """Output at one grey level for each slider value, rendered as a node (0 is skipped)."""
    image = np.full((2, 2, 3), x, dtype=np.float32)
    return np.array([
        Renderer().run(RenderRequest(nodes=[make_node(name, {"value": int(v)}, version=version)], source=image,
                                     source_key="k", cached=False))[0, 0, 0]
        for v in values
    ])


@pytest.mark.parametrize("name", ["contrast", "natural_contrast"])
@pytest.mark.parametrize("x", [0.2, 0.35, 0.65, 0.8])
def test_version_2_is_monotonic_in_v_with_no_jump_at_zero(name, x):
    values = np.arange(-100, 101)
    out = _curve_through_renderer(name, 2, x, values)
    steps = np.diff(out)
    if x > 0.5:
        assert np.all(steps >= -1e-6), "not monotonic increasing"
    else:
        assert np.all(steps <= 1e-6), "not monotonic decreasing"
    # continuous: no step is much bigger than the average step, and +-1 is next to the input
    assert np.abs(steps).max() < 5 * np.abs(steps).mean() + 1e-6
    zero = int(np.where(values == 0)[0][0])
    assert out[zero] == pytest.approx(x, abs=1e-6)
    assert abs(out[zero + 1] - x) < 0.01 and abs(out[zero - 1] - x) < 0.01


def test_contrast_v1_reproduces_the_reference_jump_at_plus_minus_one():
    x = 0.8
    out = dict(zip([-100, -34, -33, -1, 0, 1, 100], _curve_through_renderer("contrast", 1, x, [-100, -34, -33, -1, 0, 1, 100])))
    assert out[0] == pytest.approx(x, abs=1e-6)
    # k jumps from 1 to about 1.25 at +-1 (both directions increase contrast)
    assert out[1] == pytest.approx(0.5 + 1.2575 * 0.3, abs=1e-4)
    assert out[-1] == pytest.approx(0.5 + 1.2425 * 0.3, abs=1e-4)
    # contrast only decreases below about -33
    assert out[-33] > x > out[-34]
    assert out[-100] == pytest.approx(0.5 + 0.5 * 0.3, abs=1e-4)
    assert out[100] == pytest.approx(1.0)  # 0.5 + 2 * 0.3 = 1.1, clipped


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize("name", IEA_TOOLS)
def test_iea_tool_values_are_clamped(name):
    spec = REGISTRY[name]
    assert spec.validate({"value": 150}) == {"value": 100}
    assert spec.validate({"value": -150}) == {"value": -100}
    assert spec.validate({"value": 12.6}) == {"value": 13}
    assert spec.validate({"value": "-20"}) == {"value": -20}
    assert make_node(name, {"value": 1e9}).params["value"] == 100


def test_float_and_choice_params_are_clamped_and_checked():
    assert get_op("straighten").validate({"angle": 90})["angle"] == 45.0
    assert get_op("straighten").validate({"angle": -1e6})["angle"] == -45.0
    assert get_op("rotate").validate({"turns": 7})["turns"] == 3
    assert get_op("crop").validate({"left": -0.5, "right": 2})["left"] == 0.0
    with pytest.raises(OpError, match="free.*1:1"):
        get_op("crop").validate({"aspect": "7:3"})
    assert get_op("flip").validate({"horizontal": 1}) == {"horizontal": True, "vertical": False}
    with pytest.raises(OpError, match="true or false"):
        get_op("flip").validate({"horizontal": "yes"})


@pytest.mark.parametrize("bad", [None, [1], {"v": 1}, "abc", "", float("nan"), float("inf"), True, object()])
def test_bad_value_types_are_rejected(bad):
    with pytest.raises(OpError, match="exposure.value"):
        get_op("exposure").validate({"value": bad})


def test_unknown_param_is_rejected_listing_the_valid_ones():
    with pytest.raises(OpError) as info:
        get_op("exposure").validate({"amount": 5})
    assert "amount" in str(info.value) and "value" in str(info.value)
    with pytest.raises(OpError) as info:
        get_op("crop").validate({"width": 5})
    for p in ("left", "top", "right", "bottom", "aspect"):
        assert p in str(info.value)


def test_params_must_be_an_object():
    with pytest.raises(OpError, match="object"):
        get_op("exposure").validate([("value", 3)])


@pytest.mark.parametrize("bad", ["glow", "", "exposur", 42, None])
def test_unknown_ops_are_rejected_listing_the_valid_ones(bad):
    with pytest.raises(OpError) as info:
        resolve_name(bad)
    if isinstance(bad, str):
        for name in REGISTRY:
            assert name in str(info.value)
    with pytest.raises(OpError):
        make_node(bad)


def test_aliases_and_case_resolve():
    for alias, target in ALIASES.items():
        assert get_op(alias) is REGISTRY[target]
    assert resolve_name("EXPOSURE") == "exposure"
    assert resolve_name("lightness") == "highlights"


def test_unknown_version_is_rejected(rgb):
    with pytest.raises(OpError, match="version"):
        make_node("exposure", version=9)
    with pytest.raises(OpError, match="version"):
        get_op("exposure").apply(rgb, {"value": 3}, 9, CTX)
    with pytest.raises(OpError, match="version"):
        Node.from_dict({"op": "contrast", "params": {"value": 3}, "version": 7, "id": "x"})


def test_node_from_dict_validates_and_clamps():
    node = Node.from_dict({"op": "sharpen", "params": {"value": 500}, "id": 5, "opacity": 3})
    assert node.op == "sharpness" and node.params == {"value": 100}
    assert node.id == "5" and node.opacity == 1.0
    with pytest.raises(OpError):
        Node.from_dict({"op": "exposure", "params": {"nope": 1}, "id": "a"})


# --------------------------------------------------------------------------- geometry


def test_rotate_quarter_turns_clockwise(make_rgb):
    image = make_rgb(40, 60)
    one = run("rotate", image, turns=1)
    assert one.shape == (60, 40, 3)
    # clockwise: the bottom-left corner goes to the top-left
    np.testing.assert_array_equal(one[0, 0], image[-1, 0])
    np.testing.assert_array_equal(one, np.rot90(image, -1))
    np.testing.assert_array_equal(run("rotate", image, turns=2), image[::-1, ::-1])
    np.testing.assert_array_equal(run("rotate", image, turns=3), np.rot90(image, 1))
    assert run("rotate", image, turns=1).flags["C_CONTIGUOUS"]


def test_flip(make_rgb):
    image = make_rgb(40, 60)
    np.testing.assert_array_equal(run("flip", image, horizontal=True), image[:, ::-1])
    np.testing.assert_array_equal(run("flip", image, vertical=True), image[::-1])
    np.testing.assert_array_equal(run("flip", image, horizontal=True, vertical=True), image[::-1, ::-1])


@pytest.mark.parametrize("shape", [(96, 128), (128, 96), (64, 256), (100, 100)])
@pytest.mark.parametrize("angle", [0.5, -3.0, 10.0, -25.0, 45.0])
def test_straighten_crops_without_blank_corners(shape, angle, monkeypatch):
    h, w = shape
    white = np.ones((h, w, 3), dtype=np.float32)
    out = run("straighten", white, angle=angle)
    # same shape as the frame, smaller as the angle grows
    assert out.shape[0] < h and out.shape[1] < w
    assert out.shape[1] / out.shape[0] == pytest.approx(w / h, rel=0.03)
    np.testing.assert_allclose(out, 1.0, atol=1e-6)

    # With a black border instead of the op's reflection, at most a sub-pixel sliver of the
    # outside can reach the output: the rectangle really is inscribed.
    real = cv2.warpAffine

    def black_border(src, m, size, flags=None, borderMode=None):
        return real(src, m, size, flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0))

    monkeypatch.setattr(straighten_op.cv2, "warpAffine", black_border)
    out = run("straighten", white, angle=angle)
    assert float(out.min()) > 0.4
    assert float((out < 0.99).mean()) < 0.01


def test_straighten_turns_clockwise():
    # a vertical bar turned clockwise leans: its top moves right
    image = np.zeros((101, 101, 3), dtype=np.float32)
    image[:, 48:53] = 1.0
    out = run("straighten", image, angle=20.0)
    top = np.argmax(out[5, :, 0])
    bottom = np.argmax(out[-6, :, 0])
    assert top > bottom


ASPECT_RATIOS = {"1:1": 1.0, "4:3": 4 / 3, "3:2": 1.5, "16:9": 16 / 9, "5:4": 1.25, "3:4": 0.75, "2:3": 2 / 3,
                 "9:16": 9 / 16, "4:5": 0.8}


@pytest.mark.parametrize("aspect", sorted(ASPECT_RATIOS))
@pytest.mark.parametrize("box", [(0.0, 0.0, 1.0, 1.0), (0.1, 0.2, 0.9, 0.7), (0.3, 0.05, 0.95, 0.95)])
def test_crop_with_fixed_aspect_gives_that_ratio(aspect, box, make_rgb):
    image = make_rgb(180, 240)
    left, top, right, bottom = box
    out = run("crop", image, left=left, top=top, right=right, bottom=bottom, aspect=aspect)
    h, w = out.shape[:2]
    target = ASPECT_RATIOS[aspect]
    # within one pixel of rounding on either edge
    assert (w - 1) / (h + 1) <= target <= (w + 1) / (h - 1)
    # inside the requested box
    assert w <= round((right - left) * 240) + 1 and h <= round((bottom - top) * 180) + 1


def test_crop_free_and_original_and_degenerate(make_rgb):
    image = make_rgb(100, 200)
    out = run("crop", image, left=0.25, right=0.75, top=0.1, bottom=0.6)
    np.testing.assert_array_equal(out, image[10:60, 50:150])
    out = run("crop", image, left=0.0, right=1.0, top=0.0, bottom=0.5, aspect="original")
    assert out.shape[1] / out.shape[0] == pytest.approx(2.0, rel=0.02)
    # swapped edges are put in order; an empty box still gives at least one pixel
    np.testing.assert_array_equal(run("crop", image, left=0.75, right=0.25, top=0.6, bottom=0.1), image[10:60, 50:150])
    tiny = run("crop", image, left=0.5, right=0.5, top=0.5, bottom=0.5)
    assert tiny.shape[:2] == (1, 1)
    assert crop_op.box({"left": 1.0, "right": 1.0, "top": 1.0, "bottom": 1.0, "aspect": "1:1"}, 200, 100) == (199, 99, 200, 100)


def test_vignette_after_a_crop_is_centred_on_the_cropped_frame():
    flat = np.full((120, 200, 3), 0.5, dtype=np.float32)
    crop = make_node("crop", {"left": 0.0, "right": 0.6, "top": 0.25, "bottom": 1.0})
    vignette = make_node("vignette", {"value": 80})
    out = Renderer().run(RenderRequest(nodes=[crop, vignette], source=flat, source_key="flat"))
    h, w = out.shape[:2]
    assert (h, w) == (90, 120)
    # symmetric about the cropped frame's centre, unchanged there, dark in all four corners
    np.testing.assert_allclose(out, out[::-1, ::-1], atol=0.02)
    np.testing.assert_allclose(out, out[:, ::-1], atol=0.02)
    assert out[h // 2, w // 2, 0] == pytest.approx(0.5, abs=2e-3)
    corners = [out[0, 0, 0], out[0, -1, 0], out[-1, 0, 0], out[-1, -1, 0]]
    assert max(corners) < 0.3 and max(corners) - min(corners) < 0.02


def test_geometry_runs_before_vignette_in_canonical_order():
    from iea_desktop.core.graph import EditGraph
    from iea_desktop.core.history import AddNode, History

    graph = EditGraph()
    history = History(graph)
    history.push(AddNode(make_node("vignette", {"value": 50})))
    history.push(AddNode(make_node("crop", {"right": 0.5})))
    assert [n.op for n in graph] == ["crop", "vignette"]


# --------------------------------------------------------------------------- opacity on geometry


@pytest.mark.parametrize("op,params", [("flip", {"horizontal": True}), ("rotate", {"turns": 2}), ("rotate", {"turns": 1})])
def test_geometry_is_not_blended_by_opacity_even_when_the_shape_is_unchanged(op, params, make_rgb):
    # a half-opaque flip must not ghost the photo over its own mirror image
    square = make_rgb(64, 64)
    node = make_node(op, params)
    node.opacity = 0.5
    full = make_node(op, params)
    np.testing.assert_array_equal(apply_node(square, node, 1.0), apply_node(square, full, 1.0))


def test_numpy_numbers_are_accepted_and_stored_as_python_numbers():
    # values computed from image statistics are often numpy scalars
    for value in (np.int64(20), np.int32(20), np.float32(20.2), np.float64(19.6)):
        params = get_op("exposure").validate({"value": value})
        assert params == {"value": 20} and type(params["value"]) is int
    angle = get_op("straighten").validate({"angle": np.float32(2.5)})["angle"]
    assert angle == 2.5 and type(angle) is float
    with pytest.raises(OpError):
        get_op("exposure").validate({"value": np.float32("nan")})
