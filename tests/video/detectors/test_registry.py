"""Every registered detector is built from a camera's `analysis` settings and keeps the shared contract; an
unknown kind is refused naming `analysis.detector`."""

from __future__ import annotations

from pathlib import Path

import pytest

from beffroi.errors import ConfigError
from beffroi.video.camera import AnalysisConfig
from beffroi.video.detections import Box, Detection
from beffroi.video.detectors import build_detector, registered_detectors
from beffroi.video.detectors.fallback import FallbackDetector
from beffroi.video.detectors.onnx_yolo import OnnxYoloDetector
from tests.video.detectors.scenes import Scene, person_size
from tests.video.detectors.tiny_models import fixed_output_model, v8_output


def settings(kind: str, tmp_path: Path) -> AnalysisConfig:
    """The analysis settings a camera would give each registered kind (a kind missing here fails the test)."""
    if kind == "onnx_yolo":
        path = tmp_path / "model.onnx"
        output = v8_output([(160, 160, 40, 80, 0, 0.9), (60, 200, 20, 20, 1, 0.8)], classes=2, n=32)
        sha = fixed_output_model(path, output, 320)
        return AnalysisConfig(detector=kind, model=path, model_sha256=sha, model_classes={0: "person"})
    if kind == "fallback":
        return AnalysisConfig(detector=kind)
    raise AssertionError(f"no test settings for detector {kind!r}: add them here")


def test_the_shipped_detectors_are_registered() -> None:
    assert {"fallback", "onnx_yolo"} <= set(registered_detectors())


@pytest.mark.parametrize("kind", registered_detectors())
def test_every_detector_keeps_the_contract(kind: str, tmp_path: Path) -> None:
    detector = build_detector(settings(kind, tmp_path), person_size)
    assert detector.name == kind
    scene = Scene()
    found: list[Detection] = []
    for i in range(40):
        image, _, _ = scene.frame([(100 + 5 * i, 300)] if i >= 20 else [])
        found = detector.detect(image)
        assert all(isinstance(d, Detection) for d in found)
        assert all(0 <= d.box.x1 < d.box.x2 <= 640 and 0 <= d.box.y1 < d.box.y2 <= 360 for d in found)
        assert all(0.0 <= d.score <= 1.0 for d in found)
    assert [d.label for d in found] == ["person"]
    assert detector.detect(image, regions=[]) == []
    assert all(isinstance(d, Detection) for d in detector.detect(image, regions=[Box(0, 0, 320, 360)]))


def test_the_kind_named_is_built_and_an_unknown_kind_is_refused(tmp_path: Path) -> None:
    assert isinstance(build_detector(settings("fallback", tmp_path)), FallbackDetector)
    assert isinstance(build_detector(settings("onnx_yolo", tmp_path)), OnnxYoloDetector)
    with pytest.raises(ConfigError, match=r"analysis\.detector: unknown detector 'yolo' \(known: .*fallback"):
        build_detector(AnalysisConfig(detector="yolo"))


def test_the_onnx_detector_refuses_a_model_whose_checksum_differs(tmp_path: Path) -> None:
    config = settings("onnx_yolo", tmp_path).model_copy(update={"model_sha256": "ab" * 32})
    with pytest.raises(ConfigError, match=r"analysis\.model_sha256"):
        build_detector(config)
