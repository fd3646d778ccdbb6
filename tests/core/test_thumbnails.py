"""Library thumbnails: decoded small, cached by file identity, invalidated by changes, edited look."""

from __future__ import annotations

import os

import numpy as np
import pytest

from iea_desktop.core import thumbnails
from iea_desktop.core.document import Document
from iea_desktop.core.graph import make_node
from iea_desktop.core.history import AddNode
from iea_desktop.core.image_io import ImageLoadError
from iea_desktop.core.thumbnails import ThumbnailCache


@pytest.fixture
def cache(tmp_path) -> ThumbnailCache:
    return ThumbnailCache(tmp_path / "cache", edge=64)


@pytest.fixture
def jpeg(make_photo):
    return make_photo("shots/a.jpg", height=300, width=400, quality=92)


def test_thumbnail_is_small_oriented_and_then_cached(cache, jpeg):
    first = cache.thumbnail(jpeg)
    assert first.pixels.dtype == np.uint8 and first.pixels.shape == (48, 64, 3)
    assert not first.cached and not first.edited
    again = cache.thumbnail(jpeg)
    assert again.cached
    assert np.abs(again.pixels.astype(int) - first.pixels.astype(int)).mean() < 6  # a JPEG of a noisy test picture
    assert ThumbnailCache(cache.folder, edge=64).thumbnail(jpeg).cached  # on disk, for the next run too


def test_a_copy_of_the_file_elsewhere_is_the_same_entry(cache, jpeg, tmp_path):
    cache.thumbnail(jpeg)
    copy = tmp_path / "elsewhere" / "b.jpg"
    copy.parent.mkdir()
    copy.write_bytes(jpeg.read_bytes())
    os.utime(copy, ns=(jpeg.stat().st_atime_ns, jpeg.stat().st_mtime_ns))
    assert cache.thumbnail(copy).cached


def test_changed_size_makes_a_new_thumbnail(cache, jpeg, make_photo):
    cache.thumbnail(jpeg)
    make_photo("shots/a.jpg", height=300, width=400, seed=5, quality=60)  # another picture, other size
    fresh = cache.thumbnail(jpeg)
    assert not fresh.cached


def test_changed_mtime_alone_makes_a_new_thumbnail(cache, jpeg):
    cache.thumbnail(jpeg)
    status = jpeg.stat()
    os.utime(jpeg, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000_000))
    assert not cache.thumbnail(jpeg).cached


def test_changed_head_with_the_same_size_and_mtime_makes_a_new_thumbnail(cache, make_photo):
    """A file rewritten in place and its time set back: only the hash of its head tells (an
    uncompressed BMP: another picture of the same size is a file of the same size)."""
    bmp = make_photo("shots/a.bmp", height=96, width=128, seed=1)
    before = cache.thumbnail(bmp).pixels
    status = bmp.stat()
    make_photo("shots/a.bmp", height=96, width=128, seed=2, array=255 - np.asarray(before).repeat(2, 0).repeat(2, 1))
    os.utime(bmp, ns=(status.st_atime_ns, status.st_mtime_ns))
    assert bmp.stat().st_size == status.st_size and bmp.stat().st_mtime_ns == status.st_mtime_ns
    after = cache.thumbnail(bmp)
    assert not after.cached
    assert np.abs(after.pixels.astype(int) - before.astype(int)).mean() > 50


def test_edited_look_differs_and_follows_the_project(cache, jpeg):
    plain = cache.thumbnail(jpeg)
    doc = Document.open(jpeg)
    doc.apply(AddNode(make_node("exposure", {"value": 80})))
    doc.save()
    edited = cache.thumbnail(jpeg)
    assert edited.edited and not edited.cached
    assert edited.pixels.shape == plain.pixels.shape
    assert edited.pixels.mean() > plain.pixels.mean() + 20  # brighter, as the edit
    assert cache.thumbnail(jpeg).cached

    doc.apply(AddNode(make_node("exposure", {"value": -100})))
    doc.save()
    darker = cache.thumbnail(jpeg)  # the project changed: rendered again
    assert not darker.cached and darker.pixels.mean() < edited.pixels.mean() - 20


def test_edited_geometry_shows(cache, jpeg):
    doc = Document.open(jpeg)
    doc.apply(AddNode(make_node("rotate", {"turns": 1})))
    doc.save()
    assert cache.thumbnail(jpeg).pixels.shape == (64, 48, 3)


