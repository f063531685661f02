"""How many people are where, over scenario time, from each site's event schedule.

Per session: arrivals spread over the 3 h before the start (a skewed curve peaking ~40 min before it, a few
latecomers up to 20 min after), a half-time break for sessions of 90 min or more (a quarter of the crowd moves
from the stands to the concourses), departures from 10 min before the end to 45 min after (most within 25 min;
Green Guide egress ~8 min, then the stations fill). The site's crowd is spread over its zones by kind: gates hold
the people passing (in proportion to the flow), concourses the people moving and the break, stands / fan zones /
plazas the settled crowd, platforms a commuter cycle plus event flows. Zone noise is smooth and fixed by the seed,
so any time can be asked for in any order.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

import numpy as np

from beffroi.domain.registry import ZoneKind
from beffroi.sim.catalogue import Catalogue, SimZone
from beffroi.sim.local_time import LocalTime
from beffroi.sim.scenario import ScenarioSite
from beffroi.sim.seeding import unit

MINUTE = 60.0
ARRIVAL_BEFORE_S = 3 * 3600.0
ARRIVAL_AFTER_S = 20 * 60.0
ARRIVAL_SHAPE = (4.5, 2.5)
"""Beta law over [start - 3 h, start + 20 min]: mode 40 min before the start, ~3 % arrive after it."""
DEPARTURE_BEFORE_S = 10 * 60.0
DEPARTURE_AFTER_S = 45 * 60.0
DEPARTURE_SHAPE = (3.0, 5.0)
"""Beta law over [end - 10 min, end + 45 min]: mode ~8 min after the end, ~10 % leave before it."""
BREAK_MIN_SESSION_S = 90 * 60.0
BREAK_FRACTION = 0.25
BREAK_HALF_WIDTH_S = 10 * 60.0
RATIO_KNEE = 0.6
RATIO_CEILING = 0.85
"""Without an incident a zone's occupancy ratio never passes this (stewards hold the flow below 90 %)."""

# Groups of zones that share one load; indexes into a grid entry.
GATE, CONCOURSE, HOLD, FIELD, PLATFORM, PERIMETER, PARKING, TECHNICAL, EMPTY = range(9)
CUM_IN, CUM_OUT, PRESENT, DAYTIME = range(9, 13)
_ENTRY_SIZE = 13

GROUP_OF_KIND: dict[ZoneKind, int] = {
    ZoneKind.GATE: GATE,
    ZoneKind.CONCOURSE: CONCOURSE,
    ZoneKind.STAND: HOLD,
    ZoneKind.FAN_ZONE: HOLD,
    ZoneKind.PLAZA: HOLD,
    ZoneKind.FIELD: FIELD,
    ZoneKind.PLATFORM: PLATFORM,
    ZoneKind.PERIMETER: PERIMETER,
    ZoneKind.PARKING: PARKING,
    ZoneKind.TECHNICAL: TECHNICAL,
    ZoneKind.FORBIDDEN: EMPTY,
    ZoneKind.WATER: EMPTY,
}
_FALLBACKS = {GATE: (CONCOURSE, HOLD), CONCOURSE: (HOLD, GATE), HOLD: (CONCOURSE, GATE)}
"""Where a group's load goes when the site has no zone of that group."""

AMBIENT_FRACTION: dict[ZoneKind, float] = {
    ZoneKind.PLAZA: 0.15,
    ZoneKind.FAN_ZONE: 0.04,
    ZoneKind.CONCOURSE: 0.03,
    ZoneKind.GATE: 0.01,
    ZoneKind.PERIMETER: 0.05,
    ZoneKind.PARKING: 0.2,
    ZoneKind.TECHNICAL: 0.02,
}
"""Share of capacity present in the day outside any session (passers-by, staff)."""

TURNOVER_S: dict[int, float] = {
    GATE: 300.0,
    CONCOURSE: 900.0,
    HOLD: 3600.0,
    FIELD: 3600.0,
    PLATFORM: 300.0,
    PERIMETER: 300.0,
    PARKING: 7200.0,
    TECHNICAL: 3600.0,
    EMPTY: 3600.0,
}
"""Mean stay in a zone: sets the flows in and out that do not change the occupancy."""


