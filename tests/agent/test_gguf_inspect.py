from __future__ import annotations

import re
import shutil

import pytest

gguf = pytest.importorskip("gguf")

from iea_desktop.agent.backends.gguf_inspect import (  # noqa: E402
    ModelFileError,
    check_pairing,
    find_mmproj,
    inspect_gguf,
)

TEMPLATE = "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"


def write_text_header(path, n_embd=576, arch="llama", template=TEMPLATE, hparams=None,
                      attention=False):
    """A GGUF with a text model's metadata and no tensors (enough for the header checks).

    ``hparams``: extra or replaced ``{arch}.*`` values, ``{suffix: value}``; a float is
    written as float32, an int as uint32 (negative: int32), a list as an array.
    ``attention``: add one tiny attention weight (head counts are checked only then).
    """
    writer = gguf.GGUFWriter(str(path), arch=arch)
    writer.add_name("Fake Text Model")
    values = {"embedding_length": n_embd, "block_count": 2, **(hparams or {})}
    for suffix, value in values.items():
        key = f"{arch}.{suffix}"
        if isinstance(value, list):
            writer.add_array(key, value)
        elif isinstance(value, float):
            writer.add_float32(key, value)
        elif value < 0:
            writer.add_int32(key, value)
        else:
            writer.add_uint32(key, value)
    if template:
        writer.add_string("tokenizer.chat_template", template)
    if attention:
        import numpy as np

        writer.add_tensor("blk.0.attn_q.weight", np.zeros((4, 4), np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_text_model_info(tmp_path):
    info = inspect_gguf(write_text_header(tmp_path / "model.gguf"))
    assert info.architecture == "llama"
    assert info.name == "Fake Text Model"
    assert not info.is_mmproj
    assert info.n_embd == 576
    assert info.block_count == 2
    assert info.chat_template == TEMPLATE
    assert info.projector_type is None and info.projector_width is None
    assert info.file_size == (tmp_path / "model.gguf").stat().st_size


# Header values that made llama.cpp abort the process or compute NaN in the fault-injection
# run of issue 19 (block_count 0 and 1000, NaN or negative epsilon, RoPE base 0), and their
# neighbours.
SMOLLM2_HPARAMS = {
    "context_length": 8192, "feed_forward_length": 1536, "attention.head_count": 9,
    "attention.head_count_kv": 3, "rope.freq_base": 100000.0,
    "attention.layer_norm_rms_epsilon": 1e-5, "rope.dimension_count": 64,
}
NAN, INF = float("nan"), float("inf")


def test_sound_hyper_parameters_pass(tmp_path):
    path = write_text_header(tmp_path / "good.gguf", hparams=SMOLLM2_HPARAMS, attention=True)
    assert inspect_gguf(path).block_count == 2


@pytest.mark.parametrize(
    "key,value,expected",
    [
        ("block_count", 0, "1 to 512 blocks"),
        ("block_count", 1000, "1 to 512 blocks"),
        ("attention.layer_norm_rms_epsilon", NAN, "finite"),
        ("attention.layer_norm_rms_epsilon", -1e-5, "above 0"),
        ("attention.layer_norm_rms_epsilon", 0.0, "above 0"),
        ("attention.layer_norm_rms_epsilon", 3.0, "at most 0.1"),
        ("attention.layer_norm_epsilon", INF, "finite"),
        ("rope.freq_base", 0.0, "above 0"),
        ("rope.freq_base", -10000.0, "above 0"),
        ("rope.freq_base", NAN, "finite"),
        ("rope.scaling.factor", -2.0, "0 \\(none\\) or above"),
        ("context_length", 0, "above 0"),
        ("embedding_length", 0, "above 0"),
        ("attention.head_count", 0, "at least 1 head"),
        ("attention.head_count_kv", 0, "at least 1 head"),
        ("attention.head_count_kv", [3, -1], "0 or more heads per layer"),
        ("logit_scale", NAN, "finite"),  # any float of the architecture
        ("expert_used_count", 9, "1 to expert_count \\(8\\)"),
    ],
)
def test_impossible_hyper_parameters_refused(tmp_path, key, value, expected):
    hparams = {**SMOLLM2_HPARAMS, "expert_count": 8, "expert_used_count": 2, key: value}
    path = write_text_header(tmp_path / "bad.gguf", hparams=hparams, attention=True)
    with pytest.raises(ModelFileError, match=rf"bad\.gguf is damaged or was converted wrongly: "
                                             rf"llama\.{re.escape(key)} is .*{expected}") as err:
        inspect_gguf(path)
    assert err.value.path == path


def test_attention_free_models_may_have_no_heads(tmp_path):
    # Mamba's converter writes head_count 0 and there are no attention weights to divide.
    hparams = {"attention.head_count": 0, "feed_forward_length": 0, "context_length": 1 << 20,
               "attention.layer_norm_rms_epsilon": 1e-5}
    inspect_gguf(write_text_header(tmp_path / "mamba.gguf", arch="mamba", hparams=hparams))
    # Hybrid models list heads per layer, with 0 for the recurrent ones.
    hparams = {**SMOLLM2_HPARAMS, "attention.head_count_kv": [0, 3]}
    inspect_gguf(write_text_header(tmp_path / "hybrid.gguf", hparams=hparams, attention=True))


def test_smollm2_info(smollm2):
    info = inspect_gguf(smollm2)
    assert (info.architecture, info.n_embd, info.block_count) == ("llama", 576, 30)
    assert "<|im_start|>" in info.chat_template
    assert "tokenizer.ggml.tokens" not in info.metadata  # long arrays are skipped


def test_tiny_mmproj_info(tiny_mmproj_576):
    info = inspect_gguf(tiny_mmproj_576)
    assert info.is_mmproj
    assert info.architecture == "clip"
    assert (info.projector_type, info.projector_width) == ("mlp", 576)
    assert info.n_embd is None and info.chat_template is None


def test_header_reader_agrees_with_gguf_reader(tiny_mmproj_576):
    import mmap

    from iea_desktop.agent.backends.gguf_inspect import _read_header

    reader = gguf.GGUFReader(str(tiny_mmproj_576))
    with open(tiny_mmproj_576, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        metadata, tensors, data_start = _read_header(buf)
    assert data_start == reader.data_offset
    assert set(tensors) == {t.name for t in reader.tensors}
    for t in reader.tensors:
        mine = tensors[t.name]
        assert mine.shape == tuple(int(d) for d in t.shape)
        assert data_start + mine.offset == t.data_offset
    for key, field in reader.fields.items():
        if not key.startswith("GGUF."):
            assert metadata[key] == field.contents(), key


def test_missing_file(tmp_path):
    with pytest.raises(ModelFileError, match=r"nothere\.gguf: file not found") as err:
        inspect_gguf(tmp_path / "nothere.gguf")
    assert err.value.path == tmp_path / "nothere.gguf"


def test_folder(tmp_path):
    with pytest.raises(ModelFileError, match="is a folder"):
        inspect_gguf(tmp_path)


def test_empty_file(tmp_path):
    (tmp_path / "empty.gguf").write_bytes(b"")
    with pytest.raises(ModelFileError, match=r"empty\.gguf is empty"):
        inspect_gguf(tmp_path / "empty.gguf")


def test_not_a_gguf(tmp_path):
    (tmp_path / "photo.gguf").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(1000))
    with pytest.raises(ModelFileError, match=r"photo\.gguf is not a GGUF model file"):
        inspect_gguf(tmp_path / "photo.gguf")


def test_truncated_tensor_data(tmp_path, tiny_mmproj_576):
    data = tiny_mmproj_576.read_bytes()
    (tmp_path / "cut.gguf").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match=r"cut\.gguf is truncated: .*incomplete download"):
        inspect_gguf(tmp_path / "cut.gguf")


def test_truncated_header(tmp_path, tiny_mmproj_576):
    (tmp_path / "cut.gguf").write_bytes(tiny_mmproj_576.read_bytes()[:300])
    with pytest.raises(ModelFileError, match=r"cut\.gguf is truncated or corrupt"):
        inspect_gguf(tmp_path / "cut.gguf")


def test_corrupt_header(tmp_path, tiny_mmproj_576):
    data = bytearray(tiny_mmproj_576.read_bytes())
    data[24:32] = (2**62).to_bytes(8, "little")  # first key's length: absurd
    (tmp_path / "bad.gguf").write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match=r"bad\.gguf is truncated or corrupt"):
        inspect_gguf(tmp_path / "bad.gguf")


