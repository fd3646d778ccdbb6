"""The crop & straighten tool: found from the toolbar, the Image menu and R; Enter applies, Esc
cancels; handles, Shift, rotating outside the box, the level line; sizes in pixels."""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QLineF, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from iea_desktop.core.graph import make_node
from iea_desktop.core.history import AddNode
from iea_desktop.ui.crop_tool import level_angle, ratio_text
from uihelpers import WAIT_MS, open_photo, wait_rendered


def crops(window):
    return window.document.graph.find("crop")


def enter(qtbot, window) -> None:
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key_R)
    assert window.canvas.crop_tool.active
    wait_rendered(qtbot, window)


def mouse(widget, kind, point, modifiers=Qt.NoModifier) -> None:
    """A mouse event at a (sub-pixel) point, with the left button and ``modifiers``."""
    point = QPointF(point)
    button = Qt.NoButton if kind == QEvent.MouseMove else Qt.LeftButton
    buttons = Qt.NoButton if kind == QEvent.MouseButtonRelease else Qt.LeftButton
    QApplication.sendEvent(widget, QMouseEvent(kind, point, widget.mapToGlobal(point), button, buttons, modifiers))


def drag(qtbot, canvas, start, *points, modifiers=Qt.NoModifier) -> None:
    """Press at ``start``, move through ``points`` holding ``modifiers``, release at the last."""
    mouse(canvas, QEvent.MouseButtonPress, start, modifiers)
    for point in points:
        mouse(canvas, QEvent.MouseMove, point, modifiers)
    mouse(canvas, QEvent.MouseButtonRelease, points[-1], modifiers)


def handle(window, name: str) -> QPoint:
    return window.canvas.crop_tool.handles()[name].toPoint()


