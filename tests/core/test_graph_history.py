"""The edit graph and its command history: placement, commands, undo/redo, gestures, snapshots."""

from __future__ import annotations

import pytest

from iea_desktop.core.graph import MAX_NODES, EditGraph, GraphLimitError, Node, Provenance, make_node
from iea_desktop.core.history import (
    AddNode,
    Compound,
    History,
    MoveNode,
    RemoveNode,
    ReplaceGraph,
    SetNodeFields,
)
from iea_desktop.core.ops import OpError


@pytest.fixture
def history() -> History:
    return History(EditGraph())


def ops(history: History) -> list[str]:
    return [n.op for n in history.graph]


def add(history: History, op: str, value=None, **params) -> Node:
    if value is not None:
        params["value"] = value
    node = make_node(op, params)
    history.push(AddNode(node))
    return history.graph.get(node.id)


def state(history: History) -> list[dict]:
    return history.graph.to_list()


# --------------------------------------------------------------------------- placement


def test_new_nodes_go_to_their_canonical_position(history):
    params = {"crop": {"right": 0.5}, "rotate": {"turns": 1}}
    for op in ("sharpness", "saturation", "exposure", "vignette", "crop", "highlights", "contrast", "rotate"):
        add(history, op, **params.get(op, {"value": 10}))
    assert ops(history) == ["rotate", "crop", "exposure", "contrast", "highlights", "saturation", "vignette", "sharpness"]


def test_several_nodes_of_one_op_stack_in_order_of_adding(history):
    first = add(history, "exposure", 10)
    add(history, "saturation", 10)
    second = add(history, "exposure", 20)
    third = add(history, "exposure", -5)
    assert [n.id for n in history.graph if n.op == "exposure"] == [first.id, second.id, third.id]
    assert ops(history) == ["exposure", "exposure", "exposure", "saturation"]
    assert len(history.graph.find("exposure")) == 3


def test_canonical_position_after_a_manual_reorder(history):
    sat = add(history, "saturation", 10)
    exp = add(history, "exposure", 10)
    history.push(MoveNode(exp.id, 5))  # the person drags exposure to the end
    assert ops(history) == ["saturation", "exposure"]
    add(history, "contrast", 10)
    # after every node that precedes or equals it in the pipeline
    assert ops(history) == ["saturation", "exposure", "contrast"]
    assert history.graph.index_of(sat.id) == 0


def test_add_at_an_explicit_index(history):
    add(history, "exposure", 10)
    add(history, "saturation", 10)
    node = make_node("sharpness", {"value": 20})
    history.push(AddNode(node, index=0))
    assert ops(history) == ["sharpness", "exposure", "saturation"]


def test_provenance_and_find_by_origin(history):
    node = make_node("exposure", {"value": 30}, provenance=Provenance("assistant", "too dark", "t1", "model-x"))
    history.push(AddNode(node))
    add(history, "exposure", 5)
    assert [n.id for n in history.graph.find("exposure", origin="assistant")] == [node.id]
    assert len(history.graph.find("exposure", origin="user")) == 1
    assert history.graph.get(node.id).provenance.reason == "too dark"


def test_graph_list_round_trip(history):
    add(history, "crop", left=0.1, aspect="4:3")
    add(history, "flip", horizontal=True)
    node = add(history, "vibrance", 40)
    history.push(SetNodeFields(node.id, opacity=0.25, enabled=False))
    again = EditGraph.from_list(history.graph.to_list())
    assert again.to_list() == history.graph.to_list()


def test_node_summaries():
    assert make_node("exposure", {"value": 25}).summary() == "+25"
    assert make_node("exposure", {"value": -7}).summary() == "-7"
    assert make_node("straighten", {"angle": 2.5}).summary() == "angle (°) 2.5"
    assert make_node("crop").summary() == "no change"


def test_get_unknown_node_raises_key_error(history):
    with pytest.raises(KeyError):
        history.graph.get("nope")


# --------------------------------------------------------------------------- commands


def test_remove_and_undo_puts_the_node_back_where_it_was(history):
    add(history, "exposure", 10)
    middle = add(history, "contrast", 10)
    add(history, "saturation", 10)
    before = state(history)
    history.push(RemoveNode(middle.id))
    assert ops(history) == ["exposure", "saturation"]
    assert history.labels()[-1] == "Remove Contrast"
    history.undo()
    assert state(history) == before
    history.redo()
    assert ops(history) == ["exposure", "saturation"]


def test_toggle_enabled(history):
    node = add(history, "exposure", 10)
    history.push(SetNodeFields(node.id, enabled=False))
    assert history.graph.active_nodes() == []
    history.undo()
    assert [n.id for n in history.graph.active_nodes()] == [node.id]


