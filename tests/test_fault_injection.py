"""Fault injection: a fixed, seeded selection of tools/fuzz.py's cases, run in-process (issue 19).

Families: damaged photos, damaged projects, odd parameters, broken model files, special files
(FIFOs, device links, folders...), a full / read-only disk, and two edits of one project at once.
Every case must end in exit 0 or in one clean line and a non-zero exit (never a traceback, never
library chatter on the terminal, never a hang), leave the original photo's bytes as they were,
leave no temporary file, and lose no turn. `make fuzz` runs the longer, random campaign.
"""

from __future__ import annotations

import errno
import importlib.util
import io
import json
import os
import random
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from iea_desktop import cli

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("iea_fuzz", ROOT / "tools" / "fuzz.py")
fuzz = sys.modules["iea_fuzz"] = importlib.util.module_from_spec(_spec)  # dataclasses look it up there
_spec.loader.exec_module(fuzz)

HANG_SECONDS = 60  # far more than any case needs (a few milliseconds each)


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("seeds")
    photos = fuzz.make_seed_photos(folder)
    return photos


@pytest.fixture(scope="module")
def seed_project_text(seeds, tmp_path_factory) -> str:
    return fuzz.seed_project(seeds["png"], tmp_path_factory.mktemp("project") / "seed.iea.json").read_text()


@pytest.fixture
def work(tmp_path, seeds):
    """A folder with a copy of the PNG seed (the photo the non-photo cases open)."""
    photo = tmp_path / "photo.png"
    photo.write_bytes(seeds["png"].read_bytes())
    return tmp_path


def run(capfd, *args: str) -> tuple[int, str]:
    """``cli.main(args)`` in a thread, so a case that blocks fails the test instead of hanging it;
    (exit code, everything written to stderr, file descriptor 2 included)."""
    result = []
    thread = threading.Thread(target=lambda: result.append(cli.main([str(a) for a in args])), daemon=True)
    thread.start()
    thread.join(HANG_SECONDS)
    assert not thread.is_alive(), f"hung: {args}"
    return result[0], capfd.readouterr().err


def assert_clean(code: int, err: str, case: str) -> None:
    """Exit 0, or exit 1 with exactly one line `iea-desktop: error: ...`; notes aside, nothing else."""
    assert "Traceback" not in err and "internal error" not in err, f"{case}\n{err}"
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith("note: ")]
    if code == 0:
        assert lines == [], f"{case}: library chatter on a success\n{err}"
    else:
        assert code == 1, f"{case}: exit {code}\n{err}"
        assert len(lines) == 1 and lines[0].startswith("iea-desktop: error: "), f"{case}\n{err}"


def assert_nothing_left(folder: Path, case: str) -> None:
    assert fuzz.leftovers(folder) == [], case


# --------------------------------------------------------------------------- damaged photos


PHOTO_CASES = [(kind, i) for kind in ("png", "jpeg", "tiff", "tiff16", "png16", "webp", "dng") for i in range(12)]


@pytest.mark.parametrize("kind, number", PHOTO_CASES, ids=[f"{k}-{i}" for k, i in PHOTO_CASES])
def test_damaged_photo(seeds, tmp_path, capfd, kind, number):
    if kind not in seeds:
        pytest.skip(f"no {kind} seed (pidng missing)")
    damaged, what = fuzz.mutate_bytes(seeds[kind].read_bytes(), random.Random(f"photo-{kind}-{number}"))
    photo = tmp_path / ("damaged" + seeds[kind].suffix)
    photo.write_bytes(damaged)
    output = tmp_path / ("out.png" if number % 2 else "out.jpg")
    code, err = run(capfd, "render", photo, "-o", output)
    assert_clean(code, err, f"{kind}: {what}")
    assert photo.read_bytes() == damaged
    assert output.exists() == (code == 0)
    assert_nothing_left(tmp_path, what)


