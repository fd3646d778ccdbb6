"""Editing by hand: add an adjustment, drag its slider (live, one undo step), switch it off, undo/redo,
history clicks, snapshots and layer operations (the crop tool: test_crop_tool.py)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt

from iea_desktop.core.ops import REGISTRY
from uihelpers import WAIT_MS, open_photo, shown_pixels, wait_rendered


def drag(control, *values) -> None:
    """A slider drag: press, move through values, release."""
    control.slider.setSliderDown(True)
    for value in values:
        control.slider.setValue(round(value * control._factor))
    control.slider.setSliderDown(False)


def add(qtbot, window, op: str) -> str:
    action = next(a for a in window.layers.add_menu.actions() if a.data() == op)
    action.trigger()
    node = window.document.graph.nodes[-1] if window.document.graph.find(op) else None
    assert node is not None
    qtbot.waitUntil(lambda: window.inspector.node_id == window.document.graph.find(op)[-1].id, timeout=WAIT_MS)
    wait_rendered(qtbot, window)
    return window.document.graph.find(op)[-1].id


def test_add_menu_lists_every_op(window):
    listed = [a.data() for a in window.layers.add_menu.actions() if a.data()]
    assert sorted(listed) == sorted(REGISTRY)
    assert all(a.toolTip() for a in window.layers.add_menu.actions() if a.data())


def test_slider_drag_changes_canvas_live_and_is_one_undo_step(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    original = shown_pixels(window)
    add(qtbot, window, "exposure")
    control = window.inspector.controls["value"]
    assert control.slider.toolTip().startswith(REGISTRY["exposure"].params[0].help)
    drag(control, 10, 30, 60)
    wait_rendered(qtbot, window)
    brighter = shown_pixels(window)
    assert brighter.mean() > original.mean() + 5
    assert window.document.history.labels() == ["Add Exposure", "Exposure 0 → +60"]
    assert window.layers.tree.topLevelItem(0).text(1) == "+60"

    window.undo_action.trigger()
    wait_rendered(qtbot, window)
    assert window.document.graph.nodes[0].params["value"] == 0
    qtbot.waitUntil(lambda: window.inspector.controls["value"].value() == 0, timeout=WAIT_MS)
    assert np.abs(shown_pixels(window) - original).max() <= 1
    window.redo_action.trigger()
    wait_rendered(qtbot, window)
    assert window.document.graph.nodes[0].params["value"] == 60
    assert np.allclose(shown_pixels(window), brighter)


def test_wheel_steps_close_together_are_one_undo_step(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    add(qtbot, window, "contrast")
    control = window.inspector.controls["value"]
    for value in (5, 10, 15):
        control.spin.setValue(value)
    window.inspector.gesture.end()  # what the idle timer does
    control.spin.setValue(20)
    window.inspector.gesture.end()
    assert window.document.history.labels() == ["Add Contrast", "Contrast 0 → +15", "Contrast +15 → +20"]


def test_double_click_resets_slider_to_default(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    add(qtbot, window, "saturation")
    control = window.inspector.controls["value"]
    drag(control, -40)
    assert window.document.graph.nodes[0].params["value"] == -40
    control.slider.double_clicked.emit()
    assert window.document.graph.nodes[0].params["value"] == 0
    qtbot.waitUntil(lambda: control.value() == 0, timeout=WAIT_MS)


def test_float_bool_and_choice_params_get_matching_controls(qtbot, window, sample):
    from PySide6.QtWidgets import QCheckBox, QComboBox

    from iea_desktop.ui.inspector import NumberControl

    open_photo(qtbot, window, sample)
    add(qtbot, window, "flip")
    assert isinstance(window.inspector.controls["horizontal"], QCheckBox)
    window.inspector.controls["horizontal"].setChecked(True)
    assert window.document.graph.find("flip")[0].params["horizontal"] is True
    add(qtbot, window, "straighten")
    angle = window.inspector.controls["angle"]
    assert isinstance(angle, NumberControl) and angle.spin.decimals() == 2
    assert window.canvas.grid
    drag(angle, 2.5)
    assert window.document.graph.find("straighten")[0].params["angle"] == 2.5
    add(qtbot, window, "crop")
    aspect = window.inspector.controls["aspect"]
    assert isinstance(aspect, QComboBox)
    aspect.setCurrentText("1:1")
    assert window.document.graph.find("crop")[0].params["aspect"] == "1:1"


def test_switching_a_node_off_reverts_the_photo(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    original = shown_pixels(window)
    add(qtbot, window, "temperature")
    drag(window.inspector.controls["value"], 70)
    wait_rendered(qtbot, window)
    assert np.abs(shown_pixels(window) - original).max() > 10
    window.layers.tree.topLevelItem(0).setCheckState(0, Qt.Unchecked)
    assert window.document.graph.nodes[0].enabled is False
    wait_rendered(qtbot, window)
    assert np.abs(shown_pixels(window) - original).max() <= 1
    assert window.document.history.labels()[-1] == "Turn off Temperature"


def test_opacity_blends_the_node(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    original = shown_pixels(window)
    add(qtbot, window, "exposure")
    drag(window.inspector.controls["value"], 100)
    wait_rendered(qtbot, window)
    full = shown_pixels(window)
    drag(window.inspector.opacity, 50)
    wait_rendered(qtbot, window)
    half = shown_pixels(window)
    assert window.document.graph.nodes[0].opacity == 0.5
    assert original.mean() < half.mean() < full.mean()
    assert "50%" in window.layers.tree.topLevelItem(0).text(1)


def test_history_click_goes_back_and_new_edit_drops_redo_branch(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    add(qtbot, window, "exposure")
    add(qtbot, window, "contrast")
    add(qtbot, window, "vignette")
    steps = window.history_panel.steps
    qtbot.waitUntil(lambda: steps.count() == 4, timeout=WAIT_MS)
    assert steps.item(0).text().strip().endswith("Original photo")
    window.history_panel._step_clicked(steps.item(1))
    wait_rendered(qtbot, window)
    assert [n.op for n in window.document.graph.nodes] == ["exposure"]
    qtbot.waitUntil(lambda: steps.item(1).font().bold(), timeout=WAIT_MS)
    assert steps.item(3).font().italic()  # redo branch, dimmed
    add(qtbot, window, "grain")
    assert window.document.history.labels() == ["Add Exposure", "Add Grain"]


def test_snapshots_restore_a_state(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    add(qtbot, window, "exposure")
    window.history_panel.take_snapshot("Bright")
    add(qtbot, window, "saturation")
    qtbot.waitUntil(lambda: window.history_panel.snapshots.count() == 1, timeout=WAIT_MS)
    window.history_panel.restore_snapshot("Bright")
    assert [n.op for n in window.document.graph.nodes] == ["exposure"]
    window.undo_action.trigger()
    assert [n.op for n in window.document.graph.nodes] == ["exposure", "saturation"]


def test_delete_duplicate_and_reorder(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    first = add(qtbot, window, "exposure")
    add(qtbot, window, "contrast")
    window.layers.select(first)
    window.layers.duplicate_selected()
    ops = [n.op for n in window.document.graph.nodes]
    assert ops == ["exposure", "exposure", "contrast"]
    copy_id = window.document.graph.nodes[1].id
    assert window.layers.selected_id() == copy_id
    window.layers.move_node(copy_id, 2)
    assert [n.id for n in window.document.graph.nodes][2] == copy_id
    assert window.document.history.labels()[-1] == "Reorder adjustment"
    window.layers.delete_selected()
    assert [n.op for n in window.document.graph.nodes] == ["exposure", "contrast"]
    qtbot.waitUntil(lambda: window.layers.tree.topLevelItemCount() == 2, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.inspector.node_id is None, timeout=WAIT_MS)


def test_reset_all_is_undoable(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    add(qtbot, window, "exposure")
    add(qtbot, window, "fade")
    window.reset_action.trigger()
    assert window.document.graph.nodes == []
    window.undo_action.trigger()
    assert len(window.document.graph.nodes) == 2


def _handle_centre(slider) -> QPoint:
    from PySide6.QtWidgets import QStyle, QStyleOptionSlider

    option = QStyleOptionSlider()
    slider.initStyleOption(option)
    return slider.style().subControlRect(QStyle.CC_Slider, option, QStyle.SC_SliderHandle, slider).center()


def _slider_drag(slider, dx: int, modifiers=Qt.NoModifier) -> None:
    """Press the handle, move it ``dx`` pixels holding ``modifiers`` (in ten moves), release."""
    from PySide6.QtCore import QEvent, QPointF
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    start = QPointF(_handle_centre(slider))

    def send(kind, x, buttons):
        point = QPointF(start.x() + x, start.y())
        button = Qt.NoButton if kind == QEvent.MouseMove else Qt.LeftButton
        QApplication.sendEvent(slider, QMouseEvent(kind, point, slider.mapToGlobal(point), button, buttons, modifiers))

    send(QEvent.MouseButtonPress, 0, Qt.LeftButton)
    for i in range(1, 11):
        send(QEvent.MouseMove, dx * i / 10, Qt.LeftButton)
    send(QEvent.MouseButtonRelease, dx, Qt.NoButton)


def test_shift_drag_moves_a_slider_at_a_tenth_of_the_speed(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    add(qtbot, window, "temperature")
    slider = window.inspector.controls["value"].slider
    _slider_drag(slider, 60)
    coarse = window.document.graph.nodes[0].params["value"]
    assert coarse >= 20
    window.inspector.reset_param("value")
    _slider_drag(slider, 60, Qt.ShiftModifier)
    fine = window.document.graph.nodes[0].params["value"]
    assert 0 < fine and abs(fine - coarse / 10) <= 1
    assert window.document.history.labels()[-1] == f"Temperature 0 → +{fine}"


def test_arrow_keys_step_a_slider_and_shift_takes_ten_steps(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    add(qtbot, window, "tint")
    slider = window.inspector.controls["value"].slider
    slider.setFocus()
    qtbot.keyClick(slider, Qt.Key_Right)
    assert window.document.graph.nodes[0].params["value"] == 1
    qtbot.keyClick(slider, Qt.Key_Right, Qt.ShiftModifier)
    assert window.document.graph.nodes[0].params["value"] == 11
    qtbot.keyClick(slider, Qt.Key_Left, Qt.ShiftModifier)
    qtbot.keyClick(slider, Qt.Key_Left, Qt.ShiftModifier)
    assert window.document.graph.nodes[0].params["value"] == -9
    window.inspector.gesture.end()
    assert window.document.history.labels()[-1] == "Tint 0 → -9"  # the burst of keys is one step
    add(qtbot, window, "straighten")  # a float: one step is the spin box's (0.1 degree)
    angle = window.inspector.controls["angle"].slider
    angle.setFocus()
    qtbot.keyClick(angle, Qt.Key_Right)
    qtbot.keyClick(angle, Qt.Key_Right, Qt.ShiftModifier)
    assert window.document.graph.find("straighten")[0].params["angle"] == 1.1


def test_history_names_the_values_a_change_went_between(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    add(qtbot, window, "temperature")
    control = window.inspector.controls["value"]
    drag(control, 10)
    drag(control, 18, 25)
    drag(window.inspector.opacity, 50)
    assert window.document.history.labels()[1:] == [
        "Temperature 0 → +10",
        "Temperature +10 → +25",
        "Temperature: opacity 100% → 50%",
    ]
