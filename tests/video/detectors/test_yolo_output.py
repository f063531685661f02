"""Decoding YOLO outputs written by hand: scores, classes, suppression, letterbox undone, clipping."""

from __future__ import annotations

import numpy as np
import pytest

from beffroi.video.detections import Box
from beffroi.video.detectors.letterbox import Letterbox
from beffroi.video.detectors.yolo_output import (
    Candidates,
    decode_detections,
    detect_layout,
    read_candidates,
    suppress,
)
from tests.video.detectors.tiny_models import v8_output

SQUARE = Letterbox.fit(640, 640, 640)
CLASSES = {0: "person", 1: "bag"}


def test_layouts_are_told_by_shape() -> None:
    assert detect_layout((1, 84, 8400)) == "v8"
    assert detect_layout((1, 25200, 85)) == "v5"
    with pytest.raises(ValueError, match="YOLO output"):
        detect_layout((84, 8400))


def test_v8_overlaps_of_one_class_are_suppressed_other_classes_kept_unknown_and_weak_dropped() -> None:
    output = v8_output(
        [
            (100, 100, 40, 80, 0, 0.9),  # kept
            (104, 102, 40, 80, 0, 0.8),  # same person, lower score: suppressed
            (100, 100, 40, 80, 1, 0.7),  # same place, another class: kept
            (300, 300, 40, 80, 2, 0.95),  # a class not asked for: dropped
            (500, 500, 40, 80, 0, 0.2),  # under min_score: dropped
            (400, 100, 20, 20, 0, 0.6),  # elsewhere: kept
        ],
        classes=3,
        n=16,
    )
    found = decode_detections(output, SQUARE, CLASSES, min_score=0.5, iou=0.45)
    assert [(d.label, d.score, d.box) for d in found] == [
        ("person", pytest.approx(0.9), Box(80, 60, 120, 140)),
        ("bag", pytest.approx(0.7), Box(80, 60, 120, 140)),
        ("person", pytest.approx(0.6), Box(390, 90, 410, 110)),
    ]
    assert not any(d.low_confidence for d in found)


def test_the_iou_threshold_decides_between_two_overlapping_boxes() -> None:
    # two 100 × 100 boxes shifted by 100/3: IoU = (2/3) / (4/3) = 0.5
    output = v8_output([(100, 100, 100, 100, 0, 0.9), (100 + 100 / 3, 100, 100, 100, 0, 0.8)], classes=1, n=8)
    assert len(decode_detections(output, SQUARE, {0: "person"}, 0.5, iou=0.45)) == 1
    assert len(decode_detections(output, SQUARE, {0: "person"}, 0.5, iou=0.55)) == 2


def test_v5_scores_are_objectness_times_class_score() -> None:
    output = np.zeros((1, 12, 7), dtype=np.float32)
    output[0, 0] = (100, 100, 40, 80, 0.9, 0.5, 0.1)  # 0.45 for class 0: kept
    output[0, 1] = (300, 300, 40, 80, 0.5, 0.7, 0.0)  # 0.35: dropped
    output[0, 2] = (500, 300, 40, 80, 1.0, 0.1, 0.8)  # class 1 at 0.8
    found = decode_detections(output, SQUARE, CLASSES, min_score=0.4)
    assert [(d.label, round(d.score, 3), d.box) for d in found] == [
        ("bag", 0.8, Box(480, 260, 520, 340)),
        ("person", 0.45, Box(80, 60, 120, 140)),
    ]


def test_the_letterbox_is_undone_and_boxes_clipped_to_the_image() -> None:
    placement = Letterbox.fit(1280, 720, 640)  # scale 0.5, 140 px of padding above
    output = v8_output(
        [
            (320, 320, 40, 80, 0, 0.9),  # input (300, 280, 340, 360) -> image (600, 280, 680, 440)
            (20, 150, 60, 40, 0, 0.8),  # input (-10, 130, 50, 170): clipped at the image's left and top
            (320, 600, 40, 40, 0, 0.8),  # wholly in the padding under the image: nothing left
        ],
        classes=1,
        n=8,
    )
    found = decode_detections(output, placement, {0: "person"}, 0.5)
    assert [d.box for d in found] == [Box(600, 280, 680, 440), Box(0, 0, 100, 60)]


def test_suppression_keeps_the_best_of_each_cluster_per_class() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [0, 0, 10, 10], [50, 50, 60, 60]], dtype=np.float32)
    candidates = Candidates(boxes, np.array([0.5, 0.9, 0.6, 0.1], np.float32), np.array([0, 0, 1, 0]))
    kept = suppress(candidates, iou=0.5)
    assert kept.scores.tolist() == pytest.approx([0.9, 0.6, 0.1])
    assert kept.class_ids.tolist() == [0, 1, 0]
    assert len(suppress(read_candidates(np.zeros((1, 6, 10)), CLASSES, 0.5), 0.5).scores) == 0
