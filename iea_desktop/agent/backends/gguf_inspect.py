"""Read and validate GGUF model files before llama.cpp sees them.

llama.cpp reports a bad file with a bare ``ValueError`` at best, and an mmproj that lacks
tensors its loader treats as optional crashes the whole process (segfault or abort) during
warm-up; so do impossible hyper-parameters in a text model's header (a block count of 0 or
1000, a NaN or negative norm epsilon, a RoPE base of 0: aborts at load or NaN logits that
abort the grammar sampler). So every file is checked here first, from its header alone, and
problems become a :class:`ModelFileError` with a one-line message that names the file.
Damage inside the tensor data cannot be seen from the header: the model runs in a child
process (:mod:`.model_process`) so that such a crash does not take the app down.

The header is parsed by a small reader in this module instead of ``gguf.GGUFReader``:
GGUFReader turns every vocabulary string into numpy objects, which takes 2.6 s for
SmolLM2's 49k-token vocabulary on a 2-core machine (and scales with vocabulary size),
while skipping those arrays takes milliseconds. The ``gguf`` package still supplies the
value-type and tensor-type tables. Tensor data is never read.

Tensor shapes are in ggml order (``ne``): a matrix mapping width A to width B is ``(A, B)``.
"""

from __future__ import annotations

import math
import mmap
import re
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gguf import GGML_QUANT_SIZES, GGMLQuantizationType, GGUFValueType

from ..errors import ModelFileError

__all__ = [
    "GGUFInfo",
    "ModelFileError",
    "check_pairing",
    "find_mmproj",
    "inspect_gguf",
]


@dataclass(frozen=True)
class GGUFInfo:
    path: Path
    file_size: int
    architecture: str
    name: str | None
    is_mmproj: bool
    # Text models: the embedding width the model takes as input (what an mmproj must produce).
    n_embd: int | None
    # mmproj files: clip projector type ("mlp", "qwen2.5vl_merger", ...) and output width
    # (None when the projector type is unknown here; llama.cpp still checks it).
    projector_type: str | None
    projector_width: int | None
    chat_template: str | None
    # Scalar and short-array metadata (long arrays such as the vocabulary are left out).
    metadata: Mapping[str, Any] = field(repr=False, default_factory=dict)

    @property
    def block_count(self) -> int | None:
        """Number of transformer blocks of a text model."""
        value = self.metadata.get(f"{self.architecture}.block_count")
        return int(value) if value is not None else None


# --------------------------------------------------------------------------------------
# Header reader

_MAGIC = b"GGUF"
_SHORT_ARRAY = 64  # arrays up to this length are kept in GGUFInfo.metadata
_DEFAULT_ALIGNMENT = 32
_SCALARS = {
    GGUFValueType.UINT8: "B",
    GGUFValueType.INT8: "b",
    GGUFValueType.UINT16: "H",
    GGUFValueType.INT16: "h",
    GGUFValueType.UINT32: "I",
    GGUFValueType.INT32: "i",
    GGUFValueType.FLOAT32: "f",
    GGUFValueType.BOOL: "?",
    GGUFValueType.UINT64: "Q",
    GGUFValueType.INT64: "q",
    GGUFValueType.FLOAT64: "d",
}


class _Corrupt(Exception):
    pass


@dataclass
class _Tensor:
    shape: tuple[int, ...]
    type_id: int
    offset: int  # relative to the start of the data section


