"""Presets and copied settings (core/presets.py): making, applying as one undo step, the store's
files (strict reading, atomic writes, read-only built-ins), and the built-in looks as presets."""

from __future__ import annotations

import os
import stat

import pytest

from iea_desktop.agent import builtin_lexicon as lex
from iea_desktop.agent.look_presets import look_presets
from iea_desktop.core import presets
from iea_desktop.core.document import Document
from iea_desktop.core.graph import MAX_NODES, EditGraph, make_node
from iea_desktop.core.history import AddNode, Compound
from iea_desktop.core.presets import Preset, PresetError, PresetStore


def values(graph) -> list[tuple[str, dict]]:
    return [(n.op, n.params) for n in graph.nodes]


def edited(path, **tools) -> Document:
    doc = Document.open(path)
    doc.apply(Compound([AddNode(make_node(op, p if isinstance(p, dict) else {"value": p})) for op, p in tools.items()]))
    return doc


@pytest.fixture
def store(tmp_path) -> PresetStore:
    return PresetStore(tmp_path / "presets", builtin=look_presets())


# --- making and applying -------------------------------------------------------------------------


def test_from_graph_leaves_geometry_out_unless_chosen(photo):
    doc = edited(photo, exposure=20, crop={"left": 0.1}, vignette=-10)
    preset = Preset.from_graph("mine", doc.graph)
    assert [n.op for n in preset.nodes] == ["exposure", "vignette"]
    assert preset.ops == {"exposure", "vignette"}
    assert "crop" in Preset.from_graph("all", doc.graph, include_geometry=True).ops
    crop = doc.graph.find("crop")[0]
    assert [n.op for n in Preset.from_graph("crop only", doc.graph, [crop.id]).nodes] == ["crop"]
    with pytest.raises(PresetError, match="no adjustment"):
        Preset.from_graph("x", doc.graph, ["nope"])


def test_apply_replaces_the_covered_ops_in_canonical_places_as_one_undo_step(photo):
    doc = edited(photo, exposure=30, saturation=20, sharpness=10)
    before = doc.graph.to_list()
    steps = len(doc.history.entries)
    preset = Preset.from_values("look", {"vignette": 25, "exposure": -10, "temperature": 15})
    presets.apply(doc, preset)
    # exposure replaced, saturation and sharpness kept; the new nodes in pipeline order
    assert values(doc.graph) == [
        ("exposure", {"value": -10}),
        ("saturation", {"value": 20}),
        ("temperature", {"value": 15}),
        ("vignette", {"value": 25}),
        ("sharpness", {"value": 10}),
    ]
    assert len(doc.history.entries) == steps + 1
    assert doc.history.labels()[-1] == "Apply preset “look”"
    added = doc.graph.find("vignette")[0].provenance
    assert (added.origin, added.reason) == ("user", "from the preset “look”")
    doc.history.undo()
    assert doc.graph.to_list() == before


def test_an_op_covered_without_a_node_is_reset():
    graph = EditGraph([make_node("temperature", {"value": 30}), make_node("contrast", {"value": 5})])
    bw = Preset.from_values("bw", {"saturation": -100}, ops=["temperature"])
    graph_after = EditGraph(graph.nodes)
    presets.apply_command(graph_after, bw).do(graph_after)
    assert values(graph_after) == [("contrast", {"value": 5}), ("saturation", {"value": -100})]
    assert "resets Temperature" in bw.summary()


def test_applying_twice_gives_the_same_graph_and_keeps_the_preset_node_ids(photo):
    doc = edited(photo, grain=10)
    preset = Preset.from_values("grainy", {"grain": 40, "fade": 10})
    presets.apply(doc, preset)
    first = doc.graph.to_list()
    presets.apply(doc, preset)
    assert doc.graph.to_list() == first  # the same ids: grain (seeded by the id) renders the same
    assert {n["id"] for n in first} == {n.id for n in preset.nodes}
    assert Preset.from_values("grainy", {"grain": 40, "fade": 10}).nodes[0].id == preset.nodes[0].id


def test_an_id_the_photo_uses_for_another_op_is_replaced():
    preset = Preset.from_values("p", {"exposure": 10})
    other = make_node("contrast", {"value": 5})
    other.id = preset.nodes[0].id
    graph = EditGraph([other])
    presets.apply_command(graph, preset).do(graph)
    assert len({n.id for n in graph.nodes}) == 2


def test_a_preset_past_the_node_limit_changes_nothing(photo):
    from iea_desktop.core.graph import GraphLimitError

    doc = edited(photo, exposure=10)
    many = Preset.from_nodes("many", [make_node("contrast", {"value": 1}) for _ in range(MAX_NODES)])
    with pytest.raises(GraphLimitError):
        presets.apply(doc, many)
    assert values(doc.graph) == [("exposure", {"value": 10})]


