"""Mounts the operator API (/api/...) on an application: context, error handlers, routers, OpenAPI document."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import httpx
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from beffroi.api.auth.authenticator import Authenticator
from beffroi.api.auth.oidc import OidcVerifier, jwks_source
from beffroi.api.auth.settings import AuthSettings
from beffroi.api.auth.tokens import LocalTokens
from beffroi.api.camera_hub import CameraHub
from beffroi.api.context import AlarmCommandSink, ApiContext, EventSink
from beffroi.api.errors import install_error_handlers
from beffroi.api.incident_cap import IncidentCapExporter
from beffroi.api.live.hub import LiveHub
from beffroi.api.routers import (
    alarms,
    audit,
    auth,
    cameras,
    cap,
    dead_letters,
    devices,
    events,
    incident_cap,
    incidents,
    readings,
    sites,
    supervision,
    tenants,
    users,
    zone_crowd,
    zone_mobile,
    zones,
)
from beffroi.api.routers import live as live_stream
from beffroi.engine.desks import DeskMap, OperatorDesk
from beffroi.exports.cap.incident_mapping import CapExportSettings
from beffroi.store.snapshots import SnapshotStore
from beffroi.store.store import Store

ROUTERS = (
    auth,
    tenants,
    sites,
    zones,
    zone_crowd,
    zone_mobile,
    devices,
    cameras,
    readings,
    events,
    alarms,
    audit,
    dead_letters,
    users,
    cap,
    incidents,
    incident_cap,
    supervision,
    live_stream,
)
OPENAPI_PATH = "/api/openapi.json"
DEFAULT_CAP_SETTINGS = CapExportSettings(sender="beffroi@localhost")
"""The CAP settings of an API given none (the config's `[cap]` defaults)."""


def build_context(
    store: Store,
    auth_settings: AuthSettings,
    alarm_commands: AlarmCommandSink | None,
    *,
    clock: Callable[[], float] = time.time,
    http: httpx.AsyncClient | None = None,
    live: LiveHub | None = None,
    event_sink: EventSink | None = None,
    desks: Sequence[OperatorDesk] = (),
    cap: CapExportSettings | None = None,
    cameras: CameraHub | None = None,
    snapshots: SnapshotStore | None = None,
) -> ApiContext:
    """The routes' shared context; a bad OIDC key file or inline JWKS, bad desks (ConfigError) or CAP settings fail
    here, at start-up. `live` is the live stream's hub, when a live worker feeds one in this process; `cap` the CAP
    export settings (None: DEFAULT_CAP_SETTINGS)."""
    DeskMap(desks)  # ConfigError naming a desk declared twice or watching no site
    tokens = LocalTokens(auth_settings.secret, auth_settings.token_ttl_s, clock)
    oidc = None
    if auth_settings.oidc is not None:
        oidc = OidcVerifier(auth_settings.oidc, jwks_source(auth_settings.oidc, http))
    return ApiContext(
        store=store,
        authenticator=Authenticator(store, tokens, oidc),
        tokens=tokens,
        alarm_commands=alarm_commands,
        clock=clock,
        live=live,
        event_sink=event_sink,
        desks=tuple(desks),
        cap_exporter=IncidentCapExporter(store, cap or DEFAULT_CAP_SETTINGS, clock=clock),
        cameras=cameras,
        snapshots=snapshots,
    )


def mount_operator_api(app: FastAPI, context: ApiContext) -> None:
    """Add the /api routes, their error handlers, and the OpenAPI document at /api/openapi.json."""
    app.state.api_context = context
    install_error_handlers(app)
    for module in ROUTERS:
        app.include_router(module.router)

    @app.get(OPENAPI_PATH, include_in_schema=False)
    async def openapi_document() -> JSONResponse:
        return JSONResponse(app.openapi())
