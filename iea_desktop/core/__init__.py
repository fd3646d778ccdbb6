"""Pixels and documents. Never imports Qt or llama_cpp."""

try:  # the one compiled module; a source checkout must be built once (`make setup` does it)
    from . import _kernel  # noqa: F401
except ImportError as error:
    raise ImportError("IEA Desktop's compiled pixel kernel (iea_desktop/core/_kernel.c) is not built: run "
                      "`make setup`, or `pip install -e .` in the project folder (needs a C compiler)") from error
