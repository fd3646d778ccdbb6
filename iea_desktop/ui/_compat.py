"""A guard against PySide6 6.12's reference-count bug on CPython 3.11.

shiboken6 6.12.0 returns ``None`` (from every void method: ``setEnabled``, ``update``,
``QPainterPath.lineTo``...) and ``True``/``False`` (``Signal.emit``) without taking a reference.
On Python 3.12+ these singletons are immortal (PEP 683) and nothing happens; on 3.11 each call
drops one reference, and after a few thousand calls Python aborts with "deallocating None".
Giving the three singletons a huge reference count makes them immortal the way 3.12 does; the
guard does nothing on other Python or PySide6 versions. (The dependency pin that avoids 6.12.0
on 3.11 is the real fix; this keeps the window alive where that version is installed.)
"""

from __future__ import annotations

import ctypes
import sys

_done = False


def affected() -> bool:
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return False
    import PySide6

    return tuple(int(part) for part in PySide6.__version__.split(".")[:2]) >= (6, 12)


def immortalize_singletons() -> None:
    global _done
    if _done or not affected():
        return
    for singleton in (None, True, False):
        ctypes.c_ssize_t.from_address(id(singleton)).value += 1 << 40
    _done = True
