"""The streamed schedule of uncached renders (strips.run_stream): every row of every step made
once, and the same pixels as the band schedule (strips.run_strips), with several neighbourhood
steps in a row."""

from __future__ import annotations

import numpy as np
import pytest

from iea_desktop.core import render, strips
from iea_desktop.core.graph import make_node
from iea_desktop.core.render import Renderer, RenderRequest
from iea_desktop.core.steps import plan

TOOLS = [
    ("noise_reduction", {"luminance": 30, "color": 40}),
    ("white_balance", {"temperature": 5000, "tint": 5}),
    ("dehaze", {"value": 20}),
    ("exposure", {"value": 30}),
    ("texture", {"value": 20}),
    ("clarity", {"value": 30}),
    ("grain", {"value": 40}),
    ("sharpness", {"value": 60}),
]


GRAPH = [make_node(op, params) for op, params in TOOLS]  # the same nodes each time: grain is seeded by a node's id


def counting(monkeypatch, made: dict) -> None:
    """Count, for each step and each row of the frame, how often a schedule asks for that row of
    the step's output: in the calls of strips._chain that run steps in strips (no neighbourhood
    step after the first; the others split the work into such calls). By (the step's first node's
    op, the frame's height), as estimates render a smaller picture first."""
    chain = strips._chain

    def counted(steps, source, rows, into, small):
        if not any(step.halo for step in steps[1:]):
            for step in steps:
                made.setdefault((step.nodes[0].op, source.frame[0]), np.zeros(source.frame[0], int))[slice(*rows)] += 1
        return chain(steps, source, rows, into, small)

    monkeypatch.setattr(strips, "_chain", counted)


@pytest.fixture
def one_core(monkeypatch):
    """Several stream iterations on a small picture: one core's chunk (the widest context's strip)."""
    monkeypatch.setattr(strips, "cpu_count", lambda: 1)


def export(source, sink=None, polls=None):
    request = RenderRequest(
        nodes=GRAPH,
        source=source,
        source_key="k",
        cached=False,
        dtype=np.uint8,
        sink=sink,
        cancelled=None if polls is None else lambda: polls.append(1) and False,
    )
    return Renderer().run(request)


def test_each_row_is_made_once_and_the_pixels_are_the_band_schedules(make_u8, one_core, monkeypatch):
    source = make_u8(1000, 400, seed=5)
    streamed, banded = {}, {}
    counting(monkeypatch, streamed)
    result = export(source)
    assert len(strips.stages(plan(GRAPH, 0, 1.0))) == 5  # four neighbourhood steps after the first
    made = {op: counts for (op, height), counts in streamed.items() if height == len(source)}
    assert len(made) == len(plan(GRAPH, 0, 1.0))  # every step (a fused run counts under its first node)
    for op, counts in made.items():
        assert (counts == 1).all(), (op, np.flatnonzero(counts != 1)[[0, -1]], counts.max())
    counting(monkeypatch, banded)
    monkeypatch.setattr(render, "run_stream", strips.run_strips)  # the band schedule
    assert np.array_equal(result, export(source))
    # the band schedule recomputes context rows (what the stream avoids)
    assert banded[("noise_reduction", len(source))].sum() > len(source)


def test_a_sink_gets_whole_sixteens_and_the_same_pixels_and_every_node_polls(make_u8, one_core):
    source = make_u8(1000, 400, seed=6)
    bands, polls = [], []
    export(source, sink=lambda y0, rows: bands.append((y0, rows.copy())), polls=polls)
    bands.sort(key=lambda band: band[0])
    assert all(len(rows) % strips.SINK_ROWS == 0 for _, rows in bands[:-1]) and len(bands) > 3
    assert [y0 for y0, _ in bands] == list(np.cumsum([0] + [len(rows) for _, rows in bands[:-1]]))
    assert np.array_equal(np.concatenate([rows for _, rows in bands]), export(source))
    assert len(polls) >= len(TOOLS)


def recording(calls: list, halo: int = 0, op: str = "exposure") -> strips.Step:
    """A step that copies its input's rows and records (rows read, rows made) per call."""

    def run(image, frame, origin, out=None, offset=0):
        made = image if out is None else image[offset : offset + len(out)]
        calls.append((len(image), len(made)))
        if out is None:
            return image.copy()
        out[...] = made
        return out

    return strips.Step(nodes=[make_node(op, {"value": 10})], last=0, run=run, tiles=True, halo=halo)


def test_a_neighbourhood_step_before_others_makes_only_its_strips_own_rows():
    """Its context rows are read, not made: the next step reads only the strip's rows (at 24 MP
    with every tool, clarity used to make 7,726 rows of a 4,000-row picture)."""
    first, second = [], []
    image = np.random.default_rng(1).random((300, 2048, 3), dtype=np.float32)
    out = np.empty_like(image)
    strips._chain(
        [recording(first, halo=20), recording(second)],
        strips.Rows(image, 0, (300, 2048)),
        (0, 300),
        strips.Into(out),
        32,
    )
    assert sum(made for _, made in first) == 300
    assert sum(read for read, _ in first) > 300  # it did read context
    assert np.array_equal(out, image)


@pytest.mark.parametrize("rows", [96, 100, 170])
def test_no_short_strip_is_left_over(rows):
    """A band a little taller than a strip is one strip, not a strip and a sliver that would read
    as many context rows as a whole strip (96 rows in strips of 88 had made 1.9 rows per row)."""
    calls = []
    image = np.zeros((400, 2048, 3), np.float32)  # strips of 88 rows (strip_rows)
    strips._chain(
        [recording(calls, halo=21)],
        strips.Rows(image, 0, (400, 2048)),
        (100, 100 + rows),
        strips.Into(np.empty((rows, 2048, 3), np.float32)),
        88,
    )
    assert sum(made for _, made in calls) == rows
    assert min(made for _, made in calls) >= 88
