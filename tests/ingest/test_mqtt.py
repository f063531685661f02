"""The MQTT subscriber against the real Mosquitto: QoS 1 acks after the bus, persistent session, redelivery."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import paho.mqtt.publish as paho_publish
import pytest
from gmqtt import Client
from gmqtt.mqtt.constants import PubRecReasonCode

from beffroi.domain.observations import ReadingBatch
from beffroi.domain.records import DeadLetter
from beffroi.ingest.directory import DeviceDirectory
from beffroi.ingest.gateway import Gateway
from beffroi.ingest.mqtt import MqttSubscriber
from beffroi.ingest.mqtt_client import BatchAckClient
from tests.ingest.conftest import DEVICES, TENANT, RecordingSink, wall_clock_message
from tests.services import MQTT_HOST, MQTT_PORT, require_service

if TYPE_CHECKING:
    from paho.mqtt.publish import MessagesList

pytestmark = pytest.mark.mqtt


@pytest.fixture(autouse=True)
def _broker() -> None:
    require_service("mqtt")


@pytest.fixture
def prefix() -> str:
    """A topic prefix of this test only, so parallel or earlier runs never deliver into it."""
    return f"beffroi-test-{uuid.uuid4().hex[:10]}"


def unique_id(role: str) -> str:
    return f"beffroi-test-{role}-{uuid.uuid4().hex[:10]}"


def gateway_for(sink: RecordingSink, prefix: str) -> Gateway:
    return Gateway(DeviceDirectory(DEVICES), sink, mqtt_topic_prefix=prefix, batch_linger_ms=2.0)


def subscriber_for(gateway: Gateway, prefix: str, client_id: str, **options: Any) -> MqttSubscriber:
    options.setdefault("session_expiry_s", 120)  # test sessions expire on their own
    options.setdefault("reconnect_min_s", 0.2)
    return MqttSubscriber(gateway, MQTT_HOST, MQTT_PORT, client_id=client_id, topics=[f"{prefix}/+/data/#"], **options)


async def publish(messages: list[tuple[str, bytes]], qos: int = 1) -> None:
    """Publish from another client (paho, in a thread); returns once the broker acknowledged every message."""
    batch: MessagesList = [{"topic": topic, "payload": payload, "qos": qos} for topic, payload in messages]
    await asyncio.to_thread(
        paho_publish.multiple, batch, hostname=MQTT_HOST, port=MQTT_PORT, client_id=unique_id("pub")
    )


async def wait_until(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


@pytest.fixture
async def started() -> AsyncIterator[list[MqttSubscriber]]:
    """Subscribers started by a test; stopped at the end whatever happens."""
    subscribers: list[MqttSubscriber] = []
    yield subscribers
    for subscriber in subscribers:
        await subscriber.stop()


async def start(subscriber: MqttSubscriber, started: list[MqttSubscriber]) -> MqttSubscriber:
    started.append(subscriber)
    await subscriber.start()
    assert await subscriber.wait_subscribed(5.0), "the broker did not confirm the subscription"
    return subscriber


async def test_qos1_messages_arrive_are_acked_and_garbage_is_dead_lettered(
    prefix: str, started: list[MqttSubscriber]
) -> None:
    sink = RecordingSink()
    client_id = unique_id("gw")
    subscriber = await start(subscriber_for(gateway_for(sink, prefix), prefix, client_id), started)
    topic = f"{prefix}/{TENANT}/data/sdf/pc-01"
    await publish([(topic, wall_clock_message(msg_id=f"m-{n}")) for n in range(50)] + [(topic, b"garbage")])
    await wait_until(lambda: len(sink.readings) == 100 and len(sink.dead_letters) == 1)
    assert sink.dead_letters[0].raw == b"garbage"
    assert sink.dead_letters[0].source == f"mqtt:{topic}"
    await wait_until(lambda: subscriber.stats.acknowledged == 51)
    assert subscriber.stats.withheld == 0
    await subscriber.stop()

    # Everything was acknowledged: the same session, resumed, gets nothing back.
    again_sink = RecordingSink()
    again = await start(subscriber_for(gateway_for(again_sink, prefix), prefix, client_id), started)
    await asyncio.sleep(0.5)
    assert again.stats.received == 0
    assert again_sink.readings == []
    assert again_sink.dead_letters == []


async def test_more_than_twenty_messages_are_in_flight_while_acks_wait_for_the_batch(
    prefix: str, started: list[MqttSubscriber]
) -> None:
    """Receive Maximum 65535 lifts Mosquitto's default of 20 unacknowledged messages per client."""
    sink = RecordingSink()
    gateway = Gateway(
        DeviceDirectory(DEVICES), sink, mqtt_topic_prefix=prefix, batch_linger_ms=1500, batch_max_readings=100_000
    )
    subscriber = await start(subscriber_for(gateway, prefix, unique_id("gw")), started)
    topic = f"{prefix}/{TENANT}/data/sdf/pc-01"
    await publish([(topic, wall_clock_message(msg_id=f"m-{n}")) for n in range(200)])
    await wait_until(lambda: subscriber.stats.received == 200, timeout_s=1.0)
    assert subscriber.stats.acknowledged == 0, "nothing is acknowledged before the batch is on the bus"
    await wait_until(lambda: subscriber.stats.acknowledged == 200, timeout_s=5.0)
    assert len(sink.batches) == 1


