"""The 8-bit shortcuts give exactly the pixels of the float path they stand in for.

- Export: an 8-bit photo decoded to 8 bits, turned into floats strip by strip and finished
  straight to 8 bits (Document.render_export) equals to_uint8(render_full()) bit for bit, with and
  without geometry, and for 16-bit photos (which stay float).
- Preview: render_preview(dtype=uint8) equals to_uint8(render_preview()).
- Loading with keep_8bit gives the 8-bit pixels the float load divides by 255.
- Encoding takes 8-bit pixels for 8-bit files and refuses them for 16-bit ones.
- Colour offsets (temperature, tint) run as a clip and a multiply-add, no table.
- Streamed: a render with a sink hands over the same pixels band by band (whole multiples of 16
  rows), and a big JPEG export rendered and encoded band by band decodes to the pixels of the
  whole-picture export.
"""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from iea_desktop.core import export, image_io, kernel, pointops
from iea_desktop.core.apply_node import apply_node
from iea_desktop.core.document import Document
from iea_desktop.core.export import ExportError, ExportOptions, encode
from iea_desktop.core.finish import to_uint8
from iea_desktop.core.graph import make_node
from iea_desktop.core.history import AddNode, Compound
from iea_desktop.core.render import RenderCancelled, Renderer, RenderRequest
from iea_desktop.core.strips import SINK_ROWS

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


@pytest.mark.parametrize("opacity", [1.0, 0.6])
def test_an_export_ending_in_sharpness_finishes_it_as_the_float_render(make_photo, opacity):
    """At full opacity the unsharp mask writes the 8-bit rows itself (no float rows in between);
    blended, the float rows are finished as usual: both equal to_uint8(render_full())."""
    doc = Document.open(make_photo("photo.jpg", height=170, width=130, seed=12, quality=90))
    sharp = make_node("sharpness", {"value": 60})
    sharp.opacity = opacity
    doc.apply(Compound([AddNode(make_node("exposure", {"value": 20})), AddNode(make_node("vignette", {"value": 30})),
                        AddNode(sharp)], text="edits"))
    for rgbx in (False, True):
        exported = doc.render_export(rgbx=rgbx)
        np.testing.assert_array_equal(exported[..., :3], to_uint8(doc.render_full()))


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
    assert [stage[0] for stage in program.stages] == [kernel.CLIPPED_AFFINE, kernel.CLIPPED_AFFINE]
    expected = image
    for node in nodes:
        expected = apply_node(expected, node, 1.0)
    np.testing.assert_allclose(program.run(image), expected, atol=1e-6)
    tone = pointops.program([make_node("shadows", {"value": 40})], 1.0)
    assert tone.stages[0][0] == kernel.TABLE  # a real curve keeps its table


def test_an_edited_node_keeps_its_input_in_the_cache(rgb):
    nodes = [make_node(name, {"value": 30}) for name in ("exposure", "shadows", "saturation", "vignette")]
    renderer = Renderer()
    renderer.run(RenderRequest(nodes=nodes, source=rgb, source_key="src"))
    nodes[2].params = {"value": 40}
    renderer.run(RenderRequest(nodes=nodes, source=rgb, source_key="src"))
    assert renderer.last_recomputed == 4  # the fused run was one step: all of it once
    for value in (45, 50):
        nodes[2].params = {"value": value}
        out = renderer.run(RenderRequest(nodes=nodes, source=rgb, source_key="src"))
        assert renderer.last_recomputed == 2  # from the edited node on
        np.testing.assert_array_equal(out, Renderer().run(RenderRequest(nodes=nodes, source=rgb, source_key="src")))


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


def collect(into: dict):
    def sink(first_row, rows):
        into[first_row] = rows.copy()  # the buffer is the worker's, reused for its next band
    return sink


def joined(bands: dict) -> np.ndarray:
    firsts = sorted(bands)
    assert firsts[0] == 0
    for first, following in zip(firsts, firsts[1:]):
        assert first % SINK_ROWS == 0 and (following - first) % SINK_ROWS == 0 and following == first + len(bands[first])
    return np.concatenate([bands[first] for first in firsts])


