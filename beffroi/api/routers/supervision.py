"""GET /api/supervision/false-alarm-rates (incidents by disposition, per detector, device or rule),
/api/supervision/notifications (procedure steps operators skipped, with their justification) and
/api/supervision/alarm-rates (alarms raised per operator desk and per site, peaks and floods): supervisors only."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query

from beffroi.api.alarm_rates import AlarmRatesOut, alarm_rates
from beffroi.api.auth.dependencies import Context, Supervisor
from beffroi.api.responses import MsgspecJSON
from beffroi.api.routers.common import MAX_TIMESTAMP, Identifier, Limit, Since
from beffroi.api.schemas_incidents import FalseAlarmRatesOut, TimelineEntryOut
from beffroi.domain.incidents import TimelineKind
from beffroi.engine.desks import DeskMap
from beffroi.engine.flood import FLOOD_ALARM_TYPE
from beffroi.store.incidents import RateGrouping

router = APIRouter(prefix="/api/supervision", tags=["supervision"])


@router.get("/false-alarm-rates", response_model=FalseAlarmRatesOut, summary="False-alarm rates, highest first")
def false_alarm_rates(
    principal: Supervisor,
    context: Context,
    by: Annotated[RateGrouping, Query(description="Count per alarm type (the detector), source, rule or type")] = (
        RateGrouping.ALARM_TYPE
    ),
    since: Since = None,
    site_id: Identifier | None = None,
) -> MsgspecJSON:
    """For incidents opened from `since` on (on one site when given): per key, how many were true, false,
    duplicate or not dispositioned yet, and the false-alarm rate false / (true + false)."""
    rows = context.store.incident_disposition_counts(principal.tenant_id, by, since=since, site_id=site_id)
    return MsgspecJSON({"by": by.value, "since": since, "site_id": site_id, "rows": rows})


@router.get(
    "/notifications", response_model=list[TimelineEntryOut], summary="What supervisors were notified of, newest first"
)
def notifications(principal: Supervisor, context: Context, since: Since = None, limit: Limit = 100) -> MsgspecJSON:
    """The incidents' supervisor notifications (a procedure step skipped, its justification in `data`)."""
    entries = context.store.query_incident_timeline(
        principal.tenant_id, kinds=[TimelineKind.SUPERVISOR_NOTIFIED], since=since, limit=limit
    )
    return MsgspecJSON(entries)


@router.get("/alarm-rates", response_model=AlarmRatesOut, summary="Alarms raised per operator desk and per site")
async def get_alarm_rates(
    principal: Supervisor,
    context: Context,
    window_s: Annotated[int, Query(ge=1, le=86_400, description="Count the alarms raised in this many seconds")] = 600,
    hours: Annotated[int, Query(ge=1, le=168, description="The period of the peaks and flood counts, in hours")] = 24,
    at: Annotated[
        float | None,
        Query(
            ge=0,
            lt=MAX_TIMESTAMP,
            allow_inf_nan=False,
            description="The end of the window and period (epoch seconds); default: now, or the newest alarm's raise "
            "time when later (an accelerated replay runs ahead of the clock)",
        ),
    ] = None,
) -> MsgspecJSON:
    """Per desk (in the configured order) and per site of the tenant: the alarms raised in the last `window_s`
    seconds and the peak count of any 10 minutes of the last `hours` hours; per desk also whether it floods now (its
    flood summary alarm is active) and its flood episodes in the period. Counts are of alarms raised (re-triggers of
    an open alarm are not new alarms; a flood's summary alarm is not counted as one)."""
    tenant_id = principal.tenant_id
    end = context.clock() if at is None else at
    lookback = max(float(window_s), hours * 3600.0)
    history = await asyncio.to_thread(
        context.store.alarm_rate_history,
        tenant_id,
        since=end - lookback,
        until=end if at is not None else None,
        active_type=FLOOD_ALARM_TYPE,
    )
    if at is None and history.latest_raise is not None and history.latest_raise > end:
        end = history.latest_raise
        history = await asyncio.to_thread(
            context.store.alarm_rate_history,
            tenant_id,
            since=end - lookback,
            until=end,
            active_type=FLOOD_ALARM_TYPE,
        )
    sites = await asyncio.to_thread(context.store.list_sites, tenant_id)
    desks = DeskMap(context.desks, sites)
    rates = alarm_rates(history, desks, [site.id for site in sites], now=end, window_s=window_s, hours=hours)
    return MsgspecJSON(rates)
