"""Wrong way: a track crossing a line the forbidden way, or going against a corridor's allowed direction."""

from __future__ import annotations

from typing import Any

import pytest

from beffroi.errors import ConfigError
from beffroi.video.analytics.base import LegalBasis, VideoEvent
from beffroi.video.analytics.wrong_way import WrongWay
from tests.video.analytics.track_builders import (
    FLAT_GROUND,
    Scene,
    Walk,
    build_one,
    camera,
    events,
    square,
    still,
    zigzag,
)

GATE = ((0.2, 0.5), (0.8, 0.5))
"""Pixels (200, 500) → (800, 500): "in" is crossing it downward on screen."""
CORRIDOR = square(0.1, 0.4, 0.9, 0.6)
"""Pixels x 100–900, y 400–600."""


def analytic(settings: dict[str, Any], ground: dict[str, Any] | None = None) -> Any:
    config = camera(
        {"wrong_way": settings},
        zones={"corridor": CORRIDOR, "hall": square(0.1, 0.1, 0.9, 0.9)},
        lines={"gate": GATE},
        ground=ground,
    )
    return build_one(config)


def run(settings: dict[str, Any], walks: list[Walk], until: float, ground: Any = None) -> list[VideoEvent]:
    wrong_way, view = analytic(settings, ground)
    return events(Scene(view, walks).play(wrong_way, until))


LINE_IN = {"line": "gate", "forbidden_direction": "in"}


def test_crossing_the_line_the_forbidden_way_raises_one_event() -> None:
    walk = Walk(5, [(0.0, 500.0, 300.0), (4.0, 500.0, 700.0)], score=0.7)  # down at 100 px/s
    found = run(LINE_IN, [walk], 5.0)
    assert len(found) == 1
    event = found[0]
    assert (event.type, event.analytic, event.legal_basis) == ("wrong_way", "wrong_way", LegalBasis.WRONG_WAY)
    assert event.ts == pytest.approx(2.4)  # the median of the last 3 feet is past y=500: one frame after
    assert event.track_ids == (5,) and event.zone == "gate" and event.confidence == pytest.approx(0.7)
    assert event.details["mode"] == "line" and event.details["direction"] == "in"
    assert event.details["distance_px"] == pytest.approx(220.0)  # from y=300 at t=0
    assert event.details["duration_s"] == pytest.approx(2.2)
    assert event.details["speed_px_s"] == pytest.approx(100.0)


def test_right_way_stationary_along_beside_and_hovering_raise_nothing() -> None:
    walks = [
        Walk(1, [(0.0, 500.0, 700.0), (4.0, 500.0, 300.0)]),  # the right way (up)
        still(2, 400.0, 500.0, 0.0, 10.0, jitter_px=6.0, seed=1),  # standing on the line
        Walk(3, [(0.0, 150.0, 505.0), (8.0, 850.0, 505.0)], jitter_px=4.0),  # along the line
        Walk(4, [(0.0, 900.0, 300.0), (4.0, 900.0, 700.0)]),  # the wrong way, but beside the gate
        Walk(6, zigzag(6, 600.0, 480.0, 520.0, 0.0, 0.6, 15)),  # hovering 20 px each side
    ]
    assert run(LINE_IN, walks, 10.0) == []


def test_the_out_direction_is_the_reverse() -> None:
    down = Walk(1, [(0.0, 500.0, 300.0), (4.0, 500.0, 700.0)])
    up = Walk(2, [(0.0, 400.0, 700.0), (4.0, 400.0, 300.0)])
    found = run({"line": "gate", "forbidden_direction": "out"}, [down, up], 5.0)
    assert [(event.track_ids, event.details["direction"]) for event in found] == [((2,), "out")]


def test_one_event_per_track_however_often_it_goes_through() -> None:
    back_and_forth = Walk(1, [(0.0, 500.0, 300.0), (4.0, 500.0, 700.0), (8.0, 500.0, 300.0), (12.0, 500.0, 700.0)])
    found = run(LINE_IN, [back_and_forth], 13.0)
    assert [event.ts for event in found] == pytest.approx([2.4])


def test_a_step_over_the_line_shorter_than_the_minimum_distance_is_not_wrong_way() -> None:
    step = Walk(1, [(0.0, 500.0, 470.0), (5.0, 500.0, 470.0), (5.4, 500.0, 520.0), (10.0, 500.0, 520.0)])
    assert run(LINE_IN, [step], 10.0) == []
    assert len(run({**LINE_IN, "min_distance_px": 40}, [step], 10.0)) == 1


CORRIDOR_RIGHTWARD = {"zone": "corridor", "allowed_direction": [1, 0]}


def test_going_against_the_corridor_raises_after_min_distance_and_min_s() -> None:
    leftward = Walk(1, [(0.0, 850.0, 500.0), (7.0, 150.0, 500.0)])  # 100 px/s
    found = run(CORRIDOR_RIGHTWARD, [leftward], 8.0)
    assert [event.ts for event in found] == pytest.approx(
        [1.2]
    )  # 60 px at 0.6 s, but min_s is 1 s (the median lags a frame)
    assert found[0].zone == "corridor" and found[0].details["mode"] == "corridor"
    assert found[0].details["direction"] == "against"
    assert found[0].details["distance_px"] == pytest.approx(100.0)


