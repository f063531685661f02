"""What the operator API's routes work with: the store, the authenticator, the token issuer, the alarm commands,
the live stream's hub, the operator desks and the CAP exporter."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from fastapi import Request

from beffroi.api.auth.authenticator import Authenticator
from beffroi.api.auth.tokens import LocalTokens
from beffroi.api.camera_hub import CameraHub
from beffroi.api.incident_cap import IncidentCapExporter
from beffroi.api.live.hub import LiveHub
from beffroi.domain.messages import AlarmChange, AlarmCommand
from beffroi.domain.observations import Event
from beffroi.engine.desks import OperatorDesk
from beffroi.store.snapshots import SnapshotStore
from beffroi.store.store import Store


class AlarmCommandSink(Protocol):
    """Whatever applies an operator's action to an alarm: the engine (in-process, `EngineWorker.execute`).

    `execute` returns the change, or raises NotFound (no such open alarm in the tenant), InvalidTransition (not
    allowed in the alarm's state) or RejectedInput (a bad reason or duration).
    """

    async def execute(self, command: AlarmCommand) -> AlarmChange:
        """Apply, persist and audit the command."""
        ...


EventSink = Callable[[list[Event]], Awaitable[None]]
"""Hands events the API received (imported CAP alerts) to the engine and the recorder: publishes them on the bus."""


@dataclass(frozen=True)
class ApiContext:
    """Shared by every request of one application. Without `live` (no bus feeds this process), /api/live closes
    every connection with 1013. `desks` are the operator desks of the alarm rates (none: every alarm at the default
    desk); `cap_exporter` renders and records the incidents' CAP messages (None: those routes answer 503); `cameras`
    the cameras analysed in this process (their live view) and `snapshots` the pictures of video events (None: the
    camera routes show the registry's cameras only)."""

    store: Store
    authenticator: Authenticator
    tokens: LocalTokens
    alarm_commands: AlarmCommandSink | None
    clock: Callable[[], float] = field(default=time.time)
    live: LiveHub | None = None
    event_sink: EventSink | None = None
    desks: tuple[OperatorDesk, ...] = ()
    cap_exporter: IncidentCapExporter | None = None
    cameras: CameraHub | None = None
    snapshots: SnapshotStore | None = None


def api_context(request: Request) -> ApiContext:
    """The application's context (a FastAPI dependency)."""
    context: ApiContext = request.app.state.api_context
    return context