def test_copy_and_paste_onto_several_documents(make_photo):
    source = edited(make_photo("a.png"), exposure=25, straighten={"angle": 3}, vignette=-20)
    targets = [edited(make_photo(f"t{i}.png", seed=i), exposure=-40, tint=5) for i in range(3)]
    settings = presets.copy_settings(source.graph, "a.png")
    presets.paste(settings, targets)
    for doc in targets:
        assert values(doc.graph) == [("exposure", {"value": 25}), ("tint", {"value": 5}), ("vignette", {"value": -20})]
        assert doc.history.labels()[-1] == "Paste settings from a.png"
        assert doc.graph.find("exposure")[0].provenance.reason == "pasted from a.png"
    chosen = presets.copy_settings(source.graph, "a.png", [source.graph.find("vignette")[0].id])
    presets.paste(chosen, targets[:1])
    assert [n.op for n in targets[0].graph.nodes] == ["exposure", "tint", "vignette"]


# --- files and the store -------------------------------------------------------------------------


def test_file_round_trip(tmp_path):
    preset = Preset.from_values(
        "Warm & soft", {"temperature": 20, "tone_curve": {"rgb": [[0, 0], [128, 140], [255, 255]]}}, ops=["tint"]
    )
    path = presets.write_file(preset, tmp_path / "x.ieapreset")
    again = presets.read_file(path)
    assert again.to_dict() == preset.to_dict()
    assert again.ops == {"temperature", "tone_curve", "tint"}


def test_store_save_list_get_rename_delete(store):
    saved = store.save(Preset.from_values("Warm", {"temperature": 20}))
    assert saved.path.name == "Warm.ieapreset" and saved.path.exists()
    assert store.get("warm").name == "Warm"  # names without regard to case
    with pytest.raises(PresetError, match="exists already"):
        store.save(Preset.from_values("WARM", {"temperature": 5}))
    store.save(Preset.from_values("WARM", {"temperature": 5}), overwrite=True)
    assert [p.name for p in store.list() if not p.read_only] == ["WARM"]
    assert len(list(store.folder.iterdir())) == 1
    renamed = store.rename("warm", "Cosy")
    assert renamed.name == "Cosy" and [p.name for p in store.list() if not p.read_only] == ["Cosy"]
    store.delete("cosy")
    assert [p for p in store.list() if not p.read_only] == []
    with pytest.raises(PresetError, match="no preset called"):
        store.get("Cosy")


def test_awkward_names_get_their_own_files(store):
    for name in ("a/b", "a_b", "..", ".hidden", "100%", "Ünïcødé ✓"):
        stored = store.save(Preset.from_values(name, {"exposure": 1}))
        assert stored.path.parent == store.folder and not stored.path.name.startswith(".")
    assert {p.name for p in store.list() if not p.read_only} == {"a/b", "a_b", "..", ".hidden", "100%", "Ünïcødé ✓"}


@pytest.mark.parametrize("name", ["", "   ", "x" * 81, "two\nlines", 5])
def test_bad_names_are_refused(name):
    with pytest.raises(PresetError):
        Preset.from_values(name, {"exposure": 1})


def test_builtin_presets_are_read_only(store, tmp_path):
    with pytest.raises(PresetError, match="built-in"):
        store.save(Preset.from_values("Vintage", {"exposure": 1}))
    with pytest.raises(PresetError, match="built-in"):
        store.delete("vintage")
    with pytest.raises(PresetError, match="built-in"):
        store.rename("vintage", "mine")
    # ... but can be exported, and imported back as the person's own under another name
    exported = store.export_file("vintage", tmp_path / "v.ieapreset")
    data = presets.read_file(exported)
    assert data.name == "vintage" and not data.read_only
    with pytest.raises(PresetError, match="built-in"):
        store.import_file(exported)