class _Cursor:
    """Bounds-checked reads from a buffer."""

    def __init__(self, buf, endian: str):
        self.buf = buf
        self.pos = 0
        self.endian = endian

    def take(self, fmt: str):
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.buf):
            raise _Corrupt("the header ends early")
        value = struct.unpack_from(self.endian + fmt, self.buf, self.pos)[0]
        self.pos += size
        return value

    def skip(self, size: int) -> None:
        if size < 0 or self.pos + size > len(self.buf):
            raise _Corrupt("the header ends early")
        self.pos += size

    def string(self) -> str:
        n = self.take("Q")
        start = self.pos
        self.skip(n)
        try:
            return bytes(self.buf[start : self.pos]).decode("utf-8")
        except UnicodeDecodeError:
            raise _Corrupt("a header string is not valid UTF-8") from None

    def value(self, type_id: int) -> tuple[Any, bool]:
        """Read one value; returns (value, kept). Long arrays are skipped, not kept."""
        try:
            vtype = GGUFValueType(type_id)
        except ValueError:
            raise _Corrupt(f"unknown metadata value type {type_id}") from None
        if vtype == GGUFValueType.STRING:
            return self.string(), True
        if vtype != GGUFValueType.ARRAY:
            return self.take(_SCALARS[vtype]), True
        item_type = self.take("I")
        count = self.take("Q")
        if count <= _SHORT_ARRAY:
            return [self.value(item_type)[0] for _ in range(count)], True
        try:
            item_vtype = GGUFValueType(item_type)
        except ValueError:
            raise _Corrupt(f"unknown metadata value type {item_type}") from None
        if item_vtype in _SCALARS:
            self.skip(count * struct.calcsize(_SCALARS[item_vtype]))
        else:  # strings (or nested arrays): walk them without decoding
            for _ in range(count):
                self.value(item_type)
        return None, False


