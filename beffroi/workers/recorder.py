"""The recorder worker: readings, events, dead letters and audit entries from the bus into the store."""

from __future__ import annotations

import logging

from beffroi.bus.base import Bus, BusMessage, ConsumerOptions, Subscription
from beffroi.domain import messages
from beffroi.domain.messages import AuditMessage, DeadLetterMessage
from beffroi.domain.observations import Event, Reading, ReadingBatch
from beffroi.domain.records import AuditEntry, DeadLetter
from beffroi.store.store import Store
from beffroi.workers.base import Health
from beffroi.workers.group_commit import GroupCommitter

log = logging.getLogger("beffroi.workers.recorder")


class RecorderWorker:
    """Stores what flows on the bus; acknowledges a message only once its rows are committed."""

    name = "recorder"

    def __init__(self, bus: Bus, store: Store, *, batch_max_rows: int = 10_000, parallel: int = 8) -> None:
        self._bus = bus
        self._parallel = parallel
        self._readings: GroupCommitter[Reading] = GroupCommitter(store.insert_readings, max_batch=batch_max_rows)
        self._events: GroupCommitter[Event] = GroupCommitter(store.insert_events)
        self._dead_letters: GroupCommitter[DeadLetter] = GroupCommitter(store.insert_dead_letters)
        self._audit: GroupCommitter[AuditEntry] = GroupCommitter(store.append_audit)
        self._subscriptions: list[Subscription] = []

    async def start(self) -> None:
        """Subscribe to everything the recorder keeps."""
        options = ConsumerOptions(batch=512, max_deliver=20, max_in_flight=4096)
        bus = self._bus
        # Several subscribers on one durable share its messages; their writes meet in the group committer,
        # so many small bus messages become one COPY.
        self._subscriptions = [
            await bus.subscribe(messages.ALL_READINGS, "recorder-readings", self._on_readings, options)
            for _ in range(self._parallel)
        ]
        self._subscriptions += [
            await bus.subscribe(messages.ALL_EVENTS, "recorder-events", self._on_event, options),
            await bus.subscribe(messages.ALL_DEAD_LETTERS, "recorder-dead-letters", self._on_dead_letter, options),
            await bus.subscribe(messages.ALL_AUDIT, "recorder-audit", self._on_audit, options),
        ]

    async def stop(self) -> None:
        """Stop consuming; in-flight writes finish first."""
        for subscription in self._subscriptions:
            await subscription.stop()
        self._subscriptions = []

    async def _on_readings(self, message: BusMessage) -> None:
        await self._readings.write(messages.decode(message.data, ReadingBatch).readings)

    async def _on_event(self, message: BusMessage) -> None:
        await self._events.write([messages.decode(message.data, Event)])

    async def _on_dead_letter(self, message: BusMessage) -> None:
        await self._dead_letters.write([messages.decode(message.data, DeadLetterMessage).dead_letter])

    async def _on_audit(self, message: BusMessage) -> None:
        await self._audit.write([messages.decode(message.data, AuditMessage).entry])

    def health(self) -> Health:
        """Rows and batches written."""
        return {
            "readings_written": self._readings.items_written,
            "reading_batches": self._readings.batches_written,
            "events_written": self._events.items_written,
            "dead_letters_written": self._dead_letters.items_written,
        }
