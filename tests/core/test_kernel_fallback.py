"""The app without its compiled kernel: the numpy/OpenCV fallback (core/kernel_fallback.py).

Why: a machine whose C compiler cannot build core/_kernel.c (or a Python it was not built for)
must still have an app. The kernel's own tests run on both implementations (test_kernel.py);
here, whole renders: the fallback's agree with the compiled kernel's within the fusion tolerance,
and the command line renders a photo in a process where the compiled module cannot be imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from iea_desktop import cli
from iea_desktop.core import kernel, kernel_fallback
from iea_desktop.core.graph import make_node
from iea_desktop.core.render import Renderer, RenderRequest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Every tool but grain, whose noise follows the node's random id (two renders would differ anyway).
TOOLS = {"exposure": 30, "brightness": -20, "contrast": 25, "fade": 20, "natural_contrast": 30, "highlights": -30,
         "shadows": 30, "whites": 20, "blacks": -20, "saturation": 30, "vibrance": 30, "temperature": 20,
         "tint": -10, "vignette": 30, "sharpness": 30}


def render_with(module, image, nodes, **options) -> np.ndarray:
    before = kernel.active, kernel.why
    kernel.use(module, "chosen by the test")
    try:
        return Renderer().run(RenderRequest(nodes=nodes, source=image, source_key="src", **options))
    finally:
        kernel.use(*before)


@pytest.mark.skipif(kernel.compiled is None, reason="the compiled kernel is not built here")
@pytest.mark.parametrize("sign", [1, -1])
@pytest.mark.parametrize("scale, cached", [(1.0, True), (1.0, False), (0.3, True)])
def test_the_fallback_renders_what_the_compiled_kernel_renders(make_rgb, sign, scale, cached):
    image = make_rgb(150, 200, seed=6)
    nodes = [make_node(name, {"value": sign * value}) for name, value in TOOLS.items()]
    compiled = render_with(kernel.compiled, image, nodes, scale=scale, cached=cached)
    fallback = render_with(kernel_fallback, image, nodes, scale=scale, cached=cached)
    assert np.abs(fallback - compiled).max() <= 1e-3  # the fusion tolerance (test_fusion.py)
    assert np.abs(fallback - compiled).mean() < 1e-5


BLOCKED = """
import sys
sys.modules["iea_desktop.core._kernel"] = None  # as if it were not built: importing it fails
from iea_desktop import cli
from iea_desktop.core import kernel
print(kernel.describe())
sys.exit(cli.main(sys.argv[1:]))
"""


def test_the_command_line_renders_a_photo_when_the_compiled_kernel_cannot_load(make_photo, tmp_path):
    photo = make_photo("photo.png", height=300, width=400, seed=3)
    args = ["render", str(photo), "--params", json.dumps(TOOLS)]
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("IEA_KERNEL", None)
    result = subprocess.run([sys.executable, "-c", BLOCKED, *args, "-o", str(tmp_path / "numpy.png")],
                            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("numpy fallback (slower): the compiled kernel (core/_kernel.c) does not load")
    assert "Traceback" not in result.stderr
    warnings = [line for line in result.stderr.splitlines() if "numpy path" in line]
    assert len(warnings) == 1, result.stderr  # said once, with what to do about it
    assert "make setup" in warnings[0]
    assert cli.main([*args, "-o", str(tmp_path / "here.png")]) == 0  # this process: the kernel it has
    with Image.open(tmp_path / "numpy.png") as a, Image.open(tmp_path / "here.png") as b:
        difference = np.abs(np.asarray(a, dtype=np.int16) - np.asarray(b, dtype=np.int16))
    assert difference.shape == (300, 400, 3)
    assert difference.max() <= 1  # 1e-3 is a quarter of an 8-bit level: at most a rounding apart
