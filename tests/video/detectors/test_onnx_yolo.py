"""The ONNX detector on tiny models built here: refusals (missing file, wrong checksum, wrong input size, not a
model), the input it feeds (RGB, /255, NCHW, letterboxed), boxes back in the frame, crops around regions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from beffroi.errors import ConfigError
from beffroi.video.detections import Box
from beffroi.video.detectors.crops import CropPlan, merge_overlapping
from beffroi.video.detectors.letterbox import PAD_VALUE
from beffroi.video.detectors.onnx_yolo import OnnxYoloDetector, file_sha256, to_input_tensor
from tests.video.detectors.tiny_models import fixed_output_model, red_score_model, v8_output

SIZE = 64


@pytest.fixture
def centre_model(tmp_path: Path) -> tuple[Path, str]:
    """Always one person, a 16 × 32 box in the middle of the input."""
    path = tmp_path / "centre.onnx"
    return path, fixed_output_model(path, v8_output([(32, 32, 16, 32, 0, 0.9)], classes=1, n=16), SIZE)


def detector(model: tuple[Path, str], **options: Any) -> OnnxYoloDetector:
    path, sha = model
    return OnnxYoloDetector(path, sha, SIZE, {0: "person"}, min_score=0.5, **options)


def counting_runs(found: OnnxYoloDetector) -> list[tuple[int, ...]]:
    """Records the shape of each input the detector feeds its model."""
    shapes: list[tuple[int, ...]] = []
    session = found._session
    run = session.run

    def counted(names: Any, feeds: dict[str, np.ndarray]) -> Any:
        shapes.extend(feed.shape for feed in feeds.values())
        return run(names, feeds)

    found._session = type("Counted", (), {"run": staticmethod(counted)})()
    return shapes


def test_a_missing_file_a_wrong_checksum_a_wrong_size_and_a_bad_file_are_refused(
    tmp_path: Path, centre_model: tuple[Path, str]
) -> None:
    path, sha = centre_model
    with pytest.raises(ConfigError, match=r"analysis\.model: file not found"):
        OnnxYoloDetector(tmp_path / "absent.onnx", sha, SIZE, {0: "person"}, 0.5)
    with pytest.raises(ConfigError, match=r"analysis\.model_sha256: .* has SHA-256 " + sha):
        OnnxYoloDetector(path, "0" * 64, SIZE, {0: "person"}, 0.5)
    with pytest.raises(ConfigError, match=r"analysis\.model_input: the model takes 64×64, not 320"):
        OnnxYoloDetector(path, sha, 320, {0: "person"}, 0.5)
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"not a model")
    with pytest.raises(ConfigError, match=r"^detector fire: model: not a loadable ONNX model"):
        OnnxYoloDetector(garbage, file_sha256(garbage), SIZE, {0: "fire"}, 0.5, name="fire", config_prefix="")
    assert detector(centre_model).detect(np.zeros((10, 10, 3), np.uint8)) != []
    assert detector((path, sha.upper())).name == "onnx_yolo"


def test_the_input_is_rgb_in_0_1_nchw_and_letterboxed(tmp_path: Path) -> None:
    path = tmp_path / "red.onnx"
    sha = red_score_model(path, (32, 32, 16, 32), SIZE)
    red_detector = OnnxYoloDetector(path, sha, SIZE, {0: "person"}, min_score=0.1)
    red = np.zeros((32, 64, 3), np.uint8)
    red[:, :, 2] = 255  # BGR: pure red
    (found,) = red_detector.detect(red)
    # half the square is the image (red 1.0), half the grey padding (114/255)
    assert found.score == pytest.approx(0.5 + 0.5 * PAD_VALUE / 255, abs=1e-5)
    # the box in the middle of the input is in the middle of the 64 × 32 image (scale 1, 16 px padding above)
    assert found.box == Box(24, 0, 40, 32)
    blue = np.zeros((64, 64, 3), np.uint8)
    blue[:, :, 0] = 255
    assert red_detector.detect(blue) == []
    tensor = to_input_tensor(red[:2, :2])
    assert tensor.dtype == np.float32
    assert tensor.shape == (1, 3, 2, 2)
    assert tensor[0, :, 0, 0].tolist() == [1.0, 0.0, 0.0]


def test_the_whole_frame_is_one_pass_and_boxes_come_back_in_its_pixels(centre_model: tuple[Path, str]) -> None:
    found = detector(centre_model)
    runs = counting_runs(found)
    detections = found.detect(np.zeros((360, 640, 3), np.uint8))
    assert runs == [(1, 3, SIZE, SIZE)]
    # scale 0.1, 14 px padding above: the 16 × 32 box in the middle of the input is 160 × 320 in the frame
    assert [d.box for d in detections] == [Box(240, 20, 400, 340)]
    assert detections[0].label == "person"
    assert detections[0].score == pytest.approx(0.9)


def test_small_regions_are_looked_at_in_crops_at_their_own_size_mapped_back(tmp_path: Path) -> None:
    path = tmp_path / "any_size.onnx"
    sha = fixed_output_model(path, v8_output([(32, 32, 16, 32, 0, 0.9)], classes=1, n=16), None)
    found = OnnxYoloDetector(path, sha, 320, {0: "person"}, 0.5, crop_plan=CropPlan(pad=0.0, min_side=64))
    assert found.dynamic
    runs = counting_runs(found)
    regions = [Box(100, 100, 132, 164), Box(400, 200, 440, 240), Box(415, 215, 425, 225)]
    detections = found.detect(np.zeros((360, 640, 3), np.uint8), regions)
    assert runs == [(1, 3, 64, 64), (1, 3, 64, 64)]
    # first crop: 64 × 64 around (116, 132), scale 1; second: 64 × 64 around (420, 220)
    assert sorted((d.box for d in detections), key=lambda b: b.x1) == [Box(108, 116, 124, 148), Box(412, 204, 428, 236)]


def test_a_fixed_size_model_looks_at_one_crop_but_never_at_two(centre_model: tuple[Path, str]) -> None:
    found = detector(centre_model, crop_plan=CropPlan(pad=0.0, min_side=32))
    assert not found.dynamic
    runs = counting_runs(found)
    image = np.zeros((360, 640, 3), np.uint8)
    # one 32 × 32 crop around (116, 116), upscaled twice into the model's 64 × 64
    assert [d.box for d in found.detect(image, [Box(100, 100, 132, 132)])] == [Box(112, 108, 120, 124)]
    assert [d.box for d in found.detect(image, [Box(100, 100, 132, 132), Box(400, 200, 432, 232)])] == [
        Box(240, 20, 400, 340)
    ]
    assert runs == [(1, 3, SIZE, SIZE)] * 2


def test_regions_over_most_of_the_frame_mean_one_pass_and_no_region_none(centre_model: tuple[Path, str]) -> None:
    found = detector(centre_model)
    runs = counting_runs(found)
    image = np.zeros((360, 640, 3), np.uint8)
    assert [d.box for d in found.detect(image, [Box(0, 0, 600, 300)])] == [Box(240, 20, 400, 340)]
    assert len(runs) == 1
    assert found.detect(image, []) == []
    assert len(runs) == 1


def test_crop_plans() -> None:
    plan = CropPlan(pad=0.25, min_side=100, max_crops=2, max_fraction=0.5)
    # a 40 × 80 region grows to a 120 × 120 square, kept inside the frame
    assert plan.crops([Box(0, 0, 40, 80)], 640, 360) == [Box(0, 0, 120, 120)]
    assert plan.crops([Box(300, 100, 340, 180)], 640, 360) == [Box(260, 80, 380, 200)]
    # overlapping crops merge; beyond max_crops or max_fraction, the whole frame
    assert plan.crops([Box(300, 100, 340, 180), Box(330, 100, 370, 180)], 640, 360) == [Box(260, 80, 410, 200)]
    many = [Box(x, 10, x + 10, 20) for x in (0, 200, 400)]
    assert plan.crops(many, 640, 360) is None
    assert plan.crops([Box(0, 0, 500, 300)], 640, 360) is None
    assert merge_overlapping([Box(0, 0, 10, 10), Box(20, 0, 30, 10), Box(5, 5, 25, 8)]) == [Box(0, 0, 30, 10)]
