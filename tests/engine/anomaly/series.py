"""Synthetic series for the anomaly algorithm tests: a daily and weekly cycle with noise, fast to make."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from tests.engine.builders import T0

DAY = 86_400.0
FloatArray = npt.NDArray[np.float64]


def seasonal_series(days: float, interval_s: float = 600.0, seed: int = 0) -> tuple[FloatArray, FloatArray]:
    """Timestamps and values: 20 + 5 sin(daily) + a 4-unit bump on Saturday evenings + N(0, 0.3) noise."""
    rng = np.random.default_rng(seed)
    ts = T0 + np.arange(0.0, days * DAY, interval_s)
    hour_of_week = ((ts + 3 * DAY) % (7 * DAY)) / 3600.0
    saturday_evening = (hour_of_week >= 5 * 24 + 18) & (hour_of_week < 5 * 24 + 21)
    values = 20.0 + 5.0 * np.sin(2 * np.pi * ts / DAY) + 4.0 * saturday_evening + rng.normal(0.0, 0.3, len(ts))
    return ts, np.round(values, 2)
