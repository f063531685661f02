"""GET /api/events: the tenant's events, newest first, filtered by type, site, source and time."""

from __future__ import annotations

from fastapi import APIRouter

from beffroi.api.auth.dependencies import Context, Viewer
from beffroi.api.responses import MsgspecJSON
from beffroi.api.routers.common import Identifier, Limit, Since, Until
from beffroi.api.schemas import EventOut

router = APIRouter(prefix="/api/events", tags=["events"])


@router.get("", response_model=list[EventOut], summary="The tenant's events, newest first")
def list_events(
    principal: Viewer,
    context: Context,
    type: Identifier | None = None,
    site_id: Identifier | None = None,
    source: Identifier | None = None,
    since: Since = None,
    until: Until = None,
    limit: Limit = 1000,
) -> MsgspecJSON:
    """Events of one type, site and source (a device, a camera), in a time range, when given."""
    events = context.store.query_events(
        principal.tenant_id, type=type, site_id=site_id, source=source, since=since, until=until, limit=limit
    )
    return MsgspecJSON(events)
