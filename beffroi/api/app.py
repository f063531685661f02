"""Builds the FastAPI application from the parts the composition root hands it."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from beffroi import __version__
from beffroi.api.auth.settings import AuthSettings
from beffroi.api.camera_hub import CameraHub
from beffroi.api.console import ConsoleSettings, mount_console
from beffroi.api.context import AlarmCommandSink, EventSink
from beffroi.api.live.hub import LiveHub
from beffroi.api.operator_api import build_context, mount_operator_api
from beffroi.api.routers.incidents import IncidentCommandSink, use_incident_commands
from beffroi.engine.desks import OperatorDesk
from beffroi.exports.cap.incident_mapping import CapExportSettings
from beffroi.ingest.gateway import Gateway
from beffroi.ingest.http import build_ingest_router
from beffroi.store.snapshots import SnapshotStore
from beffroi.store.store import Store

ComponentStates = Callable[[], Mapping[str, str]]


def create_app(
    *,
    component_states: ComponentStates,
    gateway: Gateway | None = None,
    ingest_token: Callable[[], str | None] | None = None,
    store: Store | None = None,
    auth: AuthSettings | None = None,
    alarm_commands: AlarmCommandSink | None = None,
    live: LiveHub | None = None,
    console: ConsoleSettings | None = None,
    event_sink: EventSink | None = None,
    incident_commands: IncidentCommandSink | None = None,
    desks: Sequence[OperatorDesk] = (),
    cap: CapExportSettings | None = None,
    cameras: CameraHub | None = None,
    snapshots: SnapshotStore | None = None,
    clock: Callable[[], float] = time.time,
) -> FastAPI:
    """The API: `/health` (liveness, no data); when a gateway runs here, `POST /ingest/{tenant_id}`; and with a
    store and auth settings, the operator API under `/api` (OpenAPI at `/api/openapi.json`).

    `alarm_commands` applies operator actions on alarms (the engine: `EngineWorker` in-process); without it those
    routes answer 503. `live` is the hub of the live stream (`/api/live`, a WebSocket), fed by a `LiveFeedWorker`;
    without it the stream closes every connection with 1013. `clock` stamps tokens and audit entries and times token
    expiry on the live stream (tests move it). With `console` settings, the web console is served at `/` (and its
    settings at `/api/console/config`). `event_sink` publishes the events the API takes in (imported CAP alerts);
    without it they are checked and returned, not published. `incident_commands` applies operator actions on
    incidents (the `IncidentWorker` in-process, or `BusIncidentCommands`); without it those routes answer 503.
    `desks` are the operator desks the supervisors' alarm rates are counted per (none: one default desk); `cap` the
    settings of the incidents' CAP exports (None: the defaults of the config's `[cap]`); `cameras` the hub of the
    cameras a video worker analyses in this process and `snapshots` where their event pictures are.
    """
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

    if store is not None and auth is not None:
        context = build_context(
            store,
            auth,
            alarm_commands,
            clock=clock,
            live=live,
            event_sink=event_sink,
            desks=desks,
            cap=cap,
            cameras=cameras,
            snapshots=snapshots,
        )
        mount_operator_api(app, context)
        use_incident_commands(app, incident_commands)
    elif store is not None or auth is not None:
        raise ValueError("the operator API needs both `store` and `auth`")

    if console is not None:
        mount_console(app, console)

    if gateway is not None:
        current_gateway = gateway
        app.include_router(
            build_ingest_router(lambda: current_gateway, ingest_token or (lambda: None)), tags=["ingest"]
        )
    return app
