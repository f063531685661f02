"""Repository of dead letters: rejected input kept with its raw bytes, its reason and (when known) its tenant."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from beffroi.domain.records import DeadLetter
from beffroi.store.statements import check_limit, insert_new
from beffroi.store.tables import dead_letters


def insert_dead_letters(connection: sa.Connection, batch: Sequence[DeadLetter]) -> int:
    """Store the dead letters not stored yet (by id); returns how many were new."""
    rows = [
        {
            "id": d.id,
            "tenant_id": d.tenant_id,
            "ts": d.ts,
            "source": d.source,
            "reason": d.reason,
            "detail": d.detail,
            "raw": bytes(d.raw),
        }
        for d in batch
    ]
    return insert_new(connection, dead_letters, rows)


def query_dead_letters(connection: sa.Connection, tenant_id: str | None, *, limit: int = 1000) -> list[DeadLetter]:
    """Dead letters newest first: the tenant's, or every one (unknown senders included) when `tenant_id` is None."""
    statement = sa.select(dead_letters)
    if tenant_id is not None:
        statement = statement.where(dead_letters.c.tenant_id == tenant_id)
    statement = statement.order_by(dead_letters.c.ts.desc(), dead_letters.c.id).limit(check_limit(limit))
    return [_dead_letter(row) for row in connection.execute(statement)]


def _dead_letter(row: Any) -> DeadLetter:
    return DeadLetter(
        id=row.id,
        ts=row.ts,
        source=row.source,
        reason=row.reason,
        detail=row.detail,
        raw=bytes(row.raw),
        tenant_id=row.tenant_id,
    )
