"""Where the gateway sends what it produced; the gateway worker wires this to the bus."""

from __future__ import annotations

from typing import Protocol

from beffroi.domain.observations import Event, ReadingBatch
from beffroi.domain.records import DeadLetter


class GatewaySink(Protocol):
    """Receives reading batches, events and dead letters. Each method returns once the bus holds the item
    durably and raises when it could not (so the sender is not acknowledged and delivers again)."""

    async def publish_readings(self, batch: ReadingBatch) -> None:
        """Publish one batch of readings (all of one tenant and site)."""
        ...

    async def publish_event(self, event: Event) -> None:
        """Publish one event."""
        ...

    async def publish_dead_letter(self, letter: DeadLetter) -> None:
        """Publish one rejected input with its raw bytes and the reason."""
        ...
