"""A RenderRequest with rows: only some rows of a full-resolution result (the 1:1 view's), the
same pixels as those rows of the whole render."""

from __future__ import annotations

import numpy as np
import pytest

from iea_desktop.core.graph import make_node
from iea_desktop.core.render import Renderer, RenderRequest

NEIGHBOURHOOD = [("exposure", 30), ("contrast", 20), ("saturation", 30), ("grain", 40), ("vignette", 30),
                 ("sharpness", 60)]


def nodes(*geometry):
    return list(geometry) + [make_node(op, {"value": value}) for op, value in NEIGHBOURHOOD]


@pytest.mark.parametrize("rows", [(0, 40), (57, 201), (250, 300), (280, 400), (0, 300)])
def test_rows_are_the_same_pixels_as_the_whole_render(make_rgb, rows):
    source = make_rgb(300, 220, seed=3)
    renderer, graph = Renderer(), nodes()  # (grain is seeded by the node's id: the same nodes twice)
    whole = renderer.run(RenderRequest(nodes=graph, source=source, source_key="k", cached=False, dtype=np.uint8))
    part = renderer.run(RenderRequest(nodes=graph, source=source, source_key="k", cached=False, dtype=np.uint8,
                                      rows=rows))
    assert np.array_equal(part, whole[rows[0]:rows[1]])


def test_rows_after_geometry_and_without_anything_to_render(make_rgb):
    source = make_rgb(300, 220, seed=4)
    renderer = Renderer()
    graph = nodes(make_node("straighten", {"angle": 5}), make_node("crop", {"left": 0.1, "bottom": 0.8}))
    whole = renderer.run(RenderRequest(nodes=graph, source=source, source_key="k", cached=False, dtype=np.uint8))
    assert np.array_equal(renderer.run(RenderRequest(nodes=graph, source=source, source_key="k", cached=False,
                                                     dtype=np.uint8, rows=(30, 90))),
                          whole[30:90])
    plain = renderer.run(RenderRequest(nodes=[], source=source, source_key="k", cached=False, rows=(10, 20)))
    assert np.array_equal(plain, source[10:20])


def test_rows_need_an_uncached_render(rgb):
    with pytest.raises(ValueError):
        Renderer().run(RenderRequest(nodes=nodes(), source=rgb, source_key="k", rows=(0, 10)))
