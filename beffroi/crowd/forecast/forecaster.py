"""Short-term forecast of one zone's people count, 1 to 30 minutes ahead, with a prediction interval.

The model, in three readable parts (counts in units of the zone's red count, u = count / (red density × area)):

1. Schedule: u ≈ S(t) = Σ coefficient × feature(t), the features coming from the event schedule (people present,
   arrival and departure rates, half-time break; see `schedule`), the coefficients learned online per zone
   (`ScheduleFit`). Without a schedule S is the zone's slowly moving mean.
2. Deviation: z(t) = log(u + k) − log(S(t) + k), how much more (or less) crowded the zone is than the schedule
   says. Its usual shape over the day, P (commuter peaks…), is learned per quarter-hour from the previous days
   (`DailyProfile`); what is left, z − P, has a local slope over the last few minutes (`LocalTrend`) and a level
   halfway between that line's value now and the latest reading (the line alone lags after a turn). When the
   zone's inflow and outflow are known, their balance (queue growth: inflow above the service rate), less the
   counters' drift (the hour-long gap between that balance and the count's own change), is a second, direct
   estimate of the slope, and the two are averaged.
3. Forecast: log(u(t+h) + k) = log(S(t+h) + k) + P(t+h) + level + slope × d(h), with the trend damped:
   d(h) = D (1 − e^(−h/D)). The interval comes from the forecaster's own past errors (`intervals`).

Memory is constant: a few sums, five coefficients, 96 quarter-hours, and at most one pending forecast per minute
of each horizon.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import msgspec
import numpy as np

from beffroi.crowd.forecast.daily_profile import DailyProfile
from beffroi.crowd.forecast.intervals import ResidualIntervals
from beffroi.crowd.forecast.schedule import NO_SCHEDULE, Schedule
from beffroi.crowd.forecast.schedule_fit import ScheduleFit
from beffroi.crowd.forecast.thresholds import RedAndAmber
from beffroi.crowd.forecast.trend import LocalTrend
from beffroi.errors import ConfigError, RejectedInput

HORIZONS_S = (900.0, 1800.0)
"""The horizons whose errors are tracked: 15 and 30 minutes."""
PATH_MINUTES = np.arange(1.0, 31.0)
"""The forecast path: every minute from 1 to 30 minutes ahead."""
_NODES_MIN = np.arange(0.0, 31.0, 5.0)
_NODES_S = _NODES_MIN * 60.0
_FLOW_STALE_S = 600.0


def _interpolation(xs: np.ndarray, points: tuple[float, ...]) -> np.ndarray:
    """The matrix M such that M @ values interpolates `values` (given at `points`) linearly at `xs`."""
    columns = [np.interp(xs, points, np.eye(len(points))[i]) for i in range(len(points))]
    return np.stack(columns, axis=1)


_FROM_NODES = _interpolation(PATH_MINUTES, tuple(_NODES_MIN))
_SCALE_WEIGHTS = _interpolation(PATH_MINUTES, (0.0, 15.0, 30.0))[:, 1:]
"""Error scale: 0 now, the 15- and 30-minute scales at their horizons, linear between."""
_QUANTILE_WEIGHTS = _interpolation(PATH_MINUTES, (15.0, 30.0))
"""Normalised-error quantiles: the 15-minute ones up to 15 minutes, then linear to the 30-minute ones."""


class ForecastSettings(msgspec.Struct, frozen=True):
    """Tuning of the forecaster (defaults tuned on simulated days that the evaluation does not use)."""

    trend_time_constant_s: float = 300.0
    """Memory of the level and slope of the deviation from the schedule."""
    damping_time_s: float = 2400.0
    """The trend's effect levels off beyond about this horizon."""
    flow_weight: float = 0.35
    """Weight of the inflow/outflow balance against the counts' own slope, when flows are known."""
    flow_time_constant_s: float = 300.0
    """Memory of the inflow/outflow balance."""
    flow_drift_time_s: float = 3600.0
    """Memory over which the balance is compared with the counts' own change to remove the counters' drift."""
    coverage: float = 0.8
    """Share of outcomes the prediction interval should hold."""
    log_offset: float = 0.25
    """Added to u before taking logs (a quarter of the red count), so that small counts do not dominate."""
    profile_days: int = 3
    """How many previous days the usual shape of the day is the median of."""

    schedule_memory_s: float = 7 * 86400.0
    """How long the schedule coefficients remember (a week of sessions)."""
    error_memory: float = 60.0
    """About how many past errors (one a minute) the error scale remembers."""
    error_window: int = 240
    """How many past normalised errors (one a minute) the interval's quantiles are taken from."""
    prior_log_error: float = 0.08
    """Mean absolute log error assumed at 15 minutes before any error is seen."""
    max_gap_s: float = 1800.0
    """A silence longer than this restarts the level and slope (the schedule fit is kept)."""

    def __post_init__(self) -> None:
        problems = [
            f"{name}: must be a finite number > 0, got {value!r}"
            for name, value in msgspec.structs.asdict(self).items()
            if name != "flow_weight" and not (math.isfinite(value) and value > 0)
        ]
        if not 0.0 <= self.flow_weight <= 1.0:
            problems.append(f"flow_weight: must be between 0 and 1, got {self.flow_weight!r}")
        if not 0.0 < self.coverage < 1.0:
            problems.append(f"coverage: must be between 0 and 1, got {self.coverage!r}")
        if problems:
            raise ConfigError("forecast settings", problems)


