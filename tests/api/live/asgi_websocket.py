"""A WebSocket client of an ASGI application running in the test's own event loop (the application is called
directly, as httpx's ASGITransport does for HTTP), so the bus, the engine, the hub and the route share one loop.

`buffer` bounds the frames the client holds unread: a server sending more waits, like one writing to a socket
whose peer does not read (the slow client). Close frames always get through.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, MutableMapping
from typing import Any

from fastapi import FastAPI

TIMEOUT_S = 5.0


class Closed(Exception):
    """The server closed the connection."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"closed with {code}: {reason}")
        self.code = code
        self.reason = reason


class WebSocketClient:
    """One connection to `path` of an ASGI application (see the module docstring)."""

    def __init__(self, app: FastAPI, path: str, buffer: int = 0) -> None:
        self._app = app
        self._path = path
        self._to_server: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._frames: asyncio.Queue[str] = asyncio.Queue(maxsize=buffer)
        self._accepted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._closed: asyncio.Future[Closed] = asyncio.get_running_loop().create_future()
        self._task: asyncio.Task[None] | None = None
        self.accepted = False

    async def open(self) -> None:
        """Connect; returns once the server accepted (or raises Closed)."""
        scope = {
            "type": "websocket",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "scheme": "ws",
            "path": self._path,
            "raw_path": self._path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"beffroi")],
            "client": ("127.0.0.1", 50000),
            "server": ("beffroi", 80),
            "subprotocols": [],
            "state": {},
            "extensions": {},
        }
        await self._to_server.put({"type": "websocket.connect"})
        self._task = asyncio.create_task(self._app(scope, self._to_server.get, self._from_server))
        waiting = asyncio.ensure_future(asyncio.shield(self._accepted))
        done, _ = await asyncio.wait({waiting, self._task}, timeout=TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED)
        if not done:
            raise AssertionError("the server neither accepted nor closed the connection")
        waiting.cancel()
        if not self.accepted:
            raise self._closed.result() if self._closed.done() else AssertionError("the server ended without a word")

    async def _from_server(self, message: MutableMapping[str, Any]) -> None:
        kind = message["type"]
        if kind == "websocket.accept":
            self.accepted = True
            self._accepted.set_result(None)
        elif kind == "websocket.send":
            await self._frames.put(message["text"] if message.get("text") is not None else message["bytes"].decode())
        elif kind == "websocket.close":
            if not self._accepted.done():
                self._accepted.set_result(None)
            if not self._closed.done():
                self._closed.set_result(Closed(message.get("code", 1000), message.get("reason") or ""))
        else:
            raise AssertionError(f"unexpected ASGI message from the server: {message}")

    async def send_text(self, text: str) -> None:
        """A text frame to the server."""
        await self._to_server.put({"type": "websocket.receive", "text": text})

    async def send_json(self, value: Any) -> None:
        """A JSON text frame to the server."""
        await self.send_text(json.dumps(value))

    async def receive_json(self, timeout_s: float = TIMEOUT_S) -> dict[str, Any]:
        """The next frame; Closed when the server closed instead (frames sent before the close come first)."""
        if self._frames.empty() and self._closed.done():
            raise self._closed.result()
        getting = asyncio.ensure_future(self._frames.get())
        closing = asyncio.ensure_future(asyncio.shield(self._closed))
        either: set[asyncio.Future[Any]] = {getting, closing}
        try:
            done, _ = await asyncio.wait(either, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            closing.cancel()
        if getting in done:
            frame: dict[str, Any] = json.loads(getting.result())
            return frame
        getting.cancel()
        if closing in done or self._closed.done():
            raise self._closed.result()
        raise AssertionError(f"no frame within {timeout_s} s")

    async def receive_until(self, frame_type: str, timeout_s: float = TIMEOUT_S) -> dict[str, Any]:
        """The next frame of this type, skipping others (heartbeats)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while True:
            frame = await self.receive_json(max(0.01, deadline - loop.time()))
            if frame["type"] == frame_type:
                return frame

    @property
    def closed_with(self) -> Closed | None:
        """How the server closed the connection, or None while it is open."""
        return self._closed.result() if self._closed.done() else None

    async def wait_closed(self, timeout_s: float = TIMEOUT_S) -> Closed:
        """How the server closed the connection (unread frames are left)."""
        return await asyncio.wait_for(asyncio.shield(self._closed), timeout_s)

    async def close(self) -> None:
        """Disconnect, and wait for the server's handler to end (re-raising what it raised)."""
        await self._to_server.put({"type": "websocket.disconnect", "code": 1000})
        while not self._frames.empty():  # let a server blocked on a full buffer move on
            self._frames.get_nowait()
        if self._task is not None:
            await asyncio.wait_for(self._task, TIMEOUT_S)


@contextlib.asynccontextmanager
async def connected(app: FastAPI, path: str = "/api/live", buffer: int = 0) -> AsyncIterator[WebSocketClient]:
    """A connection, disconnected at the end."""
    client = WebSocketClient(app, path, buffer)
    await client.open()
    try:
        yield client
    finally:
        await client.close()
