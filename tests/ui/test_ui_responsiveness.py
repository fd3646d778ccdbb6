"""The GUI thread never blocks for long: a heartbeat timer measures the longest stall while a 24 MP
JPEG opens, while the assistant runs a turn on it, and while the 1:1 view renders at full resolution."""

from __future__ import annotations

from PIL import Image

from iea_desktop.ui.workers import StallMeter
from uihelpers import WAIT_MS, open_photo, wait_rendered

MAX_STALL = 0.5  # seconds; typical values are far lower (see the printed numbers with -s)


def test_gui_thread_stays_responsive_on_a_24_megapixel_photo(qtbot, window, tmp_path, photos_dir):
    big = tmp_path / "big-24mp.jpg"
    Image.open(photos_dir / "kodim23.webp").convert("RGB").resize((6000, 4000), Image.BICUBIC).save(big, quality=90)
    meter = StallMeter()

    meter.start()
    open_photo(qtbot, window, big)
    opening = meter.stop()
    assert window.document.info.width == 6000

    meter.start()
    window.chat.send("make it brighter")
    qtbot.waitUntil(lambda: window.assistant_controller.turn_task is None, timeout=WAIT_MS)
    wait_rendered(qtbot, window)
    turn = meter.stop()
    assert window.document.graph.nodes

    meter.start()
    window.actual_action.trigger()
    qtbot.waitUntil(lambda: window.canvas.detail is not None, timeout=60000)
    qtbot.wait(50)
    detail = meter.stop()

    print(f"\nlongest GUI stall: opening 24 MP {1000 * opening:.0f} ms, assistant turn {1000 * turn:.0f} ms, "
          f"1:1 full-resolution render {1000 * detail:.0f} ms")
    assert max(opening, turn, detail) < MAX_STALL
