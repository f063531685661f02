"""Incidents on /api/live with the real incident worker on the shared bus: the snapshot holds the tenant's open
incidents as `GET /api/incidents` lists them, a new incident and every action on one arrive as changes, a closed one
is sent once and then gone, a reconnecting console gets the incident changes it missed, and another tenant sees
none of it."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from beffroi.api.app import create_app
from beffroi.api.auth.roles import Role
from beffroi.api.auth.settings import AuthSettings
from beffroi.api.schemas_incidents import IncidentOut
from beffroi.bus.base import Bus
from beffroi.domain.alarms import AlarmKey, Priority, raise_alarm
from beffroi.domain.messages import AlarmChangeKind
from beffroi.store.store import Store
from beffroi.workers.engine import EngineWorker
from beffroi.workers.incidents import IncidentWorker
from beffroi.workers.live import LiveFeedWorker
from tests.api.incident_world import CLOSED_A, OPEN_A, OPEN_B, RESOLVED_A
from tests.api.live.conftest import Clock, publish_alarm_change
from tests.api.live.stream import Stream, ids, stream
from tests.api.world import SECRET, SITE, TENANT_A, TENANT_B, headers


@pytest.fixture
async def incident_worker(world: Store, bus: Bus) -> AsyncIterator[IncidentWorker]:
    """The real incident worker on the live stream's bus."""
    worker = IncidentWorker(bus, world)
    await worker.start()
    yield worker
    await worker.stop()


@pytest.fixture
def live_api(
    world: Store, live_engine: EngineWorker, live: LiveFeedWorker, incident_worker: IncidentWorker, clock: Clock
) -> FastAPI:
    """The application with alarm and incident actions and the live stream."""
    return create_app(
        component_states=lambda: {"api": "running"},
        store=world,
        auth=AuthSettings(SECRET),
        alarm_commands=live_engine,
        incident_commands=incident_worker,
        live=live.hub,
        clock=clock,
    )


async def incident_change(live: Stream, incident_id: str | None = None, **fields: Any) -> dict[str, Any]:
    """The data of the next incident change of this incident (any when None) whose incident has these fields."""
    deadline = time.monotonic() + 10.0
    while True:
        assert time.monotonic() < deadline, "no such incident change"
        while live.unread:
            change = live.unread.pop(0)
            if change["kind"] != "incident":
                continue
            held = change["data"]["incident"]
            if incident_id in (None, held["id"]) and all(held.get(k) == v for k, v in fields.items()):
                return change["data"]  # type: ignore[no-any-return]
        live.unread.extend((await live.next_changes())["changes"])


async def transition(http: httpx.AsyncClient, incident_id: str, to: str, role: Role) -> dict[str, Any]:
    answer = await http.post(
        f"/api/incidents/{incident_id}/transition", json={"to": to}, headers=headers(TENANT_A, role)
    )
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


async def test_the_snapshot_holds_the_open_incidents_as_the_list_gives_them(
    live_api: FastAPI, http: httpx.AsyncClient
) -> None:
    listed = await http.get("/api/incidents", headers=headers(TENANT_A, Role.VIEWER))
    assert listed.status_code == 200
    async with stream(live_api, TENANT_A) as live:
        snapshot = live.opening
        assert snapshot is not None and snapshot["type"] == "snapshot"
        assert [i["id"] for i in snapshot["incidents"]] == [i["id"] for i in listed.json()["items"]]
        assert ids(snapshot["incidents"]) == {OPEN_A, RESOLVED_A}  # not the closed one
        assert snapshot["incidents"] == listed.json()["items"]  # the same summaries, field for field
        for item in snapshot["incidents"]:
            IncidentOut.model_validate(item)  # the list's response model (extra fields forbidden)
        open_a = next(i for i in snapshot["incidents"] if i["id"] == OPEN_A)
        assert (open_a["state"], open_a["site_id"], open_a["alarm_ids"]) == ("new", SITE, ["a-low-old", "a-critical"])


