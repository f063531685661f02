"""Forbidden zone: a person whose foot stays inside a listed zone raises one `camera_intrusion` per entry."""

from __future__ import annotations

from typing import Any

import pytest

from beffroi.errors import ConfigError
from beffroi.video.analytics import forbidden_zone
from beffroi.video.analytics.base import LegalBasis
from beffroi.video.detections import OBJECT
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

PITCH = square(0.4, 0.4, 0.6, 0.6)
"""Pixels 400–600 in x and y."""


def analytic(settings: dict[str, Any] | None = None, **zones: list[tuple[float, float]]) -> Any:
    config = camera(
        {"forbidden_zone": {"zones": list(zones or {"pitch": PITCH}), **(settings or {})}},
        zones=zones or {"pitch": PITCH},
    )
    return build_one(config)


def test_a_person_walking_through_raises_one_intrusion_after_the_minimum_dwell() -> None:
    zone_analytic, view = analytic()
    # 100 px/s left to right at y=500: x=400 (the edge, not inside) at t=2.0, first point inside at t=2.2.
    walk = Walk(7, [(0.0, 200.0, 500.0), (6.0, 800.0, 500.0)], score=0.8)
    found = events(Scene(view, [walk]).play(zone_analytic, 7.0))
    assert len(found) == 1
    event = found[0]
    assert event.type == "camera_intrusion" and event.analytic == "forbidden_zone"
    assert event.legal_basis is LegalBasis.FORBIDDEN_ZONE
    assert event.ts == pytest.approx(3.2)
    assert event.track_ids == (7,) and event.zone == "pitch"
    assert event.confidence == pytest.approx(0.8)
    assert event.boxes[0].foot == pytest.approx((520.0, 500.0))
    assert event.details["entered_at"] == pytest.approx(2.2)
    assert event.details["dwell_s"] == pytest.approx(1.0)
    assert event.details["label"] == "person" and event.details["low_confidence"] is False


def test_a_foot_flickering_over_the_edge_raises_nothing() -> None:
    zone_analytic, view = analytic()
    # In for one frame, out for the next (x 390 / 410) for 20 s; and someone inside from 0.6 s to 1.4 s only.
    flicker = Walk(1, [(t, x, 500.0) for t, _, x in zigzag(1, 0.0, 390.0, 410.0, 0.0, 0.2, 100)])
    brief = Walk(2, [(0.0, 300.0, 300.0), (1.0, 500.0, 500.0), (1.4, 500.0, 500.0), (1.6, 300.0, 300.0)])
    assert events(Scene(view, [flicker, brief]).play(zone_analytic, 21.0)) == []


def test_a_re_entry_raises_again_only_after_rearm_s_outside() -> None:
    zone_analytic, view = analytic({"rearm_s": 5.0})
    walk = Walk(
        3,
        [
            (0.0, 500.0, 500.0),  # inside from the start (tentative for two frames)
            (3.0, 500.0, 500.0),
            (3.2, 300.0, 500.0),  # out for 3 s: the same entry
            (6.2, 300.0, 500.0),
            (6.4, 500.0, 500.0),
            (9.0, 500.0, 500.0),
            (9.2, 300.0, 500.0),  # out for 6 s: a new entry
            (15.2, 300.0, 500.0),
            (15.4, 500.0, 500.0),
            (18.0, 500.0, 500.0),
        ],
    )
    found = events(Scene(view, [walk]).play(zone_analytic, 18.0))
    assert [event.ts for event in found] == pytest.approx([1.0, 16.4])
    assert [event.details["entered_at"] for event in found] == pytest.approx([0.0, 15.4])
    assert {event.track_ids for event in found} == {(3,)}


def test_an_occluded_person_keeps_the_entry() -> None:
    zone_analytic, view = analytic()
    walk = Walk(4, [(0.0, 500.0, 500.0), (10.0, 500.0, 500.0)], hidden=[(3.0, 4.6)])
    found = events(Scene(view, [walk]).play(zone_analytic, 10.0))
    assert [event.ts for event in found] == pytest.approx([1.0])


