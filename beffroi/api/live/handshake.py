"""The opening of a live stream: the close codes, reading the client's hello, and when its token expires."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import jwt
import msgspec

from beffroi.api.live.cursor import BadCursor, Cursor
from beffroi.api.live.frames import decode_hello

MAX_REASON_BYTES = 123  # a WebSocket close frame's reason is at most 123 bytes of UTF-8


class CloseCode(IntEnum):
    """Why the server closes a live stream."""

    TRY_AGAIN_LATER = 1013  # no live stream in this API process
    BAD_HELLO = 4400
    UNAUTHENTICATED = 4401  # no hello in time, bad or expired token
    TOO_SLOW = 4408


class BadHello(ValueError):
    """The first frame is not a hello of the documented shape; the message names the field."""


@dataclass(frozen=True)
class ClientHello:
    """A valid hello: the token to check, the cursor to resume after (None: snapshot), the sites (None: all)."""

    token: str
    since: Cursor | None
    sites: list[str] | None


def parse_hello(message: Mapping[str, Any]) -> ClientHello:
    """The hello in an ASGI `websocket.receive` message; BadHello saying what is wrong otherwise."""
    data = message.get("text")
    if data is None:
        data = message.get("bytes")
    if not data:
        raise BadHello("the hello frame is empty")
    try:
        hello = decode_hello(data)
    except msgspec.ValidationError as error:
        raise BadHello(f"bad hello: {error}") from None
    except msgspec.DecodeError:
        raise BadHello("the hello is not valid JSON") from None
    try:
        since = Cursor.parse(hello.since) if hello.since is not None else None
    except BadCursor as error:
        raise BadHello(f"bad hello: `since`: {error}") from None
    return ClientHello(hello.token, since, hello.sites)


def close_reason(text: str) -> str:
    """`text` cut to what a close frame can carry."""
    encoded = text.encode()
    if len(encoded) <= MAX_REASON_BYTES:
        return text
    return encoded[: MAX_REASON_BYTES - 3].decode(errors="ignore") + "..."


def token_expiry(token: str) -> float | None:
    """When an already verified token expires (its `exp` claim), or None when it says nothing."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    expiry = claims.get("exp")
    return float(expiry) if isinstance(expiry, int | float) and not isinstance(expiry, bool) else None
