"""The fallback detector on drawn scenes: people found where they walk, groups split, bags that stay found for
minutes, objects told from people, no ghosts, no false blobs when the light changes."""

from __future__ import annotations

import numpy as np
import pytest

from beffroi.video.detections import OBJECT, PERSON, Box, Detection
from beffroi.video.detectors.blobs import BlobRules, classify, grounded, split_people
from beffroi.video.detectors.fallback import FallbackDetector, HogSettings
from beffroi.video.detectors.masks import Blob, find_blobs
from tests.video.detectors.scenes import Scene, person_size

FPS = 5.0


def labelled(detections: list[Detection], label: str) -> list[Detection]:
    return [d for d in detections if d.label == label]


def warm_up(detector: FallbackDetector, scene: Scene, frames: int = 25) -> None:
    """Frames of the empty scene, as a camera sees before people come."""
    for _ in range(frames):
        assert detector.detect(scene.frame([])[0]) == []


def best_iou(truth: Box, detections: list[Detection]) -> float:
    return max((truth.iou(d.box) for d in detections), default=0.0)


def test_a_walking_person_is_one_low_confidence_person_on_its_box() -> None:
    scene = Scene()
    detector = FallbackDetector(FPS, person_size, hog=None)
    warm_up(detector, scene)
    for i in range(50):
        image, people, _ = scene.frame([(100 + 5 * i, 300)])
        found = detector.detect(image)
        persons = labelled(found, PERSON)
        assert len(persons) == 1, found
        assert persons[0].box.iou(people[0]) > 0.85
        assert all(d.low_confidence for d in found)
        assert not labelled(found, OBJECT)


def test_people_far_and_near_are_people_and_a_small_moving_thing_is_an_object() -> None:
    scene = Scene()
    detector = FallbackDetector(FPS, person_size, hog=None)
    warm_up(detector, scene)
    for i in range(40):
        image, people, _ = scene.frame([(100 + 4 * i, 120), (600 - 5 * i, 340)])
        # a rolling case: a person's width, a fifth of its height
        x = 150 + 6 * i
        image[180:200, x : x + 30] = (200, 200, 40)
        found = detector.detect(image)
    persons, objects = labelled(found, PERSON), labelled(found, OBJECT)
    assert len(persons) == 2
    assert all(best_iou(truth, persons) > 0.8 for truth in people)
    assert len(objects) == 1
    assert objects[0].box.iou(Box(x, 180, x + 30, 200)) > 0.7


def test_without_a_person_size_the_shape_decides() -> None:
    scene = Scene()
    detector = FallbackDetector(FPS, None, hog=None)
    warm_up(detector, scene)
    for i in range(30):
        image, people, _ = scene.frame([(100 + 4 * i, 300)])
        x = 400 - 4 * i
        image[100:130, x : x + 60] = (200, 200, 40)
        found = detector.detect(image)
    assert [d.label for d in sorted(found, key=lambda d: d.box.x1)] == [PERSON, OBJECT]
    assert labelled(found, PERSON)[0].box.iou(people[0]) > 0.85


def test_a_group_walking_abreast_is_split_into_its_people() -> None:
    scene = Scene()
    detector = FallbackDetector(FPS, person_size, hog=None)
    warm_up(detector, scene)
    for i in range(40):
        x = 100 + 5 * i
        image, people, _ = scene.frame([(x, 300), (x + 30, 302), (x + 60, 299)])
        found = detector.detect(image)
    persons = labelled(found, PERSON)
    assert len(persons) == 3
    assert all(best_iou(truth, persons) > 0.5 for truth in people)


