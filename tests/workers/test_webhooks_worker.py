"""Webhooks as the composition root wires them (the `incidents` component on the in-process bus, a SQLite store),
against a real HTTP receiver on a loopback port: an incident opened from an alarm on the bus reaches the endpoints
signed, with its CAP alert valid against the OASIS schema; a CAP alert goes out only when the incident tells
something new; a failing endpoint ends in the store's dead letters; endpoints are checked at start."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from beffroi.app import Application
from beffroi.bus.base import Bus
from beffroi.domain import messages
from beffroi.domain.incidents import IncidentState
from beffroi.domain.messages import IncidentAction, IncidentCommand
from beffroi.errors import ConfigError
from beffroi.exports.cap.model import MsgType
from beffroi.exports.cap.reader import read_cap
from beffroi.exports.webhooks.signing import EVENT_HEADER
from beffroi.store.store import Store
from beffroi.workers.incidents import IncidentWorker
from beffroi.workers.webhooks import WebhookWorker
from tests.bus.support import settle, wait_until
from tests.engine.incident_builders import alarm, raised
from tests.exports.cap.support import assert_schema_valid
from tests.exports.webhooks.receiver import SECRET, Receiver, running_receiver
from tests.test_app import TENANT, embedded_config

SECRET_ENV = "BEFFROI_TEST_WEBHOOK_SECRET"
SMOKE, ZONE, SITE = "tiny-plant-room-smoke-01", "tiny-plant-room", "tiny-stadium"
StartIncidents = Callable[..., Awaitable[Application]]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with running_receiver() as running:
        yield running


@pytest.fixture
async def start_incidents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[StartIncidents]:
    """Starts the `incidents` component with the given `[webhooks]` endpoints (fast retries); stopped at the end."""
    monkeypatch.setenv(SECRET_ENV, SECRET)
    apps: list[Application] = []

    async def start(endpoints: list[dict[str, Any]], **webhooks: Any) -> Application:
        settings = {"max_attempts": 2, "base_delay_s": 0.05, "max_delay_s": 0.2, "endpoints": endpoints, **webhooks}
        config = embedded_config(tmp_path, webhooks=settings, cap={"sender": "control@tiny.example"})
        app = Application(config, ["incidents"])
        apps.append(app)
        await app.start()
        return app

    yield start
    for app in apps:
        await app.stop()


def endpoint(receiver: Receiver, name: str, path: str, **options: Any) -> dict[str, Any]:
    return {"name": name, "url": receiver.url(path), "secret": {"env": SECRET_ENV}, "timeout_s": 2.0, **options}


async def raise_fire(bus: Bus) -> None:
    fire = alarm("smoke-1", "fire_alarm", time.time(), zone=ZONE, site=SITE, source=SMOKE, tenant=TENANT)
    await bus.publish(messages.alarms_subject(TENANT), messages.encode(raised(fire)), msg_id="alarm-smoke-1")


def parts(app: Application) -> tuple[Bus, Store, IncidentWorker, WebhookWorker]:
    incidents, webhooks = app.workers["incidents"], app.workers["webhooks"]
    assert app.bus is not None and app.store is not None
    assert isinstance(incidents, IncidentWorker) and isinstance(webhooks, WebhookWorker)
    return app.bus, app.store, incidents, webhooks


async def act(worker: IncidentWorker, incident_id: str, action: IncidentAction, **fields: Any) -> None:
    command = IncidentCommand(f"cmd-{time.monotonic_ns()}", TENANT, incident_id, action, "alice", time.time(), **fields)
    await worker.execute(command)


async def test_an_incident_reaches_the_endpoints_signed_with_its_cap_alert(
    start_incidents: StartIncidents, receiver: Receiver
) -> None:
    app = await start_incidents(
        [
            endpoint(receiver, "partners", "/ok", include_cap=True),
            endpoint(receiver, "prefecture", "/throttle", body="cap", events=["incident.*"]),
        ]
    )
    bus, store, incidents, webhooks = parts(app)
    await raise_fire(bus)
    await wait_until(lambda: bool(receiver.bodies("/ok")) and len(receiver.bodies("/throttle")) >= 2, 10.0, str)
    [incident] = store.query_incidents(TENANT)[0]
    [request] = [r for r in receiver.requests if r.path == "/ok"]
    assert request.signature_ok and request.headers[EVENT_HEADER.lower()] == "incident.opened"
    body = json.loads(request.body)
    assert (body["kind"], body["tenant_id"], body["data"]["change"]) == ("incident.opened", TENANT, "opened")
    assert body["data"]["incident"]["id"] == incident.id and body["data"]["alarm_ids"] == ["smoke-1"]
    assert_schema_valid(body["cap"].encode())
    throttled, delivered = [r for r in receiver.requests if r.path == "/throttle"]  # 429 first, then retried
    assert throttled.body == delivered.body == body["cap"].encode() and delivered.signature_ok
    assert delivered.headers["content-type"] == "application/cap+xml"
    alert = read_cap(delivered.body)
    assert (alert.msg_type, alert.sender, alert.identifier) == (
        MsgType.ALERT,
        "control@tiny.example",
        f"{TENANT}:incident:{incident.id}:r0",
    )
    assert [(m.revision, m.msg_type) for m in store.cap_messages(TENANT, incident.id)] == [(0, "Alert")]
    await wait_until(lambda: app.health()["webhooks"]["delivered"] == 2, 10.0, lambda: str(app.health()["webhooks"]))

    await act(incidents, incident.id, IncidentAction.ADD_NOTE, text="the fire panel confirms it")
    await wait_until(lambda: len(receiver.bodies("/ok")) == 2, 10.0, str)
    note = json.loads(receiver.bodies("/ok")[1])
    assert note["kind"] == "incident.note_added" and "cap" not in note  # nothing new for the authorities
    await act(incidents, incident.id, IncidentAction.TRANSITION, target_state=IncidentState.IN_PROGRESS)
    await wait_until(lambda: len(receiver.bodies("/throttle")) == 3, 10.0, str)
    update = read_cap(receiver.bodies("/throttle")[2])
    assert update.msg_type is MsgType.UPDATE and [r.identifier for r in update.references] == [alert.identifier]
    assert json.loads(receiver.bodies("/ok")[2])["cap"].encode() == receiver.bodies("/throttle")[2]
    await settle(0.2)
    assert len(receiver.bodies("/throttle")) == 3 and webhooks.cap_messages == 2


async def test_a_failing_endpoint_ends_in_the_stores_dead_letters(
    start_incidents: StartIncidents, receiver: Receiver
) -> None:
    app = await start_incidents([endpoint(receiver, "down", "/down"), endpoint(receiver, "refuses", "/refuse")])
    bus, store, _, webhooks = parts(app)
    await raise_fire(bus)
    await wait_until(lambda: len(store.query_dead_letters(TENANT)) == 2, 10.0, lambda: str(webhooks.health()))
    letters = {letter.source: letter for letter in store.query_dead_letters(TENANT)}
    assert letters["webhook:down"].reason == "webhook_retries_exhausted"
    assert letters["webhook:refuses"].reason == "webhook_refused"
    record = json.loads(letters["webhook:down"].raw)
    assert (record["attempts"], record["kind"], record["last_error"]) == (2, "incident.opened", "HTTP 500: broken")
    assert json.loads(record["body"])["data"]["change"] == "opened"
    assert receiver.counts["/down"] == 2 and receiver.counts["/refuse"] == 1
    assert store.cap_messages(TENANT, store.query_incidents(TENANT)[0][0].id) == []  # no endpoint wants CAP


async def test_dead_letters_can_go_to_a_file(
    start_incidents: StartIncidents, receiver: Receiver, tmp_path: Path
) -> None:
    app = await start_incidents([endpoint(receiver, "down", "/down")], dead_letters="file")
    bus, store, _, _ = parts(app)
    await raise_fire(bus)
    path = tmp_path / "webhooks" / "dead-letters.jsonl"
    await wait_until(path.exists, 10.0, lambda: "no dead-letter file yet")
    [line] = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["endpoint"] == "down" and store.query_dead_letters(TENANT) == []


async def test_without_endpoints_no_webhook_worker_runs(start_incidents: StartIncidents) -> None:
    app = await start_incidents([])
    assert "webhooks" not in app.workers and "incidents" in app.workers


async def test_an_endpoint_whose_secret_is_not_set_stops_the_start(
    start_incidents: StartIncidents, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SECRET_ENV)
    with pytest.raises(ConfigError, match=r"webhooks\.endpoints\[0\]\.secret.*BEFFROI_TEST_WEBHOOK_SECRET"):
        await start_incidents([endpoint(receiver, "partners", "/ok")])
