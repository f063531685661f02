"""The two baselines the anomaly detectors are measured against: a fixed threshold and a rolling z-score.

Both score points in [0, 1] through the same z-to-score map as the detectors (`calibration`), so that NAB's
threshold sweep treats all four alike.

- `FixedBand`: what an integrator does by hand — look at a first stretch of history (`learn_s`, a week by
  default), set a low and a high limit at its `quantile` and 1 - `quantile` quantiles, and alarm beyond them.
  Its z-equivalent is the distance outside the band in tenths of the band's width (0 inside).
- `RollingZScore`: the distance of each point from the mean of the previous `window` points, in their
  standard deviations.
"""

from __future__ import annotations

import math
import sys
from array import array

import numpy as np

from beffroi.engine.anomaly.calibration import score_from_z
from beffroi.engine.anomaly.seasonal import DAY


class FixedBand:
    """A fixed band learned from the first `learn_s` seconds of a series; scores 0 inside and while learning."""

    __slots__ = ("_first_ts", "_high", "_history", "_last_ts", "_learn_s", "_low", "_quantile", "score")

    def __init__(self, learn_s: float = 7 * DAY, quantile: float = 0.0) -> None:
        if not 0.0 <= quantile < 0.5:
            raise ValueError(f"quantile must be in [0, 0.5), got {quantile!r}")
        self._learn_s = learn_s
        self._quantile = quantile
        self._history: array[float] | None = array("d")
        self._first_ts = math.nan
        self._last_ts = -math.inf
        self._low = self._high = math.nan
        self.score = 0.0

    @property
    def band(self) -> tuple[float, float] | None:
        """The (low, high) limits once learned."""
        return None if self._history is not None else (self._low, self._high)

    @property
    def nbytes(self) -> int:
        """Bytes held (the learning history is dropped once the band is set)."""
        history = sys.getsizeof(self._history) if self._history is not None else 0
        return sys.getsizeof(self) + history

    def update(self, ts: float, value: float) -> float:
        """Score the point against the band (learning it first while the learning period lasts)."""
        if ts <= self._last_ts:
            return self.score
        self._last_ts = ts
        if self._history is not None:
            if math.isnan(self._first_ts):
                self._first_ts = ts
            if ts - self._first_ts < self._learn_s:
                self._history.append(value)
                return 0.0
            values = np.frombuffer(self._history, dtype=np.float64)
            self._low, self._high = (float(q) for q in np.quantile(values, [self._quantile, 1.0 - self._quantile]))
            self._history = None
        width = max(self._high - self._low, 1e-9 * (1.0 + abs(self._high)))
        outside = max(self._low - value, value - self._high, 0.0)
        self.score = score_from_z(10.0 * outside / width)
        return self.score


class RollingZScore:
    """The z-score of each point against the previous `window` points (0 until half the window is filled)."""

    __slots__ = ("_count", "_last_ts", "_next", "_since_exact", "_sum", "_sum_sq", "_values", "score")

    def __init__(self, window: int = 360) -> None:
        if window < 2:
            raise ValueError(f"window must be at least 2 points, got {window!r}")
        self._values = array("d", bytes(8 * window))
        self._next = 0
        self._count = 0
        self._sum = 0.0
        self._sum_sq = 0.0
        self._since_exact = 0
        self._last_ts = -math.inf
        self.score = 0.0

    @property
    def nbytes(self) -> int:
        """Bytes held: the object and its window."""
        return sys.getsizeof(self) + sys.getsizeof(self._values)

    def update(self, ts: float, value: float) -> float:
        """Score the point against the window, then push it in."""
        if ts <= self._last_ts:
            return self.score
        self._last_ts = ts
        window = len(self._values)
        count = self._count
        if count >= max(window // 2, 2):
            mean = self._sum / count
            variance = max(self._sum_sq / count - mean * mean, 0.0)
            sigma = max(math.sqrt(variance), 1e-9 * (1.0 + abs(mean)))
            self.score = score_from_z((value - mean) / sigma)
        oldest = self._values[self._next]
        if count == window:
            self._sum -= oldest
            self._sum_sq -= oldest * oldest
        else:
            self._count += 1
        self._values[self._next] = value
        self._next = (self._next + 1) % window
        self._sum += value
        self._sum_sq += value * value
        self._since_exact += 1
        if self._since_exact >= window:
            filled = self._values[: self._count] if self._count < window else self._values
            self._sum = math.fsum(filled)
            self._sum_sq = math.fsum(v * v for v in filled)
            self._since_exact = 0
        return self.score
