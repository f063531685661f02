"""Entry into a forbidden or sensitive zone (decree n° 2023-828): a confirmed track whose foot stays inside a listed
zone for `min_dwell_s` raises one `camera_intrusion` event for that entry.

A foot that flickers over the zone's edge for less than `min_dwell_s` raises nothing. An entry lasts until the track
has been seen outside the zone for more than `rearm_s`: coming back sooner is the same entry, coming back later is
a new one with a new event. A lost track (occlusion) keeps its entry until the tracker drops it.

One event per intrusion episode: a tracker may lose an intruder and follow them on under a new id (they stood
still, something hid them). A new track that starts within `join_s` of the time a track of an open episode of the
zone vanished (lost, or dropped) and within `join_m` of where it was in its last `TRAIL_S` seconds (a track about
to be lost often drifts off its person; on the ground, without a ground plane `join_m` / 1.7 of its box heights)
continues that episode and raises nothing. An episode ends once no
watched track has stood in the zone for `episode_end_s`. Two intruders are two episodes: the second does not
start where the first vanished (the first has not; they may meet later: where a track starts is what counts).

Settings (`[analytics.forbidden_zone]`): `zones` (names of the camera's zones), `labels` (default ["person"]),
`min_dwell_s` (default 1.0), `rearm_s` (default 10.0), `join_s` (default 5.0), `join_m` (default 2.0),
`episode_end_s` (default 5.0).
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
from beffroi.video.analytics.base import (
    AnalyticOutput,
    CameraView,
    CameraZone,
    FrameContext,
    LegalBasis,
    VideoEvent,
    register,
)
from beffroi.video.analytics.zone_stays import (
    TIME_TOLERANCE_S,
    ZoneStayAnalytic,
    points_after,
    stay_event,
    zones_named,
)
from beffroi.video.detections import PERSON
from beffroi.video.tracks import Track, TrackPoint, TrackState

KIND = "forbidden_zone"
EVENT_TYPE = "camera_intrusion"
"""The type the correlation engine already knows (a forced door + a camera intrusion is a break-in)."""


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
    join_s: Annotated[float, Field(ge=0.0, le=60.0, allow_inf_nan=False)] = 5.0
    """A new track starting this soon after a track of an open episode vanished (the tracker may lose someone who
    stands still for seconds) may continue that episode…"""
    join_m: Annotated[float, Field(ge=0.0, le=20.0, allow_inf_nan=False)] = 2.0
    """…if it starts this close (metres on the ground) to where that track was last seen."""
    episode_end_s: Annotated[float, Field(ge=0.0, le=600.0, allow_inf_nan=False)] = 5.0
    """An episode ends once no watched track has stood in its zone for this long."""


TRAIL_S = 2.0
"""The points of a vanished track this close to its last one are where it may be taken up again."""
BODY_HEIGHT_M = 1.7
"""Without a ground plane, distances are in box heights of the episode's track × this."""


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
class _Episode:
    """One intrusion of one zone: the tracks it is about with their points of the last `TRAIL_S` seconds they were
    seen, which of them vanished (lost, or dropped), and when a watched track last stood inside."""

    zone: str
    last_inside: float
    last_seen: dict[int, list[TrackPoint]] = field(default_factory=dict)
    vanished: set[int] = field(default_factory=set)


