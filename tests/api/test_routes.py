"""What each operator API route returns, for city-a's users, against the test world and the real engine.
Every response body is checked against the model the OpenAPI document declares for it."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, TypeAdapter

from beffroi.api import schemas
from beffroi.api.auth.roles import Role
from beffroi.domain.alarms import AlarmState
from beffroi.store.store import Store
from beffroi.workers.engine import EngineWorker
from tests.api.world import DEVICE, SITE, T0, TENANT_A, ZONE, headers

ADMIN = headers(TENANT_A, Role.ADMIN)
OPERATOR = headers(TENANT_A, Role.OPERATOR)


async def get(client: httpx.AsyncClient, path: str, shape: Any, auth: dict[str, str] = ADMIN) -> Any:
    response = await client.get(path, headers=auth)
    assert response.status_code == 200, response.text
    TypeAdapter(shape).validate_python(response.json())  # the body is what the OpenAPI document says
    return response.json()


async def post(client: httpx.AsyncClient, path: str, json: Any = None, auth: dict[str, str] = OPERATOR) -> Any:
    response = await client.post(path, json=json, headers=auth)
    return response


async def test_tenants_sites_and_zones(client: httpx.AsyncClient) -> None:
    assert await get(client, "/api/tenants", list[schemas.TenantOut]) == [{"id": TENANT_A, "name": "Ville A"}]
    assert (await get(client, f"/api/tenants/{TENANT_A}", schemas.TenantOut))["name"] == "Ville A"
    sites = await get(client, "/api/sites", list[schemas.SiteOut])
    assert [(site["id"], site["city"], site["position"]) for site in sites] == [(SITE, "Lyon", [4.832, 45.7578])]
    assert (await get(client, f"/api/sites/{SITE}", schemas.SiteOut))["name"] == "Place Bellecour (test)"
    zones = await get(client, f"/api/zones?site_id={SITE}", list[schemas.ZoneOut])
    assert [zone["id"] for zone in zones] == ["square-gate", "square-plaza"]
    zone = await get(client, f"/api/zones/{ZONE}", schemas.ZoneOut)
    assert (zone["kind"], zone["capacity"], zone["polygon"][0][0]) == ("fan_zone", 16800, [4.831227, 45.75753])
    for path in (f"/api/sites/{ZONE}", f"/api/zones/{SITE}", "/api/tenants/nowhere"):
        assert (await client.get(path, headers=ADMIN)).status_code == 404


async def test_devices_are_paginated_and_filtered(client: httpx.AsyncClient) -> None:
    everything = await get(client, "/api/devices", schemas.Page[schemas.DeviceOut])
    assert (everything["total"], everything["limit"], everything["offset"]) == (5, 500, 0)
    ids = [device["id"] for device in everything["items"]]
    assert ids == sorted(ids)
    second = await get(client, "/api/devices?limit=2&offset=2", schemas.Page[schemas.DeviceOut])
    assert [device["id"] for device in second["items"]] == ids[2:4] and second["total"] == 5
    beyond = await get(client, "/api/devices?offset=50", schemas.Page[schemas.DeviceOut])
    assert (beyond["items"], beyond["total"]) == ([], 5)
    counters = await get(client, "/api/devices?kind=people_counter", schemas.Page[schemas.DeviceOut])
    assert {device["kind"] for device in counters["items"]} == {"people_counter"} and counters["total"] == 2
    in_zone = await get(client, f"/api/devices?site_id={SITE}&zone_id=square-gate", schemas.Page[schemas.DeviceOut])
    assert [device["id"] for device in in_zone["items"]] == ["square-gate-panic-01", "square-gate-pc-01"]
    device = await get(client, f"/api/devices/{DEVICE}", schemas.DeviceOut)
    assert (device["zone_id"], device["model"], device["interval_s"]) == (ZONE, "Xovis PC2SE", 10.0)
    assert (await client.get("/api/devices/nope", headers=ADMIN)).json()["reason"] == "not_found"


async def test_readings_in_a_range_and_rolled_up(client: httpx.AsyncClient) -> None:
    readings = await get(client, f"/api/readings?device_id={DEVICE}", list[schemas.ReadingOut])
    assert [reading["ts"] for reading in readings] == [T0 + 30 * i for i in reversed(range(10))]
    ranged = await get(
        client,
        f"/api/readings?device_id={DEVICE}&metric=occupancy&since={T0 + 60}&until={T0 + 120}&limit=2",
        list[schemas.ReadingOut],
    )
    assert [reading["value"] for reading in ranged] == [14.0, 13.0]
    assert await get(client, f"/api/readings?device_id={DEVICE}&metric=other", list[schemas.ReadingOut]) == []
    minutes = await get(
        client, f"/api/readings/rollup?device_id={DEVICE}&metric=occupancy&bucket=1m", list[schemas.ReadingBucketOut]
    )
    assert minutes[0] == {"start": T0 + 240, "count": 2, "min": 18.0, "max": 19.0, "avg": 18.5}
    assert len(minutes) == 5
    five = await get(
        client,
        f"/api/readings/rollup?device_id={DEVICE}&metric=occupancy&bucket=5m&since={T0}&until={T0 + 90}",
        list[schemas.ReadingBucketOut],
    )
    assert five == [{"start": T0, "count": 4, "min": 10.0, "max": 13.0, "avg": 11.5}]


async def test_events_are_filtered(client: httpx.AsyncClient) -> None:
    events = await get(client, "/api/events", list[schemas.EventOut])
    assert [event["event_id"] for event in events] == ["city-a-ev-2", "city-a-ev-1", "city-a-ev-0"]
    forced = await get(client, f"/api/events?type=door_forced&site_id={SITE}&since={T0 + 1}", list[schemas.EventOut])
    assert [event["event_id"] for event in forced] == ["city-a-ev-2"]
    by_source = await get(client, "/api/events?source=square-gate-pc-01&type=tamper", list[schemas.EventOut])
    assert [event["event_id"] for event in by_source] == ["city-a-ev-1"]
    assert await get(client, "/api/events?source=another-device", list[schemas.EventOut]) == []


async def test_alarms_are_listed_most_urgent_then_newest_first(client: httpx.AsyncClient) -> None:
    alarms = await get(client, "/api/alarms", list[schemas.AlarmOut])
    assert [alarm["id"] for alarm in alarms] == ["a-critical", "a-low-new", "a-low-old"]
    cleared = await get(client, "/api/alarms?state=cleared", list[schemas.AlarmOut])
    assert [alarm["id"] for alarm in cleared] == ["a-cleared"]
    both = await get(client, "/api/alarms?state=cleared&state=unacknowledged&limit=10", list[schemas.AlarmOut])
    assert len(both) == 4
    one = await get(client, "/api/alarms/a-critical", schemas.AlarmOut)
    assert (one["state"], one["priority"], one["key"]["source"]) == ("unacknowledged", 1, "square-gate-panic-01")


async def test_acknowledge_goes_through_the_engine_and_is_audited(
    client: httpx.AsyncClient, world: Store, engine: EngineWorker
) -> None:
    response = await post(client, "/api/alarms/a-critical/acknowledge")
    assert response.status_code == 200, response.text
    change = schemas.AlarmChangeOut.model_validate(response.json())
    assert (change.change, change.actor, change.alarm.state) == ("acknowledged", "operator", AlarmState.ACKNOWLEDGED)
    assert world.get_alarm(TENANT_A, "a-critical").acknowledged_by == "operator"
    assert engine.alarms.get("a-critical") is not None
    audit = await get(client, "/api/audit?target_id=a-critical", list[schemas.AuditEntryOut])
    assert [(entry["action"], entry["actor"]) for entry in audit] == [("alarm.acknowledged", "operator")]
    again = await post(client, "/api/alarms/a-critical/acknowledge")
    assert (again.status_code, again.json()["reason"]) == (409, "invalid_transition")


async def test_shelve_needs_a_reason_and_a_duration(client: httpx.AsyncClient, world: Store) -> None:
    response = await post(client, "/api/alarms/a-low-old/shelve", {"reason": "sensor works", "duration_s": 900})
    assert response.status_code == 200, response.text
    alarm = world.get_alarm(TENANT_A, "a-low-old")
    assert alarm.state is AlarmState.SHELVED and alarm.state_reason == "operator: sensor works"
    assert alarm.shelved_until is not None and abs(alarm.shelved_until - alarm.updated_at - 900) < 1e-3
    for body in (
        {"duration_s": 60},
        {"reason": "  ", "duration_s": 60},
        {"reason": "x", "duration_s": 0},
        {"reason": "x", "duration_s": 8 * 86_400},
        {"reason": "x"},
        None,
    ):
        refused = await post(client, "/api/alarms/a-low-new/shelve", body)
        assert (refused.status_code, refused.json()["reason"]) == (422, "invalid_request"), body


async def test_clear_closes_the_alarm_and_a_cleared_alarm_cannot_be_acted_on(
    client: httpx.AsyncClient, world: Store
) -> None:
    response = await post(client, "/api/alarms/a-low-new/clear")
    assert response.status_code == 200 and response.json()["alarm"]["cleared_by"] == "operator"
    assert world.get_alarm(TENANT_A, "a-low-new").state is AlarmState.CLEARED
    for action in ("acknowledge", "clear"):
        refused = await post(client, f"/api/alarms/a-cleared/{action}")
        assert (refused.status_code, refused.json()["reason"]) == (409, "invalid_transition")
    missing = await post(client, "/api/alarms/no-such-alarm/clear")
    assert (missing.status_code, missing.json()["reason"]) == (404, "not_found")


async def test_without_an_engine_alarm_actions_are_503(world: Store) -> None:
    from beffroi.api.app import create_app
    from beffroi.api.auth.settings import AuthSettings
    from tests.api.world import SECRET

    app = create_app(component_states=dict, store=world, auth=AuthSettings(SECRET))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://beffroi") as http:
        response = await http.post("/api/alarms/a-critical/acknowledge", headers=OPERATOR)
        listed = await http.get("/api/alarms", headers=OPERATOR)
    assert (response.status_code, response.json()["reason"]) == (503, "engine_unavailable")
    assert listed.status_code == 200


async def test_audit_and_dead_letters(client: httpx.AsyncClient) -> None:
    audit = await get(client, f"/api/audit?since={T0 - 1}&limit=5", list[schemas.AuditEntryOut])
    assert [entry["id"] for entry in audit] == ["city-a-au"]
    letters = await get(client, "/api/dead-letters", list[schemas.DeadLetterOut])
    assert [(letter["id"], base64.b64decode(letter["raw"])) for letter in letters] == [("city-a-dl", b"\x00\xffraw")]


async def test_the_openapi_document_declares_bearer_auth_on_every_route(client: httpx.AsyncClient) -> None:
    document = (await client.get("/api/openapi.json")).json()
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": document["components"]["securitySchemes"]["bearer"]["description"],
    }
    for path, operations in document["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            secured = operation.get("security") == [{"bearer": []}]
            assert secured or path == "/api/auth/login", (method, path)
    assert "text/csv" in document["paths"]["/api/devices/import"]["post"]["requestBody"]["content"]


@pytest.mark.parametrize("model", [schemas.AlarmOut, schemas.DeviceOut, schemas.ZoneOut, schemas.EventOut])
def test_the_models_refuse_unknown_fields(model: type[BaseModel]) -> None:
    assert model.model_config.get("extra") == "forbid"
