"""GET /api/devices (paginated, filtered by site, zone and kind), /api/devices/{id}, POST /api/devices/import (CSV)."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request

from beffroi.api.audit import audit_entry
from beffroi.api.auth.dependencies import Admin, Context, Viewer
from beffroi.api.errors import InvalidRows
from beffroi.api.imports.devices_csv import parse_device_csv
from beffroi.api.imports.rows import row_error
from beffroi.api.responses import MsgspecJSON, page
from beffroi.api.routers.common import Identifier, Limit, Offset
from beffroi.api.schemas import DeviceOut, ErrorOut, ImportResult, Page
from beffroi.domain.registry import Device, DeviceKind
from beffroi.errors import RejectedInput

router = APIRouter(prefix="/api/devices", tags=["registry"], responses={404: {"model": ErrorOut}})

MAX_IMPORT_BYTES = 8 * 1024 * 1024
CSV_EXAMPLE = (
    "id,site_id,zone_id,kind,lon,lat,interval_s,model,metrics\npc-9,stade,gate-a,people_counter,2.36,48.92,,Xovis,\n"
)


@router.get("", response_model=Page[DeviceOut], summary="The tenant's devices, by id, a page at a time")
def list_devices(
    principal: Viewer,
    context: Context,
    site_id: Identifier | None = None,
    zone_id: Identifier | None = None,
    kind: DeviceKind | None = None,
    limit: Limit = 500,
    offset: Offset = 0,
) -> MsgspecJSON:
    """Devices filtered by site, zone and kind; `total` counts every match."""
    devices: list[Device] = context.store.list_devices(principal.tenant_id, site_id)
    matching = [
        device
        for device in devices
        if (zone_id is None or device.zone_id == zone_id) and (kind is None or device.kind is kind)
    ]
    return page(matching[offset : offset + limit], len(matching), limit, offset)


@router.get("/{device_id}", response_model=DeviceOut, summary="One device")
def get_device(device_id: str, principal: Viewer, context: Context) -> MsgspecJSON:
    """The device, or 404 when the tenant has none with this id."""
    return MsgspecJSON(context.store.get_device(principal.tenant_id, device_id))


@router.post(
    "/import",
    response_model=ImportResult,
    summary="Create or update devices from CSV (admin)",
    responses={422: {"model": ErrorOut, "description": "every bad line and column (or too large); nothing imported"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}, "example": CSV_EXAMPLE}},
        }
    },
)
async def import_devices(request: Request, principal: Admin, context: Context) -> ImportResult:
    """Columns `id,site_id,kind,lon,lat` and optionally `zone_id,interval_s,model,metrics` (`;`-separated).

    Every line is checked first (known site, zone on that site, kind, coordinates); on any problem nothing is
    written and the 422 lists each by line (`row`, the header is 1) and column (`field`).
    """
    body = await _bounded_body(request)
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidRows("invalid_import", [row_error(0, "(file)", f"not UTF-8 text: {error}")]) from None
    tenant_id = principal.tenant_id
    store = context.store
    sites = {site.id for site in await asyncio.to_thread(store.list_sites, tenant_id)}
    zone_sites = {zone.id: zone.site_id for zone in await asyncio.to_thread(store.list_zones, tenant_id)}
    devices = parse_device_csv(text, tenant_id, sites, zone_sites)
    await asyncio.to_thread(store.upsert_devices, devices)
    entry = audit_entry(
        context,
        tenant_id=tenant_id,
        actor=principal.subject,
        action="registry.devices_imported",
        target_type="tenant",
        target_id=tenant_id,
        details={"count": len(devices), "ids": ",".join(device.id for device in devices)[:2000]},
    )
    await asyncio.to_thread(store.append_audit, [entry])
    return ImportResult(imported=len(devices))


async def _bounded_body(request: Request) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_IMPORT_BYTES:
            raise RejectedInput("too_large", f"an import is at most {MAX_IMPORT_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
