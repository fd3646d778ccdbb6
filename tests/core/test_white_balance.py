"""White balance (issue 15): the colour science, the op, presets, auto and the eyedropper.

Casts are generated: a scene in linear sRGB, seen under a light of (K, tint) as a camera balanced
for the photo's own white would record it (the inverse of the op's correction for that light).
"""

from __future__ import annotations

import numpy as np
import pytest

from iea_desktop.core import colour_science as cs
from iea_desktop.core import white_balance as wb
from iea_desktop.core.finish import to_uint8
from iea_desktop.core.graph import make_node
from iea_desktop.core.ops import get_op
from iea_desktop.core.ops.base import RenderContext
from iea_desktop.core.ops.white_balance import AS_SHOT, matrix
from iea_desktop.core.render import Renderer, RenderRequest

OP = get_op("white_balance")
D65 = (0.31271, 0.32902)
# the test DNGs' matrix (white-balanced camera RGB -> linear sRGB), as LibRaw develops them
CAMERA = cs.Camera((1.2359656, -0.2034077, -0.0325579, 0.0153483, 1.2612590, -0.2766073,
                    0.0846583, -0.0676642, 0.9830059))


def run(image: np.ndarray, temperature: float, tint: float, camera: cs.Camera | None = None) -> np.ndarray:
    return OP.apply(image, OP.validate({"temperature": temperature, "tint": tint}), 1, RenderContext(camera=camera))


def grey(level: float = 0.5, size: int = 8) -> np.ndarray:
    return np.full((size, size, 3), level, dtype=np.float32)


def seen_under(linear: np.ndarray, temperature: float, tint: float) -> np.ndarray:
    """A linear-sRGB scene as recorded under a light of (temperature, tint), sRGB-encoded."""
    cast = np.linalg.inv(matrix(temperature, tint).astype(np.float64))
    return cs.linear_to_srgb(np.clip(linear @ cast.T, 0.0, 1.0)).astype(np.float32)


NEUTRAL = (slice(20, 60), slice(250, 300))  # where the scenes below have their light grey card


