"""The crowd model: arrivals before a session, a full house during it, departures after, zones by kind."""

from __future__ import annotations

from datetime import datetime

import pytest

from beffroi.sim.catalogue import Catalogue
from beffroi.sim.crowd import (
    CUM_IN,
    CUM_OUT,
    PRESENT,
    RATIO_CEILING,
    CrowdModel,
    commute_fraction,
    soft_ratio,
)
from beffroi.sim.local_time import LocalTime
from beffroi.sim.scenario import Scenario

KICK_OFF = datetime.fromisoformat("2024-07-26T19:00:00+02:00").timestamp()
FINAL_WHISTLE = datetime.fromisoformat("2024-07-26T20:50:00+02:00").timestamp()
ATTENDANCE = 30_000
MINUTE = 60.0


@pytest.fixture(scope="module")
def crowd(scenario: Scenario) -> CrowdModel:
    return CrowdModel(Catalogue(scenario), LocalTime(scenario.timezone), seed=3)


def test_people_arrive_in_the_hours_before_the_start(crowd: CrowdModel) -> None:
    stand = crowd.place("stade", "stand-north")
    samples = [stand.occupancy(KICK_OFF - hours * 3600) for hours in (3.5, 2.0, 1.0, 0.5, 0.0)]
    assert samples[0] == 0
    assert samples == sorted(samples), samples
    assert samples[-1] > 0.7 * ATTENDANCE  # most of the crowd is in the stand by kick-off


def test_arrival_rate_peaks_30_to_50_minutes_before_the_start(crowd: CrowdModel) -> None:
    site = crowd.sites["stade"]
    rates = {
        minutes: site.value(KICK_OFF - (minutes - 1) * MINUTE, CUM_IN) - site.value(KICK_OFF - minutes * MINUTE, CUM_IN)
        for minutes in range(1, 200)
    }
    peak = max(rates, key=lambda m: rates[m])
    assert 30 <= peak <= 50, peak
    assert site.value(KICK_OFF - 181 * MINUTE, CUM_IN) == 0


def test_everyone_who_came_leaves_within_45_minutes_of_the_end(crowd: CrowdModel) -> None:
    site = crowd.sites["stade"]
    assert site.value(FINAL_WHISTLE + 46 * MINUTE, CUM_IN) == pytest.approx(ATTENDANCE)
    assert site.value(FINAL_WHISTLE + 46 * MINUTE, CUM_OUT) == pytest.approx(ATTENDANCE)
    assert site.value(FINAL_WHISTLE + 46 * MINUTE, PRESENT) == pytest.approx(0, abs=1)
    assert site.value(FINAL_WHISTLE + 30 * MINUTE, CUM_OUT) > 0.9 * ATTENDANCE
    assert site.value(FINAL_WHISTLE - 11 * MINUTE, CUM_OUT) == 0


def test_occupancy_falls_after_the_end(crowd: CrowdModel) -> None:
    stand = crowd.place("stade", "stand-north")
    samples = [stand.occupancy(FINAL_WHISTLE + minutes * MINUTE) for minutes in (-15, 5, 15, 30, 60)]
    assert samples == sorted(samples, reverse=True), samples
    assert samples[-1] == 0


def test_gates_carry_the_flow_and_empty_during_the_session(crowd: CrowdModel) -> None:
    gate = crowd.place("stade", "gate-a")
    busy = gate.occupancy(KICK_OFF - 40 * MINUTE)
    mid_match = gate.occupancy(KICK_OFF + 60 * MINUTE)
    egress = gate.occupancy(FINAL_WHISTLE + 10 * MINUTE)
    assert busy > 10 * mid_match
    assert egress > 10 * mid_match
    entered, left = gate.flows(KICK_OFF - 3.5 * 3600, FINAL_WHISTLE + 3600)
    assert entered == pytest.approx(ATTENDANCE)  # the only gate zone takes every arrival
    assert left == pytest.approx(ATTENDANCE)


def test_half_time_moves_people_to_the_concourse(crowd: CrowdModel) -> None:
    concourse = crowd.place("stade", "concourse")
    half_time = (KICK_OFF + FINAL_WHISTLE) / 2
    assert concourse.occupancy(half_time) > 2 * concourse.occupancy(half_time - 30 * MINUTE)


def test_zone_ratios_stay_under_the_ceiling_without_incidents(crowd: CrowdModel) -> None:
    for zone_id in ("gate-a", "stand-north", "concourse", "perimeter"):
        place = crowd.place("stade", zone_id)
        ratios = [place.ratio(KICK_OFF + k * 5 * MINUTE) for k in range(-48, 30)]
        assert max(ratios) <= RATIO_CEILING
        assert min(ratios) >= 0


def test_zone_without_capacity_has_ratio_zero(crowd: CrowdModel) -> None:
    assert crowd.place("stade", "technical").ratio(KICK_OFF) == 0.0


def test_station_platform_has_commuter_peaks(crowd: CrowdModel) -> None:
    platform = crowd.place("gare", "platform-1")
    day = datetime.fromisoformat("2024-07-29T00:00:00+02:00").timestamp()
    morning, noon, evening, night = (platform.occupancy(day + h * 3600) for h in (8.5, 12.0, 18.0, 3.0))
    assert morning > noon > night
    assert evening > noon
    assert commute_fraction(8.5) > 4 * commute_fraction(3.0)


def test_observed_occupancy_noise_is_small_and_seeded(scenario: Scenario) -> None:
    one = CrowdModel(Catalogue(scenario), LocalTime(scenario.timezone), seed=1).place("stade", "stand-north")
    same = CrowdModel(Catalogue(scenario), LocalTime(scenario.timezone), seed=1).place("stade", "stand-north")
    other = CrowdModel(Catalogue(scenario), LocalTime(scenario.timezone), seed=2).place("stade", "stand-north")
    t = KICK_OFF + 30 * MINUTE
    assert one.observed(t) == same.observed(t)
    assert one.observed(t) != other.observed(t)
    assert one.observed(t) == pytest.approx(one.occupancy(t), rel=0.08)


def test_soft_ratio_is_identity_below_the_knee_and_bounded_above() -> None:
    assert soft_ratio(0.3) == 0.3
    assert soft_ratio(0.8) < 0.8
    assert soft_ratio(5.0) <= RATIO_CEILING
    values = [soft_ratio(x / 100) for x in range(0, 300)]
    assert values == sorted(values)


def test_site_place_counts_everyone_present(crowd: CrowdModel) -> None:
    site = crowd.place("stade", None)
    assert site.capacity == ATTENDANCE
    assert site.occupancy(KICK_OFF + 30 * MINUTE) == pytest.approx(ATTENDANCE, rel=0.01)
    assert site.activity(KICK_OFF + 30 * MINUTE) == pytest.approx(1.0, abs=0.01)
