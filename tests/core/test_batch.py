"""Batch work (core/batch.py): one bad photo never stops the others, cancel, file-name templates and
clashes, idempotent outputs, progress, and pasting onto photos' projects."""

from __future__ import annotations

import dataclasses
import io
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

from iea_desktop.core import batch, export, project
from iea_desktop.core.batch import BatchError, ExportPreset
from iea_desktop.core.document import Document
from iea_desktop.core.export import ExportOptions
from iea_desktop.core.graph import make_node
from iea_desktop.core.history import AddNode
from iea_desktop.core.presets import Preset


def pixels(path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB")).astype(int)


@pytest.fixture
def shoot(make_photo, tmp_path):
    """Three photos with a broken file in the middle."""
    broken = tmp_path / "in" / "broken.jpg"
    good = [make_photo(f"in/p{i}.png", seed=i) for i in range(3)]
    broken.write_bytes(b"\xff\xd8\xff\xe0 this is not really a JPEG")
    return [good[0], good[1], broken, good[2]]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_broken_photo_in_the_middle_fails_alone(shoot, tmp_path, jobs):
    events = []
    report = batch.export_photos(
        shoot, tmp_path / "out", ExportPreset(template="{name}-edited"), progress=events.append, jobs=jobs
    )
    assert [r.status for r in report.results] == ["written", "written", "failed", "written"]
    assert not report.ok and report.summary() == "3 written, 1 failed of 4"
    broken = report.failed[0]
    assert broken.photo == shoot[2] and "broken.jpg" in broken.error and "\n" not in broken.error
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["p0-edited.jpg", "p1-edited.jpg", "p2-edited.jpg"]
    for result in report.written:
        assert result.output.exists() and result.size == (128, 96)
    # progress: each photo started, then done, the count going up to the total
    done = [e for e in events if e.result is not None]
    assert sorted(e.photo for e in done) == sorted(shoot) and [e.done for e in done] == [1, 2, 3, 4]
    assert all(e.total == 4 for e in events) and len(events) == 8


def test_a_worker_that_dies_fails_one_photo_and_the_others_are_written(make_photo, tmp_path):
    """A worker process killed mid-batch (as the OOM killer would): one photo fails, a new pool
    exports the rest."""
    import multiprocessing
    import os
    import signal

    photos = [make_photo(f"p{i}.png", seed=i) for i in range(5)]
    killed = []

    def progress(event):
        if event.result is None and event.photo == photos[2] and not killed:
            for child in multiprocessing.active_children():
                os.kill(child.pid, signal.SIGKILL)
                killed.append(child.pid)

    report = batch.export_photos(photos, tmp_path / "out", progress=progress, jobs=2)
    assert killed
    statuses = [r.status for r in report.results]
    assert statuses.count("failed") == 1 and statuses.count("written") == 4, statuses
    assert report.failed[0].error == "the export process stopped (out of memory?)"
    assert all(r.output.exists() for r in report.written)


def test_each_photo_keeps_its_own_edits_and_settings_go_on_top(make_photo, tmp_path):
    a, b = make_photo("a.png", seed=1), make_photo("b.png", seed=2)
    doc = Document.open(a)
    doc.apply(AddNode(make_node("exposure", {"value": -60})))
    doc.apply(AddNode(make_node("saturation", {"value": -100})))
    doc.save()
    sidecar = project.sidecar_path(a).read_bytes()
    originals = (a.read_bytes(), b.read_bytes())
    settings = Preset.from_values("brighter", {"exposure": 40})
    out = tmp_path / "out"
    report = batch.export_photos([a, b], out, ExportPreset(ExportOptions(format="PNG")), settings=settings, jobs=1)
    assert report.ok
    expected = Document.open(a)
    expected.graph.replace_all([make_node("exposure", {"value": 40}), make_node("saturation", {"value": -100})])
    from iea_desktop.core.finish import to_uint8

    assert np.abs(pixels(out / "a.png") - to_uint8(expected.render_full()).astype(int)).max() <= 1
    grey = pixels(out / "a.png")
    assert np.abs(grey[..., 0] - grey[..., 2]).max() <= 1  # a's own saturation -100 stayed
    assert np.abs(pixels(out / "b.png")[..., 0] - pixels(out / "b.png")[..., 2]).max() > 10  # b has none
    # neither the photos nor the project were written
    assert (a.read_bytes(), b.read_bytes()) == originals and project.sidecar_path(a).read_bytes() == sidecar
    assert not project.sidecar_path(b).exists()


def test_cancel_between_photos_leaves_the_rest_undone(shoot, tmp_path):
    finished = []

    def progress(event):
        if event.result is not None:
            finished.append(event.photo)

    report = batch.export_photos(
        shoot, tmp_path / "out", progress=progress, cancelled=lambda: len(finished) >= 2, jobs=1
    )
    assert [r.status for r in report.results] == ["written", "written", "cancelled", "cancelled"]
    assert not report.ok and report.cancelled[0].output == tmp_path / "out" / "broken.jpg"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["p0.jpg", "p1.jpg"]


def test_cancel_inside_a_render_writes_nothing(make_photo, tmp_path):
    photo = make_photo("p.png")
    polls = []

    def cancelled() -> bool:  # the render polls once per node: stop at the second
        polls.append(1)
        return len(polls) > 2

    settings = Preset.from_values("s", {"exposure": 10, "contrast": 10, "sharpness": 20})
    report = batch.export_photos([photo], tmp_path / "out", settings=settings, cancelled=cancelled, jobs=1)
    assert [r.status for r in report.results] == ["cancelled"]
    assert list((tmp_path / "out").iterdir()) == []  # no file, no temporary file


@pytest.mark.parametrize(
    ("template", "names"),
    [
        ("{name}", ["p0.jpg", "p1.jpg"]),
        ("{name}-edited", ["p0-edited.jpg", "p1-edited.jpg"]),
        ("{index:03}_{name}.{ext}", ["001_p0.png.jpg", "002_p1.png.jpg"]),
        ("trip {{{index}}}", ["trip {1}.jpg", "trip {2}.jpg"]),
        ("{folder}_{name}", ["day1_p0.jpg", "day2_p1.jpg"]),
    ],
)
def test_templates(template, names, make_photo, tmp_path):
    photos = [make_photo("day1/p0.png"), make_photo("day2/p1.png", seed=1)]
    assert [t.name for t in batch.plan_outputs(photos, tmp_path, ExportPreset(template=template))] == names


@pytest.mark.parametrize(
    ("template", "fragment"),
    [
        ("", "empty"),
        ("{nme}", "unknown field {nme}"),
        ("{name.upper}", "unknown field"),
        ("{0}", "unknown field"),
        ("{name", "brace"),
        ("sub/{name}", "not a file name"),
        ("..", "not a file name"),
        ("{index:q}", "file-name template"),
    ],
)
def test_bad_templates_are_refused_before_anything_runs(template, fragment):
    with pytest.raises(BatchError, match=fragment):
        ExportPreset(template=template)


def test_name_clashes_are_numbered_in_order_and_never_hit_a_photo(make_photo, tmp_path):
    photos = [make_photo("a/IMG.png"), make_photo("b/IMG.png", seed=1), make_photo("c/img.png", seed=2)]
    targets = batch.plan_outputs(photos, tmp_path / "out", ExportPreset())
    assert [t.name for t in targets] == ["IMG.jpg", "IMG-2.jpg", "img-3.jpg"]
    # exporting into the photos' own folder as PNG: the output would be the photo itself
    here = [make_photo("same/x.png"), make_photo("same/x-2.png", seed=1)]
    report = batch.export_photos(here, here[0].parent, ExportPreset(ExportOptions(format="PNG")), jobs=1)
    assert [r.output.name for r in report.results] == ["x-3.png", "x-2-2.png"]
    assert report.ok


def test_a_rerun_writes_the_same_bytes_or_skips(make_photo, tmp_path):
    photos = [make_photo("p0.png"), make_photo("p1.png", seed=1)]
    settings = Preset.from_values("grain", {"grain": 60, "vignette": 30})
    out = tmp_path / "out"
    batch.export_photos(photos, out, settings=settings, jobs=1)
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    (out / "p0.jpg").unlink()
    again = batch.export_photos(photos, out, settings=Preset.from_values("grain", {"grain": 60, "vignette": 30}))
    assert again.ok and {p.name: p.read_bytes() for p in out.iterdir()} == first
    stamp = (out / "p1.jpg").stat().st_mtime_ns
    (out / "p0.jpg").unlink()
    skipping = batch.export_photos(photos, out, ExportPreset(skip_existing=True), settings=settings, jobs=1)
    assert [r.status for r in skipping.results] == ["written", "skipped"] and skipping.ok
    assert (out / "p1.jpg").stat().st_mtime_ns == stamp
    assert (out / "p0.jpg").read_bytes() == first["p0.jpg"]


def test_the_colour_profile_is_the_same_bytes_in_every_process():
    """The sRGB profile embedded in exports carried the time lcms made it: a batch run again (or in
    another worker) wrote files that differed in that date alone."""
    script = "import sys; from iea_desktop.core.export import SRGB_ICC; sys.stdout.write(SRGB_ICC.hex())"
    made = []
    for _ in range(2):
        second = int(time.time())
        made.append(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                                   cwd=Path(__file__).resolve().parents[2]).stdout)
        while int(time.time()) == second:  # the next one in another second
            time.sleep(0.05)
    assert made[0] == made[1] == export.SRGB_ICC.hex()
    assert ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(export.SRGB_ICC))).strip() == "sRGB built-in"