@pytest.mark.parametrize("variant", ["tools", "tools straightened", "crop only", "unedited"])
@pytest.mark.parametrize("rgbx", [False, True])
def test_a_sink_gets_the_export_band_by_band(make_photo, variant, rgbx):
    """Also where nothing tiles (geometry alone, or no edits): the whole result, handed over in bands."""
    path = make_photo("photo.jpg", height=300, width=170, seed=4, quality=90)
    geometry = {"tools straightened": [make_node("straighten", {"angle": 2.5})],
                "crop only": [make_node("crop", {"top": 0.1, "bottom": 0.93})]}.get(variant, [])
    doc = with_nodes(path, geometry) if variant.startswith("tools") else Document.open(path)
    if variant == "crop only":
        doc.apply(AddNode(geometry[0]))
    bands = {}
    assert doc.render_export(rgbx=rgbx, sink=collect(bands)) is None
    np.testing.assert_array_equal(joined(bands), doc.render_export(rgbx=rgbx))


def test_a_sink_render_polls_and_cancels(make_photo):
    doc = with_nodes(make_photo("photo.jpg", height=200, width=120, seed=5))
    with pytest.raises(RenderCancelled):
        doc.render_export(cancelled=lambda: True, sink=lambda first, rows: None)
    with pytest.raises(ValueError, match="without the cache"):
        doc.pipe("preview").run(RenderRequest(nodes=doc.graph.nodes, source=doc.preview_source(), source_key="p",
                                              sink=lambda first, rows: None))


@pytest.fixture
def streaming(monkeypatch):
    """Big-JPEG streaming for small test photos, on two workers whatever this machine has."""
    monkeypatch.setattr(export, "OPTIMIZE_HUFFMAN_PIXELS", 1000)
    monkeypatch.setattr(export, "cpu_count", lambda: 2)


@pytest.mark.parametrize("quality", [92, 75])
def test_a_streamed_jpeg_export_is_the_whole_picture_export(make_photo, tmp_path, streaming, quality):
    path = make_photo("photo.jpg", height=260, width=190, seed=6, quality=90)
    doc = with_nodes(path, [make_node("crop", {"left": 0.1, "top": 0.05, "right": 0.9, "bottom": 0.8})])
    options = ExportOptions(quality=quality)
    written, size = doc.export(tmp_path / "streamed.jpg", options)
    assert export.streams(written, options, 260 * 190)
    with open(written, "rb") as handle:
        data = handle.read()
    whole = doc.render_export()
    assert size == (whole.shape[1], whole.shape[0])
    assert data == encode(whole, "JPEG", options, doc.info.exif)  # the same bands, the same bytes
    with Image.open(written) as image:
        assert image.info["icc_profile"] == export.SRGB_ICC


def test_exports_that_are_not_streamed_write_the_whole_picture(make_photo, tmp_path, streaming):
    doc = with_nodes(make_photo("photo.jpg", height=120, width=90, seed=7, quality=90))
    for name, options in (("a.png", ExportOptions()), ("b.jpg", ExportOptions(max_edge=50)),
                          ("c.tif", ExportOptions(bit_depth=16))):
        assert not export.streams(tmp_path / name, options, 120 * 90)
        written, size = doc.export(tmp_path / name, options)
        with Image.open(written) as image:
            assert image.size == size
    with pytest.raises(ExportError, match="band by band"):
        export.write_streamed(lambda sink: None, tmp_path / "d.png", ExportOptions())


def test_a_streamed_export_refuses_the_original_or_a_missing_folder_before_rendering(make_photo, tmp_path, streaming):
    doc = with_nodes(make_photo("photo.jpg", height=120, width=90, seed=8, quality=90))
    rendered = []
    for target, problem in ((doc.path, "original"), (tmp_path / "gone" / "x.jpg", "does not exist")):
        with pytest.raises(ExportError, match=problem):
            export.write_streamed(rendered.append, target, ExportOptions(), source=doc.path)
    assert not rendered


def test_a_cancelled_streamed_export_writes_nothing(make_photo, tmp_path, streaming):
    doc = with_nodes(make_photo("photo.jpg", height=200, width=150, seed=9, quality=90))
    polls = []

    def cancelled():
        polls.append(1)
        return len(polls) > 3  # part way through the bands

    folder = tmp_path / "exports"
    folder.mkdir()
    with pytest.raises(RenderCancelled):
        doc.export(folder / "out.jpg", ExportOptions(), cancelled=cancelled)
    assert 4 <= len(polls) < 16 and list(folder.iterdir()) == []  # stopped early; no file, no temporary
