"""The tenant-isolation matrix: with city-a's tokens (every role), nothing of city-b can be read or changed through
any route. Another tenant's ids answer 404, exactly like ids that do not exist; lists hold only city-a's rows."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from beffroi.api.auth.roles import Role
from beffroi.domain.alarms import AlarmState
from beffroi.store.store import Store
from tests.api.routes import ROUTES
from tests.api.world import B_DEVICE, B_SITE, B_ZONE, DEVICE, TENANT_A, TENANT_B, headers

ADMIN_A = headers(TENANT_A, Role.ADMIN)

OTHER_TENANTS_IDS = [
    ("GET", f"/api/tenants/{TENANT_B}", None),
    ("GET", f"/api/sites/{B_SITE}", None),
    ("GET", f"/api/zones/{B_ZONE}", None),
    ("GET", f"/api/devices/{B_DEVICE}", None),
    ("GET", f"/api/readings?device_id={B_DEVICE}", None),
    ("GET", f"/api/readings/rollup?device_id={B_DEVICE}&metric=occupancy", None),
    ("GET", "/api/alarms/b-critical", None),
    ("POST", "/api/alarms/b-critical/acknowledge", None),
    ("POST", "/api/alarms/b-critical/shelve", {"reason": "not mine", "duration_s": 60}),
    ("POST", "/api/alarms/b-critical/clear", None),
]

LISTS = [route.path for route in ROUTES if route.method == "GET" and "{" not in route.template]


def owners(body: Any) -> set[str]:
    """Every tenant id a response body names, wherever it is."""
    found: set[str] = set()
    if isinstance(body, dict):
        for key, value in body.items():
            if key in {"tenant_id", "tenant"} and isinstance(value, str):
                found.add(value)
            found |= owners(value)
    elif isinstance(body, list):
        for item in body:
            found |= owners(item)
    return found


@pytest.mark.parametrize(("method", "path", "body"), OTHER_TENANTS_IDS, ids=str)
async def test_another_tenants_ids_are_not_found(
    client: httpx.AsyncClient, world: Store, method: str, path: str, body: Any
) -> None:
    before = world.get_alarm(TENANT_B, "b-critical")
    response = await client.request(method, path, json=body, headers=ADMIN_A)
    assert response.status_code == 404, response.text
    assert response.json()["reason"] == "not_found"
    assert TENANT_B not in response.text or path.startswith("/api/tenants")
    assert world.get_alarm(TENANT_B, "b-critical") == before


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize("role", list(Role), ids=str)
async def test_lists_hold_only_the_callers_tenant(client: httpx.AsyncClient, path: str, role: Role) -> None:
    response = await client.get(path, headers=headers(TENANT_A, role))
    if response.status_code == 403:
        return  # the role matrix covers it
    assert response.status_code == 200, response.text
    assert owners(response.json()) <= {TENANT_A}
    assert B_SITE not in response.text and "b-critical" not in response.text and "city-b-" not in response.text


async def test_a_shared_device_id_reads_only_the_callers_readings(client: httpx.AsyncClient) -> None:
    a = (await client.get(f"/api/readings?device_id={DEVICE}", headers=ADMIN_A)).json()
    b = (await client.get(f"/api/readings?device_id={DEVICE}", headers=headers(TENANT_B, Role.VIEWER))).json()
    assert {reading["value"] for reading in a} == {10.0 + i for i in range(10)}
    assert {reading["value"] for reading in b} == {1000.0 + i for i in range(10)}
    rollup_a = await client.get(f"/api/readings/rollup?device_id={DEVICE}&metric=occupancy&bucket=1h", headers=ADMIN_A)
    assert [bucket["max"] for bucket in rollup_a.json()] == [19.0]


async def test_filters_naming_another_tenants_site_find_nothing(client: httpx.AsyncClient) -> None:
    for path in ("/api/zones", "/api/events", "/api/alarms"):
        response = await client.get(f"{path}?site_id={B_SITE}", headers=ADMIN_A)
        assert (response.status_code, response.json()) == (200, [])
    devices = await client.get(f"/api/devices?site_id={B_SITE}", headers=ADMIN_A)
    assert devices.json()["total"] == 0


async def test_imports_cannot_reach_another_tenants_sites_or_rows(client: httpx.AsyncClient, world: Store) -> None:
    csv = f"id,site_id,kind,lon,lat\nx-1,{B_SITE},people_counter,4.83,45.75\n"
    refused = await client.post("/api/devices/import", content=csv, headers={**ADMIN_A, "Content-Type": "text/csv"})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"row": 2, "field": "site_id", "detail": f"no site {B_SITE!r} in this tenant"}]
    b_device = world.get_device(TENANT_B, DEVICE)
    same_id = f"id,site_id,kind,lon,lat,model\n{DEVICE},square,people_counter,4.83,45.75,replaced\n"
    accepted = await client.post(
        "/api/devices/import", content=same_id, headers={**ADMIN_A, "Content-Type": "text/csv"}
    )
    assert accepted.status_code == 200
    assert world.get_device(TENANT_A, DEVICE).model == "replaced"
    assert world.get_device(TENANT_B, DEVICE) == b_device


async def test_an_alarm_action_changes_only_the_callers_alarm(client: httpx.AsyncClient, world: Store) -> None:
    response = await client.post("/api/alarms/a-critical/acknowledge", headers=headers(TENANT_B, Role.ADMIN))
    assert response.status_code == 404
    assert world.get_alarm(TENANT_A, "a-critical").state is AlarmState.UNACKNOWLEDGED