def test_reorder_and_undo(history):
    a = add(history, "exposure", 10)
    b = add(history, "contrast", 10)
    c = add(history, "saturation", 10)
    history.push(MoveNode(c.id, 0))
    assert [n.id for n in history.graph] == [c.id, a.id, b.id]
    history.push(MoveNode(a.id, 99))  # clamped to the end
    assert [n.id for n in history.graph] == [c.id, b.id, a.id]
    history.undo()
    history.undo()
    assert [n.id for n in history.graph] == [a.id, b.id, c.id]


def test_opacity_is_clamped_and_undoable(history):
    node = add(history, "exposure", 10)
    history.push(SetNodeFields(node.id, opacity=2.5))
    assert history.graph.get(node.id).opacity == 1.0
    history.push(SetNodeFields(node.id, opacity=-1))
    assert history.graph.get(node.id).opacity == 0.0
    assert history.graph.active_nodes() == []
    history.push(SetNodeFields(node.id, opacity=0.4))
    assert history.graph.get(node.id).opacity == pytest.approx(0.4)
    history.undo()
    assert history.graph.get(node.id).opacity == 0.0


def test_set_params_merges_validates_and_clamps(history):
    node = add(history, "crop", left=0.1)
    history.push(SetNodeFields(node.id, params={"right": 5}))
    assert history.graph.get(node.id).params["left"] == 0.1
    assert history.graph.get(node.id).params["right"] == 1.0
    with pytest.raises(OpError):
        history.push(SetNodeFields(node.id, params={"nope": 1}))
    assert len(history.entries) == 2  # the refused change left no entry


def test_set_provenance(history):
    node = add(history, "exposure", 10)
    history.push(SetNodeFields(node.id, provenance={"origin": "assistant", "reason": "brighter"}))
    assert history.graph.get(node.id).provenance.origin == "assistant"
    history.undo()
    assert history.graph.get(node.id).provenance.origin == "user"


def test_undo_redo_walks_the_whole_stack(history):
    states = [state(history)]
    node = add(history, "exposure", 10)
    states.append(state(history))
    history.push(SetNodeFields(node.id, params={"value": 40}))
    states.append(state(history))
    add(history, "saturation", -20)
    states.append(state(history))
    for expected in reversed(states[:-1]):
        assert history.undo()
        assert state(history) == expected
    assert not history.undo() and not history.can_undo
    for expected in states[1:]:
        assert history.redo()
        assert state(history) == expected
    assert not history.redo() and not history.can_redo


def test_the_graph_inserts_removes_and_moves_nodes():
    """The three changes the history's commands make (AddNode, RemoveNode, MoveNode call them)."""
    a, b, c = (make_node(op) for op in ("exposure", "contrast", "saturation"))
    graph = EditGraph([a, b])
    graph.insert(1, c)
    assert [n.id for n in graph] == [a.id, c.id, b.id]
    assert graph.remove(c.id) == (1, c) and [n.id for n in graph] == [a.id, b.id]
    assert graph.move(a.id, 99) == 0 and [n.id for n in graph] == [b.id, a.id]  # clamped to the end
    assert graph.move(a.id, -3) == 1 and [n.id for n in graph] == [a.id, b.id]
    with pytest.raises(KeyError):
        graph.remove("nope")


def test_listeners_hear_every_change(history):
    heard = []
    history.subscribe(lambda: heard.append(1))
    node = add(history, "exposure", 10)
    history.push(SetNodeFields(node.id, params={"value": 20}))
    history.undo()
    history.redo()
    history.goto(0)
    assert len(heard) == 5


# --------------------------------------------------------------------------- gestures


def test_a_slider_gesture_is_one_undo_step(history):
    node = add(history, "exposure", 10)
    for v in range(11, 60):
        history.push(SetNodeFields(node.id, params={"value": v}, gesture="drag-1"))
    assert len(history.entries) == 2
    assert history.graph.get(node.id).params["value"] == 59
    assert history.entries[-1].state[0]["params"]["value"] == 59  # the saved state follows the merge
    history.undo()
    assert history.graph.get(node.id).params["value"] == 10
    history.redo()
    assert history.graph.get(node.id).params["value"] == 59


def test_end_gesture_starts_a_new_step(history):
    node = add(history, "exposure", 10)
    for v in (20, 30):
        history.push(SetNodeFields(node.id, params={"value": v}, gesture="g"))
    history.end_gesture()
    for v in (40, 50):
        history.push(SetNodeFields(node.id, params={"value": v}, gesture="g"))
    assert len(history.entries) == 3
    history.undo()
    assert history.graph.get(node.id).params["value"] == 30
    history.undo()
    assert history.graph.get(node.id).params["value"] == 10


