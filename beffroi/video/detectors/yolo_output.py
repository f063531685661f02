"""Decoding the raw output of a YOLO-style detection model into detections in pixels of the original image.

Two layouts are read, told apart by shape: YOLOv8 and later, (1, 4 + classes, N) with rows cx, cy, w, h and one
score per class; YOLOv5, (1, N, 5 + classes) with columns cx, cy, w, h, objectness and one score per class (the
score is objectness × class score). Each candidate keeps its best class; those below `min_score` or of a class not
named in `classes` are dropped, the rest go through class-aware non-maximum suppression.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from beffroi.video.detections import Box, Detection
from beffroi.video.detectors.letterbox import BoxArray, Letterbox

Layout = Literal["auto", "v8", "v5"]
FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

MAX_CANDIDATES = 4096
"""Candidates kept (best scores first) before suppression: bounds its cost on a noisy output."""
MAX_DETECTIONS = 300


@dataclass(frozen=True, slots=True)
class Candidates:
    """Boxes (N × 4, x1 y1 x2 y2), their scores and class indices."""

    boxes: BoxArray
    scores: FloatArray
    class_ids: IntArray

    def take(self, keep: npt.NDArray[np.intp] | npt.NDArray[np.bool_]) -> Candidates:
        """The candidates at `keep` (indices or mask)."""
        return Candidates(self.boxes[keep], self.scores[keep], self.class_ids[keep])


def detect_layout(shape: tuple[int, ...]) -> Literal["v8", "v5"]:
    """ "v8" when the output is (1, channels, N) with fewer channels than candidates, else "v5"."""
    if len(shape) != 3 or shape[0] != 1:
        raise ValueError(f"a YOLO output is (1, A, B), got {shape}")
    return "v8" if shape[1] < shape[2] else "v5"


def read_candidates(
    output: npt.NDArray[np.floating], classes: dict[int, str], min_score: float, layout: Layout = "auto"
) -> Candidates:
    """The candidates of a raw output whose best class is named in `classes` and scores at least `min_score`,
    boxes in model-input pixels."""
    chosen = detect_layout(output.shape) if layout == "auto" else layout
    table = output[0].T if chosen == "v8" else output[0]
    first_score = 4 if chosen == "v8" else 5
    if table.shape[1] <= first_score:
        raise ValueError(f"a YOLO{chosen} output needs over {first_score} values per candidate, got {output.shape}")
    class_scores = table[:, first_score:]
    class_ids = np.argmax(class_scores, axis=1)
    scores = class_scores[np.arange(len(table)), class_ids]
    if chosen == "v5":
        scores = scores * table[:, 4]
    wanted = np.array(sorted(classes), dtype=np.int64)
    keep = (scores >= min_score) & np.isin(class_ids, wanted)
    table, scores, class_ids = table[keep], scores[keep], class_ids[keep]
    if len(scores) > MAX_CANDIDATES:
        best = np.argpartition(-scores, MAX_CANDIDATES)[:MAX_CANDIDATES]
        table, scores, class_ids = table[best], scores[best], class_ids[best]
    half = table[:, 2:4] / 2
    boxes = np.concatenate([table[:, :2] - half, table[:, :2] + half], axis=1).astype(np.float32)
    return Candidates(boxes, scores.astype(np.float32), class_ids.astype(np.int64))


def suppress(candidates: Candidates, iou: float, max_detections: int = MAX_DETECTIONS) -> Candidates:
    """Class-aware non-maximum suppression: of boxes of one class overlapping by more than `iou`, the best-scored
    is kept; boxes of different classes never suppress each other. Best scores first."""
    if len(candidates.scores) == 0:
        return candidates
    boxes = candidates.boxes.astype(np.float64)
    # Shift each class far from the others so one pass never compares boxes of different classes.
    span = float(np.max(np.abs(boxes))) * 2 + 1
    boxes = boxes + (candidates.class_ids.astype(np.float64) * span)[:, None]
    areas = np.clip(boxes[:, 2] - boxes[:, 0], 0, None) * np.clip(boxes[:, 3] - boxes[:, 1], 0, None)
    order = np.argsort(-candidates.scores, kind="stable")
    kept: list[int] = []
    while order.size and len(kept) < max_detections:
        best, rest = order[0], order[1:]
        kept.append(int(best))
        width = np.minimum(boxes[best, 2], boxes[rest, 2]) - np.maximum(boxes[best, 0], boxes[rest, 0])
        height = np.minimum(boxes[best, 3], boxes[rest, 3]) - np.maximum(boxes[best, 1], boxes[rest, 1])
        inter = np.clip(width, 0, None) * np.clip(height, 0, None)
        union = areas[best] + areas[rest] - inter
        overlap = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
        order = rest[overlap <= iou]
    return candidates.take(np.array(kept, dtype=np.intp))


def clip_to_image(candidates: Candidates, width: int, height: int) -> Candidates:
    """Boxes clipped to the image; those left with no area are dropped."""
    boxes = candidates.boxes.copy()
    boxes[:, [0, 2]] = np.clip(boxes[:, [0, 2]], 0, width)
    boxes[:, [1, 3]] = np.clip(boxes[:, [1, 3]], 0, height)
    keep = (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    return Candidates(boxes, candidates.scores, candidates.class_ids).take(keep)


def to_detections(candidates: Candidates, classes: dict[int, str], low_confidence: bool = False) -> list[Detection]:
    """One Detection per candidate, labelled through `classes`."""
    return [
        Detection(Box(float(b[0]), float(b[1]), float(b[2]), float(b[3])), float(s), classes[int(c)], low_confidence)
        for b, s, c in zip(candidates.boxes, candidates.scores, candidates.class_ids, strict=True)
    ]


def decode(
    output: npt.NDArray[np.floating],
    placement: Letterbox,
    classes: dict[int, str],
    min_score: float,
    iou: float = 0.45,
    layout: Layout = "auto",
) -> Candidates:
    """The detections of a raw output, in pixels of the image `placement` letterboxed: filtered, mapped back,
    clipped to the image and suppressed."""
    candidates = read_candidates(output, classes, min_score, layout)
    mapped = Candidates(placement.to_image(candidates.boxes), candidates.scores, candidates.class_ids)
    return suppress(clip_to_image(mapped, placement.width, placement.height), iou)


def decode_detections(
    output: npt.NDArray[np.floating],
    placement: Letterbox,
    classes: dict[int, str],
    min_score: float,
    iou: float = 0.45,
    layout: Layout = "auto",
) -> list[Detection]:
    """`decode`, as Detections labelled through `classes`."""
    return to_detections(decode(output, placement, classes, min_score, iou, layout), classes)
