"""The fire-start and weapon plug-ins: off unless a camera lists them with its own model; their model runs at
most every `every_s`, an event comes after `confirm_frames` runs in a row that see the thing, with its boxes,
confidence and zone; bad settings are refused naming the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from beffroi.errors import ConfigError
from beffroi.video.analytics import fire_start, weapon
from beffroi.video.analytics.base import Analytic, CameraView, FrameContext, LegalBasis, build_analytics, registered
from beffroi.video.camera import CameraConfig
from beffroi.video.detections import Box
from beffroi.video.detectors.model_watch import ModelWatch
from tests.video.detectors.tiny_models import fixed_output_model, red_score_model, v8_output

WIDTH, HEIGHT = 640, 360
RED = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
RED[:, :, 2] = 255
BLUE = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
BLUE[:, :, 0] = 255

PLUGINS = [("fire_start", LegalBasis.FIRE_START, {0: "fire", 1: "smoke"}), ("weapon", LegalBasis.WEAPON, {0: "knife"})]


def camera(analytics: dict[str, dict[str, Any]], authorised: list[str] | None = None) -> CameraConfig:
    return CameraConfig.model_validate(
        {
            "id": "cam-1",
            "source": "clip.mp4",
            "zones": [{"name": "left", "polygon": [(0, 0), (0.5, 0), (0.5, 1), (0, 1)]}],
            "analytics": analytics,
            "authorised": authorised,
        }
    )


def build(kind: str, settings: dict[str, Any], authorised: list[str] | None = None) -> tuple[Analytic, CameraView]:
    view = CameraView.build(camera({kind: settings}, authorised), WIDTH, HEIGHT)
    (analytic,) = build_analytics(view)
    return analytic, view


def context(ts: float, view: CameraView, image: np.ndarray) -> FrameContext:
    return FrameContext(ts=ts, tracks=[], detections=[], motion_fraction=0.0, view=view, image=image)


@pytest.fixture
def fixed_model(tmp_path: Path) -> dict[str, Any]:
    """A model that always sees class 0 at 0.8 in the left half of the frame and class 1 at 0.6 on the right."""
    path = tmp_path / "seen.onnx"
    output = v8_output([(80, 160, 40, 40, 0, 0.8), (240, 160, 40, 40, 1, 0.6)], classes=2, n=16)
    return {"model": str(path), "model_sha256": fixed_output_model(path, output, 320)}


def test_both_are_registered_with_their_legal_basis_and_off_unless_listed() -> None:
    assert registered()["fire_start"].legal_basis is LegalBasis.FIRE_START
    assert registered()["weapon"].legal_basis is LegalBasis.WEAPON
    assert build_analytics(CameraView.build(camera({}), WIDTH, HEIGHT)) == []
    assert fire_start.KIND == "fire_start" and weapon.KIND == "weapon"


@pytest.mark.parametrize(("kind", "basis", "classes"), PLUGINS)
def test_an_event_after_confirm_frames_runs_in_a_row_with_boxes_confidence_and_zone(
    kind: str, basis: LegalBasis, classes: dict[int, str], fixed_model: dict[str, Any]
) -> None:
    settings = {**fixed_model, "classes": classes, "every_s": 1.0, "confirm_frames": 3, "repeat_s": 30.0}
    analytic, view = build(kind, settings)
    assert analytic.kind == kind and analytic.legal_basis is basis
    events = [(ts, e) for ts in np.arange(0, 40, 0.2) for e in analytic.update(context(ts, view, RED)).events]
    # runs at 0, 1, 2 s: confirmed at 2 s; while it lasts, again 30 s later
    assert [round(ts, 1) for ts, _ in events] == [2.0, 32.0]
    event = events[0][1]
    assert (event.type, event.analytic, event.legal_basis) == (kind, kind, basis)
    assert event.ts == pytest.approx(2.0)
    # scale 0.5, 70 px of padding above: input (60, 140, 100, 180) is frame (120, 140, 200, 220)
    assert event.boxes[0] == Box(120, 140, 200, 220)
    assert event.confidence == pytest.approx(0.8)
    assert event.zone == "left"
    assert event.details["runs"] == 3
    if len(classes) == 2:
        assert event.boxes[1] == Box(440, 140, 520, 220)
        assert (event.details["label"], event.details["labels"]) == ("fire", "fire,smoke")
    else:
        assert event.boxes == (Box(120, 140, 200, 220),) and event.details["label"] == "knife"


def test_a_run_that_sees_nothing_starts_the_count_again(tmp_path: Path) -> None:
    path = tmp_path / "red.onnx"
    sha = red_score_model(path, (160, 160, 40, 40), 320)
    settings = {"model": str(path), "model_sha256": sha, "classes": {0: "fire"}, "min_score": 0.5}
    analytic, view = build("fire_start", {**settings, "every_s": 0.5, "confirm_frames": 3})
    frames = [RED, RED, BLUE, RED, RED, RED, RED]
    raised = [i for i, image in enumerate(frames) if analytic.update(context(i * 0.5, view, image)).events]
    assert raised == [5]


def test_the_model_runs_at_most_every_every_s() -> None:
    class Counting:
        name = "counting"
        runs = 0

        def detect(self, image: Any, regions: Any = None) -> list[Any]:
            self.runs += 1
            return []

    detector = Counting()
    watch = ModelWatch(detector, every_s=2.0, confirm_frames=1, repeat_s=10.0)
    for ts in np.arange(0, 10, 0.2):
        assert watch.update(float(ts), RED) is None
    assert detector.runs == 5


@pytest.mark.parametrize(("kind", "basis", "classes"), PLUGINS)
def test_bad_settings_are_refused_naming_the_key(
    kind: str, basis: LegalBasis, classes: dict[int, str], fixed_model: dict[str, Any], tmp_path: Path
) -> None:
    good = {**fixed_model, "classes": classes}
    cases: list[tuple[dict[str, Any], str]] = [
        ({**good, "model": str(tmp_path / "absent.onnx")}, rf"analytics\.{kind}: model: file not found"),
        ({**good, "model_sha256": "12" * 32}, rf"analytics\.{kind}: model_sha256: .* has SHA-256"),
        ({**good, "model_input": 640}, rf"analytics\.{kind}: model_input: the model takes 320×320, not 640"),
        ({k: v for k, v in good.items() if k != "classes"}, rf"analytics\.{kind}\.classes"),
        ({**good, "confirm_frames": 0}, rf"analytics\.{kind}\.confirm_frames"),
        ({**good, "every": 1}, rf"analytics\.{kind}\.every"),
    ]
    for settings, message in cases:
        with pytest.raises(ConfigError, match=message):
            build(kind, settings)
    with pytest.raises(ConfigError, match=rf"analytics\.{kind}: legal basis {basis.value} is not in `authorised`"):
        build(kind, good, authorised=["counting"])
