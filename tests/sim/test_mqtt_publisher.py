"""The MQTT publisher against the real Mosquitto: every QoS 1 message arrives, in-flight stays bounded."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import gmqtt
import pytest

from beffroi.errors import BusError
from beffroi.sim.mqtt_publisher import MqttPublisher
from tests.services import MQTT_HOST, MQTT_PORT, require_service
from tests.sim.conftest import MakeSim


class Collector:
    """A gmqtt subscriber that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, bytes]] = []

    def on_message(self, client: Any, topic: str, payload: bytes, qos: int, properties: Any) -> int:
        self.messages.append((topic, payload))
        return 0

    async def wait_for(self, count: int, timeout_s: float = 10.0) -> None:
        """Wait until `count` messages have arrived (fails the test after `timeout_s`)."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while len(self.messages) < count:
            assert asyncio.get_running_loop().time() < deadline, f"{len(self.messages)} of {count} arrived"
            await asyncio.sleep(0.02)


@pytest.fixture
async def subscriber() -> AsyncIterator[tuple[str, Collector]]:
    require_service("mqtt")
    prefix = f"simtest-{uuid.uuid4().hex[:10]}"
    collector = Collector()
    client = gmqtt.Client(f"{prefix}-sub")
    client.on_message = collector.on_message
    await client.connect(MQTT_HOST, MQTT_PORT)
    client.subscribe(f"{prefix}/#", qos=1)
    await asyncio.sleep(0.2)  # the SUBACK
    try:
        yield prefix, collector
    finally:
        await client.disconnect()


@pytest.mark.mqtt
async def test_every_qos1_message_reaches_a_subscriber(make_sim: MakeSim, subscriber: tuple[str, Collector]) -> None:
    prefix, collector = subscriber
    messages = make_sim(topic_prefix=prefix).messages_for(3 * 3600)[:1000]
    assert len(messages) == 1000
    publisher = MqttPublisher(MQTT_HOST, MQTT_PORT, client_id=f"{prefix}-pub", qos=1, max_inflight=50)
    await publisher.start()
    peak = 0
    for message in messages:
        await publisher.publish(message.topic, message.payload)
        peak = max(peak, publisher.inflight)
    await publisher.stop()
    assert publisher.published == 1000
    assert peak <= 50
    await collector.wait_for(1000)
    assert sorted(collector.messages) == sorted((m.topic, m.payload) for m in messages)


@pytest.mark.mqtt
async def test_simulator_run_publishes_through_the_broker(make_sim: MakeSim, subscriber: tuple[str, Collector]) -> None:
    prefix, collector = subscriber
    publisher = MqttPublisher(MQTT_HOST, MQTT_PORT, client_id=f"{prefix}-pub", qos=1)
    await publisher.start()
    count = await make_sim(topic_prefix=prefix, speed=600.0).run(publisher.publish, duration_s=0.5)
    await publisher.stop()
    assert count > 50
    await collector.wait_for(count)
    await asyncio.sleep(0.1)
    assert len(collector.messages) == count


async def test_an_unreachable_broker_is_a_clear_error() -> None:
    publisher = MqttPublisher("127.0.0.1", 9, client_id="nobody")  # the discard port: nothing listens here
    with pytest.raises(BusError, match=r"cannot connect to the MQTT broker at 127\.0\.0\.1:9"):
        await publisher.start()


async def test_publishing_before_start_is_an_error() -> None:
    publisher = MqttPublisher("127.0.0.1", 1883, client_id="early")
    with pytest.raises(BusError, match="not started"):
        await publisher.publish("a/b", b"{}")
    await publisher.stop()  # stopping what never started is harmless


def test_bad_publisher_options_are_refused() -> None:
    with pytest.raises(ValueError, match="qos"):
        MqttPublisher("127.0.0.1", 1883, client_id="x", qos=2)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_inflight"):
        MqttPublisher("127.0.0.1", 1883, client_id="x", max_inflight=0)
