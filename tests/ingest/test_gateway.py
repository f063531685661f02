"""The gateway: every reason gives one dead letter with the exact bytes; duplicates ignored; sink failures surface."""

from __future__ import annotations

import asyncio
import random

import msgspec
import pytest

from beffroi.domain.observations import Event, Position
from beffroi.errors import BusError
from beffroi.ingest.decoders import DecodedMessage
from beffroi.ingest.outcome import OutcomeStatus
from tests.ingest.conftest import NOW, OTHER_TENANT, TENANT, GatewayFactory, RecordingSink, message

SOURCE = f"http:{TENANT}"


async def test_an_accepted_message_becomes_readings_placed_by_the_registry(
    make_gateway: GatewayFactory, sink: RecordingSink
) -> None:
    gateway = make_gateway()
    outcome = await gateway.handle(SOURCE, TENANT, message("pc-03", location=[2.5, 48.5]))
    assert (outcome.status, outcome.readings, outcome.events) == (OutcomeStatus.ACCEPTED, 2, 0)
    assert outcome.accepted
    assert not outcome.rejected
    assert not outcome.duplicate
    [batch] = sink.batches
    assert batch.tenant_id == TENANT
    assert [(r.device_id, r.metric, r.value, r.ts) for r in batch.readings] == [
        ("pc-03", "count_in", 12.0, NOW),
        ("pc-03", "occupancy", 845.0, NOW),
    ]
    reading = batch.readings[0]
    assert (reading.tenant_id, reading.site_id, reading.zone_id) == (TENANT, "arena", None)
    assert reading.position == Position(2.5, 48.5)
    assert sink.dead_letters == []
    assert sink.events == []


async def test_an_event_is_published_with_the_message_id_and_the_tags_as_attributes(
    make_gateway: GatewayFactory, sink: RecordingSink
) -> None:
    gateway = make_gateway()
    payload = msgspec.json.encode(
        {
            "id": "evt-7",
            "streamId": "door-01",
            "timestamp": "2024-07-26T13:19:59Z",
            "tags": {"firmware": "2.1", "door": "overridden"},
            "event": {"type": "door_forced", "confidence": 0.9, "attributes": {"door": "B12"}},
        }
    )
    outcome = await gateway.handle(SOURCE, TENANT, payload)
    assert (outcome.status, outcome.readings, outcome.events) == (OutcomeStatus.ACCEPTED, 0, 1)
    assert sink.events == [
        Event(
            event_id="evt-7",
            tenant_id=TENANT,
            type="door_forced",
            source="door-01",
            ts=NOW,
            site_id="sdf",
            zone_id="gate-a",
            confidence=0.9,
            attributes={"firmware": "2.1", "door": "B12"},
        )
    ]
    assert sink.batches == []


async def test_mqtt_messages_take_the_tenant_from_the_topic(make_gateway: GatewayFactory, sink: RecordingSink) -> None:
    gateway = make_gateway()
    outcome = await gateway.handle_mqtt(f"beffroi/{OTHER_TENANT}/data/lyon-stadium/pc-01", message("pc-01"))
    assert outcome.accepted
    assert {r.tenant_id for b in sink.batches for r in b.readings} == {OTHER_TENANT}
    assert sink.batches[0].readings[0].site_id == "lyon-stadium"


