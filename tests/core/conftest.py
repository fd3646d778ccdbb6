"""Fixtures for tests/core: the pixel kernel under test.

``pixel_kernel``: the test runs once with the compiled kernel (core/_kernel.c) and once with its
numpy/OpenCV fallback (core/kernel_fallback.py), switched where the renderer calls it
(core/kernel.py); the compiled run is skipped where the C module is not built.
"""

from __future__ import annotations

import pytest

from iea_desktop.core import kernel, kernel_fallback


def use_kernel(name: str):
    """Switch core/kernel.py to ``name`` ("compiled" or "numpy"); returns a function that switches back."""
    before = kernel.active, kernel.why
    if name == "compiled":
        if kernel.compiled is None:
            pytest.skip(f"the compiled kernel is not built here ({kernel.why})")
        kernel.use(kernel.compiled)
    else:
        kernel.use(kernel_fallback, "chosen by the test")
    return lambda: kernel.use(*before)


@pytest.fixture(params=["compiled", "numpy"])
def pixel_kernel(request):
    """The kernel the renderer calls during the test: each implementation in turn."""
    restore = use_kernel(request.param)
    yield request.param
    restore()


@pytest.fixture(params=[("compiled", 4), ("compiled", 3), ("compiled", 0), ("numpy", 0)],
                ids=["avx512", "avx2", "portable", "numpy"])
def simd(request):
    """Each level of the compiled kernel's explicit vector code where this CPU has it, then the fallback."""
    name, level = request.param
    restore = use_kernel(name)
    try:
        if kernel.use_simd(level) != level:
            pytest.skip(f"this CPU has no level {level} vector code")
        yield level
    finally:
        kernel.use_simd(4)  # back to the most the CPU has
        restore()
