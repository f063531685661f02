"""Fixtures of the live stream tests: the test world's store, the real engine and the live worker on one in-process
bus, and the application with the hub, driven in-process (`asgi_websocket`), its timings shortened."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from beffroi.api.app import create_app
from beffroi.api.auth.settings import AuthSettings
from beffroi.api.live import LiveHub, LiveSettings
from beffroi.bus.base import Bus, create_bus
from beffroi.config import parse_config
from beffroi.domain import messages
from beffroi.domain.alarms import Alarm
from beffroi.domain.messages import AlarmChange, AlarmChangeKind
from beffroi.domain.observations import Reading, ReadingBatch
from beffroi.store.store import Store
from beffroi.workers.engine import EngineWorker
from beffroi.workers.live import LiveFeedWorker
from tests.api.world import SCENARIOS, SECRET, SITE, TENANT_A

FAST = LiveSettings(heartbeat_s=0.4, hello_timeout_s=0.3, batch_interval_s=0.05, zone_interval_s=0.2)


class Clock:
    """Wall time plus an offset the test moves (token expiry)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings() -> LiveSettings:
    """The hub's settings (a test module may override this fixture)."""
    return FAST


@pytest.fixture
async def bus() -> AsyncIterator[Bus]:
    bus = create_bus("inprocess", "inprocess://")
    await bus.start()
    yield bus
    await bus.close()


@pytest.fixture
async def live_engine(world: Store, bus: Bus) -> AsyncIterator[EngineWorker]:
    """The real engine on the shared bus (no absence tick: only what a test does changes alarms)."""
    config = parse_config(
        {"tenant": TENANT_A, "scenario": str(SCENARIOS / "two_tenants_a.json"), "engine": {"absence_check_s": 3600}}
    )
    worker = EngineWorker(config, bus, world)
    await worker.start()
    yield worker
    await worker.stop()


@pytest.fixture
async def live(world: Store, bus: Bus, settings: LiveSettings) -> AsyncIterator[LiveFeedWorker]:
    """The live worker feeding a hub from the shared bus and the world's store."""
    worker = LiveFeedWorker(bus, world, LiveHub(settings), stale_reload_min_s=0.2)
    await worker.start()
    yield worker
    await worker.stop()


@pytest.fixture
def live_api(world: Store, live_engine: EngineWorker, live: LiveFeedWorker, clock: Clock) -> FastAPI:
    """The application with the operator API and the live stream."""
    return create_app(
        component_states=lambda: {"api": "running"},
        store=world,
        auth=AuthSettings(SECRET),
        alarm_commands=live_engine,
        live=live.hub,
        clock=clock,
    )


@pytest.fixture
async def http(live_api: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the same application."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=live_api), base_url="http://beffroi") as client:
        yield client


async def publish_readings(bus: Bus, tenant: str, *readings: tuple[str, str, float], site: str = SITE) -> None:
    """Readings `(device, metric, value)` of one tenant, stamped now, as the gateway publishes them."""
    now = time.time()
    batch = ReadingBatch(
        batch_id=f"live-test-{time.monotonic_ns()}",
        tenant_id=tenant,
        readings=[Reading(tenant, device, metric, value, now, site) for device, metric, value in readings],
    )
    await bus.publish(messages.readings_subject(tenant, site), messages.encode(batch), msg_id=batch.batch_id)


async def publish_alarm_change(bus: Bus, alarm: Alarm, change: AlarmChangeKind) -> None:
    """An alarm change as the engine publishes it."""
    message = AlarmChange(change=change, alarm=alarm)
    await bus.publish(messages.alarms_subject(alarm.key.tenant_id), messages.encode(message))
