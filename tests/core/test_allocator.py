"""The allocator's settings (core/allocator.py): taken on glibc, and the entry points make them."""

import platform
import subprocess
import sys

import pytest

from iea_desktop.core import allocator

GLIBC = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")
def test_glibc_takes_the_settings():
    assert allocator.keep_freed_memory() is True


def test_other_platforms_are_left_alone(monkeypatch):
    monkeypatch.setattr(sys, "platform", "darwin")
    assert allocator.keep_freed_memory() is False


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")
def test_freed_arrays_are_reused_not_refaulted():
    """Strip-sized temporaries of several sizes, made and freed as a render does: with the settings
    the second round reuses the first's memory (glibc's defaults gave 40,718 page faults here, each
    a page the kernel zeroed); in a process of its own, so that the test's state is clean."""
    code = """
import resource, numpy as np
from iea_desktop.core.allocator import keep_freed_memory
keep_freed_memory()
def faults(): return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
def render():
    for i in range(20):
        a = np.ones((2 + i % 3) << 20, np.float32); b = np.ones(3 << 20, np.float32); c = np.ones(1 << 20, np.float32)
        del b
        d = np.ones(5 << 20, np.float32)
        del a, c, d
render()
before = faults()
render()
print(faults() - before)
"""
    faults = int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert faults < 100
