"""Fault injection for the command line: damaged inputs, special files, failing disks, concurrent edits.

    .venv/bin/python tools/fuzz.py [--cases 40] [--seed 1] [--jobs 2] [--timeout 60] [--families photos,projects]

Every case runs ``iea-desktop`` in a process of its own (with a private IEA_HOME) and is judged on
what the person would see: exit 0, or one clean line ``iea-desktop: error: ...`` and a non-zero
exit; never a traceback, a signal or a hang; the original photo's bytes unchanged; no temporary
or half-written file left; and, for ``edit --project``, every turn that reported success in the
project. At the end it prints one table row per family (``--cases`` is the number per family).

Families:
  photos    mutated PNG/JPEG/TIFF (8 and 16 bits)/WebP/DNG files (bit flips, truncations, zeroed,
            random or repeated runs, changed header fields) rendered to PNG and JPEG
  projects  a real project, damaged: truncated, bytes flipped, values replaced by huge numbers,
            NaN/Infinity tokens, wrong types, deep nesting; read by `render` and by `edit`
  params    --params objects with odd names and values, and files that are not UTF-8, too deep,
            too big
  models    a tiny GGUF model file, damaged, given to `edit --model`
  special   FIFOs, /dev/zero and /dev/urandom links, folders, dangling links, empty files as the
            photo, the project, the params, the model, the output or the trace
  disk      a full disk, a read-only file system or a refused folder where the output, the
            project, the trace or the log go (injected in the child process: see ``--child``)
  concurrent two `edit`s of one project at once (two processes per case)
  kills     `edit --project` killed (SIGKILL) at a random moment; the project must still be readable

The seed files and mutations are shared with tests/test_fault_injection.py, which runs a small
fixed selection of these cases in-process as part of the test suite.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

FAMILIES = ("photos", "projects", "params", "models", "special", "disk", "concurrent", "kills")
COLUMNS = ("cases", "ok", "clean refusals", "noisy", "tracebacks", "signals", "hangs", "originals changed",
           "partial files", "turns lost")
REQUESTS = ("make it warmer", "brighter", "more contrast", "cooler", "less saturated", "a bit darker")
TEMPORARY = re.compile(r".*\.tmp$")


# --- seed files -------------------------------------------------------------------------------

def seed_pixels(height: int = 48, width: int = 64, seed: int = 0) -> np.ndarray:
    """Small 8-bit RGB pixels with gradients and texture (every decoder path has something to do)."""
    rng = np.random.default_rng(seed)
    ys, xs = np.mgrid[0:height, 0:width]
    image = np.stack([xs * 255 // max(width - 1, 1), ys * 255 // max(height - 1, 1),
                      (xs * ys) % 256], axis=-1) + rng.integers(0, 24, (height, width, 3))
    return np.clip(image, 0, 255).astype(np.uint8)


def write_dng(path: Path, width: int = 64, height: int = 48) -> Path:
    """A small 16-bit RGGB Bayer mosaic as an uncompressed DNG (tests/tools/dng.py; pidng, a test dependency)."""
    sys.path.insert(0, str(ROOT / "tests" / "tools"))
    from dng import dng_bytes

    cfa = (256 + seed_pixels(height, width)[..., 1].astype(np.uint16) * 12).astype(np.uint16)
    path.write_bytes(dng_bytes(cfa, model="Fuzz Camera"))
    return path


def make_seed_photos(folder: Path) -> dict[str, Path]:
    """One small valid photo of each kind the app opens: {kind: path}."""
    import cv2
    import tifffile
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    pixels = seed_pixels()
    deep = pixels.astype(np.uint16) * 257
    photos = {}
    for kind, name, save in (
        ("png", "seed.png", lambda p: Image.fromarray(pixels).save(p)),
        ("jpeg", "seed.jpg", lambda p: Image.fromarray(pixels).save(p, quality=90)),
        ("tiff", "seed.tif", lambda p: tifffile.imwrite(p, pixels, photometric="rgb", compression="zlib")),
        ("tiff16", "seed16.tif", lambda p: tifffile.imwrite(p, deep, photometric="rgb")),
        ("png16", "seed16.png", lambda p: cv2.imwrite(str(p), deep[..., ::-1])),
        ("webp", "seed.webp", lambda p: Image.fromarray(pixels).save(p, quality=80)),
        ("dng", "seed.dng", lambda p: write_dng(p)),
    ):
        try:
            save(folder / name)
        except ImportError:  # pidng missing: no DNG seed
            continue
        photos[kind] = folder / name
    return photos


def tiny_gguf(path: Path, block_count: int = 2) -> Path:
    """A small GGUF with a text model's header and one tiny tensor (the gguf package)."""
    import gguf

    writer = gguf.GGUFWriter(str(path), arch="llama")
    writer.add_name("Fuzz Model")
    writer.add_uint32("llama.embedding_length", 8)
    writer.add_uint32("llama.block_count", block_count)
    writer.add_string("tokenizer.chat_template", "{% for m in messages %}{{ m['content'] }}{% endfor %}")
    writer.add_tensor("blk.0.attn_q.weight", np.zeros((8, 8), np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def seed_project(photo: Path, target: Path) -> Path:
    """A real project of ``photo``: three nodes (one masked with every kind of component), a
    history, a chat and a snapshot."""
    from iea_desktop.core.chat import ChatMessage
    from iea_desktop.core.document import Document
    from iea_desktop.core.graph import make_node
    from iea_desktop.core.history import AddNode, SetNodeFields
    from iea_desktop.core.masks import Area, Brush, ColourRange, Linear, LuminanceRange, Mask, Radial, Stroke

    doc = Document.open(photo)
    first = make_node("exposure", {"value": 20})
    doc.apply(AddNode(first))
    doc.apply(AddNode(make_node("crop", {"left": 0.1, "right": 0.9})))
    mask = Mask(components=(
        Linear(start=(0.5, 0.0), end=(0.5, 0.6)),
        Radial(centre=(0.4, 0.5), radii=(0.3, 0.2), angle=10, mode="subtract"),
        Brush(strokes=(Stroke(points=((0.2, 0.2), (0.3, 0.25), (0.35, 0.4)), radius=0.05),)),
        LuminanceRange(low=0.2, high=0.7, mode="intersect"),
        ColourRange(hue=200, tolerance=40),
        Area(area="sky"),
    ), feather=0.02, density=0.9)
    doc.apply(AddNode(make_node("saturation", {"value": 30}, mask=mask)))
    doc.apply(SetNodeFields(first.id, opacity=0.5))
    doc.history.take_snapshot("half")
    doc.add_chat(ChatMessage("user", "brighter", "t1", 1.0))
    return doc.save(target)


# --- mutations --------------------------------------------------------------------------------

def mutate_bytes(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """One random damage to a file's bytes, and its description."""
    data = bytearray(data)
    kind = rng.choice(("flip", "truncate", "zeros", "random", "repeat", "header"))
    if kind == "flip":
        count = rng.choice((1, 2, 8, 64))
        for _ in range(count):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        return bytes(data), f"{count} bit flips"
    if kind == "truncate":
        size = rng.randrange(1, len(data))
        return bytes(data[:size]), f"truncated to {size} bytes"
    start, length = rng.randrange(len(data)), rng.choice((4, 64, 1024))
    if kind == "zeros":
        data[start:start + length] = bytes(len(data[start:start + length]))
        return bytes(data), f"{length} bytes zeroed at {start}"
    if kind == "random":
        data[start:start + length] = rng.randbytes(len(data[start:start + length]))
        return bytes(data), f"{length} random bytes at {start}"
    if kind == "repeat":
        chunk = data[start:start + length]
        return bytes(data[:start] + chunk * rng.choice((2, 50)) + data[start:]), f"{length} bytes repeated at {start}"
    at = rng.randrange(min(len(data) - 4, 96))  # the header's size and offset fields
    data[at:at + 4] = rng.choice((b"\xff\xff\xff\xff", b"\x00\x00\x00\x00", b"\x7f\xff\xff\xff", b"\x00\x00\x37\x3e"))
    return bytes(data), f"header bytes {at}..{at + 3} changed"


# Values that have broken JSON readers before: each is JSON text, put in place of a value.
ODD_JSON_VALUES = (
    "1" + "0" * 400, "-1" + "0" * 400, "1" + "0" * 5000, "1e400", "-1e400", "NaN", "Infinity", "-Infinity",
    "true", "false", "null", '""', '"x"', '"' + "é" * 5000 + '"', "[]", "{}", "-1", "0", "0.5", "1e-400",
    "[" * 100_000 + "]" * 100_000, '{"a":' * 5000 + "1" + "}" * 5000, "9007199254740993", "3.0", '"1"',
)


def mutate_json_text(text: str, rng: random.Random) -> tuple[bytes, str]:
    """One random damage to a JSON file: a value replaced by an odd one, a key dropped, or the text
    truncated, flipped or given a byte that is not UTF-8."""
    kind = rng.choice(("value", "value", "value", "drop", "truncate", "bytes", "utf8"))
    if kind in ("value", "drop"):
        data = json.loads(text)
        path, parent, key = _random_slot(data, rng)
        if parent is None:
            return b"[]", "the whole file replaced by []"
        if kind == "drop" and isinstance(parent, dict):
            del parent[key]
            return json.dumps(data).encode(), f"{'/'.join(map(str, path))} dropped"
        odd = rng.choice(ODD_JSON_VALUES)
        parent[key] = "@@ODD@@"
        return (json.dumps(data).replace('"@@ODD@@"', odd, 1).encode(),
                f"{'/'.join(map(str, path))} = {odd[:20]}{'...' if len(odd) > 20 else ''}")
    if kind == "truncate":
        size = rng.randrange(len(text))
        return text.encode()[:size], f"truncated to {size} bytes"
    if kind == "utf8":
        raw = text.encode()
        at = rng.randrange(len(raw))
        return raw[:at] + b"\xff\xfe" + raw[at:], f"non-UTF-8 bytes at {at}"
    damaged, what = mutate_bytes(text.encode(), rng)
    return damaged, what


def _random_slot(data, rng: random.Random):
    """A random place in a JSON value: (path, parent container, key or index)."""
    path, parent, key, node = [], None, None, data
    while isinstance(node, (dict, list)) and node and rng.random() < 0.8:
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        parent, key = node, rng.choice(keys)
        path.append(key)
        node = node[key]
    return path, parent, key


def odd_params(rng: random.Random) -> tuple[str, str]:
    """A --params object with odd tool names and values (JSON text) and its description."""
    from iea_desktop.core.ops import REGISTRY

    names = list(REGISTRY) + ["glow", "", "EXPOSURE", "exposure ", "__class__", "é" * 50]
    items = []
    for _ in range(rng.choice((1, 2, 5))):
        name = rng.choice(names)
        if rng.random() < 0.3:
            value = "{" + ", ".join(f'"{rng.choice(("value", "left", "right", "angle", "turns", "x", "aspect"))}": '
                                    f"{rng.choice(ODD_JSON_VALUES)}" for _ in range(rng.choice((1, 2)))) + "}"
        else:
            value = rng.choice(ODD_JSON_VALUES + ("50", "-100", "250", '"lots"'))
        items.append(f"{json.dumps(name)}: {value}")
    text = "{" + ", ".join(items) + "}"
    return text, text[:60] + ("..." if len(text) > 60 else "")


# --- running a case ---------------------------------------------------------------------------

@dataclass
class Outcome:
    """What one case did, judged."""

    family: str
    description: str
    code: int | None  # None: it hung (killed at the timeout)
    stderr: str = ""
    originals_changed: bool = False
    partial_files: list[str] = field(default_factory=list)
    turns_lost: int = 0

    @property
    def verdict(self) -> str:
        """ok, clean, noisy (a clean refusal with library chatter around it), traceback, signal, hang."""
        if self.code is None:
            return "hang"
        if self.code < 0 or self.code >= 128:
            return "signal"
        if "Traceback" in self.stderr or "internal error" in self.stderr:
            return "traceback"
        lines = [line for line in self.stderr.splitlines() if line.strip() and not line.startswith("note: ")]
        if self.code == 0:
            return "ok" if not lines else "noisy"
        clean = len(lines) == 1 and lines[0].startswith("iea-desktop: error: ")
        return "clean" if clean else "noisy"


def run_cli(args: list[str], folder: Path, timeout: float, child: dict | None = None) -> tuple[int | None, str]:
    """``iea-desktop ARGS`` in a process of its own, in ``folder`` with IEA_HOME ``folder/home``;
    (exit code or None for a hang, stderr). ``child``: faults to inject in that process first
    (see ``child_main``)."""
    env = {**os.environ, "IEA_HOME": str(folder / "home"), "PYTHONPATH": str(ROOT), "OMP_WAIT_POLICY": "PASSIVE"}
    command = [sys.executable, "-m", "iea_desktop", *args] if child is None else \
        [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(child), "--", *args]
    process = subprocess.Popen(command, env=env, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True, errors="replace", start_new_session=True)
    try:
        _, err = process.communicate(timeout=timeout)
        return process.returncode, err
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        _, err = process.communicate()
        return None, err


def leftovers(*folders: Path) -> list[str]:
    """Temporary files left in these folders (and below)."""
    found = []
    for folder in folders:
        if folder.is_dir():
            found += [str(p) for p in folder.rglob("*") if TEMPORARY.match(p.name) and p.is_file()]
    return found


def requests_in(project: Path) -> list[str]:
    from iea_desktop.core.chat import chat_from_list

    try:
        data = json.loads(project.read_text())
        return [m.text for m in chat_from_list(data["chat"]) if m.is_user]
    except (OSError, ValueError, KeyError, TypeError):
        return []


class Case:
    """A folder with fresh copies of the seeds, a private IEA_HOME, and the originals' bytes."""

    def __init__(self, seeds: Path, base: Path, index: int):
        self.folder = base / f"case{index:05d}"
        shutil.copytree(seeds, self.folder)
        self.home = self.folder / "home"
        self.home.mkdir()
        self.originals = {p: p.read_bytes() for p in self.folder.glob("seed*") if p.suffix != ".json"}

    def outcome(self, family: str, description: str, code: int | None, err: str, turns_lost: int = 0) -> Outcome:
        """Judge a finished case: the photos' bytes, temporary files left, and the turns lost."""
        changed = any(p.read_bytes() != data if p.exists() else True for p, data in self.originals.items())
        return Outcome(family, description, code, err, changed, leftovers(self.folder), turns_lost)


def case_photos(case: Case, rng: random.Random, timeout: float) -> Outcome:
    seed = rng.choice(sorted(case.originals))
    damaged, what = mutate_bytes(seed.read_bytes(), rng)
    photo = case.folder / ("damaged" + seed.suffix)
    photo.write_bytes(damaged)
    case.originals[photo] = damaged
    output = case.folder / rng.choice(("out.png", "out.jpg"))
    code, err = run_cli(["render", photo.name, "-o", output.name], case.folder, timeout)
    return case.outcome("photos", f"{seed.name}: {what}", code, err)


def case_projects(case: Case, rng: random.Random, timeout: float) -> Outcome:
    photo = case.folder / "seed.png"
    project = case.folder / "edit.iea.json"
    damaged, what = mutate_json_text(project.read_text(), rng)
    project.write_bytes(damaged)
    if rng.random() < 0.5:
        code, err = run_cli(["render", photo.name, "--project", project.name, "-o", "out.png"], case.folder, timeout)
        lost = 0
    else:
        request = rng.choice(REQUESTS)
        code, err = run_cli(["edit", photo.name, request, "--project", project.name], case.folder, timeout)
        lost = int(code == 0 and request not in requests_in(project))
        if code != 0 and project.read_bytes() != damaged:
            lost = 1  # a refused project must be left as it was
    return case.outcome("projects", what, code, err, lost)


def case_params(case: Case, rng: random.Random, timeout: float) -> Outcome:
    photo = case.folder / "seed.png"
    kind = rng.choice(("inline", "inline", "file", "not-utf8", "deep", "big"))
    text, what = odd_params(rng)
    if len(text) > 100_000:  # more than one argument may hold
        kind = "file"
    params = text
    if kind != "inline":
        file = case.folder / "params.json"
        content = {"file": text.encode(), "not-utf8": b'{"exposure": "\xff"}', "deep": b"[" * 200_000,
                   "big": b'{"exposure": 1' + b" " * 3_000_000 + b"}"}[kind]
        file.write_bytes(content)
        params, what = file.name, f"{kind} file" + (f": {what}" if kind == "file" else "")
    code, err = run_cli(["render", photo.name, "--params", params, "-o", "out.png"], case.folder, timeout)
    return case.outcome("params", what, code, err)


def case_models(case: Case, rng: random.Random, timeout: float) -> Outcome:
    model = case.folder / "model.gguf"
    damaged, what = mutate_bytes(tiny_gguf(case.folder / "seed-model.gguf").read_bytes(), rng)
    model.write_bytes(damaged)
    code, err = run_cli(["edit", "seed.png", "warmer", "--model", model.name, "-o", "out.png"], case.folder, timeout)
    return case.outcome("models", what, code, err)


SPECIAL_KINDS = ("fifo", "dev-zero", "dev-urandom", "folder", "dangling-link", "empty", "link-loop")
SPECIAL_ROLES = ("photo", "project", "params", "model", "output", "trace")
WRITTEN_ROLES = ("output", "trace")  # no device links here: a write through one would replace the device


def make_special(path: Path, kind: str) -> None:
    if kind == "fifo":
        os.mkfifo(path)
    elif kind in ("dev-zero", "dev-urandom"):
        path.symlink_to("/dev/" + kind[4:])
    elif kind == "folder":
        path.mkdir()
    elif kind == "dangling-link":
        path.symlink_to(path.parent / "nowhere")
    elif kind == "empty":
        path.write_bytes(b"")
    else:
        path.symlink_to(path)


def case_special(case: Case, rng: random.Random, timeout: float) -> Outcome:
    role = rng.choice(SPECIAL_ROLES)
    kind = rng.choice([k for k in SPECIAL_KINDS if not (role in WRITTEN_ROLES and k.startswith("dev-"))])
    name = {"photo": "special.png", "project": "special.iea.json", "params": "special.json",
            "model": "special.gguf", "output": "special.jpg", "trace": "special-trace.json"}[role]
    make_special(case.folder / name, kind)
    args = {
        "photo": ["render", name, "-o", "out.png"],
        "project": ["render", "seed.png", "--project", name, "-o", "out.png"],
        "params": ["render", "seed.png", "--params", name, "-o", "out.png"],
        "model": ["edit", "seed.png", "warmer", "--model", name],
        "output": ["render", "seed.png", "-o", name],
        "trace": ["edit", "seed.png", "warmer", "--trace", name],
    }[role]
    code, err = run_cli(args, case.folder, timeout)
    return case.outcome("special", f"{kind} as the {role}", code, err)


DISK_ERRORS = {"full": errno.ENOSPC, "read-only": errno.EROFS, "refused": errno.EACCES}


def case_disk(case: Case, rng: random.Random, timeout: float) -> Outcome:
    fault = rng.choice(list(DISK_ERRORS))
    where = rng.choice(("output", "project", "project and data folder", "trace", "log"))
    folder = case.folder / "target"
    folder.mkdir()
    project = (folder if where.startswith("project") else case.folder) / "new.iea.json"
    trace = (folder if where == "trace" else case.folder) / "trace.json"
    output = (folder if where == "output" else case.folder) / "out.jpg"
    request = rng.choice(REQUESTS)
    args = ["edit", "seed.png", request, "--project", str(project), "--trace", str(trace), "-o", str(output)]
    if where == "log":  # a log file on a full disk: every write to it fails
        logs = case.home / "data" / "logs"
        logs.mkdir(parents=True)
        (logs / "iea-desktop.log").symlink_to("/dev/full")
        fault, child = "full", None
    else:
        failing = [str(folder)] + ([str(case.home / "data" / "projects")] if "data" in where else [])
        child = {"failing": failing, "errno": DISK_ERRORS[fault]}
    code, err = run_cli(args, case.folder, timeout, child=child)
    if code == 0:
        lost = int(request not in requests_in(project))
    elif "saved to " in err:
        rescue = Path(err.rsplit("saved to ", 1)[1].split(" instead")[0].strip())
        lost = int(request not in requests_in(rescue))
    elif "saved in the project" in err:
        lost = int(request not in requests_in(project))
    else:  # refused as a whole, or said plainly that it was not saved
        lost = 0
    return case.outcome("disk", f"{fault}: {where}", code, err, lost)


def case_concurrent(case: Case, rng: random.Random, timeout: float) -> Outcome:
    project = case.folder / "edit.iea.json"
    project.unlink()
    asked = rng.sample(REQUESTS, 2)
    results = [None, None]

    def one(i: int) -> None:
        results[i] = run_cli(["edit", "seed.png", asked[i], "--project", project.name], case.folder, timeout)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = [code for code, _ in results]
    worst = next((c for c in codes if c is None), max(codes, key=lambda c: (c != 0, abs(c))))
    saved = requests_in(project)
    lost = sum(1 for (code, _), text in zip(results, asked) if code == 0 and text not in saved)
    return case.outcome("concurrent", f"{asked[0]!r} and {asked[1]!r}", worst, "".join(e for _, e in results), lost)


def case_kills(case: Case, rng: random.Random, timeout: float) -> Outcome:
    """`edit --project` killed at a random moment (most land in the start-up, some in the turn or
    the save): the project must be the old one or the new one, never half of one."""
    from iea_desktop.core.project import ProjectError, read_project

    project = case.folder / "edit.iea.json"
    delay = rng.uniform(0.3, 3.0)
    env = {**os.environ, "IEA_HOME": str(case.home), "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "iea_desktop", "edit", "seed.png", "warmer", "--project",
                                project.name], env=env, cwd=case.folder, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    time.sleep(delay)
    process.kill()
    _, err = process.communicate()
    outcome = case.outcome("kills", f"killed after {delay:.2f} s", 0, "" if process.returncode == -9 else err)
    try:
        read_project(project)
        outcome.partial_files = []  # a killed save's temporary file is removed by the next open
    except ProjectError as error:
        outcome.partial_files = [f"{project.name} ({error})"]
    return outcome


CASES = {"photos": case_photos, "projects": case_projects, "params": case_params, "models": case_models,
         "special": case_special, "disk": case_disk, "concurrent": case_concurrent, "kills": case_kills}


# --- the child process for injected disk faults ------------------------------------------------

def child_main(spec: dict, args: list[str]) -> int:
    """Run ``iea-desktop ARGS`` in this process with files that cannot be created in the folders
    ``spec["failing"]`` (``OSError(spec["errno"])``): a full disk, a read-only file system, a refused
    folder. Creating files is where those show first (a full disk may also fail a write)."""
    failing = [Path(folder).resolve() for folder in spec["failing"]]
    real_open = os.open

    def open_(path, flags, *rest, **kwargs):
        if flags & os.O_CREAT and any(Path(os.fsdecode(path)).resolve().is_relative_to(f) for f in failing):
            raise OSError(spec["errno"], os.strerror(spec["errno"]), os.fsdecode(path))
        return real_open(path, flags, *rest, **kwargs)

    os.open = open_
    import builtins

    real_builtin_open = builtins.open

    def builtin_open(file, mode="r", *rest, **kwargs):  # the log file is opened this way
        if any(m in mode for m in "wax") and isinstance(file, (str, os.PathLike)) and \
                any(Path(os.fsdecode(file)).resolve().is_relative_to(f) for f in failing):
            raise OSError(spec["errno"], os.strerror(spec["errno"]), os.fsdecode(file))
        return real_builtin_open(file, mode, *rest, **kwargs)

    builtins.open = builtin_open
    from iea_desktop.cli import main

    return main(args)


# --- the campaign -----------------------------------------------------------------------------

def campaign(families: list[str], cases: int, seed: int, jobs: int, timeout: float,
             log=print) -> tuple[dict[str, Counter], list[Outcome]]:
    """Run ``cases`` cases of each family; returns the table's counts per family and the bad outcomes."""
    base = Path(tempfile.mkdtemp(prefix="iea-fuzz-"))
    seeds = base / "seeds"
    make_seed_photos(seeds)
    seed_project(seeds / "seed.png", seeds / "edit.iea.json")
    table: dict[str, Counter] = {}
    bad: list[Outcome] = []
    index = 0
    try:
        for family in families:
            rngs = [random.Random(f"{seed}-{family}-{i}") for i in range(cases)]
            folders = [Case(seeds, base, index + i) for i in range(cases)]
            index += cases
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=1 if family == "kills" else jobs) as pool:
                outcomes = list(pool.map(lambda pair: CASES[family](pair[0], pair[1], timeout), zip(folders, rngs)))
            counts = Counter(cases=len(outcomes))
            for outcome in outcomes:
                verdict = outcome.verdict
                counts[{"ok": "ok", "clean": "clean refusals", "noisy": "noisy", "traceback": "tracebacks",
                        "signal": "signals", "hang": "hangs"}[verdict]] += 1
                counts["originals changed"] += outcome.originals_changed
                counts["partial files"] += bool(outcome.partial_files)
                counts["turns lost"] += outcome.turns_lost
                if verdict not in ("ok", "clean") or outcome.originals_changed or outcome.partial_files or \
                        outcome.turns_lost:
                    bad.append(outcome)
            table[family] = counts
            log(f"{family}: {len(outcomes)} cases in {time.perf_counter() - started:.0f} s")
            for folder in folders:
                shutil.rmtree(folder.folder, ignore_errors=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return table, bad


def format_table(table: dict[str, Counter]) -> str:
    rows = [("family",) + COLUMNS]
    total = Counter()
    for family, counts in table.items():
        rows.append((family,) + tuple(str(counts[c]) for c in COLUMNS))
        total.update(counts)
    rows.append(("all",) + tuple(str(total[c]) for c in COLUMNS))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.rjust(width) if i else cell.ljust(width) for i, (cell, width) in
                       enumerate(zip(row, widths))) for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--child"]:
        return child_main(json.loads(argv[1]), argv[3:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=40, help="cases per family (default 40)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="cases run at once")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before a case counts as a hang")
    parser.add_argument("--families", default=",".join(FAMILIES), help=f"comma-separated, from {', '.join(FAMILIES)}")
    args = parser.parse_args(argv)
    families = [f for f in args.families.split(",") if f]
    unknown = set(families) - set(FAMILIES)
    if unknown:
        parser.error(f"unknown families: {', '.join(sorted(unknown))}")
    table, bad = campaign(families, args.cases, args.seed, args.jobs, args.timeout,
                          log=lambda text: print(text, file=sys.stderr))
    for outcome in bad[:40]:
        detail = (outcome.stderr.strip().splitlines() or [""])[-1][:160]
        print(f"{outcome.family}: {outcome.description}: {outcome.verdict}, exit {outcome.code}"
              f"{', original changed' if outcome.originals_changed else ''}"
              f"{', left ' + ', '.join(Path(p).name for p in outcome.partial_files) if outcome.partial_files else ''}"
              f"{f', {outcome.turns_lost} turn(s) lost' if outcome.turns_lost else ''}: {detail}")
    print(format_table(table))
    failed = sum(c[k] for c in table.values() for k in COLUMNS[3:])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
