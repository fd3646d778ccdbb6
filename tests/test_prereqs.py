"""The prerequisite check `make run` / `make test` run first (iea_desktop/prereqs.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from iea_desktop import prereqs

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "iea_desktop" / "prereqs.py"


@pytest.fixture
def bare_machine(monkeypatch, tmp_path):
    """A Linux machine with no compilers, no Python headers and none of Qt's system libraries."""
    monkeypatch.setattr(prereqs.sys, "platform", "linux")
    monkeypatch.setattr(prereqs.shutil, "which", lambda name, *args, **kwargs: "/usr/bin/apt-get" if name == "apt-get" else None)
    monkeypatch.setattr(prereqs, "_system_libraries", lambda: {"libc.so.6"})
    monkeypatch.setattr(prereqs, "_python_headers", lambda: str(tmp_path / "Python.h"))


def test_a_bare_machine_is_told_every_package_in_one_install_line(bare_machine):
    missing = prereqs.check("run")
    packages = {item.package for item in missing}
    assert {"build-essential", "python3-dev", "libegl1", "libxcb-cursor0", "libxkbcommon-x11-0"} <= packages
    hint = prereqs.install_hint(missing)
    assert "apt-get install -y" in hint
    for package in packages:
        assert package in hint
    assert hint.count("build-essential") == 1  # the C and the C++ compiler come in one package


def test_tests_need_no_x11_libraries(bare_machine):
    packages = {item.package for item in prereqs.check("test")}
    assert "libegl1" in packages  # Qt needs EGL/GL even offscreen
    assert not packages & set(prereqs.QT_X11_LIBS.values())


def test_an_installed_app_is_not_asked_for_compilers(bare_machine):
    packages = {item.package for item in prereqs.check("run", build=False)}
    assert "libxcb-cursor0" in packages
    assert not packages & {"build-essential", "python3-dev", "python3-venv"}


def test_too_old_a_python_is_named():
    missing = prereqs.check("test", python_version=(3, 9, 18))
    assert any("Python 3.10 or newer (this is 3.9.18)" in item.what for item in missing)


def test_main_stops_with_one_message_and_exit_1(bare_machine, capsys):
    assert prereqs.main(["prereqs.py", "test"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("make test: this machine lacks what IEA Desktop needs:")
    assert "python3-dev" in err and "Install it with:" in err


def test_this_machine_has_what_the_tests_need():
    assert prereqs.check("test") == []


def test_the_script_runs_on_the_bare_system_python_without_the_package():
    """`make` runs it with the system's python3 before the venv exists: standard library only."""
    result = subprocess.run([sys.executable, "-S", "-I", str(SCRIPT), "apt-line"], capture_output=True,
                            text=True, timeout=60, cwd="/")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == prereqs.apt_line()


def test_the_readme_names_the_same_install_line():
    assert prereqs.apt_line() in (ROOT / "README.md").read_text(encoding="utf-8")