@pytest.mark.parametrize(
    "missing",
    [
        "v.blk.0.attn_q.weight",
        "v.blk.1.attn_v.weight",
        "v.patch_embd.weight",
        "v.position_embd.weight",
        "mm.0.bias",
        "mm.2.weight",
    ],
)
def test_structurally_broken_mmproj(tmp_path, make_tiny_mmproj, missing):
    path = make_tiny_mmproj(tmp_path / "mmproj-broken.gguf", 576, missing_tensor=missing)
    with pytest.raises(ModelFileError) as err:
        inspect_gguf(path)
    message = str(err.value)
    assert message.startswith("mmproj mmproj-broken.gguf is incomplete")
    assert missing in message


def test_mmproj_without_vision_encoder(tmp_path):
    writer = gguf.GGUFWriter(str(tmp_path / "audio.gguf"), arch="clip")
    writer.add_bool("clip.has_audio_encoder", True)
    writer.add_string("clip.projector_type", "ultravox")
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    with pytest.raises(ModelFileError, match="has no vision encoder"):
        inspect_gguf(tmp_path / "audio.gguf")


def test_pairing_ok(tmp_path, tiny_mmproj_576):
    check_pairing(inspect_gguf(write_text_header(tmp_path / "m.gguf")), inspect_gguf(tiny_mmproj_576))