def soft_ratio(raw: float) -> float:
    """An occupancy ratio bent smoothly below RATIO_CEILING above RATIO_KNEE (identity below the knee)."""
    if raw <= RATIO_KNEE:
        return raw
    room = RATIO_CEILING - RATIO_KNEE
    return RATIO_KNEE + room * math.tanh((raw - RATIO_KNEE) / room)


def _bump(x: float, centre: float, width: float) -> float:
    d = (x - centre) / width
    return math.exp(-d * d)


def commute_fraction(hour: float) -> float:
    """Share of a station platform's capacity in use at this local hour (morning and evening peaks)."""
    return 0.06 + 0.55 * _bump(hour, 8.5, 1.0) + 0.5 * _bump(hour, 18.0, 1.3) + 0.12 * _bump(hour, 13.5, 3.0)


def daytime_fraction(hour: float) -> float:
    """Activity of public space over the day: ~0.1 at night, 1 from late morning to evening."""
    return 0.1 + 0.9 * _bump(hour, 16.0, 5.0)


class _BetaCurve:
    """The density (per second) and cumulative share of a Beta(a, b) law stretched over [lo, hi] seconds."""

    def __init__(self, a: float, b: float, lo: float, hi: float, points: int = 720) -> None:
        u = np.linspace(0.0, 1.0, points + 1)
        pdf = u ** (a - 1) * (1 - u) ** (b - 1)
        cdf = np.concatenate(([0.0], np.cumsum((pdf[1:] + pdf[:-1]) / 2)))
        total = float(cdf[-1])
        self.lo = lo
        self.hi = hi
        self._scale = points / (hi - lo)
        self._pdf: list[float] = (pdf / total * self._scale).tolist()
        self._cdf: list[float] = (cdf / total).tolist()

    def _lookup(self, table: list[float], x: float) -> float:
        pos = (x - self.lo) * self._scale
        i = int(pos)
        if i >= len(table) - 1:
            return table[-1]
        return table[i] + (table[i + 1] - table[i]) * (pos - i)

    def cdf(self, x: float) -> float:
        """Share of the law below `x` seconds."""
        if x <= self.lo:
            return 0.0
        if x >= self.hi:
            return 1.0
        return self._lookup(self._cdf, x)

    def pdf(self, x: float) -> float:
        """Density at `x` (share per second)."""
        if x <= self.lo or x >= self.hi:
            return 0.0
        return self._lookup(self._pdf, x)


ARRIVALS = _BetaCurve(*ARRIVAL_SHAPE, -ARRIVAL_BEFORE_S, ARRIVAL_AFTER_S)
DEPARTURES = _BetaCurve(*DEPARTURE_SHAPE, -DEPARTURE_BEFORE_S, DEPARTURE_AFTER_S)


class _Session:
    __slots__ = ("attendance", "break_mid", "end", "start")

    def __init__(self, start: float, end: float, attendance: float) -> None:
        self.start = start
        self.end = end
        self.attendance = attendance
        self.break_mid = (start + end) / 2 if end - start >= BREAK_MIN_SESSION_S else None


