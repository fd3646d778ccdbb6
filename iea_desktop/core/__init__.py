"""Pixels and documents. Never imports Qt or llama_cpp."""
