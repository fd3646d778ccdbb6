"""core/files.py: atomic writes (modes, symlinks, failures, leftovers), safe reads, strict JSON, locks."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from iea_desktop.core import files
from iea_desktop.core.files import InputError, WriteError

POSIX = os.name == "posix"


@pytest.fixture
def umask():
    """Set a umask for the test (the OS applies it to new files); the old one comes back after."""
    saved = os.umask(0o022)
    os.umask(saved)

    def set_mask(mask: int) -> None:
        os.umask(mask)

    yield set_mask
    os.umask(saved)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


# --------------------------------------------------------------------------- atomic writes


@pytest.mark.skipif(not POSIX, reason="POSIX permissions")
@pytest.mark.parametrize("mask,expected", [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_a_new_file_gets_the_mode_a_plain_write_gives(mask, expected, umask, tmp_path):
    umask(mask)
    path = files.atomic_write(tmp_path / "out.json", b"{}")
    with open(tmp_path / "plain.json", "w") as handle:
        handle.write("{}")
    assert mode_of(path) == mode_of(tmp_path / "plain.json") == expected


@pytest.mark.skipif(not POSIX, reason="POSIX permissions")
@pytest.mark.parametrize("existing", [0o644, 0o600, 0o664])
def test_a_replaced_file_keeps_its_mode(existing, umask, tmp_path):
    umask(0o077)
    path = tmp_path / "out.json"
    path.write_bytes(b"old")
    path.chmod(existing)
    files.atomic_write(path, b"new")
    assert path.read_bytes() == b"new" and mode_of(path) == existing


@pytest.mark.skipif(not POSIX, reason="symlinks")
def test_a_symlink_is_written_through_to_its_target(tmp_path):
    real = tmp_path / "real" / "project.iea.json"
    real.parent.mkdir()
    real.write_bytes(b"old")
    link = tmp_path / "link.iea.json"
    link.symlink_to(real)
    written = files.atomic_write(link, b"new")
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_bytes() == b"new" and written == real
    assert sorted(p.name for p in real.parent.iterdir()) == ["project.iea.json"]


@pytest.mark.skipif(not POSIX, reason="FIFOs and symlinks")
@pytest.mark.parametrize("kind", ["fifo", "folder"])
def test_what_is_not_a_regular_file_is_never_replaced(kind, tmp_path):
    """`-o out.jpg` linked to a device (here a FIFO or a folder: the same check) must not replace it."""
    special = tmp_path / "special"
    os.mkfifo(special) if kind == "fifo" else special.mkdir()
    link = tmp_path / "out.jpg"
    link.symlink_to(special)
    for path in (link, special):
        with pytest.raises(WriteError, match="not a regular file"):
            files.atomic_write(path, b"data")
    assert (stat.S_ISFIFO if kind == "fifo" else stat.S_ISDIR)(os.stat(special).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jpg", "special"]


@pytest.mark.parametrize("code,words", [
    (errno.ENOSPC, "the disk is full"), (errno.EROFS, "read-only"), (errno.EACCES, "permission denied"),
    (errno.EIO, None),
])
@pytest.mark.parametrize("stage", ["create", "write", "replace"])
def test_a_failed_write_says_why_and_leaves_nothing(code, words, stage, tmp_path, monkeypatch):
    path = tmp_path / "out.json"
    path.write_bytes(b"old")
    error = OSError(code, os.strerror(code))
    real_open, real_fdopen = os.open, os.fdopen

    def failing(*args, **kwargs):
        raise error

    class FailingHandle:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def write(self, data):
            raise error

        def __getattr__(self, name):
            return getattr(self.handle, name)

    if stage == "create":
        monkeypatch.setattr(files.os, "open", lambda p, *a, **k: failing() if str(p).endswith(".tmp") else real_open(p, *a, **k))
    elif stage == "write":
        monkeypatch.setattr(files.os, "fdopen", lambda *a, **k: FailingHandle(real_fdopen(*a, **k)))
    else:
        monkeypatch.setattr(files.os, "replace", failing)
    with pytest.raises(WriteError) as info:
        files.atomic_write(path, b"new")
    assert isinstance(info.value, OSError) and info.value.errno == code
    message = str(info.value)
    assert "cannot be written" in message and "\n" not in message and "Errno" not in message
    if words:
        assert words in message
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_an_interrupted_write_leaves_no_temporary_file(tmp_path, monkeypatch):
    monkeypatch.setattr(files.os, "replace", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        files.atomic_write(tmp_path / "out.json", b"new")
    assert list(tmp_path.iterdir()) == []


def test_missing_folders_are_made_only_when_asked(tmp_path):
    with pytest.raises(WriteError, match="does not exist"):
        files.atomic_write(tmp_path / "a" / "out.json", b"x")
    assert files.atomic_write(tmp_path / "a" / "out.json", b"x", parents=True).read_bytes() == b"x"


def test_stale_temporaries_of_killed_writes_are_removed(tmp_path):
    path = tmp_path / "photo.png.iea.json"
    old = time.time() - 10 * files.STALE_SECONDS
    stale = [tmp_path / "photo.png.iea.json.k3j_x9ab.tmp", tmp_path / "photo.png.iea.json.0123abcd.tmp"]
    keep = [
        tmp_path / "photo.png.iea.json.fresh123.tmp",  # a write in progress
        tmp_path / "other.png.iea.json.0123abcd.tmp",  # another file's
        tmp_path / "photo.png.iea.json.notours.tmp.bak",
        tmp_path / "photo.png.iea.json",
    ]
    for p in stale + keep:
        p.write_bytes(b"x")
    for p in stale + keep[1:]:
        os.utime(p, (old, old))
    files.atomic_write(path, b"{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in keep)


# --------------------------------------------------------------------------- reading


def test_read_regular_reads_a_file_within_its_limit(tmp_path):
    path = tmp_path / "a.json"
    path.write_bytes(b"0123456789")
    assert files.read_regular(path, 10) == b"0123456789"
    with pytest.raises(InputError, match="more than the 9 bytes"):
        files.read_regular(path, 9)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs")
def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "project.iea.json"
    os.mkfifo(fifo)
    outcome: list = []

    def read():
        try:
            files.read_regular(fifo, 1000)
        except InputError as error:
            outcome.append(str(error))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(30)  # a safety net: a blocked open would hang here, never pass
    assert outcome and "not a regular file" in outcome[0] and "project.iea.json" in outcome[0]


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="/dev/zero")
def test_a_link_to_a_device_is_refused(tmp_path):
    link = tmp_path / "zero.json"
    link.symlink_to("/dev/zero")
    with pytest.raises(InputError, match="not a regular file"):
        files.read_json(link, 1_000_000)


def test_a_folder_and_a_missing_file(tmp_path):
    with pytest.raises(InputError, match="is a folder"):
        files.read_regular(tmp_path, 10)
    with pytest.raises(InputError, match="not found"):
        files.read_regular(tmp_path / "none", 10)


# --------------------------------------------------------------------------- strict JSON


BAD_JSON = {
    "NaN": ('{"opacity": NaN}', "NaN is not a number JSON allows"),
    "Infinity": ('{"opacity": Infinity}', "Infinity is not"),
    "-Infinity": ('[-Infinity]', "-Infinity is not"),
    "float overflow": ('{"value": 1e400}', "too large"),
    "huge int": ('{"version": ' + str(10**400) + "}", "too large"),
    "5000 digits": ('{"time": ' + "9" * 5000 + "}", "too large"),
    "past 2**53": ('{"position": 9007199254740993}', "too large"),
    "deep": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "deep but parseable": ("[" * 200 + "]" * 200, "nested too deeply"),
    "not UTF-8": (b'{"a": "caf\xe9"}', "not utf-8 text (byte 0xe9"),
    "invalid": ('{"a": 1,}', "invalid json at line 1"),
}


@pytest.mark.parametrize("case", list(BAD_JSON))
def test_strict_json_refuses_what_python_cannot_hold(case):
    text, words = BAD_JSON[case]
    with pytest.raises(InputError) as info:
        files.load_json(text, "params")
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert message.startswith("params: ") and "\n" not in message and len(message) < 200
    assert words.lower() in message.lower(), message


def test_strict_json_reads_ordinary_json():
    assert files.load_json('\ufeff{"a": [1, 2.5, -3e-2, "é", null, true], "b": 9007199254740992}') == {
        "a": [1, 2.5, -0.03, "é", None, True], "b": 2**53}
    assert files.load_json(b'{"x": -1}') == {"x": -1}


def test_json_bytes_refuses_nan_instead_of_writing_a_token():
    with pytest.raises(InputError, match="not a finite number"):
        files.json_bytes({"opacity": float("nan")}, "project")


def test_json_bytes_round_trips_a_file_name_that_is_not_utf8():
    name = os.fsdecode(b"caf\xe9.png") if POSIX else "caf\udce9.png"
    data = files.json_bytes({"path": name, "chat": "“film” é"})
    data.decode("utf-8")  # valid UTF-8 (a strict reader takes it)
    assert "“film” é".encode() in data  # text stays readable
    assert files.load_json(data) == {"path": name, "chat": "“film” é"}


# --------------------------------------------------------------------------- locks


HOLDER = """
import sys
from iea_desktop.core import files
with files.file_lock(sys.argv[1], timeout=30):
    print("locked", flush=True)
    sys.stdin.readline()
print("released", flush=True)
"""


def _holder(lock: Path) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2])
    assert process.stdout.readline().strip() == "locked"
    return process


def test_a_lock_held_by_another_process_times_out_with_its_pid(tmp_path):
    lock = tmp_path / "locks" / "p.lock"
    holder = _holder(lock)
    try:
        with pytest.raises(files.LockTimeout) as info:
            with files.file_lock(lock, timeout=0.2):
                pass
        assert f"process {holder.pid}" in str(info.value)
    finally:
        holder.communicate("\n")
    assert holder.returncode == 0
    with files.file_lock(lock, timeout=0):  # released
        pass


@pytest.mark.skipif(not POSIX, reason="kill -9")
def test_a_killed_holder_leaves_no_stale_lock(tmp_path):
    lock = tmp_path / "p.lock"
    holder = _holder(lock)
    holder.kill()
    holder.wait()
    holder.stdin.close()
    holder.stdout.close()
    with files.file_lock(lock, timeout=0):
        pass


def test_two_opens_in_one_process_exclude_each_other(tmp_path):
    lock = tmp_path / "p.lock"
    with files.file_lock(lock, timeout=0):
        with pytest.raises(files.LockTimeout):
            with files.file_lock(lock, timeout=0):
                pass
