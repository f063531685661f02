"""The gateway worker on the in-process bus and a SQLite store holding the tiny registry: its directory comes from
the store (and follows it on refresh), what it accepts or refuses goes to the bus, and MQTT is off by default."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from beffroi.bus.base import Bus, BusMessage
from beffroi.config import BeffroiConfig, parse_config
from beffroi.domain import messages
from beffroi.domain.messages import DeadLetterMessage
from beffroi.domain.observations import Position, ReadingBatch
from beffroi.domain.registry import Device, DeviceKind
from beffroi.store.store import Store
from beffroi.workers.gateway import GatewayWorker
from tests.bus.support import wait_until
from tests.workers.conftest import TINY

TENANT = "tiny"
SITE = "tiny-stadium"
COUNTER = "tiny-gate-pc-01"
NEW_DEVICE = "tiny-stand-noise-02"


class Inbox:
    """What the gateway published on the bus: reading batches and dead letters."""

    def __init__(self) -> None:
        self.batches: list[ReadingBatch] = []
        self.dead_letters: list[DeadLetterMessage] = []

    async def on_readings(self, message: BusMessage) -> None:
        self.batches.append(messages.decode(message.data, ReadingBatch))

    async def on_dead_letter(self, message: BusMessage) -> None:
        self.dead_letters.append(messages.decode(message.data, DeadLetterMessage))

    def devices(self) -> list[str]:
        return [reading.device_id for batch in self.batches for reading in batch.readings]


def payload(device: str, msg_id: str, **values: float) -> bytes:
    return msgspec.json.encode({"id": msg_id, "streamId": device, "timestamp": time.time() * 1000, "value": values})


def config(**sections: Any) -> BeffroiConfig:
    return parse_config({"tenant": TENANT, "scenario": str(TINY), **sections})


def free_port() -> int:
    """A TCP port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
async def inbox(bus: Bus) -> Inbox:
    inbox = Inbox()
    await bus.subscribe(messages.ALL_READINGS, "test-readings", inbox.on_readings)
    await bus.subscribe(messages.ALL_DEAD_LETTERS, "test-dead-letters", inbox.on_dead_letter)
    return inbox


@pytest.fixture
async def gateway(bus: Bus, store: Store) -> AsyncIterator[GatewayWorker]:
    # MQTT left at its default (disabled), its broker address pointed at a port nothing listens on
    worker = GatewayWorker(config(mqtt={"port": free_port()}), bus, store)
    await worker.start()
    yield worker
    await worker.stop()


def test_mqtt_is_disabled_by_default() -> None:
    assert BeffroiConfig().mqtt.enabled is False


async def test_the_directory_comes_from_the_store(gateway: GatewayWorker, inbox: Inbox) -> None:
    assert len(gateway.directory) == 12
    device = gateway.directory.lookup(TENANT, COUNTER)
    assert device is not None and device.kind is DeviceKind.PEOPLE_COUNTER and device.site_id == SITE
    outcome = await gateway.gateway.handle(f"http:{TENANT}", TENANT, payload(COUNTER, "m-1", occupancy=120.0))
    assert outcome.accepted and outcome.readings == 1
    await wait_until(lambda: inbox.devices() == [COUNTER], 5.0, lambda: f"published: {inbox.devices()}")
    reading = inbox.batches[0].readings[0]
    assert (reading.tenant_id, reading.metric, reading.value, reading.site_id) == (TENANT, "occupancy", 120.0, SITE)
    assert reading.zone_id == "tiny-gate"
    assert gateway.health()["accepted"] == 1


