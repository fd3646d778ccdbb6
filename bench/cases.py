"""The measured scenarios. Each runs in its own worker process (``python bench/cases.py NAME N``)
and prints one JSON line: {"times": [seconds, ...], "peak_rss": bytes, "info": {...}}.

Timings are wall-clock (time.perf_counter) around exactly the work the row names; the process
is already started and imported, as the app would be when the person opens a photo.
"""

from __future__ import annotations

import json
import math
import os
import resource
import sys
import time
from pathlib import Path

# The checkout being measured: this one, or another (IEA_BENCH_TREE, e.g. a worktree of an older commit).
ROOT = Path(os.environ.get("IEA_BENCH_TREE") or Path(__file__).resolve().parents[1])
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

# Every IEA tool at a non-zero value, as a person would set them (version 2 nodes, the default).
SIXTEEN = {
    "exposure": 30, "brightness": -20, "contrast": 25, "fade": 20,
    "natural_contrast": 30, "highlights": -30, "shadows": 30, "whites": 20, "blacks": -20,
    "saturation": 30, "vibrance": 30, "temperature": 20, "tint": -10,
    "grain": 30, "vignette": 30, "sharpness": 30,
}

# The tools of issue 15 beside them, as a person might set them (the export row with every tool).
NEW_TOOLS = {
    "white_balance": {"temperature": 5000, "tint": 5},
    "noise_reduction": {"luminance": 30, "color": 40}, "dehaze": 20,
    "colour_mixer": {"blue_saturation": 30, "green_hue": 20, "red_luminance": -20},
    "tone_curve": {"rgb": [[0, 0], [64, 52], [128, 128], [192, 204], [255, 255]]},
    "texture": 20, "clarity": 30,
}


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def sixteen_nodes():
    from iea_desktop.core.graph import make_node

    return [make_node(name, {"value": value}) for name, value in SIXTEEN.items()]


def preview_frame(doc):
    """The 8-bit preview frame the canvas shows. Trees from before render_preview(dtype=...)
    (measured with --tree) convert the float render with to_uint8, as their window did."""
    import numpy as np

    try:
        return doc.render_preview(dtype=np.uint8)
    except TypeError:
        from iea_desktop.core.finish import to_uint8

        return to_uint8(doc.render_preview())


def preview_pipe(doc):
    """The canvas's renderer, whose cache the rows empty and read: ``doc.pipe("preview")``; trees
    from before the pipes (measured with --tree) had one renderer, ``doc.renderer``."""
    return doc.pipe("preview") if hasattr(doc, "pipe") else doc.renderer


def clipping_pipe(doc, effects_off):
    """The renderer of the frames without the effects (``EffectsOff``): the document's "clipping"
    pipe, or (trees from before it) the EffectsOff's own."""
    return effects_off.renderer if hasattr(effects_off, "renderer") else doc.pipe("clipping")


def render_full(doc, source, **options):
    """The graph over ``source`` at full resolution without the cache, as the 1:1 view rendered it.
    Trees from before RenderRequest (measured with --tree) called ``doc.renderer.render``."""
    try:
        from iea_desktop.core.render import RenderRequest
    except ImportError:
        return doc.renderer.render(source, doc.source_key("full", source.shape), doc.graph.nodes, scale=1.0,
                                   use_cache=False, **options)
    return doc.render(RenderRequest(nodes=doc.graph.nodes, source=source, source_key="full", scale=1.0, cached=False,
                                    pipe="export", **options))


def open_with_sixteen(path: Path):
    from iea_desktop.core.document import Document
    from iea_desktop.core.history import AddNode, Compound

    doc = Document.open(path)
    doc.apply(Compound([AddNode(n) for n in sixteen_nodes()], text="bench"))
    return doc