def test_the_corridor_ignores_right_way_still_and_outside_tracks() -> None:
    walks = [
        Walk(1, [(0.0, 150.0, 500.0), (7.0, 850.0, 500.0)]),  # the right way
        still(2, 500.0, 450.0, 0.0, 10.0, jitter_px=6.0, seed=2),
        Walk(3, [(0.0, 850.0, 300.0), (7.0, 150.0, 300.0)]),  # against, above the corridor
        Walk(4, [(0.0, 500.0, 420.0), (4.0, 460.0, 580.0)]),  # across it, slightly against: 40 px
    ]
    assert run(CORRIDOR_RIGHTWARD, walks, 10.0) == []


def test_turning_back_in_the_corridor_is_measured_from_the_turn() -> None:
    turn = Walk(1, [(0.0, 200.0, 500.0), (4.0, 600.0, 500.0), (8.0, 200.0, 500.0)])
    found = run(CORRIDOR_RIGHTWARD, [turn], 9.0)
    assert [event.ts for event in found] == pytest.approx([5.0])
    assert found[0].details["duration_s"] == pytest.approx(1.0)


def test_a_bearing_on_the_ground_is_measured_in_metres() -> None:
    east = {"zone": "corridor", "allowed_bearing_deg": 90, "min_distance_m": 2.0}  # image right: 50 px per metre
    westward = Walk(1, [(0.0, 850.0, 500.0), (10.0, 150.0, 500.0)], low_confidence=True)  # 70 px/s = 1.4 m/s
    found = run(east, [westward], 10.0, ground=FLAT_GROUND)
    assert [event.ts for event in found] == pytest.approx([1.8])  # 1.96 m at 1.4 s, 2.24 m at 1.6 s, a frame later
    assert found[0].details["distance_m"] == pytest.approx(2.24)
    assert found[0].details["speed_m_s"] == pytest.approx(1.4)
    assert found[0].confidence == pytest.approx(0.9 * 0.6) and found[0].details["low_confidence"] is True


def test_a_bearing_follows_the_ground_planes_own_bearing() -> None:
    turned = {**FLAT_GROUND, "bearing_deg": 90.0}  # the plane's +y (image up) points east
    east = {"zone": "hall", "allowed_bearing_deg": 90, "min_distance_m": 2.0}
    down = Walk(1, [(0.0, 500.0, 200.0), (10.0, 500.0, 900.0)])  # westward on the map
    up = Walk(2, [(0.0, 400.0, 850.0), (10.0, 400.0, 150.0)])
    rightward = Walk(3, [(0.0, 150.0, 600.0), (10.0, 850.0, 600.0)])  # southward: across the allowed way
    found = run(east, [down, up, rightward], 10.0, ground=turned)
    assert [(event.track_ids, round(event.ts, 6)) for event in found] == [((1,), 1.8)]


def test_an_image_direction_on_a_ground_plane_is_measured_in_metres() -> None:
    leftward = Walk(1, [(0.0, 850.0, 500.0), (10.0, 150.0, 500.0)])  # 1.4 m/s
    found = run({**CORRIDOR_RIGHTWARD, "min_distance_m": 2.0}, [leftward], 10.0, ground=FLAT_GROUND)
    assert [event.ts for event in found] == pytest.approx([1.8])
    assert found[0].details["distance_m"] == pytest.approx(2.24)


def test_a_line_on_a_ground_plane_keeps_its_image_direction() -> None:
    down = Walk(1, [(0.0, 500.0, 300.0), (4.0, 500.0, 700.0)])  # 2 m/s, "in"
    up = Walk(2, [(0.0, 400.0, 700.0), (4.0, 400.0, 300.0)])
    found = run({**LINE_IN, "min_distance_m": 2.0}, [down, up], 5.0, ground=FLAT_GROUND)
    assert [(event.track_ids, round(event.ts, 6)) for event in found] == [((1,), 2.4)]
    assert found[0].details["distance_m"] == pytest.approx(4.4)


def test_a_foot_jumping_over_the_line_for_one_frame_is_not_a_walk() -> None:
    # Someone standing above the line whose box reaches 230 px lower for one frame (merged with a neighbour's).
    jump = Walk(1, [(0.0, 500.0, 470.0), (2.0, 500.0, 470.0), (2.2, 500.0, 700.0), (2.4, 500.0, 470.0), (5, 500, 470)])
    assert run(LINE_IN, [jump], 5.0) == []
    # Each point as is, and no speed limit: it "crossed".
    assert len(run({**LINE_IN, "smooth_points": 1, "max_speed_heights_s": 100}, [jump], 5.0)) == 1
    # Two frames low: the median moves, but 230 px in 0.2 s is no walk.
    legs = [(0.0, 470.0), (2.0, 470.0), (2.2, 700.0), (2.4, 700.0), (2.6, 470.0), (5.0, 470.0)]
    assert run(LINE_IN, [Walk(1, [(t, 500.0, y) for t, y in legs])], 5.0) == []


