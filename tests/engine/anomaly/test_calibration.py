"""The z-to-score map every anomaly algorithm shares."""

from __future__ import annotations

import math

import pytest

from beffroi.engine.anomaly.calibration import score_from_z, z_for_score, z_from_log_probability


def test_score_is_zero_at_zero_half_at_z_mid_and_below_one() -> None:
    assert score_from_z(0.0) == 0.0
    assert score_from_z(4.6) == pytest.approx(0.5)
    assert score_from_z(3.0, z_mid=3.0, steepness=2.0) == pytest.approx(0.5)
    assert score_from_z(math.inf) == 1.0
    assert 0.0 < score_from_z(1e-300) < 1e-12 or score_from_z(1e-300) == 0.0


def test_score_increases_with_the_magnitude_of_z_and_ignores_its_sign() -> None:
    zs = [0.5, 1.0, 3.0, 5.0, 8.0, 12.0, 30.0, 100.0]
    scores = [score_from_z(z) for z in zs]
    assert scores == sorted(scores)
    assert len(set(scores)) == len(scores), "large z stay apart (no rounding to 1.0)"
    assert score_from_z(-8.0) == score_from_z(8.0)


def test_default_alarm_threshold_is_about_eight_sigma() -> None:
    assert z_for_score(0.9) == pytest.approx(7.97, abs=0.01)
    for z in (0.7, 2.0, 9.0, 25.0):
        assert z_for_score(score_from_z(z)) == pytest.approx(z)
    with pytest.raises(ValueError, match="score must be in"):
        z_for_score(1.0)


def test_z_of_a_log_probability_is_the_gaussian_tail_equivalent() -> None:
    assert z_from_log_probability(0.0) == 0.0
    assert z_from_log_probability(-0.5 * 9.0) == pytest.approx(3.0)
