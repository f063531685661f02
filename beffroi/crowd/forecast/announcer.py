""" "Red expected in N min": announcements from a zone's forecasts, with hysteresis, and their cancellation.

An announcement is raised when, on `confirm` forecasts in a row, the zone is forecast to reach red density within
the horizon with probability at least `raise_probability` (the (1 − p) quantile of the forecast crosses red).
It holds until, on `release` forecasts in a row, that probability stays below `clear_probability` (lower, so it
does not flap) or the median forecast stays below amber within the horizon: then it is cleared
("forecast_below_red"). When the zone actually reaches red the announcement
is cleared too ("red_reached": the density alarm takes over), and no new one is raised until the density has gone
back below amber. While held, the announcement is repeated every `refresh_s` with the latest figures, so a
consumer holding an alarm for a while after each event keeps it up.

The messages are msgspec Structs; `to_event` turns one into the domain Event the engine turns into an alarm
(types `crowd_red_expected` and `crowd_red_expected_cleared`).
"""

from __future__ import annotations

import math
from typing import Literal, Protocol

import msgspec
import numpy as np

from beffroi.crowd.forecast.forecaster import PATH_MINUTES, HorizonForecast
from beffroi.crowd.forecast.thresholds import RedAndAmber
from beffroi.domain.observations import AttributeValue, Event
from beffroi.errors import ConfigError

RED_EXPECTED = "crowd_red_expected"
RED_EXPECTED_CLEARED = "crowd_red_expected_cleared"
ClearReason = Literal["forecast_below_red", "red_reached"]


class RedExpected(msgspec.Struct, frozen=True, tag=RED_EXPECTED):
    """Red density is expected in zone `zone_id` `minutes_ahead` minutes after `ts`, with `probability`; the
    forecast density then (median and interval, p/m²); `repeat` is False for the first message of an announcement."""

    zone_id: str
    ts: float
    minutes_ahead: float
    probability: float
    density: float
    density_low: float
    density_high: float
    density_now: float
    red_density: float
    repeat: bool = False


class RedExpectedCleared(msgspec.Struct, frozen=True, tag=RED_EXPECTED_CLEARED):
    """The announcement for zone `zone_id` no longer holds at `ts`: the forecast fell below red, or red came."""

    zone_id: str
    ts: float
    reason: ClearReason
    density_now: float
    red_density: float


Announcement = RedExpected | RedExpectedCleared


class PathForecast(Protocol):
    """What the announcer needs of a forecast (Forecast provides it; so can a simpler model)."""

    @property
    def count(self) -> float:
        """The observed count."""
        ...

    def quantile(self, probability: float) -> np.ndarray:
        """Counts for each minute of PATH_MINUTES that the zone stays below with this probability."""
        ...

    def at(self, minutes: float) -> HorizonForecast:
        """The forecast `minutes` ahead."""
        ...

    def probability_above(self, count: float, minutes: float) -> float:
        """The probability of at least `count` people `minutes` ahead."""
        ...


class AnnouncerSettings(msgspec.Struct, frozen=True):
    """When to raise, hold and clear an announcement (see the module docstring)."""

    raise_probability: float = 0.6
    clear_probability: float = 0.3
    confirm: int = 2
    release: int = 3
    horizon_min: float = 30.0
    refresh_s: float = 60.0

    def __post_init__(self) -> None:
        problems = []
        if not 0.0 < self.clear_probability < self.raise_probability < 1.0:
            problems.append("need 0 < clear_probability < raise_probability < 1")
        if self.confirm < 1 or self.release < 1:
            problems.append("confirm and release must be at least 1")
        if not 1.0 <= self.horizon_min <= float(PATH_MINUTES[-1]):
            problems.append(f"horizon_min must be between 1 and {PATH_MINUTES[-1]:g}")
        if not self.refresh_s > 0:
            problems.append("refresh_s must be > 0 (math.inf: never repeat)")
        if problems:
            raise ConfigError("announcer settings", problems)