def test_pairing_width_mismatch(tmp_path, make_tiny_mmproj):
    model = inspect_gguf(write_text_header(tmp_path / "smol.gguf", n_embd=576))
    proj = inspect_gguf(make_tiny_mmproj(tmp_path / "mmproj-512.gguf", 512))
    with pytest.raises(
        ModelFileError,
        match=r"mmproj mmproj-512\.gguf projects to 512 but model smol\.gguf expects 576",
    ):
        check_pairing(model, proj)


def test_pairing_swapped_files(tmp_path, tiny_mmproj_576):
    model = inspect_gguf(write_text_header(tmp_path / "m.gguf"))
    proj = inspect_gguf(tiny_mmproj_576)
    with pytest.raises(ModelFileError, match="is a vision projector"):
        check_pairing(proj, model)
    with pytest.raises(ModelFileError, match="is a language model, not a vision projector"):
        check_pairing(model, model)


def test_deepstack_model_width(tmp_path):
    path = tmp_path / "qwen3vl.gguf"
    writer = gguf.GGUFWriter(str(path), arch="qwen3vl")
    writer.add_uint32("qwen3vl.embedding_length", 2048)
    writer.add_uint32("qwen3vl.n_deepstack_layers", 3)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    assert inspect_gguf(path).n_embd == 2048 * 4


def test_find_mmproj(tmp_path, tiny_mmproj_576):
    model = tmp_path / "gemma-3-4b-it-Q4_K_M.gguf"
    model.write_bytes(b"")
    assert find_mmproj(model) is None
    for name in ("mmproj-other-f16.gguf", "gemma-3-4b-it-mmproj-f16.gguf", "mmproj-notes.txt"):
        shutil.copy(tiny_mmproj_576, tmp_path / name)
    assert find_mmproj(model) == tmp_path / "gemma-3-4b-it-mmproj-f16.gguf"
    (tmp_path / "gemma-3-4b-it-mmproj-f16.gguf").unlink()
    assert find_mmproj(model) == tmp_path / "mmproj-other-f16.gguf"


def test_find_mmproj_reads_names_that_start_with_mmproj(tmp_path, tiny_mmproj_576):
    """ggml-org's projectors are all named mmproj-<model>: the mark is not part of the match."""
    model = tmp_path / "SmolVLM-500M-Instruct-Q8_0.gguf"
    model.write_bytes(b"")
    for name in ("mmproj-Qwen2.5-VL-3B-Instruct-Q8_0.gguf", "mmproj-SmolVLM-500M-Instruct-Q8_0.gguf"):
        shutil.copy(tiny_mmproj_576, tmp_path / name)
    assert find_mmproj(model) == tmp_path / "mmproj-SmolVLM-500M-Instruct-Q8_0.gguf"
