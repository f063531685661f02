"""The key-day: the local day over which pseudonyms stay the same, and its night hours.

Pseudonyms rotate at `rotation_hour` local time (03:00 by default, the quietest hour), so a subscriber can be
followed within a key-day and never across two. The night of a key-day runs from its start to `night_end_hour`
(06:00): a subscriber present then slept in the area, one never present then is a day visitor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from beffroi.errors import ConfigError


@dataclass(frozen=True)
class KeyCalendar:
    """When the pseudonymisation key changes (local time of `timezone`) and which hours count as the night."""

    timezone: str = "Europe/Paris"
    rotation_hour: int = 3
    night_end_hour: int = 6

    def __post_init__(self) -> None:
        problems = []
        if not 0 <= self.rotation_hour <= 23:
            problems.append(f"rotation_hour: must be 0..23 (got {self.rotation_hour})")
        if not 0 <= self.night_end_hour <= 23:
            problems.append(f"night_end_hour: must be 0..23 (got {self.night_end_hour})")
        try:
            ZoneInfo(self.timezone)
        except (KeyError, ValueError) as error:
            problems.append(f"timezone: unknown time zone {self.timezone!r} ({error})")
        if problems:
            raise ConfigError("key calendar", problems)

    @cached_property
    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def day_of(self, ts: float) -> date:
        """The key-day that contains the instant `ts` (epoch seconds)."""
        local = datetime.fromtimestamp(ts, self._zone).replace(tzinfo=None)
        return (local - timedelta(hours=self.rotation_hour)).date()

    def start_of(self, day: date) -> float:
        """Epoch seconds at which `day`'s key comes into use."""
        return datetime.combine(day, time(self.rotation_hour), self._zone).timestamp()

    def night_end_of(self, day: date) -> float:
        """Epoch seconds at which `day`'s night hours end."""
        end_date = day if self.night_end_hour > self.rotation_hour else day + timedelta(days=1)
        return datetime.combine(end_date, time(self.night_end_hour), self._zone).timestamp()

    def is_night(self, ts: float) -> bool:
        """Whether `ts` falls in the night hours of its key-day."""
        return ts < self.night_end_of(self.day_of(ts))

    def days_of(self, ts: npt.NDArray[np.float64]) -> tuple[list[date], npt.NDArray[np.intp]]:
        """The key-days spanned by `ts` and, per instant, the position of its key-day in that list."""
        if ts.size == 0:
            return [], np.zeros(0, dtype=np.intp)
        first = self.day_of(float(np.min(ts)))
        last = self.day_of(float(np.max(ts)))
        days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
        if len(days) == 1:
            return days, np.zeros(ts.shape[0], dtype=np.intp)
        starts = np.array([self.start_of(day) for day in days[1:]], dtype=np.float64)
        return days, np.searchsorted(starts, ts, side="right").astype(np.intp)
