"""A tracked object: one identity followed from frame to frame, with its path on the image and on the ground."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from beffroi.video.detections import Box


class TrackState(enum.StrEnum):
    TENTATIVE = "tentative"
    """Seen in too few frames to be trusted yet."""
    CONFIRMED = "confirmed"
    LOST = "lost"
    """Not matched in the last frames; kept a while in case it comes back (occlusion)."""


@dataclass(slots=True)
class TrackPoint:
    """Where a track was at one time: its box, and its foot on the ground in metres (None without a homography)."""

    ts: float
    box: Box
    ground: tuple[float, float] | None = None


@dataclass(slots=True)
class Track:
    """One identity. `history` is bounded (the tracker keeps the last points only); `velocity` is in pixels per
    second of the box centre, `ground_velocity` in metres per second (None without a homography)."""

    id: int
    label: str
    score: float
    state: TrackState
    first_seen: float
    last_seen: float
    hits: int
    history: list[TrackPoint] = field(default_factory=list)
    velocity: tuple[float, float] = (0.0, 0.0)
    ground_velocity: tuple[float, float] | None = None
    low_confidence: bool = False

    @property
    def box(self) -> Box:
        return self.history[-1].box

    @property
    def ground(self) -> tuple[float, float] | None:
        return self.history[-1].ground
