"""A local level and slope of a series observed at irregular times (exponentially weighted least squares)."""

from __future__ import annotations

import math


class LocalTrend:
    """Level and slope (per minute) of a series at its latest time, fitted by least squares with weights that
    halve every `time_constant_s × ln 2` seconds into the past. Holds five sums, whatever the number of points."""

    __slots__ = ("_s0", "_s1", "_s2", "_sxz", "_sz", "_tau_min", "last_ts")

    def __init__(self, time_constant_s: float) -> None:
        self._tau_min = time_constant_s / 60.0
        self.last_ts = math.nan
        self.reset()

    def reset(self) -> None:
        """Forget every point."""
        self._s0 = self._s1 = self._s2 = self._sz = self._sxz = 0.0
        self.last_ts = math.nan

    def add(self, ts: float, value: float) -> None:
        """Add a point at `ts` (epoch seconds, not before the last one)."""
        if self._s0 > 0.0:
            dt = (ts - self.last_ts) / 60.0
            decay = math.exp(-dt / self._tau_min)
            s0, s1 = self._s0 * decay, self._s1 * decay
            # Move the origin of time to `ts`: x' = x - dt.
            self._s2 = (self._s2 - 2.0 * dt * self._s1 + dt * dt * self._s0) * decay
            self._sxz = (self._sxz - dt * self._sz) * decay
            self._s1 = s1 - dt * s0
            self._s0 = s0
            self._sz *= decay
        self._s0 += 1.0
        self._sz += value
        self.last_ts = ts

    @property
    def weight(self) -> float:
        """The total weight of the points (about the number of points in one time constant)."""
        return self._s0

    def level_and_slope(self) -> tuple[float, float]:
        """(level at the latest time, slope per minute); slope 0 until the points span some time."""
        s0 = self._s0
        if s0 <= 0.0:
            return 0.0, 0.0
        det = s0 * self._s2 - self._s1 * self._s1
        if det <= 1e-9 * s0 * s0:
            return self._sz / s0, 0.0
        slope = (s0 * self._sxz - self._s1 * self._sz) / det
        return (self._sz - slope * self._s1) / s0, slope
