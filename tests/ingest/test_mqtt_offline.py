"""The MQTT subscriber without a broker: it never dies, keeps trying with a back-off, and says so."""

from __future__ import annotations

import asyncio
import socket

import pytest

from beffroi.ingest.directory import DeviceDirectory
from beffroi.ingest.gateway import Gateway
from beffroi.ingest.mqtt import MqttSubscriber
from tests.ingest.conftest import DEVICES, RecordingSink


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def subscriber(port: int, **options: object) -> MqttSubscriber:
    gateway = Gateway(DeviceDirectory(DEVICES), RecordingSink())
    return MqttSubscriber(gateway, "127.0.0.1", port, client_id="offline-test", topics=["beffroi/+/data/#"], **options)  # type: ignore[arg-type]


async def test_an_unreachable_broker_is_retried_with_a_back_off_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    mqtt = subscriber(closed_port(), reconnect_min_s=0.05, reconnect_max_s=0.2)
    await mqtt.start()
    assert not await mqtt.wait_subscribed(0.6)
    assert not mqtt.stats.connected
    attempts = [r for r in caplog.records if "cannot reach" in r.getMessage()]
    assert len(attempts) >= 3, "it keeps trying"
    delays = [float(r.getMessage().rsplit("retrying in ", 1)[1].split(" ")[0]) for r in attempts]
    assert delays[:3] == [0.05, 0.1, 0.2], "the delay doubles up to the maximum"
    assert max(delays) == 0.2
    await asyncio.wait_for(mqtt.stop(), 2.0)
    await mqtt.stop()  # stopping twice is harmless


@pytest.mark.parametrize(
    ("options", "message"), [({"qos": 2}, "qos must be 0 or 1"), ({"topics": []}, "at least one topic filter")]
)
def test_bad_settings_are_refused(options: dict[str, object], message: str) -> None:
    gateway = Gateway(DeviceDirectory(DEVICES), RecordingSink())
    settings: dict[str, object] = {"client_id": "x", "topics": ["t/#"], **options}
    with pytest.raises(ValueError, match=message):
        MqttSubscriber(gateway, "127.0.0.1", 1883, **settings)  # type: ignore[arg-type]


async def test_start_twice_is_refused() -> None:
    mqtt = subscriber(closed_port(), reconnect_min_s=0.05)
    await mqtt.start()
    with pytest.raises(RuntimeError, match="already started"):
        await mqtt.start()
    await mqtt.stop()
