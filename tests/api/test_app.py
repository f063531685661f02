"""The FastAPI application from `create_app`: /health from the component states, and the ingest route only where a
gateway runs, its token read on every request. Driven in-process through httpx's ASGI transport."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import msgspec
import pytest
from fastapi import FastAPI

from beffroi import __version__
from beffroi.api.app import create_app
from beffroi.bus.base import Bus, BusMessage, create_bus
from beffroi.domain import messages
from beffroi.domain.observations import Position, ReadingBatch
from beffroi.domain.registry import Device, DeviceKind
from beffroi.ingest.directory import DeviceDirectory
from beffroi.ingest.gateway import Gateway
from beffroi.workers.gateway import BusGatewaySink
from tests.bus.support import wait_until

TENANT = "tiny"
DEVICE = Device(
    id="tiny-gate-pc-01",
    tenant_id=TENANT,
    site_id="tiny-stadium",
    kind=DeviceKind.PEOPLE_COUNTER,
    position=Position(2.346832, 48.81872),
    interval_s=10.0,
    metrics=["count_in", "count_out", "occupancy", "occupancy_ratio"],
    zone_id="tiny-gate",
)


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://beffroi")


def body(msg_id: str = "m-1") -> bytes:
    return msgspec.json.encode(
        {"id": msg_id, "streamId": DEVICE.id, "timestamp": time.time() * 1000, "value": {"occupancy": 42}}
    )


@pytest.fixture
async def bus() -> AsyncIterator[Bus]:
    bus = create_bus("inprocess", "inprocess://")
    await bus.start()
    yield bus
    await bus.close()


@pytest.fixture
def gateway(bus: Bus) -> Gateway:
    return Gateway(DeviceDirectory([DEVICE]), BusGatewaySink(bus), batch_linger_ms=1.0)


async def test_health_is_ok_when_every_component_runs() -> None:
    app = create_app(component_states=lambda: {"engine": "running", "api": "running"})
    async with client(app) as http:
        response = await http.get("/health")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "version": __version__,
        "components": {"engine": "running", "api": "running"},
    }


async def test_health_is_degraded_while_a_component_is_not_running() -> None:
    states = {"recorder": "running", "engine": "starting"}
    app = create_app(component_states=lambda: states)
    async with client(app) as http:
        starting = await http.get("/health")
        states["engine"] = "running"
        running = await http.get("/health")
        states["recorder"] = "stopped"
        stopped = await http.get("/health")
    assert (starting.status_code, starting.json()["status"]) == (503, "degraded")
    assert starting.json()["components"]["engine"] == "starting"
    assert (running.status_code, running.json()["status"]) == (200, "ok")
    assert (stopped.status_code, stopped.json()["status"]) == (503, "degraded")


async def test_without_a_gateway_there_is_no_ingest_route() -> None:
    app = create_app(component_states=dict, ingest_token=lambda: "token")
    async with client(app) as http:
        response = await http.post(f"/ingest/{TENANT}", content=body(), headers={"Authorization": "Bearer token"})
        schema = (await http.get("/openapi.json")).json()
    assert response.status_code == 404
    assert "/ingest/{tenant_id}" not in schema["paths"] and "/health" in schema["paths"]


async def test_the_ingest_route_publishes_to_the_bus_and_reads_its_token_on_every_request(
    bus: Bus, gateway: Gateway
) -> None:
    batches: list[ReadingBatch] = []

    async def on_readings(message: BusMessage) -> None:
        batches.append(messages.decode(message.data, ReadingBatch))

    await bus.subscribe(messages.ALL_READINGS, "test-readings", on_readings)
    token: list[str | None] = [None]
    app = create_app(component_states=dict, gateway=gateway, ingest_token=lambda: token[0])
    async with client(app) as http:
        closed = await http.post(f"/ingest/{TENANT}", content=body(), headers={"Authorization": "Bearer s3cret"})
        token[0] = "s3cret"
        opened = await http.post(f"/ingest/{TENANT}", content=body(), headers={"Authorization": "Bearer s3cret"})
        token[0] = "rotated"
        stale = await http.post(f"/ingest/{TENANT}", content=body("m-2"), headers={"Authorization": "Bearer s3cret"})
        schema = (await http.get("/openapi.json")).json()
    assert (closed.status_code, closed.json()["reason"]) == (503, "ingest_token_not_configured")
    assert opened.status_code == 202 and opened.json()["readings"] == 1
    assert (stale.status_code, stale.json()["reason"]) == (401, "unauthorized")
    await wait_until(lambda: len(batches) == 1, 5.0, lambda: f"{len(batches)} batches published")
    reading = batches[0].readings[0]
    assert (reading.tenant_id, reading.device_id, reading.metric, reading.value) == (TENANT, DEVICE.id, "occupancy", 42)
    assert "/ingest/{tenant_id}" in schema["paths"]


async def test_a_gateway_without_a_token_provider_keeps_the_endpoint_closed(gateway: Gateway) -> None:
    app = create_app(component_states=dict, gateway=gateway)
    async with client(app) as http:
        response = await http.post(f"/ingest/{TENANT}", content=body(), headers={"Authorization": "Bearer "})
    assert response.status_code == 503
