"""GET /api/alarms (open by default, most urgent first), /api/alarms/{id}, and the operator's actions on one:
acknowledge, shelve (reason and duration), clear. The engine applies each action and writes the audit entry: in this
process, or in another one reached over the bus (`beffroi.api.alarm_commands`)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from beffroi.api.auth.dependencies import Context, Operator, Viewer
from beffroi.api.auth.principal import Principal
from beffroi.api.context import ApiContext
from beffroi.api.errors import EngineUnavailable
from beffroi.api.responses import MsgspecJSON
from beffroi.api.routers.common import Identifier, Limit
from beffroi.api.schemas import AlarmChangeOut, AlarmOut, ErrorOut, ShelveIn
from beffroi.domain.alarms import OPEN_STATES, AlarmState
from beffroi.domain.messages import AlarmAction, AlarmCommand
from beffroi.errors import InvalidTransition

router = APIRouter(prefix="/api/alarms", tags=["alarms"], responses={404: {"model": ErrorOut}})

ACTION_ERRORS: dict[int | str, dict[str, object]] = {
    404: {"model": ErrorOut, "description": "no open alarm with this id in your tenant"},
    409: {"model": ErrorOut, "description": "not allowed in the alarm's state"},
    422: {"model": ErrorOut},
    503: {"model": ErrorOut, "description": "no alarm engine is reachable from this API, or it failed"},
    504: {"model": ErrorOut, "description": "the alarm engine did not answer in time (reason `engine_timeout`)"},
}


@router.get("", response_model=list[AlarmOut], summary="Alarms, by priority then newest raised first")
def list_alarms(
    principal: Viewer,
    context: Context,
    state: Annotated[
        list[AlarmState] | None, Query(description="Any of these states (default: every open state)")
    ] = None,
    site_id: Identifier | None = None,
    limit: Limit = 1000,
) -> MsgspecJSON:
    """The tenant's alarms in the given states (repeat `state`), of one site when given: the first `limit` of them in
    that order (the store sorts before it cuts, so the most urgent are never left out)."""
    states = list(state) if state else sorted(OPEN_STATES)
    return MsgspecJSON(context.store.query_alarms(principal.tenant_id, states=states, site_id=site_id, limit=limit))


@router.get("/{alarm_id}", response_model=AlarmOut, summary="One alarm")
def get_alarm(alarm_id: str, principal: Viewer, context: Context) -> MsgspecJSON:
    """The alarm, or 404 when the tenant has none with this id."""
    return MsgspecJSON(context.store.get_alarm(principal.tenant_id, alarm_id))


@router.post("/{alarm_id}/acknowledge", response_model=AlarmChangeOut, responses=ACTION_ERRORS, summary="Acknowledge")
async def acknowledge(alarm_id: str, principal: Operator, context: Context) -> MsgspecJSON:
    """The operator has seen the alarm (it clears if its condition has already returned to normal)."""
    return await _execute(context, principal, alarm_id, AlarmAction.ACKNOWLEDGE)


@router.post("/{alarm_id}/shelve", response_model=AlarmChangeOut, responses=ACTION_ERRORS, summary="Shelve")
async def shelve(alarm_id: str, request: ShelveIn, principal: Operator, context: Context) -> MsgspecJSON:
    """Hide the alarm for `duration_s` seconds, with a reason; it comes back by itself when the time is up."""
    return await _execute(
        context, principal, alarm_id, AlarmAction.SHELVE, reason=request.reason, duration_s=request.duration_s
    )


@router.post("/{alarm_id}/clear", response_model=AlarmChangeOut, responses=ACTION_ERRORS, summary="Clear by hand")
async def clear(alarm_id: str, principal: Operator, context: Context) -> MsgspecJSON:
    """Close the alarm."""
    return await _execute(context, principal, alarm_id, AlarmAction.CLEAR)


async def _execute(
    context: ApiContext,
    principal: Principal,
    alarm_id: str,
    action: AlarmAction,
    *,
    reason: str = "",
    duration_s: float | None = None,
) -> MsgspecJSON:
    if context.alarm_commands is None:
        raise EngineUnavailable("no alarm engine runs with this API: alarm actions are unavailable")
    # Another tenant's alarm, or none: the same 404 whatever the engine holds.
    stored = await asyncio.to_thread(context.store.get_alarm, principal.tenant_id, alarm_id)
    if not stored.is_open:
        raise InvalidTransition("alarm", stored.state.value, action.value)
    command = AlarmCommand(
        command_id=uuid.uuid4().hex,
        tenant_id=principal.tenant_id,
        alarm_id=alarm_id,
        action=action,
        actor=principal.subject,
        ts=context.clock(),
        reason=reason,
        duration_s=duration_s,
    )
    change = await context.alarm_commands.execute(command)
    return MsgspecJSON(change)