def test_only_the_listed_labels_of_confirmed_tracks_count() -> None:
    zone_analytic, view = analytic()
    bag = still(1, 500.0, 500.0, 0.0, 5.0, label=OBJECT)
    never_confirmed = still(2, 450.0, 450.0, 0.0, 5.0)
    scene = Scene(view, [bag, never_confirmed], tentative_frames=1000)
    assert events(scene.play(zone_analytic, 5.0)) == []
    objects, view = analytic({"labels": ["object"]})
    found = events(Scene(view, [bag]).play(objects, 5.0))
    assert [(event.track_ids, event.details["label"]) for event in found] == [((1,), "object")]


def test_two_people_and_two_zones_give_one_event_per_track_and_zone() -> None:
    zone_analytic, view = analytic(pitch=PITCH, stage=square(0.5, 0.5, 0.9, 0.9))
    both = still(1, 550.0, 550.0, 0.0, 3.0)  # in the overlap
    pitch_only = still(2, 450.0, 420.0, 0.5, 3.0, low_confidence=True, score=0.5)
    found = events(Scene(view, [both, pitch_only]).play(zone_analytic, 3.0))
    assert sorted((e.track_ids[0], e.zone, round(e.ts, 3)) for e in found) == [
        (1, "pitch", 1.0),
        (1, "stage", 1.0),
        (2, "pitch", 1.6),
    ]
    low = next(e for e in found if e.track_ids == (2,))
    assert low.confidence == pytest.approx(0.5 * 0.6)
    assert low.details["low_confidence"] is True and low.details["confidence_factor"] == pytest.approx(0.6)