def _read_header(buf) -> tuple[dict[str, Any], dict[str, _Tensor], int]:
    """Parse metadata and tensor infos; returns (metadata, tensors, data_start)."""
    if len(buf) < 8 or bytes(buf[:4]) != _MAGIC:
        raise _Corrupt("not a GGUF file")
    version_le = struct.unpack_from("<I", buf, 4)[0]
    endian = "<" if version_le < 0x10000 else ">"  # big-endian GGUF files exist, rarely
    cur = _Cursor(buf, endian)
    cur.skip(4)
    version = cur.take("I")
    if version not in (2, 3):
        raise _Corrupt(f"unsupported GGUF version {version}")
    n_tensors = cur.take("Q")
    n_kv = cur.take("Q")

    metadata: dict[str, Any] = {}
    for _ in range(n_kv):
        key = cur.string()
        value, kept = cur.value(cur.take("I"))
        if kept:
            metadata[key] = value

    tensors: dict[str, _Tensor] = {}
    for _ in range(n_tensors):
        name = cur.string()
        n_dims = cur.take("I")
        if n_dims > 4:
            raise _Corrupt(f"tensor {name} has {n_dims} dimensions")
        shape = tuple(cur.take("Q") for _ in range(n_dims))
        type_id = cur.take("I")
        offset = cur.take("Q")
        if name in tensors:
            raise _Corrupt(f"tensor {name} appears twice")
        tensors[name] = _Tensor(shape, type_id, offset)

    alignment = metadata.get("general.alignment", _DEFAULT_ALIGNMENT)
    if not isinstance(alignment, int) or alignment <= 0 or alignment & (alignment - 1):
        raise _Corrupt(f"invalid alignment {alignment!r}")
    data_start = -(-cur.pos // alignment) * alignment
    return metadata, tensors, data_start


def _tensor_nbytes(t: _Tensor) -> int | None:
    try:
        block, type_size = GGML_QUANT_SIZES[GGMLQuantizationType(t.type_id)]
    except (ValueError, KeyError):
        return None  # a type newer than the gguf package; llama.cpp checks it itself
    n = 1
    for d in t.shape:
        n *= d
    return n // block * type_size


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


# --------------------------------------------------------------------------------------
# Public API


def inspect_gguf(path: str | Path) -> GGUFInfo:
    """Read a GGUF file's header and check it can be handed to llama.cpp.

    Raises ModelFileError for a missing, empty, non-GGUF, truncated or corrupt file, and
    for an mmproj file that lacks the tensors llama.cpp would crash without.
    """
    path = Path(path)
    name = path.name
    if not path.exists():
        raise ModelFileError(f"{name}: file not found ({path})", path)
    if path.is_dir():
        raise ModelFileError(f"{name} is a folder, not a model file", path)
    try:
        size = path.stat().st_size
        if size == 0:
            raise ModelFileError(f"{name} is empty (0 bytes): the download probably failed", path)
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            try:
                metadata, tensors, data_start = _read_header(buf)
            except _Corrupt as e:
                if bytes(buf[:4]) != _MAGIC:
                    raise ModelFileError(f"{name} is not a GGUF model file", path) from None
                raise ModelFileError(f"{name} is truncated or corrupt ({e}); download it again", path) from None
    except OSError as e:
        raise ModelFileError(f"{name} cannot be read: {e.strerror or e}", path) from None

    needed = data_start
    for t in tensors.values():
        nbytes = _tensor_nbytes(t)
        if nbytes is not None:
            needed = max(needed, data_start + t.offset + nbytes)
    if needed > size:
        raise ModelFileError(
            f"{name} is truncated: its tensors need {_mb(needed)} but the file has {_mb(size)} (incomplete download?)",
            path,
        )

    arch = metadata.get("general.architecture")
    if not isinstance(arch, str) or not arch:
        raise ModelFileError(f"{name} has no general.architecture: not a usable model file", path)
    is_mmproj = arch == "clip" or any(k.startswith("clip.") for k in metadata)

    projector_type = projector_width = n_embd = None
    if is_mmproj:
        projector_type, projector_width = _check_mmproj(name, path, metadata, tensors)
    else:
        _check_hparams(name, path, arch, metadata, tensors)
        width = metadata.get(f"{arch}.embedding_length")
        if isinstance(width, int):
            # Qwen3-VL style "deepstack" models take extra stacked embeddings per position.
            n_embd = width * (1 + int(metadata.get(f"{arch}.n_deepstack_layers", 0) or 0))

    model_name = metadata.get("general.name")
    template = metadata.get("tokenizer.chat_template")
    return GGUFInfo(
        path=path,
        file_size=size,
        architecture=arch,
        name=model_name if isinstance(model_name, str) else None,
        is_mmproj=is_mmproj,
        n_embd=n_embd,
        projector_type=projector_type,
        projector_width=projector_width,
        chat_template=template if isinstance(template, str) and template else None,
        metadata=metadata,
    )


def check_pairing(model_info: GGUFInfo, mmproj_info: GGUFInfo) -> None:
    """Raise ModelFileError unless the mmproj feeds vectors of the width the model expects."""
    model, proj = model_info.path.name, mmproj_info.path.name
    if model_info.is_mmproj:
        raise ModelFileError(f"{model} is a vision projector (mmproj), not a language model", model_info.path)
    if not mmproj_info.is_mmproj:
        raise ModelFileError(f"{proj} is a language model, not a vision projector (mmproj)", mmproj_info.path)
    width, expected = mmproj_info.projector_width, model_info.n_embd
    if width is not None and expected is not None and width != expected:
        raise ModelFileError(
            f"mmproj {proj} projects to {width} but model {model} expects {expected}: they are not from the same model",
            mmproj_info.path,
        )


def find_mmproj(model_path: str | Path) -> Path | None:
    """Find a vision projector (``*mmproj*.gguf``) next to a model file.

    With several candidates, the one whose name, without its "mmproj" mark, shares the longest
    prefix with the model's name wins (``gemma-3-4b-it-Q4.gguf`` -> ``gemma-3-4b-it-mmproj.gguf``,
    ``SmolVLM-500M-Q8_0.gguf`` -> ``mmproj-SmolVLM-500M-Q8_0.gguf``, not ``mmproj-Qwen...``).
    """
    model_path = Path(model_path)
    try:
        siblings = list(model_path.parent.iterdir())
    except OSError:
        return None
    candidates = sorted(
        p
        for p in siblings
        if p.is_file() and p != model_path and p.suffix.lower() == ".gguf" and "mmproj" in p.name.lower()
    )
    if not candidates:
        return None
    stem = model_path.name.lower()

    def shared_prefix(p: Path) -> int:
        n = 0
        for a, b in zip(stem, p.name.lower().replace("mmproj", "").lstrip("-_.")):
            if a != b:
                break
            n += 1
        return n

    return max(candidates, key=shared_prefix)  # max keeps the first (sorted) on ties


# --------------------------------------------------------------------------------------
# Text model hyper-parameters. Only values present in the header are checked (llama.cpp
# refuses a missing required key cleanly); each range is one llama.cpp accepts or, where it
# does not check, one outside which it aborts or computes NaN (measured on SmolLM2: issue 19).

_MAX_BLOCKS = 512  # LLAMA_MAX_LAYERS in llama.cpp's src/llama-hparams.h
_MAX_EPSILON = 0.1  # norm epsilons are 1e-6..1e-5 in practice; 0.1 would swamp the norm
_EPSILONS = ("attention.layer_norm_rms_epsilon", "attention.layer_norm_epsilon", "attention.group_norm_epsilon")
_ROPE_BASES = ("rope.freq_base", "rope.freq_base_swa")
_POSITIVE = ("context_length", "embedding_length")
_HEAD_COUNTS = ("attention.head_count", "attention.head_count_kv")
_ATTENTION_TENSOR = re.compile(r"blk\.\d+\.attn_(q|qkv)\.weight$")


def _numbers(value: Any) -> list[float] | None:
    """A scalar or an array of numbers as a list (None for anything else)."""
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in items):
        return None
    return items


