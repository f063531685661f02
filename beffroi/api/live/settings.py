"""The live stream's timings and limits (docs/live-stream.md)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LiveSettings:
    """How often the hub sends, how far a client may fall behind, and how long closed alarms and incidents stay
    resumable."""

    heartbeat_s: float = 5.0
    """A heartbeat frame goes out after this long without another frame."""
    hello_timeout_s: float = 10.0
    """The client's hello must arrive within this time of the connection, or it is closed with 4401."""
    batch_interval_s: float = 0.25
    """Changes are sent in one `changes` frame per client at most this often."""
    zone_interval_s: float = 1.0
    """A zone's state is sent at most this often."""
    max_frames_behind: int = 1000
    """A client with more frames than this waiting to be sent is closed with 4408 (too slow)."""
    closed_alarm_keep_s: float = 3600.0
    """A closed alarm or incident stays resumable (its last change is replayed to a resuming client) for this long."""
    low_battery_pct: int = 20
    """A device whose battery is below this percentage is `low_battery`."""

    def __post_init__(self) -> None:
        for name in ("heartbeat_s", "hello_timeout_s", "batch_interval_s", "zone_interval_s", "closed_alarm_keep_s"):
            if not getattr(self, name) > 0:
                raise ValueError(f"live settings: {name} must be > 0 (got {getattr(self, name)!r})")
        if self.max_frames_behind < 1:
            raise ValueError(f"live settings: max_frames_behind must be >= 1 (got {self.max_frames_behind!r})")
