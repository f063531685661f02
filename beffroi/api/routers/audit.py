"""GET /api/audit: who did what (supervisors and administrators)."""

from __future__ import annotations

from fastapi import APIRouter

from beffroi.api.auth.dependencies import Context, Supervisor
from beffroi.api.responses import MsgspecJSON
from beffroi.api.routers.common import Limit, Since
from beffroi.api.schemas import AuditEntryOut

router = APIRouter(prefix="/api/audit", tags=["audit"])


@router.get("", response_model=list[AuditEntryOut], summary="The tenant's audit log, newest first")
def list_audit(
    principal: Supervisor,
    context: Context,
    since: Since = None,
    target_id: str | None = None,
    limit: Limit = 1000,
) -> MsgspecJSON:
    """Entries from `since` on, about one target (an alarm id, a username…) when given."""
    return MsgspecJSON(context.store.query_audit(principal.tenant_id, since=since, target_id=target_id, limit=limit))
