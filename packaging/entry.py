"""The bundled program's entry point (PyInstaller runs this file as a script).

``iea_desktop/__main__.py`` uses a relative import, which does not work for a top-level script,
hence this file. A frozen program has no ``python -c``, so the model's child process
(agent/backends/model_process.py) is this same program started with ``--model-process``, and so
is each worker process of a batch export (multiprocessing's "spawn": ``freeze_support`` runs it).
"""
import multiprocessing
import sys

from iea_desktop.agent.backends.model_process import CHILD_FLAG, child_main
from iea_desktop.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # a worker of `iea-desktop batch` (core/batch.py) is this program too
    if sys.argv[1:] == [CHILD_FLAG]:
        child_main()
        sys.exit(0)
    sys.exit(main())
