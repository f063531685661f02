"""Repository of the audit log: who did what to which thing, and when. Append-only, idempotent by id."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from beffroi.domain.records import AuditEntry
from beffroi.store.statements import check_limit, in_time_range, insert_new
from beffroi.store.tables import audit_log


def append_audit(connection: sa.Connection, entries: Sequence[AuditEntry]) -> int:
    """Append the entries not appended yet (by tenant and id); returns how many were new."""
    rows = [
        {
            "tenant_id": e.tenant_id,
            "id": e.id,
            "ts": e.ts,
            "actor": e.actor,
            "action": e.action,
            "target_type": e.target_type,
            "target_id": e.target_id,
            "details": e.details,
        }
        for e in entries
    ]
    return insert_new(connection, audit_log, rows)


def query_audit(
    connection: sa.Connection,
    tenant_id: str,
    *,
    since: float | None = None,
    target_id: str | None = None,
    limit: int = 1000,
) -> list[AuditEntry]:
    """The tenant's audit entries newest first, from `since` on, about one target when `target_id` is given."""
    table = audit_log.c
    statement = sa.select(audit_log).where(table.tenant_id == tenant_id)
    statement = statement.where(*in_time_range(table.ts, since, None))
    if target_id is not None:
        statement = statement.where(table.target_id == target_id)
    statement = statement.order_by(table.ts.desc(), table.id).limit(check_limit(limit))
    return [_entry(row) for row in connection.execute(statement)]


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        ts=row.ts,
        tenant_id=row.tenant_id,
        actor=row.actor,
        action=row.action,
        target_type=row.target_type,
        target_id=row.target_id,
        details=dict(row.details),
    )