class HorizonForecast(msgspec.Struct, frozen=True):
    """The forecast `minutes` ahead: the median count, its interval, and the same as densities (p/m²)."""

    minutes: float
    count: float
    low: float
    high: float
    density: float
    density_low: float
    density_high: float


class Forecast:
    """The forecast made at `ts` from a count: median and quantiles for each minute of PATH_MINUTES."""

    __slots__ = ("_center", "_lower_sd", "_offset", "_upper_sd", "area_m2", "count", "coverage", "ts")

    def __init__(
        self,
        *,
        ts: float,
        count: float,
        area_m2: float,
        coverage: float,
        offset: float,
        center: np.ndarray,
        lower_sd: np.ndarray,
        upper_sd: np.ndarray,
    ) -> None:
        self.ts = ts
        self.count = count
        self.area_m2 = area_m2
        self.coverage = coverage
        self._offset = offset
        self._center = center
        self._lower_sd = lower_sd
        self._upper_sd = upper_sd

    @property
    def density(self) -> float:
        """The observed density (p/m²) the forecast starts from."""
        return self.count / self.area_m2

    def quantile(self, probability: float) -> np.ndarray:
        """The count that the zone stays below with this probability, for each minute of PATH_MINUTES."""
        z = NormalDist().inv_cdf(probability)
        spread = self._lower_sd if z < 0 else self._upper_sd
        return np.maximum(np.exp(self._center + z * spread) - self._offset, 0.0)

    def median(self) -> np.ndarray:
        """The median count for each minute of PATH_MINUTES."""
        counts: np.ndarray = np.maximum(np.exp(self._center) - self._offset, 0.0)
        return counts

    def at(self, minutes: float) -> HorizonForecast:
        """The forecast `minutes` ahead (1 to 30; between two whole minutes, the nearest)."""
        i = min(max(round(minutes) - 1, 0), len(PATH_MINUTES) - 1)
        z = NormalDist().inv_cdf(0.5 + self.coverage / 2.0)
        center = float(self._center[i])
        count = max(math.exp(center) - self._offset, 0.0)
        low = max(math.exp(center - z * float(self._lower_sd[i])) - self._offset, 0.0)
        high = max(math.exp(center + z * float(self._upper_sd[i])) - self._offset, 0.0)
        area = self.area_m2
        return HorizonForecast(float(PATH_MINUTES[i]), count, low, high, count / area, low / area, high / area)

    def probability_above(self, count: float, minutes: float) -> float:
        """The forecast probability that the zone holds at least `count` people `minutes` ahead."""
        i = min(max(round(minutes) - 1, 0), len(PATH_MINUTES) - 1)
        gap = math.log(max(count, 0.0) + self._offset) - float(self._center[i])
        spread = float(self._lower_sd[i] if gap < 0 else self._upper_sd[i])
        return 1.0 - NormalDist().cdf(gap / max(spread, 1e-9))


