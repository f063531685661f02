"""The live worker on the in-process bus and a SQLite store holding the tiny scenario: the hub starts with the
registry, the open alarms and the open incidents, takes only what is published after it started, loses no alarm or
incident change published while it loads, reloads the registry when readings name a device it does not know, and
each process has its own view."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import pytest

from beffroi.api.live import LiveHub, LiveSettings
from beffroi.bus.base import Bus
from beffroi.domain import incidents as lifecycle
from beffroi.domain import messages
from beffroi.domain.alarms import Alarm, AlarmKey, Priority, acknowledge, raise_alarm
from beffroi.domain.incidents import Disposition, Incident, IncidentRecord, IncidentState
from beffroi.domain.messages import AlarmChange, AlarmChangeKind, IncidentChange, IncidentChangeKind
from beffroi.domain.observations import Position, Reading, ReadingBatch
from beffroi.domain.registry import Device, DeviceKind
from beffroi.store.store import Store
from beffroi.workers.live import LiveFeedWorker, process_consumer_name
from tests.bus.support import settle, wait_until

TENANT, SITE = "tiny", "tiny-stadium"
SMOKE, SMOKE_ZONE = "tiny-plant-room-smoke-01", "tiny-plant-room"
PIR = "tiny-plant-room-pir-01"
SETTINGS = LiveSettings(batch_interval_s=0.05)


def fire(alarm_id: str) -> Alarm:
    key = AlarmKey(TENANT, SMOKE, "fire_alarm", SITE, SMOKE_ZONE)
    return raise_alarm(alarm_id, key, Priority.CRITICAL, "Smoke", time.time())


def snapshot(hub: LiveHub) -> dict[str, Any]:
    session = hub.connect(TENANT, None, None)
    hub.disconnect(session.subscriber)
    assert session.opening is not None
    decoded: dict[str, Any] = json.loads(session.opening)
    return decoded


def health_of(hub: LiveHub, device_id: str) -> str:
    return str(next(d for d in snapshot(hub)["devices"] if d["id"] == device_id)["health"])


def in_alarm(hub: LiveHub, device_id: str) -> bool:
    return health_of(hub, device_id) == "in_alarm"


async def publish_battery(bus: Bus, device_id: str, percent: float) -> None:
    batch = ReadingBatch(
        f"b-{time.monotonic_ns()}", TENANT, [Reading(TENANT, device_id, "battery_pct", percent, time.time(), SITE)]
    )
    await bus.publish(messages.readings_subject(TENANT, SITE), messages.encode(batch), msg_id=batch.batch_id)


async def publish_change(bus: Bus, alarm: Alarm, kind: AlarmChangeKind) -> None:
    await bus.publish(messages.alarms_subject(TENANT), messages.encode(AlarmChange(kind, alarm)))


def fire_incident(incident_id: str, ts: float | None = None) -> Incident:
    return lifecycle.open_incident(
        incident_id,
        TENANT,
        type="fire",
        title="Fire",
        priority=Priority.CRITICAL,
        rule="default",
        ts=time.time() if ts is None else ts,
        site_id=SITE,
        zone_id=SMOKE_ZONE,
    )


async def publish_incident(bus: Bus, incident: Incident, kind: IncidentChangeKind) -> None:
    await bus.publish(messages.incidents_subject(TENANT), messages.encode(IncidentChange(kind, incident)))


def incident_states(hub: LiveHub) -> dict[str, str]:
    return {incident["id"]: incident["state"] for incident in snapshot(hub)["incidents"]}


@pytest.fixture
async def started() -> AsyncIterator[list[LiveFeedWorker]]:
    """Workers the test starts, stopped at the end."""
    workers: list[LiveFeedWorker] = []
    yield workers
    for worker in workers:
        await worker.stop()


async def start(started: list[LiveFeedWorker], bus: Bus, store: Store, **options: Any) -> LiveFeedWorker:
    worker = LiveFeedWorker(bus, store, LiveHub(SETTINGS), **options)
    started.append(worker)
    await worker.start()
    return worker


async def test_the_hub_starts_with_the_registry_and_the_open_alarms(
    bus: Bus, store: Store, started: list[LiveFeedWorker]
) -> None:
    store.save_alarms([fire("open-fire")])
    worker = await start(started, bus, store)

    state = snapshot(worker.hub)
    assert [alarm["id"] for alarm in state["alarms"]] == ["open-fire"]
    assert len(state["devices"]) == len(store.list_devices(TENANT)) == 12
    assert {zone["id"] for zone in state["zones"]} == {"tiny-gate", "tiny-stand", "tiny-plant-room"}
    assert health_of(worker.hub, SMOKE) == "in_alarm"
    plant_room = next(zone for zone in state["zones"] if zone["id"] == SMOKE_ZONE)
    assert (plant_room["level"], plant_room["alarms"]) == ("red", 1)


async def test_only_what_is_published_after_the_start_is_taken(
    bus: Bus, store: Store, started: list[LiveFeedWorker]
) -> None:
    await publish_battery(bus, PIR, 5.0)  # before: a per-process view does not replay it
    worker = await start(started, bus, store)
    await settle(0.2)
    assert health_of(worker.hub, PIR) == "ok"

    await publish_battery(bus, PIR, 12.0)
    await wait_until(lambda: health_of(worker.hub, PIR) == "low_battery", 5.0, lambda: "the reading was not taken")
    assert worker.health()["reading_batches"] == 1


async def test_an_alarm_change_published_while_the_open_alarms_load_is_not_lost(
    bus: Bus, store: Store, started: list[LiveFeedWorker], monkeypatch: pytest.MonkeyPatch
) -> None:
    loop = asyncio.get_running_loop()
    raised = fire("late-fire")
    read_open_alarms = store.open_alarms

    def open_alarms_while_the_engine_raises(tenant_id: str | None = None) -> list[Alarm]:
        found = read_open_alarms(tenant_id)  # read before the engine saved and published the alarm
        asyncio.run_coroutine_threadsafe(publish_change(bus, raised, AlarmChangeKind.RAISED), loop).result(5)
        time.sleep(0.2)  # the live worker takes the change while this load is still running
        return found

    monkeypatch.setattr(store, "open_alarms", open_alarms_while_the_engine_raises)
    worker = await start(started, bus, store)

    assert [alarm["id"] for alarm in snapshot(worker.hub)["alarms"]] == ["late-fire"]
    assert health_of(worker.hub, SMOKE) == "in_alarm"


async def test_alarm_changes_after_the_start_reach_the_hub(
    bus: Bus, store: Store, started: list[LiveFeedWorker]
) -> None:
    worker = await start(started, bus, store)
    raised = fire("f1")
    await publish_change(bus, raised, AlarmChangeKind.RAISED)
    await wait_until(lambda: health_of(worker.hub, SMOKE) == "in_alarm", 5.0, lambda: "the alarm was not taken")
    await publish_change(bus, acknowledge(raised, time.time(), "op"), AlarmChangeKind.ACKNOWLEDGED)
    await wait_until(
        lambda: [a["state"] for a in snapshot(worker.hub)["alarms"]] == ["acknowledged"], 5.0, lambda: "no ack"
    )
    assert worker.health()["alarm_changes"] == 2


async def test_a_device_imported_after_the_start_appears_once_its_readings_arrive(
    bus: Bus, store: Store, started: list[LiveFeedWorker]
) -> None:
    worker = await start(started, bus, store, stale_reload_min_s=0.1)
    reloads = worker.registry_reloads
    new = Device("tiny-gate-pir-09", TENANT, SITE, DeviceKind.INTRUSION_PIR, Position(0.0, 0.0), 60.0, [], "tiny-gate")
    store.upsert_devices([new])
    await publish_battery(bus, new.id, 90.0)

    await wait_until(lambda: worker.registry_reloads > reloads, 5.0, lambda: "the registry was not reloaded")
    assert new.id in {device["id"] for device in snapshot(worker.hub)["devices"]}


async def test_the_registry_is_reloaded_periodically(bus: Bus, store: Store, started: list[LiveFeedWorker]) -> None:
    worker = await start(started, bus, store, registry_refresh_s=0.1)
    await wait_until(lambda: worker.registry_reloads >= 3, 5.0, lambda: f"{worker.registry_reloads} reloads")


async def test_each_process_has_its_own_view_of_every_change(
    bus: Bus, store: Store, started: list[LiveFeedWorker]
) -> None:
    first = await start(started, bus, store)
    second = await start(started, bus, store)
    await publish_change(bus, fire("f2"), AlarmChangeKind.RAISED)
    for hub in (first.hub, second.hub):
        await wait_until(partial(in_alarm, hub, SMOKE), 5.0, lambda: "a view missed it")
    assert process_consumer_name() != process_consumer_name()
    assert first.hub.epoch != second.hub.epoch


async def test_stop_stops_the_hubs_clock(bus: Bus, store: Store) -> None:
    worker = LiveFeedWorker(bus, store, LiveHub(SETTINGS))
    await worker.start()
    subscriber = worker.hub.connect(TENANT, None, None).subscriber
    await worker.stop()
    await publish_battery(bus, PIR, 10.0)
    await settle(0.2)
    assert subscriber.waiting == 0 and worker.health()["reading_batches"] == 0


async def test_the_hub_starts_with_the_open_incidents(bus: Bus, store: Store, started: list[LiveFeedWorker]) -> None:
    open_one = fire_incident("inc-open")
    done = lifecycle.set_disposition(
        lifecycle.transition(fire_incident("inc-done"), IncidentState.RESOLVED, time.time()),
        time.time(),
        disposition=Disposition.FALSE,
        duplicate_of=None,
    )
    done = lifecycle.transition(done, IncidentState.CLOSED, time.time())
    resolved = lifecycle.transition(fire_incident("inc-resolved"), IncidentState.RESOLVED, time.time())
    store.save_incident_changes(
        [IncidentChange(IncidentChangeKind.OPENED, incident) for incident in (open_one, done, resolved)]
    )
    worker = await start(started, bus, store)

    assert incident_states(worker.hub) == {"inc-open": "new", "inc-resolved": "resolved"}  # not the closed one


async def test_an_incident_change_published_while_the_open_incidents_load_is_not_lost(
    bus: Bus, store: Store, started: list[LiveFeedWorker], monkeypatch: pytest.MonkeyPatch
) -> None:
    loop = asyncio.get_running_loop()
    opened = fire_incident("inc-late")
    read_open_records = store.open_incident_records

    def open_records_while_the_worker_opens_one(tenant_id: str | None = None) -> list[IncidentRecord]:
        found = read_open_records(tenant_id)  # read before the incident worker saved and published it
        change = publish_incident(bus, opened, IncidentChangeKind.OPENED)
        asyncio.run_coroutine_threadsafe(change, loop).result(5)
        time.sleep(0.2)  # the live worker takes the change while this load is still running
        return found

    monkeypatch.setattr(store, "open_incident_records", open_records_while_the_worker_opens_one)
    worker = await start(started, bus, store)

    assert incident_states(worker.hub) == {"inc-late": "new"}


async def test_incident_changes_after_the_start_reach_the_hub(
    bus: Bus, store: Store, started: list[LiveFeedWorker]
) -> None:
    worker = await start(started, bus, store)
    opened = fire_incident("inc-1")
    await publish_incident(bus, opened, IncidentChangeKind.OPENED)
    await wait_until(lambda: incident_states(worker.hub) == {"inc-1": "new"}, 5.0, lambda: "not taken")
    started_one = lifecycle.transition(opened, IncidentState.IN_PROGRESS, opened.updated_at + 1)
    await publish_incident(bus, started_one, IncidentChangeKind.TRANSITIONED)
    await wait_until(lambda: incident_states(worker.hub) == {"inc-1": "in_progress"}, 5.0, lambda: "no transition")
    assert worker.health()["incident_changes"] == 2
