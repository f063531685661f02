"""A zone's usual shape over the day (commuter peaks, lunch, evenings), learned from the previous days.

The day is cut into 96 quarter-hours (of the UTC day: the shape is learned, so the time zone does not matter; a
daylight-saving change shifts it by an hour, re-learned within a few days). During a day each quarter-hour's mean
is accumulated; at the day's end it joins the means of the previous days (the last `days` of them, a day not seen
counting as 0, "nothing unusual"), and the usual value of the quarter-hour is their median: a shape counts once
it has been seen on most of those days, and one unusual day (an overcrowding, a one-off event) does not change
it. The current day is never used on the same day: it cannot swallow what the trend must see.
"""

from __future__ import annotations

import math

import numpy as np

SLOTS = 96
SLOT_S = 86400.0 / SLOTS
DAY_S = 86400.0


class DailyProfile:
    """The usual value of a series per quarter-hour of the day, read back interpolated between quarter-hours."""

    __slots__ = ("_day", "_history", "_next_row", "_sums", "_weights", "values")

    def __init__(self, days: int = 3) -> None:
        self.values = np.zeros(SLOTS)
        self._history = np.zeros((days, SLOTS))
        self._next_row = 0
        self._sums = np.zeros(SLOTS)
        self._weights = np.zeros(SLOTS)
        self._day = -1

    def update(self, ts: float, value: float, dt: float) -> None:
        """Learn that the series was `value` at `ts`, standing for the last `dt` seconds."""
        day = math.floor(ts / DAY_S)
        if day != self._day:
            self._close_day()
            self._day = day
        weight = min(max(dt, 0.0), SLOT_S)
        if weight > 0.0:
            slot = int((ts % DAY_S) // SLOT_S)
            self._sums[slot] += value * weight
            self._weights[slot] += weight

    def _close_day(self) -> None:
        seen = self._weights > 0.0
        if not seen.any():
            return
        row = self._history[self._next_row]
        row[:] = 0.0
        row[seen] = self._sums[seen] / self._weights[seen]
        self._next_row = (self._next_row + 1) % len(self._history)
        self.values = np.median(self._history, axis=0)
        self._sums[:] = 0.0
        self._weights[:] = 0.0

    def at_many(self, ts: np.ndarray) -> np.ndarray:
        """The usual values at the times `ts`, interpolated between the middles of the quarter-hours."""
        position = (ts % DAY_S) / SLOT_S - 0.5
        low = np.floor(position)
        share = position - low
        index = low.astype(np.int64) % SLOTS
        values = self.values
        result: np.ndarray = values[index] * (1.0 - share) + values[(index + 1) % SLOTS] * share
        return result

    def at(self, ts: float) -> float:
        """The usual value at `ts`, interpolated between the middles of the quarter-hours."""
        position = (ts % DAY_S) / SLOT_S - 0.5
        low = math.floor(position)
        share = position - low
        values = self.values
        return float(values[low % SLOTS] * (1.0 - share) + values[(low + 1) % SLOTS] * share)
