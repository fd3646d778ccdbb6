"""Masks in the window (issue 14): the inspector's mask section, the canvas's handles, brush, picker
and overlay, the layers panel's mark, undo, saving, and masks staying on the photo under a crop."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QColor, QMouseEvent
from PySide6.QtWidgets import QApplication

from iea_desktop.core.document import Document
from iea_desktop.core.graph import make_node
from iea_desktop.core.history import AddNode, SetNodeMask
from iea_desktop.core.masks import Area, Brush, Linear, LuminanceRange, Mask, Radial
from iea_desktop.core.render import Renderer, RenderRequest
from iea_desktop.ui.mask_tool import mask_plane, photo_transform
from uihelpers import open_photo, wait_rendered


def mouse(widget, kind, point, modifiers=Qt.NoModifier) -> None:
    point = QPointF(point)
    button = Qt.NoButton if kind == QEvent.MouseMove else Qt.LeftButton
    buttons = Qt.NoButton if kind == QEvent.MouseButtonRelease else Qt.LeftButton
    QApplication.sendEvent(widget, QMouseEvent(kind, point, widget.mapToGlobal(point), button, buttons, modifiers))


def drag(canvas, *points, modifiers=Qt.NoModifier) -> None:
    mouse(canvas, QEvent.MouseButtonPress, points[0], modifiers)
    for point in points[1:]:
        mouse(canvas, QEvent.MouseMove, point, modifiers)
    mouse(canvas, QEvent.MouseButtonRelease, points[-1], modifiers)


def masked_exposure(qtbot, window, sample, kind: str | None = None):
    """The sample open, an exposure node (+60) selected, and (``kind``) a mask component added from
    the inspector's Add mask menu. Returns the node's id."""
    open_photo(qtbot, window, sample)
    node = make_node("exposure", {"value": 60})
    window.document.apply(AddNode(node))
    window.layers.select(node.id)
    wait_rendered(qtbot, window)
    if kind is not None:
        panel = window.inspector.mask_panel
        action = next(a for a in panel.add_menu.actions() if a.objectName() == kind)
        action.trigger()
        wait_rendered(qtbot, window)
    return node.id


def mask_of(window, node_id) -> Mask | None:
    return window.document.graph.get(node_id).mask


def changed(window) -> np.ndarray:
    """Where the shown frame differs from the photo without edits (per pixel, levels)."""
    after = window.canvas.after.pixels.astype(np.int16)
    before = window.canvas.before.pixels.astype(np.int16)
    return np.abs(after - before).max(axis=2)


def test_a_radial_added_from_the_inspector_limits_the_edit_to_it(qtbot, window, sample):
    node_id = masked_exposure(qtbot, window, sample, "radial")
    mask = mask_of(window, node_id)
    assert mask is not None and isinstance(mask.components[0], Radial)
    diff = changed(window)
    h, w = diff.shape
    assert diff[h // 2 - 5 : h // 2 + 5, w // 2 - 5 : w // 2 + 5].min() > 10  # brighter in the middle
    for corner in (diff[:20, :20], diff[:20, -20:], diff[-20:, :20], diff[-20:, -20:]):
        assert corner.max() <= 1  # untouched outside the ellipse
    assert window.canvas.mask_tool.active
    window.document.history.undo()
    wait_rendered(qtbot, window)
    assert mask_of(window, node_id) is None and changed(window)[:20, :20].min() > 10  # the whole photo again


def test_dragging_a_gradient_handle_is_one_undo_step(qtbot, window, sample):
    node_id = masked_exposure(qtbot, window, sample, "linear")
    tool = window.canvas.mask_tool
    before = mask_of(window, node_id)
    position = window.document.history.position
    end = tool.handles()["end"]
    drag(window.canvas, end, end + QPointF(20, 10), end + QPointF(60, 40), end + QPointF(80, 60))
    gradient = mask_of(window, node_id).components[0]
    assert isinstance(gradient, Linear) and gradient.start == before.components[0].start
    assert gradient.end[0] > before.components[0].end[0] and gradient.end[1] > before.components[0].end[1]
    assert window.document.history.position == position + 1
    window.document.history.undo()
    assert mask_of(window, node_id) == before


def test_a_brush_stroke_is_one_stroke_and_one_undo_step_and_alt_erases(qtbot, window, sample):
    node_id = masked_exposure(qtbot, window, sample, "brush")
    canvas = window.canvas
    rect = canvas.image_rect_on_screen()
    y = rect.center().y()
    points = [QPointF(rect.left() + rect.width() * f, y) for f in (0.2, 0.35, 0.5, 0.65, 0.8)]
    position = window.document.history.position
    drag(canvas, *points)
    brush = mask_of(window, node_id).components[0]
    assert isinstance(brush, Brush) and len(brush.strokes) == 1
    assert len(brush.strokes[0].points) >= 4 and not brush.strokes[0].erase
    assert window.document.history.position == position + 1
    wait_rendered(qtbot, window)
    diff = changed(window)
    row = round((y - rect.top()) / rect.height() * diff.shape[0])
    middle = diff.shape[1] // 2
    assert diff[row, middle] > 10 and diff[:10].max() <= 1  # painted along the stroke only
    # Alt + drag: an erase stroke over the middle, one more undo step
    drag(canvas, points[1], points[2], points[3], modifiers=Qt.AltModifier)
    brush = mask_of(window, node_id).components[0]
    assert len(brush.strokes) == 2 and brush.strokes[1].erase
    assert window.document.history.position == position + 2
    wait_rendered(qtbot, window)
    assert changed(window)[row, middle] <= 2
    window.document.history.undo()
    window.document.history.undo()
    assert mask_of(window, node_id).components[0].strokes == ()


def test_the_panels_erase_makes_strokes_erase_without_alt(qtbot, window, sample):
    """For window managers that take Alt + drag for themselves: the panel's Erase; Alt then paints."""
    node_id = masked_exposure(qtbot, window, sample, "brush")
    canvas, panel = window.canvas, window.inspector.mask_panel
    rect = canvas.image_rect_on_screen()
    points = [QPointF(rect.left() + rect.width() * f, rect.center().y()) for f in (0.3, 0.5, 0.7)]
    drag(canvas, *points)
    panel.erase.setChecked(True)
    assert canvas.mask_tool.erasing
    drag(canvas, *points)
    drag(canvas, *points, modifiers=Qt.AltModifier)  # the other way, for this stroke
    assert [s.erase for s in mask_of(window, node_id).components[0].strokes] == [False, True, False]
    panel.erase.setChecked(False)
    drag(canvas, *points)
    assert not mask_of(window, node_id).components[0].strokes[-1].erase