def test_export_preset_options_are_used(make_photo, tmp_path):
    photo = make_photo("p.png", height=200, width=300)
    preset = ExportPreset(ExportOptions(format="tiff", bit_depth=16, max_edge=150), template="{name}-small")
    report = batch.export_photos([photo], tmp_path, preset)
    out = report.results[0].output
    assert out.name == "p-small.tif" and report.results[0].size == (150, 100)
    import tifffile

    assert tifffile.imread(out).dtype == np.uint16


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (ExportOptions(format="JPEG", bit_depth=16), "16 bits with TIFF"),
        (ExportOptions(format="GIF"), "unknown export format"),
        (ExportOptions(quality=0), "quality"),
        (ExportOptions(max_edge=0), "long edge"),
        (ExportOptions(sharpen="extreme"), "unknown output sharpening 'extreme'"),
    ],
)
def test_bad_export_presets_are_refused(options, fragment):
    with pytest.raises(BatchError, match=fragment):
        ExportPreset(options)


@pytest.mark.parametrize("options", [ExportOptions(format="PNG"), ExportOptions(format="PNG", max_edge=100)])
def test_output_sharpening_sharpens_the_picture_as_written(make_photo, tmp_path, options):
    """An unsharp mask at the written size: more local contrast, the same average."""
    import cv2

    photo = make_photo("p.png", height=150, width=200)
    written = {}
    for level in ("none", "low", "high"):
        preset = ExportPreset(dataclasses.replace(options, sharpen=level), template="{name}-" + level)
        written[level] = pixels(batch.export_photos([photo], tmp_path, preset, jobs=1).results[0].output)
    detail = {k: np.abs(v - cv2.GaussianBlur(v.astype(np.float32), (0, 0), 1.0)).mean() for k, v in written.items()}
    assert detail["none"] < detail["low"] < detail["high"]
    assert abs(written["high"].mean() - written["none"].mean()) < 1.0


