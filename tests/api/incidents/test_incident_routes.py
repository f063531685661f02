"""The incident and supervision routes against the test world, the real engine and the real incident worker: the
role matrix, every response against its model, filters, the lifecycle with its supervisor-only steps, procedures,
notifications, false-alarm rates, tenant isolation and bad input."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import TypeAdapter

from beffroi.api.auth.roles import Role
from beffroi.api.routers.incidents import use_incident_commands
from beffroi.api.schemas import AuditEntryOut, Page
from beffroi.api.schemas_incidents import (
    FalseAlarmRatesOut,
    IncidentChangeOut,
    IncidentDetailOut,
    IncidentOut,
    TimelineEntryOut,
)
from beffroi.store.store import Store
from tests.api.incident_world import CLOSED_A, OPEN_A, OPEN_A_ALARMS, OPEN_B, RESOLVED_A
from tests.api.routes import INCIDENT_ROUTES, Route
from tests.api.test_bad_input import BAD_QUERIES, WEIRD_IDS, assert_clean_error
from tests.api.world import TENANT_A, TENANT_B, headers

VIEWER, OPERATOR = headers(TENANT_A, Role.VIEWER), headers(TENANT_A, Role.OPERATOR)
SUPERVISOR, ADMIN = headers(TENANT_A, Role.SUPERVISOR), headers(TENANT_A, Role.ADMIN)


async def call(client: httpx.AsyncClient, route: Route, auth: dict[str, str]) -> httpx.Response:
    return await client.request(route.method, route.path, json=route.json, headers={**route.headers, **auth})


async def get(client: httpx.AsyncClient, path: str, shape: Any, auth: dict[str, str] = VIEWER) -> Any:
    response = await client.get(path, headers=auth)
    assert response.status_code == 200, response.text
    TypeAdapter(shape).validate_python(response.json())
    return response.json()


async def post(
    client: httpx.AsyncClient, path: str, body: Any = None, auth: dict[str, str] = OPERATOR, status: int = 200
) -> Any:
    response = await client.post(path, json=body, headers=auth)
    assert response.status_code == status, response.text
    if status == 200:
        TypeAdapter(IncidentChangeOut).validate_python(response.json())
    return response.json()


def test_the_route_table_covers_every_incident_route(api: FastAPI) -> None:
    served = {
        (method.upper(), path)
        for path, operations in api.openapi()["paths"].items()
        if path.startswith(("/api/incidents", "/api/supervision"))
        for method in operations
    }
    assert served == {(route.method, route.template) for route in INCIDENT_ROUTES}


@pytest.mark.parametrize("route", INCIDENT_ROUTES, ids=str)
@pytest.mark.parametrize("role", list(Role), ids=str)
async def test_each_role_is_allowed_exactly_the_routes_of_its_rank(
    client: httpx.AsyncClient, route: Route, role: Role
) -> None:
    response = await call(client, route, headers(TENANT_A, role))
    if role.allows(route.role):
        assert response.status_code < 300, response.text
    else:
        assert (response.status_code, response.json()["reason"]) == (403, "forbidden")
        assert route.role.value in response.json()["detail"]


@pytest.mark.parametrize("route", INCIDENT_ROUTES, ids=str)
async def test_every_route_needs_a_token(client: httpx.AsyncClient, route: Route) -> None:
    response = await call(client, route, {})
    assert (response.status_code, response.json()["reason"]) == (401, "not_authenticated")


async def test_the_list_filters_and_pages(client: httpx.AsyncClient) -> None:
    default = await get(client, "/api/incidents", Page[IncidentOut])
    assert [i["id"] for i in default["items"]] == [OPEN_A, RESOLVED_A] and default["total"] == 2  # not closed
    everything = await get(client, "/api/incidents?state=new&state=resolved&state=closed", Page[IncidentOut])
    assert {i["id"] for i in everything["items"]} == {OPEN_A, RESOLVED_A, CLOSED_A}
    page = await get(client, "/api/incidents?state=closed&state=new&limit=1&offset=1", Page[IncidentOut])
    assert (page["total"], page["limit"], page["offset"], len(page["items"])) == (2, 1, 1, 1)
    assert (await get(client, "/api/incidents?priority=1", Page[IncidentOut]))["items"][0]["id"] == OPEN_A
    assert (await get(client, "/api/incidents?priority=4", Page[IncidentOut]))["items"][0]["id"] == RESOLVED_A
    assert (await get(client, "/api/incidents?site_id=annex", Page[IncidentOut]))["total"] == 0
    assert (await get(client, "/api/incidents?assignee=nobody", Page[IncidentOut]))["total"] == 0
    for query in ("state=panicking", "priority=0", "priority=5", "limit=0", "site_id="):
        response = await client.get(f"/api/incidents?{query}", headers=VIEWER)
        assert (response.status_code, response.json()["reason"]) == (422, "invalid_request"), query


async def test_the_detail_holds_alarms_timeline_evidence_and_the_procedure(client: httpx.AsyncClient) -> None:
    detail = await get(client, f"/api/incidents/{OPEN_A}", IncidentDetailOut)
    assert [a["alarm"]["id"] for a in detail["alarms"]] == list(OPEN_A_ALARMS)
    assert [e["kind"] for e in detail["timeline"]] == ["opened", "alarm_joined", "alarm_joined"]
    assert [e["ref"] for e in detail["evidence"]] == list(OPEN_A_ALARMS)
    procedure = detail["procedure"]
    assert (procedure["procedure"], procedure["complete"]) == ("generic", False)
    assert [(s["id"], s["applicable"], s["current"]) for s in procedure["steps"][:2]] == [
        ("assess", True, True),
        ("record", False, False),
    ]
    assert (await get(client, f"/api/incidents/{RESOLVED_A}", IncidentDetailOut))["procedure"]["complete"]
    assert (await get(client, f"/api/incidents/{CLOSED_A}", IncidentDetailOut))["procedure"] is None


async def test_the_procedure_comes_in_english_and_in_french(client: httpx.AsyncClient) -> None:
    procedure = (await get(client, f"/api/incidents/{OPEN_A}", IncidentDetailOut))["procedure"]
    assert (procedure["language"], procedure["title"]) == ("en", "Generic incident")
    assert procedure["translations"] == {"fr": {"title": "Incident (cas général)"}}
    assess = procedure["steps"][0]
    assert assess["text"].startswith("Look at the alarms")
    assert assess["translations"]["fr"]["text"].startswith("Levée de doute")
    assert [c["label"] for c in assess["choices"]] == ["A real situation", "A false alarm"]
    assert assess["translations"]["fr"]["choices"] == {"real": "Situation avérée", "false_alarm": "Fausse alarme"}
    assert procedure["steps"][1]["translations"]["fr"]["text"].endswith("dans la main courante.")
    # an action answers with the run, its texts in both languages too
    stepped = await post(client, f"/api/incidents/{OPEN_A}/procedure/steps/assess/complete", {"choice": "real"})
    run = stepped["procedure"]
    assert (run["language"], run["translations"]["fr"]["title"]) == ("en", "Incident (cas général)")
    assert run["steps"][0]["translations"]["fr"]["choices"]["real"] == "Situation avérée"


async def test_an_operator_works_an_incident_through_its_procedure(client: httpx.AsyncClient, world: Store) -> None:
    base = f"/api/incidents/{OPEN_A}"
    started = await post(client, f"{base}/transition", {"to": "in_progress"})
    assert (started["change"], started["incident"]["state"], started["actor"]) == (
        "transitioned",
        "in_progress",
        "operator",
    )
    await post(client, f"{base}/assign", {"assignee": "operator"})
    await post(client, f"{base}/procedure/steps/assess/complete", {}, status=422)  # a branch needs a choice
    stepped = await post(client, f"{base}/procedure/steps/assess/complete", {"choice": "real"})
    assert stepped["procedure"]["progress"][0]["status"] == "done"
    refused = await post(client, f"{base}/transition", {"to": "resolved"}, status=409)
    assert refused["reason"] == "invalid_transition" and "act, report" in refused["detail"]
    await post(client, f"{base}/procedure/steps/act/complete", {"note": "stewards sent"})
    await post(client, f"{base}/procedure/steps/report/skip", {"justification": "reported by radio"})
    await post(client, f"{base}/notes", {"text": "all calm", "event_ids": ["city-a-ev-0"]})
    await post(client, f"{base}/disposition", {"disposition": "true", "note": "confirmed"})
    resolved = await post(client, f"{base}/transition", {"to": "resolved"})
    assert resolved["incident"]["state"] == "resolved"
    detail = await get(client, base, IncidentDetailOut)
    assert detail["procedure"]["complete"] and detail["incident"]["assignee"] == "operator"
    assert [e["kind"] for e in detail["evidence"]][-1] == "event"
    audit = await get(client, f"/api/audit?target_id={OPEN_A}", list[AuditEntryOut], SUPERVISOR)
    assert sorted({e["action"] for e in audit}) == [
        "incident.add_note",
        "incident.assign",
        "incident.complete_step",
        "incident.set_disposition",
        "incident.skip_step",
        "incident.transition",
    ]
    assert {e["actor"] for e in audit} == {"operator"}


async def test_closing_and_reopening_need_a_supervisor(client: httpx.AsyncClient) -> None:
    base = f"/api/incidents/{RESOLVED_A}"
    refused = await post(client, f"{base}/transition", {"to": "closed"}, status=403)
    assert refused["reason"] == "forbidden" and "supervisor" in refused["detail"]
    closed = await post(client, f"{base}/transition", {"to": "closed"}, auth=SUPERVISOR)
    assert closed["incident"]["state"] == "closed"
    await post(client, f"{base}/transition", {"to": "in_progress"}, status=403)
    reopened = await post(
        client, f"{base}/transition", {"to": "in_progress", "reason": "it started again"}, auth=SUPERVISOR
    )
    assert (reopened["incident"]["state"], reopened["incident"]["closed_at"]) == ("in_progress", None)
    await post(client, f"/api/incidents/{CLOSED_A}/transition", {"to": "in_progress"}, auth=ADMIN)
    no_disposition = await post(client, f"/api/incidents/{OPEN_A}/transition", {"to": "closed"}, SUPERVISOR, 409)
    assert "cannot move to closed incident in state new" in no_disposition["detail"]


async def test_a_skipped_step_is_a_supervisor_notification(client: httpx.AsyncClient) -> None:
    base = f"/api/incidents/{OPEN_A}/procedure/steps/assess"
    missing = await post(client, f"{base}/skip", {"justification": "  "}, status=422)
    assert missing["reason"] == "invalid_request" and "body.justification" in missing["detail"]
    await post(client, f"{base}/skip", {"justification": "the stewards are already there"})
    again = await post(client, f"{base}/skip", {"justification": "twice"}, status=409)
    assert again["reason"] == "invalid_transition"
    notices = await get(client, "/api/supervision/notifications", list[TimelineEntryOut], SUPERVISOR)
    assert [(n["incident_id"], n["actor"], n["data"]["justification"]) for n in notices] == [
        (OPEN_A, "operator", "the stewards are already there")
    ]
    unknown = await post(client, f"/api/incidents/{OPEN_A}/procedure/steps/nope/complete", {}, status=404)
    assert unknown["reason"] == "not_found"


async def test_dispositions_feed_the_false_alarm_rates(client: httpx.AsyncClient) -> None:
    await post(client, f"/api/incidents/{OPEN_A}/disposition", {"disposition": "false"})
    rates = await get(client, "/api/supervision/false-alarm-rates", FalseAlarmRatesOut, SUPERVISOR)
    assert rates["by"] == "alarm_type"
    assert rates["rows"] == [
        {
            "key": "test_alarm",
            "true": 0,
            "false": 3,
            "duplicate": 0,
            "undisposed": 0,
            "total": 3,
            "false_alarm_rate": 1.0,
        }
    ]
    by_source = await get(client, "/api/supervision/false-alarm-rates?by=source", FalseAlarmRatesOut, SUPERVISOR)
    assert {row["key"] for row in by_source["rows"]} == {
        "square-plaza-noise-01",
        "square-gate-panic-01",
        "square-plaza-cam-01",
    }
    by_rule = await get(client, "/api/supervision/false-alarm-rates?by=rule", FalseAlarmRatesOut, SUPERVISOR)
    assert by_rule["rows"][0]["key"] == "default" and by_rule["rows"][0]["true"] == 1  # the closed incident
    bad = await client.get("/api/supervision/false-alarm-rates?by=colour", headers=SUPERVISOR)
    assert bad.status_code == 422
    duplicate = await post(
        client, f"/api/incidents/{OPEN_A}/disposition", {"disposition": "duplicate", "duplicate_of": OPEN_B}, status=422
    )
    assert duplicate["reason"] == "unknown_incident"  # city-b's incident is not one of city-a's
    await post(client, f"/api/incidents/{OPEN_A}/disposition", {"disposition": "duplicate", "duplicate_of": CLOSED_A})


PATHS_OF_B = [
    ("GET", f"/api/incidents/{OPEN_B}", None),
    ("POST", f"/api/incidents/{OPEN_B}/transition", {"to": "in_progress"}),
    ("POST", f"/api/incidents/{OPEN_B}/assign", {"assignee": "admin"}),
    ("POST", f"/api/incidents/{OPEN_B}/disposition", {"disposition": "false"}),
    ("POST", f"/api/incidents/{OPEN_B}/notes", {"text": "mine now"}),
    ("POST", f"/api/incidents/{OPEN_B}/procedure/steps/assess/complete", {"choice": "real"}),
    ("POST", f"/api/incidents/{OPEN_B}/procedure/steps/assess/skip", {"justification": "x"}),
]


@pytest.mark.parametrize(("method", "path", "body"), PATHS_OF_B, ids=str)
async def test_another_tenants_incident_is_not_found(
    client: httpx.AsyncClient, world: Store, method: str, path: str, body: Any
) -> None:
    before = world.get_incident_record(TENANT_B, OPEN_B)
    response = await client.request(method, path, json=body, headers=ADMIN)
    assert (response.status_code, response.json()["reason"]) == (404, "not_found")
    assert TENANT_B not in response.text
    assert world.get_incident_record(TENANT_B, OPEN_B) == before


async def test_lists_hold_only_the_callers_tenant(client: httpx.AsyncClient) -> None:
    for path in ("/api/incidents?state=new&state=resolved&state=closed", "/api/supervision/notifications"):
        response = await client.get(path, headers=ADMIN)
        assert response.status_code == 200 and TENANT_B not in response.text and OPEN_B not in response.text
    mine = await client.get("/api/incidents", headers=headers(TENANT_B, Role.VIEWER))
    assert [i["id"] for i in mine.json()["items"]] == [OPEN_B]


@pytest.mark.parametrize("route", INCIDENT_ROUTES, ids=str)
async def test_bad_input_never_5xx(client: httpx.AsyncClient, route: Route) -> None:
    for query in BAD_QUERIES:
        joiner = "&" if "?" in route.path else "?"
        assert_clean_error(
            await client.request(route.method, f"{route.path}{joiner}{query}", json=route.json, headers=ADMIN)
        )
    if "{" in route.template:
        for weird in WEIRD_IDS:
            path = route.template.replace("{incident_id}", weird).replace("{step_id}", weird)
            response = await client.request(route.method, path, json=route.json, headers=ADMIN)
            assert_clean_error(response)
            assert response.status_code in {404, 422}, (path, response.status_code)
    if route.method == "POST":
        bodies: list[Any] = [{"reason": "x" * 10_000}, [[[[[]]]]], None, {"to": "nowhere", "disposition": "maybe"}]
        for body in bodies:
            assert_clean_error(await client.post(route.path, json=body, headers=ADMIN))


async def test_without_an_incident_worker_actions_answer_503(api: FastAPI, client: httpx.AsyncClient) -> None:
    use_incident_commands(api, None)
    response = await client.post(f"/api/incidents/{OPEN_A}/notes", json={"text": "hello"}, headers=OPERATOR)
    assert (response.status_code, response.json()["reason"]) == (503, "engine_unavailable")
    assert (await client.get(f"/api/incidents/{OPEN_A}", headers=VIEWER)).status_code == 200
