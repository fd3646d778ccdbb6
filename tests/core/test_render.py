"""The float renderer: unchanged photos, the per-node cache, cancellation, safety of the output."""

from __future__ import annotations

import numpy as np
import pytest

from iea_desktop.core import image_io
from iea_desktop.core.document import Document
from iea_desktop.core.finish import finish, to_uint8, to_uint16
from iea_desktop.core.graph import make_node
from iea_desktop.core.history import AddNode, SetNodeFields
from iea_desktop.core.ops import REGISTRY
from iea_desktop.core.render import RenderCancelled, Renderer, RenderRequest


def tone_nodes():
    """Three steps: exposure (an affine op alone), sharpness (a neighbourhood op), and saturation +
    vignette (a fused run, one step)."""
    return [
        make_node("exposure", {"value": 20}),
        make_node("sharpness", {"value": 15}),
        make_node("saturation", {"value": 30}),
        make_node("vignette", {"value": 40}),
    ]


# --------------------------------------------------------------------------- unchanged photos


def _unedited_variants():
    disabled = make_node("exposure", {"value": 50})
    disabled.enabled = False
    transparent = make_node("saturation", {"value": -80})
    transparent.opacity = 0.0
    return {
        "empty": [],
        "all disabled": [disabled],
        "opacity 0": [transparent],
        "identity params": [make_node(name) for name in REGISTRY],
        "mixed": [disabled, transparent, make_node("grain"), make_node("crop")],
    }


@pytest.mark.parametrize("variant", list(_unedited_variants()))
def test_unedited_8bit_photo_comes_back_bit_identical(variant, photo, make_u8):
    original = make_u8()  # the pixels the `photo` fixture wrote
    _, source = image_io.load(photo)
    out = Renderer().run(RenderRequest(nodes=_unedited_variants()[variant], source=source, source_key="photo"))
    assert out is not source  # a copy: the caller may write to it
    np.testing.assert_array_equal(to_uint8(out), original)


def test_document_full_and_preview_of_an_unedited_photo_are_the_original(photo, make_u8):
    doc = Document.open(photo)
    np.testing.assert_array_equal(to_uint8(doc.render_full()), make_u8())
    np.testing.assert_array_equal(to_uint8(doc.render_preview()), make_u8())  # 128 px < preview edge
    assert doc.preview_scale == 1.0


def test_to_uint8_and_uint16_round_trip_exactly():
    levels8 = np.arange(256, dtype=np.uint8).reshape(16, 16, 1).repeat(3, axis=2)
    np.testing.assert_array_equal(to_uint8(levels8.astype(np.float32) / np.float32(255)), levels8)
    levels16 = np.arange(0, 65536, 7, dtype=np.uint16)[None, :, None].repeat(3, axis=2)
    np.testing.assert_array_equal(to_uint16(levels16.astype(np.float32) / np.float32(65535)), levels16)


def test_the_renderer_never_writes_to_the_source(rgb):
    before = rgb.copy()
    nodes = [make_node(name, {"value": 60}) if REGISTRY[name].iea_tool else make_node(name) for name in REGISTRY]
    Renderer().run(RenderRequest(nodes=nodes, source=rgb, source_key="src"))
    np.testing.assert_array_equal(rgb, before)


# --------------------------------------------------------------------------- cache


def test_changing_the_last_node_recomputes_only_that_node(rgb):
    renderer, nodes = Renderer(), tone_nodes()
    first = renderer.run(RenderRequest(nodes=nodes, source=rgb, source_key="src"))
    assert renderer.last_recomputed == 4
    again = renderer.run(RenderRequest(nodes=nodes, source=rgb, source_key="src"))
    assert renderer.last_recomputed == 0
    np.testing.assert_array_equal(first, again)

    nodes[-1].params = {"value": 80}
    out = renderer.run(RenderRequest(nodes=nodes, source=rgb, source_key="src"))
    assert renderer.last_recomputed == 2  # its fused step, split at the changed node from now on
    np.testing.assert_array_equal(out, Renderer().run(RenderRequest(nodes=nodes, source=rgb, source_key="src")))
    nodes[-1].params = {"value": 70}
    out = renderer.run(RenderRequest(nodes=nodes, source=rgb, source_key="src"))
    assert renderer.last_recomputed == 1  # the edited node's input was kept
    np.testing.assert_allclose(out, Renderer().run(RenderRequest(nodes=nodes, source=rgb, source_key="src")), atol=1e-6)


