"""Gathers readings into one `ReadingBatch` per (tenant, site) and publishes it when full or after a linger time.

Every batch has one future that settles when the batch is published, or fails with the publisher's exception,
so a sender is acknowledged only after the bus has the data. `add_shared` returns that shared future (for callers
that only attach callbacks, like the MQTT acknowledgement path: no future per message); `add` returns a future of
the caller's own that follows it, so cancelling one caller touches no one else.
Batches of one (tenant, site) are published one at a time, in the order they were filled.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence

from beffroi.domain.observations import Reading, ReadingBatch
from beffroi.errors import BusError
from beffroi.ingest.settling import follow

log = logging.getLogger(__name__)

BatchKey = tuple[str, str | None]
"""(tenant id, site id): readings of one key travel on one bus subject."""

Publish = Callable[[ReadingBatch], Awaitable[None]]


class _Pending:
    """The batch being filled for one key, and the future that settles when it is published."""

    __slots__ = ("readings", "settled", "timer")

    def __init__(self, settled: asyncio.Future[None], timer: asyncio.TimerHandle) -> None:
        self.readings: list[Reading] = []
        self.settled = settled
        self.timer = timer


class ReadingBatcher:
    """Accumulates readings per (tenant, site) and publishes `ReadingBatch`es through `publish`."""

    def __init__(self, publish: Publish, *, max_readings: int = 2000, linger_ms: float = 5.0) -> None:
        if max_readings < 1:
            raise ValueError(f"max_readings must be at least 1, got {max_readings}")
        if linger_ms < 0:
            raise ValueError(f"linger_ms must not be negative, got {linger_ms}")
        self._publish = publish
        self.max_readings = max_readings
        self.linger_s = linger_ms / 1000.0
        self._pending: dict[BatchKey, _Pending] = {}
        self._order_locks: dict[BatchKey, asyncio.Lock] = {}
        self._flushing: set[asyncio.Task[None]] = set()
        self.batches_published = 0
        self.batches_failed = 0

    def add(self, tenant_id: str, site_id: str | None, readings: Sequence[Reading]) -> asyncio.Future[None]:
        """Queue readings of one tenant and site; the returned future settles when their batch is published.

        The future is this caller's own. All `readings` go into the same batch (a batch exceeds `max_readings`
        only when one call alone brings more).
        """
        return follow(self.add_shared(tenant_id, site_id, readings))

    def add_shared(self, tenant_id: str, site_id: str | None, readings: Sequence[Reading]) -> asyncio.Future[None]:
        """Like `add`, but returns the future of the whole batch, shared by every caller of that batch.

        Attach callbacks to it; never cancel it, nor await it from a task that may be cancelled (use `add`).
        """
        key = (tenant_id, site_id)
        pending = self._pending.get(key)
        if pending is not None and len(pending.readings) + len(readings) > self.max_readings:
            self._flush(key)
            pending = None
        if pending is None:
            loop = asyncio.get_running_loop()
            pending = _Pending(loop.create_future(), loop.call_later(self.linger_s, self._flush, key))
            self._pending[key] = pending
        pending.readings.extend(readings)
        settled = pending.settled
        if len(pending.readings) >= self.max_readings:
            self._flush(key)
        return settled

    @property
    def pending_readings(self) -> int:
        """Readings waiting in batches not yet handed to the publisher."""
        return sum(len(pending.readings) for pending in self._pending.values())

    async def flush(self) -> None:
        """Publish every pending batch now and wait until all batches handed out so far are settled.

        A failed batch fails its waiters; `flush` itself logs it and does not raise.
        """
        for key in list(self._pending):
            self._flush(key)
        while self._flushing:
            await asyncio.gather(*self._flushing, return_exceptions=True)

    def _flush(self, key: BatchKey) -> None:
        pending = self._pending.pop(key, None)
        if pending is None:
            return
        pending.timer.cancel()
        batch = ReadingBatch(batch_id=uuid.uuid4().hex, tenant_id=key[0], readings=pending.readings)
        task = asyncio.get_running_loop().create_task(self._publish_in_order(key, batch, pending.settled))
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)

    async def _publish_in_order(self, key: BatchKey, batch: ReadingBatch, settled: asyncio.Future[None]) -> None:
        lock = self._order_locks.get(key)
        if lock is None:
            lock = self._order_locks[key] = asyncio.Lock()
        try:
            async with lock:
                await self._publish(batch)
        except Exception as exc:
            self._fail(batch, settled, exc)
            return
        except asyncio.CancelledError:
            self._fail(batch, settled, BusError(f"publishing reading batch {batch.batch_id} was cancelled"))
            raise
        self.batches_published += 1
        if not settled.done():
            settled.set_result(None)

    def _fail(self, batch: ReadingBatch, settled: asyncio.Future[None], exc: Exception) -> None:
        self.batches_failed += 1
        log.warning(
            "publishing reading batch %s (%d readings, tenant %s) failed: %s",
            batch.batch_id,
            len(batch.readings),
            batch.tenant_id,
            repr(exc),  # a string: a log record holding the exception would keep its frames and waiters alive
        )
        if not settled.done():
            settled.set_exception(exc)
            settled.exception()  # marks it retrieved: a failure nobody waited for is not reported; awaiting raises
