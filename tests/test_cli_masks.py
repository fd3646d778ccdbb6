"""`iea-desktop edit PHOTO "darken the sky"` makes a node masked to the sky (issue 14): the written
photo's sky is darker and its ground is not; the project keeps the mask, and `render --project`
renders the same. The sky is found by core/masks/areas.find on a photo with a plain blue sky."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np

from iea_desktop.cli import main

SKY_ROWS = 0.45  # the share of the photo's height the sky covers


def landscape(path: Path) -> Path:
    """A blue sky, lighter towards the horizon, over textured green ground."""
    h, w = 192, 288
    rng = np.random.default_rng(0)
    img = np.empty((h, w, 3), np.float32)
    top = int(h * SKY_ROWS)
    fade = np.linspace(0.0, 0.1, top, dtype=np.float32)[:, None, None]
    img[:top] = np.array([0.40, 0.57, 0.85], np.float32) + fade
    grass = rng.normal(0.0, 0.04, (h - top, w, 1)).astype(np.float32)
    img[top:] = np.array([0.18, 0.38, 0.12], np.float32) + grass * np.array([1.0, 1.0, 0.5], np.float32)
    rgb = (np.clip(img, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return path


def read(path: Path) -> np.ndarray:
    return cv2.imread(str(path)).astype(np.float32)


def test_edit_darken_the_sky_darkens_the_sky_only(tmp_path, capsys):
    photo = landscape(tmp_path / "landscape.png")
    out, project = tmp_path / "out.png", tmp_path / "edit.iea.json"
    assert main(["edit", str(photo), "darken the sky", "-o", str(out), "--project", str(project)]) == 0
    assert "Darkened the sky" in capsys.readouterr().out
    before, after = read(photo), read(out)
    h = before.shape[0]
    sky, ground = slice(4, int(h * SKY_ROWS) - 6), slice(int(h * SKY_ROWS) + 6, h)
    assert after[sky].mean() < before[sky].mean() - 15  # levels of 255
    assert abs(after[ground].mean() - before[ground].mean()) < 1.0

    nodes = json.loads(project.read_text())["graph"]
    [node] = nodes
    assert node["op"] == "exposure" and node["params"]["value"] < 0
    assert [c["kind"] for c in node["mask"]["components"]] == ["area"]
    assert node["mask"]["components"][0]["area"] == "sky"

    rendered = tmp_path / "rendered.png"
    assert main(["render", str(photo), "--project", str(project), "-o", str(rendered), "-q"]) == 0
    assert np.abs(read(rendered) - after).max() <= 1.0


def test_edit_on_a_photo_without_sky_says_so_and_changes_nothing(tmp_path, capsys):
    photo = tmp_path / "wall.png"
    rng = np.random.default_rng(1)
    wall = np.clip(np.array([0.55, 0.4, 0.3]) + rng.normal(0.0, 0.03, (120, 160, 1)), 0, 1)
    cv2.imwrite(str(photo), cv2.cvtColor((wall * 255).astype(np.uint8), cv2.COLOR_RGB2BGR))
    out, project = tmp_path / "out.png", tmp_path / "edit.iea.json"
    assert main(["edit", str(photo), "darken the sky", "-o", str(out), "--project", str(project)]) == 0
    assert "I could not find the sky in this photo" in capsys.readouterr().out
    assert json.loads(project.read_text())["graph"] == []
    assert np.abs(read(out) - read(photo)).max() <= 1.0
