"""IEA Desktop: a non-destructive photo editor with a local assistant."""

import os

__version__ = "0.1.0"

# numpy's OpenBLAS starts threads (one per extra core) that spin-wait (sched_yield) whether or not
# anything calls BLAS; nothing here does, and the renderer needs both cores for its own threads.
# Measured on a 24 MP export (perf): 5% of the process's CPU samples were in that thread. Set
# before numpy is first imported; an explicit setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# llama.cpp's OpenMP threads spin while waiting for each other; when another process (or our
# own render worker) holds a core, a 2-thread turn measured 2-4x slower and erratic on a
# 2-core machine. Passive waiting keeps it steady. It only takes effect if set before libgomp
# loads (with llama_cpp: in the model's child process, which imports this package first, and in
# doctor); a value the user set wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
