"""Chat with any GGUF model through llama-cpp-python; with an mmproj file it sees the photo.

``llama_cpp`` is imported only once a model is loaded (in the methods), so the rest of the app
runs without it. Files are validated by :mod:`.gguf_inspect` before llama.cpp opens them
(llama.cpp crashes the process on some broken mmproj files). Facts this module relies on
are in ``shared/design/llama-cpp-notes.md``.

Prompt caching: llama.cpp keeps what it evaluated (its KV cache) between requests on one
``Llama`` object. For text, ``Llama.generate`` keeps the longest common token prefix of the new
prompt and the previous one and evaluates only the rest; the vision handlers of llama-cpp-python
clear everything on every request, so the generic vision handler used here
(:func:`_flat_mtmd_handler_class`) does the same prefix matching itself, over libmtmd's chunks:
text token by token, an image whole, known by the hash of its bytes. A prompt that starts the
same each turn (fixed instructions first, what varies last) is then read once per loaded model.
Each request's cost is in :attr:`LlamaCppBackend.last_usage`.
"""

from __future__ import annotations

import base64
import ctypes
import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import Cancelled
from .gguf_inspect import GGUFInfo, ModelFileError, check_pairing, inspect_gguf

__all__ = ["Cancelled", "HANDLER_NAMES", "LlamaCppBackend", "choose_handler"]

# Handler names a user may pick (or that auto-selection returns), and what they mean.
HANDLER_NAMES = {
    "chat-template": "text only, the model's own chat template",
    "mtmd": "generic vision handler using the model's own chat template (Gemma 3, SmolVLM, ...)",
    "qwen2.5-vl": "Qwen2.5-VL (and IEA models)",
    "llava-1.5": "LLaVA 1.5 (fixed Vicuna-style prompt)",
    "llava-1.6": "LLaVA 1.6 / NeXT",
    "minicpm-v-2.6": "MiniCPM-V 2.6",
    "moondream": "moondream2",
}
_HANDLER_CLASSES = {  # llama_cpp.llama_chat_format class for each vision handler
    "qwen2.5-vl": "Qwen25VLChatHandler",
    "llava-1.5": "Llava15ChatHandler",
    "llava-1.6": "Llava16ChatHandler",
    "minicpm-v-2.6": "MiniCPMv26ChatHandler",
    "moondream": "MoondreamChatHandler",
}
_GPU_BACKENDS = ("CUDA", "Metal", "Vulkan", "ROCm", "HIP", "SYCL", "MUSA", "CANN", "OpenCL")

log = logging.getLogger(__name__)

Message = Mapping[str, str]
Progress = Callable[[float, str], None]


def choose_handler(model: GGUFInfo, mmproj: GGUFInfo | None) -> str:
    """Pick a chat handler name from the text model's and the mmproj's metadata."""
    if mmproj is None:
        return "chat-template"
    ptype = mmproj.projector_type
    names = " ".join(s for s in (model.name, mmproj.name, model.path.name, mmproj.path.name) if s).lower()
    if ptype == "qwen2.5vl_merger":
        return "qwen2.5-vl"
    if "moondream" in names:
        return "moondream"
    if ptype == "resampler" and (mmproj.metadata.get("clip.minicpmv_version") == 3 or "minicpm-v-2_6" in names):
        return "minicpm-v-2.6"
    if ptype in ("mlp", "mlp_norm") and ("llava" in names or model.chat_template is None):
        if "clip.vision.image_grid_pinpoints" in mmproj.metadata or any(
            tag in names for tag in ("1.6", "v1.6", "next")
        ):
            return "llava-1.6"
        return "llava-1.5"
    if model.chat_template is None:
        # The generic handler needs the model's template; the Vicuna prompt is the
        # least bad guess for an old conversion without one.
        return "llava-1.5"
    return "mtmd"


