"""The tone curve editor: drag, add and remove points, channels, presets; in the inspector, one
undo step per drag."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from iea_desktop.core.ops import tone_curve
from iea_desktop.ui.curve_widget import CurveWidget
from uihelpers import WAIT_MS, open_photo, shown_pixels, wait_rendered


def screen(widget: CurveWidget, x: float, y: float) -> QPoint:
    return widget.plot.to_screen(x, y).toPoint()


def drag(widget: CurveWidget, start: tuple, *through: tuple) -> None:
    """Press at curve coordinates ``start``, move through the others, release at the last."""
    plot = widget.plot
    QTest.mousePress(plot, Qt.LeftButton, Qt.NoModifier, screen(widget, *start))
    for point in through:
        QTest.mouseMove(plot, screen(widget, *point))
    QTest.mouseRelease(plot, Qt.LeftButton, Qt.NoModifier, screen(widget, *(through or (start,))[-1]))


def make(qtbot) -> tuple[CurveWidget, list]:
    widget = CurveWidget()
    qtbot.addWidget(widget)
    widget.resize(300, 330)
    widget.show()
    qtbot.waitExposed(widget)
    events: list = []
    widget.pressed.connect(lambda name: events.append(("pressed", name)))
    widget.edited.connect(lambda name, points, held: events.append(("edited", name, points, held)))
    widget.released.connect(lambda: events.append(("released",)))
    return widget, events


def test_click_adds_a_point_and_dragging_it_moves_it_between_its_neighbours(qtbot):
    widget, events = make(qtbot)
    drag(widget, (128, 100), (128, 150), (300, 180))  # past the right end: held before the last point
    points = widget.plot.curves["rgb"]
    assert len(points) == 3 and points[0] == (0.0, 0.0) and points[-1] == (255.0, 255.0)
    x, y = points[1]
    assert x == 254.0 and abs(y - 180) <= 2
    assert events[0] == ("pressed", "rgb") and events[-1] == ("released",)
    edits = [e for e in events if e[0] == "edited"]
    assert len(edits) >= 3 and all(e[3] for e in edits)  # all held: one gesture
    assert edits[-1][2] == points


def test_an_end_point_moves_and_double_click_or_right_click_removes_a_middle_one(qtbot):
    widget, events = make(qtbot)
    widget.set_curve("rgb", [[0, 0], [64, 40], [192, 220], [255, 255]])
    drag(widget, (0, 0), (0, 30))
    assert widget.plot.curves["rgb"][0][0] == 0 and abs(widget.plot.curves["rgb"][0][1] - 30) <= 2
    QTest.mouseDClick(widget.plot, Qt.LeftButton, Qt.NoModifier, screen(widget, 64, 40))
    assert [p[0] for p in widget.plot.curves["rgb"]] == [0.0, 192.0, 255.0]
    QTest.mouseClick(widget.plot, Qt.RightButton, Qt.NoModifier, screen(widget, 192, 220))
    assert [p[0] for p in widget.plot.curves["rgb"]] == [0.0, 255.0]
    QTest.mouseClick(widget.plot, Qt.RightButton, Qt.NoModifier, screen(widget, 255, 255))
    assert len(widget.plot.curves["rgb"]) == 2  # the ends stay
    removals = [e for e in events if e[0] == "edited" and not e[3]]
    assert len(removals) == 2


def test_at_most_sixteen_points(qtbot):
    widget, _ = make(qtbot)
    for x in range(10, 250, 10):
        QTest.mouseClick(widget.plot, Qt.LeftButton, Qt.NoModifier, screen(widget, x, x))
    assert len(widget.plot.curves["rgb"]) == 16


def test_channels_are_edited_apart_and_presets_set_the_rgb_curve(qtbot):
    widget, events = make(qtbot)
    widget.channel_box.setCurrentIndex(widget.channel_box.findData("blue"))
    drag(widget, (128, 128), (128, 90))
    assert widget.plot.curves["rgb"] == tone_curve.LINEAR
    assert len(widget.plot.curves["blue"]) == 3
    assert {e[1] for e in events if e[0] == "edited"} == {"blue"}
    strong = next(a for a in widget.preset_menu.actions() if a.text() == "Strong contrast")
    strong.trigger()
    assert widget.plot.channel == "rgb" and widget.plot.curves["rgb"] == tone_curve.PRESETS["Strong contrast"]
    assert events[-1] == ("edited", "rgb", tone_curve.PRESETS["Strong contrast"], False)
    widget.grab()  # paints every curve without error
    widget.show_channel("blue")
    widget.straighten_action.trigger()
    assert widget.plot.curves["blue"] == tone_curve.LINEAR
    assert widget.plot.curves["rgb"] == tone_curve.PRESETS["Strong contrast"]
    assert events[-1] == ("edited", "blue", tone_curve.LINEAR, False)


def test_in_the_window_a_drag_is_one_undo_step_and_changes_the_picture(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    original = shown_pixels(window)
    action = next(a for a in window.layers.add_menu.actions() if a.data() == "tone_curve")
    action.trigger()
    qtbot.waitUntil(lambda: window.document.graph.find("tone_curve")
                    and window.inspector.node_id == window.document.graph.find("tone_curve")[0].id, timeout=WAIT_MS)
    widget = window.inspector.controls["rgb"]
    assert isinstance(widget, CurveWidget) and window.inspector.controls["blue"] is widget
    window.inspector._scroll.ensureWidgetVisible(widget)
    qtbot.waitExposed(widget)
    drag(widget, (128, 128), (128, 150), (128, 175), (128, 190))
    wait_rendered(qtbot, window)
    node = window.document.graph.find("tone_curve")[0]
    assert len(node.params["rgb"]) == 3 and node.params["rgb"][1][1] > 170
    labels = window.document.history.labels()
    assert labels == ["Add Tone curve", "Tone curve: rgb straight → 3 points"]
    assert shown_pixels(window).mean() > original.mean() + 5
    window.undo_action.trigger()
    wait_rendered(qtbot, window)
    assert window.document.graph.find("tone_curve")[0].params["rgb"] == tone_curve.LINEAR
    qtbot.waitUntil(lambda: widget.plot.curves["rgb"] == tone_curve.LINEAR, timeout=WAIT_MS)
    assert np.abs(shown_pixels(window) - original).max() <= 1
    next(a for a in widget.preset_menu.actions() if a.text() == "Medium contrast").trigger()
    window.inspector.gesture.end()
    assert window.document.graph.find("tone_curve")[0].params["rgb"] == tone_curve.PRESETS["Medium contrast"]
    assert window.document.history.labels()[-1] == "Tone curve: rgb straight → 6 points"
    qtbot.waitUntil(lambda: window.layers.tree.topLevelItem(0).text(1) == "rgb 6 points", timeout=WAIT_MS)
