"""Where on the photo an assistant's adjustment acts: the places a person or a model names ("the
sky", "the top", "the dark areas", "the greens") and the mask each one stands for (issue 14).

``AREAS`` is the one list: the built-in assistant reads these places from words, the generic
dialect offers them as its ``area`` argument (tool schema, grammar and validation), and the
session gives a new node the place's mask (``mask_for``). A node's place is read back from its
mask's first component (``area_of``), so a mask the person refined by hand (a brush stroke added)
still belongs to the same place; a mask made by hand from scratch has none.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from ..core.graph import Node
from ..core.masks import model as masks
from ..core.masks.model import Area, ColourRange, Linear, LuminanceRange, Mask, Radial
from ..core.masks.plane import MaskPlane

# place -> (its mask's one component, how a sentence names it: "the sky", "at the top").
_PLACES: dict[str, tuple[masks.Component, str, str]] = {
    **{name: (Area(area=name), "the " + name, "on") for name in masks.AREAS},
    "foreground": (Linear(start=(0.5, 1.0), end=(0.5, 0.6)), "the foreground", "in"),
    "top": (Linear(start=(0.5, 0.0), end=(0.5, 0.5)), "the top", "at"),
    "bottom": (Linear(start=(0.5, 1.0), end=(0.5, 0.5)), "the bottom", "at"),
    "left": (Linear(start=(0.0, 0.5), end=(0.5, 0.5)), "the left", "on"),
    "right": (Linear(start=(1.0, 0.5), end=(0.5, 0.5)), "the right", "on"),
    "edges": (Radial(centre=(0.5, 0.5), radii=(0.6, 0.6), feather=0.7, invert=True), "the edges", "along"),
    "dark_areas": (LuminanceRange(low=0.0, high=0.25, smoothness=0.1), "the dark areas", "in"),
    "bright_areas": (LuminanceRange(low=0.7, high=1.0, smoothness=0.1), "the bright areas", "in"),
    "greens": (ColourRange(hue=105.0, tolerance=40.0), "the greens", "in"),
    "blues": (ColourRange(hue=215.0, tolerance=35.0), "the blues", "in"),
    "reds": (ColourRange(hue=0.0, tolerance=25.0), "the reds", "in"),
}
AREAS: tuple[str, ...] = tuple(_PLACES)
AUTOMATIC = masks.AREAS  # found in the photo: the others are there in every photo (a range may be empty)
LEAST_SHARE = 0.0005  # an area covering less of the photo than this (a 10 px face at 512 px) is not there


def mask_for(area: str) -> Mask:
    """The mask a new node for ``area`` gets (KeyError for an unknown place: callers validate first)."""
    return Mask(components=(_PLACES[area][0],))


def area_of(mask: Mask | None) -> str | None:
    """The place a mask stands for (by its first component), or None (no mask, or one made by hand)."""
    if mask is None or not mask.components or mask.invert:
        return None
    first = mask.components[0]
    return next((name for name, (component, _, _) in _PLACES.items() if component == first), None)


def words(area: str) -> str:
    """'the sky', 'the dark areas'."""
    return _PLACES[area][1]


def on(area: str) -> str:
    """'on the sky', 'at the top', 'in the dark areas', 'along the edges'."""
    return f"{_PLACES[area][2]} {_PLACES[area][1]}"


def mask_words(mask: Mask) -> str:
    """A node's mask in a few words for replies and the model's context: 'on the sky', or for a
    mask made or changed by hand, what it is made of ('masked: brush, minus sky')."""
    area = area_of(mask)
    if area is not None and len(mask.components) == 1 and mask.density == 1.0:
        return on(area)
    return f"masked: {mask.describe()}"


def plane(area: str, source: np.ndarray, nodes: Sequence[Node], size: tuple[int, int]) -> np.ndarray | None:
    """Where ``area`` is on the current render (``size``: its height and width), 0..1: the mask made
    on ``source`` (the photo before edits, as the renderer makes it) and carried through the
    geometry in ``nodes``; None when the photo has no such area (no sky indoors, no dark areas in a
    bright photo)."""
    geometry = [n for n in nodes if n.enabled and n.spec.stage == "geometry"]
    geometry.sort(key=lambda n: n.spec.sort_key)
    weights = MaskPlane.build(mask_for(area), geometry, source, 1.0).pixels
    if weights.shape != size:
        weights = np.asarray(cv2.resize(weights, (size[1], size[0]), interpolation=cv2.INTER_LINEAR), np.float32)
    return weights if float(np.mean(weights >= 0.5)) >= LEAST_SHARE else None


def pixels(image: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The pixels of ``image`` mostly inside an area (weights >= 0.5), as an N x 1 x 3 picture that
    core.stats.measure reads like any other."""
    return np.ascontiguousarray(image[weights >= 0.5][:, None, :])


def on_render(ctx, area: str) -> np.ndarray | None:
    """``plane`` for an assistant turn (session.TurnContext): where ``area`` is on ``ctx.current``."""
    return plane(area, ctx.original, ctx.nodes, ctx.current.shape[:2])


def missing_areas(ctx, areas: Sequence[str | None]) -> list[str]:
    """The places among ``areas`` (None: the whole photo) that this turn's photo does not have."""
    return [a for a in dict.fromkeys(areas) if a is not None and on_render(ctx, a) is None]
