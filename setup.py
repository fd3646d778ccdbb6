"""The one compiled part of IEA Desktop: the renderer's pixel loops (iea_desktop/core/_kernel.c).

Everything else about the package is in pyproject.toml. The kernel is optional: where it does not
compile (no C compiler, an unusual one), the install goes on and the app uses the same loops in
numpy (iea_desktop/core/kernel_fallback.py), slower; `iea-desktop doctor` says which one runs.
"""

import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.errors import CCompilerError, ExecError, PlatformError

# -O3 lets GCC/Clang vectorise the blur's row loops, and -ffp-contract=fast use fused multiply-adds
# where the CPU has them (-std=c11 alone turns that off); no -ffast-math: NaN must stay NaN until the
# kernel turns it into 0 on purpose. No -march=native: the package must run on other machines.
FLAGS = ["/O2"] if sys.platform == "win32" else ["-O3", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=fast", "-std=c11"]

BUILD_ERRORS = (CCompilerError, ExecError, PlatformError, OSError)  # no compiler, a failed compile or link


class OptionalKernel(build_ext):
    """build_ext that, when the kernel does not build, warns once and lets the install finish
    (without it in the outputs that later steps copy, e.g. an editable install's)."""

    def run(self):
        try:
            super().run()
        except BUILD_ERRORS as error:  # raised before any compile: no compiler at all (e.g. no MSVC)
            self._warn(error)
            self.extensions = []

    def build_extensions(self):
        self.failed = []
        super().build_extensions()
        self.extensions = [ext for ext in self.extensions if ext not in self.failed]

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except BUILD_ERRORS as error:
            self._warn(error)
            self.failed.append(ext)

    @staticmethod
    def _warn(error):
        reason = str(error) if len(str(error)) <= 160 else str(error)[:160] + "..."  # a failed command is long
        print(f"WARNING: IEA Desktop's compiled pixel kernel (iea_desktop/core/_kernel.c) did not build "
              f"({reason}); the app will use the slower numpy path. Install a C compiler and Python's headers "
              f"(README, Requirements) and reinstall to build it.", file=sys.stderr)


setup(ext_modules=[Extension("iea_desktop.core._kernel", ["iea_desktop/core/_kernel.c"], extra_compile_args=FLAGS)],
      cmdclass={"build_ext": OptionalKernel})
