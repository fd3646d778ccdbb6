"""The preview's request tokens (``workers.LatestWins``): a render goes on only while no newer one was asked for."""

from __future__ import annotations

import threading

import pytest

from iea_desktop.core.graph import make_node
from iea_desktop.core.render import RenderCancelled, Renderer, RenderRequest
from iea_desktop.ui.workers import LatestWins


def tone_nodes():
    return [make_node("exposure", {"value": 20}), make_node("sharpness", {"value": 15}),
            make_node("saturation", {"value": 30}), make_node("vignette", {"value": 40})]


def test_latest_wins_tokens(rgb):
    latest = LatestWins()
    old = latest.new_request()
    new = latest.new_request()
    assert latest.is_stale(old) and not latest.is_stale(new)
    with pytest.raises(RenderCancelled):
        Renderer().run(RenderRequest(nodes=tone_nodes(), source=rgb, source_key="src",
                                     cancelled=lambda: latest.is_stale(old)))
    Renderer().run(RenderRequest(nodes=tone_nodes(), source=rgb, source_key="src",
                                 cancelled=lambda: latest.is_stale(new)))
    latest.cancel_all()
    assert latest.is_stale(new)


def test_a_newer_request_supersedes_a_running_render(rgb):
    """A render in a worker thread stops when the GUI makes a newer request mid-render."""
    latest = LatestWins()
    renderer = Renderer()
    started, proceed = threading.Event(), threading.Event()
    results: dict = {}

    def worker(token):
        def cancelled():
            if not started.is_set():
                started.set()
                proceed.wait(5)
            return latest.is_stale(token)

        try:
            results[token] = renderer.run(RenderRequest(nodes=tone_nodes(), source=rgb, source_key="src",
                                                        cancelled=cancelled, cached=False))
        except RenderCancelled:
            results[token] = "cancelled"

    first = latest.new_request()
    thread = threading.Thread(target=worker, args=(first,))
    thread.start()
    assert started.wait(5)
    second = latest.new_request()  # the person moved the slider again
    proceed.set()
    thread.join(5)
    assert results[first] == "cancelled"
    assert not latest.is_stale(second)