def _check_hparams(name: str, path: Path, arch: str, md: Mapping[str, Any], tensors: Mapping[str, _Tensor]) -> None:
    """Refuse a text model whose header holds hyper-parameters llama.cpp cannot run."""

    def refuse(key: str, value: Any, expected: str) -> ModelFileError:
        return ModelFileError(
            f"{name} is damaged or was converted wrongly: {key} is {value!r} ({expected})",
            path,
        )

    prefix = f"{arch}."
    for key, value in md.items():
        numbers = _numbers(value) if key.startswith(prefix) else None
        if numbers and not all(math.isfinite(v) for v in numbers):
            raise refuse(key, value, "expected a finite number")

    def check(suffix: str, ok: Callable[[float], bool], expected: str) -> None:
        key = prefix + suffix
        if key not in md:
            return
        numbers = _numbers(md[key])
        if numbers is None or not all(ok(v) for v in numbers):
            raise refuse(key, md[key], expected)

    check("block_count", lambda v: 1 <= v <= _MAX_BLOCKS, f"llama.cpp runs 1 to {_MAX_BLOCKS} blocks")
    for suffix in _EPSILONS:
        check(suffix, lambda v: 0 < v <= _MAX_EPSILON, f"expected above 0 and at most {_MAX_EPSILON}")
    for suffix in _ROPE_BASES:
        check(suffix, lambda v: v > 0, "expected above 0")
    check("rope.scaling.factor", lambda v: v >= 0, "expected 0 (none) or above")
    for suffix in _POSITIVE:
        check(suffix, lambda v: v > 0, "expected above 0")
    # Attention-free architectures (Mamba, RWKV) write 0 heads; with attention weights
    # present, 0 heads divides by zero. Per-layer arrays may hold 0 for layers without attention.
    if any(_ATTENTION_TENSOR.match(t) for t in tensors):
        for suffix in _HEAD_COUNTS:
            key = prefix + suffix
            if isinstance(md.get(key), list):
                check(suffix, lambda v: v >= 0, "expected 0 or more heads per layer")
            else:
                check(suffix, lambda v: v > 0, "expected at least 1 head")
    experts = md.get(prefix + "expert_count")
    if isinstance(experts, int) and experts > 0:
        check("expert_used_count", lambda v: 1 <= v <= experts, f"expected 1 to expert_count ({experts})")


