"""The bundled program's entry point (PyInstaller runs this file as a script).

``iea_desktop/__main__.py`` uses a relative import, which does not work for a top-level script,
hence this file.
"""
import sys

from iea_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
