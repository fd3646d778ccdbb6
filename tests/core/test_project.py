"""Project files and documents: save/open round trips, refusal of unreadable files, fallbacks, autosave."""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from iea_desktop.core import files, project
from iea_desktop.core.chat import ChatMessage
from iea_desktop.core.document import Document
from iea_desktop.core.finish import to_uint8
from iea_desktop.core.graph import Provenance, make_node
from iea_desktop.core.history import AddNode, Compound, RemoveNode, SetNodeFields
from iea_desktop.core.project import ProjectError, read_project, sidecar_path


def edit(doc: Document) -> dict:
    """A varied editing session: geometry, several tools, a gesture, an assistant turn, a snapshot, chat."""
    crop = make_node("crop", {"left": 0.1, "right": 0.9, "aspect": "4:3"})
    exposure = make_node("exposure", {"value": 10})
    doc.apply(AddNode(crop))
    doc.apply(AddNode(exposure))
    for v in (15, 20, 25):
        doc.apply(SetNodeFields(exposure.id, params={"value": v}, gesture="drag"))
    doc.history.end_gesture()
    grain = make_node("grain", {"value": 30}, provenance=Provenance("assistant", "film look", "turn-1", "test-model"))
    contrast = make_node("contrast", {"value": -20}, version=1)
    doc.apply(Compound([AddNode(grain), AddNode(contrast)], text="Assistant: film look"))
    doc.history.take_snapshot("film")
    doc.apply(SetNodeFields(contrast.id, opacity=0.5, enabled=False))
    doc.apply(AddNode(make_node("vignette", {"value": 40})))
    doc.add_chat(ChatMessage("user", "make it look like film “please”"), ChatMessage("assistant", "Added grain."))
    return {"crop": crop, "exposure": exposure, "grain": grain, "contrast": contrast}