# --------------------------------------------------------------------------------------
# mmproj structure, mirroring tools/mtmd/clip.cpp of the llama.cpp bundled with
# llama-cpp-python 0.3.36 (clip_model_loader::load_tensors, clip_n_mmproj_embd).

# projector type -> (tensor, dimension) whose size is the projector's output width.
_WIDTH_TENSOR: dict[str, tuple[str, int]] = {
    **dict.fromkeys(
        [
            "mlp",
            "phi4",
            "pixtral",
            "lightonocr",
            "dots_ocr",
            "dots3note_v",
            "mimovl",
            "muse-glimmer",
            "lfm2",
            "kimivl",
            "paddleocr",
            "kimik25",
            "yasa2",
            "deepseek4v",
        ],
        ("mm.2.weight", 1),
    ),
    **dict.fromkeys(
        ["qwen2vl_merger", "qwen2.5vl_merger", "qwen3vl_merger", "exaone4_5", "youtuvl", "ling3vl"],
        ("mm.2.bias", 0),
    ),
    "mlp_norm": ("mm.3.bias", 0),
    "ldp": ("mm.model.mb_block.2.block.2.1.bias", 0),
    "ldpv2": ("mm.model.peg.0.bias", 0),
    "resampler": ("resampler.proj.weight", 0),
    "minicpmv4_6": ("mm.down.weight", 1),
    "adapter": ("adapter.linear.dense_4h_to_h.weight", 1),
    "minimax_m3": ("mm.merger.fc2.bias", 0),
    "janus_pro": ("mm.1.bias", 0),
    "step3vl": ("mm.model.fc.weight", 1),
    "idefics3": ("mm.model.fc.weight", 1),
    "llama4": ("mm.model.fc.weight", 1),
    "hunyuanvl": ("mm.model.fc.weight", 1),
    "gemma3": ("mm.input_projection.weight", 0),
    "gemma3nv": ("mm.input_projection.weight", 0),
    "gemma4v": ("mm.input_projection.weight", 1),
    "gemma4uv": ("mm.input_projection.weight", 1),
    "internvl": ("mm.model.mlp.3.weight", 1),
    "nemotron_v2_vl": ("mm.model.mlp.3.weight", 1),
    "glm4v": ("mm.down.weight", 1),
    "glm5v": ("mm.down.weight", 1),
}

# Graphs that add v.position_embd unconditionally (a missing one is a null dereference).
_NEEDS_POSITION_EMBD = {
    "mlp",
    "mlp_norm",
    "ldp",
    "ldpv2",
    "adapter",
    "resampler",
    "internvl",
    "llama4",
    "qwen3vl_merger",
    "cogvlm",
    "step3vl",
    "nemotron_v2_vl",
    "kimivl",
    "paddleocr",
    "kimik25",
    "ling3vl",
    "gemma4v",
    "gemma4uv",
    "muse-glimmer",
    "lfm2",
    "phi4",
}

# Projector tensors that the loader reads as optional but the graph then uses.
_LLAVA_PROJ = {
    "mlp": ["mm.0.weight", "mm.0.bias", "mm.2.weight", "mm.2.bias"],
    "mlp_norm": [
        "mm.0.weight",
        "mm.0.bias",
        "mm.1.weight",
        "mm.1.bias",
        "mm.3.weight",
        "mm.3.bias",
        "mm.4.weight",
        "mm.4.bias",
    ],
}

_REQUIRED_HPARAMS = [
    "clip.vision.embedding_length",
    "clip.vision.attention.head_count",
    "clip.vision.block_count",
    "clip.vision.image_size",
    "clip.vision.patch_size",
]


