"""The model in a child process (IsolatedBackend): the same turns as in-process, and a crash of
llama.cpp (a damaged model file, an abort, a kill) becomes an error while this process lives on.

Real SmolLM2-135M turns; crashes are real too: a copy of SmolLM2 whose output norm weights are
NaN (what flipped bits in a download can do: the header checks cannot see it, and the grammar
sampler aborts on NaN logits), or a signal sent to the child."""
from __future__ import annotations

import importlib.util
import io
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from iea_desktop.agent.backends.gguf_inspect import ModelFileError, inspect_gguf
from iea_desktop.agent.backends.grammar import tool_calls_grammar
from iea_desktop.agent.backends.llama_cpp_backend import Cancelled
from iea_desktop.agent.backends.model_process import IsolatedBackend, ModelCrashed

ASK = [
    {"role": "system", "content": "You are a helpful photo editor."},
    {"role": "user", "content": "Describe the photo in one sentence."},
]
GRAMMAR = tool_calls_grammar([("exposure", -100, 100), ("contrast", -100, 100)],
                             max_edits=1, reply_chars=30, reason_chars=20)
EDIT = [{"role": "system", "content": "You edit photos. Reply with JSON."},
        {"role": "user", "content": "Make it brighter."}]
TOOLS = Path(__file__).resolve().parents[1] / "tools"
posix_only = pytest.mark.skipif(os.name != "posix", reason="signals")


def preview_png(turn: int = 0) -> bytes:
    from PIL import Image

    img = Image.linear_gradient("L").resize((448, 448)).convert("RGB").rotate(90 * turn)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def isolated(smollm2, llama_cpp_works):
    backend = IsolatedBackend(smollm2, n_ctx=2048)
    backend.load()
    yield backend
    backend.close()


