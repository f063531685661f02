"""Fixtures of the incident route tests: the API test world with its incidents, the real engine and the real
incident worker (each on an in-process bus), and the application with the incident and supervision routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fastapi import FastAPI

from beffroi.api.app import create_app
from beffroi.api.auth.settings import AuthSettings
from beffroi.api.operator_api import ROUTERS
from beffroi.api.routers import incidents, supervision
from beffroi.api.routers.incidents import use_incident_commands
from beffroi.bus.base import Bus, create_bus
from beffroi.store.store import Store
from beffroi.workers.engine import EngineWorker
from beffroi.workers.incidents import IncidentWorker
from tests.api.incident_world import fill_incidents
from tests.api.world import SECRET, fill


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The API test world with its incidents, filled once per session."""
    path = tmp_path_factory.mktemp("api-incident-world") / "beffroi.db"
    with Store(f"sqlite:///{path}") as store:
        fill(store)
        if not store.incident_exists("city-a", "inc-a-open"):  # once the shared world fills them, it does
            fill_incidents(store)
    return path


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


def with_incident_routes(app: FastAPI) -> FastAPI:
    """The app with the incident and supervision routers (mounted here until the operator API's ROUTERS has them)."""
    for module in (incidents, supervision):
        if module not in ROUTERS:
            app.include_router(module.router)
    return app


@pytest.fixture
def api(world: Store, engine: EngineWorker, incident_worker: IncidentWorker) -> FastAPI:
    """The application with the operator API, alarm actions going to the engine, incident actions to the worker."""
    app = create_app(
        component_states=lambda: {"api": "running"}, store=world, auth=AuthSettings(SECRET), alarm_commands=engine
    )
    use_incident_commands(app, incident_worker)
    return with_incident_routes(app)
