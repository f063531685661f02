"""What only the NATS JetStream backend does: server-side state, stream settings, connection loss, bad servers."""

from __future__ import annotations

import time

import nats
import nats.js.errors
import pytest
from nats.js import JetStreamContext
from nats.js.api import StorageType

from beffroi.bus._nats_pull import delivery_count, stream_sequence
from beffroi.bus.base import ConsumerOptions, create_bus
from beffroi.bus.nats_jetstream import NatsJetStreamBus
from beffroi.errors import BusError
from tests.bus.conftest import nats_test_bus
from tests.bus.support import Recorder, settle
from tests.bus.tcp_proxy import CuttableProxy
from tests.services import NATS_URL, SERVICES, require_service


async def test_start_fails_with_bus_error_when_no_server_answers() -> None:
    bus = NatsJetStreamBus("nats://127.0.0.1:1", stream="T_UNREACHABLE", timeout_s=1)
    started = time.monotonic()

    with pytest.raises(BusError, match=r"cannot connect to NATS at nats://127\.0\.0\.1:1"):
        await bus.start()

    assert time.monotonic() - started < 5
    with pytest.raises(BusError, match="not started"):
        await bus.publish_many([("beffroi.x", b"x", None)])
    await bus.close()  # harmless


def test_bad_settings_are_refused() -> None:
    with pytest.raises(BusError, match="stream name"):
        NatsJetStreamBus(NATS_URL, stream="has.dot")
    with pytest.raises(BusError, match="duplicate_window_s"):
        NatsJetStreamBus(NATS_URL, max_age_s=60, duplicate_window_s=120)
    with pytest.raises(BusError, match="stream subjects"):
        NatsJetStreamBus(NATS_URL, subjects=())
    with pytest.raises(BusError, match="invalid subject filter"):
        NatsJetStreamBus(NATS_URL, subjects=("a.>.b",))


def test_the_factory_passes_the_stream_settings() -> None:
    bus = create_bus(
        "nats", NATS_URL, stream="ELSEWHERE", subjects=("ns.beffroi.>",), max_age_s=60, duplicate_window_s=30
    )

    assert isinstance(bus, NatsJetStreamBus)
    assert bus.stream == "ELSEWHERE"


def test_the_delivery_count_is_read_from_both_ack_subject_forms() -> None:
    assert delivery_count("$JS.ACK.S.C.3.10.9.1700000000000000000.0") == 3
    assert delivery_count("$JS.ACK.hub.ACCHASH.S.C.4.10.9.1700000000000000000.0.tok") == 4
    assert delivery_count("garbage") == 1


@pytest.mark.nats
async def test_the_stream_is_created_then_updated_with_the_configured_settings(token: str) -> None:
    require_service("nats")
    first = nats_test_bus(token, max_age_s=3600, duplicate_window_s=60)
    await first.start()
    await first.close()
    second = nats_test_bus(token, max_age_s=7200, duplicate_window_s=90)
    await second.start()
    await second.close()

    client = await nats.connect(NATS_URL)
    try:
        info = await client.jetstream().stream_info(f"T_{token}")
        await client.jetstream().delete_stream(f"T_{token}")
    finally:
        await client.close()
    assert info.config.subjects == [f"t{token}.>"]
    assert info.config.storage == StorageType.FILE
    assert info.config.max_age == pytest.approx(7200)
    assert info.config.duplicate_window == pytest.approx(90)


@pytest.mark.nats
async def test_a_stream_whose_subjects_overlap_another_is_refused(nats_bus: NatsJetStreamBus, token: str) -> None:
    rival = NatsJetStreamBus(NATS_URL, stream=f"T_{token}_RIVAL", subjects=(f"t{token}.x.>",))

    with pytest.raises(BusError, match=f"cannot create or update JetStream stream T_{token}_RIVAL.*overlap"):
        await rival.start()


@pytest.mark.nats
async def test_the_servers_state_survives_the_client(nats_bus: NatsJetStreamBus, token: str, prefix: str) -> None:
    first = Recorder()
    await nats_bus.subscribe(f"{prefix}.>", "survivor", first)
    for data in (b"a", b"b"):
        await nats_bus.publish(f"{prefix}.x", data, msg_id=data.decode())
    await first.wait_handled(2)
    await nats_bus.close()

    second_bus = nats_test_bus(token)
    await second_bus.start()
    try:
        await second_bus.publish(f"{prefix}.x", b"a", msg_id="a")  # still within the duplicate window
        await second_bus.publish(f"{prefix}.x", b"c", msg_id="c")
        second = Recorder()
        await second_bus.subscribe(f"{prefix}.>", "survivor", second)
        await second.wait_handled(1)
        await settle()
    finally:
        await second_bus.close()
    assert second.data == [b"c"]


