"""The model in a child process, so that a crash of llama.cpp does not take the app down.

llama.cpp aborts the process on some damaged model files (NaN logits from flipped bits in the
weights abort the grammar sampler), segfaults on others, and a model too big for the memory
gets the process killed. None of that can be caught in Python. :class:`IsolatedBackend` has
the methods of :class:`~.llama_cpp_backend.LlamaCppBackend` and runs one in a child Python
process; when the child dies, the request raises :class:`ModelCrashed` (one clear line), the
app keeps running, and the next request starts a new child and loads the model again.

The protocol is one JSON object per line. The parent writes requests to the child's stdin:
``{"op": "load", "config": {...}}``, ``{"op": "complete", ...}`` (the image as base64) and
``{"op": "cancel"}`` (stops the latest request), ``{"op": "count", "texts": [...]}`` (token
counts). The child answers on a private copy of its original stdout: ``progress``, ``ready``
(the facts the UI shows), ``text`` (a piece of the reply), ``done`` (with the request's
``usage``), ``counts``, ``cancelled`` or ``error``. The child lives across requests, and with it
llama.cpp's evaluated prompt (see llama_cpp_backend.py, prompt caching). Its file descriptor 1 is pointed at stderr
first, because llama.cpp (and the debugger it starts on an abort) write to it, and
llama-cpp-python redirects it while it runs. The child's stderr goes to this module's log.
When the child's stdin closes (the app ends or closes the model), the child exits at once.

A stop request is passed to the child, which stops after the current piece of text; if it
has not answered after :data:`STOP_GRACE_S` (reading a long prompt or encoding the photo,
which llama.cpp cannot interrupt), the child is killed instead and restarts on the next request.
"""

from __future__ import annotations

import base64
import faulthandler
import json
import logging
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO, overload

from ...logs import FILE_ONLY
from ..errors import ModelFileError
from .llama_cpp_backend import (
    Cancelled,
    LlamaCppBackend,
    Message,
    Progress,
    check_handler_choice,
    default_threads,
)

__all__ = ["IsolatedBackend", "ModelCrashed", "STOP_GRACE_S"]

log = logging.getLogger(__name__)

STOP_GRACE_S = 2.0  # after a stop request, how long the child may take before it is killed
_POLL_S = 0.05  # how often a waiting request looks at its cancel event
# The folder that holds iea_desktop/, put on the child's path (in a bundle, sys._MEIPASS).
_PACKAGE_ROOT = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parents[3]))
# A PyInstaller bundle has no `python -c`: its own program starts the child when given this flag
# (packaging/entry.py).
CHILD_FLAG = "--model-process"
_CHILD_CODE = "from iea_desktop.agent.backends.model_process import child_main; child_main()"


class ModelCrashed(ModelFileError):
    """The model's process died (a signal, an abort, the memory ran out) during a request."""


class _ChildGone(Exception):
    pass


def describe_exit(returncode: int | None) -> str:
    """How a process ended, for people: "SIGABRT", "SIGKILL, out of memory?", "exit code 3"."""
    if returncode is None:
        return "it stopped answering"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"{name}, out of memory?" if name == "SIGKILL" else name
    return f"exit code {returncode}"


