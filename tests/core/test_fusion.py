"""Performance machinery keeps the pixels: fused point ops, strips, buffers, the fast decode.

- A fused run of point ops (pointops.py: a Program through the pixel kernel, compiled and its
  numpy fallback: the ``pixel_kernel`` fixture runs a test on both) matches the ops
  applied one by one within 1e-3 on float images (in practice within half a 16-bit step times the
  curve's slope), for every op, version and order, including inputs outside [0, 1], per-channel
  ops, saturation maps and per-pixel fields (grain, vignette).
- Rendering in strips (no cache: export, 1:1 zoom) matches the step-by-step cached render, and
  grain and vignette give every strip the pixels it has in the whole picture.
- The slider-drag path (tail run strip by strip) matches a fresh render.
- The JPEG fast path decodes bit for bit what Pillow decodes; to_uint8/to_uint16/finish keep
  their exact results.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PIL import Image

from iea_desktop.core import image_io, pointops
from iea_desktop.core.apply_node import apply_node
from iea_desktop.core.finish import finish, to_uint8, to_uint16
from iea_desktop.core.graph import make_node
from iea_desktop.core.ops import REGISTRY
from iea_desktop.core.ops import grain as grain_op
from iea_desktop.core.ops import vignette as vignette_op
from iea_desktop.core.render import Renderer, RenderRequest
from iea_desktop.core.steps import plan

# the 16 tools' point ops (one "value" each); tone_curve has tests of its own (tests/core/test_tone_curve.py)
POINT_OPS = [name for name, spec in REGISTRY.items() if spec.point in ("affine", "curve") and spec.iea_tool]
CURVES = [name for name in POINT_OPS if REGISTRY[name].point == "curve"]


def unfused(image: np.ndarray, nodes) -> np.ndarray:
    for node in nodes:
        image = apply_node(image, node, 1.0)
    return image


def fused(image: np.ndarray, nodes) -> np.ndarray:
    return pointops.program(nodes, 1.0).run(image)


def wide_float_image(seed: int = 0, height: int = 64, width: int = 96) -> np.ndarray:
    """Float RGB with values in [-0.2, 1.2] and the exact ends 0 and 1 (16-bit-like gradations)."""
    rng = np.random.default_rng(seed)
    image = rng.uniform(-0.2, 1.2, size=(height, width, 3)).astype(np.float32)
    image[0, :4] = [[0, 0, 0], [1, 1, 1], [0.5, 0.5, 0.5], [1 / 65535, 2 / 65535, 65534 / 65535]]
    return image


def test_the_registry_declares_the_point_ops():
    assert {n for n, s in REGISTRY.items() if s.point == "affine"} == {"exposure", "brightness", "contrast", "fade"}
    assert {n for n, s in REGISTRY.items() if s.point == "saturation"} == {"saturation", "vibrance"}
    assert set(CURVES) == {"natural_contrast", "highlights", "shadows", "whites", "blacks", "temperature", "tint"}
    for name in CURVES + ["saturation", "vibrance", "grain", "vignette", "sharpness"]:
        assert REGISTRY[name].tiles, name


@pytest.mark.parametrize("name", POINT_OPS)
@pytest.mark.parametrize("value", [-100, -37, 1, 55, 100])
def test_each_point_op_fused_alone_matches(name, value, pixel_kernel):
    image = wide_float_image()
    for version in REGISTRY[name].versions:
        node = make_node(name, {"value": value}, version=version)
        expected = unfused(image, [node])
        if REGISTRY[name].point == "affine":
            np.testing.assert_allclose(fused(image, [node]), expected, atol=1e-6)  # a multiply-add, no table
            expected = np.clip(expected, 0, 1)  # compare as a following curve would see it
            got = np.clip(fused(image, [node, make_node("whites", {"value": 0})]), 0, 1)
            np.testing.assert_allclose(got, expected, atol=0.5 / 65535 + 1e-7)  # half a 16-bit step
            a, b = pointops.affine_of(node)
            np.testing.assert_allclose(image * a + b, unfused(image, [node]), atol=1e-6)
        else:
            np.testing.assert_allclose(fused(image, [node]), expected, atol=1e-3)


@pytest.mark.parametrize("seed", range(12))
def test_random_runs_of_point_ops_match_within_1e_3(seed, pixel_kernel):
    rng = np.random.default_rng(seed)
    names = list(rng.choice(POINT_OPS, size=int(rng.integers(2, 10))))
    if not any(REGISTRY[n].point == "curve" for n in names):
        names.append(str(rng.choice(CURVES)))
    rng.shuffle(names)  # the person's order, not the canonical one
    nodes = []
    for name in names:
        version = int(rng.choice(sorted(REGISTRY[name].versions)))
        nodes.append(make_node(name, {"value": int(rng.integers(-100, 101))}, version=version))
    image = wide_float_image(seed)
    got = fused(image, nodes)
    expected = unfused(image, nodes)
    assert np.abs(got - expected).max() <= 1e-3, [n.op for n in nodes]
    # the typical error is far below: half a 16-bit step times the slope
    assert np.abs(got - expected).mean() < 1e-4


def test_the_sixteen_tools_fused_match_on_16bit_levels(pixel_kernel):
    """A 16-bit photo's levels are table entries: only float rounding is left."""
    levels = np.arange(0, 65536, 97, dtype=np.float32) / np.float32(65535)
    image = np.stack([levels, levels[::-1], np.roll(levels, 100)], axis=-1)[None]
    nodes = [make_node(n, {"value": v}) for n, v in
             [("natural_contrast", 30), ("highlights", -30), ("shadows", 30), ("whites", 20), ("blacks", -20)]]
    np.testing.assert_allclose(fused(image, nodes), unfused(image, nodes), atol=2e-6)