def case_open_jpeg(paths, n):
    """Open a 24 MP JPEG until its first preview frame (8-bit, as the canvas shows it) exists."""
    from iea_desktop.core.document import Document

    times, shape = [], None
    for _ in range(n):
        t0 = time.perf_counter()
        doc = Document.open(paths["jpeg"])
        frame = preview_frame(doc)
        times.append(time.perf_counter() - t0)
        shape = frame.shape
        del doc, frame
    return times, {"preview": f"{shape[1]}x{shape[0]}"}


def case_preview_scratch(paths, n):
    """All 16 tools on the preview proxy with an empty render cache."""
    doc = open_with_sixteen(paths["jpeg"])
    doc.render_preview()  # decode the proxy once; not what this row measures
    times = []
    for _ in range(n):
        preview_pipe(doc).clear()
        t0 = time.perf_counter()
        preview_frame(doc)
        times.append(time.perf_counter() - t0)
    src = doc.preview_source()
    return times, {"proxy": f"{src.shape[1]}x{src.shape[0]}", "nodes": len(doc.graph.active_nodes())}


def _slider(paths, n, op, window=False, extra=(), moved=None):
    """``window``: also the histogram the window computes for every frame (its render worker's job,
    less Qt); trees from before core/histogram.py use the window's own module. ``extra``: nodes
    added after the sixteen (tools beyond them); ``moved(i)``: the params step i sets (by default
    ``op``'s value, one more each step), ``moved(None)`` those it starts from."""
    from iea_desktop.core.history import AddNode, Compound, SetNodeFields

    histogram = None
    if window:
        try:
            from iea_desktop.core import histogram
        except ImportError:
            from iea_desktop.ui import histogram

    effects_off = histogram.EffectsOff() if hasattr(histogram, "EffectsOff") else None
    doc = open_with_sixteen(paths["jpeg"])
    if extra:
        doc.apply(Compound([AddNode(node) for node in extra], text="bench"))
    node = doc.graph.find(op)[0]
    doc.render_preview()  # the state before the person grabs the slider
    if moved is None:
        base = node.params["value"]
        moved = lambda i: {"value": base if i is None else base + 1 + i % 40}  # noqa: E731
    times, recomputed = [], []
    for i in range(n):
        doc.apply(SetNodeFields(node.id, params=moved(i), gesture="drag"))  # new values (cached ones are free)
        t0 = time.perf_counter()
        frame = preview_frame(doc)
        if histogram is not None:  # with the frame without the effects, whose clipping counts too
            lost = effects_off.masks(doc, doc.graph.nodes, frame.shape) if effects_off is not None else None
            histogram.compute(frame) if lost is None else histogram.compute(frame, lost)
        times.append(time.perf_counter() - t0)
        recomputed.append(preview_pipe(doc).last_recomputed)
        if i % 40 == 39:  # leave the cached values behind before repeating them
            preview_pipe(doc).clear()
            if effects_off is not None:
                clipping_pipe(doc, effects_off).clear()
            doc.apply(SetNodeFields(node.id, params=moved(None), gesture="drag"))
            doc.render_preview()
    return times, {"node": op, "nodes recomputed": max(recomputed)}


def case_slider_saturation(paths, n):
    return _slider(paths, n, "saturation")


def case_slider_first(paths, n):
    return _slider(paths, n, "exposure")


def case_slider_last(paths, n):
    return _slider(paths, n, "sharpness")


def case_slider_window(paths, n):
    return _slider(paths, n, "saturation", window=True)


def case_slider_colour_mixer(paths, n):
    """The colour mixer's blue saturation (greens and reds also changed), with the sixteen tools also active."""
    from iea_desktop.core.graph import make_node

    mixer = make_node("colour_mixer", {"blue_saturation": 30, "green_hue": 20, "red_luminance": -20})
    return _slider(paths, n, "colour_mixer", extra=[mixer],
                   moved=lambda i: {"blue_saturation": 30 if i is None else 31 + i % 40})


