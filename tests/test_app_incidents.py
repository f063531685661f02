"""Incidents as the composition root wires them: the simulator's fire raises an alarm, the incident worker opens a
fire incident with its procedure, and an operator works it through the API while a supervisor sees the skip."""

from __future__ import annotations

import httpx

from beffroi.cli_users import create_user
from beffroi.domain.incidents import Incident
from beffroi.store.store import Store
from tests.bus.support import wait_until
from tests.test_app import TENANT, StartApp, api_url, ingest_token, start_app  # noqa: F401


def fire_incidents(store: Store) -> list[Incident]:
    return [incident for incident in store.query_incidents(TENANT)[0] if incident.type == "fire"]


async def test_a_fire_becomes_an_incident_an_operator_works_through_its_procedure(
    start_app: StartApp,  # noqa: F811
) -> None:
    app = await start_app()
    store = app.store
    assert store is not None and app.health()["incidents"]["open_incidents"] is not None
    create_user(store, TENANT, "alice", "correct horse battery", "operator")
    create_user(store, TENANT, "sam", "supervisor password", "supervisor")
    await wait_until(lambda: bool(fire_incidents(store)), 20.0, lambda: "no fire incident yet")
    [incident] = fire_incidents(store)
    assert incident.procedure == "fire" and incident.desk == "operators"
    async with httpx.AsyncClient(base_url=api_url(app)) as client:

        async def login(username: str, password: str) -> dict[str, str]:
            answer = await client.post(
                "/api/auth/login", json={"tenant": TENANT, "username": username, "password": password}
            )
            assert answer.status_code == 200, answer.text
            return {"Authorization": f"Bearer {answer.json()['access_token']}"}

        alice, sam = await login("alice", "correct horse battery"), await login("sam", "supervisor password")
        listed = (await client.get("/api/incidents", headers=alice)).json()
        assert incident.id in [item["id"] for item in listed["items"]]
        detail = (await client.get(f"/api/incidents/{incident.id}", headers=alice)).json()
        assert detail["procedure"]["steps"][0]["current"] and detail["alarms"]
        skipped = await client.post(
            f"/api/incidents/{incident.id}/procedure/steps/verify/skip",
            json={"justification": "the fire panel confirms it"},
            headers=alice,
        )
        assert skipped.status_code == 200, skipped.text
        notices = (await client.get("/api/supervision/notifications", headers=sam)).json()
        assert [(n["incident_id"], n["actor"]) for n in notices] == [(incident.id, "alice")]
