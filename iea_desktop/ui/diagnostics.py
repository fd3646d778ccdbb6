"""Qt facts for ``iea-desktop doctor``: versions, the platform plugin the window would use, and
whether each platform plugin can be loaded (the usual reason a window does not open on Linux is
a platform plugin missing a system library, e.g. xcb without libxcb-cursor0).

Creates no QGuiApplication: one without a usable display aborts the process. Loading a plugin
with QPluginLoader only opens its shared library (and so reports missing dependencies).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def _plugin_keys(loader) -> list[str]:
    """The platform names a plugin serves (the wayland plugin serves three)."""
    return [str(k) for k in (loader.metaData().get("MetaData") or {}).get("Keys") or []]


def _default_platform() -> tuple[str | None, str]:
    """The platform Qt picks when QT_QPA_PLATFORM is not set, and why."""
    if sys.platform == "win32":
        return "windows", "the default on Windows"
    if sys.platform == "darwin":
        return "cocoa", "the default on macOS"
    wayland = os.environ.get("WAYLAND_DISPLAY") or os.environ.get("XDG_SESSION_TYPE") == "wayland"
    if wayland:
        return "wayland", "a Wayland session (falls back to xcb)"
    if os.environ.get("DISPLAY"):
        return "xcb", f"an X11 display ({os.environ['DISPLAY']})"
    return None, "no display: the window cannot open here; set QT_QPA_PLATFORM=offscreen to run without one"


def qt_info(check_plugins: bool = True) -> dict:
    """Qt and PySide6 versions, plugin folder, chosen platform and each platform plugin's state."""
    import PySide6
    from PySide6.QtCore import QLibraryInfo, QPluginLoader, qVersion
    from PySide6.QtGui import QGuiApplication

    plugins_dir = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath))
    app = QGuiApplication.instance()
    requested = os.environ.get("QT_QPA_PLATFORM", "").strip()
    platform: str | None  # None: no platform can be chosen here
    if app is not None:
        platform, why = QGuiApplication.platformName(), "the running application"
    elif requested:
        platform, why = requested.split(";")[0].split(":")[0], "QT_QPA_PLATFORM"
    else:
        platform, why = _default_platform()

    plugins: dict[str, str] = {}
    folder = plugins_dir / "platforms"
    if check_plugins and folder.is_dir():
        for path in sorted(folder.iterdir()):
            if not path.is_file() or path.suffix.lower() not in (".so", ".dll", ".dylib"):
                continue
            loader = QPluginLoader(str(path))
            keys = _plugin_keys(loader) or [path.stem.removeprefix("lib").removeprefix("q")]
            if loader.load():
                state = "ok"
                loader.unload()
            else:
                state = f"cannot load: {loader.errorString()}"
            for key in keys:
                plugins[key] = state

    problems = []
    if platform is None:
        problems.append(f"Qt platform: {why}")
    elif check_plugins and platform not in plugins:
        problems.append(f"Qt platform {platform!r} ({why}) has no plugin in {folder}")
    elif check_plugins and plugins[platform] != "ok":
        problems.append(f"Qt platform plugin {platform!r} {plugins[platform]}")
    return {
        "qt_version": qVersion(),
        "pyside6_version": PySide6.__version__,
        "platform": platform,
        "platform_reason": why,
        "plugins_dir": str(plugins_dir),
        "platform_plugins": plugins,
        "problems": problems,
    }