async def test_a_new_incident_and_an_action_on_it_arrive_as_changes(
    live_api: FastAPI, http: httpx.AsyncClient, bus: Bus
) -> None:
    async with stream(live_api, TENANT_A) as live:
        key = AlarmKey(TENANT_A, "square-gate-pc-01", "door_forced", SITE, "square-gate")
        raised = raise_alarm("a-door", key, Priority.HIGH, "Door forced", time.time())
        await publish_alarm_change(bus, raised, AlarmChangeKind.RAISED)

        opened = await incident_change(live)
        assert (opened["change"], opened["actor"]) == ("opened", "engine")
        incident = opened["incident"]
        assert (incident["tenant_id"], incident["zone_id"], incident["state"]) == (TENANT_A, "square-gate", "new")
        assert incident["alarm_ids"] == ["a-door"]
        IncidentOut.model_validate(incident)

        answer = await transition(http, incident["id"], "in_progress", Role.OPERATOR)
        started = await incident_change(live, incident["id"], state="in_progress")
        assert (started["change"], started["actor"]) == ("transitioned", "operator")
        assert started["incident"] == answer["incident"]  # the summary of the action's answer

    async with stream(live_api, TENANT_A) as again:
        assert again.opening is not None
        assert incident["id"] in ids(again.opening["incidents"])


async def test_a_closed_incident_is_sent_closed_then_leaves_the_list(
    live_api: FastAPI, http: httpx.AsyncClient, live: LiveFeedWorker
) -> None:
    async with stream(live_api, TENANT_A) as watching:
        await transition(http, RESOLVED_A, "closed", Role.SUPERVISOR)
        closed = await incident_change(watching, RESOLVED_A)
        assert closed["incident"]["state"] == "closed" and closed["incident"]["closed_at"] is not None

    assert RESOLVED_A not in live.hub.feed(TENANT_A).incidents
    async with stream(live_api, TENANT_A) as fresh:
        assert fresh.opening is not None
        assert ids(fresh.opening["incidents"]) == {OPEN_A}
        assert CLOSED_A not in ids(fresh.opening["incidents"])


async def test_a_reconnecting_console_gets_the_incident_changes_it_missed(
    live_api: FastAPI, http: httpx.AsyncClient
) -> None:
    async with stream(live_api, TENANT_A) as first:
        cursor = first.welcome["cursor"]
    await transition(http, OPEN_A, "in_progress", Role.OPERATOR)
    await transition(http, OPEN_A, "on_hold", Role.OPERATOR)
    await transition(http, RESOLVED_A, "closed", Role.SUPERVISOR)

    async with stream(live_api, TENANT_A, since=cursor) as resumed:
        assert resumed.welcome["resumed"] is True
        missed = resumed.opening
        assert missed is not None and missed["type"] == "changes"
        incidents = [c["data"] for c in missed["changes"] if c["kind"] == "incident"]
        # the newest state of each, in order: on hold (in progress skipped), then closed
        assert [(d["incident"]["id"], d["incident"]["state"]) for d in incidents] == [
            (OPEN_A, "on_hold"),
            (RESOLVED_A, "closed"),
        ]
        assert missed["cursor"] == resumed.welcome["cursor"]


async def test_another_tenant_sees_none_of_the_incidents_even_asking_for_the_same_site(
    live_api: FastAPI, http: httpx.AsyncClient
) -> None:
    async with stream(live_api, TENANT_A) as tenant_a, stream(live_api, TENANT_B, sites=[SITE]) as tenant_b:
        snapshot = tenant_b.opening
        assert snapshot is not None
        assert ids(snapshot["incidents"]) == {OPEN_B}

        await transition(http, OPEN_A, "in_progress", Role.OPERATOR)
        await incident_change(tenant_a, OPEN_A, state="in_progress")
        frames = []
        while True:
            try:
                frames.append(await tenant_b.ws.receive_json(0.3))
            except AssertionError:
                break
        assert all(c["kind"] != "incident" for f in frames for c in f.get("changes", [])), frames

    async with stream(live_api, TENANT_B, sites=["annex"]) as annex_only:
        assert annex_only.opening is not None and annex_only.opening["incidents"] == []  # inc-b-open is on the square
