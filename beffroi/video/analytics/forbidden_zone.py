"""Entry into a forbidden or sensitive zone (decree n° 2023-828): a confirmed track whose foot stays inside a listed
zone for `min_dwell_s` raises one `camera_intrusion` event for that entry.

A foot that flickers over the zone's edge for less than `min_dwell_s` raises nothing. An entry lasts until the track
has been seen outside the zone for more than `rearm_s`: coming back sooner is the same entry, coming back later is
a new one with a new event. A lost track (occlusion) keeps its entry until the tracker drops it.

Settings (`[analytics.forbidden_zone]`): `zones` (names of the camera's zones), `labels` (default ["person"]),
`min_dwell_s` (default 1.0), `rearm_s` (default 10.0).
Event details: `entered_at` (time of the first point of the stay inside), `dwell_s`, `label`, `low_confidence` (the
track comes from a fallback detector; the confidence is then the track's score × 0.6) and `confidence_factor`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Annotated

import numpy as np
import shapely
from pydantic import Field

from beffroi.config_base import Section
from beffroi.errors import ConfigError
from beffroi.video.analytics.base import (
    AnalyticOutput,
    CameraView,
    CameraZone,
    FrameContext,
    LegalBasis,
    VideoEvent,
    register,
)
from beffroi.video.detections import PERSON
from beffroi.video.tracks import Track, TrackPoint, TrackState

KIND = "forbidden_zone"
EVENT_TYPE = "camera_intrusion"
"""The type the correlation engine already knows (a forced door + a camera intrusion is a break-in)."""
LOW_CONFIDENCE_FACTOR = 0.6
"""A track from a fallback detector (scores that mean little) gets its score multiplied by this."""
TIME_TOLERANCE_S = 1e-6
"""Frame times are floats: a duration within this of a threshold counts as reaching it (5 × 0.2 s is 1 s)."""


class ForbiddenZoneSettings(Section):
    """Which zones are forbidden, for which labels, and how long a foot must stay inside to count as an entry."""

    zones: Annotated[list[str], Field(min_length=1)]
    """Names of the camera's zones that are forbidden."""
    labels: Annotated[tuple[str, ...], Field(min_length=1)] = (PERSON,)
    """The track labels watched ("person", "object")."""
    min_dwell_s: Annotated[float, Field(ge=0.0, le=60.0, allow_inf_nan=False)] = 1.0
    """How long the foot must stay inside without a break (a flicker over the edge is not an entry)."""
    rearm_s: Annotated[float, Field(ge=0.0, allow_inf_nan=False)] = 10.0
    """How long the track must be seen outside for its next entry to raise a new event."""


@dataclass(slots=True)
class _Entry:
    """One track's stay in one zone."""

    inside_since: float | None = None
    """Start of the current unbroken run of points inside; None while the last point was outside."""
    outside_since: float | None = None
    """First point outside since the last point inside; None while inside."""
    alerted: bool = False
    entered_at: float = 0.0


@dataclass(slots=True)
class _TrackEntries:
    last_ts: float = -math.inf
    entries: list[_Entry] = field(default_factory=list)


class ForbiddenZone:
    """Raises `camera_intrusion` when a confirmed track of a listed label stands in a listed zone."""

    kind = KIND
    legal_basis = LegalBasis.FORBIDDEN_ZONE

    def __init__(self, settings: ForbiddenZoneSettings, zones: list[CameraZone]) -> None:
        self.settings = settings
        self.zones = zones
        self._polygons = [shapely.Polygon(zone.polygon.exterior.coords) for zone in zones]
        for polygon in self._polygons:
            shapely.prepare(polygon)
        self._labels = frozenset(settings.labels)
        self._tracks: dict[int, _TrackEntries] = {}

    def update(self, context: FrameContext) -> AnalyticOutput:
        """Follow each confirmed track's new points in and out of the zones; an event per qualifying entry."""
        live = {track.id for track in context.tracks}
        for gone in self._tracks.keys() - live:
            del self._tracks[gone]
        owners: list[Track] = []
        points: list[TrackPoint] = []
        for track in context.tracks:
            if track.state is not TrackState.CONFIRMED or track.label not in self._labels:
                continue
            state = self._tracks.get(track.id)
            fresh = _points_after(track, state.last_ts if state else -math.inf)
            owners += [track] * len(fresh)
            points += fresh
        output = AnalyticOutput()
        if not points:
            return output
        feet = np.array([point.box.foot for point in points], dtype=np.float64)
        inside = np.stack([shapely.contains_xy(p, feet[:, 0], feet[:, 1]) for p in self._polygons], axis=1)
        for track, point, row in zip(owners, points, inside, strict=True):
            state = self._tracks.get(track.id)
            if state is None:
                state = self._tracks[track.id] = _TrackEntries(entries=[_Entry() for _ in self.zones])
            state.last_ts = point.ts
            for zone, entry, is_inside in zip(self.zones, state.entries, row, strict=True):
                if self._step(entry, point.ts, bool(is_inside)):
                    output.events.append(self._event(context.ts, track, zone, entry))
        return output

    def _step(self, entry: _Entry, ts: float, inside: bool) -> bool:
        """Advance one zone's entry by one point; True when this point makes the entry an intrusion."""
        if not inside:
            entry.inside_since = None
            if entry.outside_since is None:
                entry.outside_since = ts
            if entry.alerted and ts - entry.outside_since > self.settings.rearm_s + TIME_TOLERANCE_S:
                entry.alerted = False
            return False
        entry.outside_since = None
        if entry.inside_since is None:
            entry.inside_since = ts
        if entry.alerted or ts - entry.inside_since < self.settings.min_dwell_s - TIME_TOLERANCE_S:
            return False
        entry.alerted = True
        entry.entered_at = entry.inside_since
        return True

    def _event(self, ts: float, track: Track, zone: CameraZone, entry: _Entry) -> VideoEvent:
        factor = LOW_CONFIDENCE_FACTOR if track.low_confidence else 1.0
        return VideoEvent(
            type=EVENT_TYPE,
            ts=ts,
            analytic=KIND,
            legal_basis=self.legal_basis,
            confidence=min(1.0, max(0.0, track.score * factor)),
            track_ids=(track.id,),
            zone=zone.name,
            boxes=(track.box,),
            details={
                "entered_at": entry.entered_at,
                "dwell_s": round(ts - entry.entered_at, 3),
                "label": track.label,
                "low_confidence": track.low_confidence,
                "confidence_factor": factor,
            },
        )


def _points_after(track: Track, after: float) -> list[TrackPoint]:
    """The track's history points newer than `after`, oldest first."""
    start = len(track.history)
    while start > 0 and track.history[start - 1].ts > after:
        start -= 1
    return track.history[start:]


def _zones_named(view: CameraView, names: list[str], key: str = "zones") -> list[CameraZone]:
    """The camera's zones of those names; ConfigError naming `key` for each name the camera lacks."""
    names = list(dict.fromkeys(names))
    missing = [name for name in names if name not in view.zones]
    if missing:
        camera = view.camera.id
        raise ConfigError(f"camera {camera}", [f"{key}: no zone {name!r} on camera {camera}" for name in missing])
    return [view.zones[name] for name in names]


def build(settings: ForbiddenZoneSettings, view: CameraView) -> ForbiddenZone:
    """The analytic on a camera's view; ConfigError when a zone is not the camera's."""
    return ForbiddenZone(settings, _zones_named(view, settings.zones))


register(KIND, LegalBasis.FORBIDDEN_ZONE, ForbiddenZoneSettings, build)
