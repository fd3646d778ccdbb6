"""Write a tiny, randomly initialised but structurally valid CLIP vision projector (mmproj).

Paired with any text model whose embedding width is ``n_embd`` (576 for SmolLM2-135M), it
drives llama.cpp's whole image path (libmtmd: decode, resize, ViT, "mlp" projector) in well
under a second. The weights are noise, so the model's answers about the image are too.

    python tests/tools/make_tiny_mmproj.py OUT.gguf --n-embd 576 [--corrupt-missing-tensor]

Key and tensor names follow tools/mtmd/clip-impl.h of llama.cpp (LLaVA-1.5 layout).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from gguf import GGUFWriter

IMAGE_SIZE = 64
PATCH_SIZE = 16
VISION_WIDTH = 64
VISION_HEADS = 4
VISION_FF = 128
VISION_LAYERS = 2  # LLaVA reads the second-to-last layer, so one layer actually runs
# A tensor llama.cpp loads as optional but then dereferences: leaving it out crashes it.
DEFAULT_MISSING_TENSOR = "v.blk.0.attn_q.weight"


def write_tiny_mmproj(
    path: str | Path, n_embd: int, *, missing_tensor: str | None = None, seed: int = 0
) -> Path:
    """Write the mmproj to ``path``; ``missing_tensor`` leaves that tensor out (broken file)."""
    path = Path(path)
    rng = np.random.default_rng(seed)
    n_pos = (IMAGE_SIZE // PATCH_SIZE) ** 2 + 1  # patches + class token

    def noise(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.02).astype(np.float32)

    # numpy shapes are the reverse of ggml's ne: a (out, in) array is an in -> out matrix.
    tensors: dict[str, np.ndarray] = {
        "v.class_embd": noise(VISION_WIDTH),
        "v.patch_embd.weight": noise(VISION_WIDTH, 3, PATCH_SIZE, PATCH_SIZE),
        "v.position_embd.weight": noise(n_pos, VISION_WIDTH),
        "v.pre_ln.weight": np.ones(VISION_WIDTH, np.float32),
        "v.pre_ln.bias": np.zeros(VISION_WIDTH, np.float32),
    }
    for il in range(VISION_LAYERS):
        blk = f"v.blk.{il}"
        for part in ("q", "k", "v", "out"):
            tensors[f"{blk}.attn_{part}.weight"] = noise(VISION_WIDTH, VISION_WIDTH)
            tensors[f"{blk}.attn_{part}.bias"] = np.zeros(VISION_WIDTH, np.float32)
        for norm in ("ln1", "ln2"):
            tensors[f"{blk}.{norm}.weight"] = np.ones(VISION_WIDTH, np.float32)
            tensors[f"{blk}.{norm}.bias"] = np.zeros(VISION_WIDTH, np.float32)
        tensors[f"{blk}.ffn_up.weight"] = noise(VISION_FF, VISION_WIDTH)
        tensors[f"{blk}.ffn_up.bias"] = np.zeros(VISION_FF, np.float32)
        tensors[f"{blk}.ffn_down.weight"] = noise(VISION_WIDTH, VISION_FF)
        tensors[f"{blk}.ffn_down.bias"] = np.zeros(VISION_WIDTH, np.float32)
    tensors["mm.0.weight"] = noise(n_embd, VISION_WIDTH)
    tensors["mm.0.bias"] = np.zeros(n_embd, np.float32)
    tensors["mm.2.weight"] = noise(n_embd, n_embd)
    tensors["mm.2.bias"] = np.zeros(n_embd, np.float32)
    if missing_tensor is not None:
        if missing_tensor not in tensors:
            raise ValueError(f"no tensor named {missing_tensor!r} to leave out")
        del tensors[missing_tensor]

    writer = GGUFWriter(str(path), arch="clip")
    writer.add_name("iea-tiny-mmproj")
    writer.add_description("random tiny CLIP projector for tests")
    writer.add_bool("clip.has_vision_encoder", True)
    writer.add_bool("clip.has_text_encoder", False)
    writer.add_bool("clip.use_gelu", True)
    writer.add_string("clip.projector_type", "mlp")
    writer.add_uint32("clip.vision.image_size", IMAGE_SIZE)
    writer.add_uint32("clip.vision.patch_size", PATCH_SIZE)
    writer.add_uint32("clip.vision.embedding_length", VISION_WIDTH)
    writer.add_uint32("clip.vision.feed_forward_length", VISION_FF)
    writer.add_uint32("clip.vision.projection_dim", n_embd)
    writer.add_uint32("clip.vision.attention.head_count", VISION_HEADS)
    writer.add_float32("clip.vision.attention.layer_norm_epsilon", 1e-5)
    writer.add_uint32("clip.vision.block_count", VISION_LAYERS)
    writer.add_array("clip.vision.image_mean", [0.5, 0.5, 0.5])
    writer.add_array("clip.vision.image_std", [0.5, 0.5, 0.5])
    for name, data in tensors.items():
        writer.add_tensor(name, data)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="output .gguf path")
    parser.add_argument("--n-embd", type=int, required=True,
                        help="embedding width of the text model to pair with (SmolLM2-135M: 576)")
    parser.add_argument("--corrupt-missing-tensor", nargs="?", const=DEFAULT_MISSING_TENSOR,
                        metavar="TENSOR",
                        help=f"leave a tensor out (default {DEFAULT_MISSING_TENSOR}); "
                             "llama.cpp crashes on such a file")
    args = parser.parse_args(argv)
    write_tiny_mmproj(args.out, args.n_embd, missing_tensor=args.corrupt_missing_tensor)
    print(args.out)


if __name__ == "__main__":
    main()