def test_library_chatter_goes_to_the_log(tmp_path, capfd, seeds, iea_home):
    """A truncated 16-bit TIFF makes libtiff and OpenCV print to file descriptor 2: that goes to the
    log, and the terminal gets the one line."""
    photo = tmp_path / "truncated.tif"
    data = seeds["tiff16"].read_bytes()
    photo.write_bytes(data[: len(data) // 2])
    code, err = run(capfd, "render", photo, "-o", tmp_path / "out.png")
    assert_clean(code, err, "truncated 16-bit TIFF")
    assert code == 1
    log = (iea_home / "data" / "logs" / "iea-desktop.log").read_text()
    assert "library: " in log and "TIFF" in log


# --------------------------------------------------------------------------- damaged projects


@pytest.mark.parametrize("number", range(60))
def test_damaged_project(work, capfd, seed_project_text, number):
    rng = random.Random(f"project-{number}")
    damaged, what = fuzz.mutate_json_text(seed_project_text, rng)
    project = work / "edit.iea.json"
    project.write_bytes(damaged)
    photo_bytes = (work / "photo.png").read_bytes()
    if number % 2:
        code, err = run(capfd, "render", work / "photo.png", "--project", project, "-o", work / "out.png")
    else:
        code, err = run(capfd, "edit", work / "photo.png", "brighter", "--project", project)
    assert_clean(code, err, what)
    if code == 0 and number % 2 == 0:
        assert "brighter" in fuzz.requests_in(project), what
    else:
        assert project.read_bytes() == damaged, f"{what}: a project that was read, refused or not, is left as it was"
    assert (work / "photo.png").read_bytes() == photo_bytes
    assert_nothing_left(work, what)


@pytest.mark.parametrize("field, value, fragment", [
    ("version", "1" + "0" * 400, "too large"),
    ("position", "Infinity", "Infinity"),
    ("time", "1e400", "too large"),
    ("opacity", "NaN", "NaN"),
    ("value", "1" + "0" * 5000, "too large"),
    ("graph", "[" * 50_000 + "]" * 50_000, "nested too deeply"),
])
def test_numbers_python_cannot_hold_in_a_project(work, capfd, seed_project_text, field, value, fragment):
    """The issue's cases one by one: each was an OverflowError, ValueError or RecursionError traceback."""
    data = json.loads(seed_project_text)
    slot = {"version": (data["graph"][0], "version"), "position": (data["history"], "position"),
            "time": (data["history"]["entries"][0], "time"), "opacity": (data["graph"][0], "opacity"),
            "value": (data["graph"][0]["params"], "value"), "graph": (data, "graph")}[field]
    slot[0][slot[1]] = "@@ODD@@"
    project = work / "edit.iea.json"
    project.write_text(json.dumps(data).replace('"@@ODD@@"', value))
    code, err = run(capfd, "render", work / "photo.png", "--project", project, "-o", work / "out.png")
    assert_clean(code, err, field)
    assert code == 1 and "edit.iea.json" in err and fragment in err


def test_a_project_over_the_node_cap_is_refused(work, capfd, seed_project_text):
    from iea_desktop.core.graph import MAX_NODES

    data = json.loads(seed_project_text)
    data["graph"] = data["graph"][:1] * (MAX_NODES + 1)
    data["history"] = {}
    project = work / "edit.iea.json"
    project.write_text(json.dumps(data))
    code, err = run(capfd, "render", work / "photo.png", "--project", project, "-o", work / "out.png")
    assert_clean(code, err, "over the cap")
    assert code == 1 and f"more than the {MAX_NODES}" in err


# --------------------------------------------------------------------------- odd parameters


@pytest.mark.parametrize("number", range(50))
def test_odd_params(work, capfd, number):
    rng = random.Random(f"params-{number}")
    text, what = fuzz.odd_params(rng)
    params = text
    if len(text) > 50_000 or number % 5 == 0:
        (work / "params.json").write_text(text)
        params = work / "params.json"
    code, err = run(capfd, "render", work / "photo.png", "--params", params, "-o", work / "out.png")
    assert_clean(code, err, what)
    assert (work / "out.png").exists() == (code == 0)


@pytest.mark.parametrize("content, fragment", [
    (b'{"exposure": "\xff"}', "not UTF-8"),
    (b"[" * 200_000, "nested too deeply"),
    (b'{"exposure": 1' + b" " * 3_000_000 + b"}", "MB"),
    (b'{"exposure": Infinity}', "Infinity"),
    (b'{"exposure": 1' + b"0" * 5000 + b"}", "too large"),
])
def test_params_files_that_cannot_be_used(work, capfd, content, fragment):
    (work / "params.json").write_bytes(content)
    code, err = run(capfd, "render", work / "photo.png", "--params", work / "params.json", "-o", work / "out.png")
    assert_clean(code, err, fragment)
    assert code == 1 and fragment in err and "params.json" in err


@pytest.mark.parametrize("args, fragment", [
    (["--max-size", "1" + "0" * 400], "--max-size"),
    (["--params", '{"exposure": 1' + "0" * 400 + "}"], "too large"),
])
def test_numbers_too_big_for_python_in_arguments(work, capfd, args, fragment):
    code, err = run(capfd, "render", work / "photo.png", "-o", work / "out.png", *args)
    assert_clean(code, err, fragment)
    assert code == 1 and fragment in err


def test_a_huge_quality_is_clamped(work, capfd):
    code, err = run(capfd, "render", work / "photo.png", "-o", work / "out.jpg", "--quality", "1" + "0" * 400)
    assert_clean(code, err, "quality")
    assert code == 0


# --------------------------------------------------------------------------- broken model files


def damaged_models(folder: Path) -> dict[str, bytes]:
    """Model files the header check must refuse before llama.cpp sees them (llama.cpp may abort)."""
    good = fuzz.tiny_gguf(folder / "good.gguf").read_bytes()
    return {
        "random bytes": random.Random(0).randbytes(4096),
        "text": b"this is not a model\n" * 20,
        "magic only": good[:4],
        "truncated header": good[:40],
        "truncated tensors": good[:-64],
        "version 99": good[:4] + (99).to_bytes(4, "little") + good[8:],
        "huge tensor count": good[:8] + (2**62).to_bytes(8, "little") + good[16:],
        "huge key count": good[:16] + (2**62).to_bytes(8, "little") + good[24:],
        "no block": fuzz.tiny_gguf(folder / "zero.gguf", block_count=0).read_bytes(),
        "html error page": b"<!DOCTYPE html><html><body>404</body></html>",
    }


def test_broken_model_files_are_refused(work, capfd):
    from iea_desktop.agent.backends.gguf_inspect import ModelFileError, inspect_gguf

    for what, data in damaged_models(work).items():
        model = work / "model.gguf"
        model.write_bytes(data)
        with pytest.raises(ModelFileError):  # refused by the header check: llama.cpp never loads it
            inspect_gguf(model)
        code, err = run(capfd, "edit", work / "photo.png", "warmer", "--model", model, "-o", work / "out.jpg",
                        "--project", work / "edit.iea.json")
        assert_clean(code, err, what)
        assert code == 1 and "model.gguf" in err, what
        assert not (work / "out.jpg").exists() and not (work / "edit.iea.json").exists(), what


# --------------------------------------------------------------------------- special files


SPECIAL_CASES = [
    pytest.param(kind, role, id=f"{kind}-as-{role}")
    for role in fuzz.SPECIAL_ROLES for kind in fuzz.SPECIAL_KINDS
    if not (role in fuzz.WRITTEN_ROLES and kind.startswith("dev-"))
]


@pytest.mark.parametrize("kind, role", SPECIAL_CASES)
def test_special_files(work, capfd, kind, role):
    name = {"photo": "special.png", "project": "special.iea.json", "params": "special.json",
            "model": "special.gguf", "output": "special.jpg", "trace": "special-trace.json"}[role]
    special = work / name
    fuzz.make_special(special, kind)
    photo = work / "photo.png"
    photo_bytes = photo.read_bytes()
    args = {
        "photo": ["render", special, "-o", work / "out.png"],
        "project": ["render", photo, "--project", special, "-o", work / "out.png"],
        "params": ["render", photo, "--params", special, "-o", work / "out.png"],
        "model": ["edit", photo, "warmer", "--model", special],
        "output": ["render", photo, "-o", special],
        "trace": ["edit", photo, "warmer", "--trace", special],
    }[role]
    code, err = run(capfd, *args)
    assert_clean(code, err, f"{kind} as the {role}")
    if role in ("photo", "project", "params", "model"):
        assert code == 1  # nothing here can be read as what it stands for
    assert photo.read_bytes() == photo_bytes
    assert_nothing_left(work, kind)


def test_file_names_that_are_not_utf8(tmp_path, capfd, seeds, monkeypatch):
    """Names from old cameras, Windows shares and ZIPs: the photo, its project, the output, and the
    `wrote ...` line on a terminal whose output is strict UTF-8."""
    folder = os.fsdecode(bytes(tmp_path))
    photo = os.path.join(folder, os.fsdecode(b"caf\xe9.png"))
    Path(photo).write_bytes(seeds["png"].read_bytes())
    output, project = os.path.join(folder, os.fsdecode(b"r\xe9.jpg")), photo + ".iea.json"
    code, err = run(capfd, "edit", photo, "make it warmer", "-o", output, "--project", project)
    assert_clean(code, err, "edit")
    assert code == 0 and "make it warmer" in fuzz.requests_in(Path(project))
    terminal = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")
    monkeypatch.setattr(sys, "stdout", terminal)
    code, err = run(capfd, "render", photo, "-o", output)
    assert_clean(code, err, "render")
    assert code == 0 and Path(output).stat().st_size > 0
    terminal.flush()
    assert b"r\xe9.jpg" in terminal.buffer.getvalue()  # the name's own bytes, as `ls` prints them


# --------------------------------------------------------------------------- a full or read-only disk


def failing_folder(monkeypatch, folder: Path, error_number: int) -> None:
    """Files cannot be created in ``folder``: as fuzz.child_main does in the campaign's processes
    (the tests run as root, whom chmod does not stop)."""
    real_open = os.open

    def refusing_open(path, flags, *args, **kwargs):
        if flags & os.O_CREAT and Path(os.fsdecode(path)).resolve().is_relative_to(folder.resolve()):
            raise OSError(error_number, os.strerror(error_number), os.fsdecode(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)


@pytest.mark.parametrize("error_number", [errno.ENOSPC, errno.EROFS, errno.EACCES])
@pytest.mark.parametrize("where", ["output", "project", "trace"])
def test_a_failing_disk(work, capfd, monkeypatch, iea_home, error_number, where):
    target = work / "target"
    target.mkdir()
    project = (target if where == "project" else work) / "edit.iea.json"
    trace = (target if where == "trace" else work) / "trace.json"
    output = (target if where == "output" else work) / "out.jpg"
    failing_folder(monkeypatch, target, error_number)
    code, err = run(capfd, "edit", work / "photo.png", "make it warmer", "--project", project, "--trace", trace,
                    "-o", output)
    assert_clean(code, err, where)
    assert code == 1 and os.strerror(error_number) not in err  # said plainly, not as errno text
    if where == "output":  # the turn is refused as a whole: nothing saved, a retry starts afresh
        assert not project.exists() and not trace.exists()
    elif where == "project":  # saved in the data folder instead, and the message says where
        rescue = Path(err.rsplit("saved to ", 1)[1].split(" instead")[0].strip())
        assert rescue.is_relative_to(iea_home) and "make it warmer" in fuzz.requests_in(rescue)
    else:
        assert "make it warmer" in fuzz.requests_in(project)
    assert_nothing_left(work, where)
    assert_nothing_left(iea_home, where)


def test_a_log_file_on_a_full_disk_is_not_the_persons_problem(work, capfd, iea_home):
    logs = iea_home / "data" / "logs"
    logs.mkdir(parents=True)
    (logs / "iea-desktop.log").symlink_to("/dev/full")
    code, err = run(capfd, "render", work / "photo.png", "-o", work / "out.png", "--params", '{"exposure": 10}')
    assert code == 0 and err == ""


# --------------------------------------------------------------------------- two edits at once


def test_two_edits_of_one_project_at_once_keep_both_turns(work):
    """Two processes, each one turn on the same project: the project lock makes the second wait for
    the first one's save, so both requests are in the project (without it, one was lost every time)."""
    project = work / "edit.iea.json"
    requests = ["make it warmer", "more saturated", "brighter", "cooler"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for pair in (requests[:2], requests[2:]):
        runs = [subprocess.Popen([sys.executable, "-m", "iea_desktop", "edit", str(work / "photo.png"), text,
                                  "--project", str(project)], env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for text in pair]
        for process in runs:
            _, err = process.communicate(timeout=300)
            assert process.returncode == 0, err
    saved = json.loads(project.read_text())
    assert sorted(fuzz.requests_in(project)) == sorted(requests)
    assert len(saved["history"]["entries"]) == len(requests)
    assert_nothing_left(work, "concurrent")