def test_changes_without_a_gesture_or_on_another_node_do_not_coalesce(history):
    a = add(history, "exposure", 10)
    b = add(history, "contrast", 10)
    history.push(SetNodeFields(a.id, params={"value": 20}))
    history.push(SetNodeFields(a.id, params={"value": 30}))
    history.push(SetNodeFields(a.id, params={"value": 40}, gesture="g"))
    history.push(SetNodeFields(b.id, params={"value": 40}, gesture="g"))
    history.push(SetNodeFields(b.id, params={"value": 50}, gesture="h"))
    assert len(history.entries) == 2 + 5


def test_a_gesture_does_not_merge_into_an_undone_step(history):
    node = add(history, "exposure", 10)
    history.push(SetNodeFields(node.id, params={"value": 20}, gesture="g"))
    history.undo()
    history.push(SetNodeFields(node.id, params={"value": 30}, gesture="g"))
    assert len(history.entries) == 2
    history.undo()
    assert history.graph.get(node.id).params["value"] == 10


def test_a_gesture_across_opacity_and_params_undoes_both(history):
    node = add(history, "exposure", 10)
    history.push(SetNodeFields(node.id, params={"value": 20}, gesture="g"))
    history.push(SetNodeFields(node.id, opacity=0.5, gesture="g"))
    assert len(history.entries) == 2
    history.undo()
    n = history.graph.get(node.id)
    assert (n.params["value"], n.opacity) == (10, 1.0)
    history.redo()
    n = history.graph.get(node.id)
    assert (n.params["value"], n.opacity) == (20, 0.5)


# --------------------------------------------------------------------------- branches, goto, snapshots


def test_a_new_command_after_undo_drops_the_redo_branch(history):
    add(history, "exposure", 10)
    add(history, "contrast", 10)
    add(history, "saturation", 10)
    history.undo()
    history.undo()
    add(history, "vignette", 30)
    assert len(history.entries) == 2
    assert not history.can_redo
    assert ops(history) == ["exposure", "vignette"]
    assert history.labels() == ["Add Exposure", "Add Vignette"]


def test_goto_any_position(history):
    states = [state(history)]
    for op in ("exposure", "contrast", "saturation", "sharpness"):
        add(history, op, 10)
        states.append(state(history))
    for position in (2, 0, 4, 1, 3, 3):
        history.goto(position)
        assert history.position == position
        assert state(history) == states[position]
    history.goto(99)
    assert history.position == 4
    history.goto(-5)
    assert history.position == 0 and len(history.graph) == 0


def test_named_snapshots(history):
    node = add(history, "exposure", 10)
    add(history, "saturation", 30)
    history.take_snapshot("warm")
    saved = state(history)
    history.push(SetNodeFields(node.id, params={"value": -50}))
    history.push(RemoveNode(node.id))
    history.restore_snapshot("warm")
    assert state(history) == saved
    assert "warm" in history.labels()[-1]
    history.undo()  # restoring is an ordinary undo step
    assert ops(history) == ["saturation"]
    assert set(history.snapshots) == {"warm"}
    with pytest.raises(KeyError):
        history.restore_snapshot("nope")


def test_replace_graph_and_undo(history):
    add(history, "exposure", 10)
    before = state(history)
    history.push(ReplaceGraph([make_node("fade", {"value": 20})], text="Reset"))
    assert ops(history) == ["fade"]
    history.undo()
    assert state(history) == before
    history.redo()
    assert ops(history) == ["fade"]


# --------------------------------------------------------------------------- compound


def test_compound_is_one_step(history):
    a, b = make_node("exposure", {"value": 10}), make_node("saturation", {"value": 10})
    history.push(Compound([AddNode(a), AddNode(b), SetNodeFields(a.id, params={"value": 30})], text="Assistant: brighter"))
    assert len(history.entries) == 1 and history.labels() == ["Assistant: brighter"]
    assert history.graph.get(a.id).params["value"] == 30
    history.undo()
    assert len(history.graph) == 0
    history.redo()
    assert ops(history) == ["exposure", "saturation"]


