"""Model backends. Nothing here imports Qt; llama_cpp is imported only when a model loads.

The package imports none of its modules itself, so using one (the grammar, the GGUF reader)
does not load the llama.cpp backend: import each from its own module.
"""
