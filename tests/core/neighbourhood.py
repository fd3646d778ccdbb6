"""Checks shared by the tests of the neighbourhood tools (clarity, texture, dehaze, noise reduction):
pictures to try them on, and the agreements every one of them must keep (identity, strips and
whole picture, preview and export, no banding on a ramp)."""

from __future__ import annotations

from contextlib import contextmanager

import cv2
import numpy as np

from iea_desktop.core.finish import to_uint8
from iea_desktop.core.graph import make_node
from iea_desktop.core.ops import REGISTRY, RenderContext
from iea_desktop.core.render import Renderer, RenderRequest, estimates

LUMA = np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)


def textured(height: int, width: int, seed: int = 0) -> np.ndarray:
    """Colour gradients, a few hard-edged shapes and fine texture: something like a photo."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    image = np.stack([0.2 + 0.6 * x / max(width, 1), 0.3 + 0.4 * y / max(height, 1),
                      0.6 - 0.3 * (x + y) / max(width + height, 1)], axis=2)
    for _ in range(6):  # rectangles of one colour
        y0, x0 = rng.integers(0, max(height, 1)), rng.integers(0, max(width, 1))
        image[y0:y0 + height // 4 + 1, x0:x0 + width // 4 + 1] = rng.uniform(0.1, 0.9, 3)
    noise = cv2.GaussianBlur(rng.standard_normal((height, width, 3)).astype(np.float32), (0, 0), 1.5)
    return np.clip(image + 0.05 * noise, 0.0, 1.0).astype(np.float32)


def step_edge(low: float, high: float, height: int = 64, width: int = 400) -> np.ndarray:
    """Grey ``low`` on the left half, ``high`` on the right."""
    image = np.full((height, width, 3), low, dtype=np.float32)
    image[:, width // 2:] = high
    return image


def ramp(width: int = 1024, height: int = 32) -> np.ndarray:
    """A grey ramp from 0 to 1, left to right."""
    return np.repeat(np.repeat(np.linspace(0, 1, width, dtype=np.float32)[None, :, None], height, 0), 3, 2)


def render(image: np.ndarray, op: str, params: dict, scale: float = 1.0, use_cache: bool = True) -> np.ndarray:
    return Renderer().run(RenderRequest(nodes=[make_node(op, params)], source=image, source_key="test", scale=scale,
                                        cached=use_cache))


def check_identity(op: str, photo_u8: np.ndarray) -> None:
    """A node at its defaults leaves an 8-bit photo bit-identical; the pixel function at its defaults
    returns the input (clipped)."""
    source = photo_u8.astype(np.float32) / np.float32(255)
    np.testing.assert_array_equal(to_uint8(render(source, op, {})), photo_u8)
    spec = REGISTRY[op]
    out = spec.apply(source, spec.defaults(), spec.latest_version, RenderContext())
    np.testing.assert_array_equal(out, source)


def check_finite_and_in_range(op: str, params: dict) -> None:
    """Out-of-range input (as upstream tools may leave it), at any scale: finite output in [0, 1]."""
    image = (textured(120, 90) * 1.4 - 0.2).astype(np.float32)
    for scale in (1.0, 0.3, 0.05):
        out = REGISTRY[op].apply(image, REGISTRY[op].validate(params), 1, RenderContext(scale=scale))
        assert np.all(np.isfinite(out)) and out.min() >= 0.0 and out.max() <= 1.0, (op, params, scale)
    for sliver in ((1, 1), (1, 40), (40, 1), (2, 3)):  # a crop down to a row, a column, a pixel
        out = render(textured(*sliver), op, params, scale=0.5)
        assert out.shape[:2] == sliver and np.all(np.isfinite(out))


@contextmanager
def calls(op: str):
    """The RenderContext of every call of ``op``'s pixel function while inside."""
    spec, seen = REGISTRY[op], []
    original = spec.versions[1]
    spec.versions[1] = lambda image, params, ctx: seen.append(ctx) or original(image, params, ctx)
    try:
        yield seen
    finally:
        spec.versions[1] = original


def check_strips_match_whole(op: str, params: dict, height: int = 1200, width: int = 400) -> None:
    """Rendered in strips (the renderer's, with and without the cache) = the pixel function on the
    whole picture with the same whole-picture estimate."""
    image = textured(height, width, seed=3)
    spec = REGISTRY[op]
    for scale in (1.0, 0.5):
        node = make_node(op, params)
        estimate = estimates([node], 0, image, scale).get(0)
        whole = spec.apply(image, node.params, node.version, RenderContext(scale=scale, estimate=estimate))
        for use_cache in (True, False):
            with calls(op) as seen:
                strips = render(image, op, params, scale, use_cache)
            assert len({ctx.origin for ctx in seen}) > 2, "not rendered in strips"
            np.testing.assert_allclose(strips, whole, atol=2e-6, err_msg=f"{op} {params} scale {scale}")


def check_preview_matches_export(op: str, params: dict, tolerance: float = 0.1) -> None:
    """The preview (half the pixels, render scale 0.5) shows what the export (scale 1) shows, seen at
    the preview's size: their difference is a small share of what the tool changes."""
    image = textured(512, 768)
    half = cv2.resize(image, (384, 256), interpolation=cv2.INTER_AREA)
    export = cv2.resize(render(image, op, params, 1.0, use_cache=False), (384, 256), interpolation=cv2.INTER_AREA)
    preview = render(half, op, params, 0.5)
    effect = float(np.abs(preview - half).mean())
    assert effect > 0.003, f"{op} {params} changes almost nothing: {effect}"
    assert float(np.abs(export - preview).mean()) <= tolerance * effect


def check_no_banding(op: str, params: dict, most: int = 2) -> None:
    """On a grey ramp the result stays a ramp: never decreasing, no jump of more than ``most``
    8-bit levels between neighbours (the ramp itself steps by 0.25)."""
    out = to_uint8(render(ramp(), op, params)).astype(int)
    steps = np.diff(out, axis=1)
    assert steps.min() >= 0, f"{op} {params}: the ramp goes down somewhere"
    assert steps.max() <= most, f"{op} {params}: jumps of {steps.max()} levels"


def luma(image: np.ndarray) -> np.ndarray:
    return image @ LUMA


def check_drag_reuses_what_the_value_does_not_change(op: str, values: tuple[int, int]) -> None:
    """A slider drag (cached renders, the node's input kept read-only by the renderer): the second
    move computes no guided filter (filters.Memo) and gives the same pixels as a render from
    scratch."""
    from iea_desktop.core import filters

    image = textured(600, 300)
    exposure, node = make_node("exposure", {"value": 10}), make_node(op, {"value": values[0]})
    renderer = Renderer()
    renderer.run(RenderRequest(nodes=[exposure, node], source=image, source_key="drag"))
    node.params = {"value": values[0] + 1}  # the drag starts: the exposure's output is kept read-only
    renderer.run(RenderRequest(nodes=[exposure, node], source=image, source_key="drag"))
    node.params = {"value": values[1]}
    original, made = filters._coefficients, []  # the guided filter's, at full resolution or on its grid
    filters._coefficients = lambda *args, **kwargs: made.append(1) or original(*args, **kwargs)
    try:
        dragged = renderer.run(RenderRequest(nodes=[exposure, node], source=image, source_key="drag"))
    finally:
        filters._coefficients = original
    assert not made
    np.testing.assert_array_equal(dragged, Renderer().run(RenderRequest(nodes=[exposure, node], source=image,
                                                                        source_key="fresh")))
