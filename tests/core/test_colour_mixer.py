"""colour_mixer: hue, saturation and luminance of eight colour bands, smooth between them."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from iea_desktop.core.apply_node import apply_node
from iea_desktop.core.finish import to_uint8
from iea_desktop.core.graph import make_node
from iea_desktop.core.ops import OpError, RenderContext, colour_mixer, get_op
from iea_desktop.core.render import Renderer, RenderRequest
from iea_desktop.core.steps import plan

SPEC = get_op("colour_mixer")
BANDS = [band for band, _ in colour_mixer.BANDS]


def run(image: np.ndarray, **params) -> np.ndarray:
    return np.asarray(SPEC.apply(image, SPEC.validate(params), 1, RenderContext()), dtype=np.float32)


def hsv(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(np.clip(image, 0, 1).astype(np.float32), cv2.COLOR_RGB2HSV)


def hue_ramp(n: int = 3600, s: float = 0.6, v: float = 0.8) -> np.ndarray:
    """1 x n pixels of every hue at one saturation and value."""
    ramp = np.stack([np.linspace(0, 360, n, endpoint=False), np.full(n, s), np.full(n, v)], axis=-1)
    return cv2.cvtColor(ramp[None].astype(np.float32), cv2.COLOR_HSV2RGB)


def hue_distance(a, b):
    return (np.asarray(a) - np.asarray(b) + 180) % 360 - 180


def test_twenty_four_sliders_named_by_band_and_property():
    assert [p.name for p in SPEC.params] == [f"{b}_{k}" for k in ("hue", "saturation", "luminance") for b in BANDS]
    assert all((p.minimum, p.maximum, p.default, p.kind) == (-100, 100, 0, "int") for p in SPEC.params)
    with pytest.raises(OpError, match="colour_mixer.blue_saturation"):
        make_node("colour_mixer", {"blue_saturation": float("nan")})
    assert make_node("colour_mixer", {"red_hue": 400}).params["red_hue"] == 100


# --------------------------------------------------------------------------- identity and safety


def test_default_is_identity_and_bit_identical_for_8bit(make_u8):
    image = make_u8(48, 64)
    as_float = image.astype(np.float32) / 255
    assert SPEC.is_identity(make_node("colour_mixer").params)
    np.testing.assert_array_equal(to_uint8(Renderer().run(RenderRequest(nodes=[make_node("colour_mixer")],
                                                                        source=as_float, source_key="s"))), image)
    np.testing.assert_array_equal(to_uint8(run(as_float)), image)  # the pixel function itself too


def test_a_band_left_alone_keeps_its_8bit_pixels():
    """Blue saturation changes nothing about reds, oranges and yellows (their weights are 0)."""
    warm = hue_ramp(600)[:, :100]  # hues 0..60 degrees
    out = run(warm, blue_saturation=100, aqua_hue=-100, purple_luminance=100)
    np.testing.assert_array_equal(to_uint8(out), to_uint8(warm))


@pytest.mark.parametrize("name", [p.name for p in SPEC.params])
@pytest.mark.parametrize("value", [-100, 100])
def test_greys_stay_grey_and_nothing_leaves_the_range(name, value, rgb):
    greys = np.repeat(np.linspace(0, 1, 64, dtype=np.float32)[None, :, None], 3, axis=2)
    np.testing.assert_array_equal(run(greys, **{name: value}), greys)
    image = rgb.copy()
    image[0, :4] = [[np.nan, 0.2, 0.3], [2.0, -1.0, 0.5], [np.inf, 0.0, 0.0], [1.0, 1.0, 1.0]]
    out = Renderer().run(RenderRequest(nodes=[make_node("colour_mixer", {name: value})], source=image, source_key="s"))
    assert np.all(np.isfinite(out)) and out.min() >= 0 and out.max() <= 1


def test_every_slider_at_its_limits_at_once_stays_finite_and_in_range(rgb):
    for sign in (-100, 100):
        out = run(hue_ramp(), **{p.name: sign for p in SPEC.params})
        assert np.all(np.isfinite(out)) and out.min() >= 0 and out.max() <= 1


# --------------------------------------------------------------------------- direction


@pytest.mark.parametrize("band,centre", colour_mixer.BANDS)
def test_saturation_and_luminance_move_their_band_the_way_the_slider_says(band, centre):
    pixel = hue_ramp(360, s=0.5, v=0.6)[:, int(centre):int(centre) + 1]
    before = hsv(pixel)[0, 0]
    more, less = hsv(run(pixel, **{f"{band}_saturation": 60}))[0, 0], hsv(run(pixel, **{f"{band}_saturation": -60}))[0, 0]
    assert more[1] > before[1] + 0.2 and less[1] < before[1] - 0.2  # chroma up / down
    lighter = hsv(run(pixel, **{f"{band}_luminance": 60}))[0, 0]
    darker = hsv(run(pixel, **{f"{band}_luminance": -60}))[0, 0]
    assert lighter[2] > before[2] + 0.05 and darker[2] < before[2] - 0.05
    turned = hsv(run(pixel, **{f"{band}_hue": 100}))[0, 0]
    back = hsv(run(pixel, **{f"{band}_hue": -100}))[0, 0]
    assert hue_distance(turned[0], before[0]) > 5 and hue_distance(back[0], before[0]) < -5
    assert abs(more[0] - before[0]) < 0.5 and abs(lighter[0] - before[0]) < 0.5  # the hue stays


@pytest.mark.parametrize("prop", ["hue", "saturation", "luminance"])
def test_more_is_monotone_in_the_slider(prop):
    image = hue_ramp(720)
    channel = {"hue": 0, "saturation": 1, "luminance": 2}[prop]
    previous = None
    for value in range(-100, 101, 20):
        now = hsv(run(image, **{f"green_{prop}": value}))[0, :, channel].astype(np.float64)
        if previous is not None:
            change = hue_distance(now, previous) if prop == "hue" else now - previous
            assert change.min() >= -1e-4, (prop, value)
        previous = now


# --------------------------------------------------------------------------- smoothness


def test_weights_are_a_smooth_partition_of_unity():
    hues = np.linspace(0, 360, 36001)
    w = colour_mixer.weights(hues)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-12)
    assert np.abs(np.diff(w, axis=0)).max() < 0.003  # no jumps at 0.01 degree steps
    for i, (_, centre) in enumerate(colour_mixer.BANDS):
        assert w[int(centre * 100), i] == pytest.approx(1.0)


@pytest.mark.parametrize("settings", [
    {"green_hue": 100, "aqua_hue": -100},
    {"orange_hue": -100, "yellow_hue": 100, "red_hue": 100},
    {"blue_hue": 100, "purple_hue": -100, "magenta_hue": 100},
    {p.name: (100 if i % 2 else -100) for i, p in enumerate(SPEC.params) if p.name.endswith("_hue")},
])
def test_no_banding_in_a_hue_gradient(settings):
    """A smooth hue ramp stays one: hues keep their order (no reversal, no fold), and saturation
    and value change smoothly (no step where one band hands over to the next)."""
    image = hue_ramp(7200)
    out = hsv(run(image, **settings, blue_saturation=80, yellow_saturation=-80, green_luminance=70))[0].astype(np.float64)
    hue_steps = hue_distance(np.roll(out[:, 0], -1), out[:, 0])
    assert hue_steps.min() > 0, "a hue reversal"
    assert hue_steps.max() < 0.2  # input steps are 0.05 degrees: nowhere stretched into a visible band
    for channel in (1, 2):  # the steepest change the sliders ask for here is 1.3e-3 per pixel, plus as much at a table step
        assert np.abs(np.diff(out[:, channel])).max() < 3e-3


def test_no_banding_in_a_saturation_ramp_of_one_colour():
    ramp = np.stack([np.full(1000, 235.0), np.linspace(0, 1, 1000), np.full(1000, 0.7)], axis=-1)
    image = cv2.cvtColor(ramp[None].astype(np.float32), cv2.COLOR_HSV2RGB)
    out = hsv(run(image, blue_saturation=60, blue_luminance=-60))[0].astype(np.float64)
    rising = out[:, 1] < 0.999
    assert np.all(np.diff(out[:, 1])[rising[1:]] > 0) and np.all(np.diff(out[:, 1]) >= 0)  # rises until it reaches 1
    assert np.abs(np.diff(out[:, 2])).max() < 2e-3


# --------------------------------------------------------------------------- in the renderer


def test_strips_and_partial_opacity_match_the_whole_picture(make_rgb):
    image = make_rgb(300, 40)  # tall: the renderer splits it into strips
    node = make_node("colour_mixer", {"blue_saturation": 50, "green_hue": -60, "red_luminance": 40})
    whole = np.clip(apply_node(image, node, 1.0), 0, 1)
    np.testing.assert_allclose(Renderer().run(RenderRequest(nodes=[node], source=image,
                                                            source_key="s")), whole, atol=1e-6)
    uncached = Renderer().run(RenderRequest(nodes=[node, make_node("sharpness", {"value": 30})], source=image,
                                            source_key="s", cached=False))
    cached = Renderer().run(RenderRequest(nodes=[node, make_node("sharpness", {"value": 30})], source=image,
                                          source_key="s"))
    np.testing.assert_allclose(uncached, cached, atol=1e-6)
    node.opacity = 0.5
    half = Renderer().run(RenderRequest(nodes=[node], source=image, source_key="s"))
    np.testing.assert_allclose(half, np.clip(image + 0.5 * (whole - image), 0, 1), atol=1e-6)


def mixer_reference(image: np.ndarray, params: dict) -> np.ndarray:
    """The mixer's math (module docstring) straightforwardly, in double, without its tables."""
    h, s, v = (c.astype(np.float64) for c in cv2.split(hsv(image)))
    sliders = np.array([SPEC.validate(params)[n] for n in colour_mixer.param_names()], float).reshape(3, -1) / 100
    w = colour_mixer.weights(h.ravel()).reshape(h.shape + (len(BANDS),))
    h = h + w @ (sliders[0] * colour_mixer.hue_reach())
    v = np.minimum(1, v * (1 + s * (np.exp2(w @ sliders[2]) - 1)))
    s = np.minimum(1, s * (1 + w @ sliders[1]))
    return cv2.cvtColor(np.stack([h % 360, s, v], axis=-1).astype(np.float32), cv2.COLOR_HSV2RGB)