@pytest.mark.nats
async def test_consuming_and_publishing_go_on_after_the_connection_drops(
    nats_bus: NatsJetStreamBus, token: str, prefix: str
) -> None:
    proxy = CuttableProxy(SERVICES["nats"].host, SERVICES["nats"].port)
    await proxy.start()
    behind_proxy = NatsJetStreamBus(f"nats://127.0.0.1:{proxy.port}", stream=f"T_{token}", subjects=(f"{prefix}.>",))
    await behind_proxy.start()
    try:
        recorder = Recorder()
        # A message in flight when the connection drops is lost with it and redelivered after ack_wait.
        await behind_proxy.subscribe(f"{prefix}.>", "blip", recorder, ConsumerOptions(ack_wait_s=2))
        await nats_bus.publish(f"{prefix}.x", b"before")
        await recorder.wait_handled(1)

        await proxy.cut()
        await nats_bus.publish(f"{prefix}.x", b"during")
        await recorder.wait_handled(2, timeout_s=10)

        # A publish whose request or ack was lost in the cut raises BusError; retrying with the same msg_id is safe.
        for _attempt in range(3):
            try:
                await behind_proxy.publish(f"{prefix}.x", b"after", msg_id="after")
                break
            except BusError:
                continue
        await recorder.wait_handled(3, timeout_s=10)
        await settle()
        assert recorder.data == [b"before", b"during", b"after"]
    finally:
        await behind_proxy.close()
        await proxy.close()


@pytest.mark.nats
async def test_a_deleted_consumer_is_recreated(nats_bus: NatsJetStreamBus, token: str, prefix: str) -> None:
    recorder = Recorder()
    await nats_bus.subscribe(f"{prefix}.>", "phoenix", recorder)
    await nats_bus.publish(f"{prefix}.x", b"first")
    await recorder.wait_handled(1)

    client = await nats.connect(NATS_URL)
    try:
        await client.jetstream().delete_consumer(f"T_{token}", "phoenix")
    finally:
        await client.close()
    await nats_bus.publish(f"{prefix}.x", b"second")

    await recorder.wait_handled(2, timeout_s=10)
    assert b"second" in recorder.data  # the new consumer starts over: "first" may come again (at-least-once)


@pytest.mark.nats
async def test_publishing_after_the_stream_is_gone_raises_bus_error(
    nats_bus: NatsJetStreamBus, token: str, prefix: str
) -> None:
    client = await nats.connect(NATS_URL)
    try:
        await client.jetstream().delete_stream(f"T_{token}")
    finally:
        await client.close()

    with pytest.raises(BusError, match="no JetStream stream stores subject"):
        await nats_bus.publish(f"{prefix}.x", b"x")
    with pytest.raises(BusError, match=r"2 of messages 1\.\.2 \(of 2\) were not confirmed"):
        await nats_bus.publish_many([(f"{prefix}.x", b"a", None), (f"{prefix}.x", b"b", "b")])


def test_the_stream_sequence_is_read_from_both_ack_subject_forms() -> None:
    assert stream_sequence("$JS.ACK.S.C.3.10.9.1700000000000000000.0") == 10
    assert stream_sequence("$JS.ACK.hub.ACCHASH.S.C.4.11.9.1700000000000000000.0.tok") == 11
    assert stream_sequence("garbage") is None


@pytest.mark.nats
async def test_a_consumer_that_erases_leaves_nothing_of_what_it_took_in_the_stream(
    nats_bus: NatsJetStreamBus, token: str
) -> None:
    secret, kept = f"t{token}.signalling.raw", f"t{token}.readings.other"
    await nats_bus.publish_many([(secret, b"imsi=208011234567890", "s1"), (kept, b"a reading", "r1")])
    erasing = Recorder()
    await nats_bus.subscribe(secret, "erasing", erasing, ConsumerOptions(erase_after_ack=True))
    await erasing.wait_handled(1)
    await settle()

    client = await nats.connect(NATS_URL)
    try:
        js = client.jetstream()
        info = await js.stream_info(f"T_{token}")
        stored = [seq for seq in (1, 2) if await _exists(js, token, seq)]
        reading = await js.get_msg(f"T_{token}", 2)
    finally:
        await client.close()
    assert erasing.data == [b"imsi=208011234567890"]
    assert info.state.messages == 1 and stored == [2] and reading.data == b"a reading"  # the other subject is kept


async def _exists(js: JetStreamContext, token: str, seq: int) -> bool:
    try:
        await js.get_msg(f"T_{token}", seq)
    except nats.js.errors.NotFoundError:
        return False
    return True


@pytest.mark.nats
async def test_a_message_given_up_is_erased_too(nats_bus: NatsJetStreamBus, token: str) -> None:
    secret = f"t{token}.signalling.raw"
    await nats_bus.publish(secret, b"imsi=208019999999999", msg_id="s1")
    refusing = Recorder(fail_when=lambda message: True)
    options = ConsumerOptions(erase_after_ack=True, max_deliver=1)
    await nats_bus.subscribe(secret, "refusing", refusing, options)
    await refusing.wait_deliveries(1)
    await settle()

    client = await nats.connect(NATS_URL)
    try:
        info = await client.jetstream().stream_info(f"T_{token}")
    finally:
        await client.close()
    assert info.state.messages == 0  # dead to its only consumer: not kept for max_age either