def test_changing_the_first_node_recomputes_all(rgb):
    renderer, nodes = Renderer(), tone_nodes()
    renderer.run(RenderRequest(nodes=nodes, source=rgb, source_key="src"))
    nodes[0].params = {"value": -20}
    out = renderer.run(RenderRequest(nodes=nodes, source=rgb, source_key="src"))
    assert renderer.last_recomputed == 4
    np.testing.assert_array_equal(out, Renderer().run(RenderRequest(nodes=nodes, source=rgb, source_key="src",
                                                                    cached=False)))


def test_changing_a_middle_node_recomputes_from_it_on(rgb):
    renderer, nodes = Renderer(), tone_nodes()
    renderer.run(RenderRequest(nodes=nodes, source=rgb, source_key="src"))
    nodes[2].opacity = 0.5
    renderer.run(RenderRequest(nodes=nodes, source=rgb, source_key="src"))
    assert renderer.last_recomputed == 2
    nodes[1].enabled = False  # drops out of the active list: everything after it is new
    out = renderer.run(RenderRequest(nodes=nodes, source=rgb, source_key="src"))
    assert renderer.last_recomputed == 2
    np.testing.assert_array_equal(out, Renderer().run(RenderRequest(nodes=nodes, source=rgb, source_key="src",
                                                                    cached=False)))
    nodes[1].enabled = True
    renderer.run(RenderRequest(nodes=nodes, source=rgb, source_key="src"))
    assert renderer.last_recomputed == 2  # rendered before, but while node 2 was being edited: not kept
    # the same state again: now every step is kept
    renderer.run(RenderRequest(nodes=nodes, source=rgb, source_key="src"))
    renderer.run(RenderRequest(nodes=nodes, source=rgb, source_key="src"))
    assert renderer.last_recomputed == 0


def test_a_different_source_or_scale_misses_the_cache(rgb):
    renderer, nodes = Renderer(), tone_nodes()
    renderer.run(RenderRequest(nodes=nodes, source=rgb, source_key="src"))
    renderer.run(RenderRequest(nodes=nodes, source=rgb, source_key="other source"))
    assert renderer.last_recomputed == 4
    renderer.run(RenderRequest(nodes=nodes, source=rgb, source_key="src", scale=0.5))
    assert renderer.last_recomputed == 4
    renderer.run(RenderRequest(nodes=nodes, source=rgb, source_key="src", cached=False))
    assert renderer.last_recomputed == 4


def test_each_consumer_renders_on_a_pipe_of_its_own(photo):
    """An assistant statistics render and the before view between two slider frames leave the
    preview's pipe alone: nothing of theirs enters its cache, and the next frame is again planned
    with the slider's node as the one being edited, recomputing only from it on."""
    from iea_desktop.core.image_io import downscale

    doc = Document.open(photo)
    for node in tone_nodes():
        doc.apply(AddNode(node))
    saturation = next(n for n in doc.graph.nodes if n.op == "saturation")
    at = doc.graph.nodes.index(saturation)
    preview = doc.pipe("preview")

    def slider_frame(value):
        doc.apply(SetNodeFields(saturation.id, params={"value": value}, gesture="drag"))
        doc.render(RenderRequest(nodes=doc.graph.nodes, dtype=np.uint8))

    doc.render(RenderRequest(nodes=doc.graph.nodes, dtype=np.uint8))
    slider_frame(35)  # the first move recomputes the fused step it is in, split at it from now on
    slider_frame(38)
    assert preview.last_recomputed == len(doc.graph.nodes) - at and preview._edited == at
    kept = list(preview._cache)
    small = downscale(doc.preview_source(), 64)  # what the assistant measures
    doc.render(RenderRequest(nodes=doc.graph.nodes, source=small, source_key="stats", pipe="assistant"))
    doc.render(RenderRequest(nodes=[], dtype=np.uint8, pipe="before"))
    assert list(preview._cache) == kept
    slider_frame(40)
    assert preview.last_recomputed == len(doc.graph.nodes) - at and preview._edited == at
    assert doc.pipe("assistant") is not preview and doc.pipe("assistant")._cache


