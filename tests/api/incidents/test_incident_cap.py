"""GET and POST /api/incidents/{id}/cap against the test world and the real incident worker: a preview records
nothing, a send records the next revision (Alert, then Update, then Cancel once resolved) and audits it, a past
revision is rebuilt byte for byte, another tenant's incident is not found, and an export the schema refuses is a 503
(logged), never a 500. Every message is checked against the OASIS CAP 1.2 schema here too."""

from __future__ import annotations

import logging

import httpx
import pytest

from beffroi.api.app import create_app
from beffroi.api.auth.roles import Role
from beffroi.api.auth.settings import AuthSettings
from beffroi.api.routers.incident_cap import IDENTIFIER_HEADER, MSG_TYPE_HEADER, RECORDED_HEADER, REVISION_HEADER
from beffroi.exports.cap.incident_mapping import CapExportSettings
from beffroi.exports.cap.model import CapAlertDraft, Certainty, MsgType, Urgency
from beffroi.exports.cap.reader import read_cap
from beffroi.store.store import Store
from tests.api.incident_world import OPEN_A, OPEN_B, RESOLVED_A
from tests.api.world import SECRET, TENANT_A, TENANT_B, headers
from tests.exports.cap.support import assert_schema_valid

VIEWER, OPERATOR = headers(TENANT_A, Role.VIEWER), headers(TENANT_A, Role.OPERATOR)
SUPERVISOR = headers(TENANT_A, Role.SUPERVISOR)


async def cap(
    client: httpx.AsyncClient, method: str, path: str, auth: dict[str, str], status: int = 200
) -> httpx.Response:
    response = await client.request(method, path, headers=auth)
    assert response.status_code == status, response.text
    if status == 200:
        assert response.headers["content-type"] == "application/cap+xml"
        assert_schema_valid(response.content)
    return response


def alert_of(response: httpx.Response) -> CapAlertDraft:
    return read_cap(response.content)


def parameters(draft: CapAlertDraft) -> dict[str, str]:
    return {pair.name: pair.value for pair in draft.infos[0].parameters}


async def test_a_preview_records_nothing_and_a_send_records_the_next_revision(
    client: httpx.AsyncClient, world: Store
) -> None:
    preview = await cap(client, "GET", f"/api/incidents/{OPEN_A}/cap", VIEWER)
    assert (preview.headers[REVISION_HEADER], preview.headers[MSG_TYPE_HEADER]) == ("0", "Alert")
    assert preview.headers[RECORDED_HEADER] == "false"
    assert world.cap_messages(TENANT_A, OPEN_A) == []
    sent = await cap(client, "POST", f"/api/incidents/{OPEN_A}/cap", SUPERVISOR)
    assert sent.headers[RECORDED_HEADER] == "true" and sent.content == preview.content
    draft = alert_of(sent)
    assert (draft.msg_type, draft.identifier) == (MsgType.ALERT, f"{TENANT_A}:incident:{OPEN_A}:r0")
    assert draft.identifier == sent.headers[IDENTIFIER_HEADER]
    assert parameters(draft)["beffroi:state"] == "new"
    area = draft.infos[0].areas[0]
    assert area.polygons and "square-plaza" in {geocode.value for geocode in area.geocodes}
    [record] = world.cap_messages(TENANT_A, OPEN_A)
    assert (record.revision, record.msg_type, record.identifier) == (0, "Alert", draft.identifier)
    audit = world.query_audit(TENANT_A, target_id=OPEN_A)
    assert [(e.action, e.actor, e.details["revision"]) for e in audit] == [("incident.cap_sent", "supervisor", 0)]


