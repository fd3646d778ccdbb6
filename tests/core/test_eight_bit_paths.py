"""The 8-bit shortcuts give exactly the pixels of the float path they stand in for.

- Export: an 8-bit photo decoded to 8 bits, turned into floats strip by strip and finished
  straight to 8 bits (Document.render_export) equals to_uint8(render_full()) bit for bit, with and
  without geometry, and for 16-bit photos (which stay float).
- Preview: render_preview(dtype=uint8) equals to_uint8(render_preview()).
- Loading with keep_8bit gives the 8-bit pixels the float load divides by 255.
- Encoding takes 8-bit pixels for 8-bit files and refuses them for 16-bit ones.
- Colour offsets (temperature, tint) run as a clip and a multiply-add, no table.
"""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from iea_desktop.core import image_io, pointops
from iea_desktop.core.document import Document
from iea_desktop.core.export import ExportError, ExportOptions, encode
from iea_desktop.core.graph import make_node
from iea_desktop.core.history import AddNode, Compound
from iea_desktop.core.render import Renderer, apply_node, to_uint8

SIXTEEN = {"exposure": 30, "brightness": -20, "contrast": 25, "fade": 20, "natural_contrast": 30,
           "highlights": -30, "shadows": 30, "whites": 20, "blacks": -20, "saturation": 30, "vibrance": 30,
           "temperature": 20, "tint": -10, "grain": 30, "vignette": 30, "sharpness": 30}


def with_nodes(path, extra=()):
    doc = Document.open(path)
    nodes = [make_node(name, {"value": value}) for name, value in SIXTEEN.items()] + list(extra)
    doc.apply(Compound([AddNode(n) for n in nodes], text="all tools"))
    return doc


@pytest.mark.parametrize("name", ["photo.jpg", "photo.png"])
@pytest.mark.parametrize("geometry", [False, True])
def test_render_export_equals_the_float_render_in_8_bits(make_photo, name, geometry):
    path = make_photo(name, height=150, width=210, seed=3, **({"quality": 90} if name.endswith("jpg") else {}))
    doc = with_nodes(path, [make_node("straighten", {"angle": 2.5})] if geometry else [])
    exported = doc.render_export()
    assert exported.dtype == np.uint8
    assert geometry or exported.shape == (150, 210, 3)  # straightening crops
    np.testing.assert_array_equal(exported, to_uint8(doc.render_full()))


def test_render_export_of_a_16bit_photo_keeps_its_precision(tmp_path, make_rgb):
    path = tmp_path / "deep.png"
    deep = np.rint(make_rgb(80, 100, seed=5) * 65535).astype(np.uint16)
    cv2.imwrite(str(path), deep[..., ::-1])
    doc = with_nodes(path)
    np.testing.assert_array_equal(doc.render_export(), to_uint8(doc.render_full()))


def test_render_export_without_edits_is_the_photo(make_photo, make_u8):
    pixels = make_u8(40, 60, seed=2)
    doc = Document.open(make_photo("plain.png", array=pixels))
    np.testing.assert_array_equal(doc.render_export(), pixels)


@pytest.mark.parametrize("extra", [[], [make_node("crop", {"right": 0.5})], [make_node("rotate", {"turns": 1})]])
def test_the_preview_in_8_bits_equals_the_float_preview_converted(make_photo, extra):
    """Also when geometry changes the size (the last step may be a crop)."""
    doc = with_nodes(make_photo("photo.jpg", height=120, width=160, quality=92), extra)
    floats = doc.render_preview()
    np.testing.assert_array_equal(doc.render_preview(dtype=np.uint8), to_uint8(floats))
    # and again from the cache, for a state just rendered; and geometry alone (the "before" view)
    np.testing.assert_array_equal(doc.render_preview(dtype=np.uint8), to_uint8(floats))
    np.testing.assert_array_equal(doc.render_preview(nodes=extra, dtype=np.uint8), to_uint8(doc.render_preview(nodes=extra)))


@pytest.mark.parametrize("name,kwargs", [("p.jpg", {"quality": 95}), ("p.png", {}), ("g.png", {"gray": True})])
def test_loading_8_bits_keeps_the_bytes_the_float_load_divides(make_photo, make_u8, name, kwargs):
    pixels = make_u8(30, 50, seed=4)
    if kwargs.pop("gray", False):
        pixels = pixels[..., 0]
    path = make_photo(name, array=pixels, **kwargs)
    _, eight = image_io.load(path, keep_8bit=True)
    _, floats = image_io.load(path)
    assert eight.dtype == np.uint8 and eight.shape == (30, 50, 3) and eight.flags.c_contiguous
    np.testing.assert_array_equal(eight.astype(np.float32) / np.float32(255), floats)


def test_encode_takes_8bit_pixels_and_refuses_them_for_16bit_files(make_u8):
    pixels = make_u8(20, 30, seed=1)
    data = encode(pixels, "PNG", ExportOptions(), None)
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")), pixels)
    with pytest.raises(ExportError, match="16-bit"):
        encode(pixels, "TIFF", ExportOptions(bit_depth=16), None)


def test_colour_offsets_run_without_a_table(make_rgb):
    image = make_rgb(40, 50, seed=6) * 1.4 - 0.2  # values outside [0, 1] too
    nodes = [make_node("exposure", {"value": 25}), make_node("temperature", {"value": 60}),
             make_node("tint", {"value": -45})]
    program = pointops.program(nodes, 1.0)
    assert [stage[0] for stage in program.stages] == [pointops.CLIPPED_AFFINE, pointops.CLIPPED_AFFINE]
    expected = image
    for node in nodes:
        expected = apply_node(expected, node, 1.0)
    np.testing.assert_allclose(program.run(image), expected, atol=1e-6)
    tone = pointops.program([make_node("shadows", {"value": 40})], 1.0)
    assert tone.stages[0][0] == pointops.TABLE  # a real curve keeps its table


def test_an_edited_node_keeps_its_input_in_the_cache(rgb):
    nodes = [make_node(name, {"value": 30}) for name in ("exposure", "shadows", "saturation", "vignette")]
    renderer = Renderer()
    renderer.render(rgb, "src", nodes)
    nodes[2].params = {"value": 40}
    renderer.render(rgb, "src", nodes)
    assert renderer.last_recomputed == 4  # the fused run was one step: all of it once
    for value in (45, 50):
        nodes[2].params = {"value": value}
        out = renderer.render(rgb, "src", nodes)
        assert renderer.last_recomputed == 2  # from the edited node on
        np.testing.assert_array_equal(out, Renderer().render(rgb, "src", nodes))


def test_rgbx_export_is_the_same_picture_padded(make_photo):
    doc = with_nodes(make_photo("photo.jpg", height=90, width=120, quality=90))
    rgb, rgbx = doc.render_export(), doc.render_export(rgbx=True)
    assert rgbx.shape == (90, 120, 4)
    np.testing.assert_array_equal(rgbx[..., :3], rgb)
    assert (rgbx[..., 3] == 255).all()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_encoding_rgbx_pixels_gives_the_same_file_as_rgb(make_u8, fmt):
    rgb = make_u8(40, 50, seed=8)
    rgbx = np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])
    options = ExportOptions(quality=90)
    assert encode(rgbx, fmt, options, None) == encode(rgb, fmt, options, None)
