"""Density: the smoothed people per m² of a zone against the standing and moving levels, amber then red, the
hysteresis and clear time that re-arm a level, counts from detections, and the settings and legal-basis checks."""

from __future__ import annotations

import functools
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

import beffroi.video.analytics.density  # noqa: F401  (registers the analytic)
from beffroi.errors import ConfigError
from beffroi.video.analytics.base import Analytic, CameraView, LegalBasis, VideoEvent, registered
from beffroi.video.presence import Presence
from tests.video.analytics.crowd_builders import (
    HEIGHT,
    WIDTH,
    Person,
    build_one,
    camera,
    context,
    detection,
    grid,
    people_only,
    play,
    rect,
    with_speed,
)

ZONES = {"pit": rect(0, 0, 160, 160), "far": rect(400, 0, 640, 360)}
PIT_AREA = 25.0  # 160 × 160 px at 32 px/m


@functools.cache
def crowd(n: int, speed_m_s: float = 0.0) -> list[Person]:
    """`n` people in the pit moving at `speed_m_s`."""
    return with_speed(grid(n, 2, 2, 158, 158), speed_m_s)


def watch(settings: dict[str, Any] | None = None, *, ground: bool = True) -> tuple[Analytic, CameraView]:
    areas = {} if ground else {"pit": PIT_AREA, "far": 60.0}
    return build_one(
        camera({"density": {"zones": ["pit"], **(settings or {})}}, zones=ZONES, areas=areas, ground=ground)
    )


def steps(*phases: tuple[float, int, float]) -> Any:
    """A scene whose pit holds `n` people moving at `speed` m/s from each phase's start time."""

    def scene(ts: float) -> list[Person]:
        n, speed = next((n, speed) for start, n, speed in reversed(phases) if ts >= start)
        return crowd(n, speed)

    return people_only(scene)


def summary(events: list[VideoEvent]) -> list[tuple[float, object, object]]:
    return [(round(e.ts, 1), e.details["level"], e.details["moving"]) for e in events]


def test_standing_crowd_turns_amber_then_red_on_the_smoothed_density() -> None:
    analytic, view = watch()
    played = play(analytic, view, steps((0, 50, 0.0), (20, 90, 0.0), (40, 130, 0.0)), 0.0, 80.0)
    # window 10 s at 5 fps: the mean reaches 3.5 p/m² (87.5 people) with 47 frames of 90 (29.2 s), red (117.5)
    # with 35 of 130 (46.8 s); each level is raised once held for the 3 s dwell
    assert summary(played.events) == [(32.2, "amber", False), (49.8, "red", False)]
    amber, red = played.events
    assert amber.type == "crowd_density" and amber.zone == "pit"
    assert amber.legal_basis is LegalBasis.EXCESSIVE_DENSITY
    assert amber.details["density"] == pytest.approx(90 / PIT_AREA, abs=0.01)
    assert amber.details["count"] == 90
    assert amber.details["method"] == "detections"
    assert amber.details["area_m2"] == pytest.approx(PIT_AREA)
    assert amber.details["threshold"] == 3.5 and red.details["threshold"] == 4.7
    assert amber.details["speed_m_s"] == 0.0
    assert amber.boxes[0].x2 == pytest.approx(160) and amber.boxes[0].y2 == pytest.approx(160)


def test_below_the_levels_nothing_is_raised() -> None:
    analytic, view = watch()
    assert play(analytic, view, steps((0, 85, 0.0)), 0.0, 40.0).events == []  # 3.4 p/m² standing


def test_a_moving_crowd_is_judged_on_the_lower_moving_levels() -> None:
    analytic, view = watch()
    played = play(analytic, view, steps((0, 60, 1.0)), 0.0, 20.0)  # 2.4 p/m² walking at 1 m/s
    assert summary(played.events) == [(13.0, "amber", True)]  # judged from 10 s, held for 3 s
    assert played.events[0].details["speed_m_s"] == pytest.approx(1.0)
    assert played.events[0].details["threshold"] == 2.0
    standing, view = watch()
    assert play(standing, view, steps((0, 60, 0.3)), 0.0, 20.0).events == []  # 0.3 m/s: standing


def test_without_ground_plane_the_standing_levels_apply() -> None:
    analytic, view = watch(ground=False)
    assert play(analytic, view, steps((0, 60, 1.0)), 0.0, 20.0).events == []
    crowded, view = watch(ground=False)
    played = play(crowded, view, steps((0, 95, 1.0)), 0.0, 20.0)
    assert summary(played.events) == [(13.0, "amber", False)]
    assert played.events[0].details["speed_m_s"] is None


def test_a_dip_within_the_hysteresis_does_not_rearm_but_a_long_clear_does() -> None:
    analytic, view = watch({"clear_s": 30.0, "hysteresis": 0.5})
    phases = (
        (0, 90, 0.0),  # amber (3.6)
        (30, 80, 0.0),  # 3.2: above 3.5 - 0.5, still armed off
        (90, 90, 0.0),  # back to 3.6: no new event
        (120, 60, 0.0),  # 2.4 for 20 s: below 3.0 but not for 30 s
        (140, 90, 0.0),  # no new event
        (170, 50, 0.0),  # 2.0 for 60 s: re-arms
        (230, 90, 0.0),  # amber again
    )
    played = play(analytic, view, steps(*phases), 0.0, 260.0, fps=2.0)
    assert [(e.details["level"]) for e in played.events] == ["amber", "amber"]
    assert played.events[0].ts == pytest.approx(13.0)
    assert 230.0 < played.events[1].ts < 243.0