@pytest.mark.parametrize(("rows", "abreast"), [(1, 6), (2, 5), (3, 2), (3, 4)])
def test_a_dense_crowd_is_counted_by_area_row_by_row(rows: int, abreast: int) -> None:
    """People shoulder to shoulder in rows that hide each other: one blob, cut into bands one person tall."""
    scene = Scene()
    detector = FallbackDetector(FPS, person_size, hog=None)
    warm_up(detector, scene)
    for i in range(20):
        x = 120 + 4 * i
        feet = [(x + 28 * k + 10 * (row % 2), 250 + 45 * row) for row in range(rows) for k in range(abreast)]
        image, people, _ = scene.frame(feet)
        found = detector.detect(image)
    persons = labelled(found, PERSON)
    assert abs(len(persons) - len(people)) <= 1
    crowd = Box(min(p.x1 for p in people), min(p.y1 for p in people), max(p.x2 for p in people), 341)
    assert all(crowd.x1 - 2 <= d.box.x1 and d.box.x2 <= crowd.x2 + 2 and d.box.y2 <= crowd.y2 for d in persons)


def test_a_dropped_bag_is_an_object_for_minutes_after_it_stopped_moving() -> None:
    scene = Scene()
    fps = 0.5
    detector = FallbackDetector(fps, person_size, hog=None)
    bag_box = None
    seen = []
    for i in range(int(4 * 60 * fps)):
        bags = [(400, 280)] if i >= 20 else []
        image, _, bag_boxes = scene.frame([], bags)
        found = detector.detect(image)
        if bag_boxes:
            bag_box = bag_boxes[0]
            seen.append(len(found) == 1 and found[0].label == OBJECT and found[0].box.iou(bag_box) > 0.7)
    # found from its first frame, through the moment the fast background learnt it, to four minutes later
    assert all(seen), seen.index(False)


def test_a_person_there_at_start_leaves_no_ghost_once_warm() -> None:
    scene = Scene()
    detector = FallbackDetector(FPS, person_size, hog=None)
    for i in range(100):
        image, _, _ = scene.frame([(200 + 4 * min(i, 60), 300)] if i < 60 else [])
        found = detector.detect(image)
    assert found == []


@pytest.mark.parametrize("step", [45, 5])
def test_a_change_of_light_sudden_or_gradual_is_not_an_object(step: int) -> None:
    scene = Scene()
    detector = FallbackDetector(FPS, person_size, hog=None)
    warm_up(detector, scene)
    for i in range(1, 40):
        image, _, _ = scene.frame([])
        lighter = np.clip(image.astype(np.int16) + min(45, step * i), 0, 255).astype(np.uint8)
        assert detector.detect(lighter) == [], i


def test_regions_keep_only_the_moving_things_they_touch_and_every_still_one() -> None:
    scene = Scene()
    detector = FallbackDetector(FPS, person_size, hog=None)
    warm_up(detector, scene)
    for i in range(60):
        image, people, bags = scene.frame([(100 + 4 * i, 300), (560 - 4 * i, 150)], [(320, 340)] if i >= 5 else [])
        found = detector.detect(image, regions=[Box(0, 220, 640, 360)])
    assert len(found) == 2
    assert best_iou(people[0], labelled(found, PERSON)) > 0.8
    assert best_iou(bags[0], labelled(found, OBJECT)) > 0.7
    assert detector.detect(scene.frame([(100, 300)])[0], regions=[]) == []


def test_people_whose_feet_are_below_the_frame_are_boxed_to_its_edge() -> None:
    scene = Scene()
    detector = FallbackDetector(FPS, person_size, hog=None)
    warm_up(detector, scene)
    for i in range(20):
        image, _, _ = scene.frame([(100 + 5 * i, 420)])  # feet 60 px below the frame, head and torso in it
        found = detector.detect(image)
    assert [d.label for d in found] == [PERSON]
    assert found[0].box.y2 == 360