def case_slider_tone_curve(paths, n):
    """Dragging the middle point of a tone curve, with the sixteen tools also active."""
    from iea_desktop.core.graph import make_node

    def moved(i):
        y = 128 if i is None else 129 + i % 40
        return {"rgb": [[0, 0], [64, 52], [128, y], [192, 204], [255, 255]]}

    return _slider(paths, n, "tone_curve", extra=[make_node("tone_curve", moved(None))], moved=moved)


def _detail_slider(paths, n, op, param="value", start=30):
    """``op``'s ``param`` (clarity, texture, dehaze, noise reduction), with the sixteen tools also active."""
    from iea_desktop.core.graph import make_node

    return _slider(paths, n, op, extra=[make_node(op, {param: start})],
                   moved=lambda i: {param: start if i is None else start + 1 + i % 40})


def case_slider_clarity(paths, n):
    return _detail_slider(paths, n, "clarity")


def case_slider_texture(paths, n):
    return _detail_slider(paths, n, "texture")


def case_slider_dehaze(paths, n):
    return _detail_slider(paths, n, "dehaze")


def case_slider_noise(paths, n):
    return _detail_slider(paths, n, "noise_reduction", "luminance")


def _white_balance_slider(paths, n, photo):
    """A white balance temperature step (the first node: everything after it is recomputed) on the
    bench's ``photo``, with the sixteen tools also active."""
    from iea_desktop.core.graph import make_node
    from iea_desktop.core.history import AddNode, SetNodeFields

    doc = open_with_sixteen(paths[photo])
    node = make_node("white_balance", {"temperature": 5000})
    doc.apply(AddNode(node))
    doc.render_preview()  # the state before the person grabs the slider
    times = []
    for i in range(n):
        doc.apply(SetNodeFields(node.id, params={"temperature": 5010 + 10 * i}, gesture="drag"))
        t0 = time.perf_counter()
        preview_frame(doc)
        times.append(time.perf_counter() - t0)
    return times, {"nodes recomputed": preview_pipe(doc).last_recomputed,
                   "space": "camera" if getattr(preview_pipe(doc), "camera", None) is not None else "Bradford"}


def case_slider_white_balance(paths, n):
    return _white_balance_slider(paths, n, "jpeg")


def case_raw_white_balance(paths, n):
    """On the 24 MP DNG (its half-size develop is the preview), where white balance scales the
    camera's channels: no develop again."""
    return _white_balance_slider(paths, n, "dng")


def case_edit_session(paths, n):
    """Peak memory editing a 24 MP photo: 16 nodes, 200 separate slider steps (undo history of
    200), a preview render after each, then one full-resolution render (1:1 zoom) of the result."""
    from iea_desktop.core.finish import to_uint8
    from iea_desktop.core.history import SetNodeFields

    t0 = time.perf_counter()
    doc = open_with_sixteen(paths["jpeg"])
    nodes = [n for n in doc.graph.nodes]
    preview_frame(doc)
    for step in range(200):
        node = nodes[step % len(nodes)]
        value = max(1, min(100, SIXTEEN[node.op] + (step % 7) - 3)) if SIXTEEN[node.op] > 0 else SIXTEEN[node.op] - step % 5
        doc.apply(SetNodeFields(node.id, params={"value": value}, gesture=f"g{step}"))
        doc.history.end_gesture()
        preview_frame(doc)
    to_uint8(render_full(doc, doc.full_source()))
    assert len(doc.history.entries) >= 200, len(doc.history.entries)
    return [time.perf_counter() - t0], {"undo steps": len(doc.history.entries)}


def case_raw_embedded(paths, n):
    """A 24 MP DNG with an embedded JPEG: until the first preview frame exists."""
    from iea_desktop.core.document import Document

    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        doc = Document.open(paths["dng_preview"])
        preview_frame(doc)
        times.append(time.perf_counter() - t0)
        kind = doc._preview_kind
    return times, {"kind": kind}


