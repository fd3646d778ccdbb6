"""Batch chat (agent/batch_chat.py): one request on many photos, each photo measured on its own."""

from __future__ import annotations

from iea_desktop.agent.assistants import builtin_assistant
from iea_desktop.agent.batch_chat import chat_edit, chat_photos
from iea_desktop.core import batch, project
from iea_desktop.core.document import Document


def test_each_photo_gets_its_own_values_and_reasons(photos_dir, tmp_path):
    photos = [photos_dir / "kodim01.webp", photos_dir / "kodim23.webp"]
    docs = [Document.open(p) for p in photos]
    edit = chat_edit("fix the colours", builtin_assistant())
    replies = [edit(doc) for doc in docs]
    nodes = [doc.graph.find("temperature", origin="assistant") for doc in docs]
    assert all(len(n) == 1 for n in nodes)
    values = [n[0].params["value"] for n in nodes]
    assert values[0] != values[1] and all(v < 0 for v in values)  # both warm casts, of different strength
    reasons = [n[0].provenance.reason for n in nodes]
    assert reasons[0] != reasons[1]  # each says what was measured on its photo
    for reply, value in zip(replies, values):
        assert f"temperature {value:+d}" in reply


def test_chat_photos_saves_each_project_and_a_failed_photo_alone(photos_dir, tmp_path):
    import shutil

    photos = [shutil.copy(photos_dir / name, tmp_path / name) for name in ("kodim01.webp", "kodim03.webp")]
    broken = tmp_path / "broken.webp"
    broken.write_bytes(b"RIFF\x00\x00\x00\x00WEBPVP8 nothing")
    report = chat_photos([photos[0], broken, photos[1]], "make it brighter", builtin_assistant())
    assert [r.status for r in report.results] == ["written", "failed", "written"]
    for path, result in zip(photos, report.written):
        doc = Document.open(path)
        assert result.output == project.sidecar_path(path) and "exposure" in result.reply
        assert [n.op for n in doc.graph.nodes] == ["exposure"] and len(doc.history.entries) == 1
        assert doc.chat[0].text == "make it brighter" and len(doc.turns) == 1
    assert not project.sidecar_path(broken).exists()


def test_a_failed_turn_fails_its_photo_and_changes_nothing(photo, tmp_path):
    class Broken:
        name, is_builtin, op_version, device_label = "broken", True, None, "cpu"

        def plan(self, ctx, on_text, cancel):
            raise RuntimeError("the model crashed")

    report = batch.export_photos([photo], tmp_path / "out", edit=chat_edit("warmer", Broken()))
    assert report.results[0].status == "failed"
    assert "the model crashed" in report.results[0].error
    assert list((tmp_path / "out").iterdir()) == []
