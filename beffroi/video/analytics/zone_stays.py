"""What the analytics that follow tracks in and out of zones share: the track points not seen yet, the camera's
zones by name, one state per (track, zone) advanced point by point with the zones tested for all points at once
(optionally handed over to the track that takes the place of a lost one), and the event of a track in a zone (its
confidence lowered for a fallback detector's track)."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import numpy as np
import shapely

from beffroi.errors import ConfigError
from beffroi.video.analytics.base import AnalyticOutput, CameraView, CameraZone, FrameContext, LegalBasis, VideoEvent
from beffroi.video.analytics.track_handover import Handover
from beffroi.video.tracks import Track, TrackPoint, TrackState

LOW_CONFIDENCE_FACTOR = 0.6
"""A track from a fallback detector (scores that mean little) gets its score multiplied by this."""
TIME_TOLERANCE_S = 1e-6
"""Frame times are floats: a duration within this of a threshold counts as reaching it (5 × 0.2 s is 1 s)."""

StateT = TypeVar("StateT")


def points_after(track: Track, after: float) -> list[TrackPoint]:
    """The track's history points newer than `after`, oldest first."""
    start = len(track.history)
    while start > 0 and track.history[start - 1].ts > after:
        start -= 1
    return track.history[start:]


def zones_named(view: CameraView, names: Sequence[str], key: str = "zones") -> list[CameraZone]:
    """The camera's zones of those names; ConfigError naming `key` for each name the camera lacks."""
    unique = list(dict.fromkeys(names))
    missing = [name for name in unique if name not in view.zones]
    if missing:
        camera = view.camera.id
        raise ConfigError(f"camera {camera}", [f"{key}: no zone {name!r} on camera {camera}" for name in missing])
    return [view.zones[name] for name in unique]


def stay_event(
    event_type: str,
    kind: str,
    legal_basis: LegalBasis,
    ts: float,
    track: Track,
    zone: CameraZone,
    entered_at: float,
) -> VideoEvent:
    """The event of a track in a zone since `entered_at`."""
    factor = LOW_CONFIDENCE_FACTOR if track.low_confidence else 1.0
    return VideoEvent(
        type=event_type,
        ts=ts,
        analytic=kind,
        legal_basis=legal_basis,
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


@dataclass(slots=True)
class _TrackStates(Generic[StateT]):
    last_ts: float = -math.inf
    per_zone: list[StateT] = field(default_factory=list)


class ZoneStayAnalytic(ABC, Generic[StateT]):
    """Follows each confirmed track of the watched labels point by point in and out of the zones; subclasses say
    what a point does to a (track, zone) state and which event it raises. A track that leaves the frame is
    forgotten; a lost one keeps its state until the tracker drops it. With `handover_s` > 0, the states of a lost
    track wait that long in a handover instead: the track gets them back if the tracker finds it again, or a new
    track that appears where it was last seen takes them over (see `track_handover`)."""

    kind: str
    legal_basis: LegalBasis

    def __init__(
        self,
        zones: list[CameraZone],
        labels: Sequence[str],
        handover_s: float = 0.0,
    ) -> None:
        self.zones = zones
        self._polygons = [shapely.Polygon(zone.polygon.exterior.coords) for zone in zones]
        for polygon in self._polygons:
            shapely.prepare(polygon)
        self._labels = frozenset(labels)
        self._tracks: dict[int, _TrackStates[StateT]] = {}
        self._handover: Handover[_TrackStates[StateT]] | None = Handover(handover_s) if handover_s > 0 else None

    @abstractmethod
    def _new_state(self) -> StateT:
        """The state of a track in a zone it has not been seen in yet."""

    @abstractmethod
    def _step(self, state: StateT, ts: float, inside: bool) -> bool:
        """Advance one (track, zone) state by one point; True when this point raises the event."""

    @abstractmethod
    def _event(self, ts: float, track: Track, zone: CameraZone, state: StateT) -> VideoEvent:
        """The event raised for the track in the zone."""

    def update(self, context: FrameContext) -> AnalyticOutput:
        """Advance every watched track's states with its new points; the events they raise."""
        live = {track.id for track in context.tracks}
        for gone in self._tracks.keys() - live:
            del self._tracks[gone]
        owners: list[Track] = []
        points: list[TrackPoint] = []
        for track in context.tracks:
            if track.label not in self._labels:
                continue
            if track.state is not TrackState.CONFIRMED:
                if track.state is TrackState.LOST and self._handover is not None and track.id in self._tracks:
                    self._handover.leave(track.id, self._tracks.pop(track.id), track.box, track.last_seen)
                continue
            known = self._tracks.get(track.id) or self._taken_over(track)
            fresh = points_after(track, known.last_ts if known else -math.inf)
            owners += [track] * len(fresh)
            points += fresh
        output = AnalyticOutput()
        if not points:
            return output
        feet = np.array([point.box.foot for point in points], dtype=np.float64)
        inside = np.stack([shapely.contains_xy(p, feet[:, 0], feet[:, 1]) for p in self._polygons], axis=1)
        for track, point, row in zip(owners, points, inside, strict=True):
            states = self._tracks.get(track.id)
            if states is None:
                states = self._tracks[track.id] = _TrackStates(per_zone=[self._new_state() for _ in self.zones])
            states.last_ts = point.ts
            for zone, state, is_inside in zip(self.zones, states.per_zone, row, strict=True):
                if self._step(state, point.ts, bool(is_inside)):
                    output.events.append(self._event(context.ts, track, zone, state))
        return output

    def _taken_over(self, track: Track) -> _TrackStates[StateT] | None:
        """The states a confirmed track the analytic does not follow yet gets from the handover: its own (found
        again), or those of a lost track whose place it takes (from its first point on)."""
        taken = self._handover.take_over(track) if self._handover is not None else None
        if taken is None:
            return None
        states, claimed = taken
        if claimed:
            states = _TrackStates(track.history[0].ts - TIME_TOLERANCE_S, states.per_zone)
        self._tracks[track.id] = states
        return states
