"""The Numenta Anomaly Benchmark (NAB) scoring scheme, for labelled series scored point by point.

Follows NAB v1 as published by Numenta (Lavin & Ahmad, "Evaluating Real-time Anomaly Detection Algorithms —
the Numenta Anomaly Benchmark", 2015) and its reference code (github.com/numenta/NAB: `nab/labeler.py`
`applyWindows`/`checkWindows`, `nab/sweeper.py` `scaledSigmoid`/`calcSweepScore`/`calcScoreByThreshold`,
`nab/runner.py` normalisation):

- Windows: each label (an anomaly's onset index) gets a window of `int(0.10 × points / labels)` points centred
  on it, `[label - length // 2, label + length // 2]` clipped to the series; overlapping windows are merged.
- Probation: the first `min(floor(0.15 × points), 750)` points are not scored at all (a window lying wholly in
  it is neither found nor missed).
- A detection is a point whose score is at least the threshold. In a window, only the earliest detection counts
  (a true positive), worth `A_TP × σ(y) / σ(-1)` where y = -(right - i + 1) / width is its relative position
  (-1 at the window's left edge, towards 0 at its right edge) and σ(y) = 2 / (1 + exp(5y)) - 1 the scaled
  sigmoid; a window without detection costs `A_FN`. Every detection outside a window is a false positive worth
  `A_FP × -σ(y)` with y = |i - right of the preceding window| / (width of that window - 1) (a detection right
  after a window costs almost nothing, one far after it the full A_FP); σ(y) is -1 for y ≥ 3 and for a false
  positive before any window.
- Standard profile: A_TP = 1, A_FP = -0.11, A_FN = -1.
- Normalised score: 100 × (raw - null) / (perfect - null), where the null detector never detects (raw = A_FN ×
  windows) and the perfect one detects at the left edge of every window (raw = A_TP × windows); sums over the
  series of a corpus before normalising.

Thresholds are swept the way NAB's optimiser does: the raw score of every candidate threshold over a whole
corpus, keeping the best (`best_threshold`); here that is done on the tuning series, and the threshold found is
then applied to held-out series.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import msgspec
import numpy as np
import numpy.typing as npt

WINDOW_FRACTION = 0.10
PROBATION_FRACTION = 0.15
PROBATION_CAP_POINTS = 750

FloatArray = npt.NDArray[np.float64]
Window = tuple[int, int]
"""Inclusive point indexes [left, right] of an anomaly window."""


class CostProfile(msgspec.Struct, frozen=True):
    """NAB's application profile: the weights of a true positive, a false positive and a false negative."""

    a_tp: float = 1.0
    a_fp: float = -0.11
    a_fn: float = -1.0


STANDARD = CostProfile()


class SeriesScore(msgspec.Struct, frozen=True):
    """The NAB score of one detector on one or more series at one threshold."""

    raw: float
    null: float
    perfect: float
    true_positives: int
    false_negatives: int
    false_positives: int

    @property
    def normalised(self) -> float:
        """100 × (raw - null) / (perfect - null); 0 when there is no window to find."""
        span = self.perfect - self.null
        return 100.0 * (self.raw - self.null) / span if span else 0.0

    def __add__(self, other: SeriesScore) -> SeriesScore:
        return SeriesScore(
            raw=self.raw + other.raw,
            null=self.null + other.null,
            perfect=self.perfect + other.perfect,
            true_positives=self.true_positives + other.true_positives,
            false_negatives=self.false_negatives + other.false_negatives,
            false_positives=self.false_positives + other.false_positives,
        )


EMPTY_SCORE = SeriesScore(0.0, 0.0, 0.0, 0, 0, 0)


def scaled_sigmoid(position: float) -> float:
    """NAB's scaled sigmoid of a relative position: 2 / (1 + exp(5 × position)) - 1, and -1 from position 3 on."""
    if position >= 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * position)) - 1.0


