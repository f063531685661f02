"""How a zone's count follows its schedule's features, learned online (robust recursive least squares)."""

from __future__ import annotations

import math

import numpy as np

from beffroi.crowd.forecast.schedule import FEATURE_COUNT

_HUBER_K = 3.0
_TRACE_LIMIT = 50.0


class ScheduleFit:
    """Coefficients of count ≈ Σ coefficient × feature, refined with each observation and forgetting with a time
    constant of `memory_s` (so a week of sessions shapes them). Outliers (an overcrowding, a counter glitch) weigh
    less: a residual beyond 3 typical residuals counts in proportion to how far it is (Huber)."""

    __slots__ = ("_listed", "_memory_s", "_p", "_scale", "coefficients", "last_ts", "updates")

    def __init__(self, memory_s: float) -> None:
        self._memory_s = memory_s
        self.coefficients = np.zeros(FEATURE_COUNT)
        self._listed = [0.0] * FEATURE_COUNT
        self._p = np.eye(FEATURE_COUNT)
        self._scale = 0.05
        self.last_ts = math.nan
        self.updates = 0.0

    def predict(self, features: tuple[float, ...]) -> float:
        """The fitted value for these features, at least 0."""
        c = self._listed
        value = c[0] * features[0] + c[1] * features[1] + c[2] * features[2] + c[3] * features[3]
        return max(value + c[4] * features[4], 0.0)

    def predict_many(self, features: np.ndarray) -> np.ndarray:
        """The fitted values (at least 0) for each row of `features`."""
        result: np.ndarray = np.maximum(features @ self.coefficients, 0.0)
        return result

    def update(self, ts: float, features: tuple[float, ...], value: float) -> None:
        """Learn from `value` observed at `ts` with these features."""
        if self.updates == 0.0:
            self.coefficients[0] = value
        dt = 0.0 if math.isnan(self.last_ts) else max(ts - self.last_ts, 0.0)
        self.last_ts = ts
        forget = math.exp(-dt / self._memory_s)
        f = np.asarray(features)
        residual = value - float(self.coefficients @ f)
        size = abs(residual)
        weight = 1.0 if size <= _HUBER_K * self._scale else _HUBER_K * self._scale / size
        self._scale += 0.01 * (min(size, 5.0 * self._scale) - self._scale)
        self._scale = max(self._scale, 1e-4)
        pf = self._p @ f
        gain = pf / (forget / weight + float(f @ pf))
        self.coefficients += gain * residual
        self._p = (self._p - np.outer(gain, pf)) / forget
        trace = float(np.trace(self._p))
        if trace > _TRACE_LIMIT:
            self._p *= _TRACE_LIMIT / trace
        self._listed = self.coefficients.tolist()
        self.updates += 1.0