class ForbiddenZone(ZoneStayAnalytic[_Entry]):
    """Raises `camera_intrusion` when a confirmed track of a listed label stands in a listed zone."""

    kind = KIND
    legal_basis = LegalBasis.FORBIDDEN_ZONE

    def __init__(self, settings: ForbiddenZoneSettings, zones: list[CameraZone]) -> None:
        super().__init__(zones, settings.labels)
        self.settings = settings
        self._episodes: list[_Episode] = []
        self._zone_shapes = {zone.name: shapely.Polygon(zone.polygon.exterior.coords) for zone in zones}
        for shape in self._zone_shapes.values():
            shapely.prepare(shape)

    def update(self, context: FrameContext) -> AnalyticOutput:
        """The entries of this frame (see `ZoneStayAnalytic`), less those that continue an open episode."""
        output = super().update(context)
        self._follow_episodes(context)
        kept = []
        for event in output.events:
            if self._opens_episode(event, context):
                kept.append(event)
        output.events = kept
        return output

    def _new_state(self) -> _Entry:
        return _Entry()

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

    def _event(self, ts: float, track: Track, zone: CameraZone, state: _Entry) -> VideoEvent:
        return stay_event(EVENT_TYPE, KIND, self.legal_basis, ts, track, zone, state.entered_at)

    def _follow_episodes(self, context: FrameContext) -> None:
        """Note where each episode's tracks were last seen and which vanished, and whether each zone still holds a
        watched track; close the episodes whose zone has been empty for `episode_end_s`."""
        ts = context.ts
        live = {track.id: track for track in context.tracks}
        watched = [
            track
            for track in context.tracks
            if track.label in self._labels and track.state is TrackState.CONFIRMED and track.history
        ]
        feet = np.array([track.box.foot for track in watched], dtype=np.float64).reshape(-1, 2)
        for episode in self._episodes:
            shape = self._zone_shapes[episode.zone]
            if len(feet) and bool(shapely.contains_xy(shape, feet[:, 0], feet[:, 1]).any()):
                episode.last_inside = ts
            for track_id in episode.last_seen:
                track = live.get(track_id)
                if track is None or track.state is TrackState.LOST or not track.history:
                    episode.vanished.add(track_id)
                else:
                    episode.last_seen[track_id] = _trail(track)
                    episode.vanished.discard(track_id)
        end = self.settings.episode_end_s + TIME_TOLERANCE_S
        self._episodes = [episode for episode in self._episodes if ts - episode.last_inside <= end]

    def _opens_episode(self, event: VideoEvent, context: FrameContext) -> bool:
        """Whether an entry starts a new episode (and opens it); False when its track belongs to an open episode of
        the zone, or continues one where a track of it vanished (it joins it)."""
        assert event.zone is not None
        track = next(track for track in context.tracks if track.id == event.track_ids[0])
        for episode in self._episodes:
            if episode.zone != event.zone:
                continue
            if track.id in episode.last_seen or self._continues(episode, track):
                episode.last_seen[track.id] = _trail(track)
                episode.last_inside = context.ts
                return False
        self._episodes.append(_Episode(event.zone, context.ts, {track.id: _trail(track)}))
        return True

    def _continues(self, episode: _Episode, track: Track) -> bool:
        """Whether `track` starts within `join_s` of the time a track of the episode vanished, and within `join_m`
        of a point of its trail."""
        start = track.history[0]
        settings = self.settings
        for trail in (episode.last_seen[track_id] for track_id in episode.vanished):
            if abs(start.ts - trail[-1].ts) > settings.join_s + TIME_TOLERANCE_S:
                continue
            for point in trail:
                if point.ground is not None and start.ground is not None:
                    distance, limit = math.dist(point.ground, start.ground), settings.join_m
                else:
                    limit = settings.join_m / BODY_HEIGHT_M * max(point.box.height, 1.0)
                    distance = math.dist(point.box.foot, start.box.foot)
                if distance <= limit:
                    return True
        return False


def _trail(track: Track) -> list[TrackPoint]:
    """The track's points of the last `TRAIL_S` seconds it was seen (at least its last one)."""
    return points_after(track, track.history[-1].ts - TRAIL_S - TIME_TOLERANCE_S)


def build(settings: ForbiddenZoneSettings, view: CameraView) -> ForbiddenZone:
    """The analytic on a camera's view; ConfigError when a zone is not the camera's."""
    return ForbiddenZone(settings, zones_named(view, settings.zones))


register(KIND, LegalBasis.FORBIDDEN_ZONE, ForbiddenZoneSettings, build)
