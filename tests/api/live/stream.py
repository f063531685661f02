"""Helpers of the live stream tests: open a stream as a user of the test world, and read what it says."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI

from beffroi.api.auth.roles import Role
from tests.api.live.asgi_websocket import WebSocketClient, connected
from tests.api.world import token


@dataclass
class Stream:
    """An open stream: the connection, the welcome, and the opening frame (snapshot or missed changes, if any)."""

    ws: WebSocketClient
    welcome: dict[str, Any]
    opening: dict[str, Any] | None
    unread: list[dict[str, Any]] = field(default_factory=list)  # changes of frames read by `change_where`

    async def next_changes(self, timeout_s: float = 5.0) -> dict[str, Any]:
        """The next `changes` frame (heartbeats skipped)."""
        return await self.ws.receive_until("changes", timeout_s)

    async def change_where(self, kind: str, entity_id: str, timeout_s: float = 5.0, **fields: Any) -> dict[str, Any]:
        """The data of the next change of this entity whose fields have these values (earlier changes are skipped,
        later ones of the same frame kept for the next call)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            while self.unread:
                change = self.unread.pop(0)
                data = change["data"]
                data_id = data["alarm"]["id"] if change["kind"] == "alarm" else data["id"]
                if change["kind"] == kind and data_id == entity_id and _has(data, fields):
                    return data  # type: ignore[no-any-return]
            frame = await self.next_changes(max(0.01, deadline - loop.time()))
            self.unread.extend(frame["changes"])


def _has(data: dict[str, Any], fields: dict[str, Any]) -> bool:
    return all(data.get(name) == value for name, value in fields.items())


def ids(items: list[dict[str, Any]]) -> set[str]:
    """The ids of snapshot items."""
    return {item["id"] for item in items}


def by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Snapshot items by id."""
    return {item["id"]: item for item in items}


@contextlib.asynccontextmanager
async def stream(
    app: FastAPI,
    tenant: str,
    role: Role = Role.VIEWER,
    *,
    since: str | None = None,
    sites: list[str] | None = None,
    buffer: int = 0,
    expect_opening: bool = True,
) -> AsyncIterator[Stream]:
    """A stream opened with a hello; `expect_opening=False` when a resumption missed nothing (no opening frame)."""
    async with connected(app, buffer=buffer) as ws:
        hello: dict[str, Any] = {"type": "hello", "token": token(tenant, role), "since": since}
        if sites is not None:
            hello["sites"] = sites
        await ws.send_json(hello)
        if buffer:
            yield Stream(ws, {}, None)
            return
        welcome = await ws.receive_json()
        assert welcome["type"] == "welcome", welcome
        opening = await ws.receive_json() if expect_opening else None
        yield Stream(ws, welcome, opening)
