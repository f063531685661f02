"""Loitering: a confirmed track that stays in a listed zone for more than `dwell_s` raises one `loitering` event per
track and zone.

Loitering is NOT one of the eight event types of decree n° 2023-828: its legal basis is `outside_decree`, so the
analytic is refused at start-up unless the camera's `authorised` list names "outside_decree" explicitly (a camera
without an `authorised` list may run the decree's types only).

The stay survives short excursions: it ends when the track has been seen outside the zone for more than
`max_exit_s`. A lost track (occlusion, someone walking in front) keeps its stay for `handover_s`: if the tracker
finds it again the stay goes on, and if a new track appears where the lost one was last seen (within half a
person's height, plus half a height per second since, at a similar size) within that time, the new track carries
the stay on (the tracker often finds a person again under a new id). Position and size only: nothing about the
person's looks or identity is used or kept beyond the track.

Settings (`[analytics.loitering]`): `zones`, `labels` (default ["person"]), `dwell_s` (default 120),
`max_exit_s` (default 3.0), `handover_s` (default 3.0; 0: a new id starts a new stay).
Event details: `entered_at` (start of the stay), `dwell_s`, `label`, `low_confidence` and `confidence_factor` (the
confidence is the track's score, × 0.6 for a track from a fallback detector).
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

KIND = "loitering"
EVENT_TYPE = "loitering"


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
    handover_s: Annotated[float, Field(ge=0.0, le=60.0, allow_inf_nan=False)] = 3.0
    """A lost track's stay waits this long for the track, or a new one in its place, to carry it on."""


@dataclass(slots=True)
class _Stay:
    """One track's stay in one zone."""

    since: float | None = None
    outside_since: float | None = None
    alerted: bool = False


class Loitering(ZoneStayAnalytic[_Stay]):
    """Raises `loitering` once per track and zone when a confirmed track stays longer than `dwell_s`."""

    kind = KIND
    legal_basis = LegalBasis.OUTSIDE_DECREE

    def __init__(self, settings: LoiteringSettings, zones: list[CameraZone]) -> None:
        super().__init__(zones, settings.labels, settings.handover_s)
        self.settings = settings

    def _new_state(self) -> _Stay:
        return _Stay()

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

    def _event(self, ts: float, track: Track, zone: CameraZone, state: _Stay) -> VideoEvent:
        entered_at = state.since if state.since is not None else ts
        return stay_event(EVENT_TYPE, KIND, self.legal_basis, ts, track, zone, entered_at)


def build(settings: LoiteringSettings, view: CameraView) -> Loitering:
    """The analytic on a camera's view; ConfigError when a zone is not the camera's."""
    return Loitering(settings, zones_named(view, settings.zones))


register(KIND, LegalBasis.OUTSIDE_DECREE, LoiteringSettings, build)