def test_r_enters_the_crop_tool_and_enter_applies_it(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    enter(qtbot, window)
    node = crops(window)[0]
    assert window.layers.selected_id() == node.id and window.crop_action.isChecked()
    assert window.pipeline.skip_node == node.id  # the whole frame shows while cropping
    drag(qtbot, window.canvas, handle(window, "r"), handle(window, "r") - QPoint(150, 0))
    assert node.params["right"] < 0.8
    qtbot.keyClick(window.canvas, Qt.Key_Return)
    assert not window.canvas.crop_tool.active and not window.crop_action.isChecked()
    wait_rendered(qtbot, window)
    assert window.canvas.after.pixels.shape[1] < 0.8 * 768  # the photo shows cropped
    assert crops(window)[0].params["right"] == node.params["right"]


def test_r_selects_an_existing_crop_instead_of_adding_one(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    window.document.apply(AddNode(make_node("crop", {"left": 0.2})))
    enter(qtbot, window)
    assert len(crops(window)) == 1
    assert window.layers.selected_id() == crops(window)[0].id
    qtbot.keyClick(window.canvas, Qt.Key_R)  # R again leaves the tool, keeping the crop
    assert not window.canvas.crop_tool.active and crops(window)[0].params["left"] == 0.2


def test_toolbar_button_and_image_menu_enter_the_tool(qtbot, window, sample):
    from PySide6.QtWidgets import QToolBar, QToolButton

    open_photo(qtbot, window, sample)
    toolbar = window.findChild(QToolBar, "mainToolbar")
    button = toolbar.widgetForAction(window.crop_action)
    assert isinstance(button, QToolButton) and button.text() == "Crop" and button.isVisible()
    qtbot.mouseClick(button, Qt.LeftButton)
    assert window.canvas.crop_tool.active and len(crops(window)) == 1
    qtbot.mouseClick(button, Qt.LeftButton)
    assert not window.canvas.crop_tool.active
    image_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Image")
    assert window.crop_action in image_menu.actions() and window.level_action in image_menu.actions()


def test_esc_cancels_what_the_tool_changed(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    enter(qtbot, window)  # adds a crop node ...
    drag(qtbot, window.canvas, handle(window, "br"), handle(window, "br") - QPoint(80, 60))
    qtbot.keyClick(window.canvas, Qt.Key_Escape)  # ... which Esc takes away again
    assert crops(window) == [] and not window.canvas.crop_tool.active

    window.document.apply(AddNode(make_node("crop", {"left": 0.1, "right": 0.9})))
    before = dict(crops(window)[0].params)
    enter(qtbot, window)
    drag(qtbot, window.canvas, handle(window, "l"), handle(window, "l") + QPoint(60, 0))
    assert crops(window)[0].params != before
    qtbot.keyClick(window.canvas, Qt.Key_Escape)
    assert crops(window)[0].params == before


def test_dragging_outside_the_box_rotates(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    enter(qtbot, window)
    canvas = window.canvas
    # Shrink the box first so that there is room outside it to grab.
    drag(qtbot, canvas, handle(window, "tl"), handle(window, "tl") + QPoint(120, 80))
    box = canvas.crop_tool.screen_rect()
    centre, radius = box.center(), box.height() / 2 + 40
    start = centre + QPointF(0, radius)  # below the box
    assert canvas.crop_tool.hit(start) == "rotate" and canvas.rect().contains(start.toPoint())
    # Turn the pointer 5 degrees clockwise about the box's centre (screen y points down).
    turned = centre + radius * QPointF(math.cos(math.radians(95)), math.sin(math.radians(95)))
    labels = len(window.document.history.labels())
    drag(qtbot, canvas, start, turned)
    angle = window.document.graph.find("straighten")[0].params["angle"]
    assert 4 < angle < 6  # + turns clockwise
    assert len(window.document.history.labels()) == labels + 1  # one undo step
    wait_rendered(qtbot, window)
    assert window.canvas.crop_tool.active  # still cropping, now on the turned photo


def test_a_click_on_the_canvas_changes_nothing(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    enter(qtbot, window)
    labels = window.document.history.labels()
    box = window.canvas.crop_tool.screen_rect()
    for point in (box.center(), box.center() + QPointF(0, box.height() / 2 + 20), handle(window, "br")):
        mouse(window.canvas, QEvent.MouseButtonPress, point)
        mouse(window.canvas, QEvent.MouseButtonRelease, point)
    assert window.document.history.labels() == labels and not window.document.graph.find("straighten")


def test_closing_the_tool_under_a_drag_ends_the_drag(qtbot, window, sample):
    """Enter while a handle is held: the rest of the drag moves nothing (it raised before)."""
    open_photo(qtbot, window, sample)
    enter(qtbot, window)
    start = handle(window, "br")
    mouse(window.canvas, QEvent.MouseButtonPress, start)
    window.apply_crop()
    labels = window.document.history.labels()
    mouse(window.canvas, QEvent.MouseMove, start - QPoint(40, 30))
    mouse(window.canvas, QEvent.MouseButtonRelease, start - QPoint(40, 30))
    assert not window.canvas.crop_tool.active and window.document.history.labels() == labels


def test_level_line_makes_the_horizon_level(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    enter(qtbot, window)
    window.level_action.trigger()
    assert window.canvas.crop_tool.level
    centre = QPointF(window.canvas.rect().center())
    # A horizon that climbs 3 degrees to the right: it needs a 3 degree clockwise turn.
    half = QPointF(150, -150 * math.tan(math.radians(3)))
    drag(qtbot, window.canvas, centre - half, centre + half)
    angle = window.document.graph.find("straighten")[0].params["angle"]
    assert abs(angle - 3) < 0.01
    window.level_action.trigger()
    assert not window.canvas.crop_tool.level
    # Ctrl + drag levels too, from the angle already set: a line drawn along the turned horizon
    # (level now) changes nothing.
    drag(qtbot, window.canvas, centre - QPointF(150, 0), centre + QPointF(150, 0), modifiers=Qt.ControlModifier)
    assert abs(window.document.graph.find("straighten")[0].params["angle"] - angle) < 0.01


def test_level_angle_picks_the_nearer_of_level_and_plumb():
    assert abs(level_angle(0, QLineF(0, 0, 100, 10)) + math.degrees(math.atan(0.1))) < 1e-9
    assert abs(level_angle(2, QLineF(100, 10, 0, 0)) - (2 - math.degrees(math.atan(0.1)))) < 1e-9  # drawn leftwards
    assert abs(level_angle(0, QLineF(0, 0, 5, 100)) - math.degrees(math.atan(0.05))) < 1e-9  # nearly plumb
    assert level_angle(40, QLineF(0, 0, 100, -30)) == 45  # held to the straighten op's range


def test_shift_keeps_the_ratio_of_a_free_crop(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    enter(qtbot, window)
    tool = window.canvas.crop_tool
    start = tool.rect()
    drag(qtbot, window.canvas, handle(window, "br"), handle(window, "br") - QPoint(200, 20), modifiers=Qt.ShiftModifier)
    rect = tool.rect()
    assert rect.width() < start.width() - 100
    assert abs(rect.width() / rect.height() - start.width() / start.height()) < 0.02
    drag(qtbot, window.canvas, handle(window, "br"), handle(window, "br") - QPoint(100, 0))  # without Shift: free
    assert abs(tool.rect().width() / tool.rect().height() - start.width() / start.height()) > 0.1


def test_fixed_aspect_crop_drag_keeps_the_ratio(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    enter(qtbot, window)
    window.inspector.controls["aspect"].setCurrentText("1:1")
    wait_rendered(qtbot, window)
    start = handle(window, "tl")
    drag(qtbot, window.canvas, start, start + QPoint(40, 10))
    rect = window.canvas.crop_tool.rect()
    assert abs(rect.width() - rect.height()) <= 2


def test_choosing_a_ratio_moves_the_fields_with_the_box(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    enter(qtbot, window)
    controls = window.inspector.controls
    window.inspector.controls["aspect"].setCurrentText("1:1")
    params = crops(window)[0].params
    # The box drawn: 512 x 512 in the middle of the 768 x 512 frame; the stored edges and the
    # fields say the same.
    assert (params["left"], params["right"]) == (128 / 768, 640 / 768)
    qtbot.waitUntil(
        lambda: (
            (controls["left"].value(), controls["right"].value(), controls["top"].value(), controls["bottom"].value())
            == (128, 640, 0, 512)
        ),
        timeout=WAIT_MS,
    )
    rect = window.canvas.crop_tool.rect()
    assert (rect.left(), rect.right()) == (128, 640)
    qtbot.waitUntil(lambda: window.inspector.size_label.text() == "512 × 512 px, 1:1", timeout=WAIT_MS)


def test_fields_and_sizes_are_in_pixels(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    enter(qtbot, window)
    left = window.inspector.controls["left"]
    assert left.spin.suffix() == " px" and left.spin.maximum() == 768
    assert window.inspector.controls["bottom"].value() == 512
    assert window.canvas.crop_tool.size_text() == "768 × 512 px, 3:2"
    left.spin.setValue(168)
    assert crops(window)[0].params["left"] == 168 / 768
    qtbot.waitUntil(lambda: window.inspector.size_label.text() == "600 × 512 px, 1.17:1", timeout=WAIT_MS)
    assert window.layers.tree.topLevelItem(0).text(1) == "600 × 512 px, 1.17:1"  # not "left 0.2188"
    assert window.document.history.labels()[-1] == "Crop: left 0 px → 168 px"
    # A straighten before the crop makes its frame smaller: the fields follow it.
    window.document.apply(AddNode(make_node("straighten", {"angle": 10})))
    qtbot.waitUntil(lambda: left.spin.maximum() < 700, timeout=WAIT_MS)


def test_ratio_text_names_common_ratios():
    assert ratio_text(1200, 800) == "3:2" and ratio_text(800, 1200) == "2:3"
    assert ratio_text(1920, 1080) == "16:9" and ratio_text(500, 500) == "1:1"
    assert ratio_text(1000, 300) == "3.33:1" and ratio_text(300, 1000) == "1:3.33"


def test_whole_frame_while_cropping_and_handle_drags_are_one_step(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    enter(qtbot, window)
    start = handle(window, "br")
    drag(qtbot, window.canvas, start, start - QPoint(50, 30), start - QPoint(100, 60))
    params = crops(window)[0].params
    assert params["right"] < 1.0 and params["bottom"] < 1.0 and params["left"] == 0.0 and params["top"] == 0.0
    assert window.document.history.labels() == ["Add Crop", "Crop"]
    wait_rendered(qtbot, window)
    assert window.canvas.after.pixels.shape[1] == 768  # still the whole frame while cropping


def test_a_rotation_drag_on_an_existing_straighten_is_one_named_step(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    window.document.apply(AddNode(make_node("straighten", {"angle": 2.0})))
    enter(qtbot, window)
    canvas = window.canvas
    drag(qtbot, canvas, handle(window, "tl"), handle(window, "tl") + QPoint(120, 80))
    box = canvas.crop_tool.screen_rect()
    centre, radius = box.center(), box.height() / 2 + 40
    start = centre + QPointF(0, radius)
    points = [centre + radius * QPointF(math.cos(math.radians(a)), math.sin(math.radians(a))) for a in (92, 94, 96)]
    labels = window.document.history.labels()
    drag(qtbot, canvas, start, *points)  # three moves while held, then let go
    assert window.document.history.labels()[:-1] == labels  # one undo step, and the next drag is another
    assert window.document.history.labels()[-1].startswith("Straighten +2.0° → +8.0°")
    drag(qtbot, canvas, start, points[0])
    assert len(window.document.history.labels()) == len(labels) + 2
