"""One mapping from Beffroi's errors to HTTP: a 4xx (or 503) with `{"reason": code, "detail": text}`, never a 500."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from beffroi.api.auth.errors import AuthenticationFailed, PermissionDenied
from beffroi.errors import BeffroiError, InvalidTransition, NotFound, RejectedInput, StoreError
from beffroi.validation import key_path

log = logging.getLogger("beffroi.api")

HTTP_REASONS = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
}


class InvalidRows(RejectedInput):
    """An import refused as a whole: `errors` names each bad row (1-based line of the file) and field."""

    def __init__(self, reason: str, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        noun = "problem" if len(errors) == 1 else "problems"
        super().__init__(reason, f"{len(errors)} {noun}, nothing was imported")


class EngineUnavailable(BeffroiError):
    """This API process has no alarm engine to send operator commands to, or the engine failed (HTTP 503)."""


class EngineTimeout(BeffroiError):
    """The alarm engine did not answer an operator command in time (HTTP 504); it may still apply it later."""


class Conflict(BeffroiError):
    """A request at odds with what exists (a taken username, an administrator locking themselves out): HTTP 409
    with `reason` as the machine-readable code."""

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}")


def error_response(status: int, reason: str, detail: str, errors: list[dict[str, Any]] | None = None) -> JSONResponse:
    """The JSON error body every failure shares."""
    body: dict[str, Any] = {"reason": reason, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


def describe_validation(error: RequestValidationError) -> list[dict[str, Any]]:
    """One `{field, detail}` per problem, the field a path such as `query.limit` or `body.duration_s`."""
    return [
        {"field": key_path(list(item.get("loc", ()))), "detail": str(item.get("msg", ""))} for item in error.errors()
    ]


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on the app."""

    @app.exception_handler(NotFound)
    async def not_found(_: Request, error: NotFound) -> JSONResponse:
        return error_response(404, "not_found", str(error))

    @app.exception_handler(InvalidTransition)
    async def invalid_transition(_: Request, error: InvalidTransition) -> JSONResponse:
        return error_response(409, "invalid_transition", str(error))

    @app.exception_handler(RejectedInput)
    async def rejected(_: Request, error: RejectedInput) -> JSONResponse:
        rows = error.errors if isinstance(error, InvalidRows) else None
        return error_response(422, error.reason, error.detail, rows)

    @app.exception_handler(AuthenticationFailed)
    async def unauthenticated(_: Request, error: AuthenticationFailed) -> JSONResponse:
        return error_response(401, error.reason, error.detail)

    @app.exception_handler(PermissionDenied)
    async def forbidden(_: Request, error: PermissionDenied) -> JSONResponse:
        return error_response(403, "forbidden", str(error))

    @app.exception_handler(StoreError)
    async def store_unavailable(_: Request, error: StoreError) -> JSONResponse:
        log.error("store error: %s", error)
        return error_response(503, "store_unavailable", "the database could not answer; try again")

    @app.exception_handler(EngineUnavailable)
    async def engine_unavailable(_: Request, error: EngineUnavailable) -> JSONResponse:
        return error_response(503, "engine_unavailable", str(error))

    @app.exception_handler(EngineTimeout)
    async def engine_timeout(_: Request, error: EngineTimeout) -> JSONResponse:
        return error_response(504, "engine_timeout", str(error))

    @app.exception_handler(Conflict)
    async def conflict(_: Request, error: Conflict) -> JSONResponse:
        return error_response(409, error.reason, error.detail)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        problems = describe_validation(error)
        detail = "; ".join(f"{p['field']}: {p['detail']}" for p in problems)
        return error_response(422, "invalid_request", detail, problems)

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, error: HTTPException) -> JSONResponse:
        reason = HTTP_REASONS.get(error.status_code, "http_error")
        return error_response(error.status_code, reason, str(error.detail))
