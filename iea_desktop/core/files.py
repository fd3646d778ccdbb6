"""The app's own files, written and read safely: projects, autosaves, traces, exports, parameters.

- ``atomic_write``: a crash leaves the old file or the new one, never half of one; the new file
  gets the permissions a plain ``open(path, "w")`` would give (or the old file's), a symlink is
  written through to its target, and a failure leaves no temporary file and says why in one line.
- ``read_regular``: only regular files (a FIFO would block, ``/dev/zero`` never ends), up to a cap.
- ``load_json`` / ``json_bytes``: strict JSON; no ``NaN``/``Infinity``, no numbers a float cannot
  hold, no nesting deeper than any file of ours has.
- ``file_lock``: one process at a time for a read-modify-write (released by the OS if it dies).
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import re
import secrets
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path

STALE_SECONDS = 60  # a temporary file this old is a leftover of a killed write, not one in progress
MAX_DEPTH = 64  # JSON nesting; our files use fewer than 10 levels
MAX_INT = 2**53  # JSON's interoperable integers (exact as floats); larger ones are refused


class InputError(ValueError):
    """A file or text the app cannot use: ``str()`` is one line, ``reason`` is it without the name."""

    def __init__(self, what: str, reason: str):
        self.what, self.reason = what, reason
        super().__init__(f"{what}: {reason}")


class WriteError(OSError):
    """A file that could not be written (full disk, read-only, no permission...). ``errno`` is the
    system's; ``str()`` is one line for a person."""

    def __init__(self, path: Path, error: OSError):
        super().__init__(error.errno, _reason(error))
        self.path = Path(path)

    def __str__(self) -> str:
        return f"{self.path}: cannot be written ({self.strerror})"


def _reason(error: OSError) -> str:
    known: dict[int | None, str] = {  # OSError.errno may be None
        errno.ENOSPC: "the disk is full",
        errno.EROFS: "the file system is read-only",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.ENOENT: "the folder does not exist",
    }
    if getattr(errno, "EDQUOT", None) is not None:
        known[errno.EDQUOT] = "the disk quota is used up"
    return known.get(error.errno) or error.strerror or str(error)


# --- writing ----------------------------------------------------------------------------------


def _temporary_name(name: str) -> str:
    return f"{name}.{secrets.token_hex(4)}.tmp"


def _leftover_pattern(name: str) -> re.Pattern:
    """Our temporary files for ``name`` (and those of tempfile.mkstemp, which earlier versions used)."""
    return re.compile(re.escape(name) + r"\.[a-z0-9_]{8}\.tmp")


def remove_stale_temporaries(path: str | os.PathLike) -> int:
    """Delete temporary files of ``path`` left by a write that was killed (older than
    STALE_SECONDS, so a write in progress elsewhere is left alone). Returns how many went."""
    path = Path(path)
    pattern = _leftover_pattern(path.name)
    removed = 0
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return 0
    now = time.time()
    for entry in entries:
        try:
            if (
                pattern.fullmatch(entry.name)
                and entry.is_file(follow_symlinks=False)
                and now - entry.stat(follow_symlinks=False).st_mtime > STALE_SECONDS
            ):
                os.unlink(entry.path)
                removed += 1
        except OSError:
            pass  # gone already, or not ours to remove
    return removed


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX; Windows has no folder handles to sync)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: str | os.PathLike, data: bytes, parents: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically (a temporary file beside it, fsync, rename).

    The file gets the mode a plain write would give: an existing file keeps its own, a new one
    gets 0666 less the umask (the OS applies it when the temporary file is created). A symlink is
    written through: its target is replaced, the link stays. ``parents``: create missing folders.
    Stale temporaries of earlier, killed writes of this file are removed. Raises ``WriteError``.
    Returns the path of the file written (the link's target for a symlink).
    """
    path = Path(path)
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    folder = target.parent
    try:
        if parents:
            folder.mkdir(parents=True, exist_ok=True)
        try:
            status = os.stat(target)
        except FileNotFoundError:
            mode = None
        else:  # never replace a device, FIFO or folder (`-o out.jpg` linked to /dev/zero, as root)
            if not stat.S_ISREG(status.st_mode):
                raise OSError(errno.EEXIST, "it is not a regular file")
            mode = stat.S_IMODE(status.st_mode)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        for _ in range(100):
            tmp = folder / _temporary_name(target.name)
            try:
                fd = os.open(tmp, flags, 0o666)
                break
            except FileExistsError:
                continue
        else:
            raise FileExistsError(errno.EEXIST, "no free temporary file name", str(folder))
    except OSError as error:
        raise WriteError(target if error.errno != errno.EACCES else folder, error) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            if mode is not None:  # best effort: some shares cannot change modes
                with contextlib.suppress(OSError):
                    os.chmod(tmp, mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(error, OSError):
            raise WriteError(target, error) from None
        raise
    _fsync_folder(folder)
    remove_stale_temporaries(target)
    return target


# --- reading ----------------------------------------------------------------------------------


def _megabytes(size: int) -> str:
    return f"{size / 1e6:,.0f} MB" if size >= 1e6 else f"{size:,} bytes"


def check_regular(path: str | os.PathLike, limit: int, what: str | None = None) -> os.stat_result:
    """The file's status if it is a regular file (after symlinks) of at most ``limit`` bytes;
    else ``InputError`` says what it is instead."""
    what = what or Path(path).name
    try:
        status = os.stat(path)
    except FileNotFoundError:
        raise InputError(what, "file not found") from None
    except PermissionError:
        raise InputError(what, "permission denied") from None
    except OSError as error:
        raise InputError(what, error.strerror or str(error)) from None
    if stat.S_ISDIR(status.st_mode):
        raise InputError(what, "is a folder, not a file")
    if not stat.S_ISREG(status.st_mode):
        raise InputError(what, "not a regular file (a pipe, device or socket); only files can be read")
    if status.st_size > limit:
        raise InputError(what, f"the file is {_megabytes(status.st_size)}, more than the {_megabytes(limit)} it may be")
    return status


def read_regular(path: str | os.PathLike, limit: int, what: str | None = None) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (``check_regular``), read without
    blocking on a pipe put there in the meantime and never past the limit."""
    what = what or Path(path).name
    check_regular(path, limit, what)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except PermissionError:
        raise InputError(what, "permission denied") from None
    except OSError as error:
        raise InputError(what, error.strerror or str(error)) from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):  # swapped since the check
            raise InputError(what, "not a regular file (a pipe, device or socket); only files can be read")
        try:
            data = handle.read(limit + 1)
        except OSError as error:
            raise InputError(what, error.strerror or str(error)) from None
    if len(data) > limit:
        raise InputError(what, f"the file is more than the {_megabytes(limit)} it may be")
    return data


