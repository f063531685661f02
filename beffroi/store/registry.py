"""Repository of the registry: tenants, sites, zones and devices (bulk upserts and listings)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
import sqlalchemy as sa

from beffroi.domain.observations import Position
from beffroi.domain.registry import Device, DeviceKind, Site, Tenant, Zone, ZoneKind
from beffroi.errors import NotFound
from beffroi.store.statements import upsert
from beffroi.store.tables import devices, sites, tenants, zones

Polygon = list[list[tuple[float, float]]]


def upsert_tenants(connection: sa.Connection, items: Sequence[Tenant]) -> None:
    """Insert or update tenants by id."""
    upsert(connection, tenants, [{"id": t.id, "name": t.name} for t in items])


def upsert_sites(connection: sa.Connection, items: Sequence[Site]) -> None:
    """Insert or update sites by (tenant, id); their tenant must exist."""
    rows = [
        {
            "tenant_id": s.tenant_id,
            "id": s.id,
            "name": s.name,
            "kind": s.kind,
            "lon": s.position.lon,
            "lat": s.position.lat,
            "city": s.city,
        }
        for s in items
    ]
    upsert(connection, sites, rows)


def upsert_zones(connection: sa.Connection, items: Sequence[Zone]) -> None:
    """Insert or update zones by (tenant, id); their site must exist."""
    rows = [
        {
            "tenant_id": z.tenant_id,
            "id": z.id,
            "site_id": z.site_id,
            "name": z.name,
            "kind": z.kind.value,
            "polygon": z.polygon,
            "area_m2": z.area_m2,
            "capacity": z.capacity,
            "width_m": z.width_m,
        }
        for z in items
    ]
    upsert(connection, zones, rows)


def upsert_devices(connection: sa.Connection, items: Sequence[Device]) -> None:
    """Insert or update devices by (tenant, id); their site (and zone, when set) must exist."""
    rows = [
        {
            "tenant_id": d.tenant_id,
            "id": d.id,
            "site_id": d.site_id,
            "zone_id": d.zone_id,
            "kind": d.kind.value,
            "lon": d.position.lon,
            "lat": d.position.lat,
            "interval_s": d.interval_s,
            "metrics": d.metrics,
            "model": d.model,
        }
        for d in items
    ]
    upsert(connection, devices, rows)


def list_tenants(connection: sa.Connection) -> list[Tenant]:
    """Every tenant, by id."""
    rows = connection.execute(sa.select(tenants).order_by(tenants.c.id))
    return [Tenant(id=row.id, name=row.name) for row in rows]


def list_sites(connection: sa.Connection, tenant_id: str) -> list[Site]:
    """The tenant's sites, by id."""
    statement = sa.select(sites).where(sites.c.tenant_id == tenant_id).order_by(sites.c.id)
    return [_site(row._mapping) for row in connection.execute(statement)]


def list_zones(connection: sa.Connection, tenant_id: str, site_id: str | None = None) -> list[Zone]:
    """The tenant's zones (of one site when `site_id` is given), by id."""
    statement = sa.select(zones).where(zones.c.tenant_id == tenant_id).order_by(zones.c.id)
    if site_id is not None:
        statement = statement.where(zones.c.site_id == site_id)
    return [_zone(row._mapping) for row in connection.execute(statement)]


def list_devices(connection: sa.Connection, tenant_id: str, site_id: str | None = None) -> list[Device]:
    """The tenant's devices (of one site when `site_id` is given), by id."""
    statement = sa.select(devices).where(devices.c.tenant_id == tenant_id).order_by(devices.c.id)
    if site_id is not None:
        statement = statement.where(devices.c.site_id == site_id)
    return [_device(row._mapping) for row in connection.execute(statement)]


def get_device(connection: sa.Connection, tenant_id: str, device_id: str) -> Device:
    """One device of the tenant; NotFound when there is none (or it belongs to another tenant)."""
    statement = sa.select(devices).where(devices.c.tenant_id == tenant_id, devices.c.id == device_id)
    row = connection.execute(statement).first()
    if row is None:
        raise NotFound(f"device {device_id!r} not found in tenant {tenant_id!r}")
    return _device(row._mapping)


def _site(row: Any) -> Site:
    return Site(
        id=row["id"],
        tenant_id=row["tenant_id"],
        name=row["name"],
        kind=row["kind"],
        position=Position(row["lon"], row["lat"]),
        city=row["city"],
    )


def _zone(row: Any) -> Zone:
    return Zone(
        id=row["id"],
        tenant_id=row["tenant_id"],
        site_id=row["site_id"],
        name=row["name"],
        kind=ZoneKind(row["kind"]),
        polygon=msgspec.convert(row["polygon"], Polygon),
        area_m2=row["area_m2"],
        capacity=row["capacity"],
        width_m=row["width_m"],
    )


def _device(row: Any) -> Device:
    return Device(
        id=row["id"],
        tenant_id=row["tenant_id"],
        site_id=row["site_id"],
        kind=DeviceKind(row["kind"]),
        position=Position(row["lon"], row["lat"]),
        interval_s=row["interval_s"],
        metrics=list(row["metrics"]),
        zone_id=row["zone_id"],
        model=row["model"],
    )
