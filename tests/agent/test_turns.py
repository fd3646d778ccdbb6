"""The assistant's turns as data in the project (core/turns.py, agent/turns.py): undo of the last
turn or the last N, "go back to before the vignette" and follow-ups work across
`iea-desktop edit --project` calls (each a fresh process state: the project file is all that is
shared), and the assistant refuses to undo over a person's own change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iea_desktop.cli import main
from iea_desktop.core.document import Document
from iea_desktop.core.history import SetNodeFields
from iea_desktop.core.project import ProjectError
from iea_desktop.core.turns import MAX_TURNS


@pytest.fixture
def photo(photos_dir, tmp_path) -> Path:
    return photos_dir / "kodim07.webp"


def edit(photo: Path, project: Path, text: str, capsys) -> str:
    """One `iea-desktop edit PHOTO TEXT --project P`; returns the assistant's reply."""
    assert main(["edit", str(photo), text, "--project", str(project)]) == 0
    out = capsys.readouterr().out
    return out.split(": ", 1)[1].strip()


def graph(project: Path) -> dict[str, int]:
    return {n["op"]: n["params"].get("value") for n in json.loads(project.read_text())["graph"]}


def test_undo_after_reopening(photo, tmp_path, capsys):
    project = tmp_path / "p.iea.json"
    edit(photo, project, "more contrast", capsys)
    assert graph(project).get("contrast", 0) > 0
    reply = edit(photo, project, "undo that", capsys)
    assert "no edit of mine" not in reply and "more contrast" in reply
    assert "contrast" not in graph(project)


def test_undo_the_last_two_turns(photo, tmp_path, capsys):
    project = tmp_path / "p.iea.json"
    edit(photo, project, "brighter", capsys)
    edit(photo, project, "warmer", capsys)
    edit(photo, project, "add a vignette", capsys)
    assert set(graph(project)) == {"exposure", "temperature", "vignette"}
    reply = edit(photo, project, "undo your last two changes", capsys)
    assert set(graph(project)) == {"exposure"}
    assert "2 changes" in reply
    edit(photo, project, "undo the last two", capsys)  # only one is left: it goes, and the reply says so
    assert graph(project) == {}


def test_go_back_to_before_the_vignette(photo, tmp_path, capsys):
    project = tmp_path / "p.iea.json"
    edit(photo, project, "warmer", capsys)
    edit(photo, project, "add a vignette", capsys)
    edit(photo, project, "more contrast", capsys)
    edit(photo, project, "go back to before the vignette", capsys)
    assert set(graph(project)) == {"temperature"}


def test_follow_up_after_reopening_changes_the_last_turn(photo, tmp_path, capsys):
    project = tmp_path / "p.iea.json"
    edit(photo, project, "warmer", capsys)
    edit(photo, project, "more contrast", capsys)
    warm, contrast = graph(project)["temperature"], graph(project)["contrast"]
    edit(photo, project, "a bit less", capsys)
    after = graph(project)
    assert 0 < after["contrast"] < contrast and after["temperature"] == warm
    edit(photo, project, "more", capsys)
    assert graph(project)["contrast"] > after["contrast"]
    edit(photo, project, "undo that", capsys)
    edit(photo, project, "undo that", capsys)
    edit(photo, project, "undo that", capsys)  # the contrast is gone: the warmth is the last turn now
    assert graph(project) == {"temperature": warm}
    edit(photo, project, "a bit less", capsys)
    assert 0 < graph(project)["temperature"] < warm


def person_changes(photo: Path, project: Path, op: str, value: int) -> None:
    """The person moves a slider in the window and saves."""
    doc = Document.open(photo, project_file=project)
    node = next(n for n in doc.graph.nodes if n.op == op)
    doc.apply(SetNodeFields(node.id, params={"value": value}, text=f"{node.label} {value:+d}"))
    doc.save(project)


def test_undo_refuses_after_a_manual_change(photo, tmp_path, capsys):
    project = tmp_path / "p.iea.json"
    edit(photo, project, "brighter", capsys)
    person_changes(photo, project, "exposure", 60)
    reply = edit(photo, project, "undo that", capsys)
    assert "You have changed things since" in reply and "the exposure" in reply and "left it as it is" in reply
    assert graph(project) == {"exposure": 60}


def test_follow_up_after_a_manual_change_starts_from_the_persons_value(photo, tmp_path, capsys):
    project = tmp_path / "p.iea.json"
    edit(photo, project, "brighter", capsys)
    person_changes(photo, project, "exposure", 60)
    reply = edit(photo, project, "a bit less", capsys)
    assert "You changed the exposure since my last turn, so I started from your exposure +60" in reply
    assert 30 < graph(project)["exposure"] < 60


def test_turns_are_typed_records_in_the_project(photo, tmp_path, capsys):
    project = tmp_path / "p.iea.json"
    edit(photo, project, "brighter and warmer", capsys)
    turns = json.loads(project.read_text())["turns"]
    assert len(turns) == 1 and turns[0]["request"] == "brighter and warmer"
    assert {(c["kind"], c["op"]) for c in turns[0]["changes"]} == {("added", "exposure"), ("added", "temperature")}


@pytest.mark.parametrize("turns", [
    "not a list", [{"turn_id": "", "request": "x", "entry": 0, "entry_time": 1.0}],
    [{"turn_id": "a", "request": "x", "entry": -1, "entry_time": 1.0}],
    [{"turn_id": "a", "request": "x", "entry": 0, "entry_time": 1.0, "changes": [{"kind": "moved"}]}],
    [{"turn_id": "a", "request": "x", "entry": 0, "entry_time": 1.0}] * (MAX_TURNS + 1),
])
def test_damaged_turns_refuse_the_project_untouched(photo, tmp_path, capsys, turns):
    project = tmp_path / "p.iea.json"
    edit(photo, project, "brighter", capsys)
    data = json.loads(project.read_text())
    data["turns"] = turns
    project.write_text(json.dumps(data))
    before = project.read_bytes()
    with pytest.raises(ProjectError, match="p.iea.json"):
        Document.open(photo, project_file=project)
    assert project.read_bytes() == before
