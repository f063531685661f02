"""What a detector finds in a frame, and the interface every detector implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from beffroi.video.frames import Image

PERSON = "person"
"""The label of a person, whatever the detector's own class names."""
OBJECT = "object"
"""The label of a thing that is not a person (a bag, a parcel, a moving blob of unknown kind)."""


@dataclass(frozen=True, slots=True)
class Box:
    """An axis-aligned box in pixels of the analysed frame: (x1, y1) top-left, (x2, y2) bottom-right."""

    x1: float
    y1: float
    x2: float
    y2: float

    @property
    def width(self) -> float:
        return max(0.0, self.x2 - self.x1)

    @property
    def height(self) -> float:
        return max(0.0, self.y2 - self.y1)

    @property
    def area(self) -> float:
        return self.width * self.height

    @property
    def centre(self) -> tuple[float, float]:
        return ((self.x1 + self.x2) / 2, (self.y1 + self.y2) / 2)

    @property
    def foot(self) -> tuple[float, float]:
        """The bottom centre: where a standing person touches the ground."""
        return ((self.x1 + self.x2) / 2, self.y2)

    def iou(self, other: Box) -> float:
        """Intersection over union with another box, in [0, 1]."""
        w = min(self.x2, other.x2) - max(self.x1, other.x1)
        h = min(self.y2, other.y2) - max(self.y1, other.y1)
        if w <= 0 or h <= 0:
            return 0.0
        inter = w * h
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0


@dataclass(frozen=True, slots=True)
class Detection:
    """One thing found: its box, a confidence in [0, 1], its label (`PERSON`, `OBJECT`, or a plug-in's own such as
    "fire"), and `low_confidence` when it came from a fallback detector whose scores mean little."""

    box: Box
    score: float
    label: str
    low_confidence: bool = False


class Detector(Protocol):
    """Finds people and objects in an image. `regions` (boxes in the image, from the motion gate) limit where it
    looks when given; None means the whole image. A detector that keeps its own model of the scene (a background)
    says so with `sees_every_frame`: the pipeline then gives it every analysed frame, whole (its backgrounds need
    it, and the motion gate misses dark people on dark ground), and tells it where tracked people stand still
    through an optional `expect_people(boxes)`."""

    name: str
    sees_every_frame: bool

    def detect(self, image: Image, regions: list[Box] | None = None) -> list[Detection]: ...