def test_a_big_jpeg_with_output_sharpening_is_not_streamed():
    options = ExportOptions(sharpen="standard")
    assert export.streams("x.jpg", ExportOptions(), 24_000_000) == (export.cpu_count() > 1)
    assert not export.streams("x.jpg", options, 24_000_000)


def test_export_preset_round_trip_and_strict_reading():
    preset = ExportPreset(ExportOptions(format="webp", quality=80, max_edge=2048, sharpen="low"), "{name}-web", True)
    again = ExportPreset.from_dict(json.loads(json.dumps(preset.to_dict())))
    assert again == preset and again.options.format == "WEBP"
    for bad in ([], {"quality": "80"}, {"colour": "sRGB"}, {"max_edge": True}, {"keep_metadata": 1}, {"sharpen": 1}):
        with pytest.raises(BatchError):
            ExportPreset.from_dict(bad)


def test_an_output_folder_that_cannot_be_made_stops_before_anything(photo, tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(BatchError, match="cannot be made"):
        batch.export_photos([photo], tmp_path / "file" / "out")


def test_a_failing_edit_fails_its_photo_only(make_photo, tmp_path):
    photos = [make_photo("a.png"), make_photo("b.png", seed=1)]

    def edit(doc):
        if doc.path.name == "a.png":
            raise RuntimeError("boom")
        return "fine"

    report = batch.export_photos(photos, tmp_path / "out", edit=edit)
    assert [r.status for r in report.results] == ["failed", "written"]
    assert report.results[0].error == "internal error: RuntimeError: boom"
    assert report.results[1].reply == "fine"


def test_apply_to_photos_saves_each_project_as_one_step(shoot):
    settings = Preset.from_values("warm", {"temperature": 25})
    report = batch.apply_to_photos(settings, shoot)
    assert [r.status for r in report.results] == ["written", "written", "failed", "written"]
    for result in report.written:
        doc = Document.open(result.photo)
        assert result.output == project.sidecar_path(result.photo)
        assert [(n.op, n.params) for n in doc.graph.nodes] == [("temperature", {"value": 25})]
        assert doc.history.labels() == ["Apply preset “warm”"]
    assert not project.sidecar_path(shoot[2]).exists()


def test_a_damaged_project_is_a_note_and_is_never_overwritten(make_photo, tmp_path):
    photo = make_photo("p.png")
    project.sidecar_path(photo).write_text("{ damaged")
    report = batch.export_photos([photo], tmp_path / "out")
    assert report.ok and "damaged" in report.results[0].notes[0]
    assert project.sidecar_path(photo).read_text() == "{ damaged"
