"""The live worker: feeds the live stream's hub from the bus (alarm changes, incident changes, readings) and the
store (registry, open alarms, open incidents), in the API's process.

Its consumers are this process's own (`deliver_new_only`, a durable name unique to the process, forgotten by the
bus `INACTIVE_AFTER_S` after the process is gone): every API process sees every change, and none replays history
it did not live through. The first snapshot is complete: the registry is loaded before the readings are consumed,
and the open alarms and incidents are loaded after the alarm and incident consumers started, the changes that
arrive meanwhile being applied after them in order. The registry is reloaded every `registry_refresh_s`, and soon
after readings name a device the hub does not know (just imported), at most every `stale_reload_min_s`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import socket
import time
import uuid

from beffroi.api.live.hub import LiveHub
from beffroi.bus.base import Bus, BusMessage, ConsumerOptions, Subscription
from beffroi.domain import messages
from beffroi.domain.messages import AlarmChange, IncidentChange
from beffroi.domain.observations import ReadingBatch
from beffroi.domain.registry import Device, Zone
from beffroi.store.store import Store
from beffroi.workers.base import Health

log = logging.getLogger("beffroi.workers.live")

REGISTRY_REFRESH_S = 30.0
STALE_RELOAD_MIN_S = 5.0
INACTIVE_AFTER_S = 300.0
_STALE_CHECK_S = 1.0

Registry = dict[str, tuple[list[Zone], list[Device]]]


def process_consumer_name(prefix: str = "live") -> str:
    """A durable name no other process uses: prefix, host, process id and a random part."""
    host = re.sub(r"[^A-Za-z0-9_-]", "_", socket.gethostname())[:40]
    return f"{prefix}-{host}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


class LiveFeedWorker:
    """Keeps a LiveHub up to date (see the module docstring) and runs its clock."""

    name = "live"

    def __init__(
        self,
        bus: Bus,
        store: Store,
        hub: LiveHub,
        *,
        registry_refresh_s: float = REGISTRY_REFRESH_S,
        stale_reload_min_s: float = STALE_RELOAD_MIN_S,
        consumer_name: str | None = None,
    ) -> None:
        self._bus = bus
        self._store = store
        self.hub = hub
        self._registry_refresh_s = registry_refresh_s
        self._stale_reload_min_s = stale_reload_min_s
        self._consumer_name = consumer_name or process_consumer_name()
        self._subscriptions: list[Subscription] = []
        self._refresh_task: asyncio.Task[None] | None = None
        self._loaded = False
        self._early_changes: list[AlarmChange | IncidentChange] = []
        self._last_reload = -float("inf")
        self.registry_reloads = 0
        self.alarm_changes = 0
        self.incident_changes = 0
        self.reading_batches = 0

    async def start(self) -> None:
        """Load the registry, consume readings, alarm and incident changes, load the open alarms and incidents, start
        the hub."""
        await self.reload_registry()
        options = ConsumerOptions(
            batch=512, max_deliver=3, max_in_flight=4096, deliver_new_only=True, inactive_after_s=INACTIVE_AFTER_S
        )
        bus, name = self._bus, self._consumer_name
        try:
            self._subscriptions.append(
                await bus.subscribe(messages.ALL_READINGS, f"{name}-readings", self._on_readings, options)
            )
            self._subscriptions.append(
                await bus.subscribe(messages.ALL_ALARMS, f"{name}-alarms", self._on_alarm_change, options)
            )
            self._subscriptions.append(
                await bus.subscribe(messages.ALL_INCIDENTS, f"{name}-incidents", self._on_incident_change, options)
            )
            open_alarms = await asyncio.to_thread(self._store.open_alarms, None)
            records = await asyncio.to_thread(self._store.open_incident_records, None)
            self.hub.load_alarms(open_alarms)
            self.hub.load_incidents(record.incident for record in records)
            early, self._early_changes = self._early_changes, []
            for change in early:
                self._apply(change)
            self._loaded = True
            log.info(
                "live feed: %d open alarms and %d open incidents loaded, %d changes applied after them",
                len(open_alarms),
                len(records),
                len(early),
            )
            await self.hub.start()
            self._refresh_task = asyncio.create_task(self._refresh_forever(), name="live-registry-refresh")
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Stop consuming and the hub's clock."""
        if self._refresh_task is not None:
            self._refresh_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresh_task
            self._refresh_task = None
        for subscription in self._subscriptions:
            await subscription.stop()
        self._subscriptions = []
        await self.hub.stop()

    async def reload_registry(self) -> int:
        """Load every tenant's zones and devices into the hub; returns how many devices there are."""
        self._last_reload = time.monotonic()
        self.hub.registry_stale = False
        registry = await asyncio.to_thread(self._load_registry)
        for tenant_id, (zones, devices) in registry.items():
            self.hub.replace_registry(tenant_id, zones, devices)
        self.registry_reloads += 1
        return sum(len(devices) for _, devices in registry.values())

    def _load_registry(self) -> Registry:
        store = self._store
        return {
            tenant.id: (store.list_zones(tenant.id), store.list_devices(tenant.id)) for tenant in store.list_tenants()
        }

    async def _refresh_forever(self) -> None:
        check_every = min(_STALE_CHECK_S, self._stale_reload_min_s, self._registry_refresh_s)
        while True:
            await asyncio.sleep(check_every)
            since_last = time.monotonic() - self._last_reload
            due = since_last >= self._registry_refresh_s
            wanted = self.hub.registry_stale and since_last >= self._stale_reload_min_s
            if due or wanted:
                try:
                    await self.reload_registry()
                except Exception:
                    log.exception("live feed: could not reload the registry; keeping the previous one")

    async def _on_readings(self, message: BusMessage) -> None:
        batch = messages.decode(message.data, ReadingBatch)
        self.hub.apply_readings(batch.tenant_id, batch.readings)
        self.reading_batches += 1

    async def _on_alarm_change(self, message: BusMessage) -> None:
        change = messages.decode(message.data, AlarmChange)
        self.alarm_changes += 1
        self._take(change)

    async def _on_incident_change(self, message: BusMessage) -> None:
        change = messages.decode(message.data, IncidentChange)
        self.incident_changes += 1
        self._take(change)

    def _take(self, change: AlarmChange | IncidentChange) -> None:
        """Apply the change, or keep it for after the open alarms and incidents are loaded."""
        if self._loaded:
            self._apply(change)
        else:
            self._early_changes.append(change)

    def _apply(self, change: AlarmChange | IncidentChange) -> None:
        if isinstance(change, AlarmChange):
            self.hub.apply_alarm_change(change)
        else:
            self.hub.apply_incident_change(change)

    def health(self) -> Health:
        """What the live feed has taken in, and how many consoles listen."""
        return {
            "subscribers": self.hub.subscribers,
            "alarm_changes": self.alarm_changes,
            "incident_changes": self.incident_changes,
            "reading_batches": self.reading_batches,
            "registry_reloads": self.registry_reloads,
            "frames_sent": self.hub.frames_sent,
        }
