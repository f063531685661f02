"""The baselines the detectors are measured against."""

from __future__ import annotations

import pytest

from beffroi.engine.anomaly.baselines import FixedBand, RollingZScore


def test_fixed_band_learns_its_limits_then_scores_only_outside_them() -> None:
    band = FixedBand(learn_s=100.0)
    for t in range(100):
        assert band.update(float(t), 10.0 + t % 5) == 0.0
    assert band.update(100.0, 12.0) == 0.0
    assert band.band == (10.0, 14.0)
    assert band.update(101.0, 14.0) == 0.0
    just_above = band.update(102.0, 15.0)
    far_below = band.update(103.0, -30.0)
    assert 0.0 < just_above < far_below < 1.0, "the further outside, the higher"
    assert band.update(103.0, 99.0) == far_below, "a point not after the last one changes nothing"


def test_fixed_band_quantile_trims_the_extremes() -> None:
    band = FixedBand(learn_s=1000.0, quantile=0.01)
    for t in range(1000):
        band.update(float(t), float(t % 100))
    band.update(1000.0, 0.0)
    low, high = band.band or (0.0, 0.0)
    assert low == pytest.approx(0.99, abs=0.01)
    assert high == pytest.approx(98.01, abs=0.01)
    with pytest.raises(ValueError, match="quantile"):
        FixedBand(quantile=0.5)


def test_rolling_z_score_scores_against_the_previous_window() -> None:
    z = RollingZScore(window=50)
    scores = [z.update(float(t), 1.0 if t % 2 else -1.0) for t in range(200)]
    assert scores[:24] == [0.0] * 24, "nothing before half a window"
    assert max(scores[30:]) < 0.1
    assert z.update(200.0, 8.0) > 0.9  # 8 σ from the window's mean
    with pytest.raises(ValueError, match="window"):
        RollingZScore(window=1)


def test_rolling_z_score_sums_stay_exact_over_long_runs() -> None:
    z = RollingZScore(window=10)
    for t in range(10_000):
        z.update(float(t), 1e6 + (t % 3))
    assert z.update(10_000.0, 1e6 + 1) < 0.05
