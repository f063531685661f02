"""The robust seasonal baseline: learns cycles, scores anomalies high, stays small and deterministic."""

from __future__ import annotations

import numpy as np
import pytest

from beffroi.engine.anomaly.params import parse_params
from beffroi.engine.anomaly.seasonal import DAY, SeasonalBaseline, SeasonalParams
from beffroi.errors import ConfigError
from tests.engine.anomaly.series import seasonal_series

WARM = SeasonalParams(warmup_s=7 * DAY)


def run(model: SeasonalBaseline, ts: np.ndarray, values: np.ndarray) -> np.ndarray:
    return np.array([model.update(t, v) for t, v in zip(ts.tolist(), values.tolist(), strict=True)])


def test_a_clean_seasonal_series_scores_low_once_learned() -> None:
    ts, values = seasonal_series(days=21)
    scores = run(SeasonalBaseline(WARM), ts, values)
    warm = ts - ts[0] >= 7 * DAY
    assert np.all(scores[~warm] == 0.0), "no score during the warm-up"
    assert np.quantile(scores[warm], 0.99) < 0.3
    assert scores[warm].max() < 0.9, "the weekly bump is learned, not flagged"


def test_the_daily_and_weekly_cycles_are_learned() -> None:
    ts, values = seasonal_series(days=21, seed=3)
    model = SeasonalBaseline(WARM)
    run(model, ts, values)
    monday = ts[-1] - (ts[-1] + 3 * DAY) % (7 * DAY)
    saturday_evening = monday + 5 * DAY + 19.5 * 3600
    if saturday_evening > ts[-1]:
        saturday_evening -= 7 * DAY
    weekday_evening = saturday_evening - 2 * DAY
    truth = 20.0 + 5.0 * np.sin(2 * np.pi * np.array([saturday_evening, weekday_evening]) / DAY)
    assert model.expected(saturday_evening) == pytest.approx(truth[0] + 4.0, abs=0.6)
    assert model.expected(weekday_evening) == pytest.approx(truth[1], abs=0.6)


def test_a_spike_scores_high_and_neighbours_do_not() -> None:
    ts, values = seasonal_series(days=14)
    spiked = values.copy()
    at = len(ts) - 100
    spiked[at] += 6.0
    scores = run(SeasonalBaseline(WARM), ts, spiked)
    assert scores[at] >= 0.9
    assert scores[at - 5 : at].max() < 0.5


def test_a_level_shift_scores_high_soon_then_is_learned() -> None:
    ts, values = seasonal_series(days=18)
    shifted = values.copy()
    at = int(np.searchsorted(ts, ts[0] + 10 * DAY))
    shifted[at:] += 2.5
    scores = run(SeasonalBaseline(WARM), ts, shifted)
    assert scores[at : at + 12].max() >= 0.9, "within two hours"
    assert np.quantile(scores[at + 6 * 144 :], 0.95) < 0.5, "a lasting shift becomes the new normal within days"


def test_a_stuck_sensor_scores_high() -> None:
    ts, values = seasonal_series(days=12)
    stuck = values.copy()
    at = len(ts) - 200
    stuck[at : at + 60] = stuck[at - 1]
    scores = run(SeasonalBaseline(WARM), ts, stuck)
    assert scores[at + 10 : at + 60].min() >= 0.9
    assert scores[at - 20 : at].max() < 0.5


@pytest.mark.slow
def test_memory_stays_bounded_over_100k_points() -> None:
    ts, values = seasonal_series(days=100_000 * 60 / DAY, interval_s=60.0)
    model = SeasonalBaseline()
    before = model.nbytes
    scores = run(model, ts, values)
    assert len(ts) == 100_000
    assert model.nbytes == before < 10_000
    assert np.isfinite(scores).all()


def test_same_input_same_scores_and_old_points_are_ignored() -> None:
    ts, values = seasonal_series(days=9)
    first = run(SeasonalBaseline(WARM), ts, values)
    second = SeasonalBaseline(WARM)
    again = run(second, ts, values)
    assert np.array_equal(first, again)
    last = second.score
    assert second.update(ts[5], 1e6) == last, "a point older than the last one changes nothing"


def test_parameters_are_checked_with_their_names() -> None:
    with pytest.raises(ConfigError, match="slot_s"):
        SeasonalParams(slot_s=7.0)
    with pytest.raises(ConfigError, match="level_tau_s"):
        SeasonalParams(level_tau_s=float("nan"))
    with pytest.raises(ConfigError, match="unknown field `nope`"):
        parse_params(SeasonalParams, {"nope": "1"}, "test")
    assert parse_params(SeasonalParams, {"weekly": "false", "slot_s": "900"}, "test") == SeasonalParams(
        weekly=False, slot_s=900.0
    )