def probation_length(points: int) -> int:
    """How many leading points NAB leaves unscored: min(floor(15 % of the series), 750)."""
    return min(math.floor(PROBATION_FRACTION * points), PROBATION_CAP_POINTS)


def windows(points: int, labels: Sequence[int]) -> list[Window]:
    """NAB's windows around `labels` (onset indexes), merged where they overlap, in order."""
    if points <= 0:
        return []
    ordered = sorted(labels)
    if any(not 0 <= label < points for label in ordered):
        raise ValueError(f"labels must be indexes into the {points} points, got {ordered}")
    if not ordered:
        return []
    half = int(WINDOW_FRACTION * points / len(ordered)) // 2
    merged: list[Window] = []
    for label in ordered:
        left, right = max(label - half, 0), min(label + half, points - 1)
        if merged and left <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], right))
        else:
            merged.append((left, right))
    return merged


def point_weights(points: int, series_windows: Sequence[Window], profile: CostProfile = STANDARD) -> FloatArray:
    """What a detection at each point is worth (NAB's sweep score): the TP weight in a window, the FP one outside."""
    weights = np.empty(points, dtype=np.float64)
    max_tp = scaled_sigmoid(-1.0)
    index = np.arange(points, dtype=np.float64)
    previous_right: int | None = None
    previous_width = 0
    start = 0
    for left, right in [*series_windows, (points, points)]:
        gap = slice(start, left)
        if previous_right is None:
            weights[gap] = -1.0 * -profile.a_fp
        else:
            positions = np.abs(index[gap] - previous_right) / max(previous_width - 1, 1)
            weights[gap] = _scaled_sigmoid_array(positions) * -profile.a_fp
        if left >= points:
            break
        width = right - left + 1
        inside = slice(left, right + 1)
        positions = -(right - index[inside] + 1) / width
        weights[inside] = _scaled_sigmoid_array(positions) * profile.a_tp / max_tp
        previous_right, previous_width, start = right, width, right + 1
    return weights


def _scaled_sigmoid_array(positions: FloatArray) -> FloatArray:
    values = 2.0 / (1.0 + np.exp(np.minimum(5.0 * positions, 700.0))) - 1.0
    return np.where(positions >= 3.0, -1.0, values)


def score_detections(
    detections: npt.NDArray[np.bool_], labels: Sequence[int], profile: CostProfile = STANDARD
) -> SeriesScore:
    """The NAB score of one series given which points are detections and the labels' onset indexes."""
    points = len(detections)
    series_windows = windows(points, labels)
    weights = point_weights(points, series_windows, profile)
    probation = probation_length(points)
    scored = np.asarray(detections, dtype=bool).copy()
    scored[:probation] = False
    in_window = np.zeros(points, dtype=bool)
    raw = 0.0
    true_positives = 0
    for left, right in series_windows:
        in_window[left : right + 1] = True
    series_windows = [w for w in series_windows if w[1] >= probation]
    for left, right in series_windows:
        hits = np.flatnonzero(scored[left : right + 1])
        if len(hits):
            raw += float(weights[left + hits[0]])
            true_positives += 1
        else:
            raw += profile.a_fn
    false = scored & ~in_window
    raw += float(weights[false].sum())
    count = len(series_windows)
    return SeriesScore(
        raw=raw,
        null=profile.a_fn * count,
        perfect=profile.a_tp * count,
        true_positives=true_positives,
        false_negatives=count - true_positives,
        false_positives=int(false.sum()),
    )


def score_series(
    scores: FloatArray, labels: Sequence[int], threshold: float, profile: CostProfile = STANDARD
) -> SeriesScore:
    """The NAB score of one series of anomaly scores at `threshold` (detection: score ≥ threshold)."""
    return score_detections(np.asarray(scores) >= threshold, labels, profile)


