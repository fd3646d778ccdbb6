"""IEA Desktop: a non-destructive photo editor with a local assistant."""

import os

__version__ = "0.1.0"

# numpy's OpenBLAS starts threads (one per extra core) that spin-wait (sched_yield) whether or not
# anything calls BLAS; nothing here does, and the renderer needs both cores for its own threads.
# Measured on a 24 MP export (perf): 5% of the process's CPU samples were in that thread. Set
# before numpy is first imported; an explicit setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
