"""The canvas and histogram: zoom at the cursor, Fit/100%, full-resolution detail, before/after, clipping."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

from iea_desktop.core.graph import make_node
from iea_desktop.core.histogram import clipping_mask, compute
from iea_desktop.core.history import AddNode
from iea_desktop.core.render import RenderRequest
from uihelpers import WAIT_MS, open_photo, wait_rendered


def test_histogram_counts_channels_luma_and_clipping():
    image = np.zeros((10, 10, 3), dtype=np.uint8)
    image[:5] = (255, 255, 255)  # half white
    image[5:, :5] = (255, 0, 0)  # red: clips a channel
    hist = compute(image)
    assert hist.red[255] == 75 and hist.green[255] == 50 and hist.blue[0] == 50
    assert hist.luma[255] == 50 and hist.luma.sum() == 100
    assert hist.clip_highlights == 0.75
    assert hist.clip_shadows == 0.25
    mask = clipping_mask(image)
    assert mask[0, 0, 0] == 255 and mask[9, 9, 2] == 255 and mask[9, 9, 3] > 0


def test_fit_100_and_zoom_keys(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    canvas = window.canvas
    assert canvas.fit_mode and window.zoom_label.text().startswith("Fit")
    window.actual_action.trigger()
    assert canvas.zoom == 1.0 and window.zoom_label.text() == "100%"
    window.zoom_in_action.trigger()
    assert canvas.zoom == 2.0
    window.zoom_out_action.trigger()
    window.zoom_out_action.trigger()
    assert canvas.zoom < 1.0
    window.fit_action.trigger()
    assert canvas.fit_mode


def test_wheel_zooms_at_the_cursor(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    canvas = window.canvas
    window.actual_action.trigger()
    anchor = QPointF(canvas.width() * 0.3, canvas.height() * 0.4)
    under = canvas.to_image(anchor)
    canvas.set_zoom(canvas.zoom * 2, anchor)
    after = canvas.to_image(anchor)
    assert abs(after.x() - under.x()) < 1 and abs(after.y() - under.y()) < 1


def test_drag_pans_when_zoomed_in(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    canvas = window.canvas
    canvas.set_zoom(4.0)
    before = QPointF(canvas.center)
    middle = canvas.rect().center()
    qtbot.mousePress(canvas, Qt.LeftButton, pos=middle)
    qtbot.mouseMove(canvas, middle + QPoint(80, 40))
    qtbot.mouseRelease(canvas, Qt.LeftButton, pos=middle + QPoint(80, 40))
    assert canvas.center.x() < before.x() - 10 and canvas.center.y() < before.y() - 5


def full_rows(window, top: int, bottom: int) -> np.ndarray:
    """Rows of the whole full-resolution render of the graph, as the export makes it."""
    doc = window.document
    source = doc.full_source()
    whole = doc.render(RenderRequest(nodes=doc.graph.nodes, source=source, source_key="full", scale=1.0, cached=False,
                                     dtype=np.uint8, pipe="export"))
    return whole[top:bottom]


def test_zooming_past_the_preview_renders_the_rows_on_screen(qtbot, window, make_photo):
    big = make_photo("big.png", height=1500, width=2400)
    open_photo(qtbot, window, big)
    canvas = window.canvas
    assert canvas.after.scale < 1.0  # the preview proxy
    window.actual_action.trigger()
    assert canvas.needs_detail
    qtbot.waitUntil(lambda: canvas.detail is not None, timeout=WAIT_MS)
    detail = canvas.detail
    top, bottom = detail.rows
    assert detail.scale == 1.0 and detail.pixels.shape[1] == 2400 and detail.full_height == 1500
    assert bottom - top < 1500 and canvas.detail_covers(canvas.visible_rows(margin=0))  # only what is on screen
    assert np.array_equal(detail.pixels, full_rows(window, top, bottom))
    window.document.apply(AddNode(make_node("exposure", {"value": 50})))
    wait_rendered(qtbot, window)
    qtbot.waitUntil(lambda: canvas.detail.revision == canvas.after.revision, timeout=WAIT_MS)
    assert np.array_equal(canvas.detail.pixels, full_rows(window, *canvas.detail.rows))
    # Panned to the bottom: the rows there are rendered.
    canvas.set_zoom(1.0)
    canvas.center = QPointF(canvas.center.x(), 1500)
    canvas._clamp()
    canvas.view_changed.emit()
    qtbot.waitUntil(lambda: canvas.detail.rows[1] == 1500, timeout=WAIT_MS)
    assert canvas.detail_covers(canvas.visible_rows(margin=0))


def test_detail_rows_after_geometry_match_the_export(qtbot, window, make_photo):
    big = make_photo("big.png", height=1500, width=2400)
    open_photo(qtbot, window, big)
    window.document.apply(AddNode(make_node("straighten", {"angle": 4})))
    window.document.apply(AddNode(make_node("crop", {"left": 0.1, "top": 0.2, "right": 0.8, "bottom": 0.9})))
    window.document.apply(AddNode(make_node("vignette", {"value": 60})))
    window.document.apply(AddNode(make_node("sharpness", {"value": 40})))
    wait_rendered(qtbot, window)
    window.actual_action.trigger()
    canvas = window.canvas
    qtbot.waitUntil(lambda: canvas.detail is not None and canvas.detail.revision == canvas.after.revision,
                    timeout=WAIT_MS)
    assert np.array_equal(canvas.detail.pixels, full_rows(window, *canvas.detail.rows))
    kept = window.pipeline._geometry._image
    assert kept is not None and kept.shape[:2] == (canvas.detail.full_height, canvas.detail.pixels.shape[1])
    window.document.apply(AddNode(make_node("saturation", {"value": 30})))  # a slider step: the geometry is kept
    qtbot.waitUntil(lambda: canvas.detail.revision == window.pipeline.revision, timeout=WAIT_MS)
    assert window.pipeline._geometry._image is kept
    assert np.array_equal(canvas.detail.pixels, full_rows(window, *canvas.detail.rows))
    window.fit_action.trigger()  # back to the whole photo: the kept geometry goes
    assert window.pipeline._geometry._image is None


def test_before_after_split_and_held_key(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    window.document.apply(AddNode(make_node("saturation", {"value": -100})))
    wait_rendered(qtbot, window)
    canvas = window.canvas
    assert canvas.before is not None
    assert not np.array_equal(canvas.before.pixels, canvas.after.pixels)
    window.compare_action.trigger()
    assert canvas.compare
    image = canvas.grab().toImage()
    row = canvas.height() // 2

    def saturation(x0: float, x1: float) -> float:
        xs = range(int(canvas.width() * x0), int(canvas.width() * x1), 3)
        return float(np.mean([image.pixelColor(x, row).hsvSaturation() for x in xs]))

    assert saturation(0.2, 0.45) > 40 and saturation(0.55, 0.8) < 5  # colour before, grey after
    canvas.setFocus()
    qtbot.keyPress(canvas, Qt.Key_Backslash)  # a tap toggles the original on ...
    assert canvas.show_before
    qtbot.keyRelease(canvas, Qt.Key_Backslash)
    assert canvas.show_before and window.before_action.isChecked()
    qtbot.keyClick(canvas, Qt.Key_Backslash)  # ... and off
    assert not canvas.show_before
    qtbot.keyPress(canvas, Qt.Key_Backslash)  # held (the key repeats): only while held
    QApplication.sendEvent(canvas, QKeyEvent(QEvent.KeyPress, Qt.Key_Backslash, Qt.NoModifier, "\\", True))
    assert canvas.show_before
    qtbot.keyRelease(canvas, Qt.Key_Backslash)
    assert not canvas.show_before


def test_split_divider_drags(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    window.set_compare(True)
    canvas = window.canvas
    start = QPoint(int(canvas.width() * canvas.split), canvas.height() // 2)
    qtbot.mousePress(canvas, Qt.LeftButton, pos=start)
    qtbot.mouseMove(canvas, start - QPoint(100, 0))
    qtbot.mouseRelease(canvas, Qt.LeftButton, pos=start - QPoint(100, 0))
    assert abs(canvas.split - (start.x() - 100) / canvas.width()) < 0.01


def test_clipping_overlay_follows_the_toggle(qtbot, window, sample):
    open_photo(qtbot, window, sample)
    window.document.apply(AddNode(make_node("exposure", {"value": 100})))
    wait_rendered(qtbot, window)
    assert window.histogram.histogram.clip_highlights > 0.001
    assert window.canvas.clipping is None
    window.clipping_action.trigger()
    wait_rendered(qtbot, window)
    assert window.canvas.clipping is not None
    window.clipping_action.trigger()
    wait_rendered(qtbot, window)
    assert window.canvas.clipping is None
