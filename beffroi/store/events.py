"""Repository of events: idempotent inserts keyed by (tenant, event_id), and queries newest first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from beffroi.domain.observations import Event, Position
from beffroi.store.statements import check_limit, in_time_range, insert_new
from beffroi.store.tables import events


def insert_events(connection: sa.Connection, batch: Sequence[Event]) -> int:
    """Store the events not stored yet; returns how many were new."""
    rows = [
        {
            "tenant_id": e.tenant_id,
            "event_id": e.event_id,
            "type": e.type,
            "source": e.source,
            "ts": e.ts,
            "site_id": e.site_id,
            "zone_id": e.zone_id,
            "lon": e.position.lon if e.position is not None else None,
            "lat": e.position.lat if e.position is not None else None,
            "confidence": e.confidence,
            "attributes": e.attributes,
        }
        for e in batch
    ]
    return insert_new(connection, events, rows)


def query_events(
    connection: sa.Connection,
    tenant_id: str,
    *,
    type: str | None = None,
    site_id: str | None = None,
    source: str | None = None,
    since: float | None = None,
    until: float | None = None,
    limit: int = 1000,
) -> list[Event]:
    """The tenant's events, newest first, filtered by type, site, source and time (`since` <= ts <= `until`)."""
    table = events.c
    statement = sa.select(events).where(table.tenant_id == tenant_id)
    if source is not None:
        statement = statement.where(table.source == source)
    if type is not None:
        statement = statement.where(table.type == type)
    if site_id is not None:
        statement = statement.where(table.site_id == site_id)
    statement = statement.where(*in_time_range(table.ts, since, until))
    statement = statement.order_by(table.ts.desc(), table.event_id).limit(check_limit(limit))
    return [_event(row) for row in connection.execute(statement)]


def _event(row: Any) -> Event:
    position = Position(row.lon, row.lat) if row.lon is not None and row.lat is not None else None
    return Event(
        event_id=row.event_id,
        tenant_id=row.tenant_id,
        type=row.type,
        source=row.source,
        ts=row.ts,
        site_id=row.site_id,
        zone_id=row.zone_id,
        position=position,
        confidence=row.confidence,
        attributes=dict(row.attributes),
    )