async def test_a_message_published_while_the_gateway_is_down_is_delivered_on_restart(
    prefix: str, started: list[MqttSubscriber]
) -> None:
    client_id = unique_id("gw")
    first = await start(subscriber_for(gateway_for(RecordingSink(), prefix), prefix, client_id), started)
    await first.stop()

    await publish([(f"{prefix}/{TENANT}/data/sdf/pc-02", wall_clock_message("pc-02", msg_id="while-down"))])

    sink = RecordingSink()
    await start(subscriber_for(gateway_for(sink, prefix), prefix, client_id), started)
    await wait_until(lambda: len(sink.readings) == 2)
    assert {device for device, _, _ in sink.readings} == {"pc-02"}


async def test_a_clean_session_does_not_keep_messages_for_a_stopped_gateway(
    prefix: str, started: list[MqttSubscriber]
) -> None:
    client_id = unique_id("gw")
    first = subscriber_for(gateway_for(RecordingSink(), prefix), prefix, client_id, persistent_session=False)
    await start(first, started)
    await first.stop()
    await publish([(f"{prefix}/{TENANT}/data/sdf/pc-02", wall_clock_message("pc-02"))])
    sink = RecordingSink()
    await start(subscriber_for(gateway_for(sink, prefix), prefix, client_id, persistent_session=False), started)
    await asyncio.sleep(0.5)
    assert sink.readings == []


async def test_when_the_bus_fails_the_message_is_not_acked_and_comes_back(
    prefix: str, started: list[MqttSubscriber]
) -> None:
    sink = RecordingSink()
    sink.failures = 1  # the first reading batch is refused by the "bus"
    gateway = gateway_for(sink, prefix)
    client_id = unique_id("gw")
    subscriber = await start(subscriber_for(gateway, prefix, client_id), started)
    await publish([(f"{prefix}/{TENANT}/data/sdf/pc-01", wall_clock_message(msg_id="retry-me"))])

    await wait_until(lambda: len(sink.readings) == 2 and subscriber.stats.acknowledged == 1)
    stats = subscriber.stats
    assert sink.failed_calls == 1
    assert gateway.metrics.received == 2, "the broker delivered the message a second time"
    assert (stats.withheld, stats.redeliveries_requested, stats.acknowledged) == (1, 1, 1)
    assert gateway.metrics.sink_failures == 1
    assert gateway.metrics.accepted == 1
    await subscriber.stop()

    # The second delivery was acknowledged: nothing more comes back.
    again_sink = RecordingSink()
    again = await start(subscriber_for(gateway_for(again_sink, prefix), prefix, client_id), started)
    await asyncio.sleep(0.5)
    assert again.stats.received == 0