def test_per_channel_ops_get_a_table_per_channel():
    run = pointops.build([make_node("temperature", {"value": 40}), make_node("tint", {"value": -25})])
    assert run.table is not None and run.table.shape == (pointops.LUT_SIZE, 3)
    tone = pointops.build([make_node("shadows", {"value": 40})])
    assert tone.table.shape == (pointops.LUT_SIZE,)


def test_plan_fuses_point_runs_and_keeps_affine_only_runs_per_node():
    nodes = [make_node(n, {"value": 30}) for n in
             ("exposure", "contrast", "highlights", "saturation", "vibrance", "temperature", "grain", "exposure", "brightness")]
    steps = plan(nodes, 0, 1.0)
    assert [[n.op for n in s.nodes] for s in steps] == [
        ["exposure", "contrast", "highlights", "saturation", "vibrance", "temperature", "grain", "exposure",
         "brightness"]]
    assert [s.last for s in steps] == [8]
    sharp = [make_node("exposure", {"value": 30}), make_node("brightness", {"value": 30}), make_node("sharpness", {"value": 30}),
             make_node("vignette", {"value": 30}), make_node("saturation", {"value": 30})]
    assert [[n.op for n in s.nodes] for s in plan(sharp, 0, 1.0)] == [
        ["exposure"], ["brightness"], ["sharpness"], ["vignette", "saturation"]]
    # the node being edited starts a step of its own, so its input stays in the cache
    assert [[n.op for n in s.nodes] for s in plan(nodes, 0, 1.0, split_at=3)] == [
        ["exposure", "contrast", "highlights"], ["saturation", "vibrance", "temperature", "grain", "exposure", "brightness"]]
    half = make_node("shadows", {"value": 30})
    half.opacity = 0.5  # a partly transparent node is never fused
    assert [[n.op for n in s.nodes] for s in plan([make_node("whites", {"value": 9}), half], 0, 1.0)] == [["whites"], ["shadows"]]