def test_a_project_with_only_marks_or_damaged_shows_the_photo_as_it_is(cache, jpeg):
    cache.thumbnail(jpeg)
    plain = cache.thumbnail(jpeg).pixels  # as the cache keeps it
    sidecar = jpeg.with_name(jpeg.name + ".iea.json")
    sidecar.write_text('{"schema_version": 1, "graph": [], "rating": 4}')
    marked = cache.thumbnail(jpeg)
    assert not marked.edited and np.array_equal(marked.pixels, plain)
    sidecar.write_text("{ damaged")
    damaged = cache.thumbnail(jpeg)
    assert not damaged.edited and np.array_equal(damaged.pixels, plain)


def test_corrupt_photo_is_a_clear_error(cache, tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 this is not really a JPEG" * 10)
    with pytest.raises(ImageLoadError) as error:
        cache.thumbnail(bad)
    assert "bad.jpg" in str(error.value) and "\n" not in str(error.value)
    folder = tmp_path / "folder.jpg"
    folder.mkdir()
    with pytest.raises(ImageLoadError, match="folder"):
        cache.thumbnail(folder)
    with pytest.raises(ImageLoadError, match="missing.jpg"):
        cache.thumbnail(tmp_path / "missing.jpg")


def test_truncated_jpeg_is_a_clear_error(cache, jpeg):
    jpeg.write_bytes(jpeg.read_bytes()[: jpeg.stat().st_size // 2])
    with pytest.raises(ImageLoadError, match="truncated|damaged"):
        cache.thumbnail(jpeg)


def test_damaged_cache_entry_is_made_again(cache, jpeg):
    first = cache.thumbnail(jpeg)
    entries = list(cache.folder.rglob("*.jpg"))
    assert len(entries) == 1
    entries[0].write_bytes(b"garbage")
    again = cache.thumbnail(jpeg)
    assert not again.cached and np.array_equal(again.pixels, first.pixels)


def test_read_only_cache_still_gives_thumbnails(tmp_path, jpeg):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be")
    cache = ThumbnailCache(blocker / "cache", edge=64)
    assert cache.thumbnail(jpeg).pixels.shape == (48, 64, 3)


def test_cache_stays_within_its_size(tmp_path, make_photo):
    photos = [make_photo(f"many/{i}.png", height=120, width=160, seed=i) for i in range(12)]
    one = ThumbnailCache(tmp_path / "probe", edge=128)
    one.thumbnail(photos[0])
    entry_size = next(one.folder.rglob("*.jpg")).stat().st_size
    cache = ThumbnailCache(tmp_path / "cache", edge=128, max_bytes=entry_size * 5)
    for photo in photos:
        cache.thumbnail(photo)
    total = sum(p.stat().st_size for p in cache.folder.rglob("*.jpg"))
    assert total <= entry_size * 5 * 1.2
    assert cache.thumbnail(photos[-1]).cached  # the newest stay
    assert not cache.thumbnail(photos[0]).cached  # the oldest went


def test_cache_lives_in_the_users_cache_folder(iea_home, jpeg):
    cache = ThumbnailCache(edge=64)
    cache.thumbnail(jpeg)
    assert list((iea_home / "cache" / "thumbnails").rglob("*.jpg"))


def test_identity_is_size_mtime_and_head(tmp_path):
    """Only the first 64 KB are read: a big photo costs no more to look up than a small one."""
    a, b = tmp_path / "a.jpg", tmp_path / "b.jpg"
    a.write_bytes(bytes(thumbnails.HEAD_BYTES) + b"tail")
    b.write_bytes(bytes(thumbnails.HEAD_BYTES) + b"TAIL")
    for path in (a, b):
        os.utime(path, ns=(0, 0))
    assert thumbnails.identity(a) == thumbnails.identity(b)
    b.write_bytes(b"x" + bytes(thumbnails.HEAD_BYTES - 1) + b"TAIL")
    os.utime(b, ns=(0, 0))
    assert thumbnails.identity(a) != thumbnails.identity(b)


def test_raw_thumbnail_and_its_edited_look(cache, tmp_path):
    """A camera RAW without an embedded preview: developed small (LibRaw's half size), then edited."""
    from dng import dng_bytes

    rng = np.random.default_rng(3)
    cfa = (256 + rng.random((192, 256)) * 2000).astype(np.uint16)
    raw = tmp_path / "camera.dng"
    raw.write_bytes(dng_bytes(cfa))
    plain = cache.thumbnail(raw)
    assert plain.pixels.shape == (48, 64, 3) and not plain.edited
    doc = Document.open(raw)
    doc.apply(AddNode(make_node("exposure", {"value": 60})))
    doc.save()
    edited = cache.thumbnail(raw)
    assert edited.edited and edited.pixels.mean() > plain.pixels.mean() + 10
