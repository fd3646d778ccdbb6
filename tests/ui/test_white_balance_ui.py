"""White balance in the window: its sliders, presets (Auto among them) and the eyedropper on the canvas."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPointF, Qt

from iea_desktop.core import colour_science as cs
from iea_desktop.core import white_balance as wb
from iea_desktop.core.ops.white_balance import matrix
from uihelpers import WAIT_MS, open_photo, shown_pixels, wait_rendered

CARD = (slice(40, 120), slice(200, 280))  # rows, columns of the grey card
CARD_CENTRE = (240, 80)  # x, y


@pytest.fixture
def cast_photo(tmp_path):
    """A 320 x 240 PNG: saturated colour blocks and a light grey card, seen under a 3200 K light."""
    import cv2

    rng = np.random.default_rng(3)
    hsv = np.stack([rng.uniform(0, 360, (3, 4)), rng.uniform(0.6, 1, (3, 4)), rng.uniform(0.3, 0.8, (3, 4))], -1)
    colours = cs.srgb_to_linear(cv2.cvtColor(hsv.astype(np.float32), cv2.COLOR_HSV2RGB))
    ys, xs = np.mgrid[0:240, 0:320]
    linear = colours[ys // 80, xs // 80]
    linear[CARD] = 0.45
    cast = np.linalg.inv(matrix(3200, 0).astype(np.float64))
    encoded = cs.linear_to_srgb(np.clip(linear @ cast.T, 0, 1))
    path = tmp_path / "cast.png"
    Image.fromarray(np.rint(encoded * 255).astype(np.uint8)).save(path)
    return path


def card_spread(window) -> float:
    mean = shown_pixels(window)[CARD].reshape(-1, 3).mean(axis=0)
    return float(mean.max() - mean.min())


def add_white_balance(qtbot, window) -> str:
    action = next(a for a in window.layers.add_menu.actions() if a.data() == "white_balance")
    action.trigger()
    qtbot.waitUntil(lambda: window.document.graph.find("white_balance")
                    and window.inspector.node_id == window.document.graph.find("white_balance")[0].id, timeout=WAIT_MS)
    wait_rendered(qtbot, window)
    return window.document.graph.find("white_balance")[0].id


def params(window, node_id):
    node = window.document.graph.get(node_id)
    return node.params["temperature"], node.params["tint"]


def test_sliders_and_presets(qtbot, window, cast_photo):
    open_photo(qtbot, window, cast_photo)
    node_id = add_white_balance(qtbot, window)
    inspector = window.inspector
    assert {"temperature", "tint"} <= set(inspector.controls)
    controls = inspector.white_balance
    assert controls is not None and controls.presets.currentText() == "As shot"
    before = card_spread(window)
    assert before > 20  # the cast shows

    controls.presets.activated.emit(controls.presets.findText("Tungsten"))
    wait_rendered(qtbot, window)
    assert params(window, node_id) == (2850, 0)
    assert controls.presets.currentText() == "Tungsten"
    assert window.document.history.labels()[-1] == "White balance: tungsten (2850 K, tint +0)"
    card = shown_pixels(window)[CARD].reshape(-1, 3).mean(axis=0)
    assert card_spread(window) < before / 3 and card[2] > card[0]  # a 2850 K correction of a 3200 K light: a bit blue

    controls.presets.activated.emit(controls.presets.findText("Cloudy"))  # the same values as As shot
    assert params(window, node_id) == (6500, 10) and controls.presets.currentText() == "Cloudy"
    wait_rendered(qtbot, window)

    inspector.controls["temperature"].set_value(9000)  # the slider moved by hand: no preset any more
    inspector.controls["temperature"].edited.emit(9000)
    wait_rendered(qtbot, window)
    assert params(window, node_id) == (9000, 10)
    assert controls.presets.currentText() == "Custom"
    assert card_spread(window) > before  # corrected for a blue light: warmer still


def test_auto(qtbot, window, cast_photo):
    open_photo(qtbot, window, cast_photo)
    node_id = add_white_balance(qtbot, window)
    controls = window.inspector.white_balance
    expected = wb.auto(controls.node_input())
    controls.presets.activated.emit(controls.presets.findText("Auto"))
    wait_rendered(qtbot, window)
    assert params(window, node_id) == expected
    assert card_spread(window) < 3
    assert controls.presets.currentText() == "Auto"


def test_eyedropper_takes_the_next_canvas_click(qtbot, window, cast_photo):
    open_photo(qtbot, window, cast_photo)
    node_id = add_white_balance(qtbot, window)
    controls, canvas = window.inspector.white_balance, window.canvas
    controls.picker.click()
    assert controls.picker.isChecked()
    qtbot.keyClick(canvas, Qt.Key_Escape)  # Esc: no pick
    assert not controls.picker.isChecked() and params(window, node_id) == (6500, 10)

    controls.picker.click()
    where = canvas.to_screen(QPointF(*CARD_CENTRE)).toPoint()
    qtbot.mouseClick(canvas, Qt.LeftButton, pos=where)
    wait_rendered(qtbot, window)
    assert not controls.picker.isChecked()  # one click
    temperature, tint = params(window, node_id)
    assert abs(temperature - 3200) <= 30 and abs(tint) <= 2  # 8-bit rounding of the photo
    assert card_spread(window) < 3
    assert window.document.history.labels()[-1].startswith("White balance: eyedropper")

    controls.pick(-5, -5)  # off the photo: a message, no change
    assert "outside" in controls.status.text() and params(window, node_id) == (temperature, tint)


def test_eyedropper_on_a_raw_photo(qtbot, window, tmp_path):
    """A DNG whose camera did not balance for the warm light: the eyedropper, measuring in the
    camera's space, makes the grey card neutral on the canvas."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))
    from test_white_balance import RAW_CARD, WARM_LIGHT, write_grey_card_dng

    dng = write_grey_card_dng(tmp_path / "warm.dng", WARM_LIGHT, (1.0, 1.0, 1.0))
    open_photo(qtbot, window, dng)
    assert window.document.camera is not None
    node_id = add_white_balance(qtbot, window)
    controls, canvas = window.inspector.white_balance, window.canvas
    mean = shown_pixels(window)[RAW_CARD].reshape(-1, 3).mean(axis=0)
    assert mean.max() - mean.min() > 20
    controls.picker.click()
    qtbot.mouseClick(canvas, Qt.LeftButton, pos=canvas.to_screen(QPointF(32, 32)).toPoint())
    wait_rendered(qtbot, window)
    assert params(window, node_id) != (6500, 10)
    mean = shown_pixels(window)[RAW_CARD].reshape(-1, 3).mean(axis=0)
    assert mean.max() - mean.min() < 3