async def test_a_device_added_later_is_accepted_after_a_refresh(
    gateway: GatewayWorker, store: Store, inbox: Inbox
) -> None:
    refused = payload(NEW_DEVICE, "m-1", laeq_db=71.5)
    before = await gateway.gateway.handle(f"http:{TENANT}", TENANT, refused)
    assert before.rejected and before.reason == "unknown_device"
    store.upsert_devices(
        [
            Device(
                id=NEW_DEVICE,
                tenant_id=TENANT,
                site_id=SITE,
                kind=DeviceKind.NOISE_LEVEL,
                position=Position(2.3469, 48.8190),
                interval_s=30.0,
                metrics=["laeq_db", "lamax_db"],
                zone_id="tiny-stand",
            )
        ]
    )
    assert await gateway.refresh_directory() == 13
    after = await gateway.gateway.handle(f"http:{TENANT}", TENANT, payload(NEW_DEVICE, "m-2", laeq_db=72.0))
    assert after.accepted and after.readings == 1
    await wait_until(lambda: inbox.devices() == [NEW_DEVICE], 5.0, lambda: f"published: {inbox.devices()}")
    await wait_until(lambda: len(inbox.dead_letters) == 1, 5.0, lambda: "the first refusal was not dead-lettered")
    letter = inbox.dead_letters[0].dead_letter
    assert (letter.reason, letter.tenant_id, letter.raw) == ("unknown_device", TENANT, refused)
    assert NEW_DEVICE in letter.detail


async def test_bad_input_is_published_as_a_dead_letter_with_its_raw_bytes(gateway: GatewayWorker, inbox: Inbox) -> None:
    raw = b'{"streamId": "tiny-gate-pc-01", "value": {"occupancy": "full"}}'
    outcome = await gateway.gateway.handle_mqtt(f"beffroi/{TENANT}/data/{SITE}/{COUNTER}", raw)
    assert outcome.rejected
    await wait_until(lambda: len(inbox.dead_letters) == 1, 5.0, lambda: "no dead letter published")
    letter = inbox.dead_letters[0].dead_letter
    assert letter.raw == raw and letter.reason == outcome.reason and letter.source.startswith("mqtt:")
    assert inbox.batches == []


async def test_stop_publishes_the_readings_still_waiting_in_a_batch(bus: Bus, store: Store, inbox: Inbox) -> None:
    worker = GatewayWorker(config(ingest={"batch_linger_ms": 1000}), bus, store)
    await worker.start()
    pending = asyncio.create_task(
        worker.gateway.handle(f"http:{TENANT}", TENANT, payload(COUNTER, "m-1", occupancy=10.0))
    )
    await asyncio.sleep(0.05)
    assert not pending.done()  # the batch lingers for more readings
    await asyncio.wait_for(worker.stop(), 0.5)
    outcome = await asyncio.wait_for(pending, 0.5)
    assert outcome.accepted
    await wait_until(lambda: inbox.devices() == [COUNTER], 5.0, lambda: "the lingering batch was not published")


async def test_a_gateway_with_an_empty_registry_refuses_everything(bus: Bus, tmp_path: Path, inbox: Inbox) -> None:
    with Store(f"sqlite:///{tmp_path / 'empty.db'}") as empty:
        empty.migrate()
        worker = GatewayWorker(config(), bus, empty)
        await worker.start()
        try:
            assert len(worker.directory) == 0
            outcome = await worker.gateway.handle(f"http:{TENANT}", TENANT, payload(COUNTER, "m-1", occupancy=10.0))
            assert outcome.rejected and outcome.reason == "unknown_device"
        finally:
            await worker.stop()


async def test_with_mqtt_enabled_and_no_broker_the_gateway_still_serves_http(bus: Bus, store: Store) -> None:
    worker = GatewayWorker(config(mqtt={"enabled": True, "port": free_port(), "client_id": "gw-test"}), bus, store)
    await asyncio.wait_for(worker.start(), 5.0)  # keeps trying the broker in the background
    try:
        outcome = await worker.gateway.handle(f"http:{TENANT}", TENANT, payload(COUNTER, "m-1", occupancy=10.0))
        assert outcome.accepted
    finally:
        await asyncio.wait_for(worker.stop(), 5.0)
