"""Opening /api/live: the hello must come in time, be JSON of the documented shape, and carry a valid, current
token; otherwise the server closes with 4401 or 4400 and a reason naming the problem. Without a hub: 1013."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from beffroi.api.app import create_app
from beffroi.api.auth.roles import Role
from beffroi.api.auth.settings import AuthSettings
from beffroi.api.auth.tokens import LocalTokens
from beffroi.store.store import Store
from tests.api.live.asgi_websocket import Closed, connected
from tests.api.world import SECRET, TENANT_A, token


async def closed_after(app: FastAPI, hello: str | None) -> Closed:
    async with connected(app) as ws:
        if hello is not None:
            await ws.send_text(hello)
        with pytest.raises(Closed) as closed:
            await ws.receive_json()
        return closed.value


async def test_no_hello_in_time_is_4401(live_api: FastAPI) -> None:
    closed = await closed_after(live_api, None)
    assert closed.code == 4401
    assert "no hello within 0.3 s" in closed.reason


async def test_a_hello_that_is_not_json_is_4400(live_api: FastAPI) -> None:
    closed = await closed_after(live_api, "hello, server")
    assert (closed.code, closed.reason) == (4400, "the hello is not valid JSON")


@pytest.mark.parametrize(
    ("hello", "named"),
    [
        ('{"type": "hello", "token": 42}', "$.token"),
        ('{"type": "hello"}', "`token`"),
        ('{"type": "subscribe", "token": "x"}', "$.type"),
        ('{"type": "hello", "token": "x", "sites": "square"}', "$.sites"),
        ('{"type": "hello", "token": "x", "colour": "red"}', "`colour`"),
        ('{"type": "hello", "token": "x", "since": "yesterday"}', "`since`"),
        ("[1, 2]", "object"),
    ],
)
async def test_a_hello_of_the_wrong_shape_is_4400_naming_the_field(live_api: FastAPI, hello: str, named: str) -> None:
    closed = await closed_after(live_api, hello)
    assert closed.code == 4400
    assert named in closed.reason


async def test_a_bad_token_is_4401(live_api: FastAPI) -> None:
    closed = await closed_after(live_api, '{"type": "hello", "token": "not-a-token"}')
    assert closed.code == 4401
    assert closed.reason.startswith("invalid_token")


async def test_an_expired_token_is_4401(live_api: FastAPI) -> None:
    expired = LocalTokens(SECRET, -10).issue("viewer", TENANT_A, Role.VIEWER).token
    closed = await closed_after(live_api, f'{{"type": "hello", "token": "{expired}"}}')
    assert closed.code == 4401
    assert closed.reason.startswith("token_expired")


async def test_a_token_of_a_disabled_account_is_4401(live_api: FastAPI) -> None:
    ghost = LocalTokens(SECRET, 3600).issue("ghost", TENANT_A, Role.ADMIN).token
    closed = await closed_after(live_api, f'{{"type": "hello", "token": "{ghost}"}}')
    assert closed.code == 4401
    assert closed.reason.startswith("account_disabled")


async def test_without_a_hub_the_stream_is_unavailable_1013(world: Store) -> None:
    app = create_app(component_states=lambda: {"api": "running"}, store=world, auth=AuthSettings(SECRET))
    closed = await closed_after(app, f'{{"type": "hello", "token": "{token(TENANT_A, Role.VIEWER)}"}}')
    assert closed.code == 1013
    assert "not available" in closed.reason


async def test_a_good_hello_is_welcomed_with_the_user(live_api: FastAPI) -> None:
    async with connected(live_api) as ws:
        await ws.send_json({"type": "hello", "token": token(TENANT_A, Role.OPERATOR), "since": None})
        welcome = await ws.receive_json()
        assert welcome["type"] == "welcome"
        assert welcome["user"] == {"subject": "operator", "tenant_id": TENANT_A, "role": "operator"}
        assert welcome["resumed"] is False
        assert welcome["heartbeat_s"] == 0.4
        epoch, _, seq = welcome["cursor"].rpartition(":")
        assert epoch and seq.isdigit()
        assert (await ws.receive_json())["type"] == "snapshot"