class SiteCrowd:
    """The crowd of one site over time: presence, flows, and the load of each group of zones.

    Loads are computed exactly on a one-minute grid and interpolated between grid points.
    """

    def __init__(self, site: ScenarioSite, zones: Sequence[SimZone], local_time: LocalTime) -> None:
        self.site_id = site.id
        self._local = local_time
        sessions = sorted(
            (_Session(s.start.timestamp(), s.end.timestamp(), float(s.attendance)) for s in site.schedule),
            key=lambda s: s.end,
        )
        self._sessions = sessions
        self._done_ends = [s.end + DEPARTURE_AFTER_S for s in sessions]
        self._done_attendance = [0.0]
        for session in sessions:
            self._done_attendance.append(self._done_attendance[-1] + session.attendance)
        self.peak_attendance = max((s.attendance for s in sessions), default=0.0)
        self._platform_capacity = float(sum(z.capacity for z in zones if z.kind is ZoneKind.PLATFORM))
        present_groups = {GROUP_OF_KIND[z.kind] for z in zones}
        self._routes: list[int] = list(range(9))
        for group, fallbacks in _FALLBACKS.items():
            if group not in present_groups:
                self._routes[group] = next((f for f in fallbacks if f in present_groups), EMPTY)
        self._grid: dict[int, list[float]] = {}
        self._last_k = -1
        self._last_pair: tuple[list[float], list[float]] = ([], [])

    def _exact(self, t: float) -> list[float]:
        cum_in = cum_out = present = in_rate = out_rate = on_break = 0.0
        done = bisect.bisect_left(self._done_ends, t)
        for session in self._sessions[done:]:
            if t < session.start - ARRIVAL_BEFORE_S:
                continue
            arrived = ARRIVALS.cdf(t - session.start)
            left = DEPARTURES.cdf(t - session.end)
            cum_in += session.attendance * arrived
            cum_out += session.attendance * left
            inside = session.attendance * max(arrived - left, 0.0)
            present += inside
            in_rate += session.attendance * ARRIVALS.pdf(t - session.start)
            out_rate += session.attendance * DEPARTURES.pdf(t - session.end)
            if session.break_mid is not None:
                on_break += BREAK_FRACTION * inside * _bump(t, session.break_mid, BREAK_HALF_WIDTH_S)
        finished = self._done_attendance[done]
        # bisect counts sessions by end order; finished ones contributed fully to both cumulative flows.
        cum_in += finished
        cum_out += finished
        hour = self._local.hour(t)
        loads = [0.0] * _ENTRY_SIZE
        concourse = in_rate * 600.0 + out_rate * 300.0 + 0.06 * present + on_break
        raw = [
            in_rate * 240.0 + out_rate * 60.0,
            concourse,
            max(present - concourse, 0.0),
            0.01 * present,
            commute_fraction(hour) * self._platform_capacity + in_rate * 300.0 + out_rate * 900.0,
            (in_rate + out_rate) * 120.0,
            0.05 * present,
            0.002 * present,
            0.0,
        ]
        for group, load in enumerate(raw):
            loads[self._routes[group]] += load
        loads[CUM_IN] = cum_in
        loads[CUM_OUT] = cum_out
        loads[PRESENT] = present
        loads[DAYTIME] = daytime_fraction(hour)
        return loads

    def _entry(self, k: int) -> list[float]:
        entry = self._grid.get(k)
        if entry is None:
            if len(self._grid) > 4096:
                self._grid.clear()
            entry = self._grid[k] = self._exact(k * MINUTE)
        return entry

    def value(self, t: float, field: int) -> float:
        """One grid field (a group load, CUM_IN, CUM_OUT, PRESENT or DAYTIME) at time `t`, interpolated."""
        pos = t / MINUTE
        k = math.floor(pos)
        if k == self._last_k:
            before, after = self._last_pair
        else:
            before, after = self._last_pair = (self._entry(k), self._entry(k + 1))
            self._last_k = k
        a = before[field]
        return a + (after[field] - a) * (pos - k)


