"""Simulated time: emitted timestamps, accelerated pacing arithmetic, as-fast-as-possible mode."""

from __future__ import annotations

import math
import time

import pytest

from beffroi.errors import ConfigError
from beffroi.sim.clock import SimClock

START = 1_722_000_000.0  # 2024-07-26T13:20:00Z


def test_now_origin_maps_the_simulation_start_to_the_wall_start() -> None:
    clock = SimClock(START, time_origin="now", wall_start=1_780_000_000.25)
    assert clock.emitted_ts(START) == pytest.approx(1_780_000_000.25)
    assert clock.emitted_ts(START + 3600) == pytest.approx(1_780_003_600.25)
    assert clock.scenario_time(clock.emitted_ts(START + 42.5)) == pytest.approx(START + 42.5)


def test_now_origin_defaults_to_the_wall_clock_at_construction() -> None:
    before = time.time()
    clock = SimClock(START)
    after = time.time()
    assert before - 0.001 <= clock.emitted_ts(START) <= after + 0.001


def test_scenario_origin_emits_the_scenario_dates() -> None:
    clock = SimClock(START, time_origin="scenario", wall_start=1_780_000_000.0)
    assert clock.offset == 0.0
    assert clock.emitted_ts(START + 10) == START + 10


def test_accelerated_clock_runs_speed_times_faster_than_the_wall() -> None:
    clock = SimClock(START, speed=60.0, time_origin="scenario")
    clock.anchor(START + 100, monotonic_now=500.0)
    assert clock.scenario_now(monotonic_now=500.0) == START + 100
    assert clock.scenario_now(monotonic_now=502.5) == pytest.approx(START + 100 + 150)
    # 600 scenario seconds ahead take 10 wall seconds; 2 have passed already
    assert clock.wall_delay(START + 700, monotonic_now=502.0) == pytest.approx(8.0)
    # what is already due waits for nothing
    assert clock.wall_delay(START + 50, monotonic_now=502.0) == 0.0


def test_real_time_clock_waits_one_wall_second_per_scenario_second() -> None:
    clock = SimClock(START, speed=1.0, time_origin="scenario")
    clock.anchor(START, monotonic_now=0.0)
    assert clock.wall_delay(START + 30, monotonic_now=10.0) == pytest.approx(20.0)
    assert not clock.as_fast_as_possible


def test_infinite_speed_never_waits() -> None:
    clock = SimClock(START, speed=math.inf, time_origin="scenario")
    assert clock.as_fast_as_possible
    assert clock.wall_delay(START + 1e9) == 0.0
    assert clock.scenario_now() == math.inf


@pytest.mark.parametrize("speed", [0.0, -1.0, math.nan])
def test_bad_speed_is_refused_with_its_name(speed: float) -> None:
    with pytest.raises(ConfigError, match="speed"):
        SimClock(START, speed=speed)


def test_unknown_time_origin_is_refused() -> None:
    with pytest.raises(ConfigError, match="time_origin"):
        SimClock(START, time_origin="tomorrow")  # type: ignore[arg-type]
