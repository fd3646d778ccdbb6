"""The pixel kernel the renderer calls: ``run``, ``sharpen``, ``finish`` (and ``simd``, ``use_simd``).

The compiled loops (``_kernel.c``) where they are built and load; otherwise the same functions in
numpy and OpenCV (``kernel_fallback.py``): the same results within the fusion tolerance, slower
(docs/performance.md). ``IEA_KERNEL=python`` forces the fallback (tests, bench, a build in doubt).
`iea-desktop doctor` says which one runs, and why (``describe``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import numpy as np

from . import kernel_fallback

FORCED = "IEA_KERNEL=python"  # the fallback's why when it was asked for


def _load_compiled() -> tuple[ModuleType | None, str]:
    """The compiled module, or None and why it is not used."""
    if os.environ.get("IEA_KERNEL", "").lower() == "python":
        return None, FORCED
    try:
        from . import _kernel
    except ImportError as error:  # not built (no C compiler at install), or built for another Python
        return None, f"the compiled kernel (core/_kernel.c) does not load: {error}"
    if not hasattr(_kernel, "MIX"):
        return None, "the compiled kernel was built from an older core/_kernel.c (run `make setup`)"
    return _kernel, ""


compiled, why = _load_compiled()  # why: the reason the fallback runs ("" when the compiled one does)
if compiled is None and why != FORCED:
    logging.getLogger(__name__).warning(
        "%s; the slower numpy path is used (run `make setup` or `pip install -e .` with a C compiler to build it)", why
    )


# The stage kinds of run(): _kernel.c's, which the fallback mirrors (tests/core/test_kernel.py checks).
_owner = compiled or kernel_fallback
AFFINE, TABLE, SATURATION, FIELD, CLIPPED_AFFINE, MATRIX, HUE, DETAIL, PLANES, TOWARD, SAVE, MIX = (
    _owner.AFFINE,
    _owner.TABLE,
    _owner.SATURATION,
    _owner.FIELD,
    _owner.CLIPPED_AFFINE,
    _owner.MATRIX,
    _owner.HUE,
    _owner.DETAIL,
    _owner.PLANES,
    _owner.TOWARD,
    _owner.SAVE,
    _owner.MIX,
)

# The kernel in use, set by use(): the compiled module's functions (typed in _kernel.pyi) or the fallback's.
run: Callable[[np.ndarray, np.ndarray, Sequence[tuple[Any, ...]]], np.ndarray]
sharpen: Callable[[np.ndarray, np.ndarray, int, int, np.ndarray, float], np.ndarray]
finish: Callable[[np.ndarray, np.ndarray], np.ndarray]
simd: Callable[[], str]
use_simd: Callable[[int], int]
active: ModuleType


def use(module: ModuleType, reason: str = "") -> None:
    """From now on the renderer calls ``module``: ``compiled`` or ``kernel_fallback`` (tests run both)
    with ``reason`` as the fallback's why."""
    global run, sharpen, finish, simd, use_simd, active, why
    run, sharpen, finish = module.run, module.sharpen, module.finish
    simd, use_simd = module.simd, module.use_simd
    active, why = module, reason


use(compiled or kernel_fallback, why)


def describe() -> str:
    """Which kernel runs: "compiled, <its vector code>" or "numpy fallback (slower): <why>"."""
    if active is kernel_fallback:
        return f"numpy fallback (slower): {why}"
    return f"compiled, {simd()}"
