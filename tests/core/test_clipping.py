"""Clipping is measured where detail is lost, also when a vignette darkens it afterwards (issue 18, bug 4)."""

import numpy as np
from PIL import Image

from iea_desktop.core import histogram
from iea_desktop.core.document import Document
from iea_desktop.core.graph import make_node
from iea_desktop.core.history import AddNode


def blown_sky(tmp_path) -> Document:
    """The top half blown out (pure white), the bottom half mid-grey."""
    pixels = np.full((80, 120, 3), 100, np.uint8)
    pixels[:40] = 255
    Image.fromarray(pixels).save(tmp_path / "sky.png")
    return Document.open(tmp_path / "sky.png")


def test_blown_highlights_count_under_a_vignette(tmp_path):
    doc = blown_sky(tmp_path)
    for node in (make_node("exposure", {"value": 10}), make_node("vignette", {"value": 60})):
        doc.apply(AddNode(node))
    shown = doc.render_preview(dtype=np.uint8)
    assert histogram.compute(shown).clip_highlights < 0.02  # what the frame on screen alone says
    lost = histogram.EffectsOff().masks(doc, doc.graph.nodes, shown.shape)
    assert 0.45 <= histogram.compute(shown, lost).clip_highlights <= 0.55
    mask = histogram.clipping_mask(shown, lost)
    assert (mask[:39, :, 0] == 255).all() and (mask[41:, :, 3] == 0).all()


def test_only_grain_vignette_and_sharpening_count_as_effects(tmp_path):
    doc = blown_sky(tmp_path)
    effects = histogram.EffectsOff()
    doc.apply(AddNode(make_node("exposure", {"value": 10})))
    assert effects.masks(doc, doc.graph.nodes, (80, 120, 3)) is None
    off = make_node("vignette", {"value": 60})
    off.enabled = False
    doc.apply(AddNode(off))
    assert effects.masks(doc, doc.graph.nodes, (80, 120, 3)) is None
    doc.apply(AddNode(make_node("sharpness", {"value": 30})))
    assert [n.op for n in histogram.before_effects(doc.graph.nodes)] == ["exposure"]


def test_the_frames_without_the_effects_keep_to_their_own_pipe(tmp_path):
    doc = blown_sky(tmp_path)
    for node in (make_node("exposure", {"value": 10}), make_node("vignette", {"value": 60})):
        doc.apply(AddNode(node))
    doc.render_preview(dtype=np.uint8)
    kept = list(doc.pipe("preview")._cache)
    assert histogram.EffectsOff().masks(doc, doc.graph.nodes, (80, 120, 3)) is not None
    assert list(doc.pipe("preview")._cache) == kept
    assert doc.pipe("clipping")._cache and doc.pipe("clipping") is not doc.pipe("preview")