def test_masked_point_nodes_fuse_with_their_neighbours_into_one_program(pixel_kernel):
    """Masked point nodes (at any opacity) join the fused run: one step, one pass, the pixels of
    each node applied and mixed by its mask one by one (apply_node), over the whole and in strips."""
    from iea_desktop.core.masks import Linear, Mask, Radial
    from iea_desktop.core.masks.plane import MaskPlane, combine

    image = wide_float_image(seed=8)
    h, w = image.shape[:2]
    gradient = Mask(components=(Linear(start=(0.5, 0.0), end=(0.5, 0.6)),))
    spot = Mask(components=(Radial(centre=(0.4, 0.6), radii=(0.3, 0.25)),))
    nodes = [make_node("exposure", {"value": 20}), make_node("exposure", {"value": -40}, mask=gradient),
             make_node("contrast", {"value": 25}), make_node("shadows", {"value": 40}, mask=spot),
             make_node("saturation", {"value": 35}, mask=gradient), make_node("grain", {"value": 30}),
             make_node("vignette", {"value": -30})]
    nodes[3].opacity = 0.5
    masks = {i: MaskPlane(combine(n.mask, h, w, lambda: image)) for i, n in enumerate(nodes) if n.mask is not None}
    steps = plan(nodes, 0, 1.0, masks=masks)
    assert [s.nodes for s in steps] == [nodes]
    expected = image
    for i, node in enumerate(nodes):
        expected = apply_node(expected, node, 1.0, mask=masks.get(i))
    np.testing.assert_allclose(steps[0].run(image, None, 0), expected, atol=1e-3)
    out = steps[0].run(image, (h, w), 0, np.empty((20, w, 3), np.float32), 30)
    np.testing.assert_allclose(out, expected[30:50], atol=1e-3)
    np.testing.assert_allclose(steps[0].run(image[30:50], (h, w), 30), expected[30:50], atol=1e-3)
    # a masked node whose plane the renderer did not make is a step of its own
    assert [len(s.nodes) for s in plan(nodes, 0, 1.0, masks={1: masks[1], 4: masks[4]})] == [3, 1, 3]


def test_a_neighbourhood_op_takes_the_point_run_after_it_into_its_own_pass(pixel_kernel):
    """Noise reduction, dehaze, clarity and texture end in a kernel pass of their own, which the point
    nodes after them join (OpSpec.fuses_after): one step, the pixels of the nodes one by one, over the
    whole and in strips; not after a masked or faded node, nor past the node being edited."""
    from iea_desktop.core.masks import Linear, Mask
    from iea_desktop.core.masks.plane import MaskPlane, combine

    image = np.clip(wide_float_image(seed=11, height=96, width=80), 0.0, 1.0)
    h, w = image.shape[:2]
    gradient = Mask(components=(Linear(start=(0.5, 0.0), end=(0.5, 0.6)),))
    nodes = [make_node("noise_reduction", {"luminance": 30, "color": 40}), make_node("exposure", {"value": 20}),
             make_node("white_balance", {"temperature": 5000, "tint": 5}), make_node("dehaze", {"value": 20}), make_node("contrast", {"value": 25}),
             make_node("exposure", {"value": -30}, mask=gradient), make_node("clarity", {"value": 30}),
             make_node("grain", {"value": 30}), make_node("vignette", {"value": 30}), make_node("texture", {"value": 20})]
    masks = {5: MaskPlane(combine(gradient, h, w, lambda: image))}
    steps = plan(nodes, 0, 1.0, masks=masks)
    assert [[n.op for n in s.nodes] for s in steps] == [
        ["noise_reduction", "exposure", "white_balance"], ["dehaze", "contrast", "exposure"],
        ["clarity", "grain", "vignette"], ["texture"]]
    assert [s.last for s in steps] == [2, 5, 8, 9]
    expected, whole = image, image
    for i, node in enumerate(nodes):
        expected = apply_node(expected, node, 1.0, (h, w), 0, mask=masks.get(i))
    for step in steps:  # each step over the whole, and in strips of 40 rows with their context
        halo = step.halo
        strips = np.concatenate([
            step.run(whole[max(0, a - halo) : a + 40 + halo], (h, w), max(0, a - halo),
                     np.empty((min(40, h - a), w, 3), np.float32), a - max(0, a - halo)) for a in range(0, h, 40)])
        whole = step.run(whole, (h, w), 0)
        np.testing.assert_allclose(strips, whole, atol=1e-5)
    np.testing.assert_allclose(whole, expected, atol=1e-3)
    # where the op has nothing to do, the run after it still runs
    idle = [make_node("noise_reduction", {"luminance": 0, "color": 0}), make_node("exposure", {"value": 40})]
    (step,) = plan(idle, 0, 1.0)
    np.testing.assert_allclose(step.run(image, None, 0), apply_node(image, idle[1], 1.0), atol=1e-3)
    # the node being edited starts a step; a masked or faded op mixes before the run after it
    assert [[n.op for n in s.nodes] for s in plan(nodes[3:6], 0, 1.0, split_at=2, masks={2: masks[5]})] == [
        ["dehaze", "contrast"], ["exposure"]]
    faded = [make_node("dehaze", {"value": 20}), make_node("exposure", {"value": 20})]
    faded[0].opacity = 0.5
    assert [len(s.nodes) for s in plan(faded, 0, 1.0)] == [1, 1]