def test_import_and_export(store, tmp_path):
    store.save(Preset.from_values("Mine", {"exposure": 15, "grain": 20}))
    path = store.export_file("mine", tmp_path / "share" / "mine.ieapreset")
    other = PresetStore(tmp_path / "other")
    imported = other.import_file(path)
    assert imported.to_dict() == store.get("Mine").to_dict()
    with pytest.raises(PresetError, match="exists already"):
        other.import_file(path)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"\xff\xfe not json", "UTF-8"),
        (b"{", "invalid JSON"),
        (b"[]", "not an IEA Desktop preset"),
        (b'{"kind": "iea-desktop preset", "schema_version": 99, "name": "x", "ops": [], "nodes": []}', "newer"),
        (b'{"kind": "iea-desktop preset", "schema_version": 1, "name": "x", "ops": ["nope"], "nodes": []}', "nope"),
        (b'{"kind": "iea-desktop preset", "schema_version": 1, "name": "x", "ops": [], "nodes": {}}', "damaged"),
        (b'{"kind": "iea-desktop preset", "schema_version": 1, "name": "", "ops": [], "nodes": []}', "name"),
        (b'{"kind": "iea-desktop preset", "schema_version": 1, "name": "x", "ops": [], "nodes": [{"op": "exposure"}]}',
         "damaged"),
        (b'{"kind": "iea-desktop preset", "schema_version": 1, "name": "x", "ops": [], '
         b'"nodes": [{"op": "exposure", "id": "a", "params": {"value": 5}}]}', "does not cover"),
        (b'{"kind": "iea-desktop preset", "schema_version": 1, "name": "x", "ops": ["exposure"], '
         b'"nodes": [{"op": "exposure", "id": "a", "params": {"value": NaN}}]}', "NaN"),
    ],
)
def test_damaged_files_are_refused_in_one_line(tmp_path, content, fragment):
    path = tmp_path / "bad.ieapreset"
    path.write_bytes(content)
    with pytest.raises(PresetError, match=fragment) as error:
        presets.read_file(path)
    assert "\n" not in str(error.value) and "bad.ieapreset" in str(error.value)


def test_too_many_nodes_and_too_big_files_are_refused(tmp_path):
    node = make_node("exposure", {"value": 1}).to_dict()
    data = {"kind": presets.KIND, "schema_version": 1, "name": "x", "ops": ["exposure"], "nodes": [node] * (MAX_NODES + 1)}
    from iea_desktop.core import files

    (tmp_path / "many.ieapreset").write_bytes(files.json_bytes(data))
    with pytest.raises(PresetError, match="more than the 500"):
        presets.read_file(tmp_path / "many.ieapreset")
    (tmp_path / "big.ieapreset").write_bytes(b" " * (presets.MAX_BYTES + 1))
    with pytest.raises(PresetError, match="more than"):
        presets.read_file(tmp_path / "big.ieapreset")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "fifo.ieapreset")
    with pytest.raises(PresetError, match="not a regular file"):
        presets.read_file(tmp_path / "fifo.ieapreset")


def test_a_damaged_file_in_the_store_is_left_out_and_said(store):
    store.save(Preset.from_values("Good", {"exposure": 5}))
    (store.folder / "Broken.ieapreset").write_text("{")
    names = [p.name for p in store.list() if not p.read_only]
    assert names == ["Good"]
    assert len(store.problems) == 1 and "Broken.ieapreset" in store.problems[0]
    assert (store.folder / "Broken.ieapreset").read_text() == "{"  # never rewritten


def test_a_failed_write_leaves_the_old_preset(store, monkeypatch):
    store.save(Preset.from_values("Keep", {"exposure": 5}))
    from iea_desktop.core import files

    def full_disk(path, data, parents=False):
        raise files.WriteError(path, OSError(28, "No space left on device"))

    monkeypatch.setattr(files, "atomic_write", full_disk)
    with pytest.raises(PresetError, match="disk is full"):
        store.save(Preset.from_values("Keep", {"exposure": 50}), overwrite=True)
    monkeypatch.undo()
    assert store.get("Keep").nodes[0].params == {"value": 5}


def test_the_store_lives_in_the_config_folder(iea_home):
    stored = PresetStore().save(Preset.from_values("Mine", {"exposure": 5}))
    assert stored.path.parent == iea_home / "config" / "presets"
    assert stat.S_ISREG(stored.path.stat().st_mode)


# --- the built-in looks --------------------------------------------------------------------------


def test_every_look_of_the_builtin_assistant_is_a_builtin_preset_with_its_values():
    built = {p.name: p for p in look_presets()}
    assert list(built) == list(lex.LOOKS)
    for name, (_, tools, _) in lex.LOOKS.items():
        assert {n.op: n.params["value"] for n in built[name].nodes} == tools
        assert built[name].read_only and built[name].description


def test_a_black_and_white_look_resets_what_would_tint_it(photo):
    doc = edited(photo, temperature=30, exposure=10)
    presets.apply(doc, PresetStore(builtin=look_presets()).get("black and white"))
    assert doc.graph.find("temperature") == []
    assert doc.graph.find("exposure")[0].params == {"value": 10}
    assert doc.graph.find("saturation")[0].params == {"value": -100}


def test_a_preset_that_cannot_be_deleted_says_so(store, monkeypatch):
    store.save(Preset.from_values("Stuck", {"exposure": 5}))

    def refuse(self, missing_ok=False):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(type(store.folder), "unlink", refuse)
    with pytest.raises(PresetError, match="Stuck.ieapreset: cannot be deleted"):
        store.delete("stuck")
    monkeypatch.undo()
    assert store.get("Stuck")