def test_red_rearms_on_its_own_while_amber_holds() -> None:
    analytic, view = watch({"clear_s": 10.0})
    played = play(analytic, view, steps((0, 125, 0.0), (30, 95, 0.0), (80, 125, 0.0)), 0.0, 100.0, fps=2.0)
    assert summary(played.events)[0] == (13.0, "red", False)
    assert [e.details["level"] for e in played.events] == ["red", "red"]
    assert played.events[1].ts > 80.0


def test_counts_from_detections_where_the_crowd_merges_tracks_and_per_zone_levels() -> None:
    analytic, view = watch({"zone_levels": {"pit": {"standing_amber": 2.0, "standing_red": 3.0}}})
    boxes = [p.box for p in crowd(60)]

    def scene(ts: float) -> tuple[list[Person], list[Any]]:
        return crowd(5), [detection(b, low_confidence=True) for b in boxes]

    played = play(analytic, view, scene, 0.0, 15.0)
    assert summary(played.events) == [(13.0, "amber", False)]
    assert played.events[0].details["count"] == 60
    assert played.events[0].details["threshold"] == 2.0
    assert played.events[0].confidence == 0.5


def test_a_bunch_shorter_than_the_dwell_raises_nothing() -> None:
    analytic, view = watch({"window_s": 1.0, "dwell_s": 3.0})
    # 4 p/m² for 2.6 s (the 1 s mean at 3.5 or more for less than the dwell), then 1.6 p/m²; then 4 p/m² for 10 s
    played = play(analytic, view, steps((0, 40, 0.0), (5, 100, 0.0), (7.6, 40, 0.0), (20, 100, 0.0)), 0.0, 30.0)
    assert summary(played.events) == [(23.6, "amber", False)]  # the 1 s mean reaches 3.5 at 20.6 s


def pit_hidden(share: float) -> Presence:
    """The pit (the frame's top-left 160 × 160 px) hidden over its top `share`, on a grid of a quarter of the
    frame."""
    mask = np.zeros((HEIGHT // 4, WIDTH // 4), dtype=np.uint8)
    mask[: round(40 * share), :40] = 1
    return Presence(mask, (WIDTH, HEIGHT))


def test_a_packed_crowd_is_judged_on_its_occupancy() -> None:
    # 10 people tracked; the pit's ground 80 % hidden: 0.8 × 25 m² × 6 p/m² = 120 people, 4.8 p/m² (red)
    analytic, view = watch({"window_s": 2.0, "dwell_s": 1.0})
    events = []
    for ts in np.arange(0.0, 4.01, 0.2):
        events += analytic.update(replace(context(view, ts, crowd(10)), presence=pit_hidden(0.8))).events
    assert [(round(e.ts, 1), e.details["level"], e.details["method"]) for e in events] == [(3.0, "red", "occupancy")]
    assert events[0].details["density"] == pytest.approx(4.8, abs=0.05)
    # 30 % hidden is not dense: the tracks count (0.4 p/m²), nothing is raised
    sparse, view = watch({"window_s": 2.0, "dwell_s": 1.0})
    for ts in np.arange(0.0, 4.01, 0.2):
        assert sparse.update(replace(context(view, ts, crowd(10)), presence=pit_hidden(0.3))).events == []


def test_registered_as_excessive_density() -> None:
    assert registered()["density"].legal_basis is LegalBasis.EXCESSIVE_DENSITY


def test_legal_basis_outside_the_authorisation_is_refused() -> None:
    with pytest.raises(ConfigError) as error:
        build_one(camera({"density": {"zones": ["pit"]}}, zones=ZONES, authorised=["counting"]))
    assert error.value.problems == ["analytics.density: legal basis excessive_density is not in `authorised`"]


def test_a_zone_without_area_is_refused() -> None:
    with pytest.raises(ConfigError) as error:
        build_one(camera({"density": {}}, zones=ZONES, ground=False, areas={"far": 60.0}))
    assert error.value.problems == [
        "analytics.density: zones: zone 'pit' has no area: give it `area_m2` or the camera a ground plane"
    ]


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"zones": ["nope"]}, "analytics.density: zones: unknown zone 'nope' (the camera's zones: far, pit)"),
        ({"zone_levels": {"far": {}}}, "analytics.density: zone_levels.far: not a watched zone (watched: pit)"),
        (
            {"levels": {"standing_amber": 5.0}},
            "analytics.density.levels.standing_red: Value error, must be above standing_amber (5) (got 4.7)",
        ),
        (
            {"hysteresis": 2.0},
            "analytics.density.hysteresis: Value error, must be below every amber level (2 p/m²) (got 2.0)",
        ),
        ({"window_s": -1}, "analytics.density.window_s: Input should be greater than 0 (got -1)"),
        ({"dwell_s": -1}, "analytics.density.dwell_s: Input should be greater than or equal to 0 (got -1)"),
        (
            {"occupancy": {"full_cover_density": "many"}},
            "analytics.density.occupancy.full_cover_density: Input should be a valid number, unable to parse string "
            "as a number (got 'many')",
        ),
    ],
)
def test_bad_settings_name_the_key(settings: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigError) as error:
        build_one(camera({"density": {"zones": ["pit"], **settings}}, zones=ZONES))
    assert error.value.problems == [problem]