def test_hog_confirms_tall_people_with_a_higher_score() -> None:
    scene = Scene(scale=2.0)

    def size(row: float) -> tuple[float, float]:
        width, height = person_size(row / 2)
        return width * 2, height * 2

    with_hog = FallbackDetector(FPS, size, hog=HogSettings(min_height=48))
    without = FallbackDetector(FPS, size, hog=None)
    for i in range(30):
        image, people, _ = scene.frame([(150 + 5 * i, 330)])
        hog_found, blob_found = with_hog.detect(image), without.detect(image)
    assert [d.label for d in hog_found] == [PERSON]
    assert hog_found[0].score > 0.8
    assert blob_found[0].score <= 0.8
    assert hog_found[0].box.iou(people[0]) > 0.6


def test_a_blob_twice_a_person_wide_is_cut_into_two_of_equal_area() -> None:
    mask = np.zeros((100, 80), dtype=np.uint8)
    mask[10:100, 0:30] = 255
    mask[0:100, 40:80] = 255
    mask[50:60, 30:40] = 255
    (blob,) = find_blobs(mask, 10)
    shapes = split_people(blob, BlobRules(person_fill=1.0), lambda row: (35.0, 100.0))
    assert [s.box for s in shapes] == [Box(0, 0, 46, 100), Box(46, 0, 80, 100)]  # 3400 pixels each
    assert classify(blob, BlobRules(person_fill=1.0), lambda row: (35.0, 100.0)) == shapes
    small = Blob(0, 90, 20, 10, 200, np.full((10, 20), 255, dtype=np.uint8))
    assert [s.label for s in classify(small, BlobRules(), lambda row: (35.0, 100.0))] == [OBJECT]


@pytest.mark.parametrize("blob_pixels", [10, 50])
def test_blobs_smaller_than_a_few_percent_of_a_person_are_noise(blob_pixels: int) -> None:
    side = int(blob_pixels**0.5)
    blob = Blob(0, 90, side, side, side * side, np.full((side, side), 255, dtype=np.uint8))
    shapes = classify(blob, BlobRules(), lambda row: (35.0, 100.0))
    assert (shapes == []) == (side * side < 0.04 * 3500)


def test_a_change_of_light_keeps_a_bag_on_the_floor_found() -> None:
    """A cloud darkens the scene by a quarter over a second: the backgrounds follow the light, the bag stays the
    one object and nothing else appears."""
    scene = Scene()
    detector = FallbackDetector(FPS, person_size, hog=None)
    warm_up(detector, scene)
    for i in range(40):
        image, _, bags = scene.frame([], [(320, 300)])
        gain = 1.0 - 0.25 * min(1.0, max(0.0, (i - 20) / 5))
        found = detector.detect(np.clip(image * gain, 0, 255).astype(np.uint8))
        if i >= 2:
            assert [d.label for d in found] == [OBJECT], i
            assert found[0].box.iou(bags[0]) > 0.7


def test_feet_hidden_behind_someone_are_put_below_the_head() -> None:
    """A person whose legs another hides (or as light as the ground) is boxed down to where their feet are."""
    rules = BlobRules()

    def size(row: float) -> tuple[float, float]:
        return 0.35 * row / 3, row / 3

    upper_half = Box(100, 100, 125, 130)  # a person whose feet would be at row 150 (150 - 50 = 100)
    assert grounded(upper_half, rules, size).y2 == pytest.approx(150, abs=1)
    whole = Box(100, 100, 117, 150)
    assert grounded(whole, rules, size) == whole
    lying = Box(100, 140, 160, 150)
    assert grounded(lying, rules, size) == lying


def test_someone_standing_is_not_merged_with_who_walks_past() -> None:
    """A person stands; another walks past right behind them: told where the first one stands, the detector keeps
    them in their own box while the blobs are one."""
    scene = Scene()
    detector = FallbackDetector(FPS, person_size, hog=None)
    warm_up(detector, scene)
    for i in range(30):
        image, people, _ = scene.frame([(300, 300), (230 + 6 * i, 285)])
        detector.expect_people([people[0]])  # a tracker's box of the person standing
        found = labelled(detector.detect(image), PERSON)
        assert max(d.box.iou(people[0]) for d in found) > 0.7, i