def _check_mmproj(
    name: str, path: Path, md: Mapping[str, Any], tensors: Mapping[str, _Tensor]
) -> tuple[str, int | None]:
    """Validate a vision projector; returns (projector type, output width or None)."""

    def fail(problem: str) -> ModelFileError:
        return ModelFileError(f"mmproj {name} {problem}", path)

    if not md.get("clip.has_vision_encoder", False):
        raise fail("has no vision encoder (is it an audio projector?)")
    ptype = md.get("clip.projector_type") or md.get("clip.vision.projector_type")
    if not isinstance(ptype, str) or not ptype:
        raise fail("does not say its projector type (clip.projector_type)")
    if ptype == "qwen2.5o":  # legacy name of the Qwen2.5-Omni vision projector
        ptype = "qwen2.5vl_merger"
    if ptype == "mlp" and "mm.3.weight" in tensors:  # llama.cpp's "Yi-type" LLaVA
        ptype = "mlp_norm"

    for key in _REQUIRED_HPARAMS:
        value = md.get(key)
        if not isinstance(value, int) or value <= 0:
            raise fail(f"is incomplete: {key} is missing or zero")
    n_embd = md["clip.vision.embedding_length"]
    if n_embd % md["clip.vision.attention.head_count"]:
        raise fail("is corrupt: embedding width is not a multiple of the head count")

    def require(tensor: str) -> _Tensor:
        if tensor not in tensors:
            raise fail(f"is incomplete: tensor {tensor} is missing")
        return tensors[tensor]

    if ptype != "gemma3nv":  # Gemma 3n uses a MobileNet, not a ViT
        require("v.patch_embd.weight")
        for il in range(md["clip.vision.block_count"]):
            blk = f"v.blk.{il}"
            if f"{blk}.attn_qkv.weight" not in tensors:
                for part in ("q", "k", "v"):
                    require(f"{blk}.attn_{part}.weight")
    if ptype in _NEEDS_POSITION_EMBD:
        require("v.position_embd.weight")
    if ptype in _LLAVA_PROJ:
        _check_llava_shapes(fail, require, ptype, n_embd, md["clip.vision.patch_size"])

    if ptype not in _WIDTH_TENSOR:
        return ptype, None
    tensor, dim = _WIDTH_TENSOR[ptype]
    shape = require(tensor).shape
    if len(shape) <= dim:
        raise fail(f"is corrupt: tensor {tensor} has shape {shape}")
    width = shape[dim]
    if ptype == "qwen3vl_merger":  # main path + one stacked copy per deepstack layer
        deepstack = sum(f"v.deepstack.{il}.fc1.weight" in tensors for il in range(md["clip.vision.block_count"]))
        width *= 1 + deepstack
    return ptype, width


def _check_llava_shapes(fail, require, ptype: str, n_embd: int, patch: int) -> None:
    """Shapes of the LLaVA-style ("mlp") encoder that ggml would otherwise assert on."""
    for tensor in _LLAVA_PROJ[ptype]:
        require(tensor)
    patch_embd = require("v.patch_embd.weight").shape
    if patch_embd != (patch, patch, 3, n_embd):
        raise fail(f"is corrupt: v.patch_embd.weight has shape {patch_embd}")
    if require("v.position_embd.weight").shape[0] != n_embd:
        raise fail("is corrupt: v.position_embd.weight does not match the encoder width")
    mm0 = require("mm.0.weight").shape
    if len(mm0) != 2 or mm0[0] != n_embd:
        raise fail(f"is corrupt: mm.0.weight has shape {mm0}, expected ({n_embd}, N)")
    last = "mm.2.weight" if ptype == "mlp" else "mm.3.weight"
    last_shape = require(last).shape
    if len(last_shape) != 2 or last_shape[0] != mm0[1]:
        raise fail(f"is corrupt: {last} has shape {last_shape}, expected ({mm0[1]}, N)")
