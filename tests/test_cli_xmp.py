"""`iea-desktop xmp` and `iea-desktop render --xmp`: files written, exit codes, warnings on stderr."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from iea_desktop import cli
from iea_desktop.core import xmp
from iea_desktop.core.document import Document
from iea_desktop.core.graph import make_node
from iea_desktop.core.history import AddNode, Compound


def run(capsys, *args) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"))


def save_project(photo: Path, nodes, target: Path | None = None) -> None:
    doc = Document.open(photo)
    doc.apply(Compound([AddNode(n) for n in nodes], text="edits"))
    doc.save(target)


def sidecar(tmp_path: Path, attributes: str, name: str = "look.xmp") -> Path:
    path = tmp_path / name
    path.write_text(
        f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="{xmp.RDF}">'
        f'<rdf:Description rdf:about="" xmlns:crs="{xmp.CRS}" {attributes}/></rdf:RDF></x:xmpmeta>',
        encoding="utf-8",
    )
    return path


def assert_one_error(code: int, err: str, fragment: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 1 and len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("iea-desktop: error: ") and fragment in lines[0], lines[0]


# --- iea-desktop xmp ---------------------------------------------------------------------------


def test_xmp_writes_the_photos_saved_edits_and_names_what_it_could_not(photo, tmp_path, capsys):
    save_project(photo, [make_node("exposure", {"value": 50}), make_node("white_balance", {"temperature": 5000})])
    out = tmp_path / "photo.xmp"
    code, stdout, err = run(capsys, "xmp", photo, "-o", out)
    assert code == 0, err
    assert f"wrote {out}" in stdout and "1 adjustments not written" in stdout
    assert err.count("not written: ") == 1 and "White balance (temperature 5000)" in err and "no kelvin" in err
    nodes, warnings = xmp.read_sidecar(out, xmp.Photo(128, 96))
    assert [(n.op, n.params) for n in nodes] == [("exposure", {"value": 50})] and not warnings
    assert 'crs:Exposure2012="+1.10"' in out.read_text(encoding="utf-8")


def test_xmp_with_a_project_file(photo, tmp_path, capsys):
    project = tmp_path / "other.iea.json"
    save_project(photo, [make_node("rotate", {"turns": 1}), make_node("vibrance", {"value": 25})], project)
    out = tmp_path / "out.xmp"
    code, _, err = run(capsys, "xmp", photo, "--project", project, "-o", out)
    assert code == 0 and err == ""
    text = out.read_text(encoding="utf-8")
    assert 'tiff:Orientation="6"' in text and 'crs:Vibrance="+25"' in text


def test_xmp_refuses_the_photo_a_name_without_xmp_and_a_missing_project(photo, tmp_path, capsys):
    before = photo.read_bytes()
    assert_one_error(*run(capsys, "xmp", photo, "-o", photo)[::2], ".xmp")
    assert_one_error(*run(capsys, "xmp", photo, "-o", tmp_path / "out.jpg")[::2], "must end in .xmp")
    assert_one_error(*run(capsys, "xmp", photo, "--project", tmp_path / "none.json", "-o", tmp_path / "a.xmp")[::2],
                     "project file not found")  # fmt: skip
    linked = tmp_path / "photo.xmp"
    linked.symlink_to(photo)
    assert_one_error(*run(capsys, "xmp", photo, "-o", linked)[::2], "refusing to overwrite the original photo")
    assert photo.read_bytes() == before


# --- iea-desktop render --xmp --------------------------------------------------------------------


def test_render_xmp_renders_the_settings_that_map_and_warns_about_the_rest(photo, tmp_path, capsys):
    look = sidecar(tmp_path, 'crs:Exposure2012="+0.88" crs:Saturation="-40" crs:SplitToningShadowHue="200" '
                   'crs:SplitToningShadowSaturation="20" crs:Sharpness="0"')  # fmt: skip
    save_project(photo, [make_node("contrast", {"value": 80})])  # the photo's own edits are not used
    out, expected = tmp_path / "out.png", tmp_path / "expected.png"
    code, _, err = run(capsys, "render", photo, "--xmp", look, "-o", out, "-q")
    assert code == 0, err
    warnings = err.splitlines()
    assert len(warnings) == 2 and all(w.startswith("warning: look.xmp: crs:SplitToningShadow") for w in warnings)
    clean = tmp_path / "clean" / photo.name  # the same photo without a project next to it
    clean.parent.mkdir()
    clean.write_bytes(photo.read_bytes())
    params = json.dumps({"exposure": 40, "saturation": -40})  # +0.88 stops is exposure 40 here
    assert run(capsys, "render", clean, "--params", params, "-o", expected, "-q")[0] == 0
    assert np.array_equal(pixels(out), pixels(expected))


def test_render_xmp_with_geometry_writes_the_cropped_size(photo, tmp_path, capsys):
    look = sidecar(tmp_path, 'crs:CropLeft="0.25" crs:CropTop="0" crs:CropRight="0.75" crs:CropBottom="1" '
                   'crs:CropAngle="0" crs:HasCrop="True"')  # fmt: skip
    out = tmp_path / "out.png"
    code, _, err = run(capsys, "render", photo, "--xmp", look, "-o", out, "-q")
    assert code == 0 and err == ""
    assert Image.open(out).size == (64, 96)


def test_render_xmp_refuses_damaged_hostile_and_missing_sidecars(photo, tmp_path, capsys):
    out = tmp_path / "out.png"
    damaged = tmp_path / "damaged.xmp"
    damaged.write_bytes(b"<x:xmpmeta><rdf:RDF")
    hostile = tmp_path / "hostile.xmp"
    hostile.write_bytes(b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')
    for path, fragment in [(damaged, "damaged.xmp: not a readable XMP file"), (hostile, "DOCTYPE"),
                           (tmp_path / "none.xmp", "none.xmp")]:  # fmt: skip
        assert_one_error(*run(capsys, "render", photo, "--xmp", path, "-o", out)[::2], fragment)
    assert_one_error(*run(capsys, "render", photo, "--xmp", damaged, "--project", damaged, "-o", out)[::2],
                     "choose one")  # fmt: skip
    assert not out.exists()