@pytest.mark.parametrize("failing", [
    lambda a: SetNodeFields("missing", params={"value": 1}),
    lambda a: SetNodeFields(a.id, params={"bogus": 1}),
    lambda a: RemoveNode("missing"),
    lambda a: MoveNode("missing", 0),
])
def test_compound_rolls_back_when_a_sub_command_fails(history, failing):
    keep = add(history, "contrast", 5)
    before, entries = state(history), len(history.entries)
    heard = []
    history.subscribe(lambda: heard.append(1))
    a = make_node("exposure", {"value": 10})
    commands = [AddNode(a), SetNodeFields(keep.id, params={"value": 50}), RemoveNode(keep.id), failing(a)]
    with pytest.raises((KeyError, OpError)):
        history.push(Compound(commands))
    assert state(history) == before
    assert len(history.entries) == entries and history.position == entries
    assert heard == []
    history.undo()
    assert len(history.graph) == 0


# --------------------------------------------------------------------------- values that must not slip through


def saved_node(**fields) -> dict:
    return {**make_node("exposure", {"value": 10}).to_dict(), **fields}


@pytest.mark.parametrize("opacity", [float("nan"), float("inf"), float("-inf"), "0.5", None, True, [1]])
def test_a_saved_opacity_that_is_not_a_finite_number_is_refused(opacity):
    with pytest.raises(OpError, match="opacity"):
        Node.from_dict(saved_node(opacity=opacity))


def test_a_saved_opacity_is_clamped():
    assert Node.from_dict(saved_node(opacity=7)).opacity == 1.0
    assert Node.from_dict(saved_node(opacity=-10**400)).opacity == 0.0
    assert Node.from_dict(saved_node(opacity=0.25)).opacity == 0.25


@pytest.mark.parametrize("opacity", [float("nan"), float("inf")])
def test_setting_a_non_finite_opacity_is_refused_and_changes_nothing(history, opacity):
    node = add(history, "exposure", 10)
    before = state(history)
    with pytest.raises(OpError, match="opacity"):
        history.push(SetNodeFields(node.id, opacity=opacity))
    assert state(history) == before and len(history.entries) == 1


@pytest.mark.parametrize("version", [True, 10**400, float("inf"), "1", [1]])
def test_a_saved_version_that_is_not_one_of_the_ops_is_refused(version):
    with pytest.raises((OpError, TypeError)):
        Node.from_dict(saved_node(version=version))


def test_huge_integer_values_clamp_like_any_other():
    assert make_node("exposure", {"value": 10**400}).params["value"] == 100
    assert make_node("exposure", {"value": -10**400}).params["value"] == -100
    assert make_node("crop", {"right": 10**400}).params["right"] == 1.0


# --------------------------------------------------------------------------- the graph's size cap


def test_a_saved_graph_over_the_cap_is_refused():
    items = [make_node("exposure", {"value": 1}).to_dict() for _ in range(MAX_NODES + 1)]
    with pytest.raises(GraphLimitError, match=f"{MAX_NODES + 1} adjustments .* {MAX_NODES}"):
        EditGraph.from_list(items)
    assert len(EditGraph.from_list(items[:MAX_NODES])) == MAX_NODES


def test_a_document_refuses_an_edit_past_the_cap_and_keeps_its_graph(photo):
    from iea_desktop.core.document import Document

    doc = Document.open(photo)
    doc.apply(Compound([AddNode(make_node("exposure", {"value": 1})) for _ in range(MAX_NODES - 1)]))
    doc.apply(AddNode(make_node("contrast", {"value": 5})))  # the last one that fits
    before, entries = doc.graph.to_list(), len(doc.history.entries)
    for command in (AddNode(make_node("fade", {"value": 5})),
                    Compound([RemoveNode(doc.graph.nodes[0].id)] + [AddNode(make_node("fade", {"value": 5}))] * 2),
                    ReplaceGraph([make_node("fade", {"value": 5})] * (MAX_NODES + 1))):
        with pytest.raises(GraphLimitError):
            doc.apply(command)
        assert doc.graph.to_list() == before and len(doc.history.entries) == entries
    doc.apply(Compound([RemoveNode(doc.graph.nodes[0].id), AddNode(make_node("fade", {"value": 5}))]))
    assert len(doc.graph) == MAX_NODES


def test_a_project_over_the_cap_is_refused_with_a_clear_message(photo, tmp_path):
    import json

    from iea_desktop.core.document import Document
    from iea_desktop.core.project import ProjectError

    doc = Document.open(photo)
    data = doc.to_dict()
    data["graph"] = [make_node("exposure", {"value": 1}).to_dict() for _ in range(MAX_NODES + 1)]
    file = tmp_path / "big.iea.json"
    file.write_text(json.dumps(data))
    with pytest.raises(ProjectError, match=f"big.iea.json: {MAX_NODES + 1} adjustments is more than the {MAX_NODES}"):
        Document.open(photo, project_file=file)
