"""Prompt caching (issue 17, item 5): a later turn evaluates only what changed since the turn
before, so the fixed system prompt is read once per loaded model, and the photo's tokens are
kept while everything before them is the same. Measured with SmolLM2-135M (and the tiny mmproj
of tests/tools for the image path) through ``last_usage``, never through timings.
"""
from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from iea_desktop.agent.assistants import ModelAssistant
from iea_desktop.agent.dialects.generic import GenericDialect, system_prompt
from iea_desktop.agent.session import AssistantSession
from iea_desktop.core.chat import ChatMessage
from iea_desktop.core.document import Document

IMAGE_TOKENS = 16  # the tiny mmproj's patches (tests/tools/make_tiny_mmproj.py)


def png(colour) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), colour).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def doc(tmp_path):
    pixels = (np.random.default_rng(3).random((48, 64, 3)) * 200 + 20).astype(np.uint8)
    Image.fromarray(pixels).save(tmp_path / "photo.png")
    return Document.open(tmp_path / "photo.png")


def record_turn(doc, turn_id, request, reply, change):
    doc.add_chat(ChatMessage("user", request, turn_id, 0.0),
                 ChatMessage("assistant", reply, turn_id, 0.0,
                             changes=({"kind": "added", "node_id": turn_id, "text": change},)))


# --- which part of a prompt is kept (no model needed, only llama-cpp-python's classes) -----------

@pytest.fixture
def handler():
    pytest.importorskip("llama_cpp")
    from iea_desktop.agent.backends.llama_cpp_backend import _flat_mtmd_handler_class

    cls = _flat_mtmd_handler_class()
    handler = cls.__new__(cls)  # no projector needed to compare chunks
    handler._evaluated = [(("text", (1, 2, 3, 4)), 4), (("image", b"photo-a", 16), 16), (("text", (7, 8, 9)), 3)]
    return handler


@pytest.mark.parametrize("keys, expected", [
    # (positions kept, first chunk to evaluate, its tokens kept)
    ([(("text", (1, 2, 3, 4)), 4), (("image", b"photo-a", 16), 16), (("text", (7, 8, 5, 6)), 4)], (22, 2, 2)),
    ([(("text", (1, 2, 3, 4)), 4), (("image", b"photo-b", 16), 16), (("text", (7, 8, 9)), 3)], (4, 1, 0)),
    ([(("text", (1, 2, 5, 4)), 4), (("image", b"photo-a", 16), 16), (("text", (7, 8, 9)), 3)], (2, 0, 2)),
    # the same prompt again: its last token is read again, for the logits of the next one
    ([(("text", (1, 2, 3, 4)), 4), (("image", b"photo-a", 16), 16), (("text", (7, 8, 9)), 3)], (22, 2, 2)),
    # a prompt that ends where the previous one's image began
    ([(("text", (1, 2, 3, 4)), 4)], (3, 0, 3)),
    ([(("text", (9,)), 1)], (0, 0, 0)),
])
def test_the_common_start_of_two_prompts_is_kept(handler, keys, expected):
    assert handler._reusable(keys) == expected


# --- with a real model ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def isolated_smollm2(smollm2, llama_cpp_works):
    from iea_desktop.agent.backends.model_process import IsolatedBackend

    backend = IsolatedBackend(smollm2, n_ctx=4096)  # the app's default: the generic tool table leaves 2048 no room for a turn
    backend.load()
    yield backend
    backend.close()


def test_a_later_turn_reads_only_what_changed(doc, isolated_smollm2):
    """The model in its child process, as the app runs it: the system prompt (instructions and
    the tool table) and the earlier turns are evaluated once; a later turn reads its own part."""
    backend, dialect = isolated_smollm2, GenericDialect()
    session = AssistantSession(doc, ModelAssistant(backend, dialect))
    messages, _ = dialect.build(session.context("make it warmer"), backend)
    backend.complete(messages, max_tokens=4)
    first = backend.last_usage
    record_turn(doc, "t1", "make it warmer", "Warmer.", "Temperature +30")
    messages, _ = dialect.build(session.context("a bit less"), backend)
    backend.complete(messages, max_tokens=4)
    later = backend.last_usage
    system = backend.count_tokens([system_prompt()])[0]
    assert first["evaluated_tokens"] == first["prompt_tokens"] > system  # nothing to keep yet
    assert later["prompt_tokens"] > first["prompt_tokens"]  # the conversation grew ...
    assert later["evaluated_tokens"] < first["evaluated_tokens"]  # ... yet less was read
    assert later["prompt_tokens"] - later["evaluated_tokens"] >= system  # the system prompt was kept
    assert later["generated_tokens"] >= 1 and later["first_token_s"] <= later["total_s"]


def test_a_warmed_up_model_reads_only_the_first_requests_own_part(doc, isolated_smollm2):
    """ModelAssistant.warm_up, which the window runs once a model is loaded: the instructions and
    the tool table are read before the person asks, and the first turn reads the rest."""
    backend = isolated_smollm2
    backend.complete([{"role": "user", "content": "Something else entirely."}], max_tokens=1)  # nothing kept
    assistant = ModelAssistant(backend, GenericDialect())
    assistant.warm_up()
    session = AssistantSession(doc, assistant)
    messages, _ = assistant.dialect.build(session.context("make it warmer"), backend)
    backend.complete(messages, max_tokens=4)
    usage = backend.last_usage
    system = backend.count_tokens([system_prompt()])[0]
    assert usage["prompt_tokens"] - usage["evaluated_tokens"] >= system - 2  # the instructions were kept


def test_the_backends_tokenizer_counts_in_the_child(isolated_smollm2, text_backend):
    texts = ["Make it warmer, please.", "", "| exposure | brightness | -100..100 |"]
    assert isolated_smollm2.count_tokens(texts) == text_backend.count_tokens(texts)
    assert text_backend.count_tokens(["warmer"])[0] >= 1


def fresh_answer(smollm2, mmproj, messages, image) -> str:
    from iea_desktop.agent.backends.llama_cpp_backend import LlamaCppBackend

    backend = LlamaCppBackend(smollm2, mmproj, n_ctx=2048)
    backend.load()
    try:
        return backend.complete(messages, image_png=image, max_tokens=8)
    finally:
        backend.close()


def test_the_photos_tokens_are_kept_while_the_prompt_before_them_is_the_same(vision_backend, smollm2,
                                                                          tiny_mmproj_576):
    ask = [{"role": "system", "content": "You are a helpful photo editor. " * 20},
           {"role": "user", "content": "Describe the photo."}]
    vision_backend.complete(ask, image_png=png("red"), max_tokens=8)
    vision_backend.complete(ask, image_png=png("red"), max_tokens=8)  # the same again: nothing to read
    assert vision_backend.last_usage["evaluated_tokens"] == 1
    answer = vision_backend.complete(ask, image_png=png("blue"), max_tokens=8)  # another photo
    usage = vision_backend.last_usage
    assert IMAGE_TOKENS < usage["evaluated_tokens"] < usage["prompt_tokens"] // 4  # the photo and what follows it
    # what was kept gives the answer a fresh context gives
    assert answer == fresh_answer(smollm2, tiny_mmproj_576, ask, png("blue"))
