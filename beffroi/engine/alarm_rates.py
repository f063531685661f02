"""Alarm-rate metrics per site and per operator desk (ISA-18.2 / EEMUA 191: about one alarm per 10 minutes per
operator in steady state, a flood above 10).

For each (tenant, site) and (tenant, desk): alarms raised within the sliding window ending now (`current`), the
highest such count seen and when (`peak`, `peak_at`), and the total since start; per desk also the alarms grouped
by floods, the flood episodes, and whether a flood is in progress. Counts are of alarms RAISED (new alarms, shown
or grouped), not of re-triggers of an open alarm.

Memory is bounded: each series is a ring of `buckets` counters (the window's resolution is `window_s / buckets`:
`current` counts the raises of the buckets that end within the window), and at most `max_series` series are
kept per table (the least recently raised one is forgotten first).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import msgspec

from beffroi.domain.observations import AttributeValue
from beffroi.errors import ConfigError

DEFAULT_WINDOW_S = 600.0
DEFAULT_BUCKETS = 30
DEFAULT_MAX_SERIES = 4096


class RateWindow:
    """Raises in a sliding window of `buckets` equal slots, with the peak and the total since start."""

    __slots__ = ("_bucket_s", "_counts", "_newest", "_sum", "peak", "peak_at", "total")

    def __init__(self, window_s: float, buckets: int) -> None:
        self._bucket_s = window_s / buckets
        self._counts = [0] * buckets
        self._newest: int | None = None
        self._sum = 0
        self.peak = 0
        self.peak_at: float | None = None
        self.total = 0

    def add(self, ts: float) -> None:
        """Count one raise at `ts` (a raise older than the window only adds to the total)."""
        self.total += 1
        index = math.floor(ts / self._bucket_s)
        counts = self._counts
        size = len(counts)
        newest = self._newest
        if newest is None or index - newest >= size:
            counts[:] = [0] * size
            self._sum = 0
            self._newest = newest = index
        elif index > newest:
            for dropped in range(newest + 1, index + 1):
                self._sum -= counts[dropped % size]
                counts[dropped % size] = 0
            self._newest = newest = index
        elif index <= newest - size:
            return
        counts[index % size] += 1
        self._sum += 1
        if self._sum > self.peak:
            self.peak = self._sum
            self.peak_at = ts

    def current(self, now: float) -> int:
        """Raises within the window ending at `now` (to the window's resolution)."""
        newest = self._newest
        if newest is None:
            return 0
        index = math.floor(now / self._bucket_s)
        size = len(self._counts)
        if index <= newest:
            return self._sum
        drop = min(index - newest, size)
        first = newest - size + 1
        return self._sum - sum(self._counts[(first + j) % size] for j in range(drop))


class SiteAlarmRate(msgspec.Struct, frozen=True):
    """Alarms raised at one site."""

    site_id: str
    current: int
    peak: int
    peak_at: float | None
    total: int


class DeskAlarmRate(msgspec.Struct, frozen=True):
    """Alarms raised at one operator desk, and its floods."""

    desk: str
    current: int
    peak: int
    peak_at: float | None
    total: int
    grouped: int
    """Alarms grouped into a flood summary (raised suppressed) since start."""
    floods: int
    """Flood episodes since start."""
    flooding: bool
    flood_since: float | None


class AlarmRatesSnapshot(msgspec.Struct, frozen=True):
    """The alarm rates of one tenant at `at`: counts are of alarms raised within `window_s` before `at`."""

    tenant_id: str
    at: float
    window_s: float
    flood_max_alarms: int | None
    """The flood limit per desk and window (None: flood control is off)."""
    sites: list[SiteAlarmRate]
    desks: list[DeskAlarmRate]


class _DeskSeries:
    __slots__ = ("flood_since", "floods", "grouped", "window")

    def __init__(self, window: RateWindow) -> None:
        self.window = window
        self.grouped = 0
        self.floods = 0
        self.flood_since: float | None = None


class AlarmRates:
    """Sliding-window alarm counts per (tenant, site) and (tenant, desk); see the module docstring."""

    __slots__ = ("_buckets", "_desks", "_max_series", "_sites", "flood_max_alarms", "window_s")

    def __init__(
        self,
        window_s: float = DEFAULT_WINDOW_S,
        *,
        buckets: int = DEFAULT_BUCKETS,
        max_series: int = DEFAULT_MAX_SERIES,
        flood_max_alarms: int | None = None,
    ) -> None:
        problems = []
        if not (math.isfinite(window_s) and window_s > 0):
            problems.append(f"window_s: must be a positive number of seconds (got {window_s!r})")
        if buckets < 1:
            problems.append(f"buckets: must be ≥ 1 (got {buckets})")
        if max_series < 1:
            problems.append(f"max_series: must be ≥ 1 (got {max_series})")
        if problems:
            raise ConfigError("alarm rates", problems)
        self.window_s = window_s
        self.flood_max_alarms = flood_max_alarms
        self._buckets = buckets
        self._max_series = max_series
        self._sites: dict[tuple[str, str], RateWindow] = {}
        self._desks: dict[tuple[str, str], _DeskSeries] = {}

    def _site(self, key: tuple[str, str]) -> RateWindow:
        series = self._sites.pop(key, None)  # re-inserted last: the dict's order is least recently raised first
        if series is None:
            series = RateWindow(self.window_s, self._buckets)
            if len(self._sites) >= self._max_series:
                del self._sites[next(iter(self._sites))]
        self._sites[key] = series
        return series

    def _desk(self, key: tuple[str, str]) -> _DeskSeries:
        series = self._desks.pop(key, None)
        if series is None:
            series = _DeskSeries(RateWindow(self.window_s, self._buckets))
            if len(self._desks) >= self._max_series:
                del self._desks[next(iter(self._desks))]
        self._desks[key] = series
        return series

    def record_raise(self, tenant_id: str, site_id: str | None, desk: str, ts: float) -> None:
        """An alarm was raised at `site_id` (None: no site), watched by `desk`."""
        if site_id is not None:
            self._site((tenant_id, site_id)).add(ts)
        self._desk((tenant_id, desk)).window.add(ts)

    def record_grouped(self, tenant_id: str, desk: str) -> None:
        """An alarm raised at `desk` was grouped into its flood summary."""
        self._desk((tenant_id, desk)).grouped += 1

    def record_flood_start(self, tenant_id: str, desk: str, ts: float) -> None:
        """A flood started at `desk`."""
        series = self._desk((tenant_id, desk))
        series.floods += 1
        series.flood_since = ts

    def record_flood_end(self, tenant_id: str, desk: str) -> None:
        """The flood at `desk` ended."""
        series = self._desks.get((tenant_id, desk))
        if series is not None:
            series.flood_since = None

    def snapshot(self, tenant_id: str, now: float, desks: Iterable[str] = ()) -> AlarmRatesSnapshot:
        """The rates of `tenant_id` at `now`; `desks` are listed even when they raised nothing yet."""
        sites = [
            SiteAlarmRate(site_id, w.current(now), w.peak, w.peak_at, w.total)
            for (tenant, site_id), w in sorted(self._sites.items())
            if tenant == tenant_id
        ]
        rows: dict[str, DeskAlarmRate] = {name: DeskAlarmRate(name, 0, 0, None, 0, 0, 0, False, None) for name in desks}
        for (tenant, name), s in self._desks.items():
            if tenant == tenant_id:
                w = s.window
                rows[name] = DeskAlarmRate(
                    name,
                    w.current(now),
                    w.peak,
                    w.peak_at,
                    w.total,
                    s.grouped,
                    s.floods,
                    s.flood_since is not None,
                    s.flood_since,
                )
        return AlarmRatesSnapshot(
            tenant_id, now, self.window_s, self.flood_max_alarms, sites, [rows[name] for name in sorted(rows)]
        )

    def health(self, now: float) -> dict[str, AttributeValue]:
        """Flat figures over every tenant, for a worker's health: the busiest desk's current count and the
        highest peak, alarms raised and grouped, flood episodes, floods in progress."""
        desks = self._desks.values()
        return {
            "alarm_rate_window_s": self.window_s,
            "alarm_rate_desk_max_current": max((s.window.current(now) for s in desks), default=0),
            "alarm_rate_desk_max_peak": max((s.window.peak for s in desks), default=0),
            "alarms_raised": sum(s.window.total for s in desks),
            "alarms_flood_grouped": sum(s.grouped for s in desks),
            "flood_episodes": sum(s.floods for s in desks),
            "floods_active": sum(1 for s in desks if s.flood_since is not None),
        }
