"""NAB scoring on hand-computed cases (Lavin & Ahmad 2015; numenta/NAB sweeper.py and labeler.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from beffroi.engine.anomaly import nab

# NAB's scaled sigmoid by hand: σ(y) = 2 / (1 + e^(5y)) - 1.
S_LEFT_EDGE = 2 / (1 + math.exp(-5)) - 1  # y = -1: 0.986614…
S_HALF_PAST = 2 / (1 + math.exp(2.5)) - 1  # y = +0.5: -0.848283…


def detections(points: int, *at: int) -> np.ndarray:
    flags = np.zeros(points, dtype=bool)
    flags[list(at)] = True
    return flags


def test_scaled_sigmoid_values() -> None:
    assert nab.scaled_sigmoid(-1.0) == pytest.approx(0.9866142981514303)
    assert nab.scaled_sigmoid(0.0) == 0.0
    assert nab.scaled_sigmoid(0.5) == pytest.approx(-0.8482836399575129)
    assert nab.scaled_sigmoid(3.0) == -1.0
    assert nab.scaled_sigmoid(10.0) == -1.0


def test_windows_are_ten_percent_of_the_series_shared_among_labels_and_merged() -> None:
    assert nab.windows(100, [50]) == [(45, 55)]  # int(0.1 * 100 / 1) = 10 points: 50 ± 5
    assert nab.windows(100, [70, 30]) == [(28, 32), (68, 72)]  # int(10 / 2) = 5: ± 2
    assert nab.windows(100, [50, 52]) == [(48, 54)]  # (48, 52) and (50, 54) overlap
    assert nab.windows(100, [2]) == [(0, 7)]  # clipped at the start
    assert nab.windows(100, []) == []
    with pytest.raises(ValueError, match="labels must be indexes"):
        nab.windows(100, [100])


def test_probation_is_fifteen_percent_capped_at_750_points() -> None:
    assert nab.probation_length(100) == 15
    assert nab.probation_length(4_000) == 600
    assert nab.probation_length(100_000) == 750


def test_a_detection_at_the_left_edge_scores_a_full_true_positive() -> None:
    score = nab.score_detections(detections(100, 45), [50])
    assert score.raw == pytest.approx(1.0)
    assert (score.null, score.perfect) == (-1.0, 1.0)
    assert score.normalised == pytest.approx(100.0)
    assert (score.true_positives, score.false_negatives, score.false_positives) == (1, 0, 0)


def test_a_late_detection_is_worth_less_and_only_the_first_in_a_window_counts() -> None:
    # At the right edge i = 55 of the 11-point window [45, 55]: y = -(55 - 55 + 1) / 11.
    right_edge = (2 / (1 + math.exp(-5 / 11)) - 1) / S_LEFT_EDGE  # 0.2265…
    assert nab.score_detections(detections(100, 55), [50]).raw == pytest.approx(right_edge)
    # At i = 50: y = -(55 - 50 + 1) / 11 = -6/11; a later detection at 54 adds nothing.
    middle = (2 / (1 + math.exp(-30 / 11)) - 1) / S_LEFT_EDGE
    assert nab.score_detections(detections(100, 50, 54), [50]).raw == pytest.approx(middle)


def test_false_positives_cost_the_fp_weight_scaled_by_distance_past_the_previous_window() -> None:
    # Before any window: the full A_FP; the window is missed: A_FN.
    before = nab.score_detections(detections(100, 20), [50])
    assert before.raw == pytest.approx(-0.11 - 1.0)
    assert before.normalised == pytest.approx(100 * (-1.11 - -1.0) / (1.0 - -1.0))  # -5.5
    assert before.false_positives == 1
    # At i = 60 after the window [45, 55] (width 11): y = |55 - 60| / (11 - 1) = 0.5.
    after = nab.score_detections(detections(100, 45, 60), [50])
    assert after.raw == pytest.approx(1.0 + 0.11 * S_HALF_PAST)
    # Right after the window it costs little (y = 0.1: a quarter of A_FP); from y = 3 on, the full A_FP.
    just_after = 2 / (1 + math.exp(0.5)) - 1  # -0.2449…
    assert nab.score_detections(detections(100, 45, 56), [50]).raw == pytest.approx(1.0 + 0.11 * just_after)
    assert nab.score_detections(detections(100, 45, 85), [50]).raw == pytest.approx(1.0 - 0.11)


def test_detections_in_the_probationary_period_are_ignored() -> None:
    assert nab.score_detections(detections(100, 3, 10, 14), [50]).raw == pytest.approx(-1.0)
    assert nab.score_detections(detections(100, 15), [50]).raw == pytest.approx(-1.11)


def test_a_window_inside_the_probation_counts_neither_way() -> None:
    score = nab.score_detections(detections(1000, 400), [20, 500])
    assert (score.null, score.perfect) == (-1.0, 1.0), "only the window after the probation is scored"


def test_the_sweep_agrees_with_direct_scoring_at_every_threshold() -> None:
    rng = np.random.default_rng(4)
    scores = rng.random(3_000) ** 6
    scores[1_200:1_210] = 0.95
    labels = [1_205, 2_400]
    sweep = nab.ThresholdSweep(scores, labels)
    thresholds = np.array([0.05, 0.3, 0.5, 0.9, 0.94, 0.96, 0.999])
    for threshold, raw in zip(thresholds, sweep.raw(thresholds), strict=True):
        direct = nab.score_series(scores, labels, float(threshold))
        assert raw == pytest.approx(direct.raw)
        swept = sweep.score(float(threshold))
        assert swept.raw == pytest.approx(direct.raw)
        counts = (swept.true_positives, swept.false_negatives, swept.false_positives)
        assert counts == (direct.true_positives, direct.false_negatives, direct.false_positives)


def test_the_best_threshold_separates_anomalies_from_noise() -> None:
    rng = np.random.default_rng(5)
    series = []
    for _ in range(3):
        scores = 0.5 * rng.random(2_000)
        scores[1_500] = 0.8
        series.append(nab.ThresholdSweep(scores, [1_500]))
    threshold, raw = nab.best_threshold(series)
    assert 0.5 < threshold <= 0.8
    total = nab.corpus_score(series, threshold)
    assert raw == pytest.approx(total.raw)
    # Each detection is at its label, the centre of the window [1400, 1600]: y = -(1600 - 1500 + 1) / 201.
    at_centre = (2 / (1 + math.exp(-5 * 101 / 201)) - 1) / S_LEFT_EDGE
    assert total.raw == pytest.approx(3 * at_centre)
    assert total.false_positives == 0
    assert nab.corpus_score(series, 1.1).normalised == 0.0, "the null detector scores 0"
