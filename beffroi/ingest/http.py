"""The HTTP ingest endpoint: `POST /ingest/{tenant_id}` with one JSON message, a JSON array of them, or NDJSON.

Senders present the ingest token as `Authorization: Bearer <token>`. Each message of an array or NDJSON body goes
through the gateway on its own, so one bad message does not refuse the others; refused ones are dead-lettered
and listed in the answer with their index (for NDJSON, the 0-based line number).

Answers: 202 `{"accepted", "duplicates", "readings", "events", "rejected": [{"index", "reason", "detail"}]}`;
400 `{"reason": "malformed" | "empty", "detail"}` when the body holds no message at all; 401 `unauthorized`;
413 `too_large`; 503 `ingest_token_not_configured` (the endpoint is never open by default) or `bus_unavailable`
(nothing is lost: send again, duplicates are ignored).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Callable

import msgspec
import pydantic
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from beffroi.ingest.gateway import Gateway
from beffroi.ingest.outcome import IngestOutcome, OutcomeStatus

log = logging.getLogger(__name__)

DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines")
_LIST_OF_RAW = msgspec.json.Decoder(list[msgspec.Raw])


class RejectedItem(pydantic.BaseModel):
    """One refused message of the body."""

    index: int
    reason: str
    detail: str


class IngestResult(pydantic.BaseModel):
    """What happened to the messages of a body."""

    accepted: int
    duplicates: int
    readings: int
    events: int
    rejected: list[RejectedItem]


class IngestError(pydantic.BaseModel):
    """Why the whole request was refused."""

    reason: str
    detail: str = ""


def build_ingest_router(
    gateway_provider: Callable[[], Gateway],
    token_provider: Callable[[], str | None],
    *,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> APIRouter:
    """The router with `POST /ingest/{tenant_id}`; the gateway and the token are looked up on every request."""
    router = APIRouter(tags=["ingest"])

    @router.post(
        "/ingest/{tenant_id}",
        status_code=202,
        response_model=IngestResult,
        responses={
            400: {"model": IngestError, "description": "The body holds no message (not JSON, or empty)"},
            401: {"model": IngestError, "description": "Missing or wrong ingest token"},
            413: {"model": IngestError, "description": "Body larger than the limit"},
            503: {"model": IngestError, "description": "No ingest token configured, or the bus is unavailable"},
        },
        summary="Send device messages (JSON object, JSON array or NDJSON)",
    )
    async def ingest(tenant_id: str, request: Request) -> JSONResponse:
        expected_token = token_provider()
        if not expected_token:
            return _error(503, "ingest_token_not_configured", "set the ingest token to enable this endpoint")
        if not _token_matches(request.headers.get("authorization"), expected_token):
            return _error(401, "unauthorized", "send Authorization: Bearer <ingest token>", bearer=True)
        gateway = gateway_provider()
        source = f"http:{tenant_id[:128]}"
        body, complete = await _read_body(request, max_body_bytes)
        if not complete:
            detail = f"body larger than {max_body_bytes} bytes"
            keep = body[: gateway.max_payload_bytes]
            await gateway.reject(source, tenant_id, keep, "too_large", f"{detail} (first {len(keep)} bytes kept)")
            return _error(413, "too_large", detail)
        try:
            return await _ingest_body(gateway, source, tenant_id, body, request.headers.get("content-type", ""))
        except Exception as exc:  # the sink failed: nothing acknowledged, the sender sends again
            log.warning("HTTP ingest for %s: the bus refused the data: %s", source, repr(exc))
            return _error(503, "bus_unavailable", "the bus did not take the data; send it again")

    return router


async def _ingest_body(gateway: Gateway, source: str, tenant_id: str, body: bytes, content_type: str) -> JSONResponse:
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type in NDJSON_TYPES:
        items = [(index, line) for index, line in enumerate(body.split(b"\n")) if line.strip()]
        if not items:
            await gateway.reject(source, tenant_id, body, "empty", "the NDJSON body has no line")
            return _error(400, "empty", "the NDJSON body has no line")
    elif body.lstrip()[:1] == b"[":
        try:
            raws = _LIST_OF_RAW.decode(body)
        except msgspec.DecodeError as exc:
            detail = f"the body is not a JSON array: {exc}"
            await gateway.reject(source, tenant_id, body, "malformed", detail)
            return _error(400, "malformed", detail)
        if not raws:
            await gateway.reject(source, tenant_id, body, "empty", "the array has no message")
            return _error(400, "empty", "the array has no message")
        items = [(index, bytes(raw)) for index, raw in enumerate(raws)]
    else:
        outcome = await gateway.handle(source, tenant_id, body)
        if outcome.rejected and outcome.reason in ("malformed", "empty"):
            return _error(400, outcome.reason or "malformed", outcome.detail or "")
        return _result([(0, outcome)])
    settled = await asyncio.gather(
        *(gateway.handle(source, tenant_id, raw) for _, raw in items), return_exceptions=True
    )
    outcomes: list[tuple[int, IngestOutcome]] = []
    for (index, _), settled_item in zip(items, settled, strict=True):
        if isinstance(settled_item, BaseException):
            raise settled_item  # every message has settled; the sender sends the body again
        outcomes.append((index, settled_item))
    return _result(outcomes)


def _result(outcomes: list[tuple[int, IngestOutcome]]) -> JSONResponse:
    result = IngestResult(accepted=0, duplicates=0, readings=0, events=0, rejected=[])
    for index, outcome in outcomes:
        result.duplicates += outcome.duplicates
        result.readings += outcome.readings
        result.events += outcome.events
        if outcome.status is OutcomeStatus.ACCEPTED:
            result.accepted += 1
        elif outcome.status is OutcomeStatus.REJECTED:
            result.rejected.append(RejectedItem(index=index, reason=outcome.reason or "", detail=outcome.detail or ""))
    return JSONResponse(result.model_dump(), status_code=202)


def _token_matches(authorization: str | None, expected: str) -> bool:
    """True when the header is `Bearer <expected>`; compared in constant time."""
    if not authorization:
        return False
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(token.strip().encode(), expected.encode())


async def _read_body(request: Request, limit: int) -> tuple[bytes, bool]:
    """The body, read no further than `limit` bytes; the flag is False when it is longer (then a prefix)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return b"", False
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            chunks.append(chunk)
            return b"".join(chunks)[:limit], False
        chunks.append(chunk)
    return b"".join(chunks), True


def _error(status: int, reason: str, detail: str, *, bearer: bool = False) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if bearer else None
    return JSONResponse(IngestError(reason=reason, detail=detail).model_dump(), status_code=status, headers=headers)