async def test_an_error_puback_is_final_on_mosquitto_so_the_gateway_withholds_it(prefix: str) -> None:
    """Why the subscriber withholds the PUBACK instead of sending an error code: Mosquitto 2.0 drops the message."""
    topic = f"{prefix}/probe"
    received: list[bytes] = []

    async def refuse_with_error_code(client: Client, topic: str, payload: bytes, qos: int, properties: Any) -> int:
        received.append(payload)
        return int(PubRecReasonCode.UNSPECIFIED_ERROR)

    client_id = unique_id("probe")

    async def connect() -> Client:
        client = Client(client_id, clean_session=False, optimistic_acknowledgement=False, session_expiry_interval=60)
        client.on_message = refuse_with_error_code
        await client.connect(MQTT_HOST, MQTT_PORT)
        client.subscribe(topic, qos=1)
        return client

    probe = await connect()
    await asyncio.sleep(0.2)
    await publish([(topic, b"refused")])
    await wait_until(lambda: received == [b"refused"])
    await asyncio.sleep(0.1)
    await probe.disconnect()
    probe = await connect()
    await asyncio.sleep(0.5)
    await probe.disconnect()
    assert received == [b"refused"], "an error PUBACK (0x80) ends the flow: Mosquitto does not send it again"


class GatedSink(RecordingSink):
    """Holds every reading batch until `gate` opens."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()

    async def publish_readings(self, batch: ReadingBatch) -> None:
        await self.gate.wait()
        await super().publish_readings(batch)


def one_batch_gateway(sink: RecordingSink, prefix: str, linger_ms: float = 600.0) -> Gateway:
    """A gateway whose batch collects everything published within `linger_ms`."""
    return Gateway(
        DeviceDirectory(DEVICES),
        sink,
        mqtt_topic_prefix=prefix,
        batch_linger_ms=linger_ms,
        batch_max_readings=100_000,
    )


async def test_pubacks_wait_until_the_batch_is_on_the_bus_then_all_go(
    prefix: str, started: list[MqttSubscriber]
) -> None:
    sink = GatedSink()
    client_id = unique_id("gw")
    subscriber = await start(subscriber_for(one_batch_gateway(sink, prefix, 5.0), prefix, client_id), started)
    topic = f"{prefix}/{TENANT}/data/sdf/pc-01"
    await publish([(topic, wall_clock_message(msg_id=f"m-{n}")) for n in range(40)])
    await wait_until(lambda: subscriber.stats.received == 40)
    await asyncio.sleep(0.3)  # well past the linger: the batches wait on the bus only
    assert subscriber.stats.acknowledged == 0, "no PUBACK before the bus has the readings"
    sink.gate.set()
    await wait_until(lambda: subscriber.stats.acknowledged == 40)
    assert len(sink.readings) == 80
    await subscriber.stop()

    again = await start(subscriber_for(gateway_for(RecordingSink(), prefix), prefix, client_id), started)
    await asyncio.sleep(0.5)
    assert again.stats.received == 0, "every message was acknowledged to the broker"


async def test_a_failed_batch_acknowledges_none_of_its_messages_and_the_broker_sends_them_all_again(
    prefix: str, started: list[MqttSubscriber]
) -> None:
    sink = RecordingSink()
    sink.failures = 1  # the batch holding all 30 messages (and a copy of one of them) is refused by the "bus"
    gateway = one_batch_gateway(sink, prefix)
    client_id = unique_id("gw")
    subscriber = await start(subscriber_for(gateway, prefix, client_id), started)
    topic = f"{prefix}/{TENANT}/data/sdf/pc-01"
    messages = [(topic, wall_clock_message(msg_id=f"m-{n}")) for n in range(30)]
    await publish([*messages, messages[0]])

    await wait_until(lambda: subscriber.stats.acknowledged == 31, timeout_s=8.0)
    stats = subscriber.stats
    assert gateway.metrics.received == 62, "the broker sent every message of the failed batch again"
    assert (stats.withheld, stats.redeliveries_requested) == (31, 1), "the copy waited on the first copy's fate"
    assert len(sink.readings) == 60, "each reading once: the copy was recognised"
    assert (gateway.metrics.accepted, gateway.metrics.duplicates) == (30, 1)
    await subscriber.stop()

    again = await start(subscriber_for(gateway_for(RecordingSink(), prefix), prefix, client_id), started)
    await asyncio.sleep(0.5)
    assert again.stats.received == 0


async def test_bad_messages_in_a_batch_are_acknowledged_once_their_dead_letter_is_on_the_bus(
    prefix: str, started: list[MqttSubscriber]
) -> None:
    sink = RecordingSink()
    sink.failures = 1  # the first publication is the garbage's dead letter: refused, so it must come back
    gateway = one_batch_gateway(sink, prefix, linger_ms=100.0)
    client_id = unique_id("gw")
    subscriber = await start(subscriber_for(gateway, prefix, client_id), started)
    topic = f"{prefix}/{TENANT}/data/sdf/pc-01"
    stranger = wall_clock_message("pc-99", msg_id="who")
    await publish(
        [
            (topic, b"garbage \xff"),
            (topic, wall_clock_message(msg_id="good-1")),
            (f"{prefix}/{TENANT}/data/sdf/pc-99", stranger),
            (topic, wall_clock_message(msg_id="good-2")),
        ]
    )

    def garbage_letters() -> list[DeadLetter]:
        return [letter for letter in sink.dead_letters if letter.raw == b"garbage \xff"]

    await wait_until(lambda: len(garbage_letters()) == 1 and len(sink.readings) == 4, timeout_s=8.0)
    assert garbage_letters()[0].reason == "malformed"
    # The reconnection for the garbage also drops the PUBACK of a neighbour dead-lettered meanwhile: its dead
    # letter may be published twice (at least once, like any message the broker sends again).
    assert {letter.raw for letter in sink.dead_letters} == {b"garbage \xff", stranger}
    assert gateway.metrics.sink_failures == 1
    assert subscriber.stats.withheld >= 1
    await subscriber.stop()

    again = await start(subscriber_for(gateway_for(RecordingSink(), prefix), prefix, client_id), started)
    await asyncio.sleep(0.5)
    assert again.stats.received == 0, "all four were acknowledged in the end"
    assert sink.readings.count(("pc-01", "count_in", 12.0)) == 2, "each good reading once"


async def test_messages_with_mqtt5_properties_and_at_qos0_are_taken_too(
    prefix: str, started: list[MqttSubscriber], caplog: pytest.LogCaptureFixture
) -> None:
    """The subscriber parses plain PUBLISH packets itself; one with properties goes through gmqtt's parser."""
    sink = RecordingSink()
    subscriber = await start(subscriber_for(gateway_for(sink, prefix), prefix, unique_id("gw")), started)
    topic = f"{prefix}/{TENANT}/data/sdf/pc-01"
    publisher = Client(unique_id("pub5"))
    await publisher.connect(MQTT_HOST, MQTT_PORT)
    try:
        publisher.publish(topic, wall_clock_message(msg_id="props"), qos=1, user_property=[("origin", "test")])
        publisher.publish(topic, wall_clock_message(msg_id="typed"), qos=1, content_type="application/json")
        publisher.publish(topic, wall_clock_message(msg_id="qos0"), qos=0)
        await wait_until(lambda: len(sink.readings) == 6)
    finally:
        await publisher.disconnect()
    await wait_until(lambda: subscriber.stats.acknowledged == 2)
    assert subscriber.stats.received == 3
    assert sink.dead_letters == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == [], "no packet failed to parse"


async def test_no_puback_is_written_on_a_connection_that_was_replaced() -> None:
    client = BatchAckClient(unique_id("stale"), lambda *message: None)
    await client.connect(MQTT_HOST, MQTT_PORT)
    first = client.current_connection
    await client.disconnect()
    await client.connect(MQTT_HOST, MQTT_PORT)
    try:
        assert client.current_connection is not first
        assert client.send_pubacks(first, [1, 2]) is False
    finally:
        await client.disconnect()
    assert client.send_pubacks(client.current_connection, [1]) is False, "nor on a closed one"