REJECTIONS = [
    # (transport, tenant or topic, payload, reason, detail start)
    ("http", TENANT, b"x" * 300, "too_large", "payload is 300 bytes; the limit is 256 (first 256 bytes kept)"),
    ("http", TENANT, b'{"streamId": "pc-01", "timestamp": 1', "malformed", "not valid JSON"),
    ("http", TENANT, message(value={"count_in": "12"}), "wrong_type", "value.count_in: expected a number, got str"),
    ("http", TENANT, message(value={}), "empty", "value is empty and there is no event"),
    ("http", TENANT, b"", "empty", "the payload has no content"),
    ("http", TENANT, message("pc-99"), "unknown_device", "device 'pc-99' is not registered for tenant 'paris2024'"),
    ("http", "atlantis", message("pc-01"), "unknown_device", "tenant 'atlantis' has no registered device"),
    ("http", OTHER_TENANT, message("pc-02"), "unknown_device", "device 'pc-02' is not registered for tenant 'lyon'"),
    ("http", TENANT, message(ts_ms=(NOW + 301) * 1000), "future_timestamp", "timestamp 2024-07-26T13:25:00Z is 301 s"),
    (
        "http",
        TENANT,
        message(ts_ms=(NOW - 700_000) * 1000),
        "stale_timestamp",
        "timestamp 2024-07-18T10:53:19Z is 700000 s old",
    ),
    ("http", TENANT, message(ts_ms=NOW), "stale_timestamp", "timestamp 1970-01-20"),
    (
        "mqtt",
        f"beffroi/{TENANT}/data/sdf/pc-02",
        message("pc-01"),
        "device_mismatch",
        "the topic names device 'pc-02' but streamId is 'pc-01'",
    ),
    (
        "mqtt",
        f"beffroi/{TENANT}/status/sdf/pc-01",
        message("pc-01"),
        "bad_topic",
        "topic 'beffroi/paris2024/status/sdf/pc-01' does not match",
    ),
    (
        "mqtt",
        f"beffroi/{TENANT}/telemetry/sdf/pc-01",
        message("pc-01"),
        "bad_topic",
        "topic 'beffroi/paris2024/telemetry/sdf/pc-01' does not match",
    ),
]


@pytest.mark.parametrize(("transport", "where", "payload", "reason", "detail"), REJECTIONS)
async def test_every_reason_gives_exactly_one_dead_letter_with_the_raw_bytes(
    make_gateway: GatewayFactory,
    sink: RecordingSink,
    transport: str,
    where: str,
    payload: bytes,
    reason: str,
    detail: str,
) -> None:
    gateway = make_gateway(max_payload_bytes=256)
    if transport == "mqtt":
        outcome = await gateway.handle_mqtt(where, payload)
        source = f"mqtt:{where}"
    else:
        outcome = await gateway.handle(f"http:{where}", where, payload)
        source = f"http:{where}"
    assert (outcome.status, outcome.reason) == (OutcomeStatus.REJECTED, reason)
    assert outcome.detail is not None
    assert outcome.detail.startswith(detail), outcome.detail
    [letter] = sink.dead_letters
    assert letter.raw == (payload[:256] if reason == "too_large" else payload)
    assert (letter.reason, letter.detail, letter.source, letter.ts) == (reason, outcome.detail, source, NOW)
    assert len(letter.id) == 32
    assert sink.batches == []
    assert sink.events == []
    assert gateway.metrics.rejected == {reason: 1}
    assert gateway.metrics.received == 1


async def test_the_size_limit_is_checked_before_decoding(make_gateway: GatewayFactory, sink: RecordingSink) -> None:
    gateway = make_gateway(max_payload_bytes=64)
    outcome = await gateway.handle(SOURCE, TENANT, b"{" * 65)
    assert outcome.reason == "too_large"


async def test_a_stale_epoch_seconds_timestamp_gets_a_hint(make_gateway: GatewayFactory) -> None:
    outcome = await make_gateway().handle(SOURCE, TENANT, message(ts_ms=NOW))
    assert outcome.detail is not None
    assert outcome.detail.endswith("epoch seconds sent where milliseconds are expected?")


async def test_dead_letters_keep_the_tenant_only_when_it_exists(
    make_gateway: GatewayFactory, sink: RecordingSink
) -> None:
    gateway = make_gateway()
    await gateway.handle(SOURCE, TENANT, b"nope")
    await gateway.handle("http:atlantis", "atlantis", b"nope")
    await gateway.handle_mqtt("bad/topic", b"nope")
    assert [letter.tenant_id for letter in sink.dead_letters] == [TENANT, None, None]


