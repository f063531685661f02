"""Series and forecasts built for the forecast tests."""

from __future__ import annotations

import math

import numpy as np

from beffroi.crowd.forecast import PATH_MINUTES, Forecast

T0 = 1_722_000_000.0  # 2024-07-26T13:20:00Z
MINUTE = 60.0


def path_forecast(
    count: float, median: list[float] | np.ndarray, *, spread: float = 0.05, area_m2: float = 100.0
) -> Forecast:
    """A Forecast from `count` whose median path (one value per minute of PATH_MINUTES) is `median`, with a
    log-normal spread of `spread` on both sides."""
    median = np.asarray(median, dtype=float)
    assert median.shape == PATH_MINUTES.shape
    offset = 1.0
    return Forecast(
        ts=T0,
        count=count,
        area_m2=area_m2,
        coverage=0.8,
        offset=offset,
        center=np.log(median + offset),
        lower_sd=np.full(len(PATH_MINUTES), spread),
        upper_sd=np.full(len(PATH_MINUTES), spread),
    )


def ramp_path(count: float, per_minute: float) -> np.ndarray:
    """A straight median path from `count`, `per_minute` people a minute."""
    return count + per_minute * PATH_MINUTES


def coverage(hits: list[bool]) -> float:
    """Share of True."""
    return sum(hits) / len(hits) if hits else math.nan
