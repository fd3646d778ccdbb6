"""``iea-desktop doctor``: what this installation is made of and whether it can work.

Versions (the app, Python, Qt, llama.cpp and the image libraries), llama.cpp's system info and
whether it can offload to a GPU, the Qt platform the window would use, the models found (with
their vision projectors) and the catalogue entries not installed, and the data, config, cache
and log folders with whether they can be written. ``collect()`` returns it all as a plain dict
(the ``--json`` output); ``format_text()`` makes the plain-text report.

Qt-free: the Qt facts come from :mod:`iea_desktop.ui.diagnostics`, imported inside a function,
so the report still comes when PySide6 is missing or broken. Nothing here creates folders or
loads a model; the writability test writes and removes one temporary file.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from . import __version__
from .core import paths

README_GPU = 'README.md, section "GPU"'


def _error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


# --- folders --------------------------------------------------------------------------------


def _try_write(folder: Path) -> str | None:
    """Create and remove a temporary file in ``folder``; the reason it failed, or None."""
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".iea-doctor-"):
            pass
    except OSError as error:
        return error.strerror or str(error)
    return None


def folder_state(path: Path) -> dict:
    """``{"path", "exists", "writable", "note"}``; a missing folder is judged by the folder it would go in."""
    path = Path(path)
    state = {"path": str(path), "exists": path.is_dir(), "writable": False, "note": ""}
    if path.exists() and not path.is_dir():
        state["note"] = "exists but is not a folder"
        return state
    if path.is_dir():
        reason = _try_write(path)
        state["writable"] = reason is None
        state["note"] = f"not writable: {reason}" if reason else ""
        return state
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        state["note"] = f"cannot be created: {ancestor} is not a folder"
        return state
    reason = _try_write(ancestor)
    state["writable"] = reason is None
    state["note"] = (
        f"cannot be created in {ancestor}: {reason}" if reason else "does not exist yet; will be created when needed"
    )
    return state


def _folders() -> dict:
    from .logs import log_dir, log_file

    folders = {
        "data": folder_state(paths.data_dir()),
        "config": folder_state(paths.config_dir()),
        "cache": folder_state(paths.cache_dir()),
        "logs": folder_state(log_dir()),
    }
    folders["logs"]["log_file"] = str(log_file())
    return folders


# --- libraries ------------------------------------------------------------------------------


def _distribution_version(name: str) -> str | None:
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover
        return None
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def _libraries() -> dict:
    """Version of each image/model-file library, or the error importing it gave."""
    found: dict[str, str] = {}
    probes = {
        "numpy": lambda: __import__("numpy").__version__,
        "opencv": lambda: __import__("cv2").__version__,
        "pillow": lambda: __import__("PIL").__version__,
        "simplejpeg": lambda: __import__("simplejpeg").__version__,
        "rawpy": lambda: (lambda r: f"{r.__version__} (LibRaw {'.'.join(map(str, r.libraw_version))})")(
            __import__("rawpy")
        ),
        "tifffile": lambda: __import__("tifffile").__version__,
        "gguf": lambda: (__import__("gguf"), _distribution_version("gguf") or "installed")[1],
    }
    for name, probe in probes.items():
        try:
            found[name] = str(probe())
        except Exception as error:  # a broken library is what the report is for
            found[name] = f"unavailable ({_error_text(error)})"
    return found


def _pixel_kernel() -> dict:
    """Which pixel loops the renderer runs (core/kernel.py): compiled, with the vector code this CPU
    gets, or the numpy fallback and why. A compiled kernel that should load and does not is a problem."""
    from .core import kernel

    compiled = kernel.compiled is not None and kernel.active is kernel.compiled
    problems = []
    if kernel.compiled is None and kernel.why != kernel.FORCED:
        problems.append(
            f"{kernel.why}: the app runs the slower numpy path (`make setup`, or "
            "`pip install -e .`, with a C compiler builds it)"
        )
    return {
        "compiled": compiled,
        "simd": kernel.simd() if compiled else None,
        "why": kernel.why,
        "summary": kernel.describe(),
        "problems": problems,
    }


def _qt() -> dict:
    try:
        from .ui.diagnostics import qt_info

        return {"available": True, **qt_info()}
    except Exception as error:
        return {
            "available": False,
            "error": _error_text(error),
            "problems": [f"Qt (PySide6) cannot be used: {_error_text(error)}"],
        }


def _gpu_hint() -> str:
    """A reason to build llama.cpp with a GPU backend, when this machine seems to have a GPU."""
    if sys.platform == "darwin":
        if platform.machine() == "arm64":
            return "Apple Silicon: rebuild llama-cpp-python with Metal (make gpu-metal)"
        try:
            translated = subprocess.run(
                ["sysctl", "-n", "sysctl.proc_translated"], capture_output=True, text=True, timeout=5
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            translated = ""
        if translated == "1":
            return "this is an x86_64 Python under Rosetta on Apple Silicon: use an arm64 Python, then make gpu-metal"
        return ""
    if Path("/proc/driver/nvidia/version").exists() or Path("/dev/nvidiactl").exists():
        return "an NVIDIA driver is present: rebuild llama-cpp-python with CUDA (make gpu-cuda)"
    return ""


def _llama_cpp() -> dict:
    try:
        import llama_cpp
    except Exception as error:
        return {
            "available": False,
            "error": _error_text(error),
            "version": None,
            "gpu_offload": False,
            "gpu_backend": "",
            "system_info": "",
            "problems": [f"llama.cpp cannot be loaded ({_error_text(error)}): only the built-in assistant works"],
        }
    from .agent.backends.llama_cpp_backend import gpu_backend_name

    gpu = bool(llama_cpp.llama_supports_gpu_offload())
    report = {
        "available": True,
        "version": getattr(llama_cpp, "__version__", None),
        "library_dir": str(Path(llama_cpp.__file__).resolve().parent / "lib"),
        "gpu_offload": gpu,
        "gpu_backend": gpu_backend_name(llama_cpp) if gpu else "",
        "system_info": llama_cpp.llama_print_system_info().decode("utf-8", "replace").strip(),
        "problems": [],
    }
    report["hint"] = "" if gpu else _gpu_hint()
    return report


def _prerequisites(frozen: bool) -> dict:
    """The system pieces iea_desktop/prereqs.py checks before set-up (the libraries only, when bundled).

    The X11 libraries count unless Qt is told to run without a screen (QT_QPA_PLATFORM=offscreen).
    """
    from . import prereqs

    headless = os.environ.get("QT_QPA_PLATFORM", "") in ("offscreen", "minimal")
    missing = prereqs.check("test" if headless else "run", build=not frozen)
    return {
        "missing": [{"what": m.what, "package": m.package} for m in missing],
        "install": prereqs.install_hint(missing) if missing else "",
        "problems": [m.what + (f" (package {m.package})" if m.package else "") for m in missing],
    }


# --- models ---------------------------------------------------------------------------------


def _models() -> dict:
    from .agent import models

    report: dict = {
        "folders": [str(d) for d in models.model_dirs()],
        "catalog_file": str(models.CATALOG),
        "installed": [],
        "catalogue": [],
        "missing": [],
        "problems": [],
    }
    try:
        installed = models.list_installed_models()
    except OSError as error:
        installed = []
        report["problems"].append(f"model folders cannot be read: {_error_text(error)}")
    for m in installed:
        report["installed"].append(
            {
                "name": m.name,
                "file": m.path.name,
                "path": str(m.path),
                "size_bytes": m.size_bytes,
                "dialect": m.dialect,
                "catalog_name": m.catalog_name,
                "vision": m.has_vision,
                "mmproj": str(m.mmproj_path) if m.mmproj_path else None,
                "problem": m.problem,
            }
        )
        if m.problem:
            report["problems"].append(f"model {m.path} cannot be used: {m.problem}")
    catalog = models.load_catalog()
    if not catalog:
        report["problems"].append(f"the model catalogue {models.CATALOG} is missing or unreadable")
    files = {m.path.name for m in installed}
    mmprojs = {m.mmproj_path.name for m in installed if m.mmproj_path}
    for entry in catalog:
        model_file, mmproj_file = entry["files"]["model"]["name"], entry["files"]["mmproj"]["name"]
        have = model_file in files
        report["catalogue"].append(
            {
                "name": entry["name"],
                "title": entry.get("title", ""),
                "dialect": entry.get("dialect", ""),
                "size_mb": entry["files"]["model"]["size_mb"] + entry["files"]["mmproj"]["size_mb"],
                "model_file": model_file,
                "mmproj_file": mmproj_file,
                "installed": have,
                "mmproj_installed": mmproj_file in mmprojs,
                "downloadable": all(entry["files"][r].get("url") for r in ("model", "mmproj")),
            }
        )
        if not have:
            report["missing"].append(entry["name"])
    return report


# --- the report -----------------------------------------------------------------------------


def collect() -> dict:
    """Everything ``doctor`` reports, as JSON-ready values."""
    frozen = bool(getattr(sys, "frozen", False))
    report: dict[str, Any] = {
        "iea_desktop": {
            "version": __version__,
            "frozen": frozen,
            "location": str(getattr(sys, "_MEIPASS", Path(__file__).resolve().parents[1])),
        },
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
        },
        "system": {"os": platform.system(), "release": platform.release(), "machine": platform.machine()},
        "prerequisites": _prerequisites(frozen),
        "libraries": _libraries(),
        "pixel_kernel": _pixel_kernel(),
        "qt": _qt(),
        "llama_cpp": _llama_cpp(),
        "models": _models(),
        "folders": _folders(),
    }
    problems = (
        report["prerequisites"]["problems"]
        + report["pixel_kernel"]["problems"]
        + list(report["qt"].get("problems", []))
        + report["llama_cpp"]["problems"]
        + report["models"]["problems"]
    )
    for name, state in report["folders"].items():
        if not state["writable"]:
            problems.append(f"the {name} folder {state['path']} {state['note'] or 'is not writable'}")
    report["problems"] = problems
    return report


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 1e9:.1f} GB" if n_bytes >= 1e9 else f"{n_bytes / 1e6:.0f} MB"


def format_text(report: dict) -> str:
    lines: list[str] = []
    add = lines.append
    app, py, system = report["iea_desktop"], report["python"], report["system"]
    add(f"IEA Desktop {app['version']} ({'bundled' if app['frozen'] else 'from source'}: {app['location']})")
    add(f"Python       {py['version']} ({py['implementation']}, {py['executable']})")
    add(f"System       {system['os']} {system['release']} {system['machine']}")
    add("Libraries    " + ", ".join(f"{k} {v}" for k, v in report["libraries"].items()))
    add(f"Pixel kernel {report['pixel_kernel']['summary']}")
    prerequisites = report["prerequisites"]
    if prerequisites["missing"]:
        add("Missing      " + "; ".join(prerequisites["problems"]))
        add(f"  install    {prerequisites['install']}")
    else:
        add("Prerequisites all present (compilers, Python headers and venv, Qt's system libraries)")

    qt = report["qt"]
    add("")
    if qt["available"]:
        add(f"Qt           {qt['qt_version']} (PySide6 {qt['pyside6_version']})")
        add(f"Qt platform  {qt['platform'] or 'none'} ({qt['platform_reason']})")
        by_state: dict[str, list[str]] = {}
        for key, state in sorted(qt["platform_plugins"].items()):
            by_state.setdefault(state, []).append(key)
        add(f"  loadable   {', '.join(by_state.pop('ok', [])) or 'none'}")
        for state, keys in by_state.items():
            add(f"  {', '.join(keys)}: {state}")
        add(f"  folder     {qt['plugins_dir']}")
    else:
        add(f"Qt           unavailable: {qt['error']}")

    llama = report["llama_cpp"]
    add("")
    if llama["available"]:
        add(f"llama.cpp    llama-cpp-python {llama['version']} ({llama['library_dir']})")
        if llama["gpu_offload"]:
            add(
                f"GPU offload  yes ({llama['gpu_backend'] or 'unknown backend'}): models load with all layers on the GPU"
            )
        else:
            add(f"GPU offload  no: a CPU-only build, models run on the CPU (see {README_GPU})")
            if llama.get("hint"):
                add(f"  hint       {llama['hint']}")
        add(f"System info  {llama['system_info']}")
    else:
        add(f"llama.cpp    unavailable: {llama['error']}")

    models = report["models"]
    add("")
    add(f"Models       looked for in: {', '.join(models['folders'])}")
    if not models["installed"]:
        add("  none installed (the built-in assistant is always available)")
    for m in models["installed"]:
        vision = f"vision: {Path(m['mmproj']).name}" if m["mmproj"] else "text only (no mmproj next to it)"
        add(f"  {m['name']:28} {_size(m['size_bytes']):>8}  {m['dialect']:7}  {vision}  {m['path']}")
        if m["problem"]:
            add(f"  {'':28} UNUSABLE: {m['problem']}")
    add(f"Catalogue    {models['catalog_file']}")
    for entry in models["catalogue"]:
        state = "installed" if entry["installed"] else "missing"
        if entry["installed"] and not entry["mmproj_installed"]:
            state = "installed, mmproj missing"
        add(f"  {entry['name']:16} {entry['size_mb']:6} MB  {state:25}  {entry['title']}")
    if models["missing"]:
        add(f"  not installed: {', '.join(models['missing'])} (iea-desktop models download NAME)")

    add("")
    add("Folders")
    for name, state in report["folders"].items():
        verdict = "writable" if state["writable"] else "NOT WRITABLE"
        note = f" ({state['note']})" if state["note"] else ""
        add(f"  {name:7} {state['path']}  {verdict}{note}")
    add(f"  log file {report['folders']['logs']['log_file']}")

    add("")
    if report["problems"]:
        add("Problems")
        for problem in report["problems"]:
            add(f"  - {problem}")
    else:
        add("Problems     none found")
    return "\n".join(lines)
