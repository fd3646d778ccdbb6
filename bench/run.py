"""The performance benchmark (``make bench``): every row of the performance issue, min/median/max.

    .venv/bin/python bench/run.py [--quick] [--rows a,b] [--json FILE] [--label TEXT] [--tree DIR]

Each row runs in a fresh worker process (bench/cases.py) so that one row's caches and memory
peak do not leak into the next; the export row times the whole ``iea-desktop render`` process
and reads its peak RSS from the kernel (wait4). Inputs are generated once into bench/data/.
Targets are for the reference machine kind (2 cores); they are reported, not asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from cases import NEW_TOOLS, SIXTEEN  # noqa: E402
from inputs import ensure_inputs  # noqa: E402

GB = 1e9

# (key, label, kind, target, repeats, quick repeats); kind: "s" seconds, "ms", "GB"
ROWS = [
    ("open_jpeg", "open 24 MP JPEG -> first preview ready", "s", 0.4, 7, 3),
    ("preview_scratch", "preview render, 16 tools, from scratch", "ms", 30, 30, 10),
    ("slider_saturation", "re-render after a slider move (saturation, middle)", "ms", 15, 60, 20),
    ("slider_first", "re-render after a slider move (exposure, first: worst case)", "ms", None, 40, 10),
    ("slider_last", "re-render after a slider move (sharpness, last)", "ms", None, 40, 10),
    ("slider_window", "... saturation, as the window gets it (frame + histogram)", "ms", None, 40, 10),
    ("slider_colour_mixer", "slider move: colour mixer (16 tools active)", "ms", 15, 40, 10),
    ("slider_tone_curve", "slider move: tone curve point (16 tools active)", "ms", 15, 40, 10),
    ("slider_white_balance", "slider move: white balance temperature (16 tools active)", "ms", 15, 40, 10),
    ("slider_clarity", "slider move: clarity (16 tools active)", "ms", 15, 40, 10),
    ("slider_texture", "slider move: texture (16 tools active)", "ms", 15, 40, 10),
    ("slider_dehaze", "slider move: dehaze (16 tools active)", "ms", 15, 40, 10),
    ("slider_noise", "slider move: noise reduction, luminance (16 tools active)", "ms", 40, 40, 10),
    ("slider_1to1", "slider move at 1:1 (visible region, 24 MP): saturation", "ms", 300, 20, 6),
    ("export", "export 24 MP JPEG, 16 tools (whole CLI process)", "s", 1.2, 5, 3),
    ("export_rss", "peak memory of that export", "GB", 1.2, None, None),
    ("export_all", "export 24 MP JPEG, 16 tools + the 7 of issue 15 (CLI)", "s", 2.5, 3, 2),
    ("export_all_rss", "peak memory of that export", "GB", 0.8, None, None),
    ("edit_session", "peak memory editing 24 MP, 16 nodes, 200 undo steps", "GB", 1.5, 1, 1),
    ("slider_masked", "slider move on a masked node (16 tools + 3 masked nodes)", "ms", 15, 40, 10),
    ("brush_dab", "brush: one dab to an updated frame (16 tools + 3 masked)", "ms", 30, 100, 30),
    ("area_masks", "automatic sky / subject / people mask, preview size, uncached", "ms", 300, 3, 1),
    ("export_masked", "export 24 MP JPEG, 16 tools + 3 masked nodes, one sky (CLI)", "s", 1.5, 3, 2),
    ("export_masked_rss", "peak memory of that export", "GB", 0.6, None, None),
    ("raw_embedded", "24 MP DNG: first preview (embedded JPEG)", "s", None, 5, 3),
    ("raw_half", "24 MP DNG without preview: half-size preview", "s", 2.0, 3, 2),
    ("raw_white_balance", "RAW white balance slider, 24 MP DNG, preview (16 tools active)", "ms", 30, 40, 10),
    ("slider_saturation_numpy", "numpy kernel fallback: slider move (saturation, middle)", "ms", None, 20, 10),
    ("export_numpy", "numpy kernel fallback: export 24 MP JPEG, 16 tools (CLI)", "s", None, 3, 2),
    ("model_first_turn", "assistant turn, SmolLM2 (child process): first, fresh model", "s", None, 3, 1),
    ("model_first_turn_warmed", "... first turn, the instructions read ahead (as the window does)", "s", None, 3, 1),
    ("model_later_turn", "... later turns of the conversation (prompt kept)", "s", None, 1, 1),
    ("library_thumbs_cold", "open a folder of 200 24 MP JPEGs: first screen of thumbnails", "s", 1.5, 5, 2),
    ("library_thumbs_cached", "... the same, thumbnails cached on disk", "s", 0.3, 5, 2),
    ("library_switch", "filmstrip: the next 24 MP photo until its preview shows", "s", 0.3, 10, 4),
    ("batch_export", "batch export 50 24 MP JPEGs, 16 tools (iea-desktop batch)", "s", 45, 1, 1),
    ("batch_export_rss", "peak memory of that batch (the process and its workers)", "GB", 1.0, None, None),
]
# Rows that measure another row's case with the compiled kernel turned off (core/kernel.py).
NUMPY_KERNEL = {"slider_saturation_numpy": "slider_saturation", "export_numpy": "export"}


def machine() -> dict:
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GB
    except (ValueError, OSError):
        mem = float("nan")
    versions = subprocess.run(
        [sys.executable, "-c", "import numpy, cv2, PIL, rawpy; print(numpy.__version__, cv2.__version__, PIL.__version__, rawpy.__version__)"],
        capture_output=True, text=True).stdout.split()
    return {"cpu": model, "cores": cores, "memory_gb": round(mem, 1), "python": platform.python_version(),
            "numpy": versions[0] if versions else "?", "opencv": versions[1] if len(versions) > 1 else "?",
            "pillow": versions[2] if len(versions) > 2 else "?", "rawpy": versions[3] if len(versions) > 3 else "?"}


TREE = ROOT  # the checkout measured (--tree)


def run_case(name: str, repeats: int, env: dict | None = None) -> dict:
    proc = subprocess.run([sys.executable, str(HERE / "cases.py"), name, str(repeats)], capture_output=True, text=True,
                          cwd=TREE, env={**os.environ, "IEA_BENCH_TREE": str(TREE), **(env or {})})
    if proc.returncode != 0:
        raise SystemExit(f"bench: case {name} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_export(paths: dict, repeats: int, env: dict | None = None,
               tools: dict = SIXTEEN, project: Path | None = None) -> tuple[list[float], list[int]]:
    """Time `python -m iea_desktop render` as a whole process with ``tools`` (--params) or a
    ``project`` (--project); peak RSS from wait4's rusage."""
    times, peaks = [], []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.jpg"
        edits = ["--project", str(project)] if project else ["--params", json.dumps(tools)]
        cmd = [sys.executable, "-m", "iea_desktop", "render", str(paths["jpeg"]), "-o", str(out), "-q", *edits]
        env = {**os.environ, "IEA_HOME": tmp, **(env or {})}
        for _ in range(repeats):
            t0 = time.perf_counter()
            proc = subprocess.Popen(cmd, cwd=TREE, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            _, status, usage = os.wait4(proc.pid, 0)
            times.append(time.perf_counter() - t0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            err = proc.stderr.read().decode()
            if proc.returncode != 0:
                raise SystemExit(f"bench: export failed:\n{err}")
            peaks.append(usage.ru_maxrss * 1024)
    return times, peaks


BATCH_PHOTOS = 50


def _tree_rss(root: int) -> int:
    """Resident bytes of process ``root`` and all its descendants now (from /proc; shared pages
    are counted in each process, so this errs high)."""
    parents = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as stat:
                    parents[int(entry.name)] = int(stat.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    tree, total = {root}, 0
    for _ in range(4):  # the batch's workers are children of its process (spawn adds no deeper level)
        tree |= {pid for pid, parent in parents.items() if parent in tree}
    for pid in tree:
        try:
            with open(f"/proc/{pid}/statm") as statm:
                total += int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            pass
    return total


def run_batch(paths: dict, repeats: int) -> tuple[list[float], list[int]]:
    """Time `python -m iea_desktop batch` on BATCH_PHOTOS 24 MP JPEGs (links to the bench's photo:
    read from the OS's file cache) with the 16 tools, as a whole process; its memory peak is the
    highest sum of the resident memory of the process and its workers, sampled every 20 ms."""
    import threading

    times, peaks = [], []
    with tempfile.TemporaryDirectory() as tmp:
        photos = []
        for i in range(BATCH_PHOTOS):
            photos.append(Path(tmp) / f"DSC_{i:04}.jpg")
            photos[-1].symlink_to(paths["jpeg"])
        cmd = [sys.executable, "-m", "iea_desktop", "batch", *map(str, photos), "-o", str(Path(tmp) / "out"), "-q",
               "--params", json.dumps(SIXTEEN)]
        env = {**os.environ, "IEA_HOME": tmp}
        for _ in range(repeats):
            t0 = time.perf_counter()
            proc = subprocess.Popen(cmd, cwd=TREE, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            peak, done = [0], threading.Event()

            def sample() -> None:
                while not done.wait(0.02):
                    peak[0] = max(peak[0], _tree_rss(proc.pid))

            sampler = threading.Thread(target=sample)
            sampler.start()
            out, err = proc.communicate()
            times.append(time.perf_counter() - t0)
            done.set()
            sampler.join()
            if proc.returncode != 0 or len(list((Path(tmp) / "out").iterdir())) != BATCH_PHOTOS:
                raise SystemExit(f"bench: batch failed:\n{err.decode()}")
            peaks.append(peak[0])
    return times, peaks


def masked_project(paths: dict) -> Path:
    """The masked export's project (bench/cases.py writes it in a worker of the tree measured)."""
    proc = subprocess.run([sys.executable, "-c", "import sys, cases; from inputs import ensure_inputs; "
                           "print(cases._masked_project(ensure_inputs(verbose=False), 'sky'))"],
                          capture_output=True, text=True, cwd=HERE, env={**os.environ, "IEA_BENCH_TREE": str(TREE)})
    if proc.returncode != 0:
        raise SystemExit(f"bench: the masked project could not be made:\n{proc.stderr}")
    return Path(proc.stdout.strip().splitlines()[-1])


def fmt(value: float, kind: str) -> str:
    if kind == "ms":
        return f"{value * 1000:.1f}"
    if kind == "GB":
        return f"{value / GB:.2f}"
    return f"{value:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument("--rows", help="comma-separated row keys (default: all)")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--label", default="", help="a name for this run, stored in the JSON")
    parser.add_argument("--tree", help="measure another checkout of the project (e.g. a git worktree of an older commit)")
    args = parser.parse_args()
    global TREE
    TREE = Path(args.tree).resolve() if args.tree else ROOT
    wanted = set(args.rows.split(",")) if args.rows else None

    paths = ensure_inputs()
    info = machine()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    info["load_before"] = round(load, 2)
    if load > 0.5:
        print(f"warning: load average {load:.2f} before the run: other work on this machine skews the timings",
              file=sys.stderr)
    print(f"measuring: {TREE}")
    print(f"machine: {info['cpu']}, {info['cores']} cores, {info['memory_gb']} GB; Python {info['python']}, "
          f"numpy {info['numpy']}, OpenCV {info['opencv']}, Pillow {info['pillow']}, rawpy {info['rawpy']}")
    results = {}
    for key, label, kind, target, repeats, quick in ROWS:
        if wanted and key not in wanted and not (key.endswith("_rss") and key[:-4] in wanted):
            continue
        n = quick if args.quick else repeats
        if key == "export":
            times, peaks = run_export(paths, n)
            results["export"] = {"values": times}
            results["export_rss"] = {"values": peaks}
        elif key == "export_all":
            times, peaks = run_export(paths, n, tools={**SIXTEEN, **NEW_TOOLS})
            results["export_all"] = {"values": times}
            results["export_all_rss"] = {"values": peaks}
        elif key == "export_masked":
            times, peaks = run_export(paths, n, project=masked_project(paths))
            results["export_masked"] = {"values": times}
            results["export_masked_rss"] = {"values": peaks}
        elif key == "batch_export":
            times, peaks = run_batch(paths, n)
            results["batch_export"] = {"values": times, "info": {"per photo s": round(min(times) / BATCH_PHOTOS, 3)}}
            results["batch_export_rss"] = {"values": peaks}
        elif key in ("export_rss", "export_all_rss", "export_masked_rss", "batch_export_rss"):
            pass
        elif key in NUMPY_KERNEL:
            numpy_kernel = {"IEA_KERNEL": "python"}
            if NUMPY_KERNEL[key] == "export":
                times, peaks = run_export(paths, n, numpy_kernel)
                results[key] = {"values": times, "info": {"peak memory GB": round(max(peaks) / GB, 2)}}
            else:
                out = run_case(NUMPY_KERNEL[key], n, numpy_kernel)
                results[key] = {"values": out["times"], "info": out["info"]}
        elif key == "edit_session":
            out = run_case(key, n)
            results[key] = {"values": [out["peak_rss"]], "info": out["info"]}
        else:
            out = run_case(key, n)
            results[key] = {"values": out["times"], "info": out["info"]}
        print(f"  measured {key}", file=sys.stderr, flush=True)

    header = f"| {'row':62} | {'min':>8} | {'median':>8} | {'max':>8} | {'unit':4} | {'target':>7} | ok |"
    lines = [header, "|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|"]
    for key, label, kind, target, _, _ in ROWS:
        if key not in results:
            continue
        values = sorted(results[key]["values"])
        med = statistics.median(values)
        unit = {"s": "s", "ms": "ms", "GB": "GB"}[kind]
        target_text = f"<= {target:g}" if target is not None else "-"
        scale = {"s": 1, "ms": 1e-3, "GB": GB}[kind]
        ok = "" if target is None else ("yes" if med <= target * scale else "NO")
        lines.append(f"| {label:62} | {fmt(values[0], kind):>8} | {fmt(med, kind):>8} | {fmt(values[-1], kind):>8} | "
                     f"{unit:4} | {target_text:>7} | {ok:2} |")
        results[key].update(label=label, unit=unit, target=target, median=med)
    print("\n".join(lines))
    notes = [f"{key}: {results[key]['info']}" for key, *_ in ROWS if key in results and results[key].get("info")]
    if notes:
        print("notes: " + "; ".join(notes))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"label": args.label, "machine": info, "when": time.strftime("%Y-%m-%d %H:%M"),
                                               "results": results}, indent=1))


if __name__ == "__main__":
    main()
