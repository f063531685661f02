"""The reading batcher: size and linger flushes, shared waiters, failures reach every waiter, order per subject."""

from __future__ import annotations

import asyncio
import gc
import random
import time
import weakref

import pytest

from beffroi.domain.observations import Reading, ReadingBatch
from beffroi.errors import BusError
from beffroi.ingest.batcher import ReadingBatcher


def readings(count: int, tenant: str = "t", site: str | None = "s", start: int = 0) -> list[Reading]:
    return [Reading(tenant, "d", "m", float(start + n), 1.0, site) for n in range(count)]


class Publisher:
    """Records published batches; can fail or be slow."""

    def __init__(self, *, fail: bool = False, delay_s: float = 0.0, jitter: bool = False) -> None:
        self.batches: list[ReadingBatch] = []
        self.fail = fail
        self.delay_s = delay_s
        self.jitter = jitter

    async def __call__(self, batch: ReadingBatch) -> None:
        if self.delay_s:
            await asyncio.sleep(self.delay_s * (random.random() if self.jitter else 1.0))
        if self.fail:
            raise BusError("bus down")
        self.batches.append(batch)


async def test_a_full_batch_is_published_without_waiting_for_the_linger() -> None:
    publish = Publisher()
    batcher = ReadingBatcher(publish, max_readings=3, linger_ms=10_000)
    first = batcher.add("t", "s", readings(2))
    second = batcher.add("t", "s", readings(1, start=2))
    assert first is not second, "each caller has its own future"
    await asyncio.wait_for(asyncio.gather(first, second), 1.0)
    assert [len(b.readings) for b in publish.batches] == [3]
    assert [r.value for r in publish.batches[0].readings] == [0.0, 1.0, 2.0]
    assert publish.batches[0].tenant_id == "t"
    assert batcher.pending_readings == 0


async def test_a_partial_batch_is_published_after_the_linger() -> None:
    publish = Publisher()
    batcher = ReadingBatcher(publish, max_readings=1000, linger_ms=30)
    started = time.monotonic()
    done = batcher.add("t", "s", readings(5))
    await asyncio.sleep(0.005)
    assert publish.batches == []
    assert batcher.pending_readings == 5
    await asyncio.wait_for(done, 1.0)
    assert time.monotonic() - started >= 0.025
    assert [len(b.readings) for b in publish.batches] == [5]


async def test_readings_that_would_overflow_a_batch_start_the_next_one() -> None:
    publish = Publisher()
    batcher = ReadingBatcher(publish, max_readings=3, linger_ms=5)
    first = batcher.add("t", "s", readings(2))
    second = batcher.add("t", "s", readings(2, start=2))
    await asyncio.gather(first, second)
    assert [[r.value for r in b.readings] for b in publish.batches] == [[0.0, 1.0], [2.0, 3.0]]


async def test_one_call_bigger_than_a_batch_travels_whole() -> None:
    publish = Publisher()
    batcher = ReadingBatcher(publish, max_readings=3, linger_ms=5)
    await batcher.add("t", "s", readings(7))
    assert [len(b.readings) for b in publish.batches] == [7]


async def test_each_tenant_and_site_gets_its_own_batches_with_unique_ids() -> None:
    publish = Publisher()
    batcher = ReadingBatcher(publish, max_readings=100, linger_ms=1)
    waits = [
        batcher.add("t1", "s1", readings(1, "t1", "s1")),
        batcher.add("t1", "s2", readings(1, "t1", "s2")),
        batcher.add("t2", "s1", readings(1, "t2", "s1")),
        batcher.add("t1", "s1", readings(1, "t1", "s1")),
    ]
    await asyncio.gather(*waits)
    keys = sorted((b.tenant_id, b.readings[0].site_id, len(b.readings)) for b in publish.batches)
    assert keys == [("t1", "s1", 2), ("t1", "s2", 1), ("t2", "s1", 1)]
    for _ in range(20):
        await batcher.add("t1", "s1", readings(1, "t1", "s1"))
    ids = [b.batch_id for b in publish.batches]
    assert len(ids) == len(set(ids)) == 23


async def test_a_failed_publish_fails_every_waiter_of_that_batch_and_is_counted() -> None:
    publish = Publisher(fail=True)
    batcher = ReadingBatcher(publish, max_readings=100, linger_ms=1)
    waits = [batcher.add("t", "s", readings(1, start=n)) for n in range(5)]
    results = await asyncio.gather(*waits, return_exceptions=True)
    assert all(isinstance(r, BusError) for r in results)
    assert (batcher.batches_failed, batcher.batches_published) == (1, 0)
    publish.fail = False
    await batcher.add("t", "s", readings(1, start=99))
    assert [[r.value for r in b.readings] for b in publish.batches] == [[99.0]]
    assert batcher.batches_published == 1


async def test_a_cancelled_waiter_does_not_cancel_the_batch_of_the_others() -> None:
    publish = Publisher()
    batcher = ReadingBatcher(publish, max_readings=100, linger_ms=20)
    impatient = batcher.add("t", "s", readings(2))
    patient = batcher.add("t", "s", readings(1, start=2))
    impatient.cancel()
    await asyncio.wait_for(patient, 1.0)
    assert [len(b.readings) for b in publish.batches] == [3]


async def test_a_failure_nobody_waits_for_is_not_reported_as_never_retrieved(caplog: pytest.LogCaptureFixture) -> None:
    publish = Publisher(fail=True)
    batcher = ReadingBatcher(publish, max_readings=100, linger_ms=1)

    async def add_and_walk_away() -> weakref.ref[asyncio.Future[None]]:
        return weakref.ref(batcher.add("t", "s", readings(1)))

    ignored = await add_and_walk_away()
    await batcher.flush()
    gc.collect()
    assert ignored() is None, "the failed future was collected"
    assert batcher.batches_failed == 1
    assert "never retrieved" not in caplog.text


async def test_batches_of_one_subject_are_published_in_the_order_they_were_filled() -> None:
    publish = Publisher(delay_s=0.003, jitter=True)
    batcher = ReadingBatcher(publish, max_readings=2, linger_ms=1)
    waits = [batcher.add("t", "s", readings(1, start=n)) for n in range(40)]
    await asyncio.gather(*waits)
    values = [r.value for b in publish.batches for r in b.readings]
    assert values == [float(n) for n in range(40)]


async def test_flush_publishes_what_is_pending_and_survives_a_failure() -> None:
    publish = Publisher()
    batcher = ReadingBatcher(publish, max_readings=100, linger_ms=60_000)
    done = batcher.add("t", "s", readings(3))
    await batcher.flush()
    assert done.done()
    assert [len(b.readings) for b in publish.batches] == [3]
    publish.fail = True
    failed = batcher.add("t", "s", readings(1))
    await batcher.flush()  # does not raise: the waiters hear about it
    assert isinstance(failed.exception(), BusError)


@pytest.mark.parametrize(("max_readings", "linger_ms", "message"), [(0, 5.0, "max_readings"), (10, -1.0, "linger_ms")])
def test_bad_settings_are_refused(max_readings: int, linger_ms: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ReadingBatcher(Publisher(), max_readings=max_readings, linger_ms=linger_ms)