def test_a_track_that_jumps_to_someone_further_away_starts_its_walk_again() -> None:
    # Walking down through the gate (the right way, "in") to y=560, then the track swaps over to someone standing
    # 150 px further up, above the line: a jump "out" through the line, 150 px against the flow.
    swap = Walk(1, [(0.0, 500.0, 300.0), (2.6, 500.0, 560.0), (2.8, 500.0, 410.0), (6.0, 500.0, 410.0)])
    out = {"line": "gate", "forbidden_direction": "out"}
    assert run(out, [swap], 6.0) == []
    assert len(run({**out, "max_speed_heights_s": 100}, [swap], 6.0)) == 1  # without the speed limit: "wrong way"


def lost_and_found(found_y: float) -> list[Walk]:
    """Someone walking down towards the gate (y=500) whom the tracker loses at y=440 (at 1.4 s) and finds again as
    a new track at `found_y`, walking on down to y=700."""
    before = Walk(1, [(0.0, 500.0, 300.0), (1.4, 500.0, 440.0), (2.0, 500.0, 440.0)], hidden=[(1.6, 2.0)])
    after = Walk(2, [(1.8, 500.0, found_y), (4.8, 500.0, 700.0)])
    return [before, after]


def test_a_new_track_where_a_lost_one_was_carries_its_walk_on() -> None:
    found = run(LINE_IN, lost_and_found(460.0), 5.0)
    assert [event.track_ids for event in found] == [(2,)]
    assert found[0].details["distance_px"] > 150  # measured from y=300, where track 1 began
    alone = run({**LINE_IN, "handover_s": 0}, lost_and_found(460.0), 5.0)
    assert [event.track_ids for event in alone] == [(2,)] and alone[0].details["distance_px"] < 100


def test_a_new_track_past_the_line_does_not_take_over_a_walk_before_it() -> None:
    # Taking over would make up a crossing that no track was seen making (in a flow, often someone else).
    assert run(LINE_IN, lost_and_found(560.0), 5.0) == []


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        (
            {"line": "gate", "zone": "corridor", "forbidden_direction": "in"},
            "analytics.wrong_way: line: give exactly one of `line` (with forbidden_direction) or `zone` (a corridor)",
        ),
        ({}, "analytics.wrong_way: line: give exactly one of `line` (with forbidden_direction) or `zone` (a corridor)"),
        ({"line": "gate"}, "analytics.wrong_way: forbidden_direction: needed with `line` ('in' or 'out')"),
        ({"line": "door", "forbidden_direction": "in"}, "analytics.wrong_way: line: no line 'door' on camera cam-1"),
        (
            {"zone": "pitch", "allowed_direction": [1, 0]},
            "analytics.wrong_way: zone: no zone 'pitch' on camera cam-1",
        ),
        (
            {"zone": "corridor"},
            "analytics.wrong_way: zone: a corridor needs one of `allowed_direction` (image) or "
            "`allowed_bearing_deg` (map)",
        ),
        (
            {"zone": "corridor", "allowed_bearing_deg": 90},
            "analytics.wrong_way: allowed_bearing_deg: camera cam-1 has no ground plane (use allowed_direction)",
        ),
        (
            {"zone": "corridor", "allowed_direction": [1, 0], "forbidden_direction": "in"},
            "analytics.wrong_way: forbidden_direction: only with `line`; a corridor takes an allowed direction",
        ),
    ],
)
def test_inconsistent_settings_are_config_errors_naming_the_key(settings: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigError) as error:
        analytic(settings)
    assert error.value.problems == [problem]


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"zone": "corridor", "allowed_direction": [0, 0]}, "analytics.wrong_way.allowed_direction"),
        ({"line": "gate", "forbidden_direction": "up"}, "analytics.wrong_way.forbidden_direction"),
        ({**LINE_IN, "min_distance_px": 0}, "analytics.wrong_way.min_distance_px"),
        ({**LINE_IN, "min_s": float("inf")}, "analytics.wrong_way.min_s"),
        ({**LINE_IN, "lane": 2}, "analytics.wrong_way.lane"),
        ({**LINE_IN, "smooth_points": 0}, "analytics.wrong_way.smooth_points"),
        ({**LINE_IN, "max_speed_heights_s": 0}, "analytics.wrong_way.max_speed_heights_s"),
        ({**LINE_IN, "handover_s": -1}, "analytics.wrong_way.handover_s"),
    ],
)
def test_bad_values_name_their_key(settings: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as error:
        analytic(settings)
    assert len(error.value.problems) == 1 and error.value.problems[0].startswith(key + ":")


def test_a_camera_not_authorised_for_wrong_way_refuses_it() -> None:
    config = camera({"wrong_way": LINE_IN}, lines={"gate": GATE}, authorised=["forbidden_zone", "counting"])
    with pytest.raises(ConfigError) as error:
        build_one(config)
    assert error.value.problems == ["analytics.wrong_way: legal basis wrong_way is not in `authorised`"]
    allowed, _ = build_one(camera({"wrong_way": LINE_IN}, lines={"gate": GATE}, authorised=["wrong_way"]))
    assert isinstance(allowed, WrongWay)