def case_raw_half(paths, n):
    """A 24 MP DNG without an embedded preview: until the half-size develop's preview frame exists."""
    from iea_desktop.core.document import Document

    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        doc = Document.open(paths["dng"])
        frame = preview_frame(doc)
        times.append(time.perf_counter() - t0)
    return times, {"preview": f"{frame.shape[1]}x{frame.shape[0]}"}


VIEW_ROWS = 1000  # a 100 % view about 800 pixels high, with the eighth above and below the window renders


def case_slider_1to1(paths, n):
    """A saturation slider step at 1:1 until the full-resolution pixels on screen exist: the rows in
    view (VIEW_ROWS of 4000, full width; ui/preview.py's render_detail, as the window's worker runs
    it). Trees from before it rendered the whole picture at full resolution (their window did so,
    after waiting 250 ms for the slider to rest; not counted here)."""
    from iea_desktop.core.history import SetNodeFields

    try:
        from iea_desktop.ui.preview import GeometryCache, render_detail
    except ImportError:
        render_detail = None
    doc = open_with_sixteen(paths["jpeg"])
    source = doc.full_source()  # decoded once when the view first goes to 1:1; not what this row measures
    top = (source.shape[0] - VIEW_ROWS) // 2
    geometry = GeometryCache() if render_detail is not None else None
    node = doc.graph.find("saturation")[0]
    base = node.params["value"]
    times, shape = [], None
    for i in range(n):
        doc.apply(SetNodeFields(node.id, params={"value": base + 1 + i % 40}, gesture="drag"))
        t0 = time.perf_counter()
        if render_detail is not None:
            pixels, _ = render_detail(doc, doc.graph.nodes, (top, top + VIEW_ROWS), geometry)
        else:
            import numpy as np

            pixels = render_full(doc, source, dtype=np.uint8)
        times.append(time.perf_counter() - t0)
        shape = pixels.shape
    return times, {"rendered": f"{shape[1]}x{shape[0]}"}


from prompt_cache import case_model_first_turn, case_model_first_turn_warmed, case_model_later_turn  # noqa: E402, F401 (issue 17)
from library import case_library_switch, case_library_thumbs_cached, case_library_thumbs_cold  # noqa: E402, F401

def masked_nodes(area: str | None = None):
    """Three masked nodes (issue 14): a graduated darkening from the top, a radial brightening, and
    a brushed saturation; with ``area``, the third is masked by that automatic area instead."""
    from iea_desktop.core.graph import make_node
    from iea_desktop.core.masks import Area, Brush, Linear, Mask, Radial, Stroke

    strokes = tuple(
        Stroke(points=tuple((0.2 + 0.03 * k, 0.55 + 0.02 * i + 0.01 * (k % 3)) for k in range(12)), radius=0.03)
        for i in range(10)
    )
    third = Area(area=area) if area else Brush(strokes=strokes)
    return [
        make_node("exposure", {"value": -25}, mask=Mask(components=(Linear(start=(0.5, 0.0), end=(0.5, 0.45)),))),
        make_node("shadows", {"value": 40}, mask=Mask(components=(Radial(centre=(0.5, 0.6), radii=(0.3, 0.25)),))),
        make_node("saturation", {"value": 35}, mask=Mask(components=(third,))),
    ]


def case_slider_masked(paths, n):
    """A slider move on a masked node (the graduated exposure), with the sixteen tools and two more
    masked nodes active."""
    from iea_desktop.core.history import AddNode, Compound, SetNodeFields

    doc = open_with_sixteen(paths["jpeg"])
    extra = masked_nodes()
    doc.apply(Compound([AddNode(node) for node in extra], text="bench"))
    node = extra[0]
    doc.render_preview()
    times = []
    for i in range(n):
        doc.apply(SetNodeFields(node.id, params={"value": -25 + 1 + i % 40}, gesture="drag"))
        t0 = time.perf_counter()
        preview_frame(doc)
        times.append(time.perf_counter() - t0)
        if i % 40 == 39:
            preview_pipe(doc).clear()
            doc.apply(SetNodeFields(node.id, params={"value": -25}, gesture="drag"))
            doc.render_preview()
    return times, {"masked nodes": 3, "nodes recomputed": preview_pipe(doc).last_recomputed}