def test_cache_through_the_document_history(photo):
    doc = Document.open(photo)
    nodes = tone_nodes()
    for node in nodes:
        doc.apply(AddNode(node))
    doc.render_preview()
    assert doc.pipe("preview").last_recomputed == 4
    assert doc.graph.nodes[-1].op == "sharpness"  # the pipeline's order: sharpening comes last
    for v in (10, 20, 30):  # dragging the last slider
        doc.apply(SetNodeFields(doc.graph.nodes[-1].id, params={"value": v}, gesture="drag"))
        doc.render_preview()
        assert doc.pipe("preview").last_recomputed == 1
    doc.history.undo()
    doc.render_preview()
    assert doc.pipe("preview").last_recomputed == 0  # back to a state already in the cache


def test_the_cache_stays_within_its_byte_budget_and_outputs_are_private(rgb):
    renderer = Renderer(cache_bytes=3 * rgb.nbytes)
    nodes = tone_nodes()
    out = renderer.run(RenderRequest(nodes=nodes, source=rgb, source_key="src"))
    assert renderer._cached_bytes <= 3 * rgb.nbytes
    out[:] = 0  # the caller owns its output; the cache must not change
    request = RenderRequest(nodes=nodes, source=rgb, source_key="src")
    np.testing.assert_array_equal(renderer.run(request), Renderer().run(request))
    renderer.clear()
    renderer.run(request)
    assert renderer.last_recomputed == 4
    tiny = Renderer(cache_bytes=10)  # nothing fits: still renders
    np.testing.assert_array_equal(tiny.run(request), Renderer().run(request))
    assert tiny._cached_bytes == 0


# --------------------------------------------------------------------------- cancellation


def test_cancelled_callback_raises_render_cancelled(rgb):
    with pytest.raises(RenderCancelled):
        Renderer().run(RenderRequest(nodes=tone_nodes(), source=rgb, source_key="src", cancelled=lambda: True))


def test_cancellation_midway_and_the_next_render_still_correct(rgb):
    renderer, nodes = Renderer(), tone_nodes()
    polls = []

    def cancel_on_third_poll():
        polls.append(1)
        return len(polls) >= 3

    with pytest.raises(RenderCancelled):
        renderer.run(RenderRequest(nodes=nodes, source=rgb, source_key="src", cancelled=cancel_on_third_poll))
    assert len(polls) == 3
    out = renderer.run(RenderRequest(nodes=nodes, source=rgb, source_key="src", cancelled=lambda: False))
    assert renderer.last_recomputed == 2  # the two steps finished before the cancel were kept
    np.testing.assert_array_equal(out, Renderer().run(RenderRequest(nodes=nodes, source=rgb, source_key="src",
                                                                    cached=False)))


# --------------------------------------------------------------------------- safety of the output


def _extreme(param, sign: int):
    """A number at its limit; a curve as steep as one gets (+) or turned upside down (-)."""
    if param.kind == "curve":
        return [[0, 0], [120, 0], [136, 255], [255, 255]] if sign > 0 else [[0, 255], [255, 0]]
    return param.maximum if sign > 0 else param.minimum


