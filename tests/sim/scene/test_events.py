"""The scripted events of the ready-made scenes: the right types, at the scripted times, matching the truth."""

from __future__ import annotations

import numpy as np
import pytest

from beffroi.sim.scene import (
    EventType,
    FrameTruth,
    SceneEvent,
    concourse_scene,
    gate_scene,
    incidents_scene,
    plaza_scene,
)

SMALL = {"width": 320, "height": 180}


def only(events: tuple[SceneEvent, ...], kind: EventType) -> SceneEvent:
    found = [event for event in events if event.type == kind]
    assert len(found) == 1, found
    return found[0]


def test_the_plaza_has_no_event() -> None:
    scene = plaza_scene(3, **SMALL)
    assert scene.events == ()
    assert scene.frame_count == 600


@pytest.mark.parametrize("seed", [0, 21])
def test_gate_one_person_walks_the_wrong_way(seed: int) -> None:
    scene = gate_scene(seed, **SMALL)
    event = only(scene.events, EventType.WRONG_WAY)
    assert event.line == "gate" and event.person_ids == (1,)
    assert 0.4 * scene.duration_s <= event.start_ts <= 0.6 * scene.duration_s + 0.2
    crossing = [c for c in scene.truth(round(event.start_ts * scene.fps)).crossings if c.person_id == 1]
    assert [c.direction for c in crossing] == ["out"]
    assert scene.lines[0].flow == "in"


def test_concourse_crowd_builds_up_then_flees() -> None:
    scene = concourse_scene(8, **SMALL)
    density = only(scene.events, EventType.CROWD_DENSITY)
    flight = only(scene.events, EventType.CROWD_MOVEMENT)
    zone = next(zone for zone in scene.zones if zone.name == "crowd")
    start = round(density.start_ts * scene.fps)
    assert scene.truth(start).zone_counts["crowd"] / zone.area_m2 >= 4.0
    assert scene.truth(start - 1).zone_counts["crowd"] / zone.area_m2 < 4.0
    assert density.details["peak_density_p_m2"] == 5.0
    assert density.start_ts < flight.start_ts
    assert density.end_ts is not None and flight.start_ts < density.end_ts < flight.start_ts + 3.0
    assert len(flight.person_ids) == 60
    before = scene.truth(round(flight.start_ts * scene.fps) - 5)
    after = scene.truth(round((flight.start_ts + 1.5) * scene.fps))
    assert sum(p.state == "running" for p in before.people) <= 1
    assert sum(p.state == "running" for p in after.people) >= 40


def test_incidents_happen_where_and_when_the_script_says() -> None:
    scene = incidents_scene(9, **SMALL)
    assert sorted(str(event.type) for event in scene.events) == [
        "abandoned_object",
        "camera_intrusion",
        "loitering",
        "person_down",
    ]

    def at(ts: float) -> FrameTruth:
        return scene.truth(round(ts * scene.fps))

    down = only(scene.events, EventType.PERSON_DOWN)
    assert 0.12 * scene.duration_s <= down.start_ts <= 0.2 * scene.duration_s
    assert down.end_ts is not None and down.end_ts - down.start_ts >= 0.25 * scene.duration_s
    assert at(down.start_ts - 1).person(down.person_ids[0]).state == "walking"  # type: ignore[union-attr]
    lying = at(down.start_ts + 2).person(down.person_ids[0])
    assert lying is not None and lying.state == "fallen"
    assert lying.full_box[2] - lying.full_box[0] > 2 * (lying.full_box[3] - lying.full_box[1])

    left = only(scene.events, EventType.ABANDONED_OBJECT)
    assert left.object_ids == (1001,)
    assert left.start_ts < float(left.details["unattended_ts"]) < left.start_ts + 5
    later = at(float(left.details["unattended_ts"]) + 1).objects
    assert [(o.id, o.attended) for o in later if o.id == 1001] == [(1001, False)]
    assert all(o.attended for o in later if o.id == 1002)  # the box put down by someone who stays: no event

    entry = only(scene.events, EventType.CAMERA_INTRUSION)
    restricted = next(zone for zone in scene.zones if zone.kind == "forbidden")
    assert entry.zone == restricted.name
    assert 0.44 * scene.duration_s <= entry.start_ts <= 0.56 * scene.duration_s
    intruder = at(entry.start_ts).person(entry.person_ids[0])
    assert intruder is not None and bool(restricted.contains(np.array(intruder.ground)))
    outside = at(entry.start_ts - 0.1).person(entry.person_ids[0])
    assert outside is not None and not bool(restricted.contains(np.array(outside.ground)))

    loiter = only(scene.events, EventType.LOITERING)
    assert loiter.zone == "benches" and float(loiter.details["dwell_s"]) >= 0.6 * scene.duration_s


def test_other_seeds_move_the_events() -> None:
    times = {seed: [event.start_ts for event in incidents_scene(seed, **SMALL).events] for seed in (1, 2, 3)}
    assert len({tuple(value) for value in times.values()}) == 3
