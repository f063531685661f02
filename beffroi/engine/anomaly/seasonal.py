"""Robust seasonal baseline: learns one series' daily and weekly cycles and slow drift, scores each point.

The expected value of a point at time t is

    base(t) = level + day(t) + week(t)

- `day` is a profile over the time of day in slots of `slot_s` (48 half-hours by default), linearly interpolated
  between slot centres so that it has no steps;
- `week` is a correction per half-hour of the week (336 slots, interpolated the same way) on top of the daily
  profile (a match every Saturday night, a quiet Sunday), learned once the first day is seen;
- `level` follows slow drift (an exponential average with time constant `level_tau_s`, two days by default).

Each point's error e = x - base(t) is learned by the three parts at once (each slot by its interpolation weight,
with a running mean over its first visits, then an exponential average over `profile_days` days or
`weekly_weeks` weeks). Learning is robust: once warm, errors are clipped at ±`clip_z` σ before they are learned,
and the scales learn absolute errors winsorised at 2.5 σ, so an anomaly or an event barely moves them.

Three statistics score the point, each as a z-equivalent (see `calibration`):

- the innovation z: e minus the *offset* (e's exponential average over `fast_tau_s`, an hour by default: today
  is warmer than usual), over the innovation scale of the point's half-hour of the week — spikes, steps;
- the offset z: the offset over its own usual size at that half-hour of the week — what persists for an hour
  or more and the series does not usually do: level shifts, drifts, a daily cycle out of time. A two-sided
  CUSUM of this z beyond an allowance of `cusum_k` accumulates smaller persistent departures (σ·hours divided
  by `cusum_scale`). When either reaches `reset_z`, the baseline re-centres on the change (the offset moves
  into the level) and both start afresh, so a lasting shift is reported, then learned;
- for a series that is rarely flat, a run of identical readings: the log-probability of the run under each
  daily slot's learned probability of a repeated value, as sqrt(-2 log p) — a stuck sensor.

The score is that of the largest z-equivalent, 0 during the warm-up (`warmup_s`: a week, so that the weekly
cycle has been seen once). Times are UTC epoch seconds: slots are in UTC, which only shifts where the profiles'
features sit. Before a slot of the week has been visited, the daily slot's scales stand in.

Memory per series is fixed whatever the number of points: 48 daily slots × 5 statistics and 336 weekly slots ×
4 statistics, 4 bytes each (6.3 kB), plus the objects: 7.3 kB in all (`nbytes`) with the defaults.
"""

from __future__ import annotations

import math
import sys
from array import array

import msgspec

from beffroi.engine.anomaly.calibration import (
    DEFAULT_STEEPNESS,
    DEFAULT_Z_MID,
    GAUSSIAN_MAD_TO_SIGMA,
    score_from_z,
    z_from_log_probability,
)
from beffroi.engine.anomaly.params import check_positive
from beffroi.errors import ConfigError

DAY = 86_400.0
WEEK = 7 * DAY
MONDAY_OFFSET_S = 3 * DAY
"""1970-01-01 was a Thursday: (t + 3 days) mod 1 week is the time since Monday 00:00 UTC."""
SCALE_CLIP_Z = 2.5
"""Absolute errors are winsorised at this many σ before the scales learn them."""
SCALE_FLOOR = 0.3
"""No slot scale is taken below this fraction of the series' overall scale (a slot seen on calm days only)."""
MIN_REPEAT_PROBABILITY = 1e-4
MAX_REPEAT_PROBABILITY = 0.9999

LEVEL, FAST, OFFSET, VISITS, REPEAT = range(5)
"""The statistics of a slot: its profile value, mean |innovation|, mean |offset|, visits, P(repeated value)."""


class SeasonalParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Parameters of the seasonal baseline (see the module docstring)."""

    slot_s: float = 1800.0
    weekly: bool = True
    week_slot_s: float = 1800.0
    profile_days: float = 7.0
    weekly_weeks: float = 3.0
    level_tau_s: float = 2 * DAY
    fast_tau_s: float = 3600.0
    warmup_s: float = 7 * DAY
    clip_z: float = 4.0
    cusum_k: float = 2.0
    cusum_scale: float = 1.0
    reset_z: float = 8.0
    stuck: bool = True
    z_mid: float = DEFAULT_Z_MID
    steepness: float = DEFAULT_STEEPNESS

    def __post_init__(self) -> None:
        problems: list[str] = []
        positive = (
            "slot_s",
            "week_slot_s",
            "profile_days",
            "weekly_weeks",
            "level_tau_s",
            "fast_tau_s",
            "clip_z",
            "cusum_scale",
            "reset_z",
            "z_mid",
            "steepness",
        )
        check_positive(self, positive, problems)
        if not problems:
            for name, period in (("slot_s", DAY), ("week_slot_s", WEEK)):
                width = getattr(self, name)
                if not (60.0 <= width <= period / 2 and (period / width).is_integer()):
                    problems.append(f"`{name}` must divide {period:g} s into slots of >= 60 s, got {width!r}")
        if not (math.isfinite(self.warmup_s) and self.warmup_s >= 0):
            problems.append(f"`warmup_s` must be a finite number >= 0, got {self.warmup_s!r}")
        if not (math.isfinite(self.cusum_k) and self.cusum_k >= 0):
            problems.append(f"`cusum_k` must be a finite number >= 0, got {self.cusum_k!r}")
        if problems:
            raise ConfigError("seasonal anomaly parameters", problems)


SEASONAL_PARAM_HELP: dict[str, str] = {
    "slot_s": "width of a time-of-day slot of the daily profile, s (default 1800)",
    "weekly": "learn a weekly correction too (default true)",
    "week_slot_s": "width of a slot of the weekly correction, s (default 1800)",
    "profile_days": "memory of the daily profile and scales, days (default 7)",
    "weekly_weeks": "memory of the weekly correction and scales, weeks (default 3)",
    "level_tau_s": "time constant of the slow level that follows drift, s (default 172800)",
    "fast_tau_s": "time constant of the offset the innovation is measured from, s (default 3600)",
    "warmup_s": "time from the first point before scores are given, s (default 604800: a week)",
    "clip_z": "errors beyond this many σ are clipped before they are learned (default 4)",
    "cusum_k": "allowance of the CUSUM of the offset z (default 2)",
    "cusum_scale": "CUSUM hours per unit of z-equivalent (default 1)",
    "reset_z": "z-equivalent of the offset or CUSUM at which the baseline re-centres on the change (default 8)",
    "stuck": "score runs of identical readings on series that are rarely flat (default true)",
    "z_mid": "z-equivalent scoring 0.5: score = 1 / (1 + (z_mid / z) ** steepness) (default 6)",
    "steepness": "steepness of the score in z (default 4)",
}


class _Ring:
    """Slots around a period (a day, a week), each with its statistics, read and learned between slot centres."""

    __slots__ = ("_count", "_period", "_shift", "_stats", "_width", "data", "frac", "i0", "i1")

    def __init__(self, period: float, width: float, stats: int, shift: float = 0.0) -> None:
        self._count = round(period / width)
        self._period = period
        self._width = width
        self._shift = shift
        self._stats = stats
        self.data = array("f", bytes(4 * self._count * stats))
        self.i0 = self.i1 = 0
        self.frac = 0.0

    def locate(self, ts: float) -> None:
        """Point at the two slot centres around `ts` (row offsets `i0`, `i1`; weight of the second, `frac`)."""
        position = ((ts + self._shift) % self._period) / self._width - 0.5
        base = math.floor(position)
        self.frac = position - base
        first = base % self._count
        self.i0 = first * self._stats
        self.i1 = ((first + 1) % self._count) * self._stats

    def read(self, stat: int) -> float:
        """The interpolated statistic at the located time."""
        data = self.data
        return data[self.i0 + stat] * (1.0 - self.frac) + data[self.i1 + stat] * self.frac

    def seen(self) -> bool:
        """Whether both located slots have been visited for a whole slot width at least."""
        data = self.data
        return data[self.i0 + VISITS] >= 1.0 and data[self.i1 + VISITS] >= 1.0

    def learn(self, share: float, memory: float, error: float, fast: float, offset: float, repeat: float) -> None:
        """Learn one point worth `share` slot widths: each slot by its weight, a running mean up to `memory` visits."""
        data = self.data
        for row, weight in ((self.i0, 1.0 - self.frac), (self.i1, self.frac)):
            part = weight * share
            if part <= 0.0:
                continue
            seen = min(data[row + VISITS] + part, memory)
            data[row + VISITS] = seen
            rate = min(part / seen, 1.0)
            data[row + LEVEL] += rate * error
            data[row + FAST] += rate * (fast - data[row + FAST])
            data[row + OFFSET] += rate * (offset - data[row + OFFSET])
            if self._stats > REPEAT:
                data[row + REPEAT] += rate * (repeat - data[row + REPEAT])

    @property
    def nbytes(self) -> int:
        """Bytes of the object and its array."""
        return sys.getsizeof(self) + sys.getsizeof(self.data)


class SeasonalBaseline:
    """The seasonal baseline of one series: `update(ts, value)` learns the point and returns its score."""

    __slots__ = (
        "_cusum_neg",
        "_cusum_pos",
        "_day",
        "_diff_scale",
        "_global_fast",
        "_global_offset",
        "_offset",
        "_params",
        "_run_log_p",
        "_week",
        "first_ts",
        "last_ts",
        "last_value",
        "level",
        "score",
        "z_cusum",
        "z_diff",
        "z_fast",
        "z_offset",
        "z_stuck",
    )

    def __init__(self, params: SeasonalParams | None = None) -> None:
        p = params or SeasonalParams()
        self._params = p
        self._day = _Ring(DAY, p.slot_s, REPEAT + 1)
        self._week = _Ring(WEEK, p.week_slot_s, REPEAT, MONDAY_OFFSET_S) if p.weekly else None
        self._offset = 0.0
        self._cusum_pos = 0.0
        self._cusum_neg = 0.0
        self._global_fast = 0.0
        self._global_offset = 0.0
        self._diff_scale = 0.0
        self._run_log_p = 0.0
        self.first_ts = math.nan
        self.last_ts = -math.inf
        self.last_value = math.nan
        self.level = 0.0
        self.score = 0.0
        self.z_fast = 0.0
        self.z_offset = 0.0
        self.z_cusum = 0.0
        self.z_stuck = 0.0
        self.z_diff = 0.0

    @property
    def params(self) -> SeasonalParams:
        """The parameters this baseline runs with."""
        return self._params

    @property
    def warm(self) -> bool:
        """Whether the warm-up is over (scores are given)."""
        return self.last_ts - self.first_ts >= self._params.warmup_s

    @property
    def nbytes(self) -> int:
        """Bytes held by this series' state: the object and its profiles."""
        week = self._week.nbytes if self._week is not None else 0
        return sys.getsizeof(self) + self._day.nbytes + week

    def expected(self, ts: float) -> float:
        """The baseline's expected value at `ts`: level, daily profile and weekly correction (offset aside)."""
        self._day.locate(ts)
        value = self.level + self._day.read(LEVEL)
        if self._week is not None:
            self._week.locate(ts)
            value += self._week.read(LEVEL)
        return value

    def update(self, ts: float, value: float) -> float:
        """Score the point, then learn it. A point not after the previous one is ignored (its score repeated)."""
        if ts <= self.last_ts:
            return self.score
        if self.last_ts == -math.inf:
            self.first_ts = self.last_ts = ts
            self.last_value = self.level = value
            return 0.0
        p = self._params
        dt = min(ts - self.last_ts, p.slot_s)
        elapsed = ts - self.first_ts
        warm = elapsed >= p.warmup_s
        tiny = 1e-9 * (1.0 + abs(self.level))
        day = self._day
        week = self._week

        error = value - self.expected(ts)
        innovation = error - self._offset
        fast_scale = day.read(FAST)
        offset_scale = day.read(OFFSET)
        if week is not None and week.seen():
            fast_scale = week.read(FAST)
            offset_scale = week.read(OFFSET)
        sigma_fast = GAUSSIAN_MAD_TO_SIGMA * max(fast_scale, SCALE_FLOOR * self._global_fast, tiny)
        sigma_offset = GAUSSIAN_MAD_TO_SIGMA * max(offset_scale, SCALE_FLOOR * self._global_offset, tiny)
        diff = value - self.last_value
        repeat = 1.0 if diff == 0.0 else 0.0
        self.z_fast = innovation / sigma_fast
        self.z_diff = diff / (GAUSSIAN_MAD_TO_SIGMA * max(self._diff_scale, tiny))

        if warm:
            clip = p.clip_z * sigma_fast
            learned_innovation = min(max(innovation, -clip), clip)
            learned = self._offset + learned_innovation
            abs_innovation = min(abs(innovation), SCALE_CLIP_Z * sigma_fast)
        else:
            learned = error
            abs_innovation = abs(innovation)
        offset = self._offset + min(dt / p.fast_tau_s, 1.0) * (learned - self._offset)
        self.z_offset = offset / sigma_offset
        abs_offset = min(abs(offset), SCALE_CLIP_Z * sigma_offset) if warm else abs(offset)
        if warm:
            self._score_point(dt, repeat, day.read(REPEAT))
        else:
            self.score = 0.0

        # Learn: the profiles by their interpolation weights, the level, the offset and the scales.
        day.learn(dt / p.slot_s, p.profile_days, learned, abs_innovation, abs_offset, repeat)
        if week is not None and elapsed >= min(p.warmup_s, DAY):
            week.learn(dt / p.week_slot_s, p.weekly_weeks, learned, abs_innovation, abs_offset, repeat)
        self.level += min(dt / p.level_tau_s, 1.0) * learned
        self._offset = offset
        if max(abs(self.z_offset), self.z_cusum) >= p.reset_z:
            # A change the baseline is sure of: re-centre on it and start afresh.
            self.level += offset
            self._offset = 0.0
            self._cusum_pos = self._cusum_neg = 0.0
        overall = min(dt / min(elapsed, p.profile_days * DAY), 1.0)
        self._global_fast += overall * (abs_innovation - self._global_fast)
        self._global_offset += overall * (abs_offset - self._global_offset)
        capped_diff = min(abs(diff), 10.0 * self._diff_scale) if self._diff_scale else abs(diff)
        self._diff_scale += overall * (capped_diff - self._diff_scale)
        self.last_ts = ts
        self.last_value = value
        return self.score

    def _score_point(self, dt: float, repeat: float, repeat_p: float) -> None:
        """Advance the CUSUM and the run of repeated values; set the score from the largest z-equivalent."""
        p = self._params
        hours = dt / 3600.0
        k = p.cusum_k
        z = self.z_offset
        self._cusum_pos = max(0.0, self._cusum_pos + (z - k) * hours)
        self._cusum_neg = max(0.0, self._cusum_neg - (z + k) * hours)
        self.z_cusum = max(self._cusum_pos, self._cusum_neg) / p.cusum_scale
        if repeat and p.stuck:
            chance = min(max(repeat_p, MIN_REPEAT_PROBABILITY), MAX_REPEAT_PROBABILITY)
            self._run_log_p += math.log(chance)
        else:
            self._run_log_p = 0.0
        self.z_stuck = z_from_log_probability(self._run_log_p)
        strongest = max(abs(self.z_fast), abs(z), self.z_cusum, self.z_stuck)
        self.score = score_from_z(strongest, p.z_mid, p.steepness)
