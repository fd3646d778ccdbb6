"""Copy a GGUF model with one float32 tensor filled with NaN: a sound header over damaged
weights, like flipped bits in a download. The header checks cannot see it; llama.cpp loads it,
and its grammar sampler aborts the process on the NaN logits (issue 19).

    python tests/tools/damage_gguf.py MODEL.gguf OUT.gguf [--tensor output_norm.weight]
"""
from __future__ import annotations

import argparse
import mmap
import shutil
import struct
from pathlib import Path

from iea_desktop.agent.backends.gguf_inspect import _read_header


def copy_with_nan_tensor(source: Path, target: Path, tensor: str = "output_norm.weight") -> Path:
    shutil.copy(source, target)
    with open(target, "r+b") as f:
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
            _, tensors, data_start = _read_header(buf)
        found = tensors[tensor]
        if found.type_id != 0:
            raise ValueError(f"{tensor} is not float32")
        count = 1
        for d in found.shape:
            count *= d
        f.seek(data_start + found.offset)
        f.write(struct.pack(f"<{count}f", *[float("nan")] * count))
    return Path(target)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--tensor", default="output_norm.weight")
    args = parser.parse_args()
    copy_with_nan_tensor(args.model, args.out, args.tensor)
