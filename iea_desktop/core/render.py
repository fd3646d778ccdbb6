"""The float pipeline: run the enabled nodes of a graph over a float32 RGB image.

Each node's output is cached under a key made of everything upstream (the source, the render
scale, and the signature of this node and every node before it), so moving one slider
recomputes from that node on (RawTherapee's refresh map, darktable's pixelpipe cache).
"""

from __future__ import annotations

import hashlib
import threading
import zlib
from collections import OrderedDict
from typing import Callable, Iterable

import numpy as np

from .graph import Node
from .ops import RenderContext


class RenderCancelled(Exception):
    """A newer request superseded this render, or the person cancelled it."""


def node_seed(node: Node) -> int:
    """A stable seed per node (grain must render the same pixels every time)."""
    return zlib.crc32(node.id.encode())


def apply_node(image: np.ndarray, node: Node, scale: float) -> np.ndarray:
    """One node on one image: the op's pixel function, blended by the node's opacity."""
    ctx = RenderContext(scale=scale, seed=node_seed(node))
    out = node.spec.apply(image, node.params, node.version, ctx)
    out = np.asarray(out, dtype=np.float32)
    if node.opacity < 1.0:
        if out.shape != image.shape or node.spec.stage == "geometry":  # geometry has no meaningful partial opacity
            return out
        out = image + np.float32(node.opacity) * (out - image)
    return out


def finish(image: np.ndarray) -> np.ndarray:
    """No NaN and nothing outside [0, 1] ever leaves the renderer."""
    return np.clip(np.nan_to_num(image, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)


class Renderer:
    """Renders graphs with a per-node cache, bounded in bytes (least recently used first out)."""

    def __init__(self, cache_bytes: int = 512 * 1024 * 1024):
        self.cache_bytes = cache_bytes
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cached_bytes = 0
        self._lock = threading.Lock()
        self.last_recomputed = 0  # nodes computed (not taken from the cache) by the last render

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()
            self._cached_bytes = 0

    def _get(self, key: str) -> np.ndarray | None:
        with self._lock:
            value = self._cache.get(key)
            if value is not None:
                self._cache.move_to_end(key)
            return value

    def _put(self, key: str, value: np.ndarray) -> None:
        with self._lock:
            if key in self._cache or value.nbytes > self.cache_bytes:
                return
            value.setflags(write=False)
            self._cache[key] = value
            self._cached_bytes += value.nbytes
            while self._cached_bytes > self.cache_bytes:
                _, old = self._cache.popitem(last=False)
                self._cached_bytes -= old.nbytes

    def render(
        self,
        source: np.ndarray,
        source_key: str,
        nodes: Iterable[Node],
        scale: float = 1.0,
        cancelled: Callable[[], bool] | None = None,
        use_cache: bool = True,
    ) -> np.ndarray:
        """Render the active nodes over ``source`` (float32 RGB); returns float32 in [0, 1].

        source_key identifies the source pixels (path + content + size), scale the render scale.
        ``cancelled`` is polled between nodes; when it returns True, RenderCancelled is raised.
        """
        active = [n for n in nodes if n.enabled and n.opacity > 0 and not n.spec.is_identity(n.params)]
        keys = []
        digest = hashlib.sha1(f"{source_key}|{scale!r}".encode())
        for node in active:
            digest.update(repr(node.signature()).encode())
            keys.append(digest.copy().hexdigest())

        start, image = 0, source
        if use_cache:
            for i in range(len(active) - 1, -1, -1):
                hit = self._get(keys[i])
                if hit is not None:
                    start, image = i + 1, hit
                    break
        self.last_recomputed = len(active) - start
        for i in range(start, len(active)):
            if cancelled is not None and cancelled():
                raise RenderCancelled()
            image = apply_node(image, active[i], scale)
            if use_cache:
                self._put(keys[i], image)
        if image is source:
            return source.copy()
        return finish(image)


class LatestWins:
    """Request tokens: a render may go on only while no newer request has been made."""

    def __init__(self):
        self._latest = 0
        self._lock = threading.Lock()

    def new_request(self) -> int:
        with self._lock:
            self._latest += 1
            return self._latest

    def is_stale(self, token: int) -> bool:
        return token != self._latest

    def cancel_all(self) -> None:
        self.new_request()


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Float [0, 1] -> 8-bit, rounding to nearest (so an unedited 8-bit photo comes back bit-identical)."""
    return np.clip(np.rint(finish(image) * 255), 0, 255).astype(np.uint8)


def to_uint16(image: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(finish(image) * 65535), 0, 65535).astype(np.uint16)
