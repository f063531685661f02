"""GET /api/readings (one device's readings in a time range) and /api/readings/rollup (min/max/avg/count buckets)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from beffroi.api.auth.dependencies import Context, Viewer
from beffroi.api.responses import MsgspecJSON
from beffroi.api.routers.common import Identifier, Limit, Since, Until
from beffroi.api.schemas import ErrorOut, ReadingBucketOut, ReadingOut

router = APIRouter(prefix="/api/readings", tags=["readings"], responses={404: {"model": ErrorOut}})

BUCKETS = {"1m": 60, "5m": 300, "1h": 3600}
Bucket = Literal["1m", "5m", "1h"]


@router.get("", response_model=list[ReadingOut], summary="One device's readings, newest first")
def list_readings(
    principal: Viewer,
    context: Context,
    device_id: Identifier,
    metric: Identifier | None = None,
    since: Since = None,
    until: Until = None,
    limit: Limit = 1000,
) -> MsgspecJSON:
    """Readings of the device (404 when the tenant has no such device), of one metric when given."""
    store = context.store
    store.get_device(principal.tenant_id, device_id)
    readings = store.query_readings(
        principal.tenant_id, device_id=device_id, metric=metric, since=since, until=until, limit=limit
    )
    return MsgspecJSON(readings)


@router.get("/rollup", response_model=list[ReadingBucketOut], summary="Min, max, mean and count per time bucket")
def rollup_readings(
    principal: Viewer,
    context: Context,
    device_id: Identifier,
    metric: Identifier,
    bucket: Annotated[Bucket, Query(description="1m, 5m or 1h")] = "5m",
    since: Since = None,
    until: Until = None,
    limit: Limit = 1000,
) -> MsgspecJSON:
    """Buckets of one device's metric, newest first (404 when the tenant has no such device)."""
    store = context.store
    store.get_device(principal.tenant_id, device_id)
    buckets = store.rollup_readings(
        principal.tenant_id, device_id, metric, bucket_s=BUCKETS[bucket], since=since, until=until, limit=limit
    )
    return MsgspecJSON(buckets)
