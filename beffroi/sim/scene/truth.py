"""The ground truth of a synthetic scene: per frame, every person and dropped object (box, ground position, state),
the true count in each zone and the line crossings; for the whole scene, the scripted events."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Literal

from beffroi.sim.scene.places import Direction, GroundXY

Box = tuple[float, float, float, float]
PersonState = Literal["walking", "running", "standing", "fallen"]
OCCLUDED_BELOW = 0.5
"""A thing is "mostly occluded" when less than this fraction of its box shows."""


class EventType(enum.StrEnum):
    """The event types of the scene scripts: the same words the video analytics use."""

    CAMERA_INTRUSION = "camera_intrusion"
    WRONG_WAY = "wrong_way"
    CROWD_DENSITY = "crowd_density"
    CROWD_MOVEMENT = "crowd_movement"
    PERSON_DOWN = "person_down"
    ABANDONED_OBJECT = "abandoned_object"
    LOITERING = "loitering"


@dataclass(frozen=True, slots=True)
class PersonTruth:
    """One person on one frame. `box` is the visible part in pixels (x1, y1, x2, y2), clipped to the image (None
    when nothing shows); `full_box` the whole figure, unclipped; `visible` the fraction of the figure's box that
    shows; `ground` the foot position in metres."""

    id: int
    box: Box | None
    full_box: Box
    visible: float
    occluded: bool
    ground: GroundXY
    state: PersonState
    height_m: float

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "id": self.id,
            "box": _box(self.box),
            "full_box": _box(self.full_box),
            "visible": round(self.visible, 3),
            "occluded": self.occluded,
            "ground": _xy(self.ground),
            "state": self.state,
            "height_m": self.height_m,
        }


@dataclass(frozen=True, slots=True)
class ObjectTruth:
    """An object on the ground (state "dropped") on one frame; `attended` while its owner is within 2 m."""

    id: int
    kind: str
    box: Box | None
    full_box: Box
    visible: float
    occluded: bool
    ground: GroundXY
    owner_id: int
    attended: bool
    state: str = "dropped"

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "id": self.id,
            "kind": self.kind,
            "box": _box(self.box),
            "full_box": _box(self.full_box),
            "visible": round(self.visible, 3),
            "occluded": self.occluded,
            "ground": _xy(self.ground),
            "owner_id": self.owner_id,
            "attended": self.attended,
            "state": self.state,
        }


@dataclass(frozen=True, slots=True)
class LineCrossing:
    """A person crossing a line between the previous frame and this one: "in" is from the line's left to its
    right looking from a to b on the image."""

    line: str
    person_id: int
    direction: Direction
    ts: float

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"line": self.line, "person_id": self.person_id, "direction": self.direction, "ts": round(self.ts, 3)}


@dataclass(frozen=True, slots=True)
class FrameTruth:
    """Everything true on one frame: people and dropped objects that show on it (at least partly in the picture),
    people per zone (all people whose feet are in it, hidden or not), crossings, and the light's gain."""

    index: int
    ts: float
    people: tuple[PersonTruth, ...]
    objects: tuple[ObjectTruth, ...]
    zone_counts: dict[str, int]
    crossings: tuple[LineCrossing, ...]
    light_gain: float

    def person(self, person_id: int) -> PersonTruth | None:
        """The person of that id on this frame, if they show."""
        return next((person for person in self.people if person.id == person_id), None)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "index": self.index,
            "ts": round(self.ts, 4),
            "people": [person.to_json() for person in self.people],
            "objects": [thing.to_json() for thing in self.objects],
            "zone_counts": self.zone_counts,
            "crossings": [crossing.to_json() for crossing in self.crossings],
            "light_gain": round(self.light_gain, 4),
        }


@dataclass(frozen=True, slots=True)
class SceneEvent:
    """A scripted event: its type, when it starts (and ends, None: still going when the scene ends), the zone or
    line, who and what is involved, and details (thresholds, peaks, the time an object was left alone…)."""

    type: EventType
    start_ts: float
    end_ts: float | None = None
    zone: str | None = None
    line: str | None = None
    person_ids: tuple[int, ...] = ()
    object_ids: tuple[int, ...] = ()
    details: dict[str, float | int | str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "type": str(self.type),
            "start_ts": round(self.start_ts, 3),
            "end_ts": None if self.end_ts is None else round(self.end_ts, 3),
            "zone": self.zone,
            "line": self.line,
            "person_ids": list(self.person_ids),
            "object_ids": list(self.object_ids),
            "details": self.details,
        }


def _box(box: Box | None) -> list[float] | None:
    return None if box is None else [round(value, 2) for value in box]


def _xy(point: GroundXY) -> list[float]:
    return [round(point[0], 3), round(point[1], 3)]
