"""A model that watches a camera for one kind of thing (fire, a weapon): run at most every few seconds on the
whole frame, and believed only when several runs in a row see it. Shared by the model plug-in analytics."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import Field

from beffroi.config_base import Section
from beffroi.video.detections import Box, Detection, Detector
from beffroi.video.detectors.onnx_yolo import OnnxYoloDetector
from beffroi.video.frames import Image


class ModelWatchSettings(Section):
    """The settings of a model plug-in: the ONNX model (installed by the operator, never downloaded), its SHA-256
    and square input size, its classes (index → label; others ignored), the score it must reach, how often it runs
    (`every_s`), how many runs in a row must see the thing before an event (`confirm_frames`), and how often the
    event is repeated while it lasts (`repeat_s`)."""

    model: Path
    model_sha256: str
    classes: Annotated[dict[int, str], Field(min_length=1)]
    min_score: Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)] = 0.5
    model_input: Annotated[int, Field(ge=32, le=2048)] = 320
    iou: Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)] = 0.45
    every_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 1.0
    confirm_frames: Annotated[int, Field(ge=1)] = 3
    repeat_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 60.0
    threads: Annotated[int, Field(ge=1, le=64)] = 1

    def build_detector(self, name: str) -> OnnxYoloDetector:
        """The plug-in's own detector; ConfigError naming `model` / `model_sha256` / `model_input` when refused."""
        return OnnxYoloDetector(
            self.model,
            self.model_sha256,
            self.model_input,
            self.classes,
            self.min_score,
            iou=self.iou,
            threads=self.threads,
            name=name,
            config_prefix="",
        )


@dataclass(frozen=True, slots=True)
class Sighting:
    """What a confirmed run found: its detections, the best of them, and how many runs in a row saw it."""

    detections: list[Detection]
    runs: int

    @property
    def best(self) -> Detection:
        return max(self.detections, key=lambda d: d.score)

    @property
    def boxes(self) -> tuple[Box, ...]:
        return tuple(d.box for d in self.detections)

    @property
    def labels(self) -> str:
        """The labels seen, sorted, comma-separated."""
        return ",".join(sorted({d.label for d in self.detections}))


class ModelWatch:
    """Runs `detector` on a frame at most every `every_s` seconds; `update` returns the detections of the run
    that makes `confirm_frames` runs in a row with something found, then again every `repeat_s` seconds while
    runs keep finding it (as a Sighting), and None otherwise. A run that finds nothing starts the count again."""

    def __init__(self, detector: Detector, every_s: float, confirm_frames: int, repeat_s: float) -> None:
        self.detector = detector
        self.every_s = every_s
        self.confirm_frames = confirm_frames
        self.repeat_s = repeat_s
        self.streak = 0
        self._last_run: float | None = None
        self._last_report: float | None = None

    def update(self, ts: float, image: Image) -> Sighting | None:
        """Look at this frame if it is time to; the sighting when it is to be reported."""
        if self._last_run is not None and ts - self._last_run < self.every_s:
            return None
        self._last_run = ts
        found = self.detector.detect(image)
        if not found:
            self.streak = 0
            self._last_report = None
            return None
        self.streak += 1
        if self.streak < self.confirm_frames:
            return None
        if self._last_report is not None and ts - self._last_report < self.repeat_s:
            return None
        self._last_report = ts
        return Sighting(found, self.streak)