def test_brackets_change_the_brush_size_and_o_toggles_the_overlay(qtbot, window, sample):
    masked_exposure(qtbot, window, sample, "brush")
    tool = window.canvas.mask_tool
    window.canvas.setFocus()
    size = tool.radius
    qtbot.keyClick(window.canvas, Qt.Key_BracketRight)
    assert tool.radius > size
    qtbot.keyClick(window.canvas, Qt.Key_BracketLeft)
    qtbot.keyClick(window.canvas, Qt.Key_BracketLeft)
    assert tool.radius < size
    assert window.inspector.mask_panel._numbers["size"].value() == pytest.approx(tool.radius * 100, abs=0.1)
    qtbot.keyClick(window.canvas, Qt.Key_O)
    assert tool.overlay and window.inspector.mask_panel.overlay.isChecked()
    qtbot.waitUntil(lambda: tool.overlay_pixels is not None, timeout=15000)
    qtbot.keyClick(window.canvas, Qt.Key_O)
    assert not tool.overlay and tool.overlay_pixels is None


def test_the_overlay_shows_the_mask_where_it_acts(qtbot, window, sample):
    masked_exposure(qtbot, window, sample, "radial")
    tool = window.canvas.mask_tool
    tool.set_overlay(True)
    qtbot.waitUntil(lambda: tool.overlay_pixels is not None, timeout=15000)
    image = tool.overlay_pixels
    assert (image.width(), image.height()) == window.canvas.after.pixels.shape[1::-1]
    assert image.pixelColor(image.width() // 2, image.height() // 2).alpha() > 100
    assert image.pixelColor(2, 2).alpha() == 0


def test_the_picker_centres_a_brightness_range_on_the_clicked_pixel(qtbot, window, sample):
    node_id = masked_exposure(qtbot, window, sample, "luminance")
    canvas = window.canvas
    before = canvas.before
    luma = before.pixels.astype(np.float32) @ np.array([0.2126, 0.7152, 0.0722], np.float32) / 255
    luma = cv2.blur(luma, (3, 3))  # the picker reads a 3 x 3 patch
    for pick in (np.argmin(np.abs(luma - 0.5)), np.argmax(luma)):  # a mid-grey pixel, then the brightest
        y, x = np.unravel_index(pick, luma.shape)
        drag(canvas, canvas.to_screen(QPointF((x + 0.5) / before.scale, (y + 0.5) / before.scale)))
        picked = mask_of(window, node_id).components[0]
        assert isinstance(picked, LuminanceRange) and picked.high - picked.low == pytest.approx(0.3, abs=0.002)
        assert picked.low <= luma[y, x] <= picked.high
    assert (picked.low + picked.high) / 2 > 0.8  # the brightest: the range stays within 0..1
    mid = luma[np.unravel_index(np.argmin(np.abs(luma - 0.5)), luma.shape)]
    window.document.history.undo()
    picked = mask_of(window, node_id).components[0]
    assert (picked.low + picked.high) / 2 == pytest.approx(mid, abs=0.02)  # the mid-grey pick, centred


def test_the_layers_panel_marks_the_masked_node(qtbot, window, sample):
    node_id = masked_exposure(qtbot, window, sample, "radial")
    item = window.layers.tree.topLevelItem(window.document.graph.index_of(node_id))
    assert "◐ radial" in item.text(0)
    assert "Acts on: radial" in item.toolTip(0)
    window.inspector.mask_panel.remove()
    window.layers.refresh()
    assert "◐" not in item.text(0) and "Acts on the whole photo" in item.toolTip(0)
    window.document.apply(SetNodeMask(node_id, Mask(components=(Area(area="sky"),))))
    window.layers.refresh()
    assert "◐ on the sky" in item.text(0) and "Acts on the sky" in item.toolTip(0)  # as the assistant says it


def test_mask_sliders_are_one_undo_step_per_drag(qtbot, window, sample):
    node_id = masked_exposure(qtbot, window, sample, "radial")
    panel = window.inspector.mask_panel
    position = window.document.history.position
    slider = panel.density.slider
    slider.setSliderDown(True)
    panel.density.pressed.emit()
    for value in (90, 70, 50):
        slider.setValue(value)
    slider.setSliderDown(False)
    panel.density.released.emit()
    assert mask_of(window, node_id).density == pytest.approx(0.5)
    assert window.document.history.position == position + 1
    panel.invert_mask.setChecked(True)
    assert mask_of(window, node_id).invert and window.document.history.position == position + 2


def test_masks_survive_saving_and_reopening(qtbot, window, sample):
    node_id = masked_exposure(qtbot, window, sample, "radial")
    window.inspector.mask_panel.add("brush")
    centre = window.canvas.image_rect_on_screen().center()
    drag(window.canvas, centre, centre + QPointF(40, 20))
    mask = mask_of(window, node_id)
    assert len(mask.components) == 2 and len(mask.components[1].strokes) == 1
    assert window.save()
    reopened = Document.open(sample)
    assert reopened.graph.get(node_id).mask == mask


def test_a_crop_after_masking_keeps_the_mask_on_the_same_photo_content(qtbot, window, sample):
    node_id = masked_exposure(qtbot, window, sample)
    spot = Radial(centre=(0.7, 0.4), radii=(0.08, 0.12), feather=0.2)
    window.document.apply(SetNodeMask(node_id, Mask(components=(spot,))))
    wait_rendered(qtbot, window)

    def centroid() -> tuple[float, float]:  # of the brightened area, in image space
        diff = changed(window) > 10
        ys, xs = np.nonzero(diff)
        scale = window.canvas.after.scale
        return xs.mean() / scale, ys.mean() / scale

    x0, y0 = centroid()
    window.document.apply(AddNode(make_node("crop", {"left": 0.3, "top": 0.1})))
    window.layers.select(node_id)
    wait_rendered(qtbot, window)
    x1, y1 = centroid()
    w, h = window.document.info.width, window.document.info.height
    assert x1 == pytest.approx(x0 - 0.3 * w, abs=3) and y1 == pytest.approx(y0 - 0.1 * h, abs=3)
    centre = window.canvas.to_image(window.canvas.mask_tool.handles()["centre"])  # the handle follows
    assert centre.x() == pytest.approx(x1, abs=3) and centre.y() == pytest.approx(y1, abs=3)


@pytest.mark.parametrize(
    "geometry",
    [
        [("rotate", {"turns": 1})],
        [("flip", {"horizontal": True, "vertical": True})],
        [("straighten", {"angle": 12.0}), ("crop", {"left": 0.1, "top": 0.2, "right": 0.8})],
        [("rotate", {"turns": 3}), ("flip", {"horizontal": True}), ("straighten", {"angle": -7.5})],
    ],
)
def test_photo_transform_moves_points_as_the_geometry_ops_move_pixels(geometry):
    """A bright dot rendered through the geometry lands where photo_transform puts its centre."""
    width, height = 300, 200
    photo = np.zeros((height, width, 3), np.float32)
    x, y = 160, 110
    photo[y - 2 : y + 3, x - 2 : x + 3] = 1.0
    nodes = [make_node(op, params) for op, params in geometry]
    out = Renderer().run(RenderRequest(nodes=nodes, source=photo, source_key="dot", cached=False))
    transform, size = photo_transform(nodes, width, height)
    assert size == (out.shape[1], out.shape[0])
    weights = out[..., 0]
    ys, xs = np.mgrid[: out.shape[0], : out.shape[1]]
    found = ((weights * (xs + 0.5)).sum() / weights.sum(), (weights * (ys + 0.5)).sum() / weights.sum())
    expected = transform.map(QPointF(x + 0.5, y + 0.5))
    assert found == pytest.approx((expected.x(), expected.y()), abs=0.75)


def test_the_mask_plane_of_the_overlay_is_the_renderers(qtbot, window, sample):
    node_id = masked_exposure(qtbot, window, sample, "radial")
    doc = window.document
    plane = mask_plane(doc, list(doc.graph.nodes), node_id)
    assert plane.shape == window.canvas.after.pixels.shape[:2]
    assert plane[plane.shape[0] // 2, plane.shape[1] // 2] == pytest.approx(1.0) and plane[0, 0] == 0.0


def test_radial_handles_resize_and_turn_it_one_undo_step_each(qtbot, window, sample):
    node_id = masked_exposure(qtbot, window, sample, "radial")
    tool = window.canvas.mask_tool
    start = mask_of(window, node_id).components[0]
    position = window.document.history.position
    rx = tool.handles()["rx"]
    drag(window.canvas, rx, rx + QPointF(15, 0), rx + QPointF(40, 0))
    grown = mask_of(window, node_id).components[0]
    assert grown.radii[0] > start.radii[0] and grown.radii[1] == start.radii[1] and grown.centre == start.centre
    centre, turn = tool.handles()["centre"], tool.handles()["angle"]  # the turn handle: left of the centre
    radius = centre.x() - turn.x()
    drag(window.canvas, turn, centre + QPointF(-radius * 0.7, -radius * 0.7), centre + QPointF(0, -radius))
    turned = mask_of(window, node_id).components[0]
    assert turned.angle == pytest.approx(90, abs=1) and turned.radii == grown.radii  # its first axis now vertical
    assert window.document.history.position == position + 2
    window.document.history.undo()
    assert mask_of(window, node_id).components[0] == grown


def test_the_mask_section_says_when_the_photo_has_no_such_area(qtbot, window, sample, monkeypatch):
    from iea_desktop.core.masks import areas

    found = {"sky": None, "subject": np.ones((4, 4), np.float32)}
    monkeypatch.setattr(areas, "find", lambda area, photo: found[area])
    masked_exposure(qtbot, window, sample, "sky")
    panel = window.inspector.mask_panel
    qtbot.waitUntil(lambda: "No sky found in this photo" in panel.hint.text(), timeout=15000)
    panel.add("subject")
    qtbot.waitUntil(lambda: any(area == "subject" for _, area in panel._found), timeout=15000)
    assert "No subject" not in panel.hint.text() and "Found in the photo" in panel.hint.text()


def test_the_picker_sets_a_colour_range_to_the_clicked_hue(qtbot, window, sample):
    node_id = masked_exposure(qtbot, window, sample, "colour")
    canvas = window.canvas
    before = canvas.before
    rgb = before.pixels.astype(np.int16)
    reds = (rgb[..., 0] > 150) & (rgb[..., 1] < 60) & (rgb[..., 2] < 60)  # the red parrot
    reds = cv2.erode(reds.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    y, x = np.argwhere(reds)[len(np.argwhere(reds)) // 2]
    drag(canvas, canvas.to_screen(QPointF((x + 0.5) / before.scale, (y + 0.5) / before.scale)))
    hue = mask_of(window, node_id).components[0].hue
    assert min(hue, 360 - hue) < 20  # red, where the default was green (120)
    wait_rendered(qtbot, window)
    assert changed(window)[y, x] > 10  # and the red parrot is now where the node acts


def test_the_canvas_edits_the_component_selected_in_the_mask_section(qtbot, window, sample):
    node_id = masked_exposure(qtbot, window, sample, "radial")
    panel, tool = window.inspector.mask_panel, window.canvas.mask_tool
    panel.add("linear")
    wait_rendered(qtbot, window)
    assert panel.components.currentRow() == 1 and isinstance(tool.edited(), Linear)
    panel.components.setCurrentRow(0)
    assert isinstance(tool.edited(), Radial) and set(tool.handles()) == {"centre", "rx", "ry", "angle"}
    panel.components.setCurrentRow(1)
    window._turn_running(True)  # an assistant's turn rests the tool; after it, the same component is edited
    window._turn_running(False)
    assert tool.component == panel.component == 1 and isinstance(tool.edited(), Linear)
    assert mask_of(window, node_id).components[1] == tool.edited()


def test_frames_during_a_stroke_leave_the_histogram_for_its_end(qtbot, window, sample):
    masked_exposure(qtbot, window, sample, "brush")
    canvas, pipeline = window.canvas, window.pipeline
    results = []
    pipeline.preview_ready.connect(results.append)
    rect = canvas.image_rect_on_screen()
    y = rect.center().y()
    mouse(canvas, QEvent.MouseButtonPress, QPointF(rect.left() + rect.width() * 0.2, y))
    assert pipeline.painting
    for f in (0.3, 0.4, 0.5):
        mouse(canvas, QEvent.MouseMove, QPointF(rect.left() + rect.width() * f, y))
        qtbot.waitUntil(lambda: not pipeline.busy, timeout=10_000)
    assert results and all(r.histogram is None for r in results)
    mouse(canvas, QEvent.MouseButtonRelease, QPointF(rect.left() + rect.width() * 0.5, y))
    assert not pipeline.painting
    wait_rendered(qtbot, window)
    qtbot.waitUntil(lambda: results[-1].histogram is not None, timeout=10_000)


def test_the_overlay_tints_only_the_edited_half_of_the_split_view(qtbot, window, sample):
    masked_exposure(qtbot, window, sample, "radial")
    tool, canvas = window.canvas.mask_tool, window.canvas
    tool.set_overlay(True)
    qtbot.waitUntil(lambda: tool.overlay_pixels is not None, timeout=15000)
    window.set_compare(True)
    canvas.split = 0.5
    middle = canvas.image_rect_on_screen().center()

    def pixel(dx: float) -> QColor:
        return canvas.grab().toImage().pixelColor(int(middle.x() + dx), int(middle.y()))

    tinted_after = pixel(20)
    tool.set_overlay(False)
    qtbot.waitUntil(lambda: tool.overlay_pixels is None, timeout=5000)
    plain_before, plain_after = pixel(-20), pixel(20)
    tool.set_overlay(True)
    qtbot.waitUntil(lambda: tool.overlay_pixels is not None, timeout=15000)
    assert tinted_after != plain_after  # the overlay shows on the edited half (the radial's middle)
    assert pixel(-20) == plain_before  # and not on the before half
