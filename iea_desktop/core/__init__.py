"""Pixels and documents. Never imports Qt or llama_cpp.

The pixel loops are compiled (``_kernel.c``) where a C compiler built them, numpy and OpenCV
otherwise: ``kernel.py`` picks.
"""
