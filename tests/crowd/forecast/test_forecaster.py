"""The zone forecaster: ramps, plateaus, a schedule-driven arrival curve, calibrated intervals, bounded memory."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

from beffroi.crowd.forecast import (
    MOVING,
    STANDING,
    DensityThresholds,
    ForecastSettings,
    Schedule,
    Session,
    ZoneForecaster,
    ZoneWatch,
)
from beffroi.crowd.forecast.announcer import RedExpected
from beffroi.errors import ConfigError, RejectedInput
from beffroi.sim.crowd import ARRIVALS, DEPARTURES
from tests.crowd.forecast.helpers import MINUTE, T0, coverage

DAY = 86400.0


def test_linear_ramp_is_extrapolated_with_a_narrow_interval_around_the_future() -> None:
    forecaster = ZoneForecaster(1000.0, STANDING)
    for i in range(240):
        forecast = forecaster.observe(T0 + i * MINUTE, 500.0 + 10.0 * i)
    now = 500.0 + 10.0 * 239
    for minutes in (15, 30):
        ahead = forecast.at(minutes)
        future = now + 10.0 * minutes
        assert ahead.count == pytest.approx(future, rel=0.02)
        assert ahead.low < ahead.count < ahead.high
        assert ahead.high - ahead.low < 0.05 * future
        assert ahead.density == pytest.approx(ahead.count / 1000.0)
    assert forecast.at(30).count > forecast.at(15).count > now


def test_plateau_stays_flat_and_its_interval_holds_it() -> None:
    rng = np.random.default_rng(3)
    forecaster = ZoneForecaster(1000.0, STANDING)
    for i in range(600):
        forecast = forecaster.observe(T0 + i * MINUTE, 2000.0 * (1.0 + 0.02 * rng.standard_normal()))
    for minutes in (15, 30):
        ahead = forecast.at(minutes)
        assert ahead.count == pytest.approx(2000.0, rel=0.03)
        assert ahead.low < 2000.0 < ahead.high
        assert ahead.high / ahead.low < 1.15
    assert forecast.probability_above(STANDING.red * 1000.0, 30) < 0.01


def _session_counts(start: float, end: float, attendance: float, times: np.ndarray) -> np.ndarray:
    """People in a stand: arrived minus left (the simulator's arrival and departure curves) plus a few staff."""
    return np.array([50.0 + attendance * max(ARRIVALS.cdf(t - start) - DEPARTURES.cdf(t - end), 0.0) for t in times])


def _raised_at(watch: ZoneWatch, times: np.ndarray, counts: np.ndarray) -> list[float]:
    """When the watch raised a "red expected" announcement over the series."""
    raised = []
    for t, count in zip(times.tolist(), counts.tolist(), strict=True):
        _, announcements = watch.observe(t, count)
        if any(isinstance(a, RedExpected) and not a.repeat for a in announcements):
            raised.append(t)
    return raised


def test_schedule_driven_arrivals_announce_red_before_it_comes() -> None:
    """Four evenings of a 90-minute session; the last one draws 40 % more people than usual, enough for red. Knowing
    the schedule (and having learned the stand's share of it), the forecaster sees red coming from the arrival
    curve well before the count reaches it."""
    area = 1000.0
    thresholds = DensityThresholds(amber=3.0, red=4.0)  # red: 4000 people, the usual evening peaks at ~3200
    sessions = [Session(T0 + d * DAY + 6 * 3600.0, T0 + d * DAY + 7.5 * 3600.0, f"day {d}") for d in range(4)]
    schedule = Schedule(sessions)
    rng = np.random.default_rng(5)
    times = T0 + np.arange(0.0, 4 * DAY, MINUTE)
    counts = np.zeros(len(times))
    for d, session in enumerate(sessions):
        attendance = 3200.0 * (1.4 if d == 3 else 1.0)
        day = (times >= T0 + d * DAY) & (times < T0 + (d + 1) * DAY)
        counts[day] = _session_counts(session.start, session.end, attendance, times[day])
    counts *= 1.0 + 0.01 * rng.standard_normal(len(times))
    red_at = float(times[np.flatnonzero(counts >= thresholds.red * area)[0]])
    assert red_at > T0 + 3 * DAY

    with_schedule = _raised_at(ZoneWatch("stand", area, thresholds, schedule=schedule), times, counts)
    # The first evening teaches the stand's share of the sessions; the next two ordinary ones raise nothing.
    assert not [t for t in with_schedule if T0 + DAY <= t < T0 + 3 * DAY]
    last_evening = [t for t in with_schedule if t >= T0 + 3 * DAY]
    assert last_evening
    lead_min = (red_at - last_evening[0]) / 60.0
    assert lead_min >= 10.0
    without = [t for t in _raised_at(ZoneWatch("stand", area, thresholds), times, counts) if t >= T0 + 3 * DAY]
    assert not without or (red_at - without[0]) / 60.0 < lead_min


def _noisy_series(seed: int, n: int) -> np.ndarray:
    """A crowd wandering around 2000 people (log-AR(1), an hour of memory) read with 3 % noise."""
    rng = np.random.default_rng(seed)
    rho = math.exp(-1.0 / 60.0)
    x = 0.0
    level = np.empty(n)
    for i in range(n):
        x = rho * x + math.sqrt(1.0 - rho * rho) * 0.3 * rng.standard_normal()
        level[i] = x
    return 2000.0 * np.exp(level) * (1.0 + 0.03 * rng.standard_normal(n))


@pytest.mark.parametrize("seed", [1, 2])
def test_interval_covers_about_80_percent_of_noisy_outcomes(seed: int) -> None:
    n = 3 * 1440
    counts = _noisy_series(seed, n)
    forecaster = ZoneForecaster(1000.0, STANDING)
    forecasts = [forecaster.observe(T0 + i * MINUTE, float(counts[i])) for i in range(n)]
    for minutes in (15, 30):
        hits = []
        for i in range(720, n - minutes):
            ahead = forecasts[i].at(minutes)
            hits.append(ahead.low <= counts[i + minutes] <= ahead.high)
        assert 0.75 <= coverage(hits) <= 0.85, (minutes, coverage(hits))


def test_inflow_above_outflow_raises_the_forecast_before_the_counts_show_it() -> None:
    """A steady zone whose gates start letting in 60 more people a minute than leave: with the flows the forecast
    turns up at once, from the counts alone only once the trend shows."""
    with_flows = ZoneForecaster(500.0, MOVING)
    counts_only = ZoneForecaster(500.0, MOVING)
    for i in range(120):
        with_flows.observe(T0 + i * MINUTE, 800.0, 100.0, 100.0)
        counts_only.observe(T0 + i * MINUTE, 800.0)
    for j in range(1, 4):
        count = 800.0 + 60.0 * j
        flowing = with_flows.observe(T0 + (119 + j) * MINUTE, count, 160.0, 100.0)
        plain = counts_only.observe(T0 + (119 + j) * MINUTE, count)
    assert flowing.at(15).count > 1.05 * plain.at(15).count
    assert flowing.at(15).count > 980.0 + 100.0


def test_state_stays_the_same_size_over_10k_observations() -> None:
    rng = np.random.default_rng(7)
    schedule = Schedule([Session(T0 + d * DAY + 3600.0, T0 + d * DAY + 3 * 3600.0) for d in range(8)])
    forecaster = ZoneForecaster(800.0, STANDING, schedule)
    sizes = {}
    for i in range(10_000):
        count = 1500.0 + 500.0 * math.sin(i / 90.0) + 30.0 * rng.standard_normal()
        forecaster.observe(T0 + i * MINUTE, count, 50.0, 48.0)
        if i + 1 in (1_000, 10_000):
            sizes[i + 1] = (len(pickle.dumps(forecaster)), forecaster.pending_forecasts)
    (small, pending_small), (large, pending_large) = sizes[1_000], sizes[10_000]
    assert abs(large - small) <= 0.01 * small
    assert pending_small == pending_large <= 15 + 30 + 6


def test_bad_observations_are_rejected_with_a_reason() -> None:
    forecaster = ZoneForecaster(100.0, STANDING)
    forecaster.observe(T0, 10.0)
    with pytest.raises(RejectedInput, match="count must be a finite number"):
        forecaster.observe(T0 + MINUTE, -1.0)
    with pytest.raises(RejectedInput, match="before the previous observation"):
        forecaster.observe(T0 - MINUTE, 10.0)
    with pytest.raises(ConfigError, match="area_m2"):
        ZoneForecaster(0.0, STANDING)
    with pytest.raises(ConfigError, match="coverage"):
        ForecastSettings(coverage=1.5)


def test_a_daily_peak_seen_on_previous_days_is_not_mistaken_for_a_build_up() -> None:
    """A station platform fills every morning to 80 % of red in 40 minutes. On the first mornings the rise looks
    like a build-up toward red; once the usual day is learned (median of the last three), it no longer does."""
    area = 500.0
    thresholds = DensityThresholds(amber=3.0, red=4.0)  # red: 2000 people
    rng = np.random.default_rng(11)
    times = T0 + np.arange(0.0, 5 * DAY, MINUTE)
    hour = ((times - T0) % DAY) / 3600.0
    peak = np.exp(-(((hour - 8.0) / 0.5) ** 2))
    counts = (300.0 + 1300.0 * peak) * (1.0 + 0.02 * rng.standard_normal(len(times)))
    raised = _raised_at(ZoneWatch("platform", area, thresholds), times, counts)
    days = sorted({int((t - T0) // DAY) for t in raised})
    assert days and days[0] < 2
    assert all(day < 2 for day in days)
