"""GET /api/zones/{zone_id}/mobile: a zone's crowd figures from the mobile network over the last hours (people
present, residents, visitors, day visitors, origins, flows in and out per slot; aggregates only, counts below k
withheld). Viewers and up; tenant-scoped.

The hours are counted back from the tenant's newest slot (the feed's own time: a replay or an accelerated
simulation is shown on its timeline). `k` and `epsilon` are those of the newest slot shown, else those the
application was given (`use_mobile_privacy`, the config's `mobile.k` / `mobile.epsilon`).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, FastAPI, Query, Request

from beffroi.api.auth.dependencies import Context, Viewer
from beffroi.api.responses import MsgspecJSON
from beffroi.api.schemas import ErrorOut
from beffroi.api.schemas_mobile import ZoneMobileOut
from beffroi.crowd.mobile.privacy import PrivacySettings
from beffroi.errors import NotFound
from beffroi.store.mobile_estimates import ZoneSlot

router = APIRouter(prefix="/api/zones", tags=["crowd"], responses={404: {"model": ErrorOut}})

MAX_HOURS = 168.0


def use_mobile_privacy(app: FastAPI, k: int, epsilon: float | None) -> None:
    """Give the application the k and epsilon the mobile figures are published under (shown before any slot)."""
    app.state.mobile_privacy = PrivacySettings(k=k, epsilon=epsilon)


@router.get(
    "/{zone_id}/mobile",
    response_model=ZoneMobileOut,
    summary="The zone's mobile-network crowd figures per slot over the last hours",
    responses={422: {"model": ErrorOut, "description": "`hours` is not a number of hours in (0, 168]"}},
)
def zone_mobile(
    zone_id: str,
    request: Request,
    principal: Viewer,
    context: Context,
    hours: Annotated[float, Query(gt=0, le=MAX_HOURS, allow_inf_nan=False, description="How far back")] = 3.0,
) -> MsgspecJSON:
    """The slots ending within `hours` of the tenant's newest one, oldest first; 404 when the tenant has no such
    zone. A zone whose figures were all withheld in a slot shows them as `fewer_than_k`, its resolvability as null
    (a withheld zone is not stored: claiming it resolvable would be a guess)."""
    tenant_id = principal.tenant_id
    if not any(zone.id == zone_id for zone in context.store.list_zones(tenant_id)):
        raise NotFound(f"zone {zone_id!r} not found")
    privacy: PrivacySettings = getattr(request.app.state, "mobile_privacy", None) or PrivacySettings()
    newest = context.store.newest_mobile_slot(tenant_id)
    slots = (
        context.store.mobile_zone_slots(tenant_id, zone_id, newest.slot_end - hours * 3600.0, newest.slot_end)
        if newest is not None
        else []
    )
    latest = slots[-1].slot if slots else None
    return MsgspecJSON(
        {
            "zone_id": zone_id,
            "k": latest.k if latest is not None else privacy.k,
            "epsilon": latest.epsilon if latest is not None else privacy.epsilon,
            "slots": [_slot(item) for item in slots],
        }
    )


def _slot(item: ZoneSlot) -> dict[str, Any]:
    slot, figures = item.slot, item.figures
    return {
        "slot_start": slot.slot_start,
        "slot_end": slot.slot_end,
        "operator": slot.operator,
        "market_share": slot.market_share,
        **msgspec.to_builtins(figures),
    }