@pytest.mark.parametrize("version", [1, 2])
def test_fused_saturation_and_vibrance_match_the_hsv_round_trips(rgb, version, pixel_kernel):
    """The tabulated maps applied in RGB against one HSV round trip per node: the grid's
    interpolation is off by a few 1e-4 at most, where a map clips; elsewhere float rounding."""
    nodes = [make_node("saturation", {"value": 40}), make_node("vibrance", {"value": -30}, version=version),
             make_node("vibrance", {"value": 60}, version=version)]
    got = Renderer().run(RenderRequest(nodes=nodes, source=rgb, source_key="src"))
    one_by_one = finish(unfused(rgb, nodes))
    assert np.abs(got - one_by_one).max() < 1e-3
    assert np.abs(got - one_by_one).mean() < 1e-5
    greys = np.repeat(rgb[..., :1], 3, axis=2)  # no saturation: no change at all
    np.testing.assert_allclose(Renderer().run(RenderRequest(nodes=nodes, source=greys,
                                                            source_key="src")), greys, atol=1e-7)


# --------------------------------------------------------------------------- strips


def every_tool(sign: int = 1):
    return [make_node(name, {"value": sign * (30 + 5 * i)}) for i, (name, spec) in enumerate(REGISTRY.items()) if spec.iea_tool]


@pytest.mark.parametrize("sign", [1, -1])
@pytest.mark.parametrize("scale", [1.0, 0.3])
def test_strips_match_the_whole_picture(sign, scale, make_rgb, monkeypatch, pixel_kernel):
    """The uncached render (strips through the whole pipeline, halos recomputed) equals the cached one."""
    import iea_desktop.core.strips as strips

    monkeypatch.setattr(strips, "strip_rows", lambda width, halo=0: 16)  # many strips on a small picture
    image = make_rgb(150, 120, seed=4)
    nodes = every_tool(sign) + [make_node("straighten", {"angle": 3.0})]
    nodes.insert(0, nodes.pop())  # geometry first, then the tools
    cached = Renderer().run(RenderRequest(nodes=nodes, source=image, source_key="src", scale=scale))
    strips = Renderer().run(RenderRequest(nodes=nodes, source=image, source_key="src", scale=scale, cached=False))
    np.testing.assert_allclose(strips, cached, atol=1e-5)


def test_grain_noise_and_vignette_mask_do_not_depend_on_the_strips():
    frame = (200, 90)
    whole = grain_op._generate(7, frame, True, 0, 200)
    for y0, y1 in [(0, 1), (5, 37), (16, 32), (150, 200), (199, 200)]:
        np.testing.assert_array_equal(grain_op._generate(7, frame, True, y0, y1), whole[y0:y1])
    big = (3000, 2000)  # over the size whose masks are kept
    np.testing.assert_array_equal(vignette_op.mask(*big, 40, 1000, 1010), vignette_op._mask_rows(*big, 40, 0, 3000)[1000:1010])


def test_the_iea_vignette_mask_is_unchanged():
    """The double-precision mask the IEA-exact pipeline uses, as it was computed before strips."""
    h, w, v = 37, 53, -60
    ys, xs = np.ogrid[:h, :w]
    r = np.sqrt((xs - w / 2.0) ** 2 + (ys - h / 2.0) ** 2)
    r /= r.max()
    old = (np.clip(r / (1.0 - 0.005 * 60), 0.0, 1.0) ** (0.5 + 0.015 * 60)).astype(np.float32)
    np.testing.assert_array_equal(vignette_op.mask(h, w, v), old)


