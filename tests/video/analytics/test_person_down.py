"""Person down: a fall (tall box turning wide, centre dropping) followed by `down_s` down raises one event; sitting,
bending, getting up, lying from the start do not; a lost fallen person stays down while a detection overlaps; a
second fall after getting up raises again; zones; settings and legal-basis checks."""

from __future__ import annotations

from typing import Any

import pytest

import beffroi.video.analytics.person_down  # noqa: F401  (registers the analytic)
from beffroi.errors import ConfigError
from beffroi.video.analytics.base import Analytic, CameraView, LegalBasis, registered
from beffroi.video.detections import OBJECT, Box, Detection
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
    # Lying (aspect 0.5 ≤ 0.8) from 10.2; the median of the last 3 aspects says so at 10.4; down 5 s.
    assert event.ts == pytest.approx(15.4)
    assert event.track_ids == (1,)
    assert event.boxes == (LYING.box,)
    assert event.zone == "platform"
    assert event.details == {
        "down_s": 5.0,
        "fell_at": 10.4,
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


def test_a_box_that_only_widens_or_flickers_is_no_fall() -> None:
    # A group far away seen as one blob that spreads: as high as before, much wider (aspect 0.6), centre lower.
    analytic, view = watch()
    spread = UPRIGHT.moved(y=UPRIGHT.y + 20, width=150)
    assert play(analytic, view, postures((0, UPRIGHT), (10, spread)), 0.0, 40.0).events == []
    # A fallen person whose box turns tall for one frame (a passer-by merged with it) is still down...
    analytic, view = watch()
    scene = postures((0, UPRIGHT), *falling(10.0), (12.0, UPRIGHT), (12.2, LYING))
    assert [e.ts for e in play(analytic, view, scene, 0.0, 30.0).events] == pytest.approx([15.4])
    # ... and an upright person whose box is low and wide for one frame has not fallen.
    analytic, view = watch()
    assert play(analytic, view, postures((0, UPRIGHT), (10, LYING), (10.2, UPRIGHT)), 0.0, 30.0).events == []


def test_a_person_standing_where_a_lost_fallen_person_lay_is_no_evidence() -> None:
    analytic, view = watch()
    lost = LYING.moved(state=TrackState.LOST, last_seen=11.0)
    box = LYING.box
    upright_here = Box(box.x1 + 15, box.y2 - 70, box.x1 + 75, box.y2)  # overlaps the lying box by IoU 0.35, tall
    standing = [detection(upright_here)]
    scene = postures((0, UPRIGHT), *falling(10.0), (11.2, lost), (13.0, None), detections=lambda ts: standing)
    assert play(analytic, view, scene, 0.0, 30.0).events == []


def test_a_lost_fallen_person_hidden_behind_a_passer_by_stays_down() -> None:
    analytic, view = watch()
    lost = LYING.moved(state=TrackState.LOST, last_seen=11.0)
    box = LYING.box
    blob = [detection(Box(box.x1 - 5, box.y2 - 100, box.x2 + 5, box.y2 + 2))]  # tall, covering the whole body
    scene = postures((0, UPRIGHT), *falling(10.0), (11.2, lost), (13.0, None), detections=lambda ts: blob)
    (event,) = play(analytic, view, scene, 0.0, 30.0).events
    assert event.ts == pytest.approx(15.4) and event.boxes == (LYING.box,)


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
    assert event.ts == pytest.approx(15.4)
    analytic, view = watch({"lost_grace_s": 3.0})
    scene = postures((0, UPRIGHT), *falling(10.0), (11.2, lost), (13.0, None))
    assert play(analytic, view, scene, 0.0, 30.0).events == []


def test_getting_up_rearms_for_a_second_fall() -> None:
    analytic, view = watch()
    scene = postures((0, UPRIGHT), *falling(10.0), (20.0, UPRIGHT), *falling(30.0))
    played = play(analytic, view, scene, 0.0, 40.0)
    assert [e.ts for e in played.events] == pytest.approx([15.4, 35.4])


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
            {"low_fraction": 1.5},
            "analytics.person_down.low_fraction: Input should be less than or equal to 1 (got 1.5)",
        ),
        (
            {"smooth_points": 0},
            "analytics.person_down.smooth_points: Input should be greater than or equal to 1 (got 0)",
        ),
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
