"""`iea-desktop render`: parameters, projects, --iea-exact, --max-size, and clean one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from iea_desktop import cli
from iea_desktop.core import image_io
from iea_desktop.core.document import Document
from iea_desktop.core.finish import to_uint8
from iea_desktop.core.graph import make_node
from iea_desktop.core.history import AddNode
from iea_desktop.core.iea_exact import render_iea_exact
from iea_desktop.core.render import Renderer, RenderRequest

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(PROJECT_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "iea_desktop", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def render(capsys, *args) -> tuple[int, str, str]:
    code = cli.main(["render", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"))


def assert_clean_error(code: int, err: str, *fragments: str) -> None:
    assert code != 0
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("iea-desktop: error: ")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


# --------------------------------------------------------------------------- subprocess


def test_subprocess_render_with_params(photo, tmp_path):
    out = tmp_path / "out.png"
    result = run_cli("render", str(photo), "-o", str(out), "--params", '{"exposure": 40, "saturation": -100}')
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "wrote" in result.stdout and "2 active adjustments" in result.stdout
    image = pixels(out)
    assert image.shape == (96, 128, 3)
    assert np.abs(image[..., 0].astype(int) - image[..., 2]).max() <= 1  # black and white


@pytest.mark.parametrize("args,fragment", [
    (["--params", '{"glow": 3}'], "unknown tool"),
    (["--params", "{not json"], "invalid JSON"),
])
def test_subprocess_bad_input_is_one_line_without_traceback(args, fragment, photo, tmp_path):
    result = run_cli("render", str(photo), "-o", str(tmp_path / "out.png"), *args)
    assert_clean_error(result.returncode, result.stderr, fragment)
    assert not (tmp_path / "out.png").exists()


def test_subprocess_missing_photo(tmp_path):
    result = run_cli("render", str(tmp_path / "gone.jpg"), "-o", str(tmp_path / "out.png"))
    assert_clean_error(result.returncode, result.stderr, "gone.jpg", "not found")


# --------------------------------------------------------------------------- in process: success


def test_render_without_edits_is_the_original(photo, tmp_path, capsys, make_u8):
    out = tmp_path / "same.png"
    code, stdout, _ = render(capsys, photo, "-o", out)
    assert code == 0 and "0 active adjustments" in stdout
    np.testing.assert_array_equal(pixels(out), make_u8())


def test_params_json_matches_the_engine(photo, tmp_path, capsys):
    out = tmp_path / "edit.png"
    code, _, err = render(capsys, photo, "-o", out, "--params", '{"exposure": 30, "sharpen": 50, "crop": {"right": 0.5}}')
    assert code == 0, err
    _, source = image_io.load(photo)
    nodes = [make_node("crop", {"right": 0.5}), make_node("exposure", {"value": 30}), make_node("sharpness", {"value": 50})]
    expected = to_uint8(Renderer().run(RenderRequest(nodes=nodes, source=source, source_key="x")))
    np.testing.assert_array_equal(pixels(out), expected)


def test_params_file(photo, tmp_path, capsys):
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"temperature": 60}))
    out = tmp_path / "warm.png"
    code, _, err = render(capsys, photo, "-o", out, "--params", params, "-q")
    assert code == 0, err
    _, source = image_io.load(photo)
    expected = to_uint8(Renderer().run(RenderRequest(nodes=[make_node("temperature", {"value": 60})], source=source,
                                                     source_key="x")))
    np.testing.assert_array_equal(pixels(out), expected)


def test_params_are_clamped(photo, tmp_path, capsys):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    assert render(capsys, photo, "-o", a, "--params", '{"exposure": 250}')[0] == 0
    assert render(capsys, photo, "-o", b, "--params", '{"exposure": 100}')[0] == 0
    np.testing.assert_array_equal(pixels(a), pixels(b))


def test_project(photo, tmp_path, capsys):
    doc = Document.open(photo)
    doc.apply(AddNode(make_node("saturation", {"value": -100})))
    doc.apply(AddNode(make_node("flip", {"horizontal": True})))
    project_file = doc.save(tmp_path / "saved.iea.json")
    expected = to_uint8(doc.render_full())
    out = tmp_path / "from-project.png"
    code, _, err = render(capsys, photo, "-o", out, "--project", project_file)
    assert code == 0, err
    np.testing.assert_array_equal(pixels(out), expected)
    # --params adds to the project's edits
    out2 = tmp_path / "more.png"
    assert render(capsys, photo, "-o", out2, "--project", project_file, "--params", '{"exposure": -50}')[0] == 0
    assert pixels(out2).mean() < pixels(out).mean() - 10
    assert project_file.read_text() == project_file.read_text()  # render never saves


def test_the_sidecar_is_used_and_never_written(photo, tmp_path, capsys):
    doc = Document.open(photo)
    doc.apply(AddNode(make_node("exposure", {"value": -60})))
    sidecar = doc.save()
    before = sidecar.read_bytes()
    out = tmp_path / "out.png"
    assert render(capsys, photo, "-o", out, "--params", '{"contrast": 10}')[0] == 0
    assert sidecar.read_bytes() == before
    assert pixels(out).mean() < 100


def test_iea_exact(photo, tmp_path, capsys, make_u8):
    values = {"exposure": 20, "contrast": -40, "natural_contrast": 30, "vibrance": 50, "tint": -10, "sharpness": 30}
    out = tmp_path / "exact.png"
    code, _, err = render(capsys, photo, "-o", out, "--iea-exact", "--params", json.dumps(values))
    assert code == 0, err
    np.testing.assert_array_equal(pixels(out), render_iea_exact(make_u8(), values))
    # the float pipeline (version 2 where there is one) differs
    out2 = tmp_path / "float.png"
    assert render(capsys, photo, "-o", out2, "--params", json.dumps(values))[0] == 0
    assert not np.array_equal(pixels(out2), pixels(out))


def test_iea_exact_with_no_edits_reproduces_the_reference_quantisation(photo, tmp_path, capsys, make_u8):
    out = tmp_path / "exact0.png"
    assert render(capsys, photo, "-o", out, "--iea-exact")[0] == 0
    np.testing.assert_array_equal(pixels(out), render_iea_exact(make_u8(), {}))


def test_iea_exact_with_geometry(photo, tmp_path, capsys, make_u8):
    out = tmp_path / "exact-crop.png"
    assert render(capsys, photo, "-o", out, "--iea-exact", "--params", '{"crop": {"left": 0.5}, "exposure": 10}')[0] == 0
    np.testing.assert_array_equal(pixels(out), render_iea_exact(make_u8()[:, 64:], {"exposure": 10}))


@pytest.mark.parametrize("max_size,expected", [(64, (48, 64)), (100, (75, 100)), (1000, (96, 128))])
def test_max_size(max_size, expected, photo, tmp_path, capsys):
    out = tmp_path / "small.png"
    code, stdout, err = render(capsys, photo, "-o", out, "--max-size", max_size, "--params", '{"sharpness": -40}')
    assert code == 0, err
    assert pixels(out).shape[:2] == expected
    assert f"{expected[1]} × {expected[0]}" in stdout


def test_max_size_with_iea_exact(photo, tmp_path, capsys):
    out = tmp_path / "small-exact.png"
    assert render(capsys, photo, "-o", out, "--max-size", 64, "--iea-exact", "--params", '{"grain": 20}')[0] == 0
    assert pixels(out).shape[:2] == (48, 64)


def test_16bit_tiff_and_quality(photo, tmp_path, capsys):
    import tifffile

    deep = tmp_path / "deep.tif"
    assert render(capsys, photo, "-o", deep, "--bit-depth", 16, "--params", '{"exposure": 5}')[0] == 0
    assert tifffile.imread(deep).dtype == np.uint16
    low, high = tmp_path / "low.jpg", tmp_path / "high.jpg"
    assert render(capsys, photo, "-o", low, "--quality", 20)[0] == 0
    assert render(capsys, photo, "-o", high, "--quality", 98)[0] == 0
    assert low.stat().st_size < high.stat().st_size


# --------------------------------------------------------------------------- in process: errors


@pytest.mark.parametrize("params,fragments", [
    ('{"glow": 3}', ["unknown tool", "exposure"]),
    ('{"exposure": "lots"}', ["exposure.value", "number"]),
    ('{"exposure": [1, 2]}', ["exposure.value"]),
    ('{"crop": 0.5}', ["crop has no parameter", "left"]),
    ('{"crop": {"aspect": "7:3"}}', ["crop.aspect"]),
    ('[1, 2]', ["JSON object"]),
    ('"exposure"', ["JSON object"]),
    ('{"exposure": 20', ["--params", "invalid JSON"]),
    ('no-such-file.json', ["no-such-file.json", "file not found"]),
])
def test_bad_params(params, fragments, photo, tmp_path, capsys):
    out = tmp_path / "out.png"
    code, _, err = render(capsys, photo, "-o", out, "--params", params)
    assert_clean_error(code, err, *fragments)
    assert not out.exists()


def test_params_file_that_is_not_json(photo, tmp_path, capsys):
    params = tmp_path / "params.json"
    params.write_text("exposure = 20\n")
    code, _, err = render(capsys, photo, "-o", tmp_path / "out.png", "--params", params)
    assert_clean_error(code, err, "params.json", "invalid JSON")


def test_params_that_is_a_folder(photo, tmp_path, capsys):
    code, _, err = render(capsys, photo, "-o", tmp_path / "out.png", "--params", tmp_path)
    assert_clean_error(code, err, "is a folder")


def test_bad_photos(tmp_path, capsys):
    text = tmp_path / "notes.jpg"
    text.write_text("not a photo")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    raw = tmp_path / "random.nef"
    raw.write_bytes(os.urandom(4096))
    for photo, fragment in ((text, "notes.jpg"), (empty, "empty"), (raw, "random.nef"), (tmp_path, "folder"),
                            (tmp_path / "missing.png", "not found")):
        code, _, err = render(capsys, photo, "-o", tmp_path / "out.png")
        assert_clean_error(code, err, fragment)


def test_project_problems(photo, tmp_path, capsys):
    code, _, err = render(capsys, photo, "-o", tmp_path / "out.png", "--project", tmp_path / "none.iea.json")
    assert_clean_error(code, err, "none.iea.json", "not found")
    damaged = tmp_path / "damaged.iea.json"
    damaged.write_text("{ nope")
    code, _, err = render(capsys, photo, "-o", tmp_path / "out.png", "--project", damaged)
    assert_clean_error(code, err, "damaged.iea.json", "damaged")
    assert damaged.read_text() == "{ nope"


def test_a_damaged_sidecar_is_a_note_not_an_error(photo, tmp_path, capsys):
    photo.with_name(photo.name + ".iea.json").write_text("{ damaged")
    code, _, err = render(capsys, photo, "-o", tmp_path / "out.png")
    assert code == 0
    assert err.startswith("note: ") and "damaged" in err and "Traceback" not in err


@pytest.mark.parametrize("output,fragment", [
    ("out.gif", "unknown file type"),
    ("no/such/folder/out.png", "does not exist"),
])
def test_bad_outputs(output, fragment, photo, tmp_path, capsys):
    code, _, err = render(capsys, photo, "-o", tmp_path / output)
    assert_clean_error(code, err, fragment)


def test_16bit_needs_tiff(photo, tmp_path, capsys):
    code, _, err = render(capsys, photo, "-o", tmp_path / "out.png", "--bit-depth", 16)
    assert_clean_error(code, err, "TIFF")


def test_output_onto_the_photo_is_refused(photo, tmp_path, capsys, monkeypatch):
    before = photo.read_bytes()
    code, _, err = render(capsys, photo, "-o", photo)
    assert_clean_error(code, err, "original")
    monkeypatch.chdir(tmp_path)
    code, _, err = render(capsys, photo, "-o", f"./{photo.name}", "--params", '{"exposure": 10}')
    assert_clean_error(code, err, "original")
    assert photo.read_bytes() == before


@pytest.mark.parametrize("max_size", ["0", "-5"])
def test_non_positive_max_size_is_refused(max_size, photo, tmp_path, capsys):
    code, _, err = render(capsys, photo, "-o", tmp_path / "out.png", "--max-size", max_size)
    assert_clean_error(code, err, "--max-size")
    assert not (tmp_path / "out.png").exists()


def test_usage_errors_exit_2_without_traceback(capsys, photo):
    with pytest.raises(SystemExit) as info:
        cli.main(["render", str(photo)])  # no -o
    assert info.value.code == 2
    assert "Traceback" not in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        cli.main(["render", str(photo), "-o", "x.png", "--max-size", "big"])
    assert info.value.code == 2


# --------------------------------------------------------------------------- the photo decoded early


def test_an_8bit_render_decodes_the_photo_while_the_rest_starts(photo, tmp_path, capsys, monkeypatch):
    """`render` to an 8-bit file starts decoding the photo before it imports the editor and opens the
    document, and renders from that decode: the same file as the document's own decode gives."""
    started = []
    real = image_io.load_in_background

    def spy(*args, **kwargs):
        started.append((args, kwargs))
        return real(*args, **kwargs)

    monkeypatch.setattr(image_io, "load_in_background", spy)
    params = json.dumps({"exposure": 25, "vignette": 30, "sharpness": 20})
    code, _, err = render(capsys, photo, "-o", tmp_path / "early.png", "--params", params)
    assert code == 0, err
    assert started and started[0][1] == {"keep_8bit": True}
    doc = Document.open(photo)
    for name, value in json.loads(params).items():
        doc.apply(AddNode(make_node(name, {"value": value})))
    np.testing.assert_array_equal(pixels(tmp_path / "early.png"), doc.render_export())
    for other in (["--max-size", "64"], ["--iea-exact"], ["--bit-depth", "16"]):  # these render from floats
        started.clear()
        target = tmp_path / ("other.tif" if "--bit-depth" in other else "other.png")
        assert render(capsys, photo, "-o", target, *other)[0] == 0
        assert not started


