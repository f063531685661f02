"""GET /api/live (WebSocket): alarm and incident changes, device health and zone levels of the user's tenant,
pushed as they change, resumable by cursor (docs/live-stream.md)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from beffroi.api.auth.errors import AuthenticationFailed
from beffroi.api.auth.principal import Principal
from beffroi.api.context import ApiContext
from beffroi.api.live.frames import Heartbeat, UserOut, Welcome, encode
from beffroi.api.live.handshake import BadHello, ClientHello, CloseCode, close_reason, parse_hello, token_expiry
from beffroi.api.live.hub import LiveHub, Session

log = logging.getLogger("beffroi.api.live")

router = APIRouter()

CLOSE_TIMEOUT_S = 5.0
MIN_WAIT_S = 0.01


@router.websocket("/api/live")
async def live_stream(websocket: WebSocket) -> None:
    """Hello (token, cursor, sites) within `hello_timeout_s`, then welcome, snapshot or missed changes, then
    `changes` frames and heartbeats until the client leaves, falls too far behind (4408) or its token expires
    (4401)."""
    context: ApiContext = websocket.app.state.api_context
    await websocket.accept()
    hub = context.live
    if hub is None:
        await _close(websocket, CloseCode.TRY_AGAIN_LATER, "live stream not available in this API process")
        return
    try:
        hello = await asyncio.wait_for(_receive_hello(websocket), hub.settings.hello_timeout_s)
    except TimeoutError:
        await _close(websocket, CloseCode.UNAUTHENTICATED, f"no hello within {hub.settings.hello_timeout_s:g} s")
        return
    except BadHello as error:
        await _close(websocket, CloseCode.BAD_HELLO, str(error))
        return
    except WebSocketDisconnect:
        return
    try:
        principal = await context.authenticator.authenticate(hello.token)
    except AuthenticationFailed as error:
        await _close(websocket, CloseCode.UNAUTHENTICATED, f"{error.reason}: {error.detail}")
        return
    expires_at = token_expiry(hello.token)
    session = hub.connect(principal.tenant_id, hello.since, hello.sites)
    try:
        await _serve(websocket, hub, session, principal, expires_at, context.clock)
    finally:
        hub.disconnect(session.subscriber)


async def _receive_hello(websocket: WebSocket) -> ClientHello:
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    return parse_hello(message)


async def _serve(
    websocket: WebSocket,
    hub: LiveHub,
    session: Session,
    principal: Principal,
    expires_at: float | None,
    clock: Callable[[], float],
) -> None:
    user = UserOut(principal.subject, principal.tenant_id, principal.role.value)
    welcome = encode(Welcome(session.cursor, session.resumed, user, hub.settings.heartbeat_s))
    sender = asyncio.create_task(_send_frames(websocket, hub, session, welcome, expires_at, clock))
    reader = asyncio.create_task(_read_until_closed(websocket))
    too_slow = asyncio.create_task(session.subscriber.wait_too_slow())
    tasks = {sender, reader, too_slow}
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    if too_slow in done:
        limit = hub.settings.max_frames_behind
        await _close(websocket, CloseCode.TOO_SLOW, f"too slow: more than {limit} frames behind; resume")
    elif sender in done and not sender.cancelled():
        error = sender.exception()
        if error is None:
            code, reason = sender.result()
            await _close(websocket, code, reason)
        elif not isinstance(error, WebSocketDisconnect):  # the client left mid-send: nothing to say
            log.error("live stream of %s failed", principal.subject, exc_info=error)
            await _close(websocket, 1011, "internal error")


async def _send_frames(
    websocket: WebSocket,
    hub: LiveHub,
    session: Session,
    welcome: bytes,
    expires_at: float | None,
    clock: Callable[[], float],
) -> tuple[CloseCode, str]:
    """Send the welcome and the opening frame, then the subscriber's frames, and a heartbeat after `heartbeat_s` of
    silence, until the token expires."""
    await _send(websocket, welcome)
    if session.opening is not None:
        await _send(websocket, session.opening)
    subscriber = session.subscriber
    heartbeat_s = hub.settings.heartbeat_s
    loop = asyncio.get_running_loop()
    last_sent = loop.time()
    while True:
        wait_s = heartbeat_s - (loop.time() - last_sent)
        if expires_at is not None:
            wait_s = min(wait_s, expires_at - clock())
        frame = await subscriber.next_frame(max(wait_s, MIN_WAIT_S))
        if expires_at is not None and clock() >= expires_at:
            return CloseCode.UNAUTHENTICATED, "token_expired: the token has expired: log in again"
        if frame is not None:
            await _send(websocket, frame)
            last_sent = loop.time()
        elif not subscriber.too_slow and loop.time() - last_sent >= heartbeat_s:
            await _send(websocket, encode(Heartbeat(hub.cursor_of(subscriber), clock())))
            last_sent = loop.time()


async def _read_until_closed(websocket: WebSocket) -> None:
    """Returns when the client closes; what it sends after its hello is ignored."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return


async def _send(websocket: WebSocket, frame: bytes) -> None:
    await websocket.send_text(frame.decode())


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    """Close with `code`; a client already gone, or one that does not take the close frame in time, is left."""
    with contextlib.suppress(RuntimeError, WebSocketDisconnect, TimeoutError):
        await asyncio.wait_for(websocket.close(code, close_reason(reason)), CLOSE_TIMEOUT_S)
