"""Provenance of a node the assistant made and a person changed (issue 18, friction 3)."""

from iea_desktop.core.graph import EditGraph, Provenance, make_node
from iea_desktop.core.history import AddNode, History, SetNodeFields


def assistant_graph():
    graph = EditGraph()
    history = History(graph)
    node = make_node("temperature", {"value": 20}, provenance=Provenance("assistant", "Warmed it", turn_id="t1"))
    history.push(AddNode(node))
    return graph, history, node.id


def test_a_persons_change_is_recorded_and_the_assistants_values_kept():
    graph, history, node_id = assistant_graph()
    for value in (24, 28, 30):  # one slider gesture
        history.push(SetNodeFields(node_id, params={"value": value}, gesture="drag"))
    prov = graph.get(node_id).provenance
    assert (prov.origin, prov.reason, prov.edited_by_user, prov.assistant_params) == ("assistant", "Warmed it", True,
                                                                                       {"value": 20})
    assert EditGraph.from_list(graph.to_list()).nodes[0].provenance == prov  # saved with the project
    history.undo()
    assert not graph.get(node_id).provenance.edited_by_user


def test_opacity_counts_switching_off_does_not():
    graph, history, node_id = assistant_graph()
    history.push(SetNodeFields(node_id, enabled=False))
    assert not graph.get(node_id).provenance.edited_by_user
    history.push(SetNodeFields(node_id, opacity=0.5))
    assert graph.get(node_id).provenance.edited_by_user


def test_the_assistants_own_change_is_not_a_persons_edit():
    graph, history, node_id = assistant_graph()
    history.push(SetNodeFields(node_id, params={"value": 35}, provenance={"reason": "Warmer still", "turn_id": "t2"}))
    assert not graph.get(node_id).provenance.edited_by_user