def test_a_photo_that_fails_its_early_decode_is_one_clean_error(tmp_path, capsys, photo):
    truncated = tmp_path / "truncated.jpg"
    Image.open(photo).convert("RGB").save(truncated, "JPEG")
    truncated.write_bytes(truncated.read_bytes()[:400])
    code, _, err = render(capsys, truncated, "-o", tmp_path / "out.jpg")
    assert_clean_error(code, err, "truncated.jpg")
    assert not (tmp_path / "out.jpg").exists()


def test_load_in_background_gives_what_load_gives_or_its_error(photo, tmp_path):
    info, image = image_io.load_in_background(photo, keep_8bit=True).result(timeout=30)
    expected_info, expected = image_io.load(photo, keep_8bit=True)
    assert info == expected_info and image.dtype == np.uint8
    np.testing.assert_array_equal(image, expected)
    with pytest.raises(image_io.ImageLoadError, match="not found"):
        image_io.load_in_background(tmp_path / "gone.jpg").result(timeout=30)


# --------------------------------------------------------------------------- the pixel limit


def test_help_states_the_pixel_limit_and_how_to_raise_it(capsys):
    for command in ("render", "edit"):
        with pytest.raises(SystemExit):
            cli.main([command, "--help"])
        text = " ".join(capsys.readouterr().out.split())
        assert f"Photos over {image_io.DEFAULT_MAX_PIXELS / 1e6:g} MP are refused" in text
        assert "IEA_MAX_PIXELS environment variable raises the limit" in text


def test_a_resized_render_is_the_export_dialogs(photo, tmp_path, capsys):
    """The command line exports through Document.export, as the dialog does: a resized file is the
    same (rendered at full size, then downscaled; sharpening depends on which comes first)."""
    from iea_desktop.core.export import ExportOptions

    params = {"sharpness": 60, "exposure": 10}
    out = tmp_path / "cli.png"
    code, _, err = render(capsys, photo, "-o", out, "--max-size", 64, "--params", json.dumps(params))
    assert code == 0, err
    doc = Document.open(photo)
    for name, value in params.items():
        doc.apply(AddNode(make_node(name, {"value": value})))
    doc.export(tmp_path / "dialog.png", ExportOptions(max_edge=64))
    np.testing.assert_array_equal(pixels(out), pixels(tmp_path / "dialog.png"))
