"""Problems found by driving the real window as a person does (a hands-on pass over the masks and the
shoot), each kept here as the test that failed before its fix."""

from __future__ import annotations

from pathlib import Path

from uihelpers import WAIT_MS, wait_rendered


def test_arrows_pressed_past_a_photo_that_cannot_be_read_reach_the_photo_asked_for(qtbot, window, make_photo, tmp_path):
    """→ → from a.jpg over a damaged b.jpg: b's open fails (a message), then c.jpg, the photo the
    second → asked for while b was opening, opens. (It was dropped: the filmstrip showed c while
    the canvas stayed on a.)"""
    for name in ("a.jpg", "c.jpg"):
        make_photo(f"shoot/{name}", height=60, width=80, quality=90)
    folder = tmp_path / "shoot"
    (folder / "b.jpg").write_bytes((folder / "a.jpg").read_bytes()[:300])  # a truncated JPEG
    library = window.library
    library.open_folder(folder)
    qtbot.waitUntil(lambda: library.folder == folder, timeout=WAIT_MS)
    library.set_grid(False)
    qtbot.waitUntil(lambda: window.document is not None and window.open_task is None, timeout=WAIT_MS)
    assert window.document.path.name == "a.jpg"

    library.step(1)  # what each → does, faster than a photo opens
    library.step(1)
    qtbot.waitUntil(lambda: window.message_box is not None, timeout=WAIT_MS)
    assert "b.jpg" in window.message_box.text()
    qtbot.waitUntil(lambda: window.document.path.name == "c.jpg" and window.open_task is None, timeout=WAIT_MS)
    wait_rendered(qtbot, window)
    assert library.current_path() == Path(window.document.path)
