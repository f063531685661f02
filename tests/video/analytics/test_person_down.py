"""Person down: a fall (tall box turning wide, centre dropping) followed by `down_s` down raises one event; sitting,
bending, getting up, lying from the start do not; a lost fallen person stays down while a detection overlaps; a
second fall after getting up raises again; zones; settings and legal-basis checks."""

from __future__ import annotations

from typing import Any

import pytest

import beffroi.video.analytics.person_down  # noqa: F401  (registers the analytic)
from beffroi.errors import ConfigError
from beffroi.video.analytics.base import Analytic, CameraView, LegalBasis, registered
from beffroi.video.detections import OBJECT, Detection
from beffroi.video.tracks import TrackState
from tests.video.analytics.crowd_builders import Person, build_one, camera, detection, play, rect

ZONES = {"platform": rect(200, 150, 400, 300), "tracks": rect(0, 300, 640, 360)}
UPRIGHT = Person(1, 300, 250, height=90, width=36)  # aspect 2.5
LYING = UPRIGHT.moved(height=30, width=90)  # aspect 0.33, same foot: the centre drops 30 px
SITTING = UPRIGHT.moved(height=50, width=50)
BENT = UPRIGHT.moved(height=42, width=60)  # aspect 0.7, briefly


def watch(settings: dict[str, Any] | None = None) -> tuple[Analytic, CameraView]:
    return build_one(camera({"person_down": settings or {}}, zones=ZONES, ground=False))


def postures(*steps: tuple[float, Person | None], detections: Any = None) -> Any:
    """A scene showing each step's posture from its start time (None: not seen at all)."""

    def scene(ts: float) -> tuple[list[Person], list[Detection]]:
        person = next(p for start, p in reversed(steps) if ts >= start)
        return ([] if person is None else [person]), ([] if detections is None else detections(ts))

    return scene


def falling(at: float) -> tuple[tuple[float, Person], ...]:
    """Upright, then falling over 0.4 s from `at`, then lying."""
    return ((at, UPRIGHT.moved(height=70, width=55)), (at + 0.2, UPRIGHT.moved(height=40, width=80)), (at + 0.4, LYING))


def test_a_fall_then_five_seconds_down_raises_one_event() -> None:
    analytic, view = watch()
    played = play(analytic, view, postures((0, UPRIGHT), *falling(10.0)), 0.0, 40.0)
    (event,) = played.events
    assert event.type == "person_down" and event.legal_basis is LegalBasis.PERSON_ON_GROUND
    assert event.ts == pytest.approx(15.2)  # lying (aspect 0.5 ≤ 0.8) from 10.2, down 5 s
    assert event.track_ids == (1,)
    assert event.boxes == (LYING.box,)
    assert event.zone == "platform"
    assert event.details == {
        "down_s": 5.0,
        "fell_at": 10.2,
        "aspect": 0.33,
        "upright_aspect": 2.5,
        "drop_px": 30.0,
    }


def test_sitting_bending_and_getting_up_raise_nothing() -> None:
    analytic, view = watch()
    assert play(analytic, view, postures((0, UPRIGHT), (10, SITTING)), 0.0, 40.0).events == []
    analytic, view = watch()
    assert play(analytic, view, postures((0, UPRIGHT), (10, BENT), (11.6, UPRIGHT)), 0.0, 40.0).events == []
    analytic, view = watch()
    walks_away = UPRIGHT.moved(x=360, vx=40.0)
    scene = postures((0, UPRIGHT), *falling(10.0), (13.0, SITTING), (13.6, UPRIGHT), (14.0, walks_away))
    assert play(analytic, view, scene, 0.0, 40.0).events == []


def test_someone_lying_from_the_start_or_a_slow_lie_down_is_no_fall() -> None:
    analytic, view = watch()
    assert play(analytic, view, postures((0, LYING)), 0.0, 30.0).events == []
    analytic, view = watch({"fall_s": 3.0})
    scene = postures((0, UPRIGHT), (10, SITTING), (20, LYING))  # upright last seen 10 s before lying
    assert play(analytic, view, scene, 0.0, 40.0).events == []


def test_moving_while_down_restarts_the_clock() -> None:
    analytic, view = watch()
    dragged = LYING.moved(x=LYING.x + 60)
    (event,) = play(analytic, view, postures((0, UPRIGHT), *falling(10.0), (13.0, dragged)), 0.0, 30.0).events
    assert event.ts == pytest.approx(18.0)
    assert event.details["down_s"] == 5.0


def test_a_lost_fallen_person_stays_down_while_a_detection_overlaps() -> None:
    analytic, view = watch()
    lost = LYING.moved(state=TrackState.LOST, last_seen=11.0)
    blob = [detection(LYING.box, label=OBJECT, low_confidence=True)]
    scene = postures((0, UPRIGHT), *falling(10.0), (11.2, lost), (13.0, None), detections=lambda ts: blob)
    (event,) = play(analytic, view, scene, 0.0, 30.0).events
    assert event.ts == pytest.approx(15.2)
    analytic, view = watch({"lost_grace_s": 3.0})
    scene = postures((0, UPRIGHT), *falling(10.0), (11.2, lost), (13.0, None))
    assert play(analytic, view, scene, 0.0, 30.0).events == []


def test_getting_up_rearms_for_a_second_fall() -> None:
    analytic, view = watch()
    scene = postures((0, UPRIGHT), *falling(10.0), (20.0, UPRIGHT), *falling(30.0))
    played = play(analytic, view, scene, 0.0, 40.0)
    assert [e.ts for e in played.events] == pytest.approx([15.2, 35.2])


def test_only_falls_in_the_watched_zones_are_reported() -> None:
    analytic, view = watch({"zones": ["tracks"]})
    assert play(analytic, view, postures((0, UPRIGHT), *falling(10.0)), 0.0, 30.0).events == []
    analytic, view = watch({"zones": ["tracks"]})
    on_tracks = [(t, p.moved(y=340)) for t, p in ((0, UPRIGHT), *falling(10.0))]
    (event,) = play(analytic, view, postures(*on_tracks), 0.0, 30.0).events
    assert event.zone == "tracks"


def test_registered_as_person_on_ground() -> None:
    assert registered()["person_down"].legal_basis is LegalBasis.PERSON_ON_GROUND


def test_legal_basis_outside_the_authorisation_is_refused() -> None:
    with pytest.raises(ConfigError) as error:
        build_one(camera({"person_down": {}}, authorised=["abandoned_object"]))
    assert error.value.problems == ["analytics.person_down: legal basis person_on_ground is not in `authorised`"]


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        (
            {"lying_aspect": 1.2},
            "analytics.person_down.getup_aspect: Value error, must be above lying_aspect (1.2) and at most "
            "upright_aspect (1.5) (got 1.1)",
        ),
        ({"down_s": 0}, "analytics.person_down.down_s: Input should be greater than 0 (got 0)"),
        (
            {"zones": ["roof"]},
            "analytics.person_down: zones: unknown zone 'roof' (the camera's zones: platform, tracks)",
        ),
    ],
)
def test_bad_settings_name_the_key(settings: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigError) as error:
        watch(settings)
    assert error.value.problems == [problem]
