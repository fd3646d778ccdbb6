"""The model catalogue and its downloads, without the network: a stand-in for Hugging Face on
127.0.0.1 serves generated files (with HTTP ranges), and the catalogue points at it.

Covered: a verified download, resume of a partial file, a complete ``.part`` finished without
asking the server again (it used to read as "offline" forever), a server that ignores ranges, a
connection that drops, a checksum mismatch (the file is deleted), trust on first use for files
without a catalogue hash, the disk-space check, cancel and resume, offline, and the CLI.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from iea_desktop import cli
from iea_desktop.agent import models
from iea_desktop.agent.errors import ModelFileError

REVISION = "0123456789abcdef0123456789abcdef01234567"
REPO = "test/Tiny-GGUF"


class Hub:
    """huggingface.co's file serving, in miniature: files by path, Range requests answered with 206
    (or ignored, or 416 past the end), and a transfer that can be cut short or held halfway.
    Records every request's path and Range header."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.requests: list[tuple[str, str | None]] = []
        self.ignore_range = False
        self.cut_after: int | None = None  # the next transfer stops after this many bytes
        self.hold_after: int | None = None  # transfers wait here until ``release`` is set
        self.release = threading.Event()
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                wanted = self.headers.get("Range")
                hub.requests.append((self.path, wanted))
                data = hub.files.get(self.path)
                if data is None:
                    self.send_error(404)
                    return
                start = 0
                if wanted and not hub.ignore_range:
                    start = int(re.fullmatch(r"bytes=(\d+)-", wanted).group(1))
                    if start >= len(data):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(data)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if hub.cut_after is not None:
                    body, hub.cut_after = body[:hub.cut_after], None
                    self.close_connection = True
                if hub.hold_after is not None:
                    self.wfile.write(body[:hub.hold_after])
                    self.wfile.flush()
                    hub.release.wait(30)
                    body = body[hub.hold_after:]
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()

    def path(self, name: str) -> str:
        return f"/{REPO}/resolve/{REVISION}/{name}"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def payload(size: int, seed: int) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8).tobytes()


@pytest.fixture
def hub(monkeypatch):
    server = Hub()
    monkeypatch.setattr(models, "HUB", server.url)
    yield server
    server.close()


def serve_tiny(hub: Hub, tmp_path: Path, monkeypatch) -> dict[str, bytes]:
    """A catalogue with one entry, "tiny", whose two files the hub serves. Returns {role: bytes}."""
    data = {"model": payload(200_000, 1), "mmproj": payload(70_000, 2)}
    names = {"model": "Tiny-Q8_0.gguf", "mmproj": "mmproj-Tiny-Q8_0.gguf"}
    write_catalog(tmp_path, monkeypatch, {role: {"name": names[role], "size": len(data[role]),
                                                 "sha256": hashlib.sha256(data[role]).hexdigest()} for role in data})
    for role, content in data.items():
        hub.files[hub.path(names[role])] = content
    monkeypatch.setattr(models, "HUB", hub.url)
    monkeypatch.setattr(models, "CHUNK", 16_384)  # several chunks per file, so cancel has somewhere to land
    return data


@pytest.fixture
def tiny(hub, tmp_path, monkeypatch):
    return serve_tiny(hub, tmp_path, monkeypatch)


def write_catalog(tmp_path: Path, monkeypatch, files: dict) -> None:
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps({"schema_version": 2, "models": [{
        "name": "tiny", "title": "Tiny VLM (Q8_0)", "use": "tests", "dialect": "generic", "licence": "MIT",
        "repo": REPO, "revision": REVISION, "files": files}]}), encoding="utf-8")
    monkeypatch.setattr(models, "CATALOG", catalog)


def target(role: str) -> Path:
    return models.downloads_dir() / models.catalog_entry("tiny")["files"][role]["name"]


def part(role: str) -> Path:
    return target(role).with_name(target(role).name + ".part")


def test_download_verifies_both_files_and_renames_them(hub, tiny):
    seen = []
    paths = models.download_model("tiny", lambda name, done, total: seen.append((name, done, total)))
    assert paths == [target("model"), target("mmproj")]
    assert target("model").read_bytes() == tiny["model"] and target("mmproj").read_bytes() == tiny["mmproj"]
    assert not part("model").exists() and not part("mmproj").exists()
    assert ("Tiny-Q8_0.gguf", len(tiny["model"]), len(tiny["model"])) in seen
    assert [r for r, _ in hub.requests] == [hub.path("Tiny-Q8_0.gguf"), hub.path("mmproj-Tiny-Q8_0.gguf")]
    assert models.download_model("tiny") == paths  # installed: nothing fetched again
    assert len(hub.requests) == 2


