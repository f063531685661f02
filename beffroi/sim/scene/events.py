"""The events a scene's script makes, found from where everyone is on every frame: entries into forbidden zones,
long stays, excessive density, wrong-way crossings, falls and objects left behind."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from beffroi.sim.scene.motion import Person, Prop
from beffroi.sim.scene.places import GroundLine, GroundZone
from beffroi.sim.scene.truth import EventType, LineCrossing, SceneEvent

ATTENDED_WITHIN_M = 2.0
"""An object is attended while its owner stands within this distance of it."""
Mask = npt.NDArray[np.bool_]


def runs(mask: Mask) -> list[tuple[int, int]]:
    """(first, last + 1) index of each run of True in a 1-d mask."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(start), int(stop)) for start, stop in zip(edges[::2], edges[1::2], strict=True)]


def _end(ts: npt.NDArray[np.float64], stop: int) -> float | None:
    return float(ts[stop]) if stop < len(ts) else None


def zone_events(
    zone: GroundZone, inside: Mask, counts: npt.NDArray[np.int64], ts: npt.NDArray[np.float64], ids: Sequence[int]
) -> list[SceneEvent]:
    """A zone's events: each entry into a forbidden zone (camera_intrusion), each stay of at least
    `loiter_after_s` (loitering, from the entry), each period at or above `density_threshold` (crowd_density).
    `inside` is frames × people, `counts` the people in the zone on each frame."""
    events: list[SceneEvent] = []
    for column, person_id in enumerate(ids):
        for start, stop in runs(inside[:, column]):
            dwell = float(ts[min(stop, len(ts) - 1)] - ts[start])
            if zone.kind == "forbidden":
                events.append(
                    SceneEvent(
                        EventType.CAMERA_INTRUSION, float(ts[start]), _end(ts, stop), zone.name, None, (person_id,)
                    )
                )
            if zone.loiter_after_s is not None and dwell >= zone.loiter_after_s:
                details: dict[str, float | int | str] = {
                    "dwell_s": round(dwell, 2),
                    "loiter_after_s": zone.loiter_after_s,
                }
                events.append(
                    SceneEvent(
                        EventType.LOITERING,
                        float(ts[start]),
                        _end(ts, stop),
                        zone.name,
                        None,
                        (person_id,),
                        (),
                        details,
                    )
                )
    if zone.density_threshold is not None:
        area = zone.area_m2
        dense = counts / area >= zone.density_threshold
        for start, stop in runs(dense):
            peak = int(counts[start:stop].max())
            involved = tuple(int(ids[int(column)]) for column in np.flatnonzero(inside[start:stop].any(axis=0)))
            details = {
                "threshold_p_m2": zone.density_threshold,
                "peak_count": peak,
                "peak_density_p_m2": round(peak / area, 3),
                "area_m2": round(area, 3),
            }
            events.append(
                SceneEvent(
                    EventType.CROWD_DENSITY, float(ts[start]), _end(ts, stop), zone.name, None, involved, (), details
                )
            )
    return events


def wrong_way_events(line: GroundLine, crossings: Sequence[LineCrossing]) -> list[SceneEvent]:
    """A wrong_way event for each crossing of the line against its flow."""
    if line.flow is None:
        return []
    return [
        SceneEvent(
            EventType.WRONG_WAY,
            crossing.ts,
            None,
            None,
            line.name,
            (crossing.person_id,),
            details={"direction": crossing.direction, "flow": line.flow},
        )
        for crossing in crossings
        if crossing.line == line.name and crossing.direction != line.flow
    ]


def fall_events(people: Sequence[Person], zones: Sequence[GroundZone], duration_s: float) -> list[SceneEvent]:
    """A person_down event for each fall, from the moment the person starts falling until they start getting up
    (None: still down when the scene ends); the zone is the first one where they lie."""
    events = []
    for person in people:
        for start, end in person.route.fall_intervals():
            if start >= duration_s:
                continue
            where = person.route.sample(np.array([start]))
            zone = next((z.name for z in zones if bool(z.contains(where.xy[0]))), None)
            still = None if end is None or end >= duration_s else end
            down_s = (duration_s if still is None else still) - start
            events.append(
                SceneEvent(
                    EventType.PERSON_DOWN, start, still, zone, None, (person.id,), details={"down_s": round(down_s, 2)}
                )
            )
    return events


def abandoned_events(
    props: Sequence[Prop],
    ground: dict[int, tuple[float, float]],
    owner_xy: dict[int, npt.NDArray[np.float64]],
    owner_present: dict[int, Mask],
    zones: Sequence[GroundZone],
    ts: npt.NDArray[np.float64],
) -> list[SceneEvent]:
    """An abandoned_object event for each object whose owner goes away (beyond 2 m, or out of the scene) and does
    not come back before the scene ends; it starts when the object is put down, `unattended_ts` in the details
    says when the owner went away. An object whose owner stays near it is not abandoned."""
    events = []
    for prop in props:
        if prop.drop_ts >= ts[-1]:
            continue
        spot = np.array(ground[prop.id])
        distance = np.hypot(*(owner_xy[prop.id] - spot).T)
        attended = owner_present[prop.id] & (distance <= ATTENDED_WITHIN_M)
        after = ts >= prop.drop_ts
        if attended[after][-1]:
            continue
        last_attended = np.flatnonzero(attended & after)
        left_at = ts[last_attended[-1] + 1] if len(last_attended) else prop.drop_ts
        zone = next((z.name for z in zones if bool(z.contains(spot))), None)
        details: dict[str, float | int | str] = {"unattended_ts": round(float(left_at), 3), "kind": prop.kind}
        events.append(
            SceneEvent(
                EventType.ABANDONED_OBJECT, prop.drop_ts, None, zone, None, (prop.owner_id,), (prop.id,), details
            )
        )
    return events
