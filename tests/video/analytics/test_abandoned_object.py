"""Abandoned object: a bag put down and left raises one event after `unattended_s` alone, naming its owner; an
attended bag, a carried bag, a bin present from the start, a passer-by, and the owner radius without a ground plane;
zones; settings and legal-basis checks."""

from __future__ import annotations

from typing import Any

import pytest

import beffroi.video.analytics.abandoned_object  # noqa: F401  (registers the analytic)
from beffroi.errors import ConfigError
from beffroi.video.analytics.base import Analytic, CameraView, LegalBasis, registered
from beffroi.video.detections import OBJECT, Detection
from tests.video.analytics.crowd_builders import (
    Person,
    build_one,
    camera,
    detection,
    object_box,
    play,
    rect,
)

ZONES = {"left": rect(0, 0, 200, 360), "hall": rect(200, 0, 640, 360)}
WALK = 40.0  # px/s: 1.25 m/s, faster than `attending_max_speed_m_s`
BAG = object_box(315, 200)


def watch(settings: dict[str, Any] | None = None, *, ground: bool = True) -> tuple[Analytic, CameraView]:
    return build_one(camera({"abandoned_object": settings or {}}, zones=ZONES, ground=ground))


def owner_leaves(leaves_at: float | None) -> Any:
    """Person 1 walks in at 15 s (after the scene-learning time) carrying bag 50 (an object track, also detected),
    puts it down at 20 s, stands by it, and walks off east at `leaves_at` (None: stays)."""

    def scene(ts: float) -> tuple[list[Person], list[Detection]]:
        if ts < 15.0:
            return [], []
        if ts < 20.0:
            owner = Person(1, 100 + WALK * (ts - 15), 200, vx=WALK)
            bag = Person(50, owner.x + 15, 200, vx=WALK, width=20, height=16, label=OBJECT)
        else:
            owner = Person(1, 300, 200)
            if leaves_at is not None and ts >= leaves_at:
                owner = owner.moved(x=300 + WALK * (ts - leaves_at), vx=WALK)
            bag = Person(50, 315, 200, width=20, height=16, label=OBJECT)
        people = [bag] + ([owner] if owner.x < 640 else [])
        return people, [detection(bag.box, OBJECT)]

    return scene


def test_a_bag_left_alone_raises_one_event_naming_its_owner() -> None:
    analytic, view = watch()
    (event,) = play(analytic, view, owner_leaves(23.0), 0.0, 150.0).events
    assert event.type == "abandoned_object" and event.legal_basis is LegalBasis.ABANDONED_OBJECT
    assert event.ts == pytest.approx(82.8)  # last attended at 22.8 s, when its owner still stood by it
    assert event.boxes == (BAG,)
    assert event.zone == "hall"
    assert event.track_ids == (50, 1)
    assert event.details == {"static_s": 62.8, "unattended_s": 60.0, "owner_track_id": 1, "object_track_id": 50}


def test_an_attended_or_carried_bag_raises_nothing() -> None:
    analytic, view = watch()
    assert play(analytic, view, owner_leaves(None), 0.0, 150.0).events == []
    analytic, view = watch()
    assert play(analytic, view, owner_leaves(23.0), 0.0, 82.6).events == []
    analytic, view = watch()

    def carried(ts: float) -> tuple[list[Person], list[Detection]]:
        x = 220 + WALK * (ts % 10)
        return [Person(1, x, 200, vx=WALK)], [detection(object_box(x + 15, 200), OBJECT)]

    assert play(analytic, view, carried, 0.0, 150.0).events == []


def test_an_object_in_place_during_scene_learning_is_scenery() -> None:
    analytic, view = watch()  # background_after_s 10: the bag put down at 5 s is taken for part of the scene
    early = lambda ts: owner_leaves(23.0)(ts + 15.0)  # noqa: E731
    assert play(analytic, view, early, 0.0, 150.0).events == []


def test_a_bin_there_from_the_start_is_scenery_but_the_same_bin_appearing_later_is_not() -> None:
    bin_box = object_box(500, 300, 40, 50)
    analytic, view = watch()
    assert play(analytic, view, lambda ts: ([], [detection(bin_box, OBJECT)]), 0.0, 200.0).events == []
    analytic, view = watch()

    def appearing_at_30_s(ts: float) -> tuple[list[Person], list[Detection]]:
        return [], [detection(bin_box, OBJECT)] if ts >= 30 else []

    (event,) = play(analytic, view, appearing_at_30_s, 0.0, 200.0).events
    assert event.ts == pytest.approx(90.0)
    assert event.track_ids == ()
    assert event.details["owner_track_id"] is None and event.details["object_track_id"] is None


