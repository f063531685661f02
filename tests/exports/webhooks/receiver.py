"""A real HTTP receiver for the webhook tests: a Starlette app served by uvicorn on a free loopback port.

Each path behaves in one scripted way: `/ok` answers 204; `/flaky` answers 503 twice then 204; `/down` always
500; `/slow` waits `slow_s` then 204; `/refuse` answers 400; `/throttle` answers 429 with Retry-After once, then
204. Every request is kept (path, headers, body, whether the signature checked out, when it arrived).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from beffroi.exports.webhooks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

SECRET = "webhook-secret-0123456789abcdef"


@dataclass(frozen=True)
class Received:
    """One request as the receiver saw it."""

    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool
    at: float


@dataclass
class Receiver:
    """The running server's address and what it received."""

    base_url: str = ""
    slow_s: float = 1.0
    requests: list[Received] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    arrivals: dict[str, asyncio.Event] = field(default_factory=dict)

    def seen(self, path: str) -> asyncio.Event:
        """Set once `path` received a request."""
        return self.arrivals.setdefault(path, asyncio.Event())

    def url(self, path: str) -> str:
        """The full URL of `path` on this server."""
        return f"{self.base_url}{path}"

    def bodies(self, path: str) -> list[bytes]:
        """The bodies received on `path`, in arrival order."""
        return [request.body for request in self.requests if request.path == path]


def _app(receiver: Receiver) -> Starlette:
    async def handle(request: Request) -> Response:
        path = request.url.path
        body = await request.body()
        receiver.counts[path] += 1
        signature = request.headers.get(SIGNATURE_HEADER, "")
        timestamp = request.headers.get(TIMESTAMP_HEADER, "")
        signed = verify(SECRET, timestamp, body, signature, now=time.time())
        receiver.requests.append(Received(path, dict(request.headers), body, signed, time.monotonic()))
        receiver.seen(path).set()
        count = receiver.counts[path]
        if path == "/flaky" and count <= 2:
            return Response("try later", status_code=503)
        if path == "/down":
            return Response("broken", status_code=500)
        if path == "/slow":
            await asyncio.sleep(receiver.slow_s)
        if path == "/refuse":
            return Response("bad payload", status_code=400)
        if path == "/throttle" and count == 1:
            return Response(status_code=429, headers={"Retry-After": "0.2"})
        return Response(status_code=204)

    paths = ("/ok", "/flaky", "/down", "/slow", "/refuse", "/throttle")
    return Starlette(routes=[Route(path, handle, methods=["POST"]) for path in paths])


@asynccontextmanager
async def running_receiver(slow_s: float = 1.0) -> AsyncIterator[Receiver]:
    """Serve the receiver on 127.0.0.1 (a free port) for the duration of the block."""
    receiver = Receiver(slow_s=slow_s)
    config = uvicorn.Config(
        _app(receiver), host="127.0.0.1", port=0, log_level="warning", lifespan="off", access_log=False, ws="none"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 5
    while not server.started:
        if task.done() or time.monotonic() > deadline:
            raise RuntimeError("the test receiver did not start")
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    receiver.base_url = f"http://127.0.0.1:{port}"
    try:
        yield receiver
    finally:
        server.should_exit = True
        await task