def test_grain_statistics_survive_the_banded_noise():
    flat = np.full((256, 256, 3), 0.5, dtype=np.float32)
    for version, per_channel in ((1, True), (2, False)):
        out = Renderer().run(RenderRequest(nodes=[make_node("grain", {"value": 50}, version=version)], source=flat,
                                           source_key="src"))
        noise = out - 0.5
        assert noise.mean() == pytest.approx(0.0, abs=2e-3)
        assert noise.std() == pytest.approx(0.15, rel=0.03)
        assert np.array_equal(noise[..., 0], noise[..., 1]) != per_channel


def test_a_slider_drag_renders_what_a_fresh_renderer_renders(make_rgb, pixel_kernel):
    image = make_rgb(120, 160, seed=2)
    nodes = every_tool()
    renderer = Renderer()
    renderer.run(RenderRequest(nodes=nodes, source=image, source_key="src"))
    saturation = next(n for n in nodes if n.op == "saturation")
    tail = len(nodes) - nodes.index(saturation)
    for value in (31, 35, 50, -20, 33, 34):  # from the second change on, the node's input is in the cache
        saturation.params = {"value": value}
        out = renderer.run(RenderRequest(nodes=nodes, source=image, source_key="src"))
        if value != 31:
            assert renderer.last_recomputed == tail
        np.testing.assert_allclose(out, Renderer().run(RenderRequest(nodes=nodes, source=image,
                                                                     source_key="src")), atol=1e-5)
        if value == 31:
            kept = renderer._cached_bytes
        # only the latest state of the steps after the dragged node is kept: the cache does not grow
        assert renderer._cached_bytes == kept
    saturation.params = {"value": 31}  # an earlier state of the drag: recomputed from the node's input
    renderer.run(RenderRequest(nodes=nodes, source=image, source_key="src"))
    assert renderer.last_recomputed == tail
    # the same state again (the drag has ended): now kept
    renderer.run(RenderRequest(nodes=nodes, source=image, source_key="src"))
    assert renderer.last_recomputed == tail
    renderer.run(RenderRequest(nodes=nodes, source=image, source_key="src"))
    assert renderer.last_recomputed == 0


def test_while_a_node_is_edited_only_its_input_is_kept(make_rgb):
    """The steps from the edited node on change with every move of its slider: they run as one
    chain of small strips, and the cache keeps the edited node's input, not their outputs."""
    image = make_rgb(120, 160, seed=3)
    nodes = every_tool()
    renderer = Renderer()
    renderer.run(RenderRequest(nodes=nodes, source=image, source_key="src"))
    saturation = next(n for n in nodes if n.op == "saturation")
    for value in (31, 40):
        saturation.params = {"value": value}
        out = renderer.run(RenderRequest(nodes=nodes, source=image, source_key="src"))
    np.testing.assert_allclose(out, Renderer().run(RenderRequest(nodes=nodes, source=image,
                                                                 source_key="src")), atol=1e-5)
    # the first render's two steps (the fused run of 15 nodes, sharpness) and the edited node's input
    assert len(renderer._cache) == 3
    up_to_vignette = nodes[:nodes.index(next(n for n in nodes if n.op == "vignette")) + 1]
    before = renderer.run(RenderRequest(nodes=up_to_vignette, source=image, source_key="src"))
    assert renderer.last_recomputed == len(up_to_vignette) - nodes.index(saturation)  # vignette's output was not kept
    np.testing.assert_allclose(before, Renderer().run(RenderRequest(nodes=up_to_vignette, source=image,
                                                                    source_key="src")), atol=1e-5)


def test_cancelling_an_uncached_render_polls_once_per_node(rgb):
    from iea_desktop.core.render import RenderCancelled

    polls = []
    Renderer().run(RenderRequest(nodes=every_tool(), source=rgb, source_key="src", cached=False,
                                 cancelled=lambda: polls.append(1) and False))
    assert len(polls) == 16
    with pytest.raises(RenderCancelled):
        Renderer().run(RenderRequest(nodes=every_tool(), source=rgb, source_key="src", cached=False,
                                     cancelled=lambda: True))