def files_in(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


# --------------------------------------------------------------------------- round trip


def test_save_and_open_round_trip(photo):
    doc = Document.open(photo)
    edit(doc)
    assert doc.dirty
    saved_to = doc.save()
    assert saved_to == sidecar_path(photo) == photo.with_name("photo.png.iea.json")
    assert not doc.dirty

    again = Document.open(photo)
    assert again.project_path == saved_to
    assert again.notes == []
    assert not again.dirty
    assert again.graph.to_list() == doc.graph.to_list()
    assert again.history.labels() == doc.history.labels()
    assert again.history.position == doc.history.position == len(doc.history.entries)
    assert again.chat == doc.chat
    assert again.history.snapshots == doc.history.snapshots
    data = read_project(saved_to)
    assert data["schema_version"] == project.SCHEMA_VERSION
    assert data["source"]["sha256"] and Path(data["source"]["path"]) == photo.resolve()


def test_undo_and_redo_after_reopening(photo):
    doc = Document.open(photo)
    edit(doc)
    states = [entry.state for entry in doc.history.entries]
    doc.save()
    again = Document.open(photo)
    for expected in reversed([[]] + states[:-1]):
        assert again.history.undo()
        assert again.graph.to_list() == expected
    assert not again.history.can_undo and len(again.graph) == 0
    again.history.goto(len(states))
    assert again.graph.to_list() == states[-1]
    again.history.restore_snapshot("film")
    assert again.graph.to_list() == doc.history.snapshots["film"]


def test_a_history_saved_part_way_back_reopens_there(photo):
    doc = Document.open(photo)
    edit(doc)
    doc.history.undo()
    doc.history.undo()
    doc.save()
    again = Document.open(photo)
    assert again.history.position == doc.history.position == len(doc.history.entries) - 2
    assert again.graph.to_list() == doc.graph.to_list()
    assert again.history.redo() and again.history.redo()
    assert again.graph.to_list() == doc.history.entries[-1].state


def test_reopening_renders_bit_identical_pixels(photo):
    doc = Document.open(photo)
    edit(doc)
    doc.apply(SetNodeFields(doc.graph.find("contrast")[0].id, enabled=True))
    before_full = doc.render_full()
    before_preview = doc.render_preview()
    doc.save()
    again = Document.open(photo)
    np.testing.assert_array_equal(again.render_full(), before_full)
    np.testing.assert_array_equal(again.render_preview(), before_preview)
    assert not np.array_equal(to_uint8(before_full[:10, :10]), to_uint8(again.full_source()[:10, :10]))


def test_save_as_and_open_with_an_explicit_project(photo, tmp_path):
    doc = Document.open(photo)
    edit(doc)
    target = doc.save(tmp_path / "elsewhere" / "my edit.iea.json")
    assert target.exists() and not sidecar_path(photo).exists()
    assert doc.project_path == target
    again = Document.open(photo, project_file=target)
    assert again.graph.to_list() == doc.graph.to_list()
    assert again.project_path == target


# --------------------------------------------------------------------------- atomic writes


def test_saving_leaves_no_temporary_files(photo):
    doc = Document.open(photo)
    edit(doc)
    for _ in range(3):
        doc.save()
        doc.apply(AddNode(make_node("fade", {"value": 5})))
    assert files_in(photo.parent) == {"photo.png", "photo.png.iea.json"}


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file(photo, monkeypatch):
    doc = Document.open(photo)
    edit(doc)
    target = doc.save()
    old = target.read_bytes()
    doc.apply(AddNode(make_node("fade", {"value": 5})))

    def broken_replace(src, dst):
        raise OSError(errno.EIO, "disk on fire")

    monkeypatch.setattr(files.os, "replace", broken_replace)
    with pytest.raises(OSError):
        doc.save()
    assert target.read_bytes() == old
    assert files_in(photo.parent) == {"photo.png", "photo.png.iea.json"}
    assert doc.dirty  # the change is not marked as saved


def test_a_crash_during_encoding_keeps_the_old_file(photo, monkeypatch):
    doc = Document.open(photo)
    target = doc.save()
    old = target.read_bytes()

    def exploding_write(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "fsync", exploding_write)
    with pytest.raises(KeyboardInterrupt):
        doc.save()
    assert target.read_bytes() == old
    assert files_in(photo.parent) == {"photo.png", "photo.png.iea.json"}


# --------------------------------------------------------------------------- refusing files


def _valid_project(photo) -> dict:
    doc = Document.open(photo)
    edit(doc)
    return doc.to_dict()


BAD_PROJECTS = {
    "invalid json": ("{ this is not json", "invalid JSON"),
    "truncated json": ('{"schema_version": 1, "graph": [', "invalid JSON"),
    "not an object": ("[1, 2, 3]", "not an IEA Desktop project"),
    "no schema": ('{"graph": []}', "not an IEA Desktop project"),
    "newer schema": (json.dumps({"schema_version": 99, "graph": []}), "newer IEA Desktop"),
    "bad schema": (json.dumps({"schema_version": "one"}), "damaged"),
    "graph not a list": (json.dumps({"schema_version": 1, "graph": {}}), "damaged"),
    "unknown op": (json.dumps({"schema_version": 1, "graph": [{"op": "teleport", "id": "a", "params": {}}]}), "damaged"),
    "node without id": (json.dumps({"schema_version": 1, "graph": [{"op": "exposure", "params": {"value": 3}}]}), "damaged"),
    "bad params": (json.dumps({"schema_version": 1, "graph": [{"op": "exposure", "id": "a", "params": {"value": "lots"}}]}), "damaged"),
    "history disagrees": (json.dumps({"schema_version": 1, "graph": [],
                                      "history": {"position": 1, "entries": [{"label": "x", "nodes": [
                                          {"op": "exposure", "id": "a", "params": {"value": 3}}]}]}}), "damaged"),
    "binary": (b"\xff\xfe\x00garbage\x80\x81", "not UTF-8 text"),
    "schema version true": ('{"schema_version": true, "graph": []}', "schema version True"),
    "NaN opacity": ('{"schema_version": 1, "graph": [{"op": "exposure", "id": "a", "params": {"value": 3}, '
                    '"opacity": NaN}]}', "NaN is not a number"),
    "Infinity": ('{"schema_version": 1, "graph": [], "history": {"position": Infinity}}', "Infinity is not"),
    "float overflow": ('{"schema_version": 1, "graph": [{"op": "exposure", "id": "a", "params": {"value": 1e400}}]}',
                       "too large"),
    "huge position": ('{"schema_version": 1, "graph": [], "history": {"position": ' + str(10**400) + "}}", "too large"),
    "huge version": ('{"schema_version": ' + str(10**400) + ', "graph": []}', "too large"),
    "5000-digit time": ('{"schema_version": 1, "saved": ' + "7" * 5000 + ', "graph": []}', "too large"),
    "deeply nested": ('{"schema_version": 1, "graph": [], "chat": ' + "[" * 50_000 + "]" * 50_000 + "}", "nested too deeply"),
    "source not an object": (json.dumps({"schema_version": 1, "graph": [], "source": "photo.png"}), "damaged"),
    "snapshots not an object": (json.dumps({"schema_version": 1, "graph": [], "history": {"snapshots": [1]}}), "damaged"),
    "snapshot with an unknown op": (json.dumps({"schema_version": 1, "graph": [], "history": {
        "snapshots": {"old": [{"op": "teleport", "id": "a", "params": {}}]}}}), "damaged"),
    "entries not a list": (json.dumps({"schema_version": 1, "graph": [], "history": {"entries": 5}}), "damaged"),
    "bad provenance": (json.dumps({"schema_version": 1, "graph": [
        {"op": "exposure", "id": "a", "params": {"value": 3}, "provenance": {"mood": "happy"}}]}), "damaged"),
}


@pytest.mark.parametrize("case", list(BAD_PROJECTS))
def test_unreadable_projects_are_refused_and_left_untouched(case, photo, tmp_path):
    content, expected = BAD_PROJECTS[case]
    path = tmp_path / "bad.iea.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    before = path.read_bytes()
    with pytest.raises(ProjectError) as info:
        Document.open(photo, project_file=path)
    message = str(info.value)
    assert expected in message and "bad.iea.json" in message
    assert "\n" not in message
    assert path.read_bytes() == before


def test_missing_project_file(tmp_path):
    with pytest.raises(ProjectError, match="not found"):
        read_project(tmp_path / "none.iea.json")


def test_a_damaged_sidecar_opens_the_photo_with_a_note_and_saves_elsewhere(photo):
    sidecar = sidecar_path(photo)
    sidecar.write_text("{ damaged")
    before = sidecar.read_bytes()
    doc = Document.open(photo)
    assert len(doc.graph) == 0
    assert len(doc.notes) == 1 and "damaged" in doc.notes[0] and sidecar.name in doc.notes[0]
    assert doc.project_path == project.fallback_path(photo)
    assert str(doc.project_path) in doc.notes[0]
    edit(doc)
    target = doc.save()
    assert target == project.fallback_path(photo) and target.exists()
    assert sidecar.read_bytes() == before


def test_edits_saved_beside_a_damaged_sidecar_are_found_again(photo):
    sidecar = sidecar_path(photo)
    sidecar.write_text("{ damaged")
    doc = Document.open(photo)
    edit(doc)
    doc.save()
    again = Document.open(photo)
    assert again.graph.to_list() == doc.graph.to_list(), "the edits saved in the data folder were not reopened"
    assert again.project_path == project.fallback_path(photo)
    assert any("damaged" in note and str(project.fallback_path(photo)) in note for note in again.notes)
    assert sidecar.read_text() == "{ damaged"


def test_a_damaged_sidecar_and_a_damaged_fallback_are_both_left_untouched(photo):
    sidecar, fallback = sidecar_path(photo), project.fallback_path(photo)
    sidecar.write_text("{ damaged")
    fallback.parent.mkdir(parents=True, exist_ok=True)
    fallback.write_text("[also damaged")
    doc = Document.open(photo)
    assert doc.notes and len(doc.graph) == 0
    doc.apply(AddNode(make_node("exposure", {"value": 5})))
    target = doc.save()
    assert target not in (sidecar, fallback)
    assert sidecar.read_text() == "{ damaged" and fallback.read_text() == "[also damaged"


def test_a_newer_sidecar_is_refused_with_a_note(photo):
    sidecar = sidecar_path(photo)
    sidecar.write_text(json.dumps({"schema_version": project.SCHEMA_VERSION + 1, "graph": []}))
    before = sidecar.read_bytes()
    doc = Document.open(photo)
    assert "newer" in doc.notes[0]
    doc.apply(AddNode(make_node("exposure", {"value": 5})))
    doc.save()
    assert sidecar.read_bytes() == before


# --------------------------------------------------------------------------- read-only folders


@pytest.mark.parametrize("error", [PermissionError(errno.EACCES, "Permission denied"), OSError(errno.EROFS, "Read-only file system")])
def test_a_read_only_photo_folder_falls_back_to_the_data_folder(error, photo, monkeypatch, iea_home):
    real_write = project.atomic_write_json

    def guarded(path, data):
        if Path(path).parent == photo.parent:
            raise error
        return real_write(path, data)

    monkeypatch.setattr(project, "atomic_write_json", guarded)
    doc = Document.open(photo)
    edit(doc)
    target = doc.save()
    assert target == project.fallback_path(photo)
    assert iea_home in target.parents
    assert not sidecar_path(photo).exists()
    assert files_in(photo.parent) == {"photo.png"}
    again = Document.open(photo)
    assert again.project_path == target
    assert again.graph.to_list() == doc.graph.to_list()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can write to read-only folders")
def test_a_really_read_only_folder(photo):
    photo.parent.chmod(0o555)
    try:
        doc = Document.open(photo)
        edit(doc)
        assert doc.save() == project.fallback_path(photo)
    finally:
        photo.parent.chmod(0o755)


@pytest.mark.parametrize("error", [PermissionError(errno.EACCES, "Permission denied"), OSError(errno.EROFS, "Read-only file system")])
def test_a_chosen_project_file_that_cannot_be_written_is_an_error_not_a_detour(error, photo, tmp_path, monkeypatch):
    chosen = tmp_path / "chosen" / "edit.iea.json"
    real_write = project.atomic_write_json

    def refuse_chosen(path, data):
        if Path(path) == chosen:
            raise error
        return real_write(path, data)

    monkeypatch.setattr(project, "atomic_write_json", refuse_chosen)
    doc = Document.open(photo)
    with pytest.raises(OSError):
        doc.save(chosen)
    assert not project.fallback_path(photo).exists()


def test_other_write_errors_are_not_hidden(photo, monkeypatch):
    def full_disk(path, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(project, "atomic_write_json", full_disk)
    doc = Document.open(photo)
    with pytest.raises(OSError):
        doc.save()


# --------------------------------------------------------------------------- autosave and recovery


def test_autosave_and_recovery_after_a_crash(photo, iea_home):
    doc = Document.open(photo)
    edit(doc)
    auto = doc.autosave()
    assert iea_home in auto.parents and auto.exists()
    assert not sidecar_path(photo).exists()  # autosave never writes the project itself
    # the app crashed; the photo is opened again
    again = Document.open(photo)
    assert len(again.graph) == 0
    assert again.recovery_file() == auto
    again.recover()
    assert again.graph.to_list() == doc.graph.to_list()
    assert again.history.labels() == doc.history.labels()
    assert again.dirty
    assert not sidecar_path(photo).exists()
    again.save()
    assert not auto.exists()
    assert Document.open(photo).recovery_file() is None


def test_an_autosave_older_than_the_saved_project_is_not_offered(photo):
    doc = Document.open(photo)
    edit(doc)
    auto = doc.autosave()
    saved = sidecar_path(photo)
    project.atomic_write_json(saved, doc.to_dict())  # a project saved by another session
    os.utime(auto, (1_000_000, 1_000_000))
    assert Document.open(photo).recovery_file() is None
    os.utime(saved, (900_000, 900_000))
    assert Document.open(photo).recovery_file() == auto


def test_discard_recovery(photo):
    doc = Document.open(photo)
    edit(doc)
    auto = doc.autosave()
    doc.discard_recovery()
    assert not auto.exists()
    doc.discard_recovery()  # nothing left: no error


# --------------------------------------------------------------------------- a changed photo


def test_a_changed_photo_gives_a_note(photo, make_u8):
    doc = Document.open(photo)
    edit(doc)
    doc.save()
    Image.fromarray(make_u8(seed=9)).save(photo)
    again = Document.open(photo)
    assert any("changed" in note and photo.name in note for note in again.notes)
    assert again.graph.to_list() == doc.graph.to_list()  # the edits still apply


def test_an_unchanged_photo_gives_no_note(photo):
    doc = Document.open(photo)
    doc.save()
    assert Document.open(photo).notes == []


def test_the_source_photo_is_never_written(photo):
    before = photo.read_bytes()
    doc = Document.open(photo)
    edit(doc)
    doc.render_full()
    doc.autosave()
    doc.save()
    doc.apply(RemoveNode(doc.graph.nodes[0].id))
    doc.save()
    assert photo.read_bytes() == before


# --------------------------------------------------------------------------- special files, modes, leftovers


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs")
def test_a_fifo_as_the_project_is_refused_not_waited_on(photo, tmp_path):
    fifo = tmp_path / "pipe.iea.json"
    os.mkfifo(fifo)  # opening it for reading would block until a writer came: it must not be opened
    with pytest.raises(ProjectError, match="not a regular file"):
        Document.open(photo, project_file=fifo)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="/dev/zero")
def test_a_link_to_dev_zero_is_refused(photo, tmp_path):
    link = tmp_path / "zero.iea.json"
    link.symlink_to("/dev/zero")
    with pytest.raises(ProjectError, match="not a regular file"):
        Document.open(photo, project_file=link)


def test_a_project_over_the_size_cap_is_refused(photo, tmp_path, monkeypatch):
    path = tmp_path / "big.iea.json"
    path.write_text(json.dumps({"schema_version": 1, "graph": [], "chat": [{"text": "x" * 2000}]}))
    monkeypatch.setattr(project, "MAX_BYTES", 1000)
    with pytest.raises(ProjectError, match="more than the 1,000 bytes"):
        read_project(path)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_projects_and_autosaves_get_the_mode_a_plain_write_gives(photo):
    saved = os.umask(0o022)
    try:
        doc = Document.open(photo)
        edit(doc)
        assert stat.S_IMODE(doc.save().stat().st_mode) == 0o644
        assert stat.S_IMODE(doc.autosave().stat().st_mode) == 0o644
        sidecar_path(photo).chmod(0o640)
        doc.save()
        assert stat.S_IMODE(sidecar_path(photo).stat().st_mode) == 0o640
    finally:
        os.umask(saved)


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_saving_to_a_symlinked_project_writes_its_target(photo, tmp_path):
    real = tmp_path / "kept" / "real.iea.json"
    real.parent.mkdir()
    doc = Document.open(photo)
    doc.save(real)
    link = tmp_path / "link.iea.json"
    link.symlink_to(real)
    doc = Document.open(photo, project_file=link)
    edit(doc)
    doc.save()
    assert link.is_symlink()
    assert Document.open(photo, project_file=real).graph.to_list() == doc.graph.to_list()


def test_leftovers_of_a_killed_save_are_removed_when_the_photo_is_opened(photo):
    old = time.time() - 2 * files.STALE_SECONDS
    leftover = photo.with_name("photo.png.iea.json.u2x_9qfe.tmp")
    fresh = photo.with_name("photo.png.iea.json.a1b2c3d4.tmp")  # a save in progress in another process
    for path in (leftover, fresh):
        path.write_text('{"schema_version": 1, "gra')
    os.utime(leftover, (old, old))
    Document.open(photo)
    assert not leftover.exists() and fresh.exists()


def test_a_photo_whose_name_is_not_utf8(tmp_path, make_u8):
    if os.name != "posix" or sys.platform == "darwin":
        pytest.skip("file names of arbitrary bytes: Linux")
    path = tmp_path / os.fsdecode(b"caf\xe9.png")
    Image.fromarray(make_u8()).save(path)
    doc = Document.open(path)
    edit(doc)
    assert project.autosave_path(path).name.endswith("caf\udce9.png.iea.json")
    doc.autosave()
    again = Document.open(path)
    assert again.recovery_file() is not None
    target = doc.save()
    assert target == sidecar_path(path) and target.read_bytes().decode("utf-8")
    again = Document.open(path)
    assert again.graph.to_list() == doc.graph.to_list() and again.notes == []
    assert again.to_dict()["source"]["path"] == str(path.resolve())


# --------------------------------------------------------------------------- two edits at once


COUNTER = """
import contextlib, sys, time
from pathlib import Path
from iea_desktop.core import project
path, rounds, locking = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "lock"
print("ready", flush=True)
sys.stdin.readline()
for _ in range(rounds):
    with project.locked(path) if locking else contextlib.nullcontext():
        data = project.read_project(path)
        time.sleep(0.002)  # a turn takes a while: another edit starting meanwhile would read the same count
        data["count"] = data["count"] + 1
        project.atomic_write_json(path, data)
"""


def test_two_edits_of_one_project_at_once_lose_no_turn(tmp_path):
    path = tmp_path / "shared.iea.json"
    project.atomic_write_json(path, {"schema_version": 1, "count": 0})
    root = Path(__file__).resolve().parents[2]
    workers = [subprocess.Popen([sys.executable, "-c", COUNTER, str(path), "25", "lock"], cwd=root,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    for worker in workers:
        assert worker.stdout.readline().strip() == "ready"
    for worker in workers:  # both start together
        worker.stdin.write("go\n")
        worker.stdin.flush()
    for worker in workers:
        worker.communicate()
        assert worker.returncode == 0
    assert read_project(path)["count"] == 50


def test_a_project_held_by_another_edit_is_refused_after_the_wait(photo):
    """Another holder (here another thread: the same thread may take its own lock again)."""
    import threading

    refused: list[Exception] = []

    def other_edit() -> None:
        try:
            with project.locked(photo, timeout=0.1):
                pass
        except project.ProjectLocked as error:
            refused.append(error)

    with project.locked(photo):
        other = threading.Thread(target=other_edit)
        other.start()
        other.join()
    assert len(refused) == 1
    message = str(refused[0])
    assert "photo.png" in message and "another IEA Desktop" in message and f"process {os.getpid()}" in message
    assert isinstance(refused[0], ProjectError)
    with project.locked(photo, timeout=0):
        pass


@pytest.mark.parametrize("code", [errno.EACCES, errno.EROFS])
def test_a_folder_that_refuses_the_temporary_file_falls_back_to_the_data_folder(code, photo, monkeypatch):
    """The real write path: files.atomic_write's WriteError keeps the system's errno, so the detour
    to the data folder still happens; a full disk is said in one line, not hidden."""
    real_open = files.os.open

    def refusing(path, *args, **kwargs):
        if Path(path).parent == photo.parent and str(path).endswith(".tmp"):
            raise OSError(code, os.strerror(code))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(files.os, "open", refusing)
    doc = Document.open(photo)
    edit(doc)
    assert doc.save() == project.fallback_path(photo)


def test_a_full_disk_is_one_clear_error(photo, monkeypatch):
    def full(*args):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files.os, "fsync", full)
    doc = Document.open(photo)
    edit(doc)
    with pytest.raises(files.WriteError) as info:
        doc.save()
    assert str(info.value) == f"{sidecar_path(photo)}: cannot be written (the disk is full)"
    assert doc.dirty and files_in(photo.parent) == {"photo.png"}


# --- two writers of one project (issue 19, item 3: the window and an `edit`, or two windows) ----------

def _add(doc: Document, op: str) -> None:
    doc.apply(AddNode(make_node(op, {"value": 20}, provenance=Provenance("user"))))


def test_a_save_never_replaces_a_project_changed_elsewhere_without_a_word(photo):
    first, second = Document.open(photo), Document.open(photo)  # two windows; no project yet
    _add(second, "exposure")
    second.save()
    _add(first, "contrast")
    with pytest.raises(project.ProjectChanged, match="changed by another program"):
        first.save()
    assert [n.op for n in Document.open(photo).graph.nodes] == ["exposure"]  # theirs, untouched
    _add(second, "vignette")
    second.save()  # its own earlier save is no change 'elsewhere'
    first.save(overwrite=True)  # the person chose to replace them
    assert [n.op for n in Document.open(photo).graph.nodes] == ["contrast"]
    _add(first, "fade")
    first.save()


def test_an_edit_from_the_command_line_is_not_lost_by_the_window(photo, capsys):
    from iea_desktop import cli

    window = Document.open(photo)
    _add(window, "vignette")
    window.save()
    assert cli.main(["edit", str(photo), "brighter", "--project", str(sidecar_path(photo)),
                     "-o", str(photo.with_name("out.png"))]) == 0
    _add(window, "fade")
    with pytest.raises(project.ProjectChanged):
        window.save()
    assert [t for t in Document.open(photo).turns]  # the command line's turn is still there


def test_the_project_lock_can_be_taken_again_by_its_holder(photo):
    """`edit` saves inside its own lock: the save's lock must not wait for it (an OS lock would)."""
    with project.locked(sidecar_path(photo), timeout=1):
        with project.locked(sidecar_path(photo), timeout=1):
            pass
        doc = Document.open(photo)
        _add(doc, "exposure")
        doc.save()


def test_a_photo_and_its_sidecar_are_one_lock(photo):
    """The library marks a photo under the photo's lock while a save writes its sidecar (or
    `edit --project` names the sidecar): each must wait for the other."""
    import threading

    assert project.lock_path(photo) == project.lock_path(sidecar_path(photo))
    outcome = []
    with project.locked(photo, timeout=1):
        def other():
            try:
                with project.locked(sidecar_path(photo), timeout=0.2):
                    outcome.append("got it")
            except project.ProjectLocked:
                outcome.append("waited")
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    assert outcome == ["waited"]
