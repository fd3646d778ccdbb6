"""The C allocator's settings for a process that renders: freed memory is kept for the next array.

A render makes and frees many strip-sized temporaries (megabytes each) on every core. By default
glibc's malloc hands memory that large back to the kernel when it is freed (unmapped, or the
heap trimmed), and the next array gets fresh pages, each zeroed by the kernel on first touch: at
24 MP with every tool that was 0.4 s of a 2.4 s export's system time (docs/performance.md). With
these settings the memory stays in the process and is reused. What is kept is bounded: at most
``TRIM_BYTES`` free at the top of a heap, and arrays of ``MMAP_BYTES`` and more (whole pictures,
which the renderer recycles itself, ``parallel.BufferPool``) still come from and go back to the kernel.

Only glibc (Linux) has ``mallopt``; elsewhere nothing changes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3  # glibc's malloc.h
MMAP_BYTES = 32 << 20  # the most glibc accepts (half its 64 MB thread heaps)
TRIM_BYTES = 512 << 20
TOP_PAD_BYTES = 64 << 20  # a heap grows by this much more than asked, so it grows seldom


def keep_freed_memory() -> bool:
    """Set the allocator as above; whether it took the settings (False off glibc)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and other C libraries without mallopt
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    settings = ((M_MMAP_THRESHOLD, MMAP_BYTES), (M_TRIM_THRESHOLD, TRIM_BYTES), (M_TOP_PAD, TOP_PAD_BYTES))
    return all(mallopt(option, value) == 1 for option, value in settings)