def case_brush_dab(paths, n):
    """One brush dab (the stroke being painted grows by a point) until the updated preview frame
    exists: the brushed node's mask has ten strokes before this one; sixteen tools active."""
    from iea_desktop.core.history import AddNode, Compound, SetNodeMask
    from iea_desktop.core.masks import Mask, Stroke

    doc = open_with_sixteen(paths["jpeg"])
    extra = masked_nodes()
    doc.apply(Compound([AddNode(node) for node in extra], text="bench"))
    node = extra[2]
    brush = node.mask.components[0]
    doc.render_preview()
    times, points = [], [(0.3, 0.3)]
    for i in range(n):
        points.append((0.3 + 0.004 * (i % 100), 0.3 + 0.05 * math.sin(i / 7)))
        stroke = Stroke(points=tuple(points), radius=0.04, hardness=0.3)
        mask = Mask(components=(brush.with_stroke(stroke),))
        t0 = time.perf_counter()
        doc.apply(SetNodeMask(node.id, mask, gesture=f"stroke-{i // 100}"))
        preview_frame(doc)
        times.append(time.perf_counter() - t0)
        if i % 100 == 99:
            points = [(0.3, 0.3)]
            doc.history.end_gesture()
    return times, {"strokes before": len(brush.strokes)}


def _masked_project(paths, area: str) -> Path:
    """A project for the bench's 24 MP JPEG: the sixteen tools and three masked nodes, one of them
    automatic (``area``), written next to the bench's data."""
    from iea_desktop.core.graph import EditGraph

    nodes = sixteen_nodes() + masked_nodes(area)
    target = Path(paths["jpeg"]).with_name(f"masked-{area}.iea.json")
    target.write_text(json.dumps({"schema_version": 2, "graph": EditGraph(nodes).to_list()}))
    return target


def case_area_masks(paths, n):
    """The automatic areas at preview size (1600 px), each found from scratch (the caches emptied):
    sky, subject and people, on the bench's photo and on two test photos that have a sky (rocket)
    and a person (astronaut), scaled up to 1600 px."""
    import cv2

    from iea_desktop.core.document import Document
    from iea_desktop.core.image_io import load
    from iea_desktop.core.masks import areas
    from iea_desktop.core.masks.plane import source_photo

    photos = {"bench": Document.open(paths["jpeg"]).preview_source()}
    for name in ("rocket", "astronaut"):
        _, pixels = load(ROOT / "tests" / "photos" / f"{name}.webp")
        scale = 1600 / max(pixels.shape[:2])
        photos[name] = cv2.resize(pixels, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    photos = {name: source_photo(p, *p.shape[:2]) for name, p in photos.items()}
    times, found = [], {}
    for i in range(n):
        for name, photo in photos.items():
            for area in ("sky", "subject", "people"):
                areas.clear_cache()
                t0 = time.perf_counter()
                result = areas.find(area, photo)
                times.append(time.perf_counter() - t0)
                found[f"{name} {area}"] = None if result is None else round(float(result.mean()), 3)
    return times, {"share of the photo": found}


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}


def main() -> None:
    from inputs import ensure_inputs

    name, n = sys.argv[1], int(sys.argv[2])
    try:  # the allocator's settings, as the app's entry point makes them (trees since they exist)
        from iea_desktop.core.allocator import keep_freed_memory
    except ImportError:
        pass
    else:
        keep_freed_memory()
    paths = ensure_inputs(verbose=False)
    times, info = CASES[name](paths, n)
    print(json.dumps({"times": times, "peak_rss": peak_rss(), "info": info}))


if __name__ == "__main__":
    main()
