"""The process leaves both cores to the renderer: numpy's OpenBLAS starts no spinning threads."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="counts threads through /proc (Linux)")
def test_importing_the_app_before_numpy_starts_no_blas_threads():
    count = "import os; print(len(os.listdir('/proc/self/task')))"
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    ours = subprocess.run([sys.executable, "-c", f"import iea_desktop, numpy; {count}"],
                          capture_output=True, text=True, env=env, check=True)
    assert int(ours.stdout) == 1
    explicit = subprocess.run([sys.executable, "-c", f"import iea_desktop, numpy; {count}"],
                              capture_output=True, text=True, env={**env, "OPENBLAS_NUM_THREADS": "2"}, check=True)
    assert int(explicit.stdout) == 2  # an explicit setting wins (and the count does see BLAS threads)
