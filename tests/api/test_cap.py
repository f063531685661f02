"""POST /api/cap/import: an authority's CAP alert becomes events on the tenant's zones (supervisors and admins);
a bad message is answered 422 with each problem and its line; attacks, wrong media types and oversized bodies are
refused."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
from fastapi import FastAPI

from beffroi.api.auth.roles import Role
from beffroi.api.routers import cap
from beffroi.api.routers.cap import MAX_CAP_BYTES
from beffroi.domain.observations import Event
from beffroi.store.store import Store
from tests.api.world import SITE, TENANT_A, TENANT_B, ZONE, headers
from tests.exports.cap.samples import BILLION_LAUGHS, FR_ALERT_CANCEL, fr_alert

CAP_TYPE = {"Content-Type": "application/cap+xml"}
# the Esplanade (square-plaza) of the test world, in CAP order "lat,lon"
ESPLANADE = "45.75753,4.831227 45.75753,4.832773 45.75816,4.832773 45.75816,4.831227 45.75753,4.831227"


@pytest.fixture(autouse=True)
def cap_routes(api: FastAPI) -> None:
    """The CAP router on the test application (until operator_api.ROUTERS lists it, which makes this a no-op)."""
    if not any(getattr(route, "path", None) == "/api/cap/import" for route in api.routes):
        api.include_router(cap.router)


async def post_cap(
    client: httpx.AsyncClient, body: bytes, role: Role = Role.SUPERVISOR, tenant: str = TENANT_A
) -> httpx.Response:
    return await client.post("/api/cap/import", content=body, headers={**headers(tenant, role), **CAP_TYPE})


async def test_a_supervisor_imports_an_fr_alert_as_an_event_on_the_zone(
    client: httpx.AsyncClient, world: Store
) -> None:
    response = await post_cap(client, fr_alert(ESPLANADE))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["identifier"], body["sender"], body["msg_type"], body["status"], body["published"]) == (
        "2.49.0.0.250.0.FR.20240726193000.0042",
        "fr-alert@interieur.gouv.fr",
        "Alert",
        "Actual",
        False,
    )
    [event] = body["events"]
    assert (event["type"], event["source"], event["tenant_id"]) == (
        "cap_mouvement_de_foule",
        "cap:fr-alert@interieur.gouv.fr",
        TENANT_A,
    )
    assert (event["site_id"], event["zone_id"]) == (SITE, ZONE)
    assert event["position"] == pytest.approx([4.832, 45.757845])
    assert event["attributes"]["severity"] == "Severe"
    [entry] = world.query_audit(TENANT_A, target_id="fr-alert@interieur.gouv.fr,2.49.0.0.250.0.FR.20240726193000.0042")
    assert (entry.action, entry.actor, entry.details["events"]) == ("cap.imported", "supervisor", 1)


async def test_the_events_go_to_the_wired_sink(api: FastAPI, client: httpx.AsyncClient) -> None:
    published: list[list[Event]] = []

    async def sink(events: list[Event]) -> None:
        published.append(events)

    api.state.api_context = dataclasses.replace(api.state.api_context, event_sink=sink)
    response = await post_cap(client, FR_ALERT_CANCEL.encode(), Role.ADMIN, TENANT_B)
    assert response.json()["published"] is True
    [[event]] = published
    assert (event.tenant_id, event.type, event.attributes["msgType"]) == (TENANT_B, "cap_cancel", "Cancel")


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR])
async def test_operators_and_viewers_may_not_import(client: httpx.AsyncClient, role: Role) -> None:
    response = await post_cap(client, fr_alert(), role)
    assert response.status_code == 403


async def test_an_invalid_message_is_answered_with_each_problem_and_its_line(client: httpx.AsyncClient) -> None:
    response = await post_cap(
        client, fr_alert().replace(b"<urgency>Immediate</urgency>", b"<urgency>Soon</urgency>", 1)
    )
    assert response.status_code == 422
    body = response.json()
    assert body["reason"] == "cap_schema_invalid"
    [error] = body["errors"]
    assert (error["row"], error["field"]) == (16, "xml")
    assert "'Soon' is not an element of the set" in error["detail"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<alert", "cap_malformed_xml"),
        (BILLION_LAUGHS, "cap_dtd_forbidden"),
        (b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.1"/>', "cap_not_cap"),
        (fr_alert("48.9,2.3 48.9,2.4 49.0,2.4 48.9,2.3 48.95,2.35"), "cap_invalid"),
    ],
)
async def test_bad_and_hostile_messages_are_refused(client: httpx.AsyncClient, body: bytes, reason: str) -> None:
    response = await post_cap(client, body)
    assert (response.status_code, response.json()["reason"]) == (422, reason)


async def test_only_xml_media_types_are_taken(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/cap/import",
        content=fr_alert(),
        headers={**headers(TENANT_A, Role.SUPERVISOR), "Content-Type": "application/json"},
    )
    assert (response.status_code, response.json()["reason"]) == (415, "unsupported_media_type")
    for media_type in ("application/xml", "text/xml; charset=utf-8"):
        accepted = await client.post(
            "/api/cap/import",
            content=fr_alert(),
            headers={**headers(TENANT_A, Role.SUPERVISOR), "Content-Type": media_type},
        )
        assert accepted.status_code == 200


async def test_an_oversized_body_is_refused(client: httpx.AsyncClient) -> None:
    response = await post_cap(client, b" " * (MAX_CAP_BYTES + 1))
    assert (response.status_code, response.json()["reason"]) == (413, "too_large")
