"""Fixtures of the operator API tests: a filled SQLite store (copied from a session template), the real engine on
the in-process bus, and the application driven in-process through httpx's ASGI transport."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from beffroi.api.app import create_app
from beffroi.api.auth.settings import AuthSettings
from beffroi.api.camera_hub import CameraHub
from beffroi.bus.base import Bus, create_bus
from beffroi.config import parse_config
from beffroi.store.snapshots import SnapshotStore
from beffroi.store.store import Store
from beffroi.workers.engine import EngineWorker
from beffroi.workers.incidents import IncidentWorker
from tests.api.world import CAMERA, CAMERA_INFO, FRAME_JPEG, SCENARIOS, SECRET, SNAPSHOT_EVENT, T_FRAME, TENANT_A, fill


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file holding the test world, filled once per session."""
    path = tmp_path_factory.mktemp("api-world") / "beffroi.db"
    with Store(f"sqlite:///{path}") as store:
        fill(store)
    return path


@pytest.fixture
def world(world_template: Path, tmp_path: Path) -> Iterator[Store]:
    """A fresh copy of the test world."""
    path = tmp_path / "beffroi.db"
    shutil.copyfile(world_template, path)
    with Store(f"sqlite:///{path}") as store:
        yield store


@pytest.fixture
async def engine(world: Store) -> AsyncIterator[EngineWorker]:
    """The real engine worker on an in-process bus, holding the world's open alarms."""
    config = parse_config(
        {"tenant": TENANT_A, "scenario": str(SCENARIOS / "two_tenants_a.json"), "engine": {"absence_check_s": 3600}}
    )
    bus: Bus = create_bus("inprocess", "inprocess://")
    await bus.start()
    worker = EngineWorker(config, bus, world)
    await worker.start()
    yield worker
    await worker.stop()
    await bus.close()


@pytest.fixture
async def incident_worker(world: Store) -> AsyncIterator[IncidentWorker]:
    """The real incident worker on an in-process bus, holding the world's open incidents."""
    bus: Bus = create_bus("inprocess", "inprocess://")
    await bus.start()
    worker = IncidentWorker(bus, world)
    await worker.start()
    yield worker
    await worker.stop()
    await bus.close()


@pytest.fixture
def cameras() -> CameraHub:
    """A camera of tenant A analysed in this process, with one frame."""
    hub = CameraHub()
    hub.add(CAMERA_INFO)
    hub.put_frame(TENANT_A, CAMERA, FRAME_JPEG, T_FRAME)
    return hub


@pytest.fixture
def snapshots(tmp_path: Path) -> SnapshotStore:
    """Event pictures, with one of tenant A's camera."""
    store = SnapshotStore(tmp_path / "snapshots")
    store.save(TENANT_A, CAMERA, SNAPSHOT_EVENT, FRAME_JPEG)
    return store


@pytest.fixture
def api(
    world: Store,
    engine: EngineWorker,
    incident_worker: IncidentWorker,
    cameras: CameraHub,
    snapshots: SnapshotStore,
) -> FastAPI:
    """The application with the operator API, alarm actions going to the engine, incident actions to the worker,
    a camera analysed here and its event pictures."""
    return create_app(
        component_states=lambda: {"api": "running"},
        store=world,
        auth=AuthSettings(SECRET),
        alarm_commands=engine,
        incident_commands=incident_worker,
        cameras=cameras,
        snapshots=snapshots,
    )


@pytest.fixture
async def client(api: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the application."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://beffroi") as http:
        yield http
