from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from iea_desktop.agent.backends.gguf_inspect import GGUFInfo, ModelFileError
from iea_desktop.agent.backends.grammar import tool_calls_grammar
from iea_desktop.agent.backends.llama_cpp_backend import (
    HANDLER_NAMES,
    Cancelled,
    LlamaCppBackend,
    choose_handler,
)

REPO = Path(__file__).resolve().parents[2]
TOOLS = [("exposure", -100, 100), ("contrast", -100, 100), ("rotate", -45, 45)]
ASK = [
    {"role": "system", "content": "You are a helpful photo editor."},
    {"role": "user", "content": "Describe the photo in one sentence."},
]


def preview_png(size=(448, 448)) -> bytes:
    from PIL import Image

    img = Image.linear_gradient("L").resize(size).convert("RGB")
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture
def llama_cpp_must_not_load(monkeypatch):
    """Make any attempt to hand a file to llama.cpp fail the test."""
    llama_cpp = pytest.importorskip("llama_cpp")

    def refuse(*args, **kwargs):
        raise AssertionError("the file reached llama.cpp")

    monkeypatch.setattr(llama_cpp, "Llama", refuse)


# --- Without llama.cpp ---


def test_backend_modules_import_neither_qt_nor_llama_cpp():
    code = (
        "import sys\n"
        "import iea_desktop.agent.backends.llama_cpp_backend\n"
        "import iea_desktop.agent.backends.grammar\n"
        "import iea_desktop.agent.backends.gguf_inspect\n"
        "import iea_desktop.agent.backends.model_process\n"
        "bad = [m for m in ('llama_cpp', 'PySide6', 'PyQt5', 'PyQt6') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def info(name="model", arch="llama", template="{{ x }}", ptype=None, meta=None, file=None):
    return GGUFInfo(
        path=Path(file or f"/models/{name}.gguf"), file_size=1, architecture=arch, name=name,
        is_mmproj=ptype is not None, n_embd=None if ptype else 4096, projector_type=ptype,
        projector_width=4096 if ptype else None, chat_template=None if ptype else template,
        metadata=meta or {},
    )


@pytest.mark.parametrize(
    "model,mmproj,expected",
    [
        (info("Qwen2.5-VL-7B-Instruct", "qwen2vl"), info("mmproj", "clip", ptype="qwen2.5vl_merger"), "qwen2.5-vl"),
        (info("IEA-7B", "qwen2vl"), info("IEA-mmproj", "clip", ptype="qwen2.5vl_merger"), "qwen2.5-vl"),
        (info("llava-v1.5-7b"), info("mmproj", "clip", ptype="mlp"), "llava-1.5"),
        (info("llava-v1.6-mistral-7b"), info("mmproj", "clip", ptype="mlp"), "llava-1.6"),
        (info("llava"), info("mmproj", "clip", ptype="mlp",
                             meta={"clip.vision.image_grid_pinpoints": [336, 672]}), "llava-1.6"),
        (info("old-conversion", template=None), info("mmproj", "clip", ptype="mlp"), "llava-1.5"),
        (info("MiniCPM-V-2_6", "qwen2"), info("mmproj", "clip", ptype="resampler",
                                              meta={"clip.minicpmv_version": 3}), "minicpm-v-2.6"),
        (info("MiniCPM-V-4", "llama"), info("mmproj", "clip", ptype="resampler",
                                            meta={"clip.minicpmv_version": 5}), "mtmd"),
        (info("moondream2", "phi2"), info("moondream2-mmproj", "clip", ptype="mlp"), "moondream"),
        (info("gemma-3-4b-it", "gemma3"), info("mmproj", "clip", ptype="gemma3"), "mtmd"),
        (info("SmolVLM-256M", "llama"), info("mmproj", "clip", ptype="idefics3"), "mtmd"),
        (info("Qwen3-VL-2B", "qwen3vl"), info("mmproj", "clip", ptype="qwen3vl_merger"), "mtmd"),
        (info("SmolLM2-135M"), info("tiny", "clip", ptype="mlp"), "mtmd"),
        (info("SmolLM2-135M"), None, "chat-template"),
    ],
)
def test_choose_handler(model, mmproj, expected):
    assert choose_handler(model, mmproj) == expected
    assert expected in HANDLER_NAMES


def test_handler_override_is_checked():
    with pytest.raises(ValueError, match="unknown chat handler"):
        LlamaCppBackend("m.gguf", "p.gguf", chat_handler="Gemma3Handler")
    with pytest.raises(ValueError, match="need one"):
        LlamaCppBackend("m.gguf", chat_handler="mtmd")


def test_not_loaded():
    with pytest.raises(RuntimeError, match="load"):
        LlamaCppBackend("m.gguf").complete(ASK)


# --- Refusals: the file never reaches llama.cpp ---


def test_missing_model_refused(tmp_path, llama_cpp_must_not_load):
    with pytest.raises(ModelFileError, match=r"gone\.gguf: file not found"):
        LlamaCppBackend(tmp_path / "gone.gguf").load()


def test_not_a_gguf_refused(tmp_path, llama_cpp_must_not_load):
    (tmp_path / "model.gguf").write_text("<html>404 Not Found</html>")
    with pytest.raises(ModelFileError, match=r"model\.gguf is not a GGUF model file"):
        LlamaCppBackend(tmp_path / "model.gguf").load()


def test_truncated_model_refused(tmp_path, smollm2, llama_cpp_must_not_load):
    with open(smollm2, "rb") as f:
        (tmp_path / "smol.gguf").write_bytes(f.read(20_000_000))
    with pytest.raises(ModelFileError, match=r"smol\.gguf is truncated: .* 20\.0 MB"):
        LlamaCppBackend(tmp_path / "smol.gguf").load()


def test_mmproj_as_model_refused(tiny_mmproj_576, llama_cpp_must_not_load):
    with pytest.raises(ModelFileError, match="is a vision projector"):
        LlamaCppBackend(tiny_mmproj_576).load()


def test_mismatched_mmproj_refused(tmp_path, smollm2, make_tiny_mmproj, llama_cpp_must_not_load):
    proj = make_tiny_mmproj(tmp_path / "mmproj-512.gguf", 512)
    with pytest.raises(ModelFileError) as err:
        LlamaCppBackend(smollm2, proj).load()
    assert str(err.value) == (
        f"mmproj mmproj-512.gguf projects to 512 but model {smollm2.name} expects 576: "
        "they are not from the same model"
    )


def test_broken_mmproj_refused(tmp_path, smollm2, make_tiny_mmproj, llama_cpp_must_not_load):
    # llama.cpp itself segfaults on this file during its warm-up.
    proj = make_tiny_mmproj(tmp_path / "mmproj-broken.gguf", 576,
                            missing_tensor="v.blk.0.attn_q.weight")
    with pytest.raises(ModelFileError, match="tensor v.blk.0.attn_q.weight is missing"):
        LlamaCppBackend(smollm2, proj).load()


def test_llama_cpp_errors_become_model_file_errors(tmp_path):
    pytest.importorskip("llama_cpp")
    gguf = pytest.importorskip("gguf")
    path = tmp_path / "header-only.gguf"  # valid header, no weights at all
    writer = gguf.GGUFWriter(str(path), arch="llama")
    writer.add_uint32("llama.embedding_length", 576)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    with pytest.raises(ModelFileError, match=r"llama\.cpp could not load header-only\.gguf"):
        LlamaCppBackend(path).load()


def test_llama_cpp_mmproj_errors_carry_its_reason(tmp_path, smollm2, make_tiny_mmproj, monkeypatch):
    # Had the pairing check missed it, llama.cpp's own refusal still arrives as a clear error.
    pytest.importorskip("llama_cpp")
    from iea_desktop.agent.backends import llama_cpp_backend

    monkeypatch.setattr(llama_cpp_backend, "check_pairing", lambda model, mmproj: None)
    proj = make_tiny_mmproj(tmp_path / "mmproj-512.gguf", 512)
    with pytest.raises(ModelFileError, match=r"could not load mmproj mmproj-512\.gguf: .*"
                       r"mismatch between text model \(n_embd = 576\) and mmproj \(n_embd = 512\)"):
        LlamaCppBackend(smollm2, proj).load()


# --- Real turns with SmolLM2-135M ---


def test_text_backend_facts(text_backend):
    assert text_backend.name == "Smollm2 135M 8k Lc100K Mix1 Ep2"
    assert text_backend.handler_name == "chat-template"
    assert not text_backend.has_vision
    assert not text_backend.uses_gpu  # this machine's build is CPU-only
    assert text_backend.device_label == f"CPU, {text_backend.n_threads} threads"


def test_text_turn_under_tool_calls_grammar(text_backend):
    pieces = []
    out = text_backend.complete(
        [{"role": "system", "content": "You edit photos. Reply with JSON."},
         {"role": "user", "content": "Make it brighter and add contrast."}],
        grammar=tool_calls_grammar(TOOLS, max_edits=1, reply_chars=30, reason_chars=20),
        max_tokens=150,
        on_text=pieces.append,
    )
    assert "".join(pieces) == out
    answer = json.loads(out)
    assert isinstance(answer["reply"], str)
    for edit in answer["edits"]:
        lo, hi = next((lo, hi) for name, lo, hi in TOOLS if name == edit["tool"])
        assert lo <= edit["value"] <= hi


def test_image_is_ignored_without_vision(text_backend):
    assert isinstance(text_backend.complete(ASK, image_png=preview_png(), max_tokens=4), str)


def test_image_turn_through_multimodal_handler(vision_backend):
    assert vision_backend.has_vision
    assert vision_backend.handler_name == "mtmd"
    assert isinstance(vision_backend.complete(ASK, image_png=preview_png(), max_tokens=8), str)
    # The image reached the model: the prompt grew by the tiny encoder's 16 patch
    # embeddings (plus the line break that separates the image from the text).
    vision_backend.complete(ASK, image_png=preview_png(), max_tokens=1)
    with_image = vision_backend._llama.n_tokens
    vision_backend.complete(ASK, max_tokens=1)
    without_image = vision_backend._llama.n_tokens
    assert with_image - without_image == 16 + 1


def test_handler_override_and_progress(smollm2, tiny_mmproj_576, llama_cpp_works):
    steps = []
    backend = LlamaCppBackend(smollm2, tiny_mmproj_576, chat_handler="llava-1.5", n_ctx=1024)
    backend.load(progress=lambda fraction, text: steps.append((fraction, text)))
    try:
        assert backend.handler_name == "llava-1.5"
        fractions = [f for f, _ in steps]
        assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
        assert isinstance(backend.complete(ASK, image_png=preview_png(), max_tokens=4), str)
    finally:
        backend.close()


def test_cancel_mid_stream(text_backend):
    cancel = threading.Event()
    seen = []

    def on_text(text):
        seen.append(text)
        cancel.set()

    story = [{"role": "user", "content": "Tell me a long story about a lighthouse keeper."}]
    with pytest.raises(Cancelled):
        text_backend.complete(story, max_tokens=64, on_text=on_text, cancel=cancel)
    assert len(seen) == 1
    # Usable again, and a cancel event set before the call stops it at once.
    assert text_backend.complete(story, max_tokens=8)
    with pytest.raises(Cancelled):
        text_backend.complete(story, max_tokens=8, on_text=seen.append, cancel=cancel)
    assert len(seen) == 1


def test_one_request_at_a_time(text_backend):
    log = []
    errors = []

    def run(tag):
        try:
            text_backend.complete(ASK, max_tokens=6, on_text=lambda t: log.append(tag))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(tag,)) for tag in "AB"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    runs = "".join(log)
    assert runs.count("AB") + runs.count("BA") <= 1  # one switch at most: no interleaving


def test_a_gguf_without_llama_cpp_installed_is_refused_with_the_install_command(tmp_path, monkeypatch):
    """A plain `pip install` has no llama.cpp: choosing a model says so; the built-in assistant still works."""
    from iea_desktop.agent.assistants import load_assistant

    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    with pytest.raises(ModelFileError, match=r"llama.cpp support is not installed.*make setup"):
        load_assistant(str(tmp_path / "model.gguf"))
    assert load_assistant("builtin").is_builtin
