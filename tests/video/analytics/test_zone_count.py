"""Zone counting: one median count per zone per period, tentative and long-lost tracks left out, person detections
counting where a dense crowd merges tracks, densities from the area, and the settings and legal-basis checks."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import beffroi.video.analytics.zone_count  # noqa: F401  (registers the analytic)
from beffroi.errors import ConfigError
from beffroi.video.analytics.base import LegalBasis, ZoneCount, registered
from beffroi.video.detections import OBJECT, Box, Detection
from beffroi.video.presence import Presence
from beffroi.video.tracks import TrackState
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

ZONES = {"gate": rect(0, 0, 320, 360), "hall": rect(320, 0, 640, 360)}
GATE_AREA = 10.0 * 11.25  # from the ground plane: 320 × 360 px at 32 px/m


def test_counts_are_the_median_of_each_period_with_densities() -> None:
    analytic, view = build_one(camera({"zone_count": {}}, zones=ZONES, areas={"hall": 50.0}))
    standing = grid(3, 20, 100, 300, 300)
    newcomer = Person(9, 200, 330)

    def scene(ts: float) -> list[Person]:
        return [*standing, Person(8, 500, 200), *([newcomer] if ts >= 2.5 else [])]

    played = play(analytic, view, people_only(scene), 0.0, 4.0)
    gate = [c for c in played.zone_counts if c.zone == "gate"]
    assert [(c.ts, c.count) for c in gate] == [(1.0, 3), (2.0, 3), (3.0, 3), (4.0, 4)]
    assert gate[-1].density == pytest.approx(4 / GATE_AREA)
    hall = [c for c in played.zone_counts if c.zone == "hall"]
    assert hall[0] == ZoneCount("hall", 1.0, 1, 1 / 50.0, "detections")
    assert len(hall) == 4


def test_tentative_objects_and_long_lost_tracks_do_not_count() -> None:
    analytic, view = build_one(camera({"zone_count": {"zones": ["gate"], "lost_grace_s": 1.0}}, zones=ZONES))

    def scene(ts: float) -> list[Person]:
        return [
            Person(1, 100, 200),
            Person(2, 150, 200, state=TrackState.TENTATIVE),
            Person(3, 200, 200, label=OBJECT),
            Person(4, 250, 200, state=TrackState.LOST, last_seen=ts - 0.5),  # hidden a moment: counts
            Person(5, 280, 200, state=TrackState.LOST, last_seen=ts - 1.5),  # gone: does not
        ]

    played = play(analytic, view, people_only(scene), 0.0, 2.0)
    assert [(c.zone, c.count) for c in played.zone_counts] == [("gate", 2), ("gate", 2)]


def test_a_dense_crowd_counts_from_detections_and_a_one_frame_spike_is_smoothed_out() -> None:
    analytic, view = build_one(camera({"zone_count": {"zones": ["gate"]}}, zones=ZONES))
    merged = [Person(1, 100, 200, width=120), Person(2, 200, 250, width=120)]
    boxes = [p.box for p in grid(7, 20, 100, 300, 340)]

    def scene(ts: float) -> tuple[list[Person], list[Detection]]:
        spike = [detection(Box(x, 50, x + 10, 80)) for x in range(20, 300, 14)] if ts == 1.4 else []
        return merged, [detection(b, low_confidence=True) for b in boxes] + spike

    played = play(analytic, view, scene, 0.0, 2.0)
    assert [c.count for c in played.zone_counts] == [7, 7]


def test_without_area_no_density_and_gaps_emit_nothing_for_empty_periods() -> None:
    analytic, view = build_one(camera({"zone_count": {"period_s": 2.0}}, zones=ZONES, ground=False))

    def scene(ts: float) -> list[Person]:
        return [Person(1, 100, 200)]

    first = play(analytic, view, people_only(scene), 0.0, 1.8)
    later = play(analytic, view, people_only(scene), 9.0, 10.0)
    assert first.zone_counts == []
    assert [(c.zone, c.ts, c.count, c.density) for c in later.zone_counts] == [
        ("gate", 2.0, 1, None),
        ("hall", 2.0, 0, None),
        ("gate", 10.0, 1, None),  # the period [8, 10): nothing for [2, 8), which had no frame
        ("hall", 10.0, 0, None),
    ]


def presence(x1: float, x2: float) -> Presence:
    """Something stands out from the empty scene between columns x1 and x2 (pixels of the frame), top to bottom:
    on a grid of a third of the frame, like the motion gate's."""
    mask = np.zeros((HEIGHT // 3, WIDTH // 3), dtype=np.uint8)
    mask[:, round(x1 / 3) : round(x2 / 3)] = 1
    return Presence(mask, (WIDTH, HEIGHT))


def test_a_packed_zone_is_counted_from_its_occupancy_and_says_so() -> None:
    # The gate (112.5 m²) is 80 % hidden: 0.8 × 112.5 × 2 p/m² = 180 people, where 5 tracks are seen; the hall
    # is 20 % hidden: not dense, its one track counts.
    settings = {"occupancy": {"full_cover_density": 2.0}}
    analytic, view = build_one(camera({"zone_count": settings}, zones=ZONES))
    five = grid(5, 20, 100, 300, 300)
    zone_counts = []
    for ts in np.arange(0.0, 2.01, 0.2):
        frame = replace(context(view, ts, [*five, Person(9, 500, 200)]), presence=presence(0, 256))
        frame = replace(frame, presence=Presence(frame.presence.mask | presence(320, 384).mask, (WIDTH, HEIGHT)))
        zone_counts += analytic.update(frame).zone_counts
    by_zone = {count.zone: count for count in zone_counts if count.ts == 2.0}
    assert by_zone["gate"].count == pytest.approx(180, abs=2) and by_zone["gate"].method == "occupancy"
    assert by_zone["hall"].count == 1 and by_zone["hall"].method == "detections"


def test_walkers_that_hide_much_ground_are_not_a_packed_crowd() -> None:
    # The gate looks 80 % hidden (180 people at 2 p/m² full cover, 1.6 p/m²), but its five people walk at 1.3 m/s:
    # a crowd that dense walks at ~0.7 m/s at most (Weidmann); standing, or walking at 0.6 m/s, they may be one.
    for speed, expected in ((1.3, (5, "detections")), (0.6, (180, "occupancy")), (0.0, (180, "occupancy"))):
        analytic, view = build_one(camera({"zone_count": {"occupancy": {"full_cover_density": 2.0}}}, zones=ZONES))
        walkers = with_speed(grid(5, 20, 100, 300, 300), 0.0, speed)
        counts = []
        for ts in np.arange(0.0, 1.01, 0.2):
            frame = replace(context(view, ts, walkers), presence=presence(0, 256))
            counts += [(c.count, c.method) for c in analytic.update(frame).zone_counts if c.zone == "gate"]
        assert [(pytest.approx(count, abs=2), method) for count, method in counts] == [expected], speed


def test_occupancy_is_used_only_where_it_counts_more_or_when_enabled() -> None:
    # 80 % hidden at 0.05 p/m² full cover: 4.5 people, fewer than the 5 tracked; or occupancy turned off.
    for settings in ({"full_cover_density": 0.05}, {"enabled": False}):
        analytic, view = build_one(camera({"zone_count": {"occupancy": settings}}, zones=ZONES))
        five = grid(5, 20, 100, 300, 300)
        counts = []
        for ts in np.arange(0.0, 1.01, 0.2):
            frame = replace(context(view, ts, five), presence=presence(0, 256))
            counts += [(c.count, c.method) for c in analytic.update(frame).zone_counts if c.zone == "gate"]
        assert counts == [(5, "detections")]


def test_without_ground_plane_the_occupancy_is_not_estimated() -> None:
    analytic, view = build_one(camera({"zone_count": {}}, zones=ZONES, areas={"gate": 100.0}, ground=False))
    counts = []
    for ts in np.arange(0.0, 1.01, 0.2):
        frame = replace(context(view, ts, grid(5, 20, 100, 300, 300)), presence=presence(0, 320))
        counts += [(c.count, c.method) for c in analytic.update(frame).zone_counts if c.zone == "gate"]
    assert counts == [(5, "detections")]


def test_registered_as_counting() -> None:
    assert registered()["zone_count"].legal_basis is LegalBasis.COUNTING


def test_legal_basis_outside_the_authorisation_is_refused() -> None:
    with pytest.raises(ConfigError) as error:
        build_one(camera({"zone_count": {}}, zones=ZONES, authorised=["excessive_density"]))
    assert error.value.problems == ["analytics.zone_count: legal basis counting is not in `authorised`"]


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        (
            {"zones": ["gate", "nope"]},
            "analytics.zone_count: zones: unknown zone 'nope' (the camera's zones: gate, hall)",
        ),
        ({"period_s": 0}, "analytics.zone_count.period_s: Input should be greater than 0 (got 0)"),
        ({"perod_s": 2}, "analytics.zone_count.perod_s: Extra inputs are not permitted (got 2)"),
        (
            {"occupancy": {"dense_cover": 0}},
            "analytics.zone_count.occupancy.dense_cover: Input should be greater than 0 (got 0)",
        ),
    ],
)
def test_bad_settings_name_the_key(settings: dict[str, object], problem: str) -> None:
    with pytest.raises(ConfigError) as error:
        build_one(camera({"zone_count": settings}, zones=ZONES))
    assert error.value.problems == [problem]