class _Child:
    """One child process: its pipes, the threads that read them, and its last words."""

    def __init__(self):
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PACKAGE_ROOT), env.get("PYTHONPATH")) if p)
        # ggml prints a backtrace on abort by attaching gdb when it is installed: seconds of
        # chatter that the log does not need (the abort's reason is printed before it).
        env.setdefault("GGML_NO_BACKTRACE", "1")
        frozen = getattr(sys, "frozen", False)
        self.proc = subprocess.Popen(
            [sys.executable, CHILD_FLAG] if frozen else [sys.executable, "-c", _CHILD_CODE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),  # no console on Windows
        )
        assert self.proc.stdin and self.proc.stdout and self.proc.stderr  # all three are pipes, above
        self.stdin, self.stdout, self.stderr = self.proc.stdin, self.proc.stdout, self.proc.stderr
        self.messages: queue.Queue[dict | None] = queue.Queue()
        self.last_words: deque[str] = deque(maxlen=8)
        threading.Thread(target=self._read_messages, daemon=True).start()
        threading.Thread(target=self._read_log, daemon=True).start()

    def _read_messages(self) -> None:
        for line in self.stdout:
            try:
                self.messages.put(json.loads(line))
            except ValueError:
                log.warning("model process: unreadable message %r", line[:200])
        self.messages.put(None)  # end of file: the child is gone

    def _read_log(self) -> None:
        for raw in self.stderr:
            line = raw.decode("utf-8", "replace").rstrip()
            if line:
                self.last_words.append(line)
                log.debug("model process: %s", line)

    def send(self, message: dict) -> None:
        try:
            self.stdin.write(json.dumps(message).encode("ascii") + b"\n")
            self.stdin.flush()
        except OSError:  # a broken pipe: the child died; receive() reports how
            pass

    @overload
    def receive(self, timeout: None) -> dict: ...
    @overload
    def receive(self, timeout: float) -> dict | None: ...

    def receive(self, timeout: float | None) -> dict | None:
        """The next message, or None after ``timeout`` seconds (None: waits for one). Raises
        _ChildGone at EOF."""
        try:
            message = self.messages.get(timeout=timeout)
        except queue.Empty:
            return None
        if message is None:
            self.messages.put(None)  # stay gone for later calls
            raise _ChildGone()
        return message

    def how_it_died(self) -> str:
        try:
            returncode = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            returncode = None
        how = describe_exit(returncode)
        # The person sees the error; the log file gets the details.
        log.warning(
            "model process died (%s); its last lines: %s", how, " | ".join(self.last_words) or "none", extra=FILE_ONLY
        )
        return how

    def stop(self) -> None:
        """End the child: closing its stdin makes it exit; kill it if it does not."""
        try:
            self.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class IsolatedBackend:
    """A :class:`LlamaCppBackend` in a child process; the same methods and facts.

    One request at a time. A crash of the child raises :class:`ModelCrashed` from the
    request it happened in; the next request starts a new child (loading the model again,
    without progress reports) before it runs.
    """

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
        check_handler_choice(chat_handler, mmproj_path)
        self.model_path = Path(model_path)
        self.mmproj_path = Path(mmproj_path) if mmproj_path is not None else None
        self.n_threads = n_threads or default_threads()
        self.n_ctx = n_ctx
        self.last_usage: dict[str, Any] | None = None  # as LlamaCppBackend.last_usage
        self._config = {
            "model_path": str(self.model_path),
            "mmproj_path": str(self.mmproj_path) if self.mmproj_path else None,
            "n_threads": self.n_threads,
            "n_gpu_layers": n_gpu_layers,
            "chat_handler": chat_handler,
            "n_ctx": n_ctx,
            "verbose": verbose,
        }
        self._lock = threading.Lock()
        self._child: _Child | None = None
        self._stop_child: weakref.finalize | None = None
        self._facts: dict[str, Any] | None = None  # from the child's "ready"; None = not loaded
        self._crashes = 0  # crashes since the last request that worked

    # ----------------------------------------------------------------------------------
    # Loading

    def load(self, progress: Progress | None = None) -> None:
        """Start a child process and load the model in it (blocking; seconds to minutes).

        Raises ModelFileError as LlamaCppBackend.load does, and ModelCrashed when llama.cpp
        takes the child down while loading.
        """
        with self._lock:
            self._discard_child()
            self._facts = None
            self._start(progress)

    def _start(self, progress: Progress | None) -> _Child:
        child = _Child()
        self._child = child
        self._stop_child = weakref.finalize(self, child.stop)  # also at interpreter exit
        child.send({"op": "load", "config": self._config})
        try:
            while True:
                message = child.receive(timeout=None)
                if "progress" in message:
                    if progress is not None:
                        progress(*message["progress"])
                elif "ready" in message:
                    self._facts = message["ready"]
                    return child
                elif "error" in message:
                    raise _rebuild(message["error"], self.model_path)
        except _ChildGone:
            how = child.how_it_died()
            self._discard_child()
            self._crashes += 1
            raise ModelCrashed(
                f"llama.cpp crashed ({how}) while loading {self.model_path.name}: "
                "the file is probably damaged, or too big for this computer's memory",
                self.model_path,
            ) from None
        except BaseException:
            self._discard_child()
            raise

    def _discard_child(self) -> None:
        if self._stop_child is not None:
            self._stop_child()  # runs child.stop once
        self._child = self._stop_child = None

    def close(self) -> None:
        """End the child process (safe to call twice); load() may be called again."""
        with self._lock:
            self._discard_child()
            self._facts = None

    # ----------------------------------------------------------------------------------
    # Facts for the UI (reported by the child once loaded)

    @property
    def name(self) -> str:
        return self._facts["name"] if self._facts else self.model_path.stem

    @property
    def has_vision(self) -> bool:
        return self.mmproj_path is not None

    @property
    def uses_gpu(self) -> bool:
        return bool(self._facts and self._facts["uses_gpu"])

    @property
    def handler_name(self) -> str | None:
        return self._facts["handler_name"] if self._facts else None

    @property
    def device_label(self) -> str:
        return self._facts["device_label"] if self._facts else f"CPU, {self.n_threads} threads"

    # ----------------------------------------------------------------------------------
    # Generation

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
        """As :meth:`LlamaCppBackend.complete`; raises ModelCrashed if the model's process dies."""
        with self._lock:
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            child = self._live_child()
            self.last_usage = None
            child.send(
                {
                    "op": "complete",
                    "messages": [{"role": m["role"], "content": m["content"]} for m in messages],
                    "image_png": base64.b64encode(image_png).decode("ascii") if image_png else None,
                    "grammar": grammar,
                    "max_tokens": max_tokens,
                    "temperature": temperature,
                }
            )
            try:
                text = self._answer(child, on_text, cancel)
            except _ChildGone:
                raise self._crashed(child) from None
            self._crashes = 0
            return text

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """As :meth:`LlamaCppBackend.count_tokens`; raises ModelCrashed if the model's process dies."""
        with self._lock:
            child = self._live_child()
            child.send({"op": "count", "texts": list(texts)})
            try:
                while True:
                    message = child.receive(timeout=None)
                    if "counts" in message:
                        return message["counts"]
                    if "error" in message:
                        raise _rebuild(message["error"], self.model_path)
            except _ChildGone:
                raise self._crashed(child) from None

    def _live_child(self) -> _Child:
        """The child, started again if it died between requests (killed for memory?)."""
        if self._facts is None:
            raise RuntimeError("the model is not loaded; call load() first")
        if self._child is not None and self._child.proc.poll() is not None:
            self._child.how_it_died()
            self._discard_child()
        return self._child or self._start(None)

    def _answer(self, child: _Child, on_text, cancel: threading.Event | None) -> str:
        """Relay the child's reply until it is done; after a stop request, relay no more text."""
        stop_sent: float | None = None
        while True:
            if stop_sent is None and cancel is not None and cancel.is_set():
                child.send({"op": "cancel"})
                stop_sent = time.monotonic()
            message = child.receive(timeout=_POLL_S)
            if message is None:
                if stop_sent is not None and time.monotonic() - stop_sent > STOP_GRACE_S:
                    log.info("the model did not stop within %.1f s: ending its process", STOP_GRACE_S)
                    self._discard_child()
                    raise Cancelled()
            elif "text" in message:
                if stop_sent is None and on_text is not None:
                    try:
                        on_text(message["text"])
                    except BaseException:  # the rest of this reply must not reach the next request
                        self._discard_child()
                        raise
            elif "done" in message:
                if stop_sent is not None:
                    raise Cancelled()
                self.last_usage = message.get("usage")
                return message["done"]
            elif "cancelled" in message:
                raise Cancelled()
            elif "error" in message:
                raise _rebuild(message["error"], self.model_path)

    def _crashed(self, child: _Child) -> ModelCrashed:
        how = child.how_it_died()
        self._discard_child()
        self._crashes += 1
        message = f"the model crashed ({how}) while answering; it will be restarted for the next request"
        if self._crashes > 1:
            message += (
                f" (it crashed {self._crashes} times in a row: the model file may be "
                "damaged, download it again or pick another model)"
            )
        return ModelCrashed(message, self.model_path)