async def test_a_duplicate_message_id_is_ignored_and_counted(make_gateway: GatewayFactory, sink: RecordingSink) -> None:
    gateway = make_gateway()
    first = await gateway.handle(SOURCE, TENANT, message(msg_id="m-1"))
    again = await gateway.handle(SOURCE, TENANT, message(msg_id="m-1"))
    other_tenant = await gateway.handle(f"http:{OTHER_TENANT}", OTHER_TENANT, message(msg_id="m-1"))
    assert first.accepted
    assert other_tenant.accepted
    assert (again.status, again.duplicates, again.readings) == (OutcomeStatus.DUPLICATE, 1, 0)
    assert len(sink.readings) == 4
    metrics = gateway.metrics
    assert (metrics.received, metrics.accepted, metrics.duplicates, metrics.readings) == (3, 2, 1, 4)


async def test_messages_without_id_are_deduplicated_by_device_and_timestamp(make_gateway: GatewayFactory) -> None:
    gateway = make_gateway()
    assert (await gateway.handle(SOURCE, TENANT, message(msg_id=None))).accepted
    assert (await gateway.handle(SOURCE, TENANT, message(msg_id=None))).duplicate
    assert (await gateway.handle(SOURCE, TENANT, message(msg_id=None, ts_ms=NOW * 1000 + 1))).accepted


async def test_concurrent_messages_share_one_batch(make_gateway: GatewayFactory, sink: RecordingSink) -> None:
    gateway = make_gateway(batch_linger_ms=5.0)
    outcomes = await asyncio.gather(
        *(gateway.handle(SOURCE, TENANT, message(f"pc-0{1 + n % 2}", msg_id=f"m-{n}")) for n in range(100))
    )
    assert all(o.accepted for o in outcomes)
    assert len(sink.batches) == 1
    assert len(sink.batches[0].readings) == 200
    assert gateway.metrics.batches_published == 1


async def test_a_sink_failure_raises_and_the_message_is_accepted_when_sent_again(
    make_gateway: GatewayFactory, sink: RecordingSink
) -> None:
    gateway = make_gateway()
    sink.failures = 1
    with pytest.raises(BusError):
        await gateway.handle(SOURCE, TENANT, message(msg_id="m-1"))
    assert sink.batches == []
    retry = await gateway.handle(SOURCE, TENANT, message(msg_id="m-1"))
    assert retry.accepted, "a message the bus never took must not be remembered as seen"
    assert len(sink.readings) == 2
    metrics = gateway.metrics
    assert (metrics.sink_failures, metrics.batches_failed, metrics.accepted, metrics.duplicates) == (1, 1, 1, 0)


async def test_a_failed_event_publish_raises_too(make_gateway: GatewayFactory, sink: RecordingSink) -> None:
    gateway = make_gateway()
    payload = message("door-01", msg_id="e-1", value={}, event={"type": "tamper"})
    sink.failures = 1
    with pytest.raises(BusError):
        await gateway.handle(SOURCE, TENANT, payload)
    assert (await gateway.handle(SOURCE, TENANT, payload)).accepted
    assert [e.event_id for e in sink.events] == ["e-1"]


async def test_a_dead_letter_that_cannot_be_published_raises(make_gateway: GatewayFactory, sink: RecordingSink) -> None:
    gateway = make_gateway()
    sink.failures = 1
    with pytest.raises(BusError):
        await gateway.handle(SOURCE, TENANT, b"garbage")
    assert gateway.metrics.sink_failures == 1
    assert (await gateway.handle(SOURCE, TENANT, b"garbage")).rejected
    assert len(sink.dead_letters) == 1


async def test_a_copy_arriving_while_the_first_is_in_flight_shares_its_fate(
    make_gateway: GatewayFactory, sink: RecordingSink
) -> None:
    gateway = make_gateway(batch_linger_ms=20.0)
    sink.failures = 1
    first = asyncio.create_task(gateway.handle(SOURCE, TENANT, message(msg_id="m-1")))
    await asyncio.sleep(0.002)
    copy = asyncio.create_task(gateway.handle(SOURCE, TENANT, message(msg_id="m-1")))
    results = await asyncio.gather(first, copy, return_exceptions=True)
    assert all(isinstance(r, BusError) for r in results), "the copy must not be acknowledged as a duplicate"
    assert (await gateway.handle(SOURCE, TENANT, message(msg_id="m-1"))).accepted

    second = asyncio.create_task(gateway.handle(SOURCE, TENANT, message(msg_id="m-2")))
    await asyncio.sleep(0.002)
    second_copy = await gateway.handle(SOURCE, TENANT, message(msg_id="m-2"))
    assert (await second).accepted
    assert second_copy.duplicate


