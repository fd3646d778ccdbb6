"""`iea-desktop batch` and `iea-desktop presets` (cli_batch.py): outputs, exit codes, stderr."""

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
from iea_desktop.core import project
from iea_desktop.core.document import Document

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def run(capsys, *args) -> tuple[int, str, str]:
    code = cli.main([*map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def mean(path: Path) -> float:
    with Image.open(path) as img:
        return float(np.asarray(img.convert("RGB")).mean())


@pytest.fixture
def shoot(make_photo, tmp_path):
    broken = tmp_path / "in" / "broken.png"
    photos = [make_photo("in/a.png"), make_photo("in/b.png", seed=1)]
    broken.write_bytes(b"\x89PNG\r\n\x1a\n broken")
    return [photos[0], broken, photos[1]]


def test_batch_writes_every_good_photo_names_the_failed_one_and_exits_1(shoot, tmp_path, capsys):
    out = tmp_path / "out"
    code, stdout, err = run(capsys, "batch", *shoot, "-o", out, "--params", '{"exposure": 30}', "--name", "{name}-edited")
    assert code == 1
    assert sorted(p.name for p in out.iterdir()) == ["a-edited.jpg", "b-edited.jpg"]
    assert "Traceback" not in err
    lines = err.splitlines()  # as the photos are done (two at a time: in either order)
    assert sorted(line.split("] ", 1)[1].split(" /")[0] for line in lines[:3]) == [
        "a.png: written",
        "b.png: written",
        "broken.png: FAILED: broken.png: not an image, or a format this app cannot read",
    ]
    assert sorted(line.split("]")[0] for line in lines[:3]) == ["[1/3", "[2/3", "[3/3"]
    assert lines[-1] == f"batch: 2 written, 1 failed of 3 into {out}; failed: {shoot[1]}"
    assert mean(out / "a-edited.jpg") > mean(shoot[0]) + 10


def test_batch_exits_0_when_all_worked_and_quiet_says_nothing_else(shoot, tmp_path, capsys):
    code, stdout, err = run(capsys, "batch", shoot[0], shoot[2], "-o", tmp_path / "out", "--format", "png", "-q")
    assert code == 0 and stdout == ""
    assert err.splitlines() == [f"batch: 2 written of 2 into {tmp_path / 'out'}"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.png", "b.png"]


def test_batch_with_a_preset_and_export_options(shoot, tmp_path, capsys):
    out = tmp_path / "out"
    code, _, err = run(capsys, "batch", shoot[0], "-o", out, "--preset", "Black and White", "--format", "tiff",
                       "--long-edge", "64", "--name", "{index:02}-{name}", "--sharpen", "high")
    assert code == 0, err
    with Image.open(out / "01-a.tif") as img:
        assert img.size == (64, 48)
        pixels = np.asarray(img.convert("RGB")).astype(int)
    assert np.abs(pixels[..., 0] - pixels[..., 2]).max() <= 1


def test_batch_with_a_project_and_an_assistant_request(shoot, tmp_path, capsys):
    source = Document.open(shoot[0])
    from iea_desktop.core.graph import make_node
    from iea_desktop.core.history import AddNode

    source.apply(AddNode(make_node("saturation", {"value": -100})))
    saved = source.save(tmp_path / "look.iea.json")
    code, stdout, err = run(capsys, "batch", shoot[2], "-o", tmp_path / "out", "--project-from", saved,
                            "--ask", "make it brighter")
    assert code == 0, err
    assert stdout.startswith("b.png: Brightened (exposure +")
    assert not project.sidecar_path(shoot[2]).exists()  # batch writes no project


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--params", '{"nope": 1}'], "unknown tool 'nope'"),
        (["--preset", "no such look"], "no preset called “no such look”"),
        (["--name", "{title}"], "unknown field {title}"),
        (["--quality", "0"], "quality must be from 1 to 100"),
        (["--long-edge", "0"], "--long-edge"),
        (["--bit-depth", "16"], "16 bits with TIFF"),
        (["--project-from", "missing.iea.json"], "missing.iea.json"),
    ],
)
def test_a_batch_that_cannot_start_is_one_line(args, fragment, shoot, tmp_path, capsys):
    code, _, err = run(capsys, "batch", shoot[0], "-o", tmp_path / "out", *args)
    assert code == 1 and "Traceback" not in err
    assert err.splitlines() == [err.strip()] and err.startswith("iea-desktop: error: ") and fragment in err


def test_a_rerun_is_the_same_and_skip_existing_leaves_outputs(shoot, tmp_path, capsys):
    out = tmp_path / "out"
    params = '{"grain": 50}'
    run(capsys, "batch", shoot[0], shoot[2], "-o", out, "--params", params)
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    run(capsys, "batch", shoot[0], shoot[2], "-o", out, "--params", params, "--jobs", "1")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first
    code, _, err = run(capsys, "batch", shoot[0], shoot[2], "-o", out, "--skip-existing", "--params", '{"grain": 9}')
    assert code == 0 and "2 skipped" in err and {p.name: p.read_bytes() for p in out.iterdir()} == first


def test_presets_commands(photo, tmp_path, capsys):
    code, out, _ = run(capsys, "presets", "save", "Bright", "--params", '{"exposure": 35}', "--description", "mine")
    assert code == 0 and "Exposure +35" in out
    code, out, _ = run(capsys, "presets", "list")
    assert "vintage" in out and "built-in" in out and "Bright" in out
    code, out, _ = run(capsys, "presets", "apply", "bright", photo)
    assert code == 0
    assert [(n.op, n.params) for n in Document.open(photo).graph.nodes] == [("exposure", {"value": 35})]
    shared = tmp_path / "bright.ieapreset"
    assert run(capsys, "presets", "export", "Bright", shared)[0] == 0
    assert run(capsys, "presets", "rename", "bright", "Brighter")[0] == 0
    assert run(capsys, "presets", "import", shared)[0] == 0
    assert json.loads(shared.read_text())["name"] == "Bright"
    assert run(capsys, "presets", "delete", "brighter")[0] == 0
    code, out, _ = run(capsys, "presets", "show", "bright")
    assert code == 0 and "mine" in out
    code, _, err = run(capsys, "presets", "delete", "vintage")
    assert code == 1 and err.startswith("iea-desktop: error: “vintage” is a built-in preset")


def test_presets_apply_exits_1_when_a_photo_fails(photo, tmp_path, capsys):
    code, out, err = run(capsys, "presets", "apply", "sepia", photo, tmp_path / "missing.jpg")
    assert code == 1 and "missing.jpg" in err and "applied “sepia”" in out


def test_subprocess_batch_in_two_workers(shoot, tmp_path):
    """The installed command's way: workers are fresh interpreters (spawn), the exit status says a photo failed."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    result = subprocess.run(
        [sys.executable, "-m", "iea_desktop", "batch", *map(str, shoot), "-o", str(tmp_path / "out"), "--jobs", "2"],
        capture_output=True, text=True, env=env, cwd=PROJECT_ROOT, timeout=120,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "FAILED: broken.png" in result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.jpg", "b.jpg"]
