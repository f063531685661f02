"""Person on the ground after a fall: a person whose box turns from upright (tall) to lying (wide) within `fall_s`,
its centre dropping, and who then stays down and roughly still for `down_s`. Bending or sitting (a box about as wide
as tall) does not count; getting up before `down_s` cancels, and getting up after an event re-arms."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated

import shapely
from pydantic import Field, ValidationInfo, field_validator

from beffroi.config_base import Section
from beffroi.video.analytics.base import AnalyticOutput, CameraView, FrameContext, LegalBasis, VideoEvent, register
from beffroi.video.analytics.people_in_zones import select_zones
from beffroi.video.detections import PERSON, Box
from beffroi.video.tracks import Track, TrackState

KIND = "person_down"
EVENT_TYPE = "person_down"

Aspect = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Fraction = Annotated[float, Field(gt=0, le=2, allow_inf_nan=False)]


class PersonDownSettings(Section):
    """Settings of the person-down analytic. Aspects are box height / width."""

    zones: list[str] | None = None
    """Only falls whose box's foot lies in these zones; None: anywhere in the frame."""
    upright_aspect: Aspect = 1.5
    lying_aspect: Aspect = 0.8
    getup_aspect: Annotated[float, Field(gt=0, allow_inf_nan=False, validate_default=True)] = 1.1
    """A fallen person whose box gets at least this tall again is up (or sitting up): the fall is over."""
    fall_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 3.0
    """Lying must follow the last upright sight within this time (a fall, not someone found lying)."""
    descend_fraction: Fraction = 0.15
    """The box centre must drop by this fraction of the upright height."""
    still_fraction: Fraction = 0.5
    """Down means roughly still: moving the centre more than this fraction of the upright height restarts the
    clock."""
    down_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 5.0
    lost_grace_s: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 3.0
    """A fallen person the tracker loses stays down while a detection overlaps the lying box at least every this
    long."""

    @field_validator("getup_aspect")
    @classmethod
    def _between_lying_and_upright(cls, getup: float, info: ValidationInfo) -> float:
        lying, upright = info.data.get("lying_aspect"), info.data.get("upright_aspect")
        if lying is not None and upright is not None and not lying < getup <= upright:
            raise ValueError(f"must be above lying_aspect ({lying:g}) and at most upright_aspect ({upright:g})")
        return getup


@dataclass(slots=True)
class _Fall:
    fell_at: float
    upright: Box
    box: Box
    anchor: tuple[float, float]
    still_since: float
    evidence_at: float
    low_confidence: bool
    reported: bool = False


@dataclass(slots=True)
class _Posture:
    upright_at: float | None = None
    upright: Box | None = None
    fall: _Fall | None = None


def _aspect(box: Box) -> float:
    return box.height / box.width if box.width > 0 else math.inf


class PersonDownWatch:
    """Follows the posture of each person track; raises `person_down` events."""

    kind = KIND
    legal_basis = LegalBasis.PERSON_ON_GROUND

    def __init__(self, settings: PersonDownSettings, view: CameraView) -> None:
        self.settings = settings
        self._zones = [(zone.name, zone.polygon) for zone in select_zones(view, settings.zones, KIND)]
        """The zones an event names (the first holding the foot): the watched ones, else every zone."""
        self._postures: dict[int, _Posture] = {}

    def update(self, context: FrameContext) -> AnalyticOutput:
        """Follow each person's posture; report those down for `down_s`."""
        ts = context.ts
        present: set[int] = set()
        for track in context.tracks:
            if track.label != PERSON or track.state is TrackState.TENTATIVE:
                continue
            present.add(track.id)
            posture = self._postures.setdefault(track.id, _Posture())
            if track.state is TrackState.CONFIRMED and track.last_seen >= ts - 1e-6:
                self._observe(posture, track, ts)
        output = AnalyticOutput()
        for track_id, posture in list(self._postures.items()):
            fall = posture.fall
            if fall is not None and fall.evidence_at < ts - 1e-6:
                self._look_for(fall, context, ts)
                if ts - fall.evidence_at > self.settings.lost_grace_s:
                    posture.fall = fall = None
            if fall is None:
                if track_id not in present:
                    del self._postures[track_id]
                continue
            event = self._judge(track_id, fall, ts)
            if event is not None:
                output.events.append(event)
        return output

    def _observe(self, posture: _Posture, track: Track, ts: float) -> None:
        settings = self.settings
        box = track.box
        aspect = _aspect(box)
        fall = posture.fall
        if fall is not None:
            if aspect >= settings.getup_aspect:
                posture.fall = fall = None
            else:
                fall.box, fall.evidence_at = box, ts
                centre = box.centre
                if math.dist(centre, fall.anchor) > settings.still_fraction * fall.upright.height:
                    fall.anchor, fall.still_since = centre, ts
        if aspect >= settings.upright_aspect:
            posture.upright_at, posture.upright = ts, box
        elif (
            fall is None
            and aspect <= settings.lying_aspect
            and posture.upright is not None
            and posture.upright_at is not None
            and ts - posture.upright_at <= settings.fall_s
            and box.centre[1] - posture.upright.centre[1] >= settings.descend_fraction * posture.upright.height
        ):
            posture.fall = _Fall(ts, posture.upright, box, box.centre, ts, ts, track.low_confidence)

    def _look_for(self, fall: _Fall, context: FrameContext, ts: float) -> None:
        """A lost fallen person is still there while a detection (of any label) overlaps the lying box."""
        overlaps = [d.box for d in context.detections if d.box.iou(fall.box) >= 0.3]
        if overlaps:
            fall.evidence_at = ts
            fall.box = max(overlaps, key=fall.box.iou)

    def _judge(self, track_id: int, fall: _Fall, ts: float) -> VideoEvent | None:
        if fall.reported or fall.evidence_at < ts - 1e-6 or ts - fall.still_since < self.settings.down_s - 1e-9:
            return None
        foot = fall.box.foot
        zone = next((name for name, polygon in self._zones if shapely.intersects_xy(polygon, *foot)), None)
        if zone is None and self.settings.zones is not None:
            return None
        fall.reported = True
        return VideoEvent(
            type=EVENT_TYPE,
            ts=ts,
            analytic=KIND,
            legal_basis=LegalBasis.PERSON_ON_GROUND,
            confidence=0.4 if fall.low_confidence else 0.7,
            track_ids=(track_id,),
            zone=zone,
            boxes=(fall.box,),
            details={
                "down_s": round(ts - fall.still_since, 2),
                "fell_at": fall.fell_at,
                "aspect": round(_aspect(fall.box), 2),
                "upright_aspect": round(_aspect(fall.upright), 2),
                "drop_px": round(fall.box.centre[1] - fall.upright.centre[1], 1),
            },
        )


def _build(settings: PersonDownSettings, view: CameraView) -> PersonDownWatch:
    return PersonDownWatch(settings, view)


register(KIND, LegalBasis.PERSON_ON_GROUND, PersonDownSettings, _build)
