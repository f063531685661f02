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

from dataclasses import dataclass
from typing import Annotated

from pydantic import Field

from beffroi.config_base import Section
from beffroi.video.analytics.base import (
    CameraView,
    CameraZone,
    LegalBasis,
    VideoEvent,
    register,
)
from beffroi.video.analytics.zone_stays import TIME_TOLERANCE_S, ZoneStayAnalytic, stay_event, zones_named
from beffroi.video.detections import PERSON
from beffroi.video.tracks import Track

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


@dataclass(slots=True)
class _Entry:
    """One track's stay in one zone."""

    inside_since: float | None = None
    """Start of the current unbroken run of points inside; None while the last point was outside."""
    outside_since: float | None = None
    """First point outside since the last point inside; None while inside."""
    alerted: bool = False
    entered_at: float = 0.0


class ForbiddenZone(ZoneStayAnalytic[_Entry]):
    """Raises `camera_intrusion` when a confirmed track of a listed label stands in a listed zone."""

    kind = KIND
    legal_basis = LegalBasis.FORBIDDEN_ZONE

    def __init__(self, settings: ForbiddenZoneSettings, zones: list[CameraZone]) -> None:
        super().__init__(zones, settings.labels)
        self.settings = settings

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


def build(settings: ForbiddenZoneSettings, view: CameraView) -> ForbiddenZone:
    """The analytic on a camera's view; ConfigError when a zone is not the camera's."""
    return ForbiddenZone(settings, zones_named(view, settings.zones))


register(KIND, LegalBasis.FORBIDDEN_ZONE, ForbiddenZoneSettings, build)
