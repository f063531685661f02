"""Statement builders shared by the repositories: the dialect's INSERT with its ON CONFLICT clauses, and limits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

MAX_LIMIT = 100_000


def dialect_insert(connection: sa.Connection, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
    """The INSERT of the connection's dialect, the one that knows ON CONFLICT (both dialects spell it alike)."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def insert_new(connection: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> int:
    """Insert the rows whose primary key is not there yet; returns how many were new."""
    if not rows:
        return 0
    key = list(table.primary_key.columns)
    statement = dialect_insert(connection, table).on_conflict_do_nothing(index_elements=key).returning(*key)
    return len(connection.execute(statement, list(rows)).all())


def upsert(connection: sa.Connection, table: sa.Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert the rows, or update every other column of those whose primary key is there already."""
    if not rows:
        return
    key = list(table.primary_key.columns)
    insert = dialect_insert(connection, table)
    updated = {column.name: insert.excluded[column.name] for column in table.columns if column not in key}
    connection.execute(insert.on_conflict_do_update(index_elements=key, set_=updated), list(rows))


def check_limit(limit: int) -> int:
    """`limit` when it is a row count a query may ask for (1 to MAX_LIMIT); a ValueError naming it otherwise."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be an integer from 1 to {MAX_LIMIT}, got {limit!r}")
    return limit


def in_time_range(
    column: sa.ColumnElement[Any], since: float | None, until: float | None
) -> list[sa.ColumnElement[bool]]:
    """The conditions `since <= column <= until`, each bound only when given (none: no condition)."""
    conditions: list[sa.ColumnElement[bool]] = []
    if since is not None:
        conditions.append(column >= since)
    if until is not None:
        conditions.append(column <= until)
    return conditions