class Place:
    """Where a device counts people: a zone, or its whole site when it has no zone."""

    __slots__ = ("_ambient", "_phases", "_share", "_site", "capacity", "flow_share", "group", "turnover_s")

    def __init__(
        self,
        site: SiteCrowd,
        *,
        group: int,
        share: float,
        flow_share: float,
        capacity: float,
        ambient: float,
        seed: int,
        name: str,
    ) -> None:
        self._site = site
        self.group = group
        self._share = share
        self.flow_share = flow_share
        self.capacity = capacity
        self._ambient = ambient
        self.turnover_s = TURNOVER_S[group]
        self._phases = (
            2 * math.pi / (600.0 + 1200.0 * unit(seed, "crowd-p1", name)),
            2 * math.pi * unit(seed, "crowd-f1", name),
            2 * math.pi / (120.0 + 280.0 * unit(seed, "crowd-p2", name)),
            2 * math.pi * unit(seed, "crowd-f2", name),
        )

    def occupancy(self, t: float) -> float:
        """People in the place at `t`, without noise."""
        site = self._site
        people = site.value(t, self.group) * self._share
        if self._ambient:
            people += self._ambient * site.value(t, DAYTIME)
        return people

    def observed(self, t: float) -> float:
        """People in the place at `t` with the place's smooth deterministic noise (±~7 %)."""
        w1, f1, w2, f2 = self._phases
        return self.occupancy(t) * (1.0 + 0.04 * math.sin(w1 * t + f1) + 0.03 * math.sin(w2 * t + f2))

    def ratio(self, t: float) -> float:
        """Observed occupancy over capacity, bent below RATIO_CEILING; 0 when the capacity is 0."""
        if self.capacity <= 0:
            return 0.0
        return soft_ratio(self.observed(t) / self.capacity)

    def flows(self, t0: float, t1: float) -> tuple[float, float]:
        """People entering and leaving the place between `t0` and `t1` (expected values, not rounded)."""
        dt = max(t1 - t0, 0.0)
        if self.flow_share:
            site = self._site
            entered = (site.value(t1, CUM_IN) - site.value(t0, CUM_IN)) * self.flow_share
            left = (site.value(t1, CUM_OUT) - site.value(t0, CUM_OUT)) * self.flow_share
            return entered, left
        before = self.occupancy(t0)
        after = self.occupancy(t1)
        change = after - before
        through = (before + after) / 2 * dt / self.turnover_s
        return max(change, 0.0) + through, max(-change, 0.0) + through

    def activity(self, t: float) -> float:
        """How busy the place is in [0, 1] (occupancy ratio, or site presence over its peak)."""
        if self.capacity <= 0:
            return 0.0
        return min(self.occupancy(t) / self.capacity, 1.0)


class CrowdModel:
    """Every simulated site's crowd, and the place (zone or site) each device counts."""

    def __init__(self, catalogue: Catalogue, local_time: LocalTime, seed: int) -> None:
        self._seed = seed
        self.sites: dict[str, SiteCrowd] = {}
        self._places: dict[tuple[str, str | None], Place] = {}
        for site in catalogue.sites:
            zones = [catalogue.zones[z.id] for z in site.zones]
            crowd = SiteCrowd(site, zones, local_time)
            self.sites[site.id] = crowd
            self._add_places(crowd, zones)

    def _add_places(self, crowd: SiteCrowd, zones: list[SimZone]) -> None:
        weights: dict[int, list[tuple[SimZone, float]]] = {}
        for zone in zones:
            weights.setdefault(GROUP_OF_KIND[zone.kind], []).append((zone, float(zone.capacity)))
        for group, members in weights.items():
            total = sum(w for _, w in members)
            weighted = members
            if total <= 0:
                weighted = [(z, z.area_m2) for z, _ in members]
                total = sum(w for _, w in weighted)
            for zone, weight in weighted:
                share = weight / total if total > 0 else 0.0
                self._places[(crowd.site_id, zone.id)] = Place(
                    crowd,
                    group=group,
                    share=share,
                    flow_share=share if group == GATE else 0.0,
                    capacity=float(zone.capacity),
                    ambient=AMBIENT_FRACTION.get(zone.kind, 0.0) * zone.capacity,
                    seed=self._seed,
                    name=zone.id,
                )
        peak = crowd.peak_attendance
        self._places[(crowd.site_id, None)] = _SitePlace(crowd, capacity=peak, seed=self._seed)

    def place(self, site_id: str, zone_id: str | None) -> Place:
        """The place a device of this site and zone (None: no zone) counts."""
        return self._places[(site_id, zone_id)]


class _SitePlace(Place):
    """A whole site as a place: everyone present, the site's arrivals and departures as flows."""

    __slots__ = ()

    def __init__(self, site: SiteCrowd, *, capacity: float, seed: int) -> None:
        super().__init__(
            site, group=HOLD, share=0.0, flow_share=1.0, capacity=capacity, ambient=0.0, seed=seed, name=site.site_id
        )

    def occupancy(self, t: float) -> float:
        """Everyone present at the site at `t`."""
        return self._site.value(t, PRESENT)