@pytest.mark.parametrize(
    "params",
    [{"blue_saturation": 30, "green_hue": 20, "red_luminance": -20}, {f"{b}_hue": 100 for b in BANDS},
     {"aqua_saturation": -100, "orange_luminance": 100, "purple_hue": -70}],
)
def test_the_compiled_stage_and_the_fallback_follow_the_math(params, make_rgb, pixel_kernel):
    """The kernel's HUE stage (compiled or numpy) against the formulas without tables: the 8,192-step
    tables differ from them by a step's change of the factors at most."""
    image = np.concatenate([make_rgb(40, 60), hue_ramp(60)[None, 0].repeat(3, axis=0)])
    np.testing.assert_allclose(run(image, **params), mixer_reference(image, params), atol=2e-3)


def test_fused_with_its_neighbours_it_renders_what_the_nodes_render_one_by_one(make_rgb, pixel_kernel):
    image = make_rgb(60, 50)
    nodes = [make_node("tint", {"value": 20}), make_node("colour_mixer", {"green_hue": 40, "blue_saturation": 60}),
             make_node("vignette", {"value": 30})]
    assert len(plan(nodes, 0, 1.0)) == 1  # one Program: the mixer is a stage of the compiled kernel
    one_by_one = image
    for node in nodes:
        one_by_one = apply_node(one_by_one, node, 1.0)
    fused = Renderer().run(RenderRequest(nodes=nodes, source=image, source_key="s"))
    np.testing.assert_allclose(fused, np.clip(one_by_one, 0, 1), atol=1e-3)