def test_a_hundred_people_in_the_zone_give_a_hundred_events() -> None:
    zone_analytic, view = analytic()
    crowd = [still(i, 410.0 + (i % 10) * 18.0, 410.0 + (i // 10) * 18.0, 0.0, 2.0) for i in range(100)]
    found = events(Scene(view, crowd).play(zone_analytic, 2.0))
    assert sorted(event.track_ids[0] for event in found) == list(range(100))
    assert {round(event.ts, 3) for event in found} == {1.0}


def grounded(settings: dict[str, Any] | None = None) -> Any:
    """The analytic on the pitch of a camera looking straight down (50 px per metre)."""
    config = camera(
        {"forbidden_zone": {"zones": ["pitch"], **(settings or {})}}, zones={"pitch": PITCH}, ground=FLAT_GROUND
    )
    return build_one(config)


def test_a_track_broken_inside_the_zone_is_one_intrusion_episode() -> None:
    zone_analytic, view = grounded()
    # The tracker loses the intruder at 4.0 s (lost until dropped at 4.6 s) and starts a new track 0.4 m away at
    # 4.8 s; and again at 9.0 s, the third track starting without the second being lost first.
    first = Walk(1, [(0.0, 500.0, 500.0), (4.6, 500.0, 500.0)], hidden=[(4.2, 4.6)])
    second = Walk(2, [(4.8, 520.0, 500.0), (9.0, 520.0, 500.0)])
    third = Walk(3, [(9.2, 540.0, 510.0), (14.0, 560.0, 510.0)])
    found = events(Scene(view, [first, second, third]).play(zone_analytic, 14.0))
    assert [(event.ts, event.track_ids) for event in found] == [(pytest.approx(1.0), (1,))]


def test_without_ground_plane_the_join_distance_is_in_body_heights() -> None:
    zone_analytic, view = analytic()
    # boxes 100 px tall: 2 m is 118 px
    first = Walk(1, [(0.0, 450.0, 500.0), (3.0, 450.0, 500.0)])
    near = Walk(2, [(3.4, 550.0, 500.0), (8.0, 550.0, 500.0)])
    found = events(Scene(view, [first, near]).play(zone_analytic, 8.0))
    assert [event.track_ids for event in found] == [(1,)]
    zone_analytic, view = analytic()
    far = Walk(2, [(3.4, 590.0, 590.0), (8.0, 590.0, 590.0)])
    assert [event.track_ids for event in events(Scene(view, [first, far]).play(zone_analytic, 8.0))] == [(1,), (2,)]


def test_two_intruders_are_two_episodes_even_where_they_meet() -> None:
    zone_analytic, view = grounded()
    # The second walks in while the first still stands there, to 0.4 m of them.
    first = still(1, 500.0, 500.0, 0.0, 10.0)
    second = Walk(2, [(3.0, 700.0, 500.0), (5.0, 520.0, 500.0), (10.0, 520.0, 500.0)])
    found = events(Scene(view, [first, second]).play(zone_analytic, 10.0))
    assert sorted(event.track_ids for event in found) == [(1,), (2,)]


def test_a_new_track_far_away_or_late_starts_a_new_episode() -> None:
    zone_analytic, view = grounded()
    first = Walk(1, [(0.0, 450.0, 450.0), (3.0, 450.0, 450.0)])
    far = Walk(2, [(3.2, 580.0, 580.0), (6.0, 580.0, 580.0)])  # 3.7 m away
    found = events(Scene(view, [first, far]).play(zone_analytic, 6.0))
    assert [event.track_ids for event in found] == [(1,), (2,)]
    zone_analytic, view = grounded()
    # The zone empty from 3 s; someone at the same place at 10 s: the episode ended at 8 s.
    late = Walk(3, [(10.0, 450.0, 450.0), (13.0, 450.0, 450.0)])
    found = events(Scene(view, [first, late]).play(zone_analytic, 13.0))
    assert [(event.ts, event.track_ids) for event in found] == [(pytest.approx(1.0), (1,)), (pytest.approx(11.0), (3,))]


def test_an_unknown_zone_is_a_config_error_naming_the_key() -> None:
    config = camera({"forbidden_zone": {"zones": ["pitch", "roof"]}}, zones={"pitch": PITCH})
    with pytest.raises(ConfigError) as error:
        build_one(config)
    assert error.value.problems == ["analytics.forbidden_zone: zones: no zone 'roof' on camera cam-1"]


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"zones": []}, "analytics.forbidden_zone.zones"),
        ({"zones": ["pitch"], "min_dwell_s": -1}, "analytics.forbidden_zone.min_dwell_s"),
        ({"zones": ["pitch"], "rearm_s": "soon"}, "analytics.forbidden_zone.rearm_s"),
        ({"zones": ["pitch"], "colour": "red"}, "analytics.forbidden_zone.colour"),
        ({"zones": ["pitch"], "join_m": -1}, "analytics.forbidden_zone.join_m"),
        ({"zones": ["pitch"], "join_s": "later"}, "analytics.forbidden_zone.join_s"),
        ({"zones": ["pitch"], "episode_end_s": 1e9}, "analytics.forbidden_zone.episode_end_s"),
        ({}, "analytics.forbidden_zone.zones"),
    ],
)
def test_bad_settings_name_their_key(settings: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as error:
        build_one(camera({"forbidden_zone": settings}, zones={"pitch": PITCH}))
    assert len(error.value.problems) == 1 and error.value.problems[0].startswith(key + ":")


def test_a_camera_not_authorised_for_forbidden_zones_refuses_it() -> None:
    config = camera({"forbidden_zone": {"zones": ["pitch"]}}, zones={"pitch": PITCH}, authorised=["wrong_way"])
    with pytest.raises(ConfigError) as error:
        build_one(config)
    assert error.value.problems == ["analytics.forbidden_zone: legal basis forbidden_zone is not in `authorised`"]
    assert forbidden_zone.ForbiddenZone.legal_basis is LegalBasis.FORBIDDEN_ZONE
