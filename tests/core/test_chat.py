"""The chat as the project keeps it (core/chat.py): typed messages, the file's layout unchanged."""

import json

import pytest

from iea_desktop.core.chat import ChatMessage, chat_from_list
from iea_desktop.core.document import Document

# A request and its reply as projects have stored them since the first version.
REQUEST = {"role": "user", "text": "warmer", "turn_id": "ab12cd34", "time": 1700000000.5}
REPLY = {
    "role": "assistant",
    "text": "Warmed the colours (temperature +20).",
    "turn_id": "ab12cd34",
    "time": 1700000000.5,
    "model": "Built-in assistant",
    "node_ids": ["n1"],
    "changes": [{"kind": "added", "node_id": "n1", "text": "Temperature +20"}],
    "undone": False,
    "warnings": ["clamped"],
    "error": None,
    "cancelled": False,
    "seconds": 0.012,
}


def test_messages_round_trip_in_the_files_layout():
    for data in (REQUEST, REPLY):
        message = ChatMessage.from_dict(data)
        assert message.to_dict() == data
        assert ChatMessage.from_dict(message.to_dict()) == message
    reply = ChatMessage.from_dict(REPLY)
    assert reply.changes == ({"kind": "added", "node_id": "n1", "text": "Temperature +20"},)
    assert not reply.is_user and ChatMessage.from_dict(REQUEST).is_user


def test_an_old_reply_without_changes_reads_as_unknown_changes():
    old = ChatMessage.from_dict({"role": "assistant", "text": "Done.", "node_ids": ["n1"]})
    assert old.changes is None and old.node_ids == ("n1",) and old.turn_id is None
    assert ChatMessage.from_dict(old.to_dict()) == old


@pytest.mark.parametrize(
    "bad",
    [
        "hello",
        {"text": "no role"},
        {"role": "system", "text": "x"},
        {"role": "user", "text": 3},
        {"role": "user", "text": "x", "time": float("nan")},
        {"role": "user", "text": "x", "time": True},
        {"role": "user", "text": "x", "turn_id": 7},
        {"role": "assistant", "text": "x", "node_ids": "n1"},
        {"role": "assistant", "text": "x", "changes": [{"kind": "added"}]},
        {"role": "assistant", "text": "x", "changes": {"kind": "added", "text": "t"}},
        {"role": "assistant", "text": "x", "undone": "yes"},
        {"role": "assistant", "text": "x", "warnings": [1]},
    ],
)
def test_a_bad_message_is_refused_with_what_is_wrong(bad):
    with pytest.raises(ValueError, match="chat message"):
        ChatMessage.from_dict(bad)


def test_a_project_keeps_its_readable_messages_and_skips_the_rest(tmp_path, photo):
    assert chat_from_list([REQUEST, 5, {"role": "robot", "text": "x"}, REPLY]) == [
        ChatMessage.from_dict(REQUEST),
        ChatMessage.from_dict(REPLY),
    ]
    project = tmp_path / "p.iea.json"
    project.write_text(json.dumps({"schema_version": 1, "graph": [], "chat": [REQUEST, "junk", REPLY]}))
    doc = Document.open(photo, project_file=project)
    assert [m.role for m in doc.chat] == ["user", "assistant"]
    assert doc.to_dict()["chat"] == [REQUEST, REPLY]  # written back exactly as read


def test_the_document_marks_itself_changed_for_chat_turns_and_marks(photo):
    doc = Document.open(photo)
    assert not doc.dirty
    doc.add_chat(ChatMessage("user", "warmer"))
    assert doc.dirty and doc.chat == [ChatMessage("user", "warmer")]
    doc.discard_changes()
    assert not doc.dirty
    doc.set_marks(doc.marks)
    assert doc.dirty
