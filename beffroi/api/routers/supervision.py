"""GET /api/supervision/false-alarm-rates (incidents by disposition, per detector, device or rule) and
/api/supervision/notifications (procedure steps operators skipped, with their justification): supervisors only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from beffroi.api.auth.dependencies import Context, Supervisor
from beffroi.api.responses import MsgspecJSON
from beffroi.api.routers.common import Identifier, Limit, Since
from beffroi.api.schemas_incidents import FalseAlarmRatesOut, TimelineEntryOut
from beffroi.domain.incidents import TimelineKind
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
