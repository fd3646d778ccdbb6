"""Types of the compiled pixel kernel (_kernel.c), for the type checker; kernel_fallback.py has the
same functions in Python. Each of run, sharpen and finish writes into ``dst`` and returns it."""

from collections.abc import Sequence
from typing import Any

import numpy as np

AFFINE: int  # the stage kinds of run()
TABLE: int
SATURATION: int
FIELD: int
CLIPPED_AFFINE: int
MATRIX: int
HUE: int
DETAIL: int
PLANES: int
TOWARD: int
SAVE: int
MIX: int

def simd() -> str: ...
def use_simd(level: int, /) -> int: ...
def run(src: np.ndarray, dst: np.ndarray, stages: Sequence[tuple[Any, ...]], /) -> np.ndarray: ...
def finish(src: np.ndarray, dst: np.ndarray, /) -> np.ndarray: ...
def sharpen(
    src: np.ndarray, dst: np.ndarray, width: int, first: int, weights: np.ndarray, amount: float, /
) -> np.ndarray: ...
