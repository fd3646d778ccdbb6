"""The inspector's binders, over the whole op registry: every parameter gets the control of its
kind showing the node's value, and a gesture on any of them is one undo step."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QCheckBox, QComboBox

from iea_desktop.core.ops import REGISTRY
from iea_desktop.ui.crop_tool import crop_frame

KINDS = {"int": "NumberControl", "float": "NumberControl", "bool": "QCheckBox", "choice": "QComboBox",
         "curve": "CurveWidget"}


@pytest.fixture
def inspector(qtbot, photo):
    from iea_desktop.core.document import Document
    from iea_desktop.ui.app import create_application
    from iea_desktop.ui.inspector import Inspector

    create_application()
    widget = Inspector()
    qtbot.addWidget(widget)
    widget.set_document(Document.open(photo))
    return widget


def select(inspector, op: str):
    from iea_desktop.core.graph import Provenance, make_node
    from iea_desktop.core.history import AddNode

    node = make_node(op, provenance=Provenance("user"))
    inspector.document.apply(AddNode(node))
    inspector.show_node(node.id)
    return inspector.document.graph.get(node.id)


@pytest.mark.parametrize("op", sorted(REGISTRY))
def test_every_parameter_gets_the_control_of_its_kind(inspector, op):
    node = select(inspector, op)
    assert set(inspector.controls) == {p.name for p in node.spec.params}
    width, height = crop_frame(inspector.document, node)
    for param in node.spec.params:
        control = inspector.controls[param.name]
        assert type(control).__name__ == KINDS[param.kind], param.name
        value = node.params[param.name]
        if op == "crop" and param.kind == "float":  # the edges in pixels of the frame
            side = width if param.name in ("left", "right") else height
            assert control.value() == round(value * side)
        elif param.kind in ("int", "float"):
            assert control.value() == pytest.approx(value)
        elif param.kind == "bool":
            assert control.isChecked() == value
        elif param.kind == "choice":
            assert control.currentData() == value
    assert inspector.opacity.isHidden() == (node.spec.stage == "geometry")
    assert (inspector.size_label is not None) == (op == "crop")
    assert (inspector.white_balance is not None) == (op == "white_balance")


@pytest.mark.parametrize("op", sorted(REGISTRY))
def test_a_gesture_on_any_control_is_one_undo_step(inspector, op):
    node = select(inspector, op)
    history = inspector.document.history
    numbers = {name: c for name, c in inspector.controls.items() if type(c).__name__ == "NumberControl"}
    if not inspector.opacity.isHidden():
        numbers["opacity"] = inspector.opacity
    for name, control in numbers.items():
        before = history.position
        control.pressed.emit()
        low, high = control.spin.minimum(), control.spin.maximum()
        for step in (1, 2):  # a drag: two values while the slider is held, then let go
            value = low + step * (high - low) / 4
            control.edited.emit(round(value, control.decimals) if control.decimals else round(value))
        control.released.emit()
        assert history.position == before + 1, name
        assert "→" in history.labels()[-1], history.labels()[-1]
    for name, control in inspector.controls.items():
        before = history.position
        if isinstance(control, QCheckBox):
            control.setChecked(not control.isChecked())
        elif isinstance(control, QComboBox):
            control.setCurrentIndex((control.currentIndex() + 1) % control.count())
        else:
            continue
        inspector.gesture.end()
        assert history.position == before + 1, name
        assert history.labels()[-1].startswith(node.label), history.labels()[-1]
