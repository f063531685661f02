"""Ready-made scenes, each a function of a seed (times, places, people and clothes change with it) and of the
picture's size, frame rate and duration; scripted times scale with the duration.

- plaza_scene: people crossing a paved plaza between pillars, a jogger, a group chatting; a cloud. No event.
- gate_scene: a flow through a gate line toward the camera ("in") and one person walking the other way (wrong_way).
- concourse_scene: a crowd filling a 12 m² zone up to 5 p/m² (crowd_density at 4 p/m²), then fleeing (crowd_movement).
- incidents_scene: a fall (person_down), a bag left behind (abandoned_object) and a box put down by someone who
  stays next to it (not an event), an entry into a restricted zone (camera_intrusion), a long stay (loitering).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from beffroi.sim.scene.backdrop import Lighting, Surroundings
from beffroi.sim.scene.camera import PinholeCamera
from beffroi.sim.scene.drawing import Fixture
from beffroi.sim.scene.motion import Prop, Route
from beffroi.sim.scene.places import GroundLine, GroundZone, rectangle
from beffroi.sim.scene.scene import Scene, SceneParts
from beffroi.sim.scene.truth import EventType, SceneEvent
from beffroi.sim.scene.walkers import Cast, Side, flee, offstage, passers_by, slots

PILLAR = (175, 178, 180)
BIN = (60, 80, 50)
POST = (40, 40, 45)
YELLOW = (40, 200, 235)


def _camera(width: int, height: int, height_m: float, tilt_deg: float) -> PinholeCamera:
    return PinholeCamera(width, height, height_m=height_m, tilt_deg=tilt_deg, focal_px=0.8 * width)


def _lighting(rng: np.random.Generator, duration_s: float) -> Lighting:
    cloud = float(rng.uniform(0.4, 0.6)) * duration_s
    return Lighting(
        drift=float(rng.uniform(0.03, 0.06)),
        drift_period_s=float(rng.uniform(40.0, 80.0)),
        drift_phase=float(rng.uniform(0.0, 6.28)),
        cloud_ts=cloud,
        cloud_gain=float(rng.uniform(0.65, 0.75)),
        cloud_end_ts=cloud + 0.3 * duration_s,
    )


def _jitter(rng: np.random.Generator, x: float, y: float, by: float = 0.5) -> tuple[float, float]:
    return (round(x + float(rng.uniform(-by, by)), 2), round(y + float(rng.uniform(-by, by)), 2))


def plaza_scene(
    seed: int = 0, *, width: int = 1280, height: int = 720, fps: float = 10.0, duration_s: float = 60.0
) -> Scene:
    """A plaza seen from 6 m up: passers-by, a jogger, a chatting group, pillars and bins, a passing cloud; a
    "plaza" zone and a "midline" line (no flow) for counts. No scripted event (a scene for false alarms)."""
    rng = np.random.default_rng(seed)
    camera = _camera(width, height, 6.0, 22.0)
    cast = Cast(rng)
    group_at = _jitter(rng, 2.5, 16.0, 1.0)
    leave_ts = float(rng.uniform(0.5, 0.8)) * duration_s
    for dx, dy, heading in ((-0.45, 0.0, 0.0), (0.45, 0.1, 180.0), (0.0, 0.5, 270.0)):
        route = Route(-1.0, (group_at[0] + dx, group_at[1] + dy), heading).stand_until(leave_ts)
        exit_x, exit_y = offstage(camera, "right", group_at[1] + 4 + dy)
        cast.add(route.go_to(exit_x, exit_y, float(rng.uniform(1.0, 1.3))))
    jog_ts = float(rng.uniform(0.2, 0.4)) * duration_s
    jog_y = float(rng.uniform(12.0, 20.0))
    start, end = offstage(camera, "left", jog_y), offstage(camera, "right", jog_y + 3.0)
    cast.add(Route(jog_ts, start).go_to(end[0], end[1], float(rng.uniform(3.0, 4.0))))
    passers_by(cast, camera, duration_s, 0.35, (9.0, 34.0))
    fixtures = [
        Fixture("pillar", _jitter(rng, -3.5, 13.0), (0.6, 0.6, 4.5), PILLAR),
        Fixture("pillar", _jitter(rng, 4.5, 20.0), (0.6, 0.6, 4.5), PILLAR),
        Fixture("pillar", _jitter(rng, -1.0, 28.0), (0.6, 0.6, 4.5), PILLAR),
        Fixture("bin", _jitter(rng, 5.0, 10.5, 0.3), (0.5, 0.5, 0.9), BIN),
        Fixture("bin", _jitter(rng, -7.0, 22.0), (0.5, 0.5, 0.9), BIN),
    ]
    parts = SceneParts(
        people=cast.people,
        fixtures=fixtures,
        zones=[GroundZone("plaza", rectangle(-5.0, 9.0, 5.0, 30.0), "area", density_threshold=4.0)],
        lines=[GroundLine("midline", (-7.0, 20.0), (7.0, 20.0), 14.0)],
        lighting=_lighting(rng, duration_s),
    )
    return Scene("plaza", seed, camera, parts, fps=fps, duration_s=duration_s, description=plaza_scene.__doc__ or "")


def gate_scene(
    seed: int = 0, *, width: int = 1280, height: int = 720, fps: float = 10.0, duration_s: float = 60.0
) -> Scene:
    """A gate seen from 5 m up. People come from the far side and walk through the "gate" line toward the camera:
    that is its "in" direction and its flow (a at the left, b at the right of the picture; crossing from the far
    side, above the line on the image, to the near side, below it, is from its left to its right). Halfway through,
    one person walks through the gate away from the camera: one wrong_way event."""
    rng = np.random.default_rng(seed)
    camera = _camera(width, height, 5.0, 24.0)
    cast = Cast(rng)
    gate_y, half = 13.0, 4.0
    wrong_ts = float(rng.uniform(0.4, 0.6)) * duration_s
    start = offstage(camera, "near", float(rng.uniform(-1.5, 1.5)))
    target_x = float(rng.uniform(-2.5, 2.5))
    walk = float(rng.uniform(1.1, 1.4))
    distance = float(np.hypot(target_x - start[0], gate_y - start[1]))
    route = Route(wrong_ts - distance / walk, start).go_to(target_x, gate_y + 8.0, walk)
    away: Side = "left" if rng.random() < 0.5 else "right"
    exit_x, exit_y = offstage(camera, away, gate_y + 14.0)
    cast.add(route.go_to(exit_x, exit_y, walk))
    count = rng.poisson(0.7 * (duration_s + 20.0))
    for _ in range(count):
        side: Side = "left" if rng.random() < 0.5 else "right"
        entry = offstage(camera, side, float(rng.uniform(22.0, 34.0)))
        funnel = (float(rng.uniform(-2.5, 2.5)), gate_y + float(rng.uniform(3.0, 5.0)))
        gate_x = float(np.clip(funnel[0] + rng.normal(0, 0.7), -half + 0.6, half - 0.6))
        leave = offstage(camera, "near", float(rng.uniform(-3.0, 3.0)))
        pace = float(rng.uniform(1.0, 1.5))
        length = float(np.hypot(*np.subtract(funnel, entry)) + np.hypot(*np.subtract(leave, funnel)))
        route = Route(float(rng.uniform(-length / pace, duration_s)), entry).go_to(*funnel, pace)
        cast.add(route.go_to(gate_x, gate_y - 1.0, pace).go_to(*leave, pace))
    gate = GroundLine("gate", (-half, gate_y), (half, gate_y), 2 * half, flow="in")
    fixtures = [
        Fixture("post", (-half - 0.2, gate_y), (0.2, 0.2, 1.1), POST),
        Fixture("post", (half + 0.2, gate_y), (0.2, 0.2, 1.1), POST),
        Fixture("bin", _jitter(rng, -6.5, 18.0), (0.5, 0.5, 0.9), BIN),
        Fixture("pillar", _jitter(rng, 6.0, 22.0), (0.6, 0.6, 4.5), PILLAR),
    ]
    parts = SceneParts(
        people=cast.people,
        fixtures=fixtures,
        zones=[
            GroundZone("approach", rectangle(-half, gate_y + 0.5, half, gate_y + 8.0), "gate"),
            GroundZone("exit", rectangle(-half, gate_y - 5.0, half, gate_y - 0.5), "area"),
        ],
        lines=[gate],
        surroundings=Surroundings(markings=(((-half, gate_y), (half, gate_y), YELLOW, 0.12),)),
        lighting=_lighting(rng, duration_s),
    )
    return Scene("gate", seed, camera, parts, fps=fps, duration_s=duration_s, description=gate_scene.__doc__ or "")


def concourse_scene(
    seed: int = 0, *, width: int = 1280, height: int = 720, fps: float = 10.0, duration_s: float = 90.0
) -> Scene:
    """A concourse seen from 7 m up. From 5 % of the duration to about half of it, people arrive and stand in the
    12 m² "crowd" zone until 5 p/m² (a crowd_density event from the frame it reaches 4 p/m²); at about 2/3 of
    the duration they all run off at 3–5 m/s away from one spot (a crowd_movement event)."""
    rng = np.random.default_rng(seed)
    camera = _camera(width, height, 7.0, 28.0)
    cast = Cast(rng)
    corner, size = (-2.0, 14.0), (4.0, 3.0)
    crowd_zone = GroundZone(
        "crowd", rectangle(corner[0], corner[1], corner[0] + size[0], corner[1] + size[1]), "crowd", 4.0
    )
    places = slots(rng, corner, size, round(5.0 * size[0] * size[1]))
    places.sort(key=lambda place: -place[1])
    first, last = 0.05 * duration_s, float(rng.uniform(0.45, 0.5)) * duration_s
    flight_ts = float(rng.uniform(0.62, 0.7)) * duration_s
    origin = (float(rng.uniform(-1.5, 1.5)), corner[1] + size[1] + 0.5)
    crowd = []
    for order, place in enumerate(places):
        arrive = first + (last - first) * (order + float(rng.uniform(0, 0.8))) / len(places)
        side: Side = "left" if rng.random() < 0.5 else "right"
        entry = offstage(camera, side, float(rng.uniform(place[1] + 1.0, place[1] + 8.0)))
        pace = float(rng.uniform(1.0, 1.4))
        route = Route(arrive - float(np.hypot(*np.subtract(place, entry))) / pace, entry).go_to(*place, pace)
        route.stand_until(flight_ts + float(rng.uniform(0.0, 0.6)))
        crowd.append(cast.add(flee(camera, route, origin, float(rng.uniform(3.0, 5.0)), 45.0)))
    passers_by(cast, camera, duration_s, 0.15, (9.0, 30.0), avoid=[crowd_zone.polygon])
    flight = SceneEvent(
        EventType.CROWD_MOVEMENT,
        flight_ts,
        max(person.route.end_ts for person in crowd),
        crowd_zone.name,
        None,
        tuple(person.id for person in crowd),
        details={"people": len(crowd), "origin_x_m": round(origin[0], 2), "origin_y_m": round(origin[1], 2)},
    )
    parts = SceneParts(
        people=cast.people,
        fixtures=[Fixture("pillar", _jitter(rng, 5.0, 12.0), (0.7, 0.7, 5.0), PILLAR)],
        zones=[crowd_zone, GroundZone("hall", rectangle(-6.0, 10.0, 6.0, 26.0), "area")],
        lighting=_lighting(rng, duration_s),
        extra_events=[flight],
    )
    description = concourse_scene.__doc__ or ""
    return Scene("concourse", seed, camera, parts, fps=fps, duration_s=duration_s, description=description)


def incidents_scene(
    seed: int = 0, *, width: int = 1280, height: int = 720, fps: float = 10.0, duration_s: float = 90.0
) -> Scene:
    """A square seen from 6 m up with passers-by and: a person who falls and stays down for 25–35 % of the
    duration (person_down); a person who puts a bag down and walks away (abandoned_object) and one who puts a box
    down and stays by it (no event); a person who walks into the "restricted" zone (camera_intrusion); a person who
    wanders in the "benches" zone for most of the scene (loitering, zone watched from 30 s)."""
    rng = np.random.default_rng(seed)
    camera = _camera(width, height, 6.0, 24.0)
    cast = Cast(rng)
    restricted = GroundZone("restricted", rectangle(3.5, 17.0, 7.5, 22.0), "forbidden")
    benches = GroundZone("benches", rectangle(-7.5, 12.0, -3.5, 17.0), "area", loiter_after_s=30.0)
    square = GroundZone("square", rectangle(-3.0, 9.0, 3.0, 26.0), "area")
    # The fall: walking across the picture, falling forward, getting up after a while.
    fall_ts = float(rng.uniform(0.12, 0.2)) * duration_s
    fall_at = _jitter(rng, 0.0, 13.5, 1.0)
    entry = offstage(camera, "left", fall_at[1])
    pace = float(rng.uniform(1.0, 1.3))
    route = Route(fall_ts - (fall_at[0] - entry[0]) / pace, entry).go_to(*fall_at, pace)
    route.fall(float(rng.uniform(0.25, 0.35)) * duration_s).rise()
    cast.add(route.go_to(*offstage(camera, "right", fall_at[1] + 2.0), 1.0))
    # The bag left behind, the box kept.
    props = []
    drop_ts = float(rng.uniform(0.25, 0.32)) * duration_s
    drop_at = _jitter(rng, 1.5, 19.5, 0.8)
    entry = offstage(camera, "near", drop_at[0] + float(rng.uniform(-1.0, 1.0)))
    owner = cast.add(
        Route(drop_ts - 1.0 - float(np.hypot(*np.subtract(drop_at, entry))) / 1.2, entry)
        .go_to(*drop_at, 1.2)
        .stand(2.0)
        .go_to(*offstage(camera, "left", drop_at[1] + 4.0), 1.3)
    )
    props.append(Prop(1001, "bag", owner.id, drop_ts, (0.45, 0.25, 0.35), (30, 30, 120)))
    keep_ts = float(rng.uniform(0.15, 0.25)) * duration_s
    keep_at = _jitter(rng, -1.5, 22.0, 0.8)
    entry = offstage(camera, "left", keep_at[1] - 2.0)
    keeper = cast.add(
        Route(keep_ts - 1.0 - float(np.hypot(*np.subtract(keep_at, entry))) / 1.1, entry)
        .go_to(*keep_at, 1.1)
        .stand_until(duration_s + 1.0)
    )
    props.append(Prop(1002, "box", keeper.id, keep_ts, (0.5, 0.4, 0.4), (60, 110, 150)))
    # The entry into the restricted zone.
    enter_ts = float(rng.uniform(0.45, 0.55)) * duration_s
    edge = (float(rng.uniform(4.5, 6.5)), 16.9)
    entry = offstage(camera, "right", 12.0)
    inside = (edge[0] + float(rng.uniform(-0.5, 0.5)), 19.0)
    route = Route(enter_ts - float(np.hypot(*np.subtract(edge, entry))) / 1.2, entry).go_to(*edge, 1.2)
    route.go_to(*inside, 1.0).stand(float(rng.uniform(3.0, 6.0)))
    cast.add(route.go_to(*offstage(camera, "right", 24.0), 1.3))
    # The loiterer.
    linger_ts = float(rng.uniform(0.05, 0.1)) * duration_s
    entry = offstage(camera, "left", 14.5)
    route = Route(linger_ts - float(np.hypot(-5.5 - entry[0], 0.0)) / 1.0, entry).go_to(-5.5, 14.5, 1.0)
    route.wander(rng, benches.polygon, float(rng.uniform(0.7, 0.8)) * duration_s, 0.5, (3.0, 10.0))
    cast.add(route.go_to(*offstage(camera, "left", 16.0), 1.1))
    passers_by(cast, camera, duration_s, 0.2, (9.0, 32.0), avoid=[restricted.polygon])
    fixtures = [
        Fixture("pillar", _jitter(rng, -2.0, 11.0, 0.3), (0.6, 0.6, 4.5), PILLAR),
        Fixture("bench", (-5.5, 15.5), (1.6, 0.5, 0.45), (50, 90, 130)),
        Fixture("post", (3.3, 16.8), (0.15, 0.15, 1.0), POST),
        Fixture("post", (7.7, 16.8), (0.15, 0.15, 1.0), POST),
    ]
    parts = SceneParts(
        people=cast.people,
        props=props,
        fixtures=fixtures,
        zones=[restricted, benches, square],
        lighting=_lighting(rng, duration_s),
    )
    description = incidents_scene.__doc__ or ""
    return Scene("incidents", seed, camera, parts, fps=fps, duration_s=duration_s, description=description)


SCENES: dict[str, Callable[..., Scene]] = {
    "plaza": plaza_scene,
    "gate": gate_scene,
    "concourse": concourse_scene,
    "incidents": incidents_scene,
}
"""The ready-made scenes by name; each takes (seed, *, width, height, fps, duration_s)."""
