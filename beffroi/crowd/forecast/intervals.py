"""Prediction intervals from the forecaster's own past errors, per horizon, in bounded memory.

Each forecast made for a horizon is kept (one per minute) until its target time comes; the error then seen (in
log space) is divided by the horizon's recent error scale (a running mean of absolute errors over the last
~`memory` errors) and kept among the last `window` such normalised errors. The interval is the matching
quantiles of those (the 10th and 90th percentiles for 80 %) times the current scale, around the forecast shifted
by their median (a bias correction). Scales stay above 1 % and normalised errors are capped at 5 scales. Each miss
of the interval widens the next ones a little and each hit narrows them (adaptive conformal inference, Gibbs and
Candès 2021), so that over time misses keep to the configured share. It widens when the zone is hard to forecast,
narrows when it is not, and covers the configured share of outcomes once a few hours of errors have been seen.
Before `min_errors` errors, a normal law with a prior scale stands in.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from statistics import NormalDist

_GRID_S = 60.0
_STALE_S = 120.0
"""A forecast whose target passed more than this before the next observation is dropped unchecked."""
_MAE_TO_SD = 1.25
"""Standard deviation over mean absolute error, for a normal law."""
_MIN_SCALE = 0.01
"""The error scale never goes below 1 % (in log units): counting is never exact."""
_ADAPT_STEP = 0.005
"""How fast the share of errors used for the interval follows its recent misses (adaptive conformal inference)."""
_MAX_SCORE = 5.0
"""A normalised error is kept as at most 5 error scales, so one surprise cannot stretch intervals for hours."""


class HorizonErrors:
    """The recent normalised errors of one horizon, their scale and their quantiles."""

    __slots__ = ("_coverage", "_order", "_sorted", "_target", "lower", "median", "scale", "upper")

    def __init__(self, prior_scale: float, coverage: float, window: int) -> None:
        self.scale = prior_scale
        z = NormalDist().inv_cdf(0.5 + coverage / 2.0) * _MAE_TO_SD
        self.lower, self.median, self.upper = (-z, 0.0, z)
        self._target = coverage
        self._coverage = coverage
        self._order: deque[float] = deque(maxlen=window)
        self._sorted: list[float] = []

    @property
    def count(self) -> int:
        """How many normalised errors are held."""
        return len(self._order)

    def add(self, score: float, missed: bool, min_errors: int) -> None:
        """Keep a normalised error (dropping the oldest when full) and refresh the quantiles; a miss of the interval
        given with the forecast widens the next ones a little, a hit narrows them, so that misses keep to the target
        share."""
        self._coverage += _ADAPT_STEP * ((1.0 if missed else 0.0) - (1.0 - self._target))
        self._coverage = min(max(self._coverage, 0.5), 0.99)
        order, ranked = self._order, self._sorted
        if len(order) == order.maxlen:
            del ranked[bisect.bisect_left(ranked, order[0])]
        order.append(score)
        bisect.insort(ranked, score)
        if len(ranked) < min_errors:
            return
        last = len(ranked) - 1
        low_rank = (1.0 - self._coverage) / 2.0
        self.lower = ranked[round(low_rank * last)]
        self.median = ranked[round(0.5 * last)]
        self.upper = ranked[round((1.0 - low_rank) * last)]


class ResidualIntervals:
    """Error statistics for each horizon (seconds), and the pending forecasts waiting for their target time."""

    __slots__ = ("_alpha", "_min_errors", "_pending", "horizons_s", "stats")

    def __init__(
        self,
        horizons_s: tuple[float, ...],
        *,
        coverage: float,
        prior_scale: float,
        memory: float,
        window: int,
        min_errors: int = 30,
    ) -> None:
        self.horizons_s = horizons_s
        self.stats = [HorizonErrors(prior_scale * math.sqrt(h / 900.0), coverage, window) for h in horizons_s]
        self._alpha = 1.0 / memory
        self._min_errors = min_errors
        self._pending: list[deque[tuple[float, float, float, float, float]]] = [
            deque(maxlen=int(h / _GRID_S) + 3) for h in horizons_s
        ]

    def expect(self, ts: float, forecasts: tuple[float, ...]) -> None:
        """Keep the log forecasts (one per horizon) made at `ts`, with the current scales; one per minute."""
        minute = math.floor(ts / _GRID_S)
        for horizon, pending, forecast, stats in zip(
            self.horizons_s, self._pending, forecasts, self.stats, strict=True
        ):
            if pending and math.floor((pending[-1][0] - horizon) / _GRID_S) == minute:
                continue
            pending.append((ts + horizon, forecast, stats.scale, stats.lower, stats.upper))

    def observe(self, ts: float, value: float) -> None:
        """Check the pending forecasts whose target time has come against `value` (log count) seen at `ts`."""
        for stats, pending in zip(self.stats, self._pending, strict=True):
            while pending and pending[0][0] <= ts:
                target, forecast, scale, lower, upper = pending.popleft()
                if ts - target <= _STALE_S:
                    error = value - forecast
                    score = min(max(error / scale, -_MAX_SCORE), _MAX_SCORE)
                    stats.add(score, not lower <= score <= upper, self._min_errors)
                    stats.scale += self._alpha * (min(abs(error), 6.0 * stats.scale) - stats.scale)
                    stats.scale = max(stats.scale, _MIN_SCALE)

    @property
    def pending_count(self) -> int:
        """How many forecasts wait for their target time (at most one per minute of each horizon)."""
        return sum(len(pending) for pending in self._pending)
