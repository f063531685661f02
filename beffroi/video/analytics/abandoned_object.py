"""Abandoned object: an object that has stayed in place (within a few pixels) for `static_s`, with nobody within
`owner_radius_m` for `unattended_s`. The person nearest to it when it was put down is reported as its owner. Objects
already in place during the first `background_after_s` of analysis (bins, fixtures) are part of the scene."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Annotated

import numpy as np
import numpy.typing as npt
import shapely
from pydantic import Field

from beffroi.config_base import Section
from beffroi.domain.observations import AttributeValue
from beffroi.video.analytics.base import AnalyticOutput, CameraView, FrameContext, LegalBasis, VideoEvent, register
from beffroi.video.analytics.people_in_zones import (
    BODY_HEIGHT_M,
    FloatArray,
    select_zones,
    track_speeds,
)
from beffroi.video.detections import OBJECT, PERSON, Box
from beffroi.video.tracks import Track, TrackState

KIND = "abandoned_object"
EVENT_TYPE = "abandoned_object"

BoolArray = npt.NDArray[np.bool_]
Seconds = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Metres = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class AbandonedObjectSettings(Section):
    """Settings of the abandoned-object analytic."""

    zones: list[str] | None = None
    """Only objects whose foot lies in these zones; None: anywhere in the frame."""
    static_s: Seconds = 10.0
    """An object is static once in place this long."""
    static_px: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 6.0
    static_fraction: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] = 0.1
    """In place: its centre within the larger of `static_px` and this fraction of its larger side."""
    unattended_s: Seconds = 60.0
    owner_radius_m: Metres = 2.0
    """Someone this close attends the object (metres; without a ground plane, scaled by each person's box height
    as 1.7 m)."""
    attending_max_speed_m_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = 1.0
    """A tracked person faster than this only passes by and attends nothing; None: everyone close attends."""
    max_gap_s: Seconds = 3.0
    """An object seen in place again after longer unseen starts its clock again (keep above the detector's
    whole-frame period, so a still object the motion gate skips keeps its clock)."""
    forget_s: Seconds = 10.0
    """An object unseen this long is gone."""
    background_after_s: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 10.0
    """Objects in place within this long of the start of analysis are part of the scene while they stay put."""


@dataclass(slots=True)
class _Object:
    id: int
    box: Box
    static_since: float
    last_seen: float
    attended_at: float
    owner: int | None
    track_id: int | None
    low_confidence: bool
    scenery: bool
    zone: str | None
    """The first watched zone holding its foot (None: outside them all, or no zone)."""
    reported: bool = False


def _boxes(boxes: list[Box]) -> FloatArray:
    return np.array([(b.x1, b.y1, b.x2, b.y2) for b in boxes], dtype=np.float64).reshape(-1, 4)


def _iou(a: FloatArray, b: FloatArray) -> FloatArray:
    """Intersection over union of every box of `a` with every box of `b` (len(a) × len(b))."""
    w = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    h = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = w * h
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def _centres(boxes: FloatArray) -> FloatArray:
    return np.stack([(boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2], axis=1)


@dataclass(frozen=True, slots=True)
class _People:
    """The people who may attend objects, person tracks seen now then person detections: their boxes and feet (px),
    ground points (m, with a ground plane), scale (px per metre from the box height), track ids, and whether each
    track is slow enough to attend (detections: True)."""

    boxes: FloatArray
    feet: FloatArray
    ground: FloatArray | None
    px_per_m: FloatArray
    track_ids: list[int | None]
    attending: BoolArray
    tracked: int
    """How many of them are tracks (the first ones)."""

    def attend(self, near: BoolArray) -> bool:
        """Whether someone among `near` attends: a slow track, or a detection that no track covers (a detection of
        a passer-by is covered by the passer-by's track)."""
        if near[: self.tracked][self.attending[: self.tracked]].any():
            return True
        detections = self.tracked + np.flatnonzero(near[self.tracked :])
        if len(detections) == 0:
            return False
        covered = (_iou(self.boxes[detections], self.boxes[: self.tracked]) >= 0.5).any(axis=1)
        return not bool(covered.all())


class AbandonedObjectWatch:
    """Follows the objects that stay in place and who is near them; raises `abandoned_object` events."""

    kind = KIND
    legal_basis = LegalBasis.ABANDONED_OBJECT

    def __init__(self, settings: AbandonedObjectSettings, view: CameraView) -> None:
        self.settings = settings
        self.view = view
        self._zones = [(zone.name, zone.polygon) for zone in select_zones(view, settings.zones, KIND)]
        self._objects: list[_Object] = []
        self._ids = itertools.count(1)
        self._start: float | None = None

    def update(self, context: FrameContext) -> AnalyticOutput:
        """Match this frame's objects to the known ones, follow who attends them, report the abandoned ones."""
        ts = context.ts
        if self._start is None:
            self._start = ts
        self._match(context, ts)
        self._objects = [o for o in self._objects if ts - o.last_seen <= self.settings.forget_s]
        anywhere = self.settings.zones is None
        watched = [o for o in self._objects if not o.scenery and not o.reported and (anywhere or o.zone)]
        output = AnalyticOutput()
        if not watched:
            return output
        people = self._people(context)
        for obj in watched:
            near, _ = self._near(obj.box, people)
            if people.attend(near):
                obj.attended_at = ts
            event = self._judge(obj, ts)
            if event is not None:
                output.events.append(event)
        return output

    def _observations(self, context: FrameContext) -> list[tuple[Box, int | None, bool]]:
        """The objects seen now: object tracks updated this frame, then object detections that no earlier one
        already covers."""
        ts = context.ts
        seen: list[tuple[Box, int | None, bool]] = [
            (t.box, t.id, t.low_confidence)
            for t in context.tracks
            if t.label == OBJECT and t.last_seen >= ts - 1e-6 and t.state is not TrackState.LOST
        ]
        seen += [(d.box, None, d.low_confidence) for d in context.detections if d.label == OBJECT]
        if len(seen) < 2:
            return seen
        overlap = _iou(_boxes([box for box, _, _ in seen]), _boxes([box for box, _, _ in seen]))
        return [item for i, item in enumerate(seen) if not (overlap[i, :i] >= 0.5).any()]

    def _match(self, context: FrameContext, ts: float) -> None:
        """Static match (centre within tolerance of the object's place) first; else an overlapping or same-track
        object not matched in place has moved (its clock restarts); else a new object. An object seen in place again
        after more than `max_gap_s` unseen restarts its clock too (something else may have come there)."""
        seen = self._observations(context)
        if not seen:
            return
        assert self._start is not None
        boxes = _boxes([box for box, _, _ in seen])
        known = _boxes([o.box for o in self._objects])
        centres, known_centres = _centres(boxes), _centres(known)
        distance = np.hypot(*(centres[:, None, :] - known_centres[None, :, :]).transpose(2, 0, 1))
        sides = np.maximum(known[:, 2] - known[:, 0], known[:, 3] - known[:, 1])
        tolerance = np.maximum(self.settings.static_px, self.settings.static_fraction * sides)
        in_place = distance <= tolerance[None, :]
        matched = in_place.any(axis=0)
        overlap = _iou(boxes, known)
        people: _People | None = None
        existing = list(self._objects)  # new objects of this frame are appended to self._objects as they come
        for i, (box, track_id, low) in enumerate(seen):
            if in_place[i].any():
                obj = existing[int(np.argmin(np.where(in_place[i], distance[i], np.inf)))]
                back = ts - obj.last_seen > self.settings.max_gap_s
                obj.last_seen = ts
                obj.track_id = obj.track_id if track_id is None else track_id
                if back and not obj.reported:
                    people = people or self._people(context)
                    obj.static_since, obj.attended_at, obj.owner = ts, ts, self._owner(obj.box, people)
                continue
            same = [
                j
                for j, other in enumerate(existing)
                if not matched[j] and (overlap[i, j] >= 0.1 or (track_id is not None and other.track_id == track_id))
            ]
            people = people or self._people(context)
            owner = self._owner(box, people)
            scenery = ts - self._start < self.settings.background_after_s
            if same:
                obj = existing[max(same, key=lambda j: overlap[i, j])]
                obj.box, obj.static_since, obj.last_seen, obj.attended_at = box, ts, ts, ts
                obj.owner, obj.scenery, obj.reported, obj.zone = owner, scenery, False, self._zone_of(box)
                obj.track_id = obj.track_id if track_id is None else track_id
            else:
                zone = self._zone_of(box)
                self._objects.append(_Object(next(self._ids), box, ts, ts, ts, owner, track_id, low, scenery, zone))

    def _zone_of(self, box: Box) -> str | None:
        foot = box.foot
        return next((name for name, polygon in self._zones if shapely.intersects_xy(polygon, *foot)), None)

    def _people(self, context: FrameContext) -> _People:
        """Person tracks seen now, then person detections."""
        ts = context.ts
        tracks: list[Track] = [
            t
            for t in context.tracks
            if t.label == PERSON and t.last_seen >= ts - 1e-6 and t.state is not TrackState.LOST
        ]
        boxes = _boxes([t.box for t in tracks] + [d.box for d in context.detections if d.label == PERSON])
        speeds = track_speeds(tracks, self.view.ground is not None)
        limit = self.settings.attending_max_speed_m_s
        attending = np.ones(len(boxes), dtype=np.bool_)
        if limit is not None:
            attending[: len(tracks)] = ~(speeds > limit)
        feet = np.stack([(boxes[:, 0] + boxes[:, 2]) / 2, boxes[:, 3]], axis=1)
        ground = None if self.view.ground is None else self.view.ground.to_ground_many(feet)
        px_per_m = np.maximum(boxes[:, 3] - boxes[:, 1], 1.0) / BODY_HEIGHT_M
        ids: list[int | None] = [t.id for t in tracks]
        ids += [None] * (len(boxes) - len(tracks))
        return _People(boxes, feet, ground, px_per_m, ids, attending, len(tracks))

    def _near(self, box: Box, people: _People) -> tuple[BoolArray, FloatArray]:
        """Who is within the owner radius of the object, and everyone's distance to it (metres, estimated without a
        ground plane)."""
        foot = np.array([box.foot], dtype=np.float64)
        if people.ground is not None and self.view.ground is not None:
            where = self.view.ground.to_ground_many(foot)[0]
            distance = np.hypot(*(people.ground - where).T)
        else:
            distance = np.hypot(*(people.feet - foot[0]).T) / people.px_per_m
        return distance <= self.settings.owner_radius_m, distance

    def _owner(self, box: Box, people: _People) -> int | None:
        """The tracked person nearest the object when it was put down (within three owner radii)."""
        if not people.track_ids:
            return None
        _, distance = self._near(box, people)
        tracked = np.array([track_id is not None for track_id in people.track_ids], dtype=np.bool_)
        distance = np.where(tracked, distance, np.inf)
        nearest = int(np.argmin(distance))
        return people.track_ids[nearest] if distance[nearest] <= 3 * self.settings.owner_radius_m else None

    def _judge(self, obj: _Object, ts: float) -> VideoEvent | None:
        settings = self.settings
        static = ts - obj.static_since
        unattended = ts - obj.attended_at
        if static < settings.static_s - 1e-9 or unattended < settings.unattended_s - 1e-9:
            return None
        obj.reported = True
        details: dict[str, AttributeValue] = {
            "static_s": round(static, 2),
            "unattended_s": round(unattended, 2),
            "owner_track_id": obj.owner,
            "object_track_id": obj.track_id,
        }
        return VideoEvent(
            type=EVENT_TYPE,
            ts=ts,
            analytic=KIND,
            legal_basis=LegalBasis.ABANDONED_OBJECT,
            confidence=0.4 if obj.low_confidence else 0.6,
            track_ids=tuple(i for i in (obj.track_id, obj.owner) if i is not None),
            zone=obj.zone,
            boxes=(obj.box,),
            details=details,
        )


def _build(settings: AbandonedObjectSettings, view: CameraView) -> AbandonedObjectWatch:
    return AbandonedObjectWatch(settings, view)


register(KIND, LegalBasis.ABANDONED_OBJECT, AbandonedObjectSettings, _build)