class RedAnnouncer:
    """The announcement state of one zone, fed the zone's forecasts in time order."""

    __slots__ = (
        "_above",
        "_amber_count",
        "_area_m2",
        "_below",
        "_last_sent",
        "_minutes",
        "_settings",
        "active",
        "armed",
        "red_count",
        "zone_id",
    )

    def __init__(
        self, zone_id: str, area_m2: float, thresholds: RedAndAmber, settings: AnnouncerSettings | None = None
    ) -> None:
        self.zone_id = zone_id
        self._area_m2 = area_m2
        self._settings = settings or AnnouncerSettings()
        self.red_count = thresholds.red * area_m2
        self._amber_count = thresholds.amber * area_m2
        self._minutes = np.less_equal(PATH_MINUTES, self._settings.horizon_min)
        self.active = False
        self.armed = True
        self._above = 0
        self._below = 0
        self._last_sent = -math.inf

    def _first_crossing(self, forecast: PathForecast, probability: float) -> float | None:
        path = forecast.quantile(1.0 - probability)
        hits = np.flatnonzero((path >= self.red_count) & self._minutes)
        return float(PATH_MINUTES[hits[0]]) if hits.size else None

    def update(self, ts: float, forecast: PathForecast) -> list[Announcement]:
        """The messages this forecast (made at `ts`) causes: none, a RedExpected, or a RedExpectedCleared."""
        s = self._settings
        density_now = forecast.count / self._area_m2
        red_density = self.red_count / self._area_m2
        if forecast.count >= self.red_count:
            self._above = self._below = 0
            self.armed = False
            if self.active:
                self.active = False
                return [RedExpectedCleared(self.zone_id, ts, "red_reached", density_now, red_density)]
            return []
        if not self.armed:
            if forecast.count < self._amber_count:
                self.armed = True
            else:
                return []
        if not self.active:
            minutes = self._first_crossing(forecast, s.raise_probability)
            self._above = self._above + 1 if minutes is not None else 0
            if minutes is None or self._above < s.confirm:
                return []
            self.active = True
            self._below = 0
            self._last_sent = ts
            return [self._message(ts, forecast, minutes, density_now, red_density, repeat=False)]
        central = forecast.quantile(0.5)[self._minutes]
        if self._first_crossing(forecast, s.clear_probability) is None or central.max() < self._amber_count:
            self._below += 1
            if self._below >= s.release:
                self.active = False
                self._above = 0
                return [RedExpectedCleared(self.zone_id, ts, "forecast_below_red", density_now, red_density)]
        else:
            self._below = 0
        if ts - self._last_sent < s.refresh_s:
            return []
        minutes = self._first_crossing(forecast, s.raise_probability)
        if minutes is None:
            minutes = self._first_crossing(forecast, s.clear_probability) or float(PATH_MINUTES[-1])
        self._last_sent = ts
        return [self._message(ts, forecast, minutes, density_now, red_density, repeat=True)]

    def _message(
        self, ts: float, forecast: PathForecast, minutes: float, density_now: float, red_density: float, *, repeat: bool
    ) -> RedExpected:
        ahead = forecast.at(minutes)
        return RedExpected(
            zone_id=self.zone_id,
            ts=ts,
            minutes_ahead=minutes,
            probability=round(forecast.probability_above(self.red_count, minutes), 4),
            density=ahead.density,
            density_low=ahead.density_low,
            density_high=ahead.density_high,
            density_now=density_now,
            red_density=red_density,
            repeat=repeat,
        )


EVENT_SOURCE = "crowd"


def to_event(
    announcement: Announcement,
    *,
    tenant_id: str,
    site_id: str | None = None,
    source: str = EVENT_SOURCE,
    event_id: str | None = None,
) -> Event:
    """The domain Event of an announcement: type `crowd_red_expected` (confidence: the probability) or
    `crowd_red_expected_cleared`, placed on the zone, its figures as attributes. The id defaults to one fixed by
    type, zone and time, so a replay dedupes."""
    attributes: dict[str, AttributeValue] = {
        name: value
        for name, value in msgspec.structs.asdict(announcement).items()
        if name not in {"zone_id", "ts"} and isinstance(value, str | int | float | bool)
    }
    if isinstance(announcement, RedExpected):
        kind, confidence = RED_EXPECTED, announcement.probability
    else:
        kind, confidence = RED_EXPECTED_CLEARED, 1.0
    return Event(
        event_id=event_id or f"{kind}-{announcement.zone_id}-{round(announcement.ts * 1000)}",
        tenant_id=tenant_id,
        type=kind,
        source=source,
        ts=announcement.ts,
        site_id=site_id,
        zone_id=announcement.zone_id,
        confidence=confidence,
        attributes=attributes,
    )
