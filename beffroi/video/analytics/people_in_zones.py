"""Who is in which zone of a frame: the people each zone holds (person tracks, or person detections where a dense
crowd merges people into few tracks, or the occupancy estimate where a crowd is too packed for either:
`beffroi.video.occupancy`), their speeds, and the zones an analytic names in its settings. Shared by the counting,
density and crowd-movement analytics."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely

from beffroi.errors import ConfigError
from beffroi.video.analytics.base import CameraView, CameraZone, FrameContext
from beffroi.video.detections import PERSON, Box
from beffroi.video.ground import GroundPlane
from beffroi.video.occupancy import (
    METHOD_DETECTIONS,
    METHOD_OCCUPANCY,
    OccupancyEstimator,
    OccupancySettings,
    ZoneOccupancy,
    flow_allows,
)
from beffroi.video.tracks import Track, TrackState

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

BODY_HEIGHT_M = 1.7
"""The height of a standing person, to turn pixels into metres from a box's height where there is no ground plane."""

SPEED_BASIS_GROUND = "ground_plane"
SPEED_BASIS_BODY = "body_height"
"""Speeds estimated as box heights per second × BODY_HEIGHT_M (no ground plane)."""


def select_zones(view: CameraView, names: Sequence[str] | None, kind: str) -> list[CameraZone]:
    """The camera zones named in an analytic's `zones` setting (every zone when None); ConfigError naming the key
    and the camera's zones when a name is unknown."""
    if names is None:
        return list(view.zones.values())
    unknown = [name for name in names if name not in view.zones]
    if unknown:
        known = ", ".join(sorted(view.zones)) or "none"
        raise ConfigError(
            f"analytics.{kind}", [f"zones: unknown zone {name!r} (the camera's zones: {known})" for name in unknown]
        )
    return [view.zones[name] for name in dict.fromkeys(names)]


def foot_points(boxes: Iterable[Box]) -> FloatArray:
    """The bottom centres of boxes (n × 2 pixels)."""
    points = [((b.x1 + b.x2) / 2, b.y2) for b in boxes]
    return np.array(points, dtype=np.float64).reshape(-1, 2)


def union_box(boxes: Iterable[Box]) -> Box | None:
    """The smallest box holding all of `boxes` (None when there are none)."""
    items = list(boxes)
    if not items:
        return None
    return Box(min(b.x1 for b in items), min(b.y1 for b in items), max(b.x2 for b in items), max(b.y2 for b in items))


def track_speeds(tracks: Sequence[Track], has_ground: bool) -> FloatArray:
    """Each track's speed in m/s: from its ground velocity with a ground plane, else estimated from its image velocity
    in box heights per second × BODY_HEIGHT_M (nan where the track has no usable velocity)."""
    if has_ground:
        nan = (np.nan, np.nan)
        ground = [nan if t.ground_velocity is None else t.ground_velocity for t in tracks]
        velocities = np.array(ground, dtype=np.float64).reshape(-1, 2)
        return np.asarray(np.hypot(velocities[:, 0], velocities[:, 1]), dtype=np.float64)
    velocities = np.array([t.velocity for t in tracks], dtype=np.float64).reshape(-1, 2)
    heights = np.array([t.box.height for t in tracks], dtype=np.float64)
    speeds = np.hypot(velocities[:, 0], velocities[:, 1]) * BODY_HEIGHT_M / np.where(heights > 0, heights, np.nan)
    return np.asarray(speeds, dtype=np.float64)


def inside(zone: shapely.Polygon, points: FloatArray) -> npt.NDArray[np.bool_]:
    """Which points (n × 2 pixels) lie in the zone's polygon, its edge included."""
    if len(points) == 0:
        return np.zeros(0, dtype=np.bool_)
    return np.asarray(shapely.intersects_xy(zone, points[:, 0], points[:, 1]), dtype=np.bool_)


@dataclass(frozen=True, slots=True)
class PeopleFrame:
    """The people of one frame: the person tracks that count (confirmed, or lost for at most the grace), their foot
    points and speeds (m/s, nan when unknown or the track is not confirmed), and the person detections' foot points."""

    tracks: list[Track]
    feet: FloatArray
    speeds: FloatArray
    detection_feet: FloatArray
    low_confidence: bool
    """True when most of the counted tracks and detections came from a fallback detector."""


