"""The live stream as the composition root wires it, over a real socket: a user logs in, opens /api/live, gets the
tiny scenario in a snapshot and the simulated fire, its incident and crowd counts as they happen; an API-only process
has the bus and the stream too."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from beffroi.app import Application
from beffroi.cli_users import create_user
from tests.test_app import SMOKE, TENANT, StartApp, api_url, ingest_token, start_app  # noqa: F401

websockets = pytest.importorskip("websockets", reason="uvicorn serves WebSockets with the websockets package")
from websockets.asyncio.client import ClientConnection, connect  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402

PASSWORD = "correct horse battery"


async def login(app: Application) -> str:
    assert app.store is not None
    create_user(app.store, TENANT, "alice", PASSWORD, "operator", "Alice")
    async with httpx.AsyncClient(base_url=api_url(app)) as http:
        answer = await http.post("/api/auth/login", json={"tenant": TENANT, "username": "alice", "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def live_url(app: Application) -> str:
    return api_url(app).replace("http://", "ws://") + "/api/live"


async def receive(ws: ClientConnection) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(await ws.recv(decode=True))
    return frame


async def test_the_stream_shows_the_simulated_fire_and_crowds(start_app: StartApp) -> None:  # noqa: F811
    app = await start_app()
    token = await login(app)
    async with connect(live_url(app)) as ws:
        await ws.send(json.dumps({"type": "hello", "token": token, "since": None}))
        welcome = await receive(ws)
        assert welcome["type"] == "welcome" and welcome["user"]["subject"] == "alice"
        snapshot = await receive(ws)
        assert snapshot["type"] == "snapshot"
        assert len(snapshot["devices"]) == 12 and len(snapshot["zones"]) == 3

        fire = [a for a in snapshot["alarms"] if a["key"]["source"] == SMOKE]
        incidents = [i for i in snapshot["incidents"] if i["type"] == "fire"]
        counted = {z["id"] for z in snapshot["zones"] if z["count"] is not None}
        while not (fire and incidents and counted):
            frame = await receive(ws)
            assert frame["type"] in {"changes", "heartbeat"}, frame
            for change in frame.get("changes", []):
                data = change["data"]
                if change["kind"] == "alarm" and data["alarm"]["key"]["source"] == SMOKE:
                    fire.append(data["alarm"])
                if change["kind"] == "zone" and data["count"] is not None:
                    counted.add(data["id"])
                if change["kind"] == "incident" and data["incident"]["type"] == "fire":
                    incidents.append(data["incident"])
        assert fire[0]["key"]["type"] == "fire_alarm"
        assert fire[0]["id"] in incidents[-1]["alarm_ids"] and incidents[-1]["procedure"] == "fire"


async def test_an_api_only_process_has_the_bus_and_the_stream(start_app: StartApp) -> None:  # noqa: F811
    app = await start_app(["api"])
    assert app.bus is not None and "live" in app.health()
    token = await login(app)
    async with connect(live_url(app)) as ws:
        await ws.send(json.dumps({"type": "hello", "token": token}))
        assert (await receive(ws))["type"] == "welcome"
        snapshot = await receive(ws)
        assert len(snapshot["devices"]) == 12
    await app.stop()
    assert app.bus is None


async def test_a_bad_token_is_closed_4401_over_the_socket(start_app: StartApp) -> None:  # noqa: F811
    app = await start_app(["api"])
    async with connect(live_url(app)) as ws:
        await ws.send(json.dumps({"type": "hello", "token": "nope"}))
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