# --------------------------------------------------------------------------- conversions and decoding


def test_to_uint8_to_uint16_and_finish_keep_their_exact_results(pixel_kernel):
    rng = np.random.default_rng(5)
    image = rng.uniform(-0.1, 1.1, size=(700, 500, 3)).astype(np.float32)  # big enough for strips
    image[0, 0] = [np.nan, np.inf, -np.inf]
    levels = (np.arange(256, dtype=np.float32)[:, None] + np.float32(0.5)) / np.float32(255)  # ties
    image[1, :256, 0] = levels[:, 0]
    old_finish = np.clip(np.nan_to_num(image, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)
    np.testing.assert_array_equal(finish(image), old_finish)
    np.testing.assert_array_equal(to_uint8(image), np.clip(np.rint(old_finish * 255), 0, 255).astype(np.uint8))
    np.testing.assert_array_equal(to_uint16(image), np.clip(np.rint(old_finish * 65535), 0, 65535).astype(np.uint16))


@pytest.mark.parametrize("subsampling", [0, 1, 2])
def test_the_jpeg_fast_path_decodes_exactly_what_pillow_decodes(subsampling, tmp_path, photos_dir):
    path = tmp_path / "photo.jpg"
    Image.open(photos_dir / "kodim14.webp").convert("RGB").save(path, quality=90, subsampling=subsampling)
    _, image = image_io.load(path)
    pillow = np.asarray(Image.open(path).convert("RGB")).astype(np.float32) / np.float32(255)
    np.testing.assert_array_equal(image, pillow)


def test_float_conversion_in_strips_is_exact():
    rng = np.random.default_rng(1)
    u8 = rng.integers(0, 256, size=(600, 300, 3), dtype=np.uint8)
    u16 = rng.integers(0, 65536, size=(600, 300, 3), dtype=np.uint16)
    np.testing.assert_array_equal(image_io._to_float_rgb(u8), u8.astype(np.float32) / np.float32(255))
    np.testing.assert_array_equal(image_io._to_float_rgb(u16), u16.astype(np.float32) / np.float32(65535))
    np.testing.assert_array_equal(image_io._to_float_rgb(u8, bgr=True), u8[..., ::-1].astype(np.float32) / np.float32(255))


def test_all_combinations_of_neighbouring_point_kinds_plan_without_gaps():
    kinds = ["exposure", "shadows", "saturation", "grain", "tint"]
    for combo in itertools.product(kinds, repeat=3):
        nodes = [make_node(n, {"value": 20}) for n in combo]
        steps = plan(nodes, 0, 0.5)
        assert [n for s in steps for n in s.nodes] == nodes


# --------------------------------------------------------------------------- export encoding


def test_a_noisy_jpeg_that_outgrows_pillows_optimise_buffer_still_exports():
    """Optimised JPEGs are encoded in one buffer of a byte per pixel; pure noise at quality 95 needs more."""
    import io

    from iea_desktop.core.export import ExportOptions, encode

    noise = np.random.default_rng(0).random((300, 300, 3), dtype=np.float32)
    data = encode(noise, "JPEG", ExportOptions(quality=95), None)
    assert len(data) > 300 * 300
    decoded = np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(np.float32) / 255
    assert np.abs(decoded - noise).mean() < 0.05


def test_huffman_optimisation_is_kept_for_pictures_up_to_the_threshold(monkeypatch):
    import io

    from iea_desktop.core import export

    picture = np.random.default_rng(1).random((64, 64, 3), dtype=np.float32) * 0.2 + 0.4
    optimised = export.encode(picture, "JPEG", export.ExportOptions(), None)
    monkeypatch.setattr(export, "OPTIMIZE_HUFFMAN_PIXELS", 64 * 64 - 1)
    plain = export.encode(picture, "JPEG", export.ExportOptions(), None)
    assert len(optimised) < len(plain)
    pixels = [np.asarray(Image.open(io.BytesIO(data))) for data in (optimised, plain)]
    np.testing.assert_array_equal(pixels[0], pixels[1])  # the pixels do not depend on it
