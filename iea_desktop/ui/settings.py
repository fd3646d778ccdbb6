"""What the window remembers between runs: layout, recent files, folders, the chosen assistant.

The settings file lives in the app's config folder (``$IEA_HOME/config`` when IEA_HOME is set,
so tests never touch the real configuration).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from ..core.paths import config_dir

MAX_RECENT = 10


class Settings:
    def __init__(self, path: Path | None = None):
        self.path = path or config_dir() / "desktop.ini"
        self._q = QSettings(str(self.path), QSettings.Format.IniFormat)

    def value(self, key: str, default=None):
        value = self._q.value(key, default)
        return default if value is None else value

    def set_value(self, key: str, value) -> None:
        self._q.setValue(key, value)

    def sync(self) -> None:
        self._q.sync()

    # --- recent files (``key`` "recent") and folders ("recent_folders") ----------------------

    def recent_files(self, key: str = "recent") -> list[str]:
        value = self._q.value(key, [])
        if isinstance(value, str):  # QSettings stores a one-item list as a plain string
            value = [value]
        return [str(v) for v in value] if isinstance(value, list) else []

    def add_recent(self, path: str | Path, key: str = "recent") -> None:
        path = str(Path(path).resolve())
        files = [path] + [f for f in self.recent_files(key) if f != path]
        self._q.setValue(key, files[:MAX_RECENT])

    def clear_recent(self, key: str = "recent") -> None:
        self._q.setValue(key, [])

    # --- window layout -----------------------------------------------------------------------

    def save_window(self, window) -> None:
        self._q.setValue("window/geometry", window.saveGeometry())
        self._q.setValue("window/state", window.saveState())

    def restore_window(self, window) -> bool:
        geometry, state = self._q.value("window/geometry"), self._q.value("window/state")
        restored = isinstance(geometry, QByteArray) and window.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            window.restoreState(state)
        return bool(restored)


def recent_labels(files: list[str]) -> list[str]:
    """What a list of recent photos shows for each: its name, and where two share a name, the
    folder it is in too ("kodim23.png — ~/Pictures/trip")."""
    names = [Path(f).name for f in files]
    home = Path.home()
    labels = []
    for file, name in zip(files, names):
        if names.count(name) == 1:
            labels.append(name)
            continue
        folder = Path(file).parent
        try:
            folder = Path("~") / folder.relative_to(home)
        except ValueError:
            pass
        labels.append(f"{name} — {folder}")
    return labels