def _rebuild(error: dict, path: Path) -> Exception:
    """The child's exception, as one the callers of LlamaCppBackend know."""
    kind, message = error["type"], error["message"]
    if kind == "ModelFileError":
        return ModelFileError(message, error.get("path") or path)
    if kind == "ValueError":
        return ValueError(message)
    return RuntimeError(f"{kind}: {message}" if message else kind)


# --------------------------------------------------------------------------------------
# The child's side


def child_main() -> None:
    """Serve one LlamaCppBackend over stdin / the original stdout until stdin closes."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # stray output (llama.cpp, gdb) must not mix with the messages
    faulthandler.enable()  # a native crash's Python traceback goes to stderr, which the app logs
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is for the app, which ends us

    requests: queue.Queue[tuple[dict, threading.Event]] = queue.Queue()
    threading.Thread(target=_read_requests, args=(sys.stdin.buffer, requests), daemon=True).start()

    def send(message: dict) -> None:
        out.write(json.dumps(message).encode("ascii") + b"\n")
        out.flush()

    backend: LlamaCppBackend | None = None
    while True:
        request, cancel = requests.get()
        try:
            if request["op"] == "load":
                backend = LlamaCppBackend(**request["config"])
                backend.load(progress=lambda fraction, text: send({"progress": [fraction, text]}))
                send(
                    {
                        "ready": {
                            "name": backend.name,
                            "handler_name": backend.handler_name,
                            "uses_gpu": backend.uses_gpu,
                            "device_label": backend.device_label,
                        }
                    }
                )
            elif request["op"] == "complete":
                assert backend is not None  # the parent loads first
                image = request["image_png"]
                text = backend.complete(
                    request["messages"],
                    image_png=base64.b64decode(image) if image else None,
                    grammar=request["grammar"],
                    max_tokens=request["max_tokens"],
                    temperature=request["temperature"],
                    on_text=lambda piece: send({"text": piece}),
                    cancel=cancel,
                )
                send({"done": text, "usage": backend.last_usage})
            elif request["op"] == "count":
                assert backend is not None
                send({"counts": backend.count_tokens(request["texts"])})
        except Cancelled:
            send({"cancelled": True})
        except Exception as error:  # reported to the parent, which raises it there
            path = getattr(error, "path", None)
            send({"error": {"type": type(error).__name__, "message": str(error), "path": str(path) if path else None}})


def _read_requests(stdin: BinaryIO, requests: queue.Queue) -> None:
    """Queue each request with its own cancel event; a cancel sets the latest one's."""
    latest = threading.Event()
    for line in stdin:
        request = json.loads(line)
        if request["op"] == "cancel":
            latest.set()
        else:
            latest = threading.Event()
            requests.put((request, latest))
    os._exit(0)  # stdin closed: the app has ended or closed the model
