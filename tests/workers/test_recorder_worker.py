"""The recorder worker on the in-process bus and a SQLite store: what is published lands in the store once, and one
batch the store refuses does not hold back the batches written together with it."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from beffroi.bus.base import Bus, create_bus
from beffroi.domain import messages
from beffroi.domain.messages import AuditMessage, DeadLetterMessage
from beffroi.domain.observations import Event, Reading, ReadingBatch
from beffroi.domain.records import AuditEntry, DeadLetter
from beffroi.store.store import Store
from beffroi.workers.recorder import RecorderWorker
from tests.bus.support import wait_until

TENANT = "tiny"
SITE = "tiny-stadium"
COUNTER = "tiny-gate-pc-01"
T0 = 1_722_002_400.0


def batch(batch_id: str, count: int, *, start: float = T0, value: float = 1.0) -> ReadingBatch:
    readings = [Reading(TENANT, COUNTER, "occupancy", value + i, start + i, site_id=SITE) for i in range(count)]
    return ReadingBatch(batch_id=batch_id, tenant_id=TENANT, readings=readings)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(f"sqlite:///{tmp_path / 'recorder.db'}") as store:
        store.migrate()
        yield store


@pytest.fixture
async def bus() -> AsyncIterator[Bus]:
    bus = create_bus("inprocess", "inprocess://")
    await bus.start()
    yield bus
    await bus.close()


@pytest.fixture
async def recorder(bus: Bus, store: Store) -> AsyncIterator[RecorderWorker]:
    worker = RecorderWorker(bus, store, batch_max_rows=50)
    await worker.start()
    yield worker
    await worker.stop()


async def publish_batch(bus: Bus, readings: ReadingBatch, msg_id: str) -> None:
    await bus.publish(messages.readings_subject(TENANT, SITE), messages.encode(readings), msg_id=msg_id)


async def test_published_batches_land_in_the_store(recorder: RecorderWorker, bus: Bus, store: Store) -> None:
    await bus.publish_many(
        [
            (messages.readings_subject(TENANT, SITE), messages.encode(batch(f"b-{n}", 40, start=T0 + 100 * n)), None)
            for n in range(5)
        ]
    )
    await wait_until(lambda: store.count_readings(TENANT) == 200, 5.0, lambda: f"{store.count_readings(TENANT)}/200")
    newest = store.query_readings(TENANT, limit=1)[0]
    assert (newest.device_id, newest.ts, newest.value, newest.site_id) == (COUNTER, T0 + 439, 40.0, SITE)
    assert recorder.health()["readings_written"] == 200


async def test_the_same_batch_published_twice_is_stored_once(recorder: RecorderWorker, bus: Bus, store: Store) -> None:
    twice = batch("b-1", 30)
    await publish_batch(bus, twice, "first-delivery")
    await publish_batch(bus, twice, "second-delivery")
    await wait_until(lambda: recorder.health()["readings_written"] == 60, 5.0, lambda: f"{recorder.health()}")
    assert store.count_readings(TENANT) == 30


async def test_events_dead_letters_and_audit_entries_are_stored(
    recorder: RecorderWorker, bus: Bus, store: Store
) -> None:
    event = Event("ev-1", TENANT, "door_forced", "tiny-plant-room-ac-01", T0, site_id=SITE, attributes={"door": "B"})
    letter = DeadLetter("dl-1", T0, "mqtt:beffroi/tiny/data/x", "malformed", "not valid JSON", b"\xff{", TENANT)
    orphan = DeadLetter("dl-2", T0, "http:nobody", "unknown_device", "no such tenant", b"{}", None)
    entry = AuditEntry("au-1", T0, TENANT, "operator-7", "alarm.acknowledged", "alarm", "a-1", {"from_state": "x"})
    await bus.publish(messages.events_subject(TENANT, SITE), messages.encode(event))
    for item in (letter, orphan):
        await bus.publish(messages.dead_letters_subject(), messages.encode(DeadLetterMessage(dead_letter=item)))
    await bus.publish(messages.audit_subject(TENANT), messages.encode(AuditMessage(entry=entry)))
    await wait_until(lambda: bool(store.query_audit(TENANT)), 5.0, lambda: "the audit entry was not stored")
    await wait_until(lambda: len(store.query_dead_letters(None)) == 2, 5.0, lambda: "dead letters missing")
    await wait_until(lambda: bool(store.query_events(TENANT)), 5.0, lambda: "the event was not stored")
    assert store.query_events(TENANT) == [event]
    assert store.query_audit(TENANT) == [entry]
    assert store.query_dead_letters(TENANT) == [letter]
    assert {d.id: d.raw for d in store.query_dead_letters(None)} == {"dl-1": b"\xff{", "dl-2": b"{}"}
    # the rows are in the store as soon as the writing thread is done; the counters move when the recorder's loop
    # gets back to it, which a busy machine can delay past the check above
    await wait_until(
        lambda: recorder.health()["events_written"] == 1 and recorder.health()["dead_letters_written"] == 2,
        5.0,
        lambda: f"counters: {recorder.health()}",
    )


async def test_a_batch_the_store_refuses_does_not_hold_back_the_others(
    recorder: RecorderWorker, bus: Bus, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="beffroi.bus")  # the bus logs every failed delivery with its msg_id
    poisoned = batch("b-bad", 3, start=T0, value=float("nan"))
    good = [batch(f"b-{n}", 10, start=T0 + 100 * (n + 1)) for n in range(7)]
    items = [(messages.readings_subject(TENANT, SITE), messages.encode(poisoned), "bad")]
    items += [(messages.readings_subject(TENANT, SITE), messages.encode(b), b.batch_id) for b in good]
    await bus.publish_many(items)  # delivered together to the recorder's parallel subscribers: one joined write
    await wait_until(lambda: store.count_readings(TENANT) == 70, 5.0, lambda: f"{store.count_readings(TENANT)}/70")
    await wait_until(lambda: bool(failed_deliveries(caplog)), 5.0, lambda: "the NaN batch was never refused")
    assert set(failed_deliveries(caplog)) == {"bad"}  # every good batch was written on its first delivery
    assert recorder.health()["readings_written"] == 70


def failed_deliveries(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The msg ids of the deliveries the bus logged as failed."""
    failed = (re.search(r"\(msg_id '([^']*)'\) failed", record.getMessage()) for record in caplog.records)
    return [match.group(1) for match in failed if match is not None]
