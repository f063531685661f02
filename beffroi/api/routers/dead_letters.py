"""GET /api/dead-letters: the tenant's rejected input, raw bytes base64-encoded (administrators)."""

from __future__ import annotations

from fastapi import APIRouter

from beffroi.api.auth.dependencies import Admin, Context
from beffroi.api.responses import MsgspecJSON
from beffroi.api.routers.common import Limit
from beffroi.api.schemas import DeadLetterOut

router = APIRouter(prefix="/api/dead-letters", tags=["dead letters"])


@router.get("", response_model=list[DeadLetterOut], summary="The tenant's dead letters, newest first")
def list_dead_letters(principal: Admin, context: Context, limit: Limit = 1000) -> MsgspecJSON:
    """Input rejected for this tenant (input from unknown senders has no tenant and is not shown here)."""
    return MsgspecJSON(context.store.query_dead_letters(principal.tenant_id, limit=limit))