# --- JSON -------------------------------------------------------------------------------------


def _refuse_constant(token: str):
    raise _JsonValueError(f"{token} is not a number JSON allows")


def _checked_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > 16 or abs(int(text)) > MAX_INT:
        raise _JsonValueError(f"the number {text[:12]}{'...' if len(text) > 12 else ''} is too large")
    return int(text)


def _checked_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _JsonValueError(f"the number {text[:12]}{'...' if len(text) > 12 else ''} is too large")
    return value


class _JsonValueError(Exception):
    """Raised inside the JSON parser's hooks; turned into InputError."""


def _too_deep(value) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def load_json(source: str | bytes, what: str = "JSON"):
    """Parse JSON strictly; ``InputError`` (a ValueError) with a one-line message otherwise.

    Refused: bytes that are not UTF-8, invalid JSON, ``NaN``/``Infinity``, integers beyond
    2**53 and floats beyond a float's range, nesting deeper than MAX_DEPTH levels.
    """
    if isinstance(source, (bytes, bytearray)):
        try:
            source = bytes(source).decode("utf-8")
        except UnicodeDecodeError as error:
            raise InputError(
                what, f"not UTF-8 text (byte 0x{error.object[error.start]:02x} at position {error.start})"
            ) from None
    source = source.removeprefix("\ufeff")
    try:
        value = json.loads(source, parse_constant=_refuse_constant, parse_int=_checked_int, parse_float=_checked_float)
    except json.JSONDecodeError as error:
        raise InputError(what, f"invalid JSON at line {error.lineno}, column {error.colno} ({error.msg})") from None
    except _JsonValueError as error:
        raise InputError(what, str(error)) from None
    except RecursionError:
        raise InputError(what, f"nested too deeply (more than {MAX_DEPTH} levels)") from None
    if _too_deep(value):
        raise InputError(what, f"nested too deeply (more than {MAX_DEPTH} levels)")
    return value


def read_json(path: str | os.PathLike, limit: int, what: str | None = None):
    """``load_json`` of a regular file of at most ``limit`` bytes."""
    what = what or Path(path).name
    return load_json(read_regular(path, limit, what), what)


def json_bytes(data, what: str = "JSON") -> bytes:
    """``data`` as UTF-8 JSON that ``load_json`` reads back: a value that is not a finite number
    is refused (``InputError``) rather than written as a non-standard ``NaN`` token.

    Text stays readable (no ``\\u`` escapes), except a lone surrogate, which is what a file name
    that is not valid UTF-8 becomes in Python: it is written as its JSON escape (``\\udce9``),
    so the file is valid UTF-8 and reads back to the same string.
    """
    try:
        text = json.dumps(data, indent=1, ensure_ascii=False, allow_nan=False)
    except ValueError as error:
        raise InputError(what, f"cannot be saved: a value is not a finite number ({error})") from None
    return text.encode("utf-8", "backslashreplace")


# --- locking ----------------------------------------------------------------------------------


class LockTimeout(OSError):
    """Another process held the lock for longer than we waited."""


def _try_lock(fd: int) -> bool:
    try:
        if sys.platform == "win32":  # not os.name: the type checker knows which branch each platform takes
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError as error:
        if error.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK, errno.EDEADLK):
            return False
        raise


def _unlock(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


@contextlib.contextmanager
def file_lock(lock_path: str | os.PathLike, timeout: float, poll: float = 0.05) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path`` (created if missing) for the ``with`` block.

    An OS lock (``flock`` on Linux and macOS, ``msvcrt.locking`` on Windows), so a holder that is
    killed releases it and no stale lock is ever left. Waits up to ``timeout`` seconds, then
    raises ``LockTimeout`` naming the holder's process id. Two opens of the lock file conflict
    even within one process (two windows on one photo).
    """
    lock_path = Path(lock_path)
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o666)
    try:
        deadline = time.monotonic() + timeout
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                holder = ""
                with contextlib.suppress(OSError, ValueError):
                    holder = f" (process {int(Path(lock_path).read_text().split()[0])})"
                raise LockTimeout(errno.EAGAIN, f"held by another process{holder}", str(lock_path))
            time.sleep(poll)
        try:
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, f"{os.getpid()}\n".encode())
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)
