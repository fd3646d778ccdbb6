"""Model backends. Nothing here imports Qt; llama_cpp is imported only when a model loads."""
from .gguf_inspect import GGUFInfo, ModelFileError, check_pairing, find_mmproj, inspect_gguf
from .llama_cpp_backend import HANDLER_NAMES, Cancelled, LlamaCppBackend, choose_handler
from .model_process import IsolatedBackend, ModelCrashed

__all__ = [
    "Cancelled",
    "GGUFInfo",
    "HANDLER_NAMES",
    "IsolatedBackend",
    "LlamaCppBackend",
    "ModelCrashed",
    "ModelFileError",
    "check_pairing",
    "choose_handler",
    "find_mmproj",
    "inspect_gguf",
]
