"""Local wall time at the scenario's place (hour of day, calendar day) for daily cycles."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from beffroi.errors import ConfigError

_HOUR = 3600.0
_DAY = 86_400.0


class LocalTime:
    """Hour of day and day number in the scenario's time zone; the UTC offset is cached per hour."""

    def __init__(self, timezone: str) -> None:
        try:
            self._zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError("scenario", [f"timezone: unknown time zone {timezone!r}"]) from None
        self._offsets: dict[int, float] = {}

    def _offset(self, ts: float) -> float:
        bucket = int(ts // _HOUR)
        offset = self._offsets.get(bucket)
        if offset is None:
            delta = datetime.fromtimestamp(bucket * _HOUR, self._zone).utcoffset()
            offset = delta.total_seconds() if delta is not None else 0.0
            if len(self._offsets) > 10_000:
                self._offsets.clear()
            self._offsets[bucket] = offset
        return offset

    def local_seconds(self, ts: float) -> float:
        """Epoch seconds shifted to local wall time (so `// 86400` is the local day)."""
        return ts + self._offset(ts)

    def hour(self, ts: float) -> float:
        """Local hour of day in [0, 24)."""
        return (self.local_seconds(ts) % _DAY) / _HOUR

    def day(self, ts: float) -> int:
        """Local day number (days since 1970-01-01 in local time)."""
        return int(self.local_seconds(ts) // _DAY)
