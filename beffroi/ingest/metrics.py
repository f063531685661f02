"""Counters of the gateway, and their typed snapshot."""

from __future__ import annotations

import msgspec


class GatewayMetrics(msgspec.Struct, frozen=True):
    """A snapshot of the gateway's counters since it started.

    `received` counts payloads handed to the gateway; `accepted` payloads that brought new data; `readings` and
    `events` what those published; `duplicates` messages ignored as already seen; `rejected` payloads refused, by
    reason; `sink_failures` payloads whose publication to the bus failed (not acknowledged, so sent again);
    `batches_published` / `batches_failed` reading batches handed to the bus.
    """

    received: int
    accepted: int
    readings: int
    events: int
    duplicates: int
    rejected: dict[str, int]
    sink_failures: int
    batches_published: int
    batches_failed: int

    @property
    def rejected_total(self) -> int:
        """All rejected payloads, whatever the reason."""
        return sum(self.rejected.values())

    def as_dict(self) -> dict[str, int]:
        """Flat counters for health pages: `rejected` becomes `rejected_total` and one `rejected_<reason>` each."""
        flat = {field: getattr(self, field) for field in self.__struct_fields__ if field != "rejected"}
        flat["rejected_total"] = self.rejected_total
        for reason, count in sorted(self.rejected.items()):
            flat[f"rejected_{reason}"] = count
        return flat


class GatewayCounters:
    """The live, mutable counters behind `GatewayMetrics`."""

    __slots__ = ("accepted", "duplicates", "events", "readings", "received", "rejected", "sink_failures")

    def __init__(self) -> None:
        self.received = 0
        self.accepted = 0
        self.readings = 0
        self.events = 0
        self.duplicates = 0
        self.rejected: dict[str, int] = {}
        self.sink_failures = 0

    def count_rejected(self, reason: str) -> None:
        """One more payload refused for `reason`."""
        self.rejected[reason] = self.rejected.get(reason, 0) + 1

    def snapshot(self, *, batches_published: int, batches_failed: int) -> GatewayMetrics:
        """The counters now, as an immutable value."""
        return GatewayMetrics(
            received=self.received,
            accepted=self.accepted,
            readings=self.readings,
            events=self.events,
            duplicates=self.duplicates,
            rejected=dict(self.rejected),
            sink_failures=self.sink_failures,
            batches_published=batches_published,
            batches_failed=batches_failed,
        )
