"""Local time at the scenario's place and the late-July Paris weather the sensors follow."""

from __future__ import annotations

import itertools
from datetime import datetime

import pytest

from beffroi.errors import ConfigError
from beffroi.sim.local_time import LocalTime
from beffroi.sim.weather import Weather

PARIS = LocalTime("Europe/Paris")
MIDNIGHT = datetime.fromisoformat("2024-07-27T00:00:00+02:00").timestamp()


def test_local_hour_and_day_follow_summer_time() -> None:
    assert PARIS.hour(MIDNIGHT) == 0.0
    assert PARIS.hour(MIDNIGHT + 5400) == 1.5
    assert PARIS.day(MIDNIGHT) == PARIS.day(MIDNIGHT + 86_399) == PARIS.day(MIDNIGHT - 1) + 1
    winter_noon = datetime.fromisoformat("2024-12-01T12:00:00+01:00").timestamp()
    assert PARIS.hour(winter_noon) == 12.0


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ConfigError, match="timezone: unknown time zone 'Mars/Olympus'"):
        LocalTime("Mars/Olympus")


def test_temperature_has_a_daily_cycle_in_the_july_range() -> None:
    weather = Weather(PARIS, seed=4)
    for day in range(10):
        start = MIDNIGHT + day * 86_400
        temps = [weather.temperature_c(start + minute * 60) for minute in range(0, 24 * 60, 10)]
        coldest = min(range(len(temps)), key=temps.__getitem__) * 10 / 60
        warmest = max(range(len(temps)), key=temps.__getitem__) * 10 / 60
        assert 5.5 <= coldest <= 6.5
        assert 15.5 <= warmest <= 16.5
        assert min(temps) >= 15
        assert max(temps) <= 34
        steps = [abs(b - a) for a, b in itertools.pairwise(temps)]
        assert max(steps) < 0.6  # smooth, midnight included


def test_humidity_moves_against_temperature() -> None:
    weather = Weather(PARIS, seed=4)
    dawn, afternoon = MIDNIGHT + 6 * 3600, MIDNIGHT + 16 * 3600
    assert weather.humidity_pct(dawn) > 80
    assert weather.humidity_pct(afternoon) < 45


def test_traffic_peaks_at_rush_hours() -> None:
    weather = Weather(PARIS, seed=4)
    at = {hour: weather.traffic(MIDNIGHT + hour * 3600) for hour in (3, 8.5, 11, 18)}
    assert at[8.5] > at[11] > at[3]
    assert at[18] > at[11]


def test_weather_is_fixed_by_the_seed() -> None:
    noon = MIDNIGHT + 12 * 3600
    assert Weather(PARIS, seed=1).temperature_c(noon) == Weather(PARIS, seed=1).temperature_c(noon)
    assert Weather(PARIS, seed=1).temperature_c(noon) != Weather(PARIS, seed=2).temperature_c(noon)


def test_conditions_hold_each_minute() -> None:
    weather = Weather(PARIS, seed=1)
    minute = MIDNIGHT + 14 * 3600
    first = weather.conditions(minute + 1)
    assert weather.conditions(minute + 59) == first
    assert first.temperature_c == weather.temperature_c(minute)
    assert first.hour == 14.0
    assert weather.conditions(minute + 60) != first
