"""Hand-built cameras, people, objects and frames for the crowd analytic tests (zone count, density, crowd movement,
person down, abandoned object): frames of 640 × 360 pixels over a flat ground plane of 32 pixels per metre, people
whose box stands on their foot point, and a loop that feeds timed frames to an analytic and gathers what it says."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from beffroi.video.analytics.base import (
    Analytic,
    AnalyticOutput,
    CameraView,
    FrameContext,
    VideoEvent,
    ZoneCount,
    build_analytics,
)
from beffroi.video.camera import CameraConfig
from beffroi.video.detections import PERSON, Box, Detection
from beffroi.video.tracks import Track, TrackPoint, TrackState

WIDTH, HEIGHT = 640, 360
PX_PER_M = 32.0
"""The test ground plane: 640 × 360 pixels cover 20 × 11.25 m, seen from straight above."""
GROUND: dict[str, Any] = {
    "image_points": [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)],
    "ground_points": [(0.0, 0.0), (20.0, 0.0), (20.0, 11.25), (0.0, 11.25)],
}
BODY_PX = 1.7 * PX_PER_M
"""The box height of a standing person, 1.7 m at the ground plane's scale (54.4 px)."""
FPS = 5.0
_IMAGE = np.zeros((HEIGHT, WIDTH, 3), dtype=np.uint8)


def rect(x1: float, y1: float, x2: float, y2: float) -> list[tuple[float, float]]:
    """A rectangle zone given in pixels, as the normalised polygon a camera config holds."""
    return [(x1 / WIDTH, y1 / HEIGHT), (x2 / WIDTH, y1 / HEIGHT), (x2 / WIDTH, y2 / HEIGHT), (x1 / WIDTH, y2 / HEIGHT)]


def camera(
    analytics: dict[str, dict[str, Any]],
    *,
    zones: dict[str, list[tuple[float, float]]] | None = None,
    areas: dict[str, float] | None = None,
    ground: bool = True,
    authorised: list[str] | None = None,
) -> CameraConfig:
    """Camera "cam-1" with those zones (normalised polygons; `areas` overrides their m²) running those analytics."""
    areas = areas or {}
    return CameraConfig.model_validate(
        {
            "id": "cam-1",
            "source": "clip.mp4",
            "zones": [
                {"name": name, "polygon": polygon, "area_m2": areas.get(name)}
                for name, polygon in (zones or {}).items()
            ],
            "analytics": analytics,
            "authorised": authorised,
            "ground": GROUND if ground else None,
        }
    )


def build_one(config: CameraConfig) -> tuple[Analytic, CameraView]:
    """The camera's one analytic built through the registry (legal-basis gate and settings checks included)."""
    view = CameraView.build(config, WIDTH, HEIGHT)
    (analytic,) = build_analytics(view)
    return analytic, view


@dataclass(frozen=True)
class Person:
    """A person (or an object with `label`) standing on foot point (x, y) px with velocity (vx, vy) px/s."""

    id: int
    x: float
    y: float
    vx: float = 0.0
    vy: float = 0.0
    height: float = BODY_PX
    width: float = 20.0
    state: TrackState = TrackState.CONFIRMED
    label: str = PERSON
    low_confidence: bool = False
    last_seen: float | None = None
    """When the tracker last matched it (None: this frame)."""

    @property
    def box(self) -> Box:
        return Box(self.x - self.width / 2, self.y - self.height, self.x + self.width / 2, self.y)

    def moved(self, **changes: Any) -> Person:
        """A copy with some fields changed."""
        return replace(self, **changes)

    def track(self, ts: float, view: CameraView) -> Track:
        """The tracker's view of this person at `ts`."""
        last_seen = ts if self.last_seen is None else self.last_seen
        ground = ground_velocity = None
        if view.ground is not None:  # the test plane GROUND: a plain scale
            ground = (self.x / PX_PER_M, self.y / PX_PER_M)
            ground_velocity = (self.vx / PX_PER_M, self.vy / PX_PER_M)
        return Track(
            id=self.id,
            label=self.label,
            score=0.9,
            state=self.state,
            first_seen=0.0,
            last_seen=last_seen,
            hits=10,
            history=[TrackPoint(last_seen, self.box, ground)],
            velocity=(self.vx, self.vy),
            ground_velocity=ground_velocity,
            low_confidence=self.low_confidence,
        )


def detection(box: Box, label: str = PERSON, low_confidence: bool = False) -> Detection:
    """A detection of `label`."""
    return Detection(box, 0.8, label, low_confidence)


def object_box(x: float, y: float, width: float = 20.0, height: float = 16.0) -> Box:
    """The box of a bag standing on (x, y)."""
    return Box(x - width / 2, y - height, x + width / 2, y)


def grid(n: int, x1: float, y1: float, x2: float, y2: float, first_id: int = 1) -> list[Person]:
    """`n` standing people spread on a grid over the pixel rectangle (feet inside it)."""
    columns = int(np.ceil(np.sqrt(n * (x2 - x1) / (y2 - y1))))
    rows = int(np.ceil(n / columns))
    xs = np.linspace(x1, x2, columns + 2)[1:-1]
    ys = np.linspace(y1, y2, rows + 2)[1:-1]
    return [Person(first_id + i, float(xs[i % columns]), float(ys[i // columns])) for i in range(n)]


def with_speed(people: Iterable[Person], vx_m_s: float, vy_m_s: float = 0.0) -> list[Person]:
    """The same people moving at (vx, vy) m/s."""
    return [p.moved(vx=vx_m_s * PX_PER_M, vy=vy_m_s * PX_PER_M) for p in people]


def context(
    view: CameraView, ts: float, people: Iterable[Person], detections: Iterable[Detection] = ()
) -> FrameContext:
    """One analysed frame holding those people as tracks and those detections."""
    return FrameContext(
        ts=ts,
        tracks=[p.track(ts, view) for p in people],
        detections=list(detections),
        motion_fraction=0.1,
        view=view,
        image=_IMAGE,
    )


def times(start: float, end: float, fps: float = FPS) -> list[float]:
    """Frame times from `start` to `end` inclusive."""
    return [round(start + i / fps, 6) for i in range(round((end - start) * fps) + 1)]


Scene = Callable[[float], tuple[list[Person], list[Detection]]]


@dataclass
class Played:
    """What an analytic said over a played scene."""

    events: list[VideoEvent]
    zone_counts: list[ZoneCount]


def play(analytic: Analytic, view: CameraView, scene: Scene, start: float, end: float, fps: float = FPS) -> Played:
    """Feed the scene's frames from `start` to `end` to the analytic."""
    played = Played([], [])
    for ts in times(start, end, fps):
        people, detections = scene(ts)
        output: AnalyticOutput = analytic.update(context(view, ts, people, detections))
        played.events += output.events
        played.zone_counts += output.zone_counts
    return played


def people_only(scene: Callable[[float], list[Person]]) -> Scene:
    """A scene of people without separate detections."""
    return lambda ts: (scene(ts), [])