def left_bag_with(visitor: Any, *, tracked: bool = True) -> Any:
    """A bag (detections only) appearing at 20 s at (320, 300), and whoever `visitor(ts)` gives, detected as people
    too, and tracked unless `tracked` is False."""

    def scene(ts: float) -> tuple[list[Person], list[Detection]]:
        people: list[Person] = visitor(ts)
        bag = [detection(object_box(320, 300), OBJECT)] if ts >= 20 else []
        return (people if tracked else []), bag + [detection(p.box) for p in people]

    return scene


def test_a_passer_by_does_not_attend_but_someone_stopping_by_does() -> None:
    analytic, view = watch()
    passing = left_bag_with(lambda ts: [Person(2, 200 + WALK * (ts - 40), 300, vx=WALK)] if 40 <= ts < 46 else [])
    (event,) = play(analytic, view, passing, 0.0, 120.0).events
    assert event.ts == pytest.approx(80.0)
    analytic, view = watch()
    stopping = left_bag_with(lambda ts: [Person(2, 350, 300)] if 40 <= ts < 50 else [])
    (event,) = play(analytic, view, stopping, 0.0, 120.0).events
    assert event.ts == pytest.approx(109.8)
    analytic, view = watch()
    untracked = left_bag_with(lambda ts: [Person(2, 350, 300)] if 40 <= ts < 50 else [], tracked=False)
    (event,) = play(analytic, view, untracked, 0.0, 120.0).events
    assert event.ts == pytest.approx(109.8)  # a person the tracker missed, only detected, attends too


def test_a_bag_seen_only_on_whole_frame_passes_keeps_its_clock_but_one_hidden_longer_restarts_it() -> None:
    def seen_when(visible: Any) -> Any:
        return lambda ts: ([], [detection(object_box(320, 300), OBJECT)] if ts >= 20 and visible(ts) else [])

    analytic, view = watch()
    every_2_s = seen_when(lambda ts: round(ts, 6) % 2 == 0)
    (event,) = play(analytic, view, every_2_s, 0.0, 120.0).events
    assert event.ts == pytest.approx(80.0)
    analytic, view = watch()
    hidden = seen_when(lambda ts: not 40 < ts < 45)  # 5 s behind a crowd: more than max_gap_s
    (event,) = play(analytic, view, hidden, 0.0, 120.0).events
    assert event.ts == pytest.approx(105.0)


def test_without_ground_plane_the_owner_radius_scales_with_body_height() -> None:
    near = left_bag_with(lambda ts: [Person(2, 370, 300)])  # 50 px at BODY_PX (54.4 px) per 1.7 m: 1.6 m
    analytic, view = watch(ground=False)
    assert play(analytic, view, near, 0.0, 120.0).events == []
    far = left_bag_with(lambda ts: [Person(2, 420, 300)])  # 100 px: 3.1 m
    analytic, view = watch(ground=False)
    (event,) = play(analytic, view, far, 0.0, 120.0).events
    assert event.ts == pytest.approx(80.0)
    assert event.details["owner_track_id"] == 2  # the nearest when it appeared, within three radii


def test_only_objects_in_the_watched_zones_are_reported() -> None:
    analytic, view = watch({"zones": ["left"]})
    assert play(analytic, view, owner_leaves(23.0), 0.0, 100.0).events == []


def test_registered_as_abandoned_object() -> None:
    assert registered()["abandoned_object"].legal_basis is LegalBasis.ABANDONED_OBJECT


def test_legal_basis_outside_the_authorisation_is_refused() -> None:
    with pytest.raises(ConfigError) as error:
        build_one(camera({"abandoned_object": {}}, authorised=["forbidden_zone"]))
    assert error.value.problems == ["analytics.abandoned_object: legal basis abandoned_object is not in `authorised`"]


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"unattended_s": 0}, "analytics.abandoned_object.unattended_s: Input should be greater than 0 (got 0)"),
        ({"owner_radius": 2}, "analytics.abandoned_object.owner_radius: Extra inputs are not permitted (got 2)"),
        ({"zones": ["x"]}, "analytics.abandoned_object: zones: unknown zone 'x' (the camera's zones: hall, left)"),
    ],
)
def test_bad_settings_name_the_key(settings: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigError) as error:
        watch(settings)
    assert error.value.problems == [problem]