def test_a_complete_part_file_is_verified_and_finished_without_the_server(hub, tiny):
    """A crash between the last byte and the rename left a whole .part: it used to ask the server
    for the bytes after its end, get 416, and report "offline" on every retry."""
    part("model").parent.mkdir(parents=True)
    part("model").write_bytes(tiny["model"])
    models.download_model("tiny")
    assert target("model").read_bytes() == tiny["model"]
    assert hub.path("Tiny-Q8_0.gguf") not in [r for r, _ in hub.requests]


def test_a_partial_file_resumes_with_a_range_request(hub, tiny):
    part("model").parent.mkdir(parents=True)
    part("model").write_bytes(tiny["model"][:50_000])
    models.download_model("tiny")
    assert (hub.path("Tiny-Q8_0.gguf"), "bytes=50000-") in hub.requests
    assert target("model").read_bytes() == tiny["model"]


def test_a_server_that_ignores_the_range_starts_over(hub, tiny):
    hub.ignore_range = True
    part("model").parent.mkdir(parents=True)
    part("model").write_bytes(tiny["model"][:50_000])
    models.download_model("tiny")
    assert target("model").read_bytes() == tiny["model"]


def test_a_part_longer_than_the_file_starts_over(hub, tiny):
    part("model").parent.mkdir(parents=True)
    part("model").write_bytes(tiny["model"] + b"junk")
    models.download_model("tiny")
    assert (hub.path("Tiny-Q8_0.gguf"), None) in hub.requests
    assert target("model").read_bytes() == tiny["model"]


def test_a_dropped_connection_keeps_the_part_and_resumes_next_time(hub, tiny):
    hub.cut_after = 30_000
    with pytest.raises(ModelFileError, match=r"Tiny-Q8_0.gguf: the download stopped at .* resumes next time"):
        models.download_model("tiny")
    assert 0 < part("model").stat().st_size < len(tiny["model"]) and not target("model").exists()
    models.download_model("tiny")
    assert hub.requests[-2][1] is not None and hub.requests[-2][1].startswith("bytes=")  # resumed
    assert target("model").read_bytes() == tiny["model"]


def test_a_checksum_mismatch_deletes_the_file(hub, tiny):
    hub.files[hub.path("mmproj-Tiny-Q8_0.gguf")] = payload(len(tiny["mmproj"]), 99)  # same size, other bytes
    with pytest.raises(ModelFileError, match=r"mmproj-Tiny-Q8_0.gguf is damaged: its SHA-256 is [0-9a-f]{64}, "
                                             r"expected [0-9a-f]{64}; the file was deleted"):
        models.download_model("tiny")
    assert not part("mmproj").exists() and not target("mmproj").exists()
    assert target("model").exists()  # the good file stays


def test_files_without_a_hash_are_trusted_on_first_download_then_verified(hub, tmp_path, monkeypatch):
    data = payload(40_000, 5)
    mmproj = payload(10_000, 6)
    write_catalog(tmp_path, monkeypatch, {"model": {"name": "Tiny-Q8_0.gguf", "size": len(data), "sha256": None},
                                          "mmproj": {"name": "mmproj-Tiny-Q8_0.gguf", "size": len(mmproj), "sha256": None}})
    hub.files[hub.path("Tiny-Q8_0.gguf")] = data
    hub.files[hub.path("mmproj-Tiny-Q8_0.gguf")] = mmproj
    models.download_model("tiny")
    recorded = models.recorded_hashes()
    url = models.catalog_entry("tiny")["files"]["model"]["url"]
    assert recorded[url] == hashlib.sha256(data).hexdigest()
    assert json.loads((models.downloads_dir() / "hashes.json").read_text())[url] == recorded[url]

    target("model").unlink()  # downloaded again later, when the server's file has changed
    hub.files[hub.path("Tiny-Q8_0.gguf")] = payload(len(data), 7)
    with pytest.raises(ModelFileError, match="Tiny-Q8_0.gguf is damaged"):
        models.download_model("tiny")
    assert not target("model").exists() and not part("model").exists()


def test_not_enough_disk_space_is_refused_before_anything_is_fetched(hub, tiny, monkeypatch):
    real = models.shutil.disk_usage

    def small_disk(path):
        return real(path)._replace(free=models.DISK_MARGIN + 100_000)

    monkeypatch.setattr(models.shutil, "disk_usage", small_disk)
    with pytest.raises(ModelFileError, match=r"not enough disk space: the download needs .* and .* has .* free"):
        models.download_model("tiny")
    assert hub.requests == []
    part("model").write_bytes(tiny["model"][:190_000])  # most of it is already here: the rest fits
    models.download_model("tiny")
    assert target("mmproj").exists()


