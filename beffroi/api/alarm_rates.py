"""Alarm rates per operator desk and per site, computed from the stored alarms (so they hold whichever process runs
the engine): alarms raised within the last `window_s`, the peak count of any 10 minutes of the last `hours`, and per
desk whether it floods now and how many floods it had in that period.

ISA-18.2 / EEMUA 191 rates count alarms RAISED (shown or grouped by a flood; re-triggers of an open alarm are not
new alarms). A flood's summary alarm (type `alarm_flood`, source `desk:<name>`, no site) is not counted as an alarm:
each one raised is a flood episode of its desk, and its desk floods now while the summary is open with its condition
active (when the flood ends it returns to normal). An alarm belongs to the desk of its site (`DeskMap`, with the
tenant's sites); an alarm without a site to the default desk.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence

import msgspec
from pydantic import Field

from beffroi.api.schemas import Shape
from beffroi.engine.desks import DeskMap
from beffroi.engine.flood import FLOOD_ALARM_TYPE, SUMMARY_SOURCE_PREFIX
from beffroi.store.alarms import AlarmRateHistory

PEAK_WINDOW_S = 600.0
"""The span of the peak count: 10 minutes, the period of the ISA-18.2 / EEMUA 191 alarm-rate figures."""


class DeskRate(msgspec.Struct, frozen=True):
    """One operator desk: alarms raised in the window, the peak 10-minute count in the period, whether it floods
    now, and the flood episodes begun in the period."""

    desk: str
    alarms_in_window: int
    peak: int
    flooding: bool
    floods: int


class SiteRate(msgspec.Struct, frozen=True):
    """One site: alarms raised in the window and the peak 10-minute count in the period."""

    site_id: str
    alarms_in_window: int
    peak: int


class AlarmRates(msgspec.Struct, frozen=True):
    """The alarm rates of one tenant: desks in declaration order (the default desk last), sites by id."""

    window_s: int
    hours: int
    desks: list[DeskRate]
    sites: list[SiteRate]


class DeskRateOut(Shape):
    """Alarms raised at one operator desk."""

    desk: str
    alarms_in_window: int = Field(description="Alarms raised within the last `window_s` seconds")
    peak: int = Field(description="The most alarms raised within any 10 minutes of the last `hours` hours")
    flooding: bool = Field(description="A flood summary alarm of this desk is active now")
    floods: int = Field(description="Flood episodes (flood summary alarms raised) in the last `hours` hours")


class SiteRateOut(Shape):
    """Alarms raised at one site."""

    site_id: str
    alarms_in_window: int
    peak: int


class AlarmRatesOut(Shape):
    """Alarm rates per operator desk and per site."""

    window_s: int
    hours: int
    desks: list[DeskRateOut]
    sites: list[SiteRateOut]


def peak_count(times: Sequence[float], span_s: float = PEAK_WINDOW_S) -> int:
    """The most of the sorted `times` that lie less than `span_s` apart (the busiest window of that span)."""
    best = 0
    first = 0
    for last, ts in enumerate(times):
        while ts - times[first] >= span_s:
            first += 1
        best = max(best, last - first + 1)
    return best


def desk_of_summary(source: str) -> str | None:
    """The desk a flood summary alarm's source names (`desk:<name>`), None for any other source."""
    return source[len(SUMMARY_SOURCE_PREFIX) :] if source.startswith(SUMMARY_SOURCE_PREFIX) else None


def alarm_rates(
    history: AlarmRateHistory,
    desks: DeskMap,
    site_ids: Iterable[str],
    *,
    now: float,
    window_s: int,
    hours: int,
) -> AlarmRates:
    """The rates at `now` from `history` (raises covering at least the last `window_s` and the last `hours`):
    every desk of `desks`, every site of `site_ids` and every other site that raised an alarm."""
    window_start, period_start = now - window_s, now - hours * 3600.0
    site_times: dict[str, list[float]] = defaultdict(list)
    desk_times: dict[str, list[float]] = defaultdict(list)
    floods: dict[str, int] = defaultdict(int)
    for raised in history.raises:  # oldest first: each list comes out sorted
        if raised.raised_at > now:
            continue
        if raised.type == FLOOD_ALARM_TYPE and (desk := desk_of_summary(raised.source)) is not None:
            if raised.raised_at >= period_start:
                floods[desk] += 1
            continue
        desk_times[desks.desk_of(raised.site_id)].append(raised.raised_at)
        if raised.site_id is not None:
            site_times[raised.site_id].append(raised.raised_at)
    flooding = {desk for source in history.active_sources if (desk := desk_of_summary(source)) is not None}

    def in_window(times: list[float]) -> int:
        return len(times) - bisect.bisect_left(times, window_start)

    def peak(times: list[float]) -> int:
        return peak_count(times[bisect.bisect_left(times, period_start) :])

    desk_rows = [
        DeskRate(name, in_window(desk_times[name]), peak(desk_times[name]), name in flooding, floods[name])
        for name in desks.names
    ]
    site_rows = [
        SiteRate(site_id, in_window(site_times[site_id]), peak(site_times[site_id]))
        for site_id in sorted({*site_ids, *site_times})
    ]
    return AlarmRates(window_s, hours, desk_rows, site_rows)
