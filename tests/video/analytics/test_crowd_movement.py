"""Crowd movement: a walking crowd that starts running (and not one runner, nor too few people), a crowd that turns
back, a crowd that scatters from a point, the cooldown, zones, speeds from box heights without a ground plane, and
the settings and legal-basis checks."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import beffroi.video.analytics.crowd_movement  # noqa: F401  (registers the analytic)
from beffroi.errors import ConfigError
from beffroi.video.analytics.base import Analytic, CameraView, LegalBasis, registered
from beffroi.video.analytics.crowd_movement import dispersal
from tests.video.analytics.crowd_builders import (
    BODY_PX,
    PX_PER_M,
    Person,
    build_one,
    camera,
    grid,
    people_only,
    play,
    rect,
    with_speed,
)

ZONES = {"left": rect(0, 0, 320, 360), "right": rect(320, 0, 640, 360)}
CROWD = grid(20, 40, 60, 600, 340)


def watch(settings: dict[str, Any] | None = None, *, ground: bool = True) -> tuple[Analytic, CameraView]:
    return build_one(camera({"crowd_movement": settings or {}}, zones=ZONES, ground=ground))


def phases(*steps: tuple[float, list[Person]]) -> Any:
    """A scene showing each step's people from its start time."""
    return people_only(lambda ts: next(people for start, people in reversed(steps) if ts >= start))


def test_a_walking_crowd_that_starts_running_raises_one_event() -> None:
    analytic, view = watch()
    walking, running = with_speed(CROWD, 1.3), with_speed(CROWD, 3.5)
    played = play(analytic, view, phases((0, walking), (20, running)), 0.0, 45.0)
    (event,) = played.events
    assert event.type == "crowd_movement" and event.legal_basis is LegalBasis.CROWD_MOVEMENT
    assert 20.0 <= event.ts <= 20.6
    assert event.zone is None
    details = event.details
    assert details["kind"] == "running" and details["kinds"] == "running"
    assert details["people"] == 20
    assert details["speed_m_s"] == pytest.approx(3.5, abs=0.01)
    assert details["baseline_speed_m_s"] == pytest.approx(1.3, abs=0.01)
    assert details["speed_basis"] == "ground_plane"
    assert sorted(event.track_ids) == [p.id for p in CROWD]
    assert (event.boxes[0].x1, event.boxes[0].x2) == (100.0, 540.0)  # the crowd's feet span 110 to 530 px


def test_a_walking_crowd_one_runner_and_four_runners_raise_nothing() -> None:
    analytic, view = watch()
    walking = with_speed(CROWD, 1.3)
    assert play(analytic, view, phases((0, walking)), 0.0, 40.0).events == []
    analytic, view = watch()
    one_runner = [walking[0].moved(vx=5.0 * PX_PER_M), *walking[1:]]
    assert play(analytic, view, phases((0, walking), (20, one_runner)), 0.0, 40.0).events == []
    analytic, view = watch()
    four = with_speed(CROWD[:4], 1.3)
    assert play(analytic, view, phases((0, four), (20, with_speed(four, 4.0))), 0.0, 40.0).events == []


def test_a_slow_crowd_tripling_its_speed_runs_even_below_the_running_speed() -> None:
    analytic, view = watch()
    played = play(analytic, view, phases((0, with_speed(CROWD, 0.6)), (20, with_speed(CROWD, 2.0))), 0.0, 30.0)
    (event,) = played.events
    assert event.details["kind"] == "running"
    assert event.details["baseline_speed_m_s"] == pytest.approx(0.6, abs=0.01)


def test_a_crowd_turning_back_is_a_direction_change() -> None:
    analytic, view = watch()
    played = play(analytic, view, phases((0, with_speed(CROWD, 1.3)), (20, with_speed(CROWD, -1.3))), 0.0, 40.0)
    (event,) = played.events
    assert event.details["kind"] == "direction_change"
    assert event.details["turn_deg"] == pytest.approx(180.0)
    assert 20.0 <= event.ts <= 21.0


def test_a_gentle_turn_and_two_opposite_streams_are_no_change() -> None:
    analytic, view = watch()
    turned = [p.moved(vx=1.3 * PX_PER_M * math.cos(1.0), vy=1.3 * PX_PER_M * math.sin(1.0)) for p in CROWD]
    assert play(analytic, view, phases((0, with_speed(CROWD, 1.3)), (20, turned)), 0.0, 40.0).events == []
    analytic, view = watch()
    streams = [p.moved(vx=(1 if p.id % 2 else -1) * 1.3 * PX_PER_M) for p in CROWD]
    swapped = [p.moved(vx=-p.vx) for p in streams]
    assert play(analytic, view, phases((0, streams), (20, swapped)), 0.0, 40.0).events == []