class ThresholdSweep:
    """The raw NAB score of one series at many thresholds at once (NAB's `calcScoreByThreshold`, vectorised)."""

    def __init__(self, scores: FloatArray, labels: Sequence[int], profile: CostProfile = STANDARD) -> None:
        values = np.asarray(scores, dtype=np.float64)
        self.scores = values
        points = len(values)
        self.profile = profile
        all_windows = windows(points, labels)
        weights = point_weights(points, all_windows, profile)
        probation = probation_length(points)
        scorable = np.ones(points, dtype=bool)
        scorable[:probation] = False
        in_window = np.zeros(points, dtype=bool)
        for left, right in all_windows:
            in_window[left : right + 1] = True
        self.windows = [w for w in all_windows if w[1] >= probation]
        self._window_maxima: list[FloatArray] = []
        self._window_weights: list[FloatArray] = []
        for left, right in self.windows:
            part = np.where(scorable[left : right + 1], values[left : right + 1], -np.inf)
            self._window_maxima.append(np.maximum.accumulate(part))
            self._window_weights.append(weights[left : right + 1])
        outside = scorable & ~in_window
        order = np.argsort(-values[outside], kind="stable")
        self._fp_scores = values[outside][order]
        self._fp_cumulative = np.concatenate(([0.0], np.cumsum(weights[outside][order])))

    def raw(self, thresholds: FloatArray) -> FloatArray:
        """The raw score at each threshold."""
        thresholds = np.asarray(thresholds, dtype=np.float64)
        detected = np.searchsorted(-self._fp_scores, -thresholds, side="right")
        total = self._fp_cumulative[detected].copy()
        for maxima, weights in zip(self._window_maxima, self._window_weights, strict=True):
            first = np.searchsorted(maxima, thresholds, side="left")
            hit = first < len(maxima)
            total += np.where(hit, weights[np.minimum(first, len(maxima) - 1)], self.profile.a_fn)
        return total

    def score(self, threshold: float) -> SeriesScore:
        """The full score at one threshold (counts included)."""
        count = len(self.windows)
        thresholds = np.asarray([threshold])
        true_positives = sum(int(np.searchsorted(m, threshold, side="left") < len(m)) for m in self._window_maxima)
        false_positives = int(np.searchsorted(-self._fp_scores, -threshold, side="right"))
        return SeriesScore(
            raw=float(self.raw(thresholds)[0]),
            null=self.profile.a_fn * count,
            perfect=self.profile.a_tp * count,
            true_positives=true_positives,
            false_negatives=count - true_positives,
            false_positives=false_positives,
        )


MAX_CANDIDATES = 100_000


def candidate_thresholds(sweeps: Sequence[ThresholdSweep]) -> FloatArray:
    """The thresholds worth trying: every distinct positive score of the series (NAB sweeps them all), thinned
    evenly by rank when there are more than `MAX_CANDIDATES`."""
    values = np.unique(np.concatenate([sweep.scores for sweep in sweeps] or [np.zeros(0)]))
    values = values[values > 0.0]
    if len(values) > MAX_CANDIDATES:
        values = values[np.linspace(0, len(values) - 1, MAX_CANDIDATES).round().astype(np.int64)]
    return values if len(values) else np.asarray([1.0])


def best_threshold(sweeps: Sequence[ThresholdSweep], thresholds: FloatArray | None = None) -> tuple[float, float]:
    """The threshold with the best raw score summed over `sweeps` (the lowest such), and that score."""
    candidates = candidate_thresholds(sweeps) if thresholds is None else np.asarray(thresholds, dtype=np.float64)
    total = np.zeros(len(candidates), dtype=np.float64)
    for sweep in sweeps:
        total += sweep.raw(candidates)
    best = int(np.argmax(total))
    return float(candidates[best]), float(total[best])


def corpus_score(sweeps: Sequence[ThresholdSweep], threshold: float) -> SeriesScore:
    """The summed score of several series at one threshold (normalise it with `.normalised`)."""
    total = EMPTY_SCORE
    for sweep in sweeps:
        total = total + sweep.score(threshold)
    return total