@pytest.fixture(scope="module")
def nan_model(smollm2, tmp_path_factory) -> Path:
    """SmolLM2 with NaN output norm weights: a sound header over damaged tensor data."""
    spec = importlib.util.spec_from_file_location("damage_gguf", TOOLS / "damage_gguf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.copy_with_nan_tensor(smollm2, tmp_path_factory.mktemp("damaged") / "SmolLM2-nan.gguf")


def kill_child(backend: IsolatedBackend, sig: int) -> None:
    os.kill(backend._child.proc.pid, sig)


# --- The same turns as in-process ---


def test_facts_and_turns_match_in_process(isolated, text_backend):
    for fact in ("name", "handler_name", "uses_gpu", "device_label", "has_vision"):
        assert getattr(isolated, fact) == getattr(text_backend, fact), fact
    pieces = []
    out = isolated.complete(EDIT, grammar=GRAMMAR, max_tokens=120, on_text=pieces.append)
    assert "".join(pieces) == out and len(pieces) > 1  # streamed piece by piece
    assert out == text_backend.complete(EDIT, grammar=GRAMMAR, max_tokens=120)  # greedy: same text
    assert isolated.complete(ASK, max_tokens=12) == text_backend.complete(ASK, max_tokens=12)


def test_the_photo_reaches_the_model(smollm2, tiny_mmproj_576, vision_backend):
    backend = IsolatedBackend(smollm2, tiny_mmproj_576, n_ctx=2048)
    steps = []
    backend.load(progress=lambda fraction, text: steps.append(fraction))
    try:
        assert steps == sorted(steps) and steps[0] == 0.0 and steps[-1] == 1.0
        assert backend.has_vision and backend.handler_name == "mtmd"
        answers = [backend.complete(ASK, image_png=image, max_tokens=12)
                   for image in (preview_png(0), preview_png(1), None)]
        assert len(set(answers)) == 3  # each photo (and none) gives another answer...
        assert answers == [vision_backend.complete(ASK, image_png=image, max_tokens=12)
                           for image in (preview_png(0), preview_png(1), None)]  # ...as in-process
    finally:
        backend.close()


def test_load_errors_cross_the_boundary(tmp_path):
    pytest.importorskip("llama_cpp")
    gguf = pytest.importorskip("gguf")
    path = tmp_path / "header-only.gguf"  # a sound header without weights: llama.cpp refuses it
    writer = gguf.GGUFWriter(str(path), arch="llama")
    writer.add_uint32("llama.embedding_length", 576)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    with pytest.raises(ModelFileError, match=r"llama\.cpp could not load header-only\.gguf") as err:
        IsolatedBackend(path).load()
    assert err.value.path == path and not isinstance(err.value, ModelCrashed)
    with pytest.raises(ModelFileError, match=r"missing\.gguf: file not found"):
        IsolatedBackend(tmp_path / "missing.gguf").load()
    with pytest.raises(ValueError, match="unknown chat handler"):
        IsolatedBackend(path, chat_handler="nonsense")


def test_not_loaded_and_closed(smollm2, llama_cpp_works):
    backend = IsolatedBackend(smollm2, n_ctx=512)
    with pytest.raises(RuntimeError, match="not loaded"):
        backend.complete(ASK, max_tokens=2)
    backend.load()
    child = backend._child.proc
    backend.close()
    assert child.poll() is not None  # the process has ended
    with pytest.raises(RuntimeError, match="not loaded"):
        backend.complete(ASK, max_tokens=2)
    backend.close()  # twice is fine


def test_bad_requests_come_back_as_errors(isolated):
    with pytest.raises(ValueError, match="max_tokens must be positive"):
        isolated.complete(ASK, max_tokens=0)
    assert isolated.complete(ASK, max_tokens=2)


def test_an_error_in_on_text_does_not_leak_the_reply_into_the_next_request(isolated):
    def broken(text):
        raise KeyError("the chat went away")

    with pytest.raises(KeyError):
        isolated.complete(ASK, max_tokens=16, on_text=broken)
    assert isolated.complete(ASK, max_tokens=6) == isolated.complete(ASK, max_tokens=6)


# --- Stop ---


def test_cancel_mid_stream(isolated):
    cancel = threading.Event()
    seen = []

    def on_text(text):
        seen.append(text)
        cancel.set()

    story = [{"role": "user", "content": "Tell me a long story about a lighthouse keeper."}]
    with pytest.raises(Cancelled):
        isolated.complete(story, max_tokens=64, on_text=on_text, cancel=cancel)
    assert len(seen) == 1  # no text is relayed after the stop
    pid = isolated._child.proc.pid
    assert isolated.complete(story, max_tokens=8)  # the same child answers the next request
    assert isolated._child.proc.pid == pid
    with pytest.raises(Cancelled):
        isolated.complete(story, max_tokens=8, on_text=seen.append, cancel=cancel)
    assert len(seen) == 1


@posix_only
def test_a_child_that_does_not_stop_is_ended(isolated, monkeypatch):
    from iea_desktop.agent.backends import model_process

    monkeypatch.setattr(model_process, "STOP_GRACE_S", 0.2)
    cancel = threading.Event()

    def freeze(text):  # as if llama.cpp were busy with a long prompt
        kill_child(isolated, signal.SIGSTOP)
        cancel.set()

    frozen = isolated._child.proc
    with pytest.raises(Cancelled):
        isolated.complete(ASK, max_tokens=32, on_text=freeze, cancel=cancel)
    assert frozen.wait(timeout=30) == -signal.SIGKILL
    assert isolated.complete(ASK, max_tokens=4)  # a new child


# --- Crashes ---


@posix_only
def test_an_abort_during_a_turn_is_an_error_and_the_next_turn_works(isolated):
    with pytest.raises(ModelCrashed, match=r"^the model crashed \(SIGABRT\) while answering; "
                                           r"it will be restarted for the next request$"):
        isolated.complete(ASK, max_tokens=32, on_text=lambda text: kill_child(isolated, signal.SIGABRT))
    with pytest.raises(ModelCrashed, match=r"\(SIGKILL, out of memory\?\).*crashed 2 times in a row"):
        isolated.complete(ASK, max_tokens=32, on_text=lambda text: kill_child(isolated, signal.SIGKILL))
    assert isolated.complete(ASK, max_tokens=8)
    with pytest.raises(ModelCrashed, match=r"\(SIGSEGV\) while answering; it will be restarted for the next request$"):
        isolated.complete(ASK, max_tokens=32, on_text=lambda text: kill_child(isolated, signal.SIGSEGV))
    assert isolated.complete(ASK, max_tokens=8)


@posix_only
def test_a_child_killed_between_requests_is_restarted_quietly(isolated):
    child = isolated._child.proc
    kill_child(isolated, signal.SIGKILL)
    child.wait(timeout=30)
    assert isolated.complete(ASK, max_tokens=4)  # no error: nothing was running
    assert isolated._child.proc.pid != child.pid


def test_damaged_weights_crash_the_child_not_us(nan_model, llama_cpp_works):
    inspect_gguf(nan_model)  # the header is sound: only running the model shows the damage
    backend = IsolatedBackend(nan_model, n_ctx=1024)
    backend.load()
    try:
        with pytest.raises(ModelCrashed, match="crashed .* while answering"):
            backend.complete(EDIT, grammar=GRAMMAR, max_tokens=40)
        # Restarted: without a grammar, NaN logits give nonsense, not an abort.
        assert isinstance(backend.complete(ASK, max_tokens=4), str)
    finally:
        backend.close()


@posix_only
def test_a_crash_while_loading(smollm2, llama_cpp_works):
    backend = IsolatedBackend(smollm2, n_ctx=512)

    def progress(fraction, text):
        if text.startswith("Loading"):
            kill_child(backend, signal.SIGABRT)

    with pytest.raises(ModelCrashed, match=r"llama\.cpp crashed \(SIGABRT\) while loading "
                                           r"SmolLM2-135M-Instruct\.Q4_1\.gguf: the file is probably damaged"):
        backend.load(progress=progress)
    with pytest.raises(RuntimeError, match="not loaded"):
        backend.complete(ASK, max_tokens=2)
    backend.load()
    assert backend.complete(ASK, max_tokens=2)
    backend.close()


_ORPHAN = """
import os, sys
from iea_desktop.agent.backends.model_process import IsolatedBackend
backend = IsolatedBackend(sys.argv[1], n_ctx=512)
backend.load()
print(backend._child.proc.pid, flush=True)
os.kill(os.getpid(), 9)
"""


@posix_only
def test_the_child_ends_when_the_app_is_killed(smollm2, llama_cpp_works):
    done = subprocess.run([sys.executable, "-c", _ORPHAN, str(smollm2)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr
    pid = int(done.stdout.split()[0])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    assert not _alive(pid)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"  # a zombie has exited
    except FileNotFoundError:
        return False
    except OSError:  # no /proc (macOS)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True


# --- A turn of the assistant session: the person's edits survive a crash ---


def test_a_crashing_model_leaves_the_document_as_it_was(tmp_path, nan_model, llama_cpp_works):
    import numpy as np

    from iea_desktop.agent.assistants import load_model_assistant
    from iea_desktop.agent.session import AssistantSession
    from iea_desktop.core.document import Document
    from iea_desktop.core.graph import make_node
    from iea_desktop.core.history import AddNode

    photo = tmp_path / "photo.png"
    from PIL import Image

    Image.fromarray((np.random.default_rng(1).random((64, 96, 3)) * 255).astype(np.uint8)).save(photo)
    doc = Document.open(photo)
    doc.apply(AddNode(make_node("exposure", {"value": 30})))
    before = (list(doc.graph.nodes), len(doc.history.entries))
    assistant = load_model_assistant(nan_model, dialect="generic")
    try:
        assert isinstance(assistant.backend, IsolatedBackend)
        result = AssistantSession(doc, assistant).run_turn("make it warmer")
        assert result.error and "crashed" in result.error and not result.applied
        assert "will be restarted" in result.reply and "Nothing was changed" in result.reply
        assert (list(doc.graph.nodes), len(doc.history.entries)) == before
    finally:
        assistant.backend.close()