async def test_close_flushes_pending_batches(make_gateway: GatewayFactory, sink: RecordingSink) -> None:
    gateway = make_gateway(batch_linger_ms=60_000.0)
    pending = asyncio.create_task(gateway.handle(SOURCE, TENANT, message()))
    await asyncio.sleep(0.01)
    assert sink.batches == []
    await gateway.close()
    assert (await pending).accepted
    assert len(sink.readings) == 2


async def test_a_decoder_that_crashes_dead_letters_the_payload(
    make_gateway: GatewayFactory, sink: RecordingSink
) -> None:
    class Broken:
        def decode(self, payload: bytes) -> list[DecodedMessage]:
            raise ZeroDivisionError("bug")

    outcome = await make_gateway(decoder=Broken()).handle(SOURCE, TENANT, b"{}")
    assert (outcome.reason, outcome.detail) == ("decoder_error", "ZeroDivisionError('bug')")
    assert sink.dead_letters[0].raw == b"{}"


async def test_metrics_are_a_typed_snapshot_with_a_flat_view(make_gateway: GatewayFactory) -> None:
    gateway = make_gateway()
    await gateway.handle(SOURCE, TENANT, message(msg_id="a"))
    await gateway.handle(SOURCE, TENANT, message(msg_id="a"))
    await gateway.handle(SOURCE, TENANT, b"[]")
    await gateway.handle(SOURCE, TENANT, message("ghost", msg_id="b"))
    snapshot = gateway.metrics
    await gateway.handle(SOURCE, TENANT, b"[]")
    assert snapshot.rejected == {"wrong_type": 1, "unknown_device": 1}, "a snapshot does not change afterwards"
    assert snapshot.as_dict() == {
        "received": 4,
        "accepted": 1,
        "readings": 2,
        "events": 0,
        "duplicates": 1,
        "sink_failures": 0,
        "batches_published": 1,
        "batches_failed": 0,
        "rejected_total": 2,
        "rejected_unknown_device": 1,
        "rejected_wrong_type": 1,
    }


async def test_the_loop_survives_ten_thousand_garbage_messages(
    make_gateway: GatewayFactory, sink: RecordingSink
) -> None:
    gateway = make_gateway(max_payload_bytes=4096)
    rng = random.Random(20240726)
    good = message()
    for n in range(10_000):
        kind = n % 4
        if kind == 0:
            payload = rng.randbytes(rng.randint(0, 200))
        elif kind == 1:  # valid JSON prefix cut short
            payload = good[: rng.randint(0, len(good) - 1)]
        elif kind == 2:  # one byte of a good payload flipped
            position = rng.randrange(len(good))
            payload = good[:position] + bytes([rng.randrange(256)]) + good[position + 1 :]
        else:
            payload = rng.choice([b"[" * 5000, b"null", b'{"streamId": {}}', b"x" * 5000, "é".encode("latin-1")])
        if kind == 2 and payload == good:
            continue
        outcome = await gateway.handle_mqtt(f"beffroi/{TENANT}/data/sdf/pc-01", payload)
        assert outcome.status in (OutcomeStatus.REJECTED, OutcomeStatus.ACCEPTED, OutcomeStatus.DUPLICATE)
    metrics = gateway.metrics
    assert metrics.rejected_total + metrics.accepted + metrics.duplicates == metrics.received
    assert metrics.rejected_total > 9_000
    assert len(sink.dead_letters) == metrics.rejected_total
    assert (await gateway.handle_mqtt(f"beffroi/{TENANT}/data/sdf/pc-02", message("pc-02", msg_id="last"))).accepted