def radial(centre: tuple[float, float], speed_m_s: float, ts: float, since: float) -> list[Person]:
    """The crowd moving straight away from `centre` at `speed_m_s` since `since`."""
    moved = []
    for p in CROWD:
        dx, dy = p.x - centre[0], p.y - centre[1]
        norm = math.hypot(dx, dy)
        vx, vy = dx / norm * speed_m_s * PX_PER_M, dy / norm * speed_m_s * PX_PER_M
        moved.append(p.moved(x=p.x + vx * (ts - since), y=p.y + vy * (ts - since), vx=vx, vy=vy))
    return moved


def test_a_crowd_scattering_from_a_point_is_a_dispersal() -> None:
    analytic, view = watch()
    centre = (330.0, 190.0)
    scene = people_only(lambda ts: CROWD if ts < 20 else radial(centre, 2.0, ts, 20.0))
    (event,) = play(analytic, view, scene, 0.0, 40.0).events
    assert 20.0 <= event.ts <= 20.6
    assert event.details["kind"] == "dispersal"
    assert event.details["kinds"] == "dispersal,running"
    assert event.details["dispersal_score"] == pytest.approx(1.0)
    assert event.details["centre_x"] == pytest.approx(centre[0], abs=1.0)
    assert event.details["centre_y"] == pytest.approx(centre[1], abs=1.0)


def test_people_hurrying_out_of_a_door_steadily_is_no_dispersal() -> None:
    analytic, view = watch()
    scene = people_only(lambda ts: radial((320.0, 0.0), 2.0, ts % 4, 0.0))  # fast, but no sudden change
    assert play(analytic, view, scene, 0.0, 40.0).events == []


def test_dispersal_score_of_fans_and_parallel_flows() -> None:
    positions = [(1.0, 0.0), (0.0, 1.0), (-1.0, 0.0), (0.0, -1.0), (0.7, 0.7)]
    units = [(x / math.hypot(x, y), y / math.hypot(x, y)) for x, y in positions]
    score, centre = dispersal(np.array(positions), np.array(units))
    assert score == pytest.approx(1.0) and centre is not None and np.allclose(centre, 0.0, atol=1e-9)
    converging, _ = dispersal(np.array(positions), -np.array(units))
    assert converging == pytest.approx(-1.0)
    parallel, none = dispersal(np.array(positions), np.array([(1.0, 0.0)] * 5))
    assert parallel == 0.0 and none is None


def test_the_cooldown_keeps_one_event_per_change() -> None:
    analytic, view = watch({"cooldown_s": 10.0})
    walk, run = with_speed(CROWD, 1.3), with_speed(CROWD, 3.5)
    played = play(analytic, view, phases((0, walk), (20, run), (23, walk), (50, run)), 0.0, 60.0)
    assert [round(e.ts) for e in played.events] == [20, 50]  # the return to walking at 23 is within the cooldown


def test_zones_are_watched_each_on_its_own() -> None:
    analytic, view = watch({"zones": ["left"]})
    left = [p for p in CROWD if p.x <= 320]  # the zone's edge counts
    right = [p for p in CROWD if p.x > 320]
    scene = phases((0, with_speed(CROWD, 1.3)), (20, with_speed(left, 1.3) + with_speed(right, 4.0)))
    assert play(analytic, view, scene, 0.0, 30.0).events == []
    analytic, view = watch({"zones": ["left"]})
    scene = phases((0, with_speed(CROWD, 1.3)), (20, with_speed(left, 4.0) + with_speed(right, 1.3)))
    (event,) = play(analytic, view, scene, 0.0, 30.0).events
    assert event.zone == "left" and event.details["people"] == len(left)


def test_without_ground_plane_speeds_come_from_body_heights() -> None:
    analytic, view = watch(ground=False)
    walking = [p.moved(vx=1.3 / 1.7 * BODY_PX) for p in CROWD]
    running = [p.moved(vx=3.5 / 1.7 * BODY_PX) for p in CROWD]
    (event,) = play(analytic, view, phases((0, walking), (20, running)), 0.0, 30.0).events
    assert event.details["kind"] == "running"
    assert event.details["speed_basis"] == "body_height"
    assert event.details["speed_m_s"] == pytest.approx(3.5, abs=0.01)
    assert event.confidence == 0.5


def test_registered_as_crowd_movement() -> None:
    assert registered()["crowd_movement"].legal_basis is LegalBasis.CROWD_MOVEMENT


def test_legal_basis_outside_the_authorisation_is_refused() -> None:
    with pytest.raises(ConfigError) as error:
        build_one(camera({"crowd_movement": {}}, authorised=["excessive_density", "counting"]))
    assert error.value.problems == ["analytics.crowd_movement: legal basis crowd_movement is not in `authorised`"]


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"zones": ["up"]}, "analytics.crowd_movement: zones: unknown zone 'up' (the camera's zones: left, right)"),
        ({"min_people": 1}, "analytics.crowd_movement.min_people: Input should be greater than or equal to 2 (got 1)"),
        ({"turn_deg": 200}, "analytics.crowd_movement.turn_deg: Input should be less than 180 (got 200)"),
    ],
)
def test_bad_settings_name_the_key(settings: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigError) as error:
        watch(settings)
    assert error.value.problems == [problem]