@dataclass(frozen=True, slots=True)
class ZonePeople:
    """The people in one zone in one frame: `count` is the larger of the tracks and the person detections there
    (a dense crowd merges people into fewer tracks), or the occupancy estimate where the zone is dense and it is
    larger (`method` says which), and `members` the indices of its tracks in `PeopleFrame.tracks`."""

    zone: CameraZone
    count: int
    track_count: int
    detection_count: int
    members: IntArray
    method: str = METHOD_DETECTIONS
    occupancy: ZoneOccupancy | None = None

    def speeds(self, people: PeopleFrame) -> FloatArray:
        """The known speeds (m/s) of the zone's tracks."""
        speeds = people.speeds[self.members]
        return speeds[~np.isnan(speeds)]


class ZonePeopleCounter:
    """Counts the people in each of `zones` frame by frame; with `occupancy` settings (enabled) and the camera's
    ground plane, a dense zone's count comes from its occupancy where that is larger."""

    def __init__(
        self,
        zones: Sequence[CameraZone],
        *,
        lost_grace_s: float,
        use_detections: bool,
        ground: GroundPlane | None = None,
        occupancy: OccupancySettings | None = None,
    ) -> None:
        self.zones = list(zones)
        self.lost_grace_s = lost_grace_s
        self.use_detections = use_detections
        self.occupancy = occupancy
        self._estimator = (
            OccupancyEstimator(ground, [list(zone.polygon.exterior.coords)[:-1] for zone in self.zones], occupancy)
            if ground is not None and occupancy is not None and occupancy.enabled and self.zones
            else None
        )
        self._polygons = [shapely.from_wkb(shapely.to_wkb(zone.polygon)) for zone in self.zones]
        for polygon in self._polygons:
            shapely.prepare(polygon)

    def people(self, context: FrameContext) -> PeopleFrame:
        """The frame's countable person tracks and person detections."""
        tracks = [
            t
            for t in context.tracks
            if t.label == PERSON
            and (
                t.state is TrackState.CONFIRMED
                or (t.state is TrackState.LOST and context.ts - t.last_seen <= self.lost_grace_s)
            )
        ]
        confirmed = [t.state is TrackState.CONFIRMED for t in tracks]
        speeds = track_speeds(tracks, context.view.ground is not None)
        speeds[~np.array(confirmed, dtype=np.bool_)] = np.nan
        detections = [d for d in context.detections if d.label == PERSON] if self.use_detections else []
        low = sum(t.low_confidence for t in tracks) + sum(d.low_confidence for d in detections)
        return PeopleFrame(
            tracks=tracks,
            feet=foot_points(t.box for t in tracks),
            speeds=speeds,
            detection_feet=foot_points(d.box for d in detections),
            low_confidence=2 * low > len(tracks) + len(detections),
        )

    def count(self, context: FrameContext) -> tuple[PeopleFrame, list[ZonePeople]]:
        """The frame's people and, per zone in order, who is in it."""
        people = self.people(context)
        estimates: list[ZoneOccupancy | None] = [None] * len(self.zones)
        if self._estimator is not None and context.presence is not None:
            estimates = list(self._estimator.estimate(context.presence))
        counts = []
        for zone, polygon, estimate in zip(self.zones, self._polygons, estimates, strict=True):
            members = np.flatnonzero(inside(polygon, people.feet))
            detected = int(inside(polygon, people.detection_feet).sum())
            count, method = max(len(members), detected), METHOD_DETECTIONS
            if estimate is not None and self.occupancy is not None and estimate.cover >= self.occupancy.dense_cover:
                occupied = math.floor(estimate.people + 0.5)
                if occupied > count and self._flow_allows(estimate, zone, people, members):
                    count, method = occupied, METHOD_OCCUPANCY
            counts.append(ZonePeople(zone, count, len(members), detected, members, method, estimate))
        return people, counts

    @staticmethod
    def _flow_allows(estimate: ZoneOccupancy, zone: CameraZone, people: PeopleFrame, members: IntArray) -> bool:
        """Whether the zone's followed people walk slowly enough for the estimate's density (walkers that hide
        much ground are not a packed crowd: `beffroi.video.occupancy.flow_allows`)."""
        if not zone.area_m2:
            return True
        speeds = people.speeds[members]
        return flow_allows(estimate.people / zone.area_m2, [float(v) for v in speeds[~np.isnan(speeds)]])