def check_handler_choice(chat_handler: str | None, mmproj_path: str | Path | None) -> None:
    """Raise ValueError for a handler name that is unknown or does not fit the files."""
    if chat_handler is not None and chat_handler not in HANDLER_NAMES:
        raise ValueError(f"unknown chat handler {chat_handler!r}; choose one of {', '.join(HANDLER_NAMES)}")
    if chat_handler is not None and (chat_handler == "chat-template") != (mmproj_path is None):
        raise ValueError("chat handler 'chat-template' is for models without an mmproj, the others need one")


def default_threads() -> int:
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        n = os.cpu_count() or 1
    # Logical CPUs are usually 2 per physical core, and llama.cpp gains nothing from the
    # second one; on small machines every core counts.
    return n if n <= 4 else n // 2


class LlamaCppBackend:
    """One GGUF model (plus optional mmproj) loaded in llama.cpp; one request at a time."""

    def __init__(
        self,
        model_path: str | Path,
        mmproj_path: str | Path | None = None,
        n_threads: int | None = None,
        n_gpu_layers: int | None = None,
        chat_handler: str | None = None,
        n_ctx: int = 4096,
        verbose: bool = False,
    ):
        """``n_gpu_layers``: None = all layers when llama.cpp was built with GPU support,
        else 0; -1 = all. ``chat_handler``: None = chosen from the files' metadata, else
        one of :data:`HANDLER_NAMES`."""
        check_handler_choice(chat_handler, mmproj_path)
        self.model_path = Path(model_path)
        self.mmproj_path = Path(mmproj_path) if mmproj_path is not None else None
        self.n_threads = n_threads or default_threads()
        self.n_ctx = n_ctx
        self.verbose = verbose
        self._requested_gpu_layers = n_gpu_layers
        self._requested_handler = chat_handler
        self._lock = threading.Lock()
        self._llama: Any = None
        self._model_info: GGUFInfo | None = None
        self._handler_name: str | None = None
        self._n_gpu_layers = 0
        self._gpu_backend = ""
        self._valid_grammars: set[str] = set()
        # What the last request that finished cost: prompt_tokens (the whole prompt),
        # evaluated_tokens (those not kept from the request before), generated_tokens,
        # first_token_s (to the first token sampled: the photo and the prompt read), total_s.
        # Only the "mtmd" handler counts the photo's tokens: the others evaluate it out of sight.
        self.last_usage: dict[str, Any] | None = None

    # ----------------------------------------------------------------------------------
    # Loading

    def load(self, progress: Progress | None = None) -> None:
        """Validate the files, then load them into llama.cpp (blocking; seconds to minutes).

        Raises ModelFileError for a file that is missing, not GGUF, truncated, structurally
        broken, paired with the wrong mmproj, or refused by llama.cpp.
        """
        report = progress or (lambda fraction, text: None)
        report(0.0, f"Checking {self.model_path.name}")
        model = inspect_gguf(self.model_path)
        if model.is_mmproj:
            raise ModelFileError(
                f"{self.model_path.name} is a vision projector (mmproj), not a language model",
                self.model_path,
            )
        mmproj = None
        if self.mmproj_path is not None:
            report(0.05, f"Checking {self.mmproj_path.name}")
            mmproj = inspect_gguf(self.mmproj_path)
            check_pairing(model, mmproj)
        handler_name = self._requested_handler or choose_handler(model, mmproj)

        import llama_cpp  # lazily: the app works without llama-cpp-python

        gpu = llama_cpp.llama_supports_gpu_offload()
        n_gpu_layers = self._requested_gpu_layers
        if n_gpu_layers is None:
            n_gpu_layers = -1 if gpu else 0
        if not gpu:
            n_gpu_layers = 0
        handler = self._make_handler(handler_name, mmproj, use_gpu=n_gpu_layers != 0)

        report(0.1, f"Loading {model.name or self.model_path.name}")
        self.close()
        try:
            llama = _counting_llama(llama_cpp.Llama)(
                model_path=str(self.model_path),
                n_ctx=self.n_ctx,
                n_threads=self.n_threads,
                n_threads_batch=self.n_threads,
                n_gpu_layers=n_gpu_layers,
                chat_handler=handler,
                chat_format="chat_template.default" if handler is None and model.chat_template else None,
                verbose=self.verbose,
            )
        except (ValueError, RuntimeError) as e:
            raise ModelFileError(f"llama.cpp could not load {self.model_path.name}: {e}", self.model_path) from e
        if handler is not None:
            mmproj_path = self.mmproj_path
            assert mmproj_path is not None  # _make_handler makes a vision handler only for a projector
            if not self.verbose:
                _route_mtmd_logs(llama_cpp)
            # The mmproj otherwise loads on the first image turn; load it now so that its
            # errors and its cost belong to loading.
            report(0.8, f"Loading vision projector {mmproj_path.name}")
            _mtmd_errors.clear()
            try:
                handler._init_mtmd_context(llama)
            except (ValueError, RuntimeError) as e:
                llama.close()
                reason = f" ({_mtmd_errors[-1]})" if _mtmd_errors else ""
                raise ModelFileError(
                    f"llama.cpp could not load mmproj {mmproj_path.name}: {e}{reason}",
                    mmproj_path,
                ) from e

        with self._lock:
            self._llama = llama
            self._model_info = model
            self._handler_name = handler_name
            self._n_gpu_layers = n_gpu_layers
            self._gpu_backend = gpu_backend_name(llama_cpp) if n_gpu_layers else ""
            self._valid_grammars.clear()
        report(1.0, "Ready")

    def _make_handler(self, name: str, mmproj: GGUFInfo | None, use_gpu: bool) -> Any:
        if name == "chat-template" or mmproj is None:
            return None
        from llama_cpp import llama_chat_format

        path = str(mmproj.path)
        if name == "mtmd":
            return _flat_mtmd_handler_class()(path, verbose=self.verbose, use_gpu=use_gpu)
        cls = getattr(llama_chat_format, _HANDLER_CLASSES[name])
        return cls(path, verbose=self.verbose)  # these always ask mtmd for the GPU

    def close(self) -> None:
        """Free the model (safe to call twice); load() may be called again afterwards."""
        with self._lock:
            if self._llama is not None:
                self._llama.close()
                self._llama = None

    # ----------------------------------------------------------------------------------
    # Facts for the UI

    @property
    def name(self) -> str:
        if self._model_info is not None and self._model_info.name:
            return self._model_info.name
        return self.model_path.stem

    @property
    def has_vision(self) -> bool:
        return self.mmproj_path is not None

    @property
    def uses_gpu(self) -> bool:
        return self._n_gpu_layers != 0

    @property
    def handler_name(self) -> str | None:
        """The chat handler in use (a key of HANDLER_NAMES); None before load()."""
        return self._handler_name

    @property
    def device_label(self) -> str:
        """E.g. "CPU, 2 threads" or "GPU (CUDA), 33 layers"."""
        if not self.uses_gpu:
            return f"CPU, {self.n_threads} threads"
        blocks = self._model_info.block_count if self._model_info else None
        layers = self._n_gpu_layers
        if blocks is not None and (layers < 0 or layers > blocks + 1):
            layers = blocks + 1  # llama.cpp counts the output layer as one more
        count = "all layers" if layers < 0 else f"{layers} layers"
        return f"GPU ({self._gpu_backend or 'unknown backend'}), {count}"

    # ----------------------------------------------------------------------------------
    # Generation

    def check_grammar(self, grammar: str) -> None:
        """Raise ValueError unless llama.cpp can parse this GBNF grammar.

        ``LlamaGrammar.from_string`` stores the text without parsing it, and a grammar that
        llama.cpp then rejects leaves a null sampler in the chain, so check first.
        """
        with self._lock:
            self._check_grammar_locked(grammar)

    def _check_grammar_locked(self, grammar: str) -> None:
        if grammar in self._valid_grammars:
            return
        import llama_cpp

        llama = self._require_loaded()
        sampler = llama_cpp.llama_sampler_init_grammar(llama._model.vocab, grammar.encode("utf-8"), b"root")
        if not sampler:
            raise ValueError("llama.cpp rejected the grammar (its log says where)")
        llama_cpp.llama_sampler_free(sampler)
        self._valid_grammars.add(grammar)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """How many tokens each text is for this model (its own tokenizer, no special tokens)."""
        with self._lock:
            llama = self._require_loaded()
            return [len(llama.tokenize(text.encode("utf-8"), add_bos=False, special=False)) for text in texts]

    def complete(
        self,
        messages: Sequence[Message],
        image_png: bytes | None = None,
        grammar: str | None = None,
        max_tokens: int = 512,
        temperature: float = 0.0,
        on_text: Callable[[str], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> str:
        """Run one chat turn and return the whole reply.

        ``messages``: ``[{"role": "system"|"user"|"assistant", "content": str}, ...]``.
        ``image_png`` is attached to the last user message when the model has vision (and
        ignored otherwise). ``on_text`` receives the reply piece by piece; when ``cancel``
        is set, generation stops after the current piece and :class:`Cancelled` is raised.
        Encoding the image and reading the prompt happen before the first piece and cannot
        be interrupted. Blocks while another request runs on this backend. What the request
        cost is in :attr:`last_usage` afterwards.
        """
        if max_tokens <= 0:
            raise ValueError("max_tokens must be positive (llama.cpp treats 0 as unlimited)")
        chat = self._chat_messages(messages, image_png)
        with self._lock:
            llama = self._require_loaded()
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            llama_grammar = None
            if grammar:
                from llama_cpp import LlamaGrammar

                self._check_grammar_locked(grammar)
                llama_grammar = LlamaGrammar.from_string(grammar, verbose=False)
            self.last_usage = None
            llama.start_request()
            stream = llama.create_chat_completion(
                messages=chat,
                stream=True,
                max_tokens=max_tokens,
                temperature=temperature,
                grammar=llama_grammar,
                # The default 1.1 penalises the quotes, commas and digits JSON repeats.
                repeat_penalty=1.0 if grammar else 1.1,
            )
            pieces: list[str] = []
            try:
                for chunk in stream:
                    text = chunk["choices"][0]["delta"].get("content")
                    if text:
                        pieces.append(text)
                        if on_text is not None:
                            on_text(text)
                    if cancel is not None and cancel.is_set():
                        raise Cancelled()
            finally:
                stream.close()
            self.last_usage = llama.usage()
            return "".join(pieces)

    def _require_loaded(self) -> Any:
        if self._llama is None:
            raise RuntimeError("the model is not loaded; call load() first")
        return self._llama

    def _chat_messages(self, messages: Sequence[Message], image_png: bytes | None) -> list[dict[str, Any]]:
        """Convert to llama-cpp-python's message format, attaching the image if any."""
        chat: list[dict[str, Any]] = [{"role": m["role"], "content": m["content"]} for m in messages]
        if not self.has_vision:
            return chat
        last_user = max((i for i, m in enumerate(chat) if m["role"] == "user"), default=None)
        for i, m in enumerate(chat):
            if m["role"] != "user":
                continue
            # The LLaVA-family templates test `content is iterable` (true for strings
            # too) and would print a string user message twice: always send parts.
            parts: list[dict[str, Any]] = [{"type": "text", "text": m["content"]}]
            if i == last_user and image_png is not None:
                url = "data:image/png;base64," + base64.b64encode(image_png).decode("ascii")
                parts.insert(0, {"type": "image_url", "image_url": {"url": url}})
            m["content"] = parts
        return chat


def gpu_backend_name(llama_cpp: Any) -> str:
    info = llama_cpp.llama_print_system_info().decode("utf-8", "replace")
    return next((b for b in _GPU_BACKENDS if b in info), "")


_mtmd_log_callback: Any = None
_mtmd_errors: list[str] = []  # error lines libmtmd logged, newest last (for error messages)


def _route_mtmd_logs(llama_cpp: Any) -> None:
    """Send libmtmd's log to this module's logger instead of stderr.

    llama-cpp-python quiets llama.cpp's own log when verbose=False but not libmtmd's, which
    prints every prompt it tokenizes. libmtmd's logger is process-wide, so this is too; the
    ctypes callback must stay referenced for as long as the library may call it.
    """
    global _mtmd_log_callback
    if _mtmd_log_callback is not None:
        return
    from llama_cpp import mtmd_cpp

    # ggml_log_level: 1 DEBUG, 2 INFO, 3 WARN, 4 ERROR, 5 CONT (llama-cpp-python's
    # _logger.py still documents an older numbering). libmtmd's INFO is chatty: DEBUG here.
    levels = {3: logging.WARNING, 4: logging.ERROR}

    @llama_cpp.llama_log_callback
    def callback(level, text, user_data):
        line = text.decode("utf-8", "replace").strip()
        if level == 4 and line:
            del _mtmd_errors[:-9]
            _mtmd_errors.append(line.splitlines()[0])
        log.log(levels.get(level, logging.DEBUG), "%s", line)

    mtmd_cpp.mtmd_log_set(callback, None)
    mtmd_cpp.mtmd_helper_log_set(callback, None)
    _mtmd_log_callback = callback


def _counting_llama(base: type) -> type:
    """``base`` (llama_cpp.Llama) counting what each request costs (see LlamaCppBackend.last_usage).

    Everything evaluated before the first token is sampled is prompt; libmtmd evaluates an
    image's tokens itself, and the vision handler below adds them with :meth:`add_evaluated`.
    """

    class CountingLlama(base):
        def start_request(self) -> None:
            self._started = time.perf_counter()
            self._evaluated = self._generated = 0
            self._prompt_tokens: int | None = None
            self._first_token_s: float | None = None

        def add_evaluated(self, n_tokens: int) -> None:
            if self._prompt_tokens is None:
                self._evaluated += n_tokens

        def eval(self, tokens):
            self.add_evaluated(len(tokens))
            super().eval(tokens)

        def sample(self, *args, **kwargs):
            if self._prompt_tokens is None:
                self._prompt_tokens = self.n_tokens
                self._first_token_s = time.perf_counter() - self._started
            self._generated += 1
            return super().sample(*args, **kwargs)

        def usage(self) -> dict[str, Any]:
            return {
                "prompt_tokens": self._prompt_tokens,
                "evaluated_tokens": self._evaluated,
                "generated_tokens": self._generated,
                "first_token_s": self._first_token_s,
                "total_s": time.perf_counter() - self._started,
            }

    return CountingLlama


_FLAT_MTMD: type | None = None
# What create_chat_completion hands a chat handler: passed on to the completion, or refused.
_COMPLETION_OPTIONS = (
    "max_tokens",
    "temperature",
    "top_p",
    "top_k",
    "min_p",
    "typical_p",
    "stop",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "repeat_penalty",
    "tfs_z",
    "mirostat_mode",
    "mirostat_tau",
    "mirostat_eta",
    "logits_processor",
    "grammar",
    "logit_bias",
    "model",
)
_UNSUPPORTED = ("functions", "function_call", "tools", "tool_choice", "response_format", "logprobs")


def _flat_mtmd_handler_class() -> type:
    """MTMDChatHandler that hands the chat template plain-string message content, and keeps the
    evaluated prompt from one request to the next.

    Many templates (SmolLM2's among them) build the prompt with
    ``message['content'] + ...``, which fails on the list content of a multimodal
    message. The image part is already replaced by the media marker at this point, so
    joining the parts keeps the marker where the image was. Templates that understand
    list content understand strings too, so this is used for every model.

    ``MTMDChatHandler.__call__`` clears the context and evaluates the whole prompt, photo
    included, on every request; this one keeps the chunks that start the prompt as before
    (:meth:`_reusable`) and evaluates the rest. It takes the sampling options; tools, functions,
    a response format and log-probabilities (which LlamaCppBackend does not use) are refused.
    """
    global _FLAT_MTMD
    if _FLAT_MTMD is None:
        import llama_cpp
        from llama_cpp import llama_chat_format
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter, MTMDChatHandler

        class FlatMTMDChatHandler(MTMDChatHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                # The prompt chunks the context holds now, in order: (key, positions), a key
                # being ("text", tokens) or ("image", id of the image's bytes, tokens).
                self._evaluated: list[tuple[tuple, int]] = []

            @classmethod
            def _convert_message_for_template(cls, message, media_marker):
                message = super()._convert_message_for_template(message, media_marker)
                content = message.get("content")
                if isinstance(content, list):
                    message["content"] = "\n".join(part.get("text", "") for part in content if isinstance(part, dict))
                return message

            def __call__(self, *, llama, messages, stream=False, **options):
                unsupported = sorted(k for k in _UNSUPPORTED if options.get(k))
                if unsupported:
                    raise ValueError(f"not supported with this vision handler: {', '.join(unsupported)}")
                self._init_mtmd_context(llama)
                urls = self.get_image_urls(messages)
                marker = self._mtmd_cpp.mtmd_default_marker().decode("utf-8")

                def piece(token: int) -> str:
                    return self._decode_token_piece(llama.detokenize([token]))

                formatter = Jinja2ChatFormatter(
                    self._get_chat_template(llama),
                    eos_token=piece(llama.token_eos()),
                    bos_token=piece(llama.token_bos()),
                )
                text = formatter(messages=self._get_template_messages(messages, marker)).prompt
                text = self._postprocess_template_text(text, urls, marker)
                self._evaluate_prompt(llama, text, [self.load_image(url) for url in urls])
                completion = llama.create_completion(
                    prompt=llama.input_ids[: llama.n_tokens].tolist(),
                    stream=stream,
                    **{key: value for key, value in options.items() if key in _COMPLETION_OPTIONS},
                )
                return llama_chat_format._convert_completion_to_chat(completion, stream=stream)

            def _evaluate_prompt(self, llama, text: str, images: list[bytes]) -> None:
                mtmd = self._mtmd_cpp
                bitmaps = []
                try:
                    for data in images:
                        bitmaps.append(self._create_bitmap_from_bytes(data))
                        # The id travels with the image's chunk: how a later prompt knows the photo.
                        mtmd.mtmd_bitmap_set_id(bitmaps[-1], hashlib.sha256(data).hexdigest().encode("ascii"))
                    encoded = text.encode("utf-8")
                    input_text = mtmd.mtmd_input_text()
                    input_text.text, input_text.text_len = encoded, len(encoded)
                    input_text.add_special = input_text.parse_special = True
                    chunks = mtmd.mtmd_input_chunks_init()
                    if chunks is None:
                        raise ValueError("Failed to create input chunks")
                    try:
                        array = (mtmd.mtmd_bitmap_p_ctypes * len(bitmaps))(*bitmaps)
                        result = mtmd.mtmd_tokenize(
                            self.mtmd_ctx, chunks, ctypes.byref(input_text), array, len(bitmaps)
                        )
                        if result != 0:
                            raise ValueError(f"Failed to tokenize input: error code {result}")
                        self._evaluate_chunks(
                            llama,
                            [mtmd.mtmd_input_chunks_get(chunks, i) for i in range(mtmd.mtmd_input_chunks_size(chunks))],
                        )
                    finally:
                        mtmd.mtmd_input_chunks_free(chunks)
                finally:
                    for bitmap in bitmaps:
                        mtmd.mtmd_bitmap_free(bitmap)

            def _chunk_key(self, chunk) -> tuple[tuple, int]:
                mtmd = self._mtmd_cpp
                if mtmd.mtmd_input_chunk_get_type(chunk) == mtmd.MTMD_INPUT_CHUNK_TYPE_TEXT:
                    n = ctypes.c_size_t()
                    tokens = mtmd.mtmd_input_chunk_get_tokens_text(chunk, ctypes.byref(n))
                    return ("text", tuple(tokens[i] for i in range(n.value))), n.value
                image = mtmd.mtmd_input_chunk_get_id(chunk) or object()  # no id: never the same
                n_tokens, n_pos = mtmd.mtmd_input_chunk_get_n_tokens(chunk), mtmd.mtmd_input_chunk_get_n_pos(chunk)
                return ("image", image, n_tokens), n_pos

            def _reusable(self, keys: list[tuple[tuple, int]]) -> tuple[int, int, int]:
                """(positions kept, first chunk to evaluate, its tokens kept): the chunks equal to
                the previous prompt's, then the common tokens of the first text chunk that differs.
                At least one token is evaluated again, for the logits of the next one."""
                old, keep, start, skip = self._evaluated, 0, 0, 0
                while start < min(len(keys), len(old)) and keys[start] == old[start]:
                    keep += keys[start][1]
                    start += 1
                if start < min(len(keys), len(old)) and keys[start][0][0] == old[start][0][0] == "text":
                    new_tokens, old_tokens = keys[start][0][1], old[start][0][1]
                    while skip < min(len(new_tokens), len(old_tokens)) and new_tokens[skip] == old_tokens[skip]:
                        skip += 1
                    keep += skip
                total = sum(n for _, n in keys)
                if keep >= total:  # nothing new: the last chunk again (a text chunk's last token)
                    start = len(keys) - 1
                    skip = keys[start][1] - 1 if keys[start][0][0] == "text" else 0
                    keep = total - keys[start][1] + skip
                return keep, start, skip

            def _evaluate_chunks(self, llama, chunks: list) -> None:
                mtmd = self._mtmd_cpp
                keys = [self._chunk_key(chunk) for chunk in chunks]
                keep, start, skip = self._reusable(keys)
                if keep == 0 or not llama._ctx.kv_cache_seq_rm(-1, keep, -1):
                    keep = start = skip = 0
                    llama.reset()
                    llama._ctx.kv_cache_clear()
                llama.n_tokens = keep
                self._evaluated = keys[:start]
                for i in range(start, len(chunks)):
                    key, n_pos = keys[i]
                    if llama.n_tokens + n_pos > llama.n_ctx():
                        raise ValueError(f"Prompt exceeds n_ctx: {llama.n_tokens + n_pos} > {llama.n_ctx()}")
                    if key[0] == "text":
                        llama.eval(list(key[1][skip if i == start else 0 :]))
                    else:
                        n_past = llama_cpp.llama_pos(0)
                        result = mtmd.mtmd_helper_eval_chunk_single(
                            self.mtmd_ctx,
                            llama._ctx.ctx,
                            chunks[i],
                            llama_cpp.llama_pos(llama.n_tokens),
                            llama_cpp.llama_seq_id(0),
                            llama.n_batch,
                            False,
                            ctypes.byref(n_past),
                        )
                        if result != 0:
                            raise ValueError(f"Failed to evaluate chunk: error code {result}")
                        llama.n_tokens = n_past.value
                        llama.add_evaluated(key[2])
                    self._evaluated.append(keys[i])

        _FLAT_MTMD = FlatMTMDChatHandler
    return _FLAT_MTMD