async def test_an_update_references_the_alert_and_a_past_revision_is_rebuilt_exactly(
    client: httpx.AsyncClient,
) -> None:
    alert = await cap(client, "POST", f"/api/incidents/{OPEN_A}/cap", SUPERVISOR)
    moved = await client.post(f"/api/incidents/{OPEN_A}/transition", json={"to": "in_progress"}, headers=OPERATOR)
    assert moved.status_code == 200, moved.text
    next_one = await cap(client, "GET", f"/api/incidents/{OPEN_A}/cap", VIEWER)
    assert (next_one.headers[REVISION_HEADER], next_one.headers[MSG_TYPE_HEADER]) == ("1", "Update")
    update = await cap(client, "POST", f"/api/incidents/{OPEN_A}/cap", SUPERVISOR)
    draft = alert_of(update)
    assert draft.msg_type is MsgType.UPDATE and parameters(draft)["beffroi:state"] == "in_progress"
    assert [reference.identifier for reference in draft.references] == [alert_of(alert).identifier]
    assert draft.references[0].sent == alert_of(alert).sent
    again = await cap(client, "GET", f"/api/incidents/{OPEN_A}/cap?revision=0", VIEWER)
    assert again.content == alert.content and again.headers[RECORDED_HEADER] == "true"
    assert (await cap(client, "GET", f"/api/incidents/{OPEN_A}/cap?revision=1", VIEWER)).content == update.content
    missing = await cap(client, "GET", f"/api/incidents/{OPEN_A}/cap?revision=2", VIEWER, status=404)
    assert missing.json()["reason"] == "not_found" and "revision 2" in missing.json()["detail"]


async def test_a_resolved_incident_is_cancelled_and_its_series_then_takes_no_more(client: httpx.AsyncClient) -> None:
    path = f"/api/incidents/{RESOLVED_A}/cap"
    first = alert_of(await cap(client, "POST", path, SUPERVISOR))
    assert first.msg_type is MsgType.ALERT and first.infos[0].urgency is Urgency.PAST
    cancel = alert_of(await cap(client, "POST", path, SUPERVISOR))
    assert cancel.msg_type is MsgType.CANCEL and cancel.infos[0].certainty is Certainty.UNLIKELY  # a false alarm
    assert cancel.note == "Incident resolved: false alarm"
    for method, auth in (("POST", SUPERVISOR), ("GET", VIEWER)):
        refused = await cap(client, method, path, auth, status=409)
        assert refused.json()["reason"] == "invalid_transition"
    assert alert_of(await cap(client, "GET", f"{path}?revision=1", VIEWER)).msg_type is MsgType.CANCEL


async def test_another_tenants_incident_and_its_messages_are_not_found(client: httpx.AsyncClient) -> None:
    city_b = headers(TENANT_B, Role.SUPERVISOR)
    await cap(client, "POST", f"/api/incidents/{OPEN_B}/cap", city_b)
    admin_a = headers(TENANT_A, Role.ADMIN)
    for method, path in (
        ("GET", f"/api/incidents/{OPEN_B}/cap"),
        ("GET", f"/api/incidents/{OPEN_B}/cap?revision=0"),
        ("POST", f"/api/incidents/{OPEN_B}/cap"),
        ("GET", "/api/incidents/no-such-incident/cap?revision=0"),
    ):
        response = await cap(client, method, path, admin_a, status=404)
        assert response.json()["reason"] == "not_found" and TENANT_B not in response.text


@pytest.mark.parametrize("query", ["revision=-1", "revision=x", "revision=1000001"])
async def test_a_bad_revision_is_a_clear_422(client: httpx.AsyncClient, query: str) -> None:
    response = await cap(client, "GET", f"/api/incidents/{OPEN_A}/cap?{query}", VIEWER, status=422)
    assert response.json()["reason"] == "invalid_request" and "revision" in response.text


async def test_an_export_the_schema_refuses_is_logged_and_answered_503(
    world: Store, caplog: pytest.LogCaptureFixture
) -> None:
    broken = CapExportSettings(sender="control@city.example", language="fr FR")  # not an xs:language
    app = create_app(component_states=dict, store=world, auth=AuthSettings(SECRET), cap=broken)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://beffroi") as client:
        for method, auth in (("GET", VIEWER), ("POST", SUPERVISOR)):
            response = await cap(client, method, f"/api/incidents/{OPEN_A}/cap", auth, status=503)
            assert response.json()["reason"] == "cap_export_invalid" and "language" in response.json()["detail"]
    assert world.cap_messages(TENANT_A, OPEN_A) == []
    assert any(r.levelno == logging.ERROR and "CAP export" in r.getMessage() for r in caplog.records)