class ZoneForecaster:
    """Streaming forecaster of one zone: feed it counts in time order with `observe`, get a Forecast back.

    `area_m2` and the red threshold set the scale (the red count); `schedule` gives the sessions (None: none).
    """

    def __init__(
        self,
        area_m2: float,
        thresholds: RedAndAmber,
        schedule: Schedule | None = None,
        settings: ForecastSettings | None = None,
    ) -> None:
        if not (math.isfinite(area_m2) and area_m2 > 0):
            raise ConfigError("zone forecaster", [f"area_m2: must be a finite area > 0, got {area_m2!r}"])
        self.settings = s = settings or ForecastSettings()
        self.area_m2 = area_m2
        self.thresholds = thresholds
        self.schedule = schedule or NO_SCHEDULE
        self.red_count = thresholds.red * area_m2
        self._k = s.log_offset
        self._fit = ScheduleFit(s.schedule_memory_s)
        self._trend = LocalTrend(s.trend_time_constant_s)
        self._profile = DailyProfile(s.profile_days)
        self._intervals = ResidualIntervals(
            HORIZONS_S,
            coverage=s.coverage,
            prior_scale=s.prior_log_error,
            memory=s.error_memory,
            window=s.error_window,
        )
        self._z_coverage = NormalDist().inv_cdf(0.5 + s.coverage / 2.0)
        damping = s.damping_time_s / 60.0
        self._reach = damping * (1.0 - np.exp(-PATH_MINUTES / damping))
        self._flow_rate = 0.0
        self._flow_drift = 0.0
        self._last_u = math.nan
        self._flow_ts = -math.inf
        self.last_ts = -math.inf

    @property
    def pending_forecasts(self) -> int:
        """Forecasts waiting for their target time to be checked (bounded by the longest horizon in minutes)."""
        return self._intervals.pending_count

    def observe(self, ts: float, count: float, inflow: float | None = None, outflow: float | None = None) -> Forecast:
        """Take the count seen at `ts` (epoch seconds) and, when known, the people who came in and went out since
        the previous observation; return the forecast from now. RejectedInput for a count that is not a finite
        number ≥ 0 or a time before the previous one."""
        if not (math.isfinite(count) and count >= 0):
            raise RejectedInput("bad_count", f"count must be a finite number ≥ 0, got {count!r}")
        if not math.isfinite(ts) or ts < self.last_ts:
            raise RejectedInput("out_of_order", f"time {ts!r} is before the previous observation's {self.last_ts!r}")
        s = self.settings
        k = self._k
        dt = ts - self.last_ts
        if dt > s.max_gap_s:
            self._trend.reset()
            self._flow_ts = -math.inf
        u = count / self.red_count
        log_u = math.log(u + k)
        self._intervals.observe(ts, log_u)
        schedule = self.schedule
        self._fit.update(ts, schedule.features(ts), u)
        node_times = ts + _NODES_S
        nodes = self._fit.predict_many(np.array([schedule.features(t) for t in node_times.tolist()]))
        baseline = float(nodes[0])
        deviation = log_u - math.log(baseline + k)
        profile = self._profile
        if math.isfinite(dt):
            profile.update(ts, deviation, dt)
        usual = profile.at_many(node_times)
        self._trend.add(ts, deviation - usual[0])
        fitted, slope = self._trend.level_and_slope()
        # The fitted line lags after a turn (a peak passed): start from between it and the latest reading.
        level = (fitted + deviation - usual[0]) / 2.0
        if inflow is not None and outflow is not None and math.isfinite(dt) and dt > 0:
            minutes = dt / 60.0
            net = (inflow - outflow) / self.red_count / minutes
            fresh = ts - self._flow_ts <= _FLOW_STALE_S
            keep = math.exp(-dt / s.flow_time_constant_s) if fresh else 0.0
            self._flow_rate = keep * self._flow_rate + (1.0 - keep) * net
            if fresh and math.isfinite(self._last_u):
                # In minus out should match the count's change; over an hour the gap is the counters' drift.
                gap = net - (u - self._last_u) / minutes
                slow = math.exp(-dt / s.flow_drift_time_s)
                self._flow_drift = slow * self._flow_drift + (1.0 - slow) * gap
            self._flow_ts = ts
        self._last_u = u
        if ts - self._flow_ts <= _FLOW_STALE_S:
            now_u = (baseline + k) * math.exp(usual[0] + level)
            expected_slope = (nodes[1] - baseline) / 5.0 / (baseline + k) + (usual[1] - usual[0]) / 5.0
            flow_slope = (self._flow_rate - self._flow_drift) / now_u - expected_slope
            slope = (1.0 - s.flow_weight) * slope + s.flow_weight * flow_slope
        self.last_ts = ts
        return self._forecast(ts, count, np.log(nodes + k) + usual, level, slope)

    def _forecast(self, ts: float, count: float, expected: np.ndarray, level: float, slope: float) -> Forecast:
        """The forecast from the expected log path at the nodes (schedule and usual day) and the trend."""
        s = self.settings
        k = self._k
        model = _FROM_NODES @ expected + level + slope * self._reach
        short, long = self._intervals.stats
        scale = _SCALE_WEIGHTS @ np.array((short.scale, long.scale))
        quantiles = ((short.median, short.lower, short.upper), (long.median, long.lower, long.upper))
        median, lower, upper = (_QUANTILE_WEIGHTS @ np.array(quantiles)).T
        i15, i30 = 14, 29
        self._intervals.expect(ts, (float(model[i15]), float(model[i30])))
        z = self._z_coverage
        red = self.red_count
        return Forecast(
            ts=ts,
            count=count,
            area_m2=self.area_m2,
            coverage=s.coverage,
            offset=k * red,
            center=model + median * scale + math.log(red),
            lower_sd=(median - lower) * scale / z,
            upper_sd=(upper - median) * scale / z,
        )
