"""Outdoor weather and background pollution of a late-July Paris: daily cycles, each day drawn from the seed.

Temperature: minimum ~06:00, maximum ~16:00 local; daily minima 15-20 °C and maxima 24-34 °C (the 2024 Games
had days from ~20 °C to ~35 °C). Humidity moves against temperature. Traffic (for NO₂ and particles) peaks at
the morning and evening rush hours.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from beffroi.sim.local_time import LocalTime
from beffroi.sim.seeding import unit

T_MIN_RANGE = (15.0, 20.0)
T_MAX_RANGE = (24.0, 34.0)
COLDEST_HOUR = 6.0
WARMEST_HOUR = 16.0
STEP_S = 60.0
"""`conditions` holds each value for a minute: weather moves far slower, and this spares the devices the maths."""


class Conditions(NamedTuple):
    """The weather of one minute."""

    temperature_c: float
    humidity_pct: float
    traffic: float
    pm2_5_background: float
    hour: float


class Weather:
    """Ambient conditions at any scenario time, fixed by the seed (same seed, same weather)."""

    def __init__(self, local_time: LocalTime, seed: int) -> None:
        self._local = local_time
        self._seed = seed
        self._days: dict[int, tuple[float, float, float]] = {}
        self._step = -1
        self._conditions = Conditions(0.0, 0.0, 0.0, 0.0, 0.0)

    def conditions(self, t: float) -> Conditions:
        """The weather of the minute holding `t` (computed at the minute's start)."""
        step = int(t // STEP_S)
        if step != self._step:
            start = step * STEP_S
            self._conditions = Conditions(
                self.temperature_c(start),
                self.humidity_pct(start),
                self.traffic(start),
                self.background_pm2_5(start),
                self._local.hour(start),
            )
            self._step = step
        return self._conditions

    def _day(self, day: int) -> tuple[float, float, float]:
        """(minimum °C, maximum °C, background PM2.5 µg/m³) of a local day."""
        cached = self._days.get(day)
        if cached is None:
            t_min = T_MIN_RANGE[0] + (T_MIN_RANGE[1] - T_MIN_RANGE[0]) * unit(self._seed, "tmin", day)
            t_max = T_MAX_RANGE[0] + (T_MAX_RANGE[1] - T_MAX_RANGE[0]) * unit(self._seed, "tmax", day)
            pm = 7.0 + 11.0 * unit(self._seed, "pm", day)
            cached = self._days[day] = (t_min, t_max, pm)
        return cached

    def temperature_c(self, t: float) -> float:
        """Outdoor air temperature (°C): cosine rise from the day's minimum to its maximum, fall to the next minimum."""
        local = self._local.local_seconds(t)
        day = int(local // 86_400)
        hour = (local % 86_400) / 3600
        if hour < COLDEST_HOUR:
            _, high, _ = self._day(day - 1)
            low, _, _ = self._day(day)
            phase = (hour + 24 - WARMEST_HOUR) / (24 - WARMEST_HOUR + COLDEST_HOUR)
            return high - (high - low) * (1 - math.cos(math.pi * phase)) / 2
        if hour < WARMEST_HOUR:
            low, high, _ = self._day(day)
            phase = (hour - COLDEST_HOUR) / (WARMEST_HOUR - COLDEST_HOUR)
            return low + (high - low) * (1 - math.cos(math.pi * phase)) / 2
        _, high, _ = self._day(day)
        low, _, _ = self._day(day + 1)
        phase = (hour - WARMEST_HOUR) / (24 - WARMEST_HOUR + COLDEST_HOUR)
        return high - (high - low) * (1 - math.cos(math.pi * phase)) / 2

    def humidity_pct(self, t: float) -> float:
        """Relative humidity (%): ~85 % at the coolest, ~35-40 % at the warmest."""
        low, high, _ = self._day(self._local.day(t))
        temperature = self.temperature_c(t)
        span = max(high - low, 1.0)
        return 38.0 + 47.0 * min(max((high - temperature) / span, 0.0), 1.0)

    def traffic(self, t: float) -> float:
        """Road traffic index in [0, ~1.1]: rush-hour peaks at 08:30 and 18:00, quiet at night."""
        hour = self._local.hour(t)
        return (
            0.15
            + 0.8 * math.exp(-(((hour - 8.5) / 1.5) ** 2))
            + 0.7 * math.exp(-(((hour - 18.0) / 2.0) ** 2))
            + 0.3 * math.exp(-(((hour - 13.0) / 3.0) ** 2))
        )

    def background_pm2_5(self, t: float) -> float:
        """Background PM2.5 (µg/m³) of the day, before local traffic and crowd."""
        return self._day(self._local.day(t))[2]
