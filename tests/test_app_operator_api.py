"""The operator API as the composition root wires it: a user logs in, sees the alarm the simulator's fire raised,
acknowledges it through the engine, and finds the acknowledgement in the audit log."""

from __future__ import annotations

import httpx

from beffroi.cli_users import create_user
from beffroi.domain.alarms import AlarmState
from tests.bus.support import wait_until
from tests.exports.cap.samples import fr_alert
from tests.test_app import SMOKE, TENANT, StartApp, api_url, fire_alarms, ingest_token, start_app  # noqa: F401


async def test_login_list_acknowledge_and_audit(start_app: StartApp) -> None:  # noqa: F811
    app = await start_app()
    store = app.store
    assert store is not None
    create_user(store, TENANT, "alice", "correct horse battery", "operator", "Alice")
    create_user(store, TENANT, "victor", "viewer password", "viewer")
    create_user(store, TENANT, "sam", "supervisor password", "supervisor")
    await wait_until(lambda: len(fire_alarms(store)) == 1, 20.0, lambda: "no fire alarm yet")
    async with httpx.AsyncClient(base_url=api_url(app)) as client:

        async def login(username: str, password: str) -> dict[str, str]:
            answer = await client.post(
                "/api/auth/login", json={"tenant": TENANT, "username": username, "password": password}
            )
            assert answer.status_code == 200, answer.text
            return {"Authorization": f"Bearer {answer.json()['access_token']}"}

        bad = await client.post("/api/auth/login", json={"tenant": TENANT, "username": "alice", "password": "nope"})
        assert bad.status_code == 401
        alice = await login("alice", "correct horse battery")
        listed = (await client.get("/api/alarms", headers=alice)).json()
        fire = next(item for item in listed if item["key"]["type"] == "fire_alarm")
        assert fire["key"]["source"] == SMOKE
        viewer = await login("victor", "viewer password")
        refused = await client.post(f"/api/alarms/{fire['id']}/acknowledge", headers=viewer)
        assert refused.status_code == 403
        acked = await client.post(f"/api/alarms/{fire['id']}/acknowledge", headers=alice)
        assert acked.status_code == 200, acked.text
        assert store.get_alarm(TENANT, fire["id"]).state in {AlarmState.ACKNOWLEDGED, AlarmState.CLEARED}
        again = await client.post(f"/api/alarms/{fire['id']}/acknowledge", headers=alice)
        assert again.status_code in {404, 409}
        supervisor = await login("sam", "supervisor password")
        audit = (await client.get("/api/audit", headers=supervisor)).json()
        entries = audit if isinstance(audit, list) else audit["items"]
        assert any(e["actor"] == "alice" and e["target_id"] == fire["id"] for e in entries), entries


async def test_an_imported_cap_alert_travels_the_bus_and_is_stored_once_as_an_event(
    start_app: StartApp,  # noqa: F811
) -> None:
    app = await start_app()
    store = app.store
    assert store is not None
    create_user(store, TENANT, "sam", "supervisor password", "supervisor")
    async with httpx.AsyncClient(base_url=api_url(app)) as client:
        login = await client.post(
            "/api/auth/login", json={"tenant": TENANT, "username": "sam", "password": "supervisor password"}
        )
        headers = {"Authorization": f"Bearer {login.json()['access_token']}", "Content-Type": "application/cap+xml"}
        for _ in range(2):  # the same alert twice: one event
            answer = await client.post("/api/cap/import", content=fr_alert(), headers=headers)
            assert answer.status_code == 200, answer.text
            assert answer.json()["published"] is True

    def cap_events() -> list[str]:
        return [event.event_id for event in store.query_events(TENANT) if event.type.startswith("cap_")]

    await wait_until(lambda: bool(cap_events()), 10.0, lambda: "the imported alert never reached the store")
    assert len(cap_events()) == len(answer.json()["events"]), cap_events()
