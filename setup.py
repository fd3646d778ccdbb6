"""The one compiled part of IEA Desktop: the renderer's pixel loops (iea_desktop/core/_kernel.c).

Everything else about the package is in pyproject.toml. A C compiler is needed, as it already is
for llama-cpp-python; see README "Requirements".
"""

import sys

from setuptools import Extension, setup

# -O3 lets GCC/Clang vectorise the blur's row loops, and -ffp-contract=fast use fused multiply-adds
# where the CPU has them (-std=c11 alone turns that off); no -ffast-math: NaN must stay NaN until the
# kernel turns it into 0 on purpose. No -march=native: the package must run on other machines.
FLAGS = ["/O2"] if sys.platform == "win32" else ["-O3", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=fast", "-std=c11"]

setup(ext_modules=[Extension("iea_desktop.core._kernel", ["iea_desktop/core/_kernel.c"], extra_compile_args=FLAGS)])
