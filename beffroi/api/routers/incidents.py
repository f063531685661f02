"""GET /api/incidents (filtered, paginated), /api/incidents/{id} (with alarms, timeline, evidence and procedure), and
the operator's actions on one: transition, assign, disposition, notes, complete or skip a procedure step.

The incident worker applies each action and writes its timeline and audit entries; it is reached through the
IncidentCommandSink the application was given (`use_incident_commands`). Viewers read; operators act; closing and
reopening an incident need a supervisor.

A procedure's texts (title, steps, checklist items, choice labels) come in every language they are written in: in
the procedure's `language`, and in the others under `translations`; a client shows its own language (the console
does, falling back to English). Timeline and audit entries stay in the language they were written in.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, FastAPI, Query, Request

from beffroi.api.auth.dependencies import Context, Operator, Viewer
from beffroi.api.auth.errors import PermissionDenied
from beffroi.api.auth.principal import Principal
from beffroi.api.auth.roles import Role
from beffroi.api.context import ApiContext
from beffroi.api.errors import EngineUnavailable
from beffroi.api.responses import MsgspecJSON, page
from beffroi.api.routers.common import Identifier, Limit, Offset
from beffroi.api.schemas import ErrorOut, Page
from beffroi.api.schemas_incidents import (
    AssignIn,
    CompleteStepIn,
    DispositionIn,
    IncidentChangeOut,
    IncidentDetailOut,
    IncidentOut,
    NoteIn,
    SkipStepIn,
    TransitionIn,
)
from beffroi.domain.incidents import OPEN_STATES, IncidentState, needs_supervisor
from beffroi.domain.messages import IncidentAction, IncidentChange, IncidentCommand
from beffroi.domain.procedures import view

router = APIRouter(prefix="/api/incidents", tags=["incidents"], responses={404: {"model": ErrorOut}})

ACTION_ERRORS: dict[int | str, dict[str, object]] = {
    403: {"model": ErrorOut, "description": "closing or reopening needs the supervisor role"},
    404: {"model": ErrorOut, "description": "no incident (or step) with this id in your tenant"},
    409: {"model": ErrorOut, "description": "not allowed in the incident's (or the step's) state"},
    422: {"model": ErrorOut},
    503: {"model": ErrorOut, "description": "no incident worker is reachable from this API, or it failed"},
    504: {"model": ErrorOut, "description": "the incident worker did not answer in time (reason `engine_timeout`)"},
}


class IncidentCommandSink(Protocol):
    """Whatever applies an operator's action to an incident: the incident worker (`IncidentWorker.execute`), or its
    proxy over the bus. Returns the change, or raises NotFound, InvalidTransition or RejectedInput."""

    async def execute(self, command: IncidentCommand) -> IncidentChange:
        """Apply, persist and audit the command."""
        ...


def use_incident_commands(app: FastAPI, sink: IncidentCommandSink | None) -> None:
    """Give the application the sink of its incident actions (without one, those routes answer 503)."""
    app.state.incident_commands = sink


def _sink(request: Request) -> IncidentCommandSink:
    sink: IncidentCommandSink | None = getattr(request.app.state, "incident_commands", None)
    if sink is None:
        raise EngineUnavailable("no incident worker runs with this API: incident actions are unavailable")
    return sink


@router.get("", response_model=Page[IncidentOut], summary="Incidents, by priority then newest opened first")
def list_incidents(
    principal: Viewer,
    context: Context,
    state: Annotated[
        list[IncidentState] | None, Query(description="Any of these states (default: every state but closed)")
    ] = None,
    site_id: Identifier | None = None,
    priority: Annotated[list[Annotated[int, Query(ge=1, le=4)]] | None, Query(description="Any of these")] = None,
    assignee: Identifier | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> MsgspecJSON:
    """The tenant's incidents in the given states (repeat `state`), of one site, priorities and assignee when given;
    `total` counts every match."""
    states = list(state) if state else sorted(OPEN_STATES)
    found, total = context.store.query_incidents(
        principal.tenant_id,
        states=states,
        site_id=site_id,
        priorities=priority,
        assignee=assignee,
        limit=limit,
        offset=offset,
    )
    return page(found, total, limit, offset)


@router.get("/{incident_id}", response_model=IncidentDetailOut, summary="One incident with everything about it")
def get_incident(incident_id: str, principal: Viewer, context: Context) -> MsgspecJSON:
    """The incident, its alarms as they are now, its timeline (oldest first), its evidence, and its procedure with
    each step marked applicable and the current one, its texts in every language it has (`language` and
    `translations`); 404 when the tenant has none with this id."""
    record = context.store.get_incident_record(principal.tenant_id, incident_id)
    detail: dict[str, Any] = {
        "incident": record.incident,
        "alarms": record.alarms,
        "timeline": record.timeline,
        "evidence": record.evidence,
        "procedure": view(record.procedure) if record.procedure is not None else None,
    }
    return MsgspecJSON(detail)


@router.post("/{incident_id}/transition", response_model=IncidentChangeOut, responses=ACTION_ERRORS, summary="Move")
async def transition(
    incident_id: str, body: TransitionIn, request: Request, principal: Operator, context: Context
) -> MsgspecJSON:
    """Start (in_progress), hold (on_hold), resolve (once every required procedure step on the path is done or
    skipped), close (a supervisor, once a disposition is set) or reopen (a supervisor: back to in_progress)."""
    current = await asyncio.to_thread(context.store.get_incident, principal.tenant_id, incident_id)
    if needs_supervisor(current.state, body.to) and not principal.role.allows(Role.SUPERVISOR):
        action = "close" if body.to is IncidentState.CLOSED else "reopen"
        raise PermissionDenied(f"to {action} an incident needs the supervisor role; you have {principal.role.value}")
    return await _execute(
        request, context, principal, incident_id, IncidentAction.TRANSITION, target_state=body.to, text=body.reason
    )


@router.post("/{incident_id}/assign", response_model=IncidentChangeOut, responses=ACTION_ERRORS, summary="Assign")
async def assign(
    incident_id: str, body: AssignIn, request: Request, principal: Operator, context: Context
) -> MsgspecJSON:
    """Give the incident to an operator and/or a desk."""
    return await _execute(
        request, context, principal, incident_id, IncidentAction.ASSIGN, assignee=body.assignee, desk=body.desk
    )


@router.post(
    "/{incident_id}/disposition", response_model=IncidentChangeOut, responses=ACTION_ERRORS, summary="Disposition"
)
async def set_disposition(
    incident_id: str, body: DispositionIn, request: Request, principal: Operator, context: Context
) -> MsgspecJSON:
    """Record what the incident was (true, false, or duplicate of `duplicate_of`); it feeds the false-alarm rates."""
    return await _execute(
        request,
        context,
        principal,
        incident_id,
        IncidentAction.SET_DISPOSITION,
        disposition=body.disposition,
        duplicate_of=body.duplicate_of,
        text=body.note,
    )


@router.post("/{incident_id}/notes", response_model=IncidentChangeOut, responses=ACTION_ERRORS, summary="Add a note")
async def add_note(
    incident_id: str, body: NoteIn, request: Request, principal: Operator, context: Context
) -> MsgspecJSON:
    """A note in the timeline; its links and event ids become evidence."""
    return await _execute(
        request,
        context,
        principal,
        incident_id,
        IncidentAction.ADD_NOTE,
        text=body.text,
        links=body.links,
        event_ids=body.event_ids,
    )


@router.post(
    "/{incident_id}/procedure/steps/{step_id}/complete",
    response_model=IncidentChangeOut,
    responses=ACTION_ERRORS,
    summary="Complete a procedure step",
)
async def complete_step(
    incident_id: str,
    step_id: str,
    request: Request,
    principal: Operator,
    context: Context,
    body: CompleteStepIn | None = None,
) -> MsgspecJSON:
    """Mark a pending step on the path done: every checklist item ticked (`checked`, by index), and the `choice` of a
    branching step, which decides the steps that follow."""
    body = body or CompleteStepIn()
    return await _execute(
        request,
        context,
        principal,
        incident_id,
        IncidentAction.COMPLETE_STEP,
        step_id=step_id,
        choice=body.choice,
        checked=body.checked,
        text=body.note,
    )


@router.post(
    "/{incident_id}/procedure/steps/{step_id}/skip",
    response_model=IncidentChangeOut,
    responses=ACTION_ERRORS,
    summary="Skip a procedure step",
)
async def skip_step(
    incident_id: str, step_id: str, body: SkipStepIn, request: Request, principal: Operator, context: Context
) -> MsgspecJSON:
    """Skip a pending step on the path, with a justification; the supervisors are notified (timeline, audit log,
    and the supervision feed). A branching step skipped follows its default branch."""
    return await _execute(
        request,
        context,
        principal,
        incident_id,
        IncidentAction.SKIP_STEP,
        step_id=step_id,
        justification=body.justification,
    )


async def _execute(
    request: Request,
    context: ApiContext,
    principal: Principal,
    incident_id: str,
    action: IncidentAction,
    **fields: Any,
) -> MsgspecJSON:
    sink = _sink(request)
    # Another tenant's incident, or none: the same 404 whatever the worker holds.
    await asyncio.to_thread(context.store.get_incident, principal.tenant_id, incident_id)
    command = IncidentCommand(
        command_id=uuid.uuid4().hex,
        tenant_id=principal.tenant_id,
        incident_id=incident_id,
        action=action,
        actor=principal.subject,
        ts=context.clock(),
        **fields,
    )
    return MsgspecJSON(await sink.execute(command))
