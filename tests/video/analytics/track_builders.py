"""Hand-built cameras and scripted tracks for the analytic tests: a camera view of 1000 × 1000 pixels (so a
normalised 0.4 is pixel 400), people whose foot walks straight between waypoints, and a player that feeds the
frames to an analytic the way the pipeline does (tracks tentative for their first frames, lost while hidden,
dropped after their last waypoint)."""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from beffroi.video.analytics.base import (
    Analytic,
    AnalyticOutput,
    CameraView,
    FrameContext,
    LineCount,
    VideoEvent,
    build_analytics,
)
from beffroi.video.camera import CameraConfig
from beffroi.video.detections import PERSON, Box
from beffroi.video.tracks import Track, TrackPoint, TrackState

SIZE = 1000
"""Width and height of the test frames, in pixels."""
FLAT_GROUND: dict[str, Any] = {
    "image_points": [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)],
    "ground_points": [(0.0, 20.0), (20.0, 20.0), (20.0, 0.0), (0.0, 0.0)],
}
"""A ground plane seen from straight above: 50 px per metre, image right = ground +x, image up = ground +y."""


def square(x0: float, y0: float, x1: float, y1: float) -> list[tuple[float, float]]:
    """A rectangle zone polygon in normalised coordinates."""
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def camera(
    analytics: dict[str, dict[str, Any]],
    *,
    zones: dict[str, list[tuple[float, float]]] | None = None,
    lines: dict[str, tuple[tuple[float, float], tuple[float, float]]] | None = None,
    authorised: list[str] | None = None,
    ground: dict[str, Any] | None = None,
) -> CameraConfig:
    """A camera "cam-1" with those zones and lines (normalised) running those analytics."""
    return CameraConfig.model_validate(
        {
            "id": "cam-1",
            "source": "clip.mp4",
            "zones": [{"name": name, "polygon": polygon} for name, polygon in (zones or {}).items()],
            "lines": [{"name": name, "a": a, "b": b} for name, (a, b) in (lines or {}).items()],
            "analytics": analytics,
            "authorised": authorised,
            "ground": ground,
        }
    )


def view_of(config: CameraConfig) -> CameraView:
    """The camera's places on frames of SIZE × SIZE pixels."""
    return CameraView.build(config, SIZE, SIZE)


def build_one(config: CameraConfig) -> tuple[Analytic, CameraView]:
    """The camera's single analytic, built through the registry (legal-basis gate and settings validation)."""
    view = view_of(config)
    analytics = build_analytics(view)
    assert len(analytics) == 1
    return analytics[0], view


@dataclass
class Walk:
    """A scripted track: its foot moves straight between `waypoints` (ts, x, y in pixels); it appears at the first
    waypoint's time and is dropped after the last. `hidden` intervals (start, end) are occlusions: the track is
    LOST there and gets no point. `jitter_px` adds seeded noise to the foot."""

    track_id: int
    waypoints: list[tuple[float, float, float]]
    label: str = PERSON
    score: float = 0.9
    low_confidence: bool = False
    hidden: list[tuple[float, float]] = field(default_factory=list)
    jitter_px: float = 0.0
    height_px: float = 100.0
    seed: int = 0

    def foot(self, ts: float) -> tuple[float, float] | None:
        """Where the foot is at `ts` (before noise), None outside the walk's time."""
        first, last = self.waypoints[0][0], self.waypoints[-1][0]
        if ts < first - 1e-9 or ts > last + 1e-9:
            return None
        for (t0, x0, y0), (t1, x1, y1) in zip(self.waypoints, self.waypoints[1:], strict=False):
            if t0 - 1e-9 <= ts <= t1 + 1e-9:
                f = 0.0 if t1 == t0 else min(1.0, max(0.0, (ts - t0) / (t1 - t0)))
                return (x0 + f * (x1 - x0), y0 + f * (y1 - y0))
        return (self.waypoints[0][1], self.waypoints[0][2])

    def is_hidden(self, ts: float) -> bool:
        return any(start - 1e-9 <= ts <= end + 1e-9 for start, end in self.hidden)