def test_cancel_keeps_the_part_and_a_later_download_resumes_it(hub, tiny):
    cancel = threading.Event()

    def progress(name, done, total):
        if done >= 64_000:
            cancel.set()

    with pytest.raises(models.DownloadCancelled, match="cancelled; it resumes where it stopped"):
        models.download_model("tiny", progress, cancel)
    kept = part("model").stat().st_size
    assert 64_000 <= kept < len(tiny["model"])
    models.download_model("tiny")
    assert (hub.path("Tiny-Q8_0.gguf"), f"bytes={kept}-") in hub.requests
    assert target("model").read_bytes() == tiny["model"]


def test_offline_says_so_with_the_manual_steps(hub, tiny):
    hub.close()
    with pytest.raises(ModelFileError, match=r"cannot download Tiny-Q8_0.gguf .*You may be offline") as caught:
        models.download_model("tiny")
    assert "Download these files by hand" in str(caught.value)


def test_a_missing_file_names_the_server_answer(hub, tiny):
    del hub.files[hub.path("Tiny-Q8_0.gguf")]
    with pytest.raises(ModelFileError, match="cannot download Tiny-Q8_0.gguf: the server answered 404"):
        models.download_model("tiny")


def test_cli_downloads_and_lists(hub, tiny, capsys):
    assert cli.main(["models", "list"]) == 0
    assert re.search(r"tiny +270 kB .*not installed", capsys.readouterr().out)
    assert cli.main(["models", "download", "tiny"]) == 0
    captured = capsys.readouterr()
    assert f"ready: {target('model')}" in captured.out and f"ready: {target('mmproj')}" in captured.out
    assert "100.0%" in captured.err or "checking SHA-256" in captured.err
    assert cli.main(["models", "list"]) == 0
    assert re.search(r"tiny +270 kB .* installed", capsys.readouterr().out)


def test_cli_reports_a_bad_download_in_one_line(hub, tiny, capsys):
    hub.files[hub.path("Tiny-Q8_0.gguf")] = payload(len(tiny["model"]), 42)
    assert cli.main(["models", "download", "tiny"]) == cli.EXIT_ERROR
    err = capsys.readouterr().err
    assert "iea-desktop: error: Tiny-Q8_0.gguf is damaged" in err and "Traceback" not in err


def test_memory_fit(tiny, monkeypatch):
    entry = models.catalog_entry("tiny")
    assert models.memory_needed(entry) == 270_000 + models.MEMORY_MARGIN
    monkeypatch.setattr(models, "total_memory", lambda: models.MEMORY_MARGIN + 269_999)
    assert models.fits_memory(entry) is False
    monkeypatch.setattr(models, "total_memory", lambda: models.MEMORY_MARGIN + 270_000)
    assert models.fits_memory(entry) is True
    monkeypatch.setattr(models, "total_memory", lambda: None)
    assert models.fits_memory(entry) is None


def test_this_machine_reports_its_memory():
    total = models.total_memory()
    assert total is None or total > 100_000_000


def test_a_catalogue_model_pairs_with_its_own_projector(tmp_path):
    """Every projector's name starts "mmproj-", so the name-prefix rule alone pairs SmolVLM with
    whichever projector sorts first once two catalogue models share the downloads folder."""
    entry = models.catalog_entry("smolvlm-500m")
    for name in ("SmolVLM-500M-Instruct-Q8_0.gguf", "mmproj-Qwen2.5-VL-3B-Instruct-Q8_0.gguf",
                 "mmproj-SmolVLM-500M-Instruct-Q8_0.gguf"):
        (tmp_path / name).write_bytes(b"")
    model = tmp_path / "SmolVLM-500M-Instruct-Q8_0.gguf"
    assert models.paired_mmproj(model, entry) == tmp_path / "mmproj-SmolVLM-500M-Instruct-Q8_0.gguf"
    assert models.paired_mmproj(model, None) is not None  # other models: the prefix rule, as before


def test_the_catalogue_pins_revisions_sizes_and_hashes():
    entries = models.load_catalog()
    assert {e["name"] for e in entries} >= {"smolvlm-500m", "qwen2.5-vl-3b", "gemma-3-4b", "qwen2.5-vl-7b", "iea-7b"}
    for entry in entries:
        for role in models.ROLES:
            f = entry["files"][role]
            assert isinstance(f["size"], int) and f["size"] > 1_000_000, (entry["name"], role)
            if entry["repo"] is None:
                assert f["url"] is None
                continue
            assert re.fullmatch(r"[0-9a-f]{40}", entry["revision"]), entry["name"]
            assert f["url"].startswith(f"https://huggingface.co/{entry['repo']}/resolve/{entry['revision']}/")
            assert "/resolve/main/" not in f["url"]
            assert f["sha256"] is None or re.fullmatch(r"[0-9a-f]{64}", f["sha256"]), (entry["name"], role)
        assert "mmproj" in entry["files"]["mmproj"]["name"].lower()
