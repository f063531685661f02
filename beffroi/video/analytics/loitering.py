"""Loitering: a confirmed track that stays in a listed zone for more than `dwell_s` raises one `loitering` event per
track and zone.

Loitering is NOT one of the eight event types of decree n° 2023-828: its legal basis is `outside_decree`, so the
analytic is refused at start-up unless the camera's `authorised` list names "outside_decree" explicitly (a camera
without an `authorised` list may run the decree's types only).

The stay survives short excursions: it ends when the track has been seen outside the zone for more than
`max_exit_s`. A lost track (occlusion) keeps its stay for as long as the tracker keeps the track; a track the
tracker drops and finds again under a new id starts a new stay. Nothing about the person is kept beyond the track.

Settings (`[analytics.loitering]`): `zones`, `labels` (default ["person"]), `dwell_s` (default 120),
`max_exit_s` (default 3.0).
Event details: `entered_at` (start of the stay), `dwell_s`, `label`, `low_confidence` and `confidence_factor` (the
confidence is the track's score, × 0.6 for a track from a fallback detector).
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

KIND = "loitering"
EVENT_TYPE = "loitering"
LOW_CONFIDENCE_FACTOR = 0.6
"""A track from a fallback detector (scores that mean little) gets its score multiplied by this."""
TIME_TOLERANCE_S = 1e-6
"""Frame times are floats: a duration within this of a threshold counts as reaching it (5 × 0.2 s is 1 s)."""


class LoiteringSettings(Section):
    """Which zones are watched, for which labels, how long a stay must last, and how long an excursion may be."""

    zones: Annotated[list[str], Field(min_length=1)]
    """Names of the camera's zones watched."""
    labels: Annotated[tuple[str, ...], Field(min_length=1)] = (PERSON,)
    """The track labels watched ("person", "object")."""
    dwell_s: Annotated[float, Field(gt=0.0, allow_inf_nan=False)] = 120.0
    """A stay longer than this is loitering."""
    max_exit_s: Annotated[float, Field(ge=0.0, allow_inf_nan=False)] = 3.0
    """A stay survives the track being seen outside the zone for up to this long."""


@dataclass(slots=True)
class _Stay:
    """One track's stay in one zone."""

    since: float | None = None
    outside_since: float | None = None
    alerted: bool = False


@dataclass(slots=True)
class _TrackStays:
    last_ts: float = -math.inf
    stays: list[_Stay] = field(default_factory=list)


class Loitering:
    """Raises `loitering` once per track and zone when a confirmed track stays longer than `dwell_s`."""

    kind = KIND
    legal_basis = LegalBasis.OUTSIDE_DECREE

    def __init__(self, settings: LoiteringSettings, zones: list[CameraZone]) -> None:
        self.settings = settings
        self.zones = zones
        self._polygons = [shapely.Polygon(zone.polygon.exterior.coords) for zone in zones]
        for polygon in self._polygons:
            shapely.prepare(polygon)
        self._labels = frozenset(settings.labels)
        self._tracks: dict[int, _TrackStays] = {}

    def update(self, context: FrameContext) -> AnalyticOutput:
        """Follow each confirmed track's new points in and out of the zones; an event when a stay gets too long."""
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
                state = self._tracks[track.id] = _TrackStays(stays=[_Stay() for _ in self.zones])
            state.last_ts = point.ts
            for zone, stay, is_inside in zip(self.zones, state.stays, row, strict=True):
                if self._step(stay, point.ts, bool(is_inside)):
                    output.events.append(self._event(context.ts, track, zone, stay))
        return output

    def _step(self, stay: _Stay, ts: float, inside: bool) -> bool:
        """Advance one zone's stay by one point; True when this point makes the stay loitering."""
        if not inside:
            if stay.since is not None:
                if stay.outside_since is None:
                    stay.outside_since = ts
                if ts - stay.outside_since > self.settings.max_exit_s + TIME_TOLERANCE_S:
                    stay.since = stay.outside_since = None
            return False
        stay.outside_since = None
        if stay.since is None:
            stay.since = ts
        if stay.alerted or ts - stay.since <= self.settings.dwell_s + TIME_TOLERANCE_S:
            return False
        stay.alerted = True
        return True

    def _event(self, ts: float, track: Track, zone: CameraZone, stay: _Stay) -> VideoEvent:
        factor = LOW_CONFIDENCE_FACTOR if track.low_confidence else 1.0
        entered_at = stay.since if stay.since is not None else ts
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
                "entered_at": entered_at,
                "dwell_s": round(ts - entered_at, 3),
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


def build(settings: LoiteringSettings, view: CameraView) -> Loitering:
    """The analytic on a camera's view; ConfigError when a zone is not the camera's."""
    return Loitering(settings, _zones_named(view, settings.zones))


register(KIND, LegalBasis.OUTSIDE_DECREE, LoiteringSettings, build)
