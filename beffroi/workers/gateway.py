"""The gateway worker: MQTT and HTTP in, typed readings, events and dead letters out on the bus."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from beffroi.bus.base import Bus
from beffroi.config import BeffroiConfig
from beffroi.domain import messages
from beffroi.domain.observations import Event, ReadingBatch
from beffroi.domain.records import DeadLetter
from beffroi.domain.registry import Device
from beffroi.ingest.directory import DeviceDirectory
from beffroi.ingest.gateway import Gateway
from beffroi.ingest.mqtt import MqttSubscriber
from beffroi.store.store import Store
from beffroi.workers.base import Health

log = logging.getLogger("beffroi.workers.gateway")

DIRECTORY_REFRESH_S = 30.0


class BusGatewaySink:
    """Publishes what the gateway accepts (and rejects) to the bus, each message with its id for dedupe."""

    def __init__(self, bus: Bus) -> None:
        self._bus = bus

    async def publish_readings(self, batch: ReadingBatch) -> None:
        """One bus message per batch of readings."""
        site = batch.readings[0].site_id if batch.readings else None
        subject = messages.readings_subject(batch.tenant_id, site)
        await self._bus.publish(subject, messages.encode(batch), msg_id=batch.batch_id)

    async def publish_event(self, event: Event) -> None:
        """One bus message per event."""
        subject = messages.events_subject(event.tenant_id, event.site_id)
        await self._bus.publish(subject, messages.encode(event), msg_id=f"event-{event.event_id}")

    async def publish_dead_letter(self, letter: DeadLetter) -> None:
        """Rejected input goes to the recorder, which keeps it with its reason."""
        payload = messages.encode(messages.DeadLetterMessage(dead_letter=letter))
        await self._bus.publish(messages.dead_letters_subject(), payload, msg_id=f"dl-{letter.id}")


def load_all_devices(store: Store) -> list[Device]:
    """Every device of every tenant, for the gateway's directory."""
    devices: list[Device] = []
    for tenant in store.list_tenants():
        devices.extend(store.list_devices(tenant.id))
    return devices


class GatewayWorker:
    """Runs the gateway, its MQTT subscriber (if enabled), and keeps its device directory fresh."""

    name = "gateway"

    def __init__(self, config: BeffroiConfig, bus: Bus, store: Store) -> None:
        self._config = config
        self._store = store
        self.directory = DeviceDirectory([])
        limits = config.ingest
        self.gateway = Gateway(
            self.directory,
            BusGatewaySink(bus),
            decoder=limits.decoder,
            max_payload_bytes=limits.max_payload_bytes,
            max_future_skew_s=limits.max_future_skew_s,
            max_age_s=limits.max_age_s,
            dedupe_capacity=limits.dedupe_capacity,
            batch_max_readings=limits.batch_max_readings,
            batch_linger_ms=limits.batch_linger_ms,
        )
        self._mqtt: MqttSubscriber | None = None
        self._refresh_task: asyncio.Task[None] | None = None

    async def refresh_directory(self) -> int:
        """Reload the registry's devices into the directory; returns how many there are."""
        devices = await asyncio.to_thread(load_all_devices, self._store)
        self.directory.replace(devices)
        return len(devices)

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(DIRECTORY_REFRESH_S)
            try:
                await self.refresh_directory()
            except Exception:
                log.exception("could not refresh the device directory; keeping the previous one")

    async def start(self) -> None:
        """Load the directory, then start listening."""
        count = await self.refresh_directory()
        log.info("gateway directory: %d devices", count)
        self._refresh_task = asyncio.create_task(self._refresh_forever(), name="gateway-directory-refresh")
        mqtt = self._config.mqtt
        if mqtt.enabled:
            self._mqtt = MqttSubscriber(
                self.gateway,
                mqtt.host,
                mqtt.port,
                client_id=mqtt.client_id,
                topics=list(mqtt.topics),
                qos=mqtt.qos,
                persistent_session=mqtt.persistent_session,
                username=mqtt.username,
                password=mqtt.password.read(),
            )
            await self._mqtt.start()

    async def stop(self) -> None:
        """Stop MQTT first (no new input), then flush what the gateway holds."""
        if self._refresh_task is not None:
            self._refresh_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresh_task
        if self._mqtt is not None:
            await self._mqtt.stop()
        await self.gateway.close()

    def health(self) -> Health:
        """The gateway's counters."""
        return dict(self.gateway.metrics.as_dict())
