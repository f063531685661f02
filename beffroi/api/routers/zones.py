"""GET /api/zones (filter by site), /api/zones/{id}, and POST /api/zones/import (a GeoJSON FeatureCollection)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from beffroi.api.audit import audit_entry
from beffroi.api.auth.dependencies import Admin, Context, Viewer
from beffroi.api.imports.zones_geojson import parse_zone_features
from beffroi.api.responses import MsgspecJSON
from beffroi.api.routers.common import Identifier
from beffroi.api.schemas import ErrorOut, ImportResult, ZoneOut
from beffroi.errors import NotFound

router = APIRouter(prefix="/api/zones", tags=["registry"], responses={404: {"model": ErrorOut}})

FEATURE_COLLECTION_EXAMPLE = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {
                "id": "gate-b",
                "site_id": "stade",
                "name": "Gate B",
                "kind": "gate",
                "capacity": 400,
                "width_m": 20,
            },
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[2.36, 48.92], [2.3603, 48.92], [2.3603, 48.9202], [2.36, 48.9202], [2.36, 48.92]]],
            },
        }
    ],
}


@router.get("", response_model=list[ZoneOut], summary="The tenant's zones, of one site when given, by id")
def list_zones(principal: Viewer, context: Context, site_id: Identifier | None = None) -> MsgspecJSON:
    """The tenant's zones."""
    return MsgspecJSON(context.store.list_zones(principal.tenant_id, site_id))


@router.get("/{zone_id}", response_model=ZoneOut, summary="One zone")
def get_zone(zone_id: str, principal: Viewer, context: Context) -> MsgspecJSON:
    """The zone, or 404 when the tenant has none with this id."""
    for zone in context.store.list_zones(principal.tenant_id):
        if zone.id == zone_id:
            return MsgspecJSON(zone)
    raise NotFound(f"zone {zone_id!r} not found")


@router.post(
    "/import",
    response_model=ImportResult,
    summary="Create or update zones from a GeoJSON FeatureCollection of Polygons (admin)",
    responses={422: {"model": ErrorOut, "description": "every bad feature and field; nothing imported"}},
)
def import_zones(
    principal: Admin,
    context: Context,
    collection: Annotated[dict[str, Any], Body(examples=[FEATURE_COLLECTION_EXAMPLE])],
) -> ImportResult:
    """Each feature's properties: `id`, `site_id`, `name`, `kind`, `capacity`, `area_m2` (else measured), and
    optionally `width_m`: the clear width (m) people walk through a gate, corridor or platform access, which gives
    the zone Fruin levels of service from its flow per metre (a zone imported again without it has none).

    All features are checked first (known site, valid polygon, declared area close to the polygon's, width no more
    than the polygon's extent); on any problem nothing is written and the 422 lists each problem by feature (`row`,
    1-based) and field.
    """
    tenant_id = principal.tenant_id
    sites = {site.id for site in context.store.list_sites(tenant_id)}
    zones = parse_zone_features(collection, tenant_id, sites)
    context.store.upsert_zones(zones)
    entry = audit_entry(
        context,
        tenant_id=tenant_id,
        actor=principal.subject,
        action="registry.zones_imported",
        target_type="tenant",
        target_id=tenant_id,
        details={"count": len(zones), "ids": ",".join(zone.id for zone in zones)[:2000]},
    )
    context.store.append_audit([entry])
    return ImportResult(imported=len(zones))
