"""Person on the ground after a fall: a person whose box turns from upright (tall) to lying (wide and low: its top
comes down near the ground) within `fall_s`, its centre dropping, and who then stays down and roughly still for
`down_s`. Bending or sitting (a box about as wide as tall) does not count, nor a box that only widens (a group
seen as one blob); getting up before `down_s` cancels, and getting up after an event re-arms. Postures are judged
on the median aspect of the track's last `smooth_points` boxes, so a box that jumps for one frame (a detection
merged with a passer-by's) neither starts nor ends a fall. A fall reported and still seen is not reported again
when the tracker finds the person lying there under a new id."""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass, field
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
    low_fraction: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 0.6
    """Lying, the box is at most this fraction of the upright height high (a body on the ground, not a box that
    only got wider)."""
    smooth_points: Annotated[int, Field(ge=1, le=15)] = 3
    """Postures are judged on the median aspect of this many last boxes of the track (1: each box as is)."""
    still_fraction: Fraction = 0.5
    """Down means roughly still: moving the centre more than this fraction of the upright height restarts the
    clock."""
    down_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 5.0
    lost_grace_s: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 3.0
    """A fallen person the tracker loses stays down while a detection still lying (less tall than `getup_aspect`)
    overlaps the lying box at least every this long."""

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
    aspects: deque[float] = field(default_factory=deque)
    """The aspects of the track's last boxes (bounded by `smooth_points`)."""
    upright_at: float | None = None
    upright: Box | None = None
    fall: _Fall | None = None


_SAME_PLACE_IOU = 0.3
"""A fall whose box overlaps a reported fall's this much is the same person down (found again under a new id)."""
_HIDDEN_COVER = 0.8
"""A detection covering this fraction of a lost fallen person's box shows them hidden behind someone, still there."""


def _aspect(box: Box) -> float:
    return box.height / box.width if box.width > 0 else math.inf


def _covered(box: Box, by: Box) -> float:
    """The fraction of `box` that `by` covers."""
    width = min(box.x2, by.x2) - max(box.x1, by.x1)
    height = min(box.y2, by.y2) - max(box.y1, by.y1)
    return max(width, 0.0) * max(height, 0.0) / box.area if box.area > 0 else 0.0


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
            posture = self._postures.get(track.id)
            if posture is None:
                posture = self._postures[track.id] = _Posture(deque(maxlen=self.settings.smooth_points))
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
        posture.aspects.append(aspect)
        steady = statistics.median(posture.aspects)
        fall = posture.fall
        if fall is not None:
            if steady >= settings.getup_aspect:
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
            and max(aspect, steady) <= settings.lying_aspect
            and posture.upright is not None
            and posture.upright_at is not None
            and ts - posture.upright_at <= settings.fall_s
            and box.height <= settings.low_fraction * posture.upright.height
            and box.centre[1] - posture.upright.centre[1] >= settings.descend_fraction * posture.upright.height
        ):
            posture.fall = _Fall(ts, posture.upright, box, box.centre, ts, ts, track.low_confidence)

    def _look_for(self, fall: _Fall, context: FrameContext, ts: float) -> None:
        """A lost fallen person is still there while a detection (of any label) still lying overlaps the lying box,
        or one covers nearly all of it (someone passing in front, seen as one blob with the body). Someone standing
        there, narrower than the body, is not evidence."""
        getup = self.settings.getup_aspect
        overlaps = [d.box for d in context.detections if _aspect(d.box) < getup and d.box.iou(fall.box) >= 0.3]
        if overlaps:
            fall.evidence_at = ts
            fall.box = max(overlaps, key=fall.box.iou)
        elif any(_covered(fall.box, d.box) >= _HIDDEN_COVER for d in context.detections):
            fall.evidence_at = ts

    def _already_down_there(self, track_id: int, fall: _Fall) -> bool:
        """Whether another track's fall, reported and still seen, lies where this one does."""
        return any(
            other.fall is not None and other.fall.reported and other.fall.box.iou(fall.box) >= _SAME_PLACE_IOU
            for other_id, other in self._postures.items()
            if other_id != track_id
        )

    def _judge(self, track_id: int, fall: _Fall, ts: float) -> VideoEvent | None:
        if fall.reported or fall.evidence_at < ts - 1e-6 or ts - fall.still_since < self.settings.down_s - 1e-9:
            return None
        if self._already_down_there(track_id, fall):
            fall.reported = True  # the same person under a new track id (lost, then found lying): one event
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