def still(track_id: int, x: float, y: float, start: float, end: float, **kw: Any) -> Walk:
    """Someone standing at (x, y) from `start` to `end`."""
    return Walk(track_id, [(start, x, y), (end, x, y)], **kw)


def zigzag(
    track_id: int, x: float, y_a: float, y_b: float, start: float, step_s: float, steps: int
) -> list[tuple[float, float, float]]:
    """Waypoints going back and forth between y_a and y_b at x, one leg per `step_s`."""
    return [(start + i * step_s, x, y_a if i % 2 == 0 else y_b) for i in range(steps + 1)]


class Scene:
    """Plays walks frame by frame as a tracker would present them (the first `tentative_frames` points of a track
    are tentative; history bounded to 64 points; ground points filled when the view has a ground plane)."""

    def __init__(self, view: CameraView, walks: Iterable[Walk], fps: float = 5.0, tentative_frames: int = 2) -> None:
        self.view = view
        self.walks = list(walks)
        self.fps = fps
        self.tentative_frames = tentative_frames
        self._tracks: dict[int, Track] = {}
        self._image = np.zeros((8, 8, 3), dtype=np.uint8)
        self._noise = {walk.track_id: random.Random(walk.seed * 7919 + walk.track_id) for walk in self.walks}

    def frame(self, ts: float) -> FrameContext:
        """The context of the frame at `ts` (frames must come in time order)."""
        live: list[Track] = []
        for walk in self.walks:
            foot = walk.foot(ts)
            if foot is None:
                self._tracks.pop(walk.track_id, None)
                continue
            track = self._tracks.get(walk.track_id)
            if walk.is_hidden(ts):
                if track is not None:
                    track.state = TrackState.LOST
                    live.append(track)
                continue
            noise = self._noise[walk.track_id]
            x = foot[0] + (noise.gauss(0.0, walk.jitter_px) if walk.jitter_px else 0.0)
            y = foot[1] + (noise.gauss(0.0, walk.jitter_px) if walk.jitter_px else 0.0)
            half = walk.height_px * 0.2
            box = Box(x - half, y - walk.height_px, x + half, y)
            ground = None if self.view.ground is None else self.view.ground.to_ground(x, y)
            point = TrackPoint(ts, box, ground)
            if track is None:
                track = Track(
                    id=walk.track_id,
                    label=walk.label,
                    score=walk.score,
                    state=TrackState.TENTATIVE,
                    first_seen=ts,
                    last_seen=ts,
                    hits=0,
                    low_confidence=walk.low_confidence,
                )
                self._tracks[walk.track_id] = track
            track.history.append(point)
            del track.history[:-64]
            track.hits += 1
            track.last_seen = ts
            track.state = TrackState.CONFIRMED if track.hits > self.tentative_frames else TrackState.TENTATIVE
            live.append(track)
        return FrameContext(ts, live, [], 0.0, self.view, self._image)

    def times(self, until: float, start: float = 0.0) -> list[float]:
        """The frame times from `start` to `until` included, at the scene's rate."""
        count = math.floor((until - start) * self.fps + 1e-6)
        return [start + i / self.fps for i in range(count + 1)]

    def play(self, analytic: Analytic, until: float, start: float = 0.0) -> list[AnalyticOutput]:
        """Every frame's output, from `start` to `until`."""
        return [analytic.update(self.frame(ts)) for ts in self.times(until, start)]


def events(outputs: Iterable[AnalyticOutput]) -> list[VideoEvent]:
    return [event for output in outputs for event in output.events]


def line_counts(outputs: Iterable[AnalyticOutput]) -> list[LineCount]:
    return [count for output in outputs for count in output.line_counts]


def totals(outputs: Iterable[AnalyticOutput], line: str) -> tuple[int, int]:
    """(inward, outward) summed over every count of `line`."""
    counts = [count for count in line_counts(outputs) if count.line == line]
    return (sum(c.inward for c in counts), sum(c.outward for c in counts))