def _extreme_graph(sign: int, version_choice: str) -> list:
    """Every op at once: geometry at its limits, each IEA tool at +-100 (oldest or latest version),
    the tools beyond the 16 with every number (and curve) at its limit."""
    nodes = [
        make_node("rotate", {"turns": 1}),
        make_node("flip", {"horizontal": True, "vertical": True}),
        make_node("straighten", {"angle": 45.0 * sign}),
        make_node("crop", {"left": 0.2, "right": 0.9, "top": 0.1, "bottom": 0.6, "aspect": "16:9"}),
    ]
    for name, spec in REGISTRY.items():
        if spec.iea_tool:
            version = spec.latest_version if version_choice == "latest" else min(spec.versions)
            nodes.append(make_node(name, {"value": 100 * sign}, version=version))
        elif spec.stage != "geometry":
            params = {p.name: _extreme(p, sign) for p in spec.params if p.kind in ("int", "float", "curve")}
            nodes.append(make_node(name, params))
    assert {n.op for n in nodes} == set(REGISTRY)
    return nodes


@pytest.mark.parametrize("sign", [1, -1])
@pytest.mark.parametrize("version_choice", ["latest", "oldest"])
@pytest.mark.parametrize("scale", [1.0, 0.25])
def test_extreme_values_on_every_op_give_no_nan_and_stay_in_range(sign, version_choice, scale, make_rgb):
    image = make_rgb(120, 160)
    out = Renderer().run(RenderRequest(nodes=_extreme_graph(sign, version_choice), source=image, source_key="src",
                                       scale=scale))
    assert out.dtype == np.float32 and out.ndim == 3 and out.shape[2] == 3 and out.size
    assert np.all(np.isfinite(out))
    assert out.min() >= 0.0 and out.max() <= 1.0


@pytest.mark.parametrize("sign", [1, -1])
def test_extreme_values_on_black_and_white_input(sign):
    for fill in (0.0, 1.0):
        image = np.full((40, 60, 3), fill, dtype=np.float32)
        for version_choice in ("latest", "oldest"):
            out = Renderer().run(RenderRequest(nodes=_extreme_graph(sign, version_choice), source=image,
                                               source_key="src"))
            assert np.all(np.isfinite(out)) and out.min() >= 0.0 and out.max() <= 1.0


def test_damaged_input_values_are_sanitised(rgb):
    image = rgb.copy()
    image[0, 0] = np.nan
    image[1, 1] = np.inf
    image[2, 2] = -5.0
    out = Renderer().run(RenderRequest(nodes=[make_node("exposure", {"value": 10})], source=image, source_key="src"))
    assert np.all(np.isfinite(out)) and out.min() >= 0.0 and out.max() <= 1.0
    np.testing.assert_array_equal(finish(np.array([np.nan, np.inf, -np.inf, 2.0, -1.0, 0.5], dtype=np.float32)),
                                  np.array([0.0, 1.0, 0.0, 1.0, 0.0, 0.5], dtype=np.float32))


# --------------------------------------------------------------------------- grain and opacity


@pytest.mark.parametrize("version", sorted(REGISTRY["grain"].versions))
def test_grain_renders_identical_pixels_twice(version, rgb):
    node = make_node("grain", {"value": 60}, version=version)
    a = Renderer().run(RenderRequest(nodes=[node], source=rgb, source_key="src"))
    b = Renderer().run(RenderRequest(nodes=[node], source=rgb, source_key="src", cached=False))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, rgb)
    other = make_node("grain", {"value": 60}, version=version)  # another node: its own seed
    assert not np.array_equal(a, Renderer().run(RenderRequest(nodes=[other], source=rgb, source_key="src")))


def test_two_grain_nodes_do_not_share_noise(rgb):
    flat = np.full((64, 64, 3), 0.5, dtype=np.float32)
    a, b = make_node("grain", {"value": 20}), make_node("grain", {"value": 20})
    out = Renderer().run(RenderRequest(nodes=[a, b], source=flat, source_key="src"))
    # independent noise adds in quadrature: sqrt(2) * 0.06
    assert float((out - flat).std()) == pytest.approx(0.06 * np.sqrt(2), rel=0.1)


