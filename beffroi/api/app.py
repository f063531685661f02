"""Builds the FastAPI application from the parts the composition root hands it."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from beffroi import __version__
from beffroi.ingest.gateway import Gateway
from beffroi.ingest.http import build_ingest_router

ComponentStates = Callable[[], Mapping[str, str]]


def create_app(
    *,
    component_states: ComponentStates,
    gateway: Gateway | None = None,
    ingest_token: Callable[[], str | None] | None = None,
) -> FastAPI:
    """The API: `/health` (liveness, no data) and, when a gateway runs here, `POST /ingest/{tenant_id}`."""
    app = FastAPI(
        title="Beffroi",
        version=__version__,
        description="Open control tower for the security of large events, cities and sensitive sites.",
    )

    @app.get("/health", tags=["health"], summary="Liveness: which components run in this process")
    async def health() -> JSONResponse:
        states = dict(component_states())
        healthy = all(state == "running" for state in states.values())
        return JSONResponse(
            {"status": "ok" if healthy else "degraded", "version": __version__, "components": states},
            status_code=200 if healthy else 503,
        )

    if gateway is not None:
        current_gateway = gateway
        app.include_router(
            build_ingest_router(lambda: current_gateway, ingest_token or (lambda: None)), tags=["ingest"]
        )
    return app
