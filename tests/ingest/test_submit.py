"""`Gateway.submit`: one shared future per reading batch, counted only once the bus has it, forgotten on failure."""

from __future__ import annotations

import asyncio

import msgspec

from beffroi.errors import BusError
from beffroi.ingest.outcome import OutcomeStatus
from beffroi.ingest.settling import failure_of
from tests.ingest.conftest import TENANT, GatewayFactory, RecordingSink, message

TOPIC = f"beffroi/{TENANT}/data/sdf/pc-01"


async def settle(future: asyncio.Future[None] | None) -> Exception | None:
    """Wait for `future` without awaiting it directly (it is shared), and say why it failed, if it did."""
    assert future is not None
    await asyncio.wait([future], timeout=2.0)
    assert future.done()
    await asyncio.sleep(0)  # the gateway's own callback on it runs
    return failure_of(future)


async def test_messages_of_one_batch_share_one_future_and_count_only_once_published(
    make_gateway: GatewayFactory, sink: RecordingSink
) -> None:
    gateway = make_gateway(batch_linger_ms=20.0)
    submitted = [gateway.submit_mqtt(TOPIC, message(msg_id=f"m-{n}")) for n in range(50)]
    futures = {id(s.settled) for s in submitted}
    assert len(futures) == 1, "one future per batch, not per message"
    assert all((s.outcome.status, s.outcome.readings) == (OutcomeStatus.ACCEPTED, 2) for s in submitted)
    assert gateway.metrics.accepted == 0, "nothing is counted before the bus has it"
    assert sink.batches == []
    assert await settle(submitted[0].settled) is None
    assert len(sink.readings) == 100
    assert (gateway.metrics.accepted, gateway.metrics.readings) == (50, 100)


async def test_a_failed_batch_fails_all_its_messages_and_forgets_them(
    make_gateway: GatewayFactory, sink: RecordingSink
) -> None:
    gateway = make_gateway(batch_linger_ms=5.0)
    sink.failures = 1
    first = [gateway.submit_mqtt(TOPIC, message(msg_id=f"m-{n}")) for n in range(10)]
    assert isinstance(await settle(first[0].settled), BusError)
    metrics = gateway.metrics
    assert (metrics.accepted, metrics.sink_failures, metrics.batches_failed) == (0, 10, 1)
    again = [gateway.submit_mqtt(TOPIC, message(msg_id=f"m-{n}")) for n in range(10)]
    assert all(s.outcome.status is OutcomeStatus.ACCEPTED for s in again), "sent again, they are taken again"
    assert await settle(again[0].settled) is None
    assert len(sink.readings) == 20
    assert gateway.metrics.accepted == 10


async def test_bad_messages_in_a_batch_get_their_own_dead_letter_to_wait_for(
    make_gateway: GatewayFactory, sink: RecordingSink
) -> None:
    gateway = make_gateway(batch_linger_ms=5.0)
    good = gateway.submit_mqtt(TOPIC, message(msg_id="good"))
    garbage = gateway.submit_mqtt(TOPIC, b"\xff garbage")
    stranger = gateway.submit_mqtt(f"beffroi/{TENANT}/data/sdf/pc-99", message("pc-99", msg_id="who"))
    also_good = gateway.submit_mqtt(TOPIC, message(msg_id="also-good"))
    assert good.settled is also_good.settled
    assert garbage.settled is not None and garbage.settled is not good.settled
    assert (garbage.outcome.reason, stranger.outcome.reason) == ("malformed", "unknown_device")
    for submitted in (good, garbage, stranger):
        assert await settle(submitted.settled) is None
    assert [letter.raw for letter in sink.dead_letters] == [b"\xff garbage", message("pc-99", msg_id="who")]
    assert len(sink.readings) == 4


async def test_a_dead_letter_the_bus_refused_fails_its_future(
    make_gateway: GatewayFactory, sink: RecordingSink
) -> None:
    gateway = make_gateway()
    sink.failures = 1
    refused = gateway.submit_mqtt(TOPIC, b"garbage")
    assert isinstance(await settle(refused.settled), BusError)
    assert gateway.metrics.sink_failures == 1
    assert sink.dead_letters == []


async def test_a_copy_of_a_message_in_flight_waits_on_the_first_copy(
    make_gateway: GatewayFactory, sink: RecordingSink
) -> None:
    gateway = make_gateway(batch_linger_ms=5.0)
    sink.failures = 1
    first = gateway.submit_mqtt(TOPIC, message(msg_id="m-1"))
    copy = gateway.submit_mqtt(TOPIC, message(msg_id="m-1"))
    assert copy.outcome.status is OutcomeStatus.DUPLICATE
    assert copy.settled is first.settled, "acknowledged only if the first copy makes it"
    assert isinstance(await settle(first.settled), BusError)
    assert gateway.metrics.duplicates == 0

    retry = gateway.submit_mqtt(TOPIC, message(msg_id="m-1"))
    assert retry.outcome.status is OutcomeStatus.ACCEPTED
    assert await settle(retry.settled) is None
    late_copy = gateway.submit_mqtt(TOPIC, message(msg_id="m-1"))
    assert late_copy.settled is None, "a copy of a message the bus has is acknowledged at once"
    assert late_copy.outcome.status is OutcomeStatus.DUPLICATE
    assert len(sink.readings) == 2
    assert (gateway.metrics.accepted, gateway.metrics.duplicates) == (1, 1)


async def test_a_message_with_an_event_waits_for_both_the_event_and_its_batch(
    make_gateway: GatewayFactory, sink: RecordingSink
) -> None:
    gateway = make_gateway(batch_linger_ms=5.0)
    payload = message("door-01", msg_id="e-1", event={"type": "door_forced"})
    plain = gateway.submit("http:t", TENANT, message(msg_id="plain"))
    with_event = gateway.submit("http:t", TENANT, payload)
    assert (with_event.outcome.readings, with_event.outcome.events) == (2, 1)
    assert with_event.settled is not plain.settled
    assert await settle(with_event.settled) is None
    assert [e.event_id for e in sink.events] == ["e-1"]
    assert len(sink.readings) == 4, "its batch is published too"
    copy = gateway.submit("http:t", TENANT, payload)
    assert copy.settled is None


async def test_an_event_the_bus_refused_fails_the_message_and_forgets_it(
    make_gateway: GatewayFactory, sink: RecordingSink
) -> None:
    gateway = make_gateway()
    payload = msgspec.json.encode(
        {"id": "e-2", "streamId": "door-01", "timestamp": 1_721_999_999_000, "event": {"type": "tamper"}}
    )
    sink.failures = 1
    assert isinstance(await settle(gateway.submit("http:t", TENANT, payload).settled), BusError)
    assert gateway.metrics.events == 0
    retry = gateway.submit("http:t", TENANT, payload)
    assert retry.outcome.status is OutcomeStatus.ACCEPTED
    assert await settle(retry.settled) is None
    assert gateway.metrics.events == 1


async def test_a_handle_cancelled_while_waiting_does_not_cancel_the_shared_batch(
    make_gateway: GatewayFactory, sink: RecordingSink
) -> None:
    gateway = make_gateway(batch_linger_ms=30.0)
    impatient = asyncio.create_task(gateway.handle("http:t", TENANT, message(msg_id="a")))
    patient = gateway.submit("http:t", TENANT, message(msg_id="b"))
    await asyncio.sleep(0.005)
    impatient.cancel()
    assert await settle(patient.settled) is None
    assert len(sink.readings) == 4