def test_opacity_half_is_halfway(make_rgb):
    image = make_rgb(64, 64) * 0.45  # stays below 1 when doubled: no clipping
    full = make_node("exposure", {"value": 100})
    half = make_node("exposure", {"value": 100})
    half.opacity = 0.5
    out_full = Renderer().run(RenderRequest(nodes=[full], source=image, source_key="src"))
    out_half = Renderer().run(RenderRequest(nodes=[half], source=image, source_key="src"))
    np.testing.assert_allclose(out_full, image * 2, atol=1e-6)
    np.testing.assert_allclose(out_half, (image + out_full) / 2, atol=1e-6)


@pytest.mark.parametrize("opacity", [0.25, 0.75])
def test_opacity_blends_linearly_for_a_colour_op(opacity, rgb):
    node = make_node("saturation", {"value": -100})
    full = Renderer().run(RenderRequest(nodes=[node], source=rgb, source_key="src"))
    node.opacity = opacity
    part = Renderer().run(RenderRequest(nodes=[node], source=rgb, source_key="src"))
    np.testing.assert_allclose(part, rgb + opacity * (full - rgb), atol=1e-5)


# --------------------------------------------------------------------------- render scale


@pytest.mark.parametrize("value", [-60, 60])
def test_preview_scale_makes_radius_effects_match_the_export(value, make_rgb):
    """Sharpness rendered on a half-size proxy at scale 0.5 looks like the full render, downscaled."""
    full_src = make_rgb(256, 256, seed=3)
    node = make_node("sharpness", {"value": value})
    full = image_io.downscale(Renderer().run(RenderRequest(nodes=[node], source=full_src, source_key="f")), 128)
    small_src = image_io.downscale(full_src, 128)
    scaled = Renderer().run(RenderRequest(nodes=[node], source=small_src, source_key="s", scale=0.5))
    unscaled = Renderer().run(RenderRequest(nodes=[node], source=small_src, source_key="s", scale=1.0))
    err_scaled = float(np.abs(scaled - full).mean())
    err_unscaled = float(np.abs(unscaled - full).mean())
    assert err_scaled < err_unscaled


@pytest.mark.parametrize("box", [
    {"left": 0.5, "right": 0.5, "top": 0.5, "bottom": 0.5},  # one pixel
    {"left": 0.0, "right": 1.0, "top": 0.5, "bottom": 0.5},  # one row
    {"left": 0.5, "right": 0.5, "top": 0.0, "bottom": 1.0},  # one column
])
@pytest.mark.parametrize("sign", [1, -1])
def test_every_op_survives_a_crop_to_a_sliver(box, sign, make_rgb):
    nodes = [make_node("crop", box), make_node("straighten", {"angle": 30.0 * sign}), make_node("rotate", {"turns": 1})]
    nodes += [make_node(name, {"value": 100 * sign}, version=version)
              for name, spec in REGISTRY.items() if spec.iea_tool for version in sorted(spec.versions)]
    for scale in (1.0, 0.1):
        out = Renderer().run(RenderRequest(nodes=nodes, source=make_rgb(50, 70), source_key="src", scale=scale))
        assert out.size and out.shape[2] == 3 and max(out.shape[:2]) <= 2
        assert np.all(np.isfinite(out)) and out.min() >= 0.0 and out.max() <= 1.0


def test_a_real_photo_unedited_and_edited(photos_dir):
    from PIL import Image

    path = photos_dir / "kodim23.webp"
    original = np.asarray(Image.open(path).convert("RGB"))
    doc = Document.open(path)
    np.testing.assert_array_equal(to_uint8(doc.render_full()), original)
    doc.apply(AddNode(make_node("exposure", {"value": 30})))
    doc.apply(AddNode(make_node("vibrance", {"value": 40})))
    doc.apply(AddNode(make_node("sharpness", {"value": 30})))
    preview = doc.render_preview()
    assert preview.shape == original.shape  # 384 px is under the preview edge
    assert float(preview.mean()) > float(original.mean()) / 255
    whole = Renderer().run(RenderRequest(nodes=doc.graph.nodes, source=doc.full_source(), source_key="k"))
    np.testing.assert_array_equal(doc.render_full(), whole)
