"""What a machine needs before IEA Desktop can be set up, checked in a second.

``make run`` and ``make test`` run this file with the system's ``python3`` before they create the
virtual environment or compile anything, so a missing compiler or Qt library is named at once
(with the one command that installs it) instead of after minutes of compiling or in Qt's own
abort. ``iea-desktop doctor`` reports the same list. The file therefore uses the standard library
only and stays importable by old Pythons (the version check has to be able to say "too old").

    python3 iea_desktop/prereqs.py run|test     # exit 1 with one message naming what is missing
    python3 iea_desktop/prereqs.py apt-line     # the README's Debian/Ubuntu install line
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig

MIN_PYTHON = (3, 10)

# Shared libraries Qt (PySide6-Essentials) loads from the system, by Debian/Ubuntu package: read
# off the NEEDED entries of QtCore/Gui/Widgets/DBus and the platform plugins in the wheel.
QT_OFFSCREEN_LIBS = {  # needed even offscreen (tests, `make test`)
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libX11.so.6": "libx11-6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libxkbcommon.so.0": "libxkbcommon0",
}
QT_X11_LIBS = {  # the xcb platform plugin, for a window on an X11 (or XWayland) desktop
    "libX11-xcb.so.1": "libx11-xcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-glx.so.0": "libxcb-glx0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
}
# Build tools and Python pieces, by the Debian/Ubuntu package that brings them.
BUILD_PACKAGES = ["build-essential", "python3-venv", "python3-dev"]


class Missing:
    """One thing the machine lacks: what it is, and the Debian/Ubuntu package that brings it."""

    def __init__(self, what: str, package: str | None):
        self.what = what
        self.package = package

    def __repr__(self) -> str:
        return f"Missing({self.what!r}, {self.package!r})"


def apt_line() -> str:
    """The one Debian/Ubuntu command that installs everything both make commands need."""
    packages = BUILD_PACKAGES + sorted(set(QT_OFFSCREEN_LIBS.values()) | set(QT_X11_LIBS.values()))
    return "sudo apt-get install -y " + " ".join(packages)


def _system_libraries() -> set[str] | None:
    """The sonames the dynamic loader knows (``ldconfig -p``); None where that cannot be asked."""
    for ldconfig in ("ldconfig", "/sbin/ldconfig", "/usr/sbin/ldconfig"):
        try:
            out = subprocess.run([ldconfig, "-p"], capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        return {line.split()[0] for line in out.splitlines()[1:] if line.strip()}
    return None


def _missing_libraries(wanted: dict[str, str], known: set[str] | None) -> list[Missing]:
    if known is None:  # no ldconfig (not glibc Linux): nothing to say
        return []
    return [Missing(f"Qt needs {soname}", package) for soname, package in wanted.items() if soname not in known]


def _python_headers() -> str:
    """Where Python.h should be (Debian ships it in python3-dev)."""
    return os.path.join(sysconfig.get_paths().get("include") or "", "Python.h")


def _has_compiler(names: tuple[str, ...]) -> bool:
    return any(shutil.which(name) for name in names)


def check(
    purpose: str, python_version: tuple[int, ...] = tuple(sys.version_info[:3]), build: bool = True
) -> list[Missing]:
    """What this machine lacks for ``purpose`` ("run": the app in a window; "test": the test suite).

    ``build=False`` leaves out what only setting up from source needs (compilers, headers, venv):
    an installed or bundled app needs just the system libraries.
    """
    missing: list[Missing] = []
    if sys.platform.startswith("linux"):
        known = _system_libraries()
        missing += _missing_libraries(QT_OFFSCREEN_LIBS, known)
        if purpose == "run":
            missing += _missing_libraries(QT_X11_LIBS, known)
    if not build:
        return missing
    if tuple(python_version[:2]) < MIN_PYTHON:
        wanted = ".".join(map(str, MIN_PYTHON))
        missing.append(Missing(f"Python {wanted} or newer (this is {'.'.join(map(str, python_version))})", "python3"))
    try:
        import ensurepip  # noqa: F401  (Debian splits it off into python3-venv)
        import venv  # noqa: F401
    except ImportError:
        missing.append(Missing("Python's venv module with ensurepip", "python3-venv"))
    headers = _python_headers()
    if sys.platform != "win32" and not os.path.isfile(headers):
        missing.append(Missing(f"Python's C headers ({headers})", "python3-dev"))
    if not _has_compiler(("cc", "gcc", "clang", "cl")):
        missing.append(Missing("a C compiler", "build-essential"))
    if not _has_compiler(("c++", "g++", "clang++", "cl")):
        missing.append(Missing("a C++ compiler (llama.cpp is compiled once)", "build-essential"))
    return missing


def install_hint(missing: list[Missing]) -> str:
    """The command that installs what is missing on this kind of system."""
    if sys.platform == "darwin":
        return "xcode-select --install   (and Python 3.10+ from python.org or Homebrew)"
    if sys.platform == "win32":
        return "install Python 3.10+ from python.org and Visual Studio Build Tools (C++), then see README"
    packages = sorted({item.package for item in missing if item.package})
    if shutil.which("apt-get"):
        sudo = "" if hasattr(os, "geteuid") and os.geteuid() == 0 else "sudo "
        return f"{sudo}apt-get install -y " + " ".join(packages)
    return "install your distribution's packages for: " + ", ".join(packages) + " (Debian/Ubuntu names)"


def report(purpose: str, missing: list[Missing]) -> str:
    command = "make run" if purpose == "run" else "make test"
    lines = [f"{command}: this machine lacks what IEA Desktop needs:"]
    lines += [f"  - {item.what}" + (f" (package {item.package})" if item.package else "") for item in missing]
    lines += ["Install it with:", "  " + install_hint(missing)]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    purpose = argv[1] if len(argv) > 1 else "test"
    if purpose == "apt-line":
        print(apt_line())
        return 0
    if purpose not in ("run", "test"):
        print("usage: prereqs.py run|test|apt-line", file=sys.stderr)
        return 2
    missing = check(purpose)
    if missing:
        print(report(purpose, missing), file=sys.stderr)
        return 1
    if (
        purpose == "run"
        and sys.platform.startswith("linux")
        and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    ):
        print(
            "make run: no desktop session here (neither DISPLAY nor WAYLAND_DISPLAY is set); the app "
            "needs one to open its window. `make test` runs without one.",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