def scene(dominant: bool = False, seed: int = 0, height: int = 240, width: int = 320) -> np.ndarray:
    """Linear sRGB: blocks of saturated colours with texture, a light grey card at NEUTRAL and a darker
    one below it; ``dominant``: three quarters of the picture one green (a lawn)."""
    import cv2

    rng = np.random.default_rng(seed)
    hsv = np.stack([rng.uniform(0, 360, (6, 8)), rng.uniform(0.6, 1.0, (6, 8)), rng.uniform(0.3, 0.8, (6, 8))], -1)
    colours = cs.srgb_to_linear(cv2.cvtColor(hsv.astype(np.float32), cv2.COLOR_HSV2RGB))
    ys, xs = np.mgrid[0:height, 0:width]
    linear = colours[ys * 6 // height, xs * 8 // width]
    if dominant:
        linear[:, :int(width * 0.75)] = (0.08, 0.35, 0.05)
    linear = linear * (1 + 0.15 * rng.standard_normal((height, width, 1)))
    linear[NEUTRAL] = 0.45
    linear[70:100, 250:300] = 0.18
    return np.clip(linear, 0.0, 1.0)


def spread(image: np.ndarray, where=NEUTRAL) -> float:
    """How far from neutral the mean colour of a region is: max - min of its channels (encoded)."""
    mean = image[where].reshape(-1, 3).mean(axis=0)
    return float(mean.max() - mean.min())


# --------------------------------------------------------------------------- colour science


def test_srgb_transfer_functions_are_inverse():
    x = np.linspace(0, 1, 1001)
    np.testing.assert_allclose(cs.linear_to_srgb(cs.srgb_to_linear(x)), x, atol=1e-12)
    assert cs.srgb_to_linear(0.5) == pytest.approx(0.21404, abs=1e-5)


def test_kelvin_to_xy_follows_the_planckian_locus():
    # CIE illuminant A is a 2856 K black body (with the old c2, 2848 K with today's): (0.44757, 0.40745)
    assert cs.kelvin_tint_to_xy(2856, 0) == pytest.approx((0.44757, 0.40745), abs=5e-4)
    # D65 lies about 6504 K, Duv +0.0032 (tint +9.6): above the locus, towards green
    kelvin, tint = cs.xy_to_kelvin_tint(*D65)
    assert kelvin == pytest.approx(6504, abs=10) and tint == pytest.approx(9.6, abs=0.5)


@pytest.mark.parametrize("kelvin", [2000, 2850, 4000, 6500, 10000, 25000, 50000])
@pytest.mark.parametrize("tint", [-150, -20, 0, 35, 150])
def test_xy_to_kelvin_tint_inverts_kelvin_tint_to_xy(kelvin, tint):
    back = cs.xy_to_kelvin_tint(*cs.kelvin_tint_to_xy(kelvin, tint))
    assert back == pytest.approx((kelvin, tint), rel=1e-6, abs=1e-6)


def test_bradford_maps_the_source_white_onto_the_target_white():
    a, b = cs.kelvin_tint_to_xy(3200, 0), D65
    adapted = cs.adaptation(cs.BRADFORD_RGB, a, b) @ cs.XYZ_TO_RGB @ cs.xy_to_xyz(*a)
    np.testing.assert_allclose(adapted, cs.XYZ_TO_RGB @ cs.xy_to_xyz(*b), atol=1e-12)
    # and the light it takes to turn a colour neutral is what the adaptation turns into white
    rgb = np.array([0.5, 0.3, 0.2])
    light = cs.light_to_neutralise(cs.BRADFORD_RGB, rgb, b)
    out = cs.adaptation(cs.BRADFORD_RGB, light, b) @ rgb
    np.testing.assert_allclose(out / out[1], 1.0, atol=1e-12)


def test_the_bt709_curve_is_libraws_default_output_curve():
    """BT.709's published constants (1.099, 0.018), and a round trip."""
    assert cs.from_linear(0.018, "bt709") == pytest.approx(4.5 * 0.018, abs=1e-4)
    assert cs.from_linear(1.0, "bt709") == pytest.approx(1.0, abs=1e-12)
    assert cs.from_linear(0.5, "bt709") == pytest.approx(1.099 * 0.5 ** 0.45 - 0.099, abs=1e-3)
    x = np.linspace(0, 1, 1001)
    np.testing.assert_allclose(cs.to_linear(cs.from_linear(x, "bt709"), "bt709"), x, atol=1e-12)


# --------------------------------------------------------------------------- the op


def test_as_shot_is_the_default_and_the_identity(make_u8):
    assert (OP.defaults()["temperature"], OP.defaults()["tint"]) == AS_SHOT
    assert OP.is_identity(OP.defaults())
    np.testing.assert_allclose(matrix(*AS_SHOT), np.eye(3), atol=1e-6)
    u8 = make_u8()
    image = u8.astype(np.float32) / np.float32(255)
    rendered = Renderer().run(RenderRequest(nodes=[make_node("white_balance", {})], source=image, source_key="src",
                                            dtype=np.uint8))
    np.testing.assert_array_equal(rendered, u8)
    np.testing.assert_array_equal(run(image, *AS_SHOT), image)


def test_8bit_input_is_read_as_the_photo_loader_converts_it(make_u8):
    u8 = make_u8()
    image = u8.astype(np.float32) / np.float32(255)
    for values in (AS_SHOT, (4000, 20)):
        np.testing.assert_array_equal(run(u8, *values), run(image, *values))


def test_one_kelvin_from_as_shot_barely_changes_anything(rgb):
    """Continuity at the default: the linear round trip costs at most a 16-bit table step."""
    assert np.abs(run(rgb, AS_SHOT[0] + 1, AS_SHOT[1]) - rgb).max() < 2e-3


def test_higher_temperature_is_warmer_and_positive_tint_is_magenta():
    image = grey(0.5)
    warm, cool = run(image, 9000, 10)[0, 0], run(image, 3500, 10)[0, 0]
    assert warm[0] > 0.5 > warm[2] and cool[2] > 0.5 > cool[0]
    magenta, green = run(image, 6500, 60)[0, 0], run(image, 6500, -40)[0, 0]
    assert magenta[1] < min(magenta[0], magenta[2]) and green[1] > max(green[0], green[2])


@pytest.mark.parametrize("camera", [None, "RAW"])
def test_temperature_and_tint_are_monotone(camera):
    """Strictly where nothing clips; below 3000 K a grey's red falls to 0 (correcting so orange a
    light takes more blue than sRGB has), and the warmth only stops rising."""
    camera = CAMERA if camera else None
    image = grey(0.4)
    kelvins = np.geomspace(2000, 50000, 120)
    warmth = np.array([float(np.diff(run(image, k, 10, camera)[0, 0, [2, 0]])[0]) for k in kelvins])  # R - B
    assert np.all(np.diff(warmth) >= 0) and np.all(np.diff(warmth[kelvins >= 3000]) > 0)
    tints = np.arange(-150, 151, 5)
    magenta = [float(run(image, 6500, t, camera)[0, 0, [0, 2]].mean() - run(image, 6500, t, camera)[0, 0, 1])
               for t in tints]
    assert np.all(np.diff(magenta) > 0)


@pytest.mark.parametrize("camera", [None, CAMERA], ids=["sRGB", "RAW"])
@pytest.mark.parametrize("values", [(2000, -150), (2000, 150), (50000, -150), (50000, 150), (3200, 0)])
def test_no_nan_and_nothing_out_of_range_at_the_extremes(values, camera):
    image = np.array([[[np.nan, 0.2, 0.3], [np.inf, -np.inf, 0.5], [2.0, -1.0, 0.5], [1, 1, 1], [0, 0, 0]]],
                     dtype=np.float32)
    out = run(image, *values, camera)
    assert np.all(np.isfinite(out)) and out.min() >= 0.0 and out.max() <= 1.0


@pytest.mark.parametrize("camera", [None, CAMERA], ids=["sRGB", "RAW"])
def test_a_gradient_ramp_stays_smooth(camera):
    """Every 8-bit grey level and a colour ramp: the result is monotone, in steps of at most 2 levels."""
    levels = np.arange(256, dtype=np.float32) / np.float32(255)
    ramp = np.stack([levels, levels, levels], -1)[None]
    colour = np.stack([levels, levels * 0.6, levels * 0.3], -1)[None]
    for values in ((4500, 10), (8500, 0), (6500, 40)):
        for image in (ramp, colour):
            out = to_uint8(run(image, *values, camera)).astype(int)[0]
            steps = np.diff(out, axis=0)
            assert steps.min() >= 0 and steps.max() <= 2, values


def test_renders_the_same_whole_and_in_strips(make_rgb):
    image = make_rgb(300, 200)
    node = make_node("white_balance", {"temperature": 4200, "tint": -12})
    whole = run(image, 4200, -12)
    np.testing.assert_array_equal(Renderer().run(RenderRequest(nodes=[node], source=image, source_key="a")), whole)
    np.testing.assert_array_equal(Renderer().run(RenderRequest(nodes=[node], source=image, source_key="a",
                                                               cached=False)), whole)


@pytest.mark.parametrize("camera", [None, CAMERA], ids=["sRGB", "RAW"])
@pytest.mark.parametrize("values", [(4200, -12), AS_SHOT])
def test_fused_with_its_neighbours_it_gives_its_own_pixels(make_rgb, camera, values):
    """A point op of the compiled kernel: in a fused run (pointops) and after noise reduction, in
    that op's own pass, with a RAW's camera; at the photo's own white, the clip alone."""
    from iea_desktop.core.apply_node import apply_node
    from iea_desktop.core.steps import plan

    image = make_rgb(64, 80) * np.float32(1.3) - np.float32(0.1)  # values outside [0, 1] too
    nodes = [make_node("exposure", {"value": 20}), make_node("white_balance", dict(zip(("temperature", "tint"), values))),
             make_node("contrast", {"value": 15})]
    expected = image
    for node in nodes:
        expected = apply_node(expected, node, 1.0, camera=camera)
    (step,) = plan(nodes, 0, 1.0, camera=camera)
    np.testing.assert_allclose(step.run(image, None, 0), expected, atol=1e-3)
    denoised = [make_node("noise_reduction", {"luminance": 20, "color": 20}), nodes[1]]
    (step,) = plan(denoised, 0, 1.0, camera=camera)
    expected = apply_node(apply_node(image, denoised[0], 1.0), denoised[1], 1.0, camera=camera)
    np.testing.assert_allclose(step.run(image, None, 0), expected, atol=1e-5)


# --------------------------------------------------------------------------- presets, eyedropper, auto


def test_presets_are_in_range_and_as_shot_is_the_default():
    assert wb.PRESETS["As shot"] == AS_SHOT and wb.PRESETS["Auto"] is None
    for values in wb.PRESETS.values():
        if values is not None:
            assert OP.validate({"temperature": values[0], "tint": values[1]}) == {"temperature": values[0], "tint": values[1]}
    tungsten = run(grey(), *wb.PRESETS["Tungsten"])[0, 0]
    assert tungsten[2] > tungsten[0]  # a tungsten light is corrected towards blue


@pytest.mark.parametrize("light", [(3200, 0), (2850, 0), (8000, 10), (4500, 30), (5200, -25)])
def test_the_eyedropper_on_a_grey_card_finds_the_light_and_neutralises_it(light):
    image = seen_under(scene(), *light)
    assert spread(image) > 0.02  # the cast is there to see
    values = wb.eyedropper(image, 275, 40)
    assert values == pytest.approx(light, abs=1)
    assert spread(run(image, *values)) < 2 / 255


def test_the_eyedropper_averages_a_patch():
    image = seen_under(scene(), 3200, 0)
    noisy = image + np.random.default_rng(1).normal(0, 0.02, image.shape).astype(np.float32)
    values = wb.eyedropper(noisy, 275, 40)
    assert spread(run(image, *values)) < 4 / 255


def test_the_eyedropper_refuses_black_and_points_outside():
    image = np.zeros((20, 20, 3), dtype=np.float32)
    with pytest.raises(wb.WhiteBalanceError, match="too dark"):
        wb.eyedropper(image, 10, 10)
    with pytest.raises(wb.WhiteBalanceError, match="outside"):
        wb.eyedropper(image + 0.5, 25, 3)


@pytest.mark.parametrize("dominant", [False, True], ids=["colourful", "dominant green"])
@pytest.mark.parametrize("light", [(3200, 0), (2850, 0), (8000, 10), (4500, 30)])
def test_auto_neutralises_a_generated_cast(light, dominant):
    image = seen_under(scene(dominant, seed=light[0]), *light)
    before = spread(image)
    values = wb.auto(image)
    after = spread(run(image, *values))
    assert after < 0.02 and after < before / 4, (values, before, after)


def test_auto_on_a_photo_is_the_same_whatever_the_cast(photos_dir):
    """A real photo and the same photo under a 3200 K cast: auto brings both to nearly the same colours."""
    from iea_desktop.core.image_io import load

    _, photo = load(photos_dir / "kodim23.webp")
    cast = seen_under(cs.srgb_to_linear(photo), 3200, 0)
    fixed_photo, fixed_cast = run(photo, *wb.auto(photo)), run(cast, *wb.auto(cast))
    drift = np.abs(fixed_photo.reshape(-1, 3).mean(0) - fixed_cast.reshape(-1, 3).mean(0)).max()
    assert drift < 0.03
    assert np.abs(photo.reshape(-1, 3).mean(0) - cast.reshape(-1, 3).mean(0)).max() > 3 * drift


def test_auto_on_a_flat_grey_picture_changes_nothing_much():
    values = wb.auto(grey(0.5, 64))
    assert spread(run(grey(0.5, 64), *values), (slice(None), slice(None))) < 2 / 255


# --------------------------------------------------------------------------- command line


def test_render_params_from_the_command_line(tmp_path, capsys):
    import json

    from PIL import Image

    from iea_desktop import cli

    photo = tmp_path / "cast.png"
    Image.fromarray(to_uint8(seen_under(scene(), 3200, 0))).save(photo)
    out = tmp_path / "out.png"
    params = json.dumps({"white_balance": {"temperature": 3200, "tint": 0}})
    assert cli.main(["render", str(photo), "-o", str(out), "--params", params]) == 0
    assert spread(np.asarray(Image.open(out), dtype=np.float32) / 255) < 2 / 255
    assert cli.main(["render", str(photo), "-o", str(out), "--params", '{"white_balance": {"kelvin": 3000}}']) != 0
    assert "white_balance has no parameter 'kelvin'" in capsys.readouterr().err


# --------------------------------------------------------------------------- camera RAW


def write_grey_card_dng(path, neutral: tuple[float, float, float], as_shot: tuple[float, float, float],
                        level: float = 0.5):
    """A 16-bit RGGB DNG of one grey card whose camera values are ``neutral`` (the light's colour as
    the sensor sees it) times ``level`` of the range, with ``as_shot`` as the camera's AsShotNeutral."""
    from dng import dng_bytes

    height, width = 64, 64
    raw = [int(256 + v * (4095 - 256) * level) for v in neutral]
    cfa = np.empty((height, width), dtype=np.uint16)
    cfa[0::2, 0::2], cfa[0::2, 1::2], cfa[1::2, 0::2], cfa[1::2, 1::2] = raw[0], raw[1], raw[1], raw[2]
    path.write_bytes(dng_bytes(cfa, as_shot=as_shot))
    return path


RAW_CARD = (slice(16, 48), slice(16, 48))
WARM_LIGHT = (1.0, 0.8, 0.45)  # a grey card under a warm light, as the sensor records it


def test_raw_grey_card_is_neutral_as_shot(tmp_path):
    """The camera balanced for the light (AsShotNeutral = the card's camera colour): the card develops
    neutral, and the white balance node at its default leaves it so."""
    from iea_desktop.core.document import Document

    dng = write_grey_card_dng(tmp_path / "balanced.dng", WARM_LIGHT, WARM_LIGHT)
    from iea_desktop.core.history import AddNode

    doc = Document.open(dng)
    doc.apply(AddNode(make_node("white_balance", {"temperature": 6500, "tint": 10})))
    image = doc.render_full()
    assert spread(image, RAW_CARD) < 2 / 255


def test_raw_grey_card_neutral_with_the_eyedropper(tmp_path):
    """The camera did not balance (AsShotNeutral 1, 1, 1): the card develops warm; the eyedropper on it
    makes it neutral."""
    from iea_desktop.core.document import Document
    from iea_desktop.core.history import AddNode

    dng = write_grey_card_dng(tmp_path / "unbalanced.dng", WARM_LIGHT, (1.0, 1.0, 1.0))
    doc = Document.open(dng)
    developed = doc.render_full()
    assert spread(developed, RAW_CARD) > 0.1
    values = wb.eyedropper(developed, 32, 32, doc.camera)
    assert values[0] < 5500  # a warm light
    doc.apply(AddNode(make_node("white_balance", dict(zip(("temperature", "tint"), values)))))
    assert spread(doc.render_full(), RAW_CARD) < 2 / 255


def test_a_raw_photo_gives_the_renderer_its_camera_when_a_white_balance_renders(tmp_path, monkeypatch):
    """LibRaw gives the matrix only once the RAW is unpacked: opening the photo and rendering it
    without a white balance must not read it (a quarter of a second at 24 MP)."""
    from iea_desktop.core import image_io
    from iea_desktop.core.document import Document
    from iea_desktop.core.history import AddNode
    from iea_desktop.core.ops.white_balance import resolve

    reads = []
    monkeypatch.setattr(image_io, "_camera", lambda raw, read=image_io._camera: reads.append(1) or read(raw))
    doc = Document.open(write_grey_card_dng(tmp_path / "card.dng", WARM_LIGHT, WARM_LIGHT))
    doc.render_preview()
    assert reads == []
    doc.apply(AddNode(make_node("white_balance", {"temperature": 5000})))
    doc.render_preview()
    doc.render_full()
    assert reads == [1]  # once per photo
    camera = resolve(doc.camera)
    assert camera is not None and camera.transfer == "bt709"
    np.testing.assert_allclose(np.array(camera.rgb_cam).reshape(3, 3).sum(axis=1), 1.0, atol=1e-3)
    from PIL import Image

    Image.fromarray(np.full((8, 8, 3), 128, np.uint8)).save(tmp_path / "grey.png")
    assert Document.open(tmp_path / "grey.png").camera is None  # other photos: Bradford


def test_the_node_input_is_what_the_nodes_before_it_render(make_photo):
    from iea_desktop.core.document import Document
    from iea_desktop.core.history import AddNode

    doc = Document.open(make_photo())
    turn = make_node("rotate", {"turns": 1})  # geometry: before white balance in the pipeline
    node = make_node("white_balance", {"temperature": 4000})
    for added in (make_node("exposure", {"value": 40}), node, turn):
        doc.apply(AddNode(added))
    assert [n.op for n in doc.graph.nodes] == ["rotate", "white_balance", "exposure"]
    expected = Renderer().run(RenderRequest(nodes=[turn], source=doc.preview_source(), source_key="x",
                                            scale=doc.preview_scale))
    assert expected.shape[:2] == doc.preview_source().shape[1::-1]
    np.testing.assert_array_equal(wb.node_input(doc, node.id), expected)


def test_raw_white_balance_is_the_develop_with_other_multipliers(tmp_path):
    """On a RAW the op scales the camera's channels: the same as LibRaw developing the RAW again
    with the as-shot multipliers times the op's ratios (compared as chromaticities, in linear light)."""
    import rawpy

    from iea_desktop.core.image_io import raw_camera

    dng = write_grey_card_dng(tmp_path / "card.dng", WARM_LIGHT, WARM_LIGHT, level=0.2)  # nothing clips
    camera = raw_camera(dng)
    settings = dict(output_bps=16, no_auto_bright=True)
    with rawpy.imread(str(dng)) as raw:
        as_shot = np.asarray(raw.camera_whitebalance[:3], dtype=np.float64)
        developed = raw.postprocess(use_camera_wb=True, **settings).astype(np.float32) / 65535
    values = (4200, -15)
    balanced = OP.apply(developed, OP.validate(dict(zip(("temperature", "tint"), values))), 1, RenderContext(camera=camera))
    # the op's per-channel ratios in the camera's space, applied to the raw multipliers instead
    space = camera.space
    ratio = (space @ cs.XYZ_TO_RGB @ cs.xy_to_xyz(*cs.kelvin_tint_to_xy(*AS_SHOT))) / (
        space @ cs.XYZ_TO_RGB @ cs.xy_to_xyz(*cs.kelvin_tint_to_xy(*values)))
    multipliers = as_shot * ratio
    with rawpy.imread(str(dng)) as raw:
        again = raw.postprocess(user_wb=[multipliers[0], multipliers[1], multipliers[2], multipliers[1]],
                                **settings).astype(np.float32) / 65535

    def chromaticity(image):
        linear = cs.to_linear(image[RAW_CARD].reshape(-1, 3).mean(axis=0), "bt709")
        return linear / linear.sum()

    np.testing.assert_allclose(chromaticity(balanced), chromaticity(again), atol=2e-3)
    bradford = OP.apply(developed, OP.validate(dict(zip(("temperature", "tint"), values))), 1, RenderContext())
    assert np.abs(chromaticity(bradford) - chromaticity(again)).max() > 3 * np.abs(
        chromaticity(balanced) - chromaticity(again)).max()  # Bradford's space is not the camera's


@pytest.mark.parametrize("camera", [None, CAMERA])
@pytest.mark.parametrize("values", [(5000, 5), (2000, -150), (50000, 150)])
def test_the_one_kernel_pass_follows_the_formula(values, camera, make_rgb, pixel_kernel):
    """Decode, matrix and encode in one pass of the kernel (compiled or numpy) against the formula
    in double: within the tables' 16-bit steps (half a step times the steepest slope, 12.92)."""
    image = make_rgb(40, 50) * 1.2 - 0.1  # some values outside [0, 1]
    transfer = "srgb" if camera is None else camera.transfer
    m = matrix(*values, camera).astype(np.float64)
    linear = cs.to_linear(np.clip(image.astype(np.float64), 0, 1), transfer)
    expected = cs.from_linear(np.clip(linear @ m.T, 0, 1), transfer)
    np.testing.assert_allclose(run(image, *values, camera), expected, atol=12.92 / 65535)
