"""Repository of readings, the hot path: idempotent bulk inserts keyed by (tenant, device, metric, ts), and queries.

PostgreSQL takes a batch by binary COPY into a per-connection TEMP staging table, then one
`INSERT … SELECT … ON CONFLICT DO NOTHING` into `readings`, so a redelivered batch is never counted twice.
SQLite takes it as one `INSERT … ON CONFLICT DO NOTHING` run by the driver's executemany.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
import sqlalchemy as sa

from beffroi.domain.observations import Position, Reading
from beffroi.errors import RejectedInput
from beffroi.store.statements import check_limit, in_time_range
from beffroi.store.tables import readings

MAX_TIMESTAMP = 253_402_300_800.0  # 10000-01-01T00:00:00Z, the first instant neither database can hold

STAGE_TABLE = "beffroi_readings_stage"
_STAGE_READY = "beffroi_readings_stage_ready"
_COLUMNS = ("tenant_id", "device_id", "metric", "ts", "value", "site_id", "zone_id", "lon", "lat")
_COPY_TYPES = ("text", "text", "text", "float8", "float8", "text", "text", "float8", "float8")
_CREATE_STAGE = (
    f"CREATE TEMP TABLE IF NOT EXISTS {STAGE_TABLE} ("
    + ", ".join(f"{name} {kind}" for name, kind in zip(_COLUMNS, _COPY_TYPES, strict=True))
    + ") ON COMMIT DELETE ROWS"
)
_COPY_STAGE = f"COPY {STAGE_TABLE} ({', '.join(_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
_INSERT_SQLITE = (
    f"INSERT INTO readings ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)}) ON CONFLICT DO NOTHING"
)
_MOVE_STAGE = (
    f"INSERT INTO readings ({', '.join(_COLUMNS)}) "
    "SELECT tenant_id, device_id, metric, to_timestamp(ts), value, site_id, zone_id, lon, lat "
    f"FROM {STAGE_TABLE} ON CONFLICT DO NOTHING"
)


def check_readings(batch: Sequence[Reading]) -> None:
    """RejectedInput naming the first reading whose value or time cannot be stored."""
    for index, reading in enumerate(batch):
        problem = None
        if not math.isfinite(reading.value):
            problem = f"value {reading.value!r} is not a finite number"
        elif not 0.0 <= reading.ts < MAX_TIMESTAMP:
            problem = f"ts {reading.ts!r} is not an epoch time between 1970 and 9999"
        if problem is not None:
            raise RejectedInput(
                "invalid_reading",
                f"readings[{index}] (tenant {reading.tenant_id!r}, device {reading.device_id!r}, "
                f"metric {reading.metric!r}): {problem}",
            )


def insert_readings(connection: sa.Connection, batch: Sequence[Reading]) -> int:
    """Store the readings not stored yet; returns how many were new. The whole batch is checked first."""
    check_readings(batch)
    if not batch:
        return 0
    if connection.dialect.name == "postgresql":
        return _copy_postgres(connection, batch)
    return _insert_sqlite(connection, batch)


def sqlite_timestamp_text(ts: float) -> str:
    """`ts` as SQLAlchemy's SQLite DateTime stores it (`YYYY-MM-DD HH:MM:SS.ffffff`, UTC), without its overhead."""
    return datetime.fromtimestamp(ts, UTC).isoformat(" ", "microseconds")[:26]


def _insert_sqlite(connection: sa.Connection, batch: Sequence[Reading]) -> int:
    # The driver's executemany straight away: SQLAlchemy's per-row parameter processing would double the cost.
    rows = [
        (r.tenant_id, r.device_id, r.metric, sqlite_timestamp_text(r.ts), r.value, r.site_id, r.zone_id)
        + ((None, None) if r.position is None else (r.position.lon, r.position.lat))
        for r in batch
    ]
    driver_connection: Any = connection.connection.driver_connection
    cursor = driver_connection.cursor()
    try:
        cursor.executemany(_INSERT_SQLITE, rows)
        inserted: int = cursor.rowcount
    except sqlite3.Error as error:
        raise _driver_error(_INSERT_SQLITE, error, sqlite3.Error) from error
    finally:
        cursor.close()
    return inserted


def _copy_postgres(connection: sa.Connection, batch: Sequence[Reading]) -> int:
    pooled = connection.connection
    driver_connection: Any = pooled.driver_connection
    try:
        with driver_connection.cursor() as cursor:
            if not pooled.info.get(_STAGE_READY):
                cursor.execute(_CREATE_STAGE)
                pooled.info[_STAGE_READY] = True
            with cursor.copy(_COPY_STAGE) as copy:
                copy.set_types(_COPY_TYPES)
                write_row = copy.write_row
                for r in batch:
                    p = r.position
                    lon, lat = (None, None) if p is None else (p.lon, p.lat)
                    write_row((r.tenant_id, r.device_id, r.metric, r.ts, r.value, r.site_id, r.zone_id, lon, lat))
            cursor.execute(_MOVE_STAGE)
            inserted: int = cursor.rowcount
    except psycopg.Error as error:
        pooled.info.pop(_STAGE_READY, None)
        raise _driver_error(_COPY_STAGE, error, psycopg.Error) from error
    except BaseException:
        # A failed transaction rolls back the staging table's creation with it: create it again next time.
        pooled.info.pop(_STAGE_READY, None)
        raise
    return inserted


def _driver_error(statement: str, error: Exception, driver_base: type[Exception]) -> sa.exc.StatementError:
    """A driver error raised outside SQLAlchemy, in SQLAlchemy's shape (so the store translates it like any other)."""
    return sa.exc.DBAPIError.instance(statement, None, error, driver_base)


def query_readings(
    connection: sa.Connection,
    tenant_id: str,
    *,
    device_id: str | None = None,
    metric: str | None = None,
    since: float | None = None,
    until: float | None = None,
    limit: int = 1000,
) -> list[Reading]:
    """The tenant's readings, newest first, filtered by device, metric and time (`since` <= ts <= `until`)."""
    table = readings.c
    statement = sa.select(readings).where(table.tenant_id == tenant_id)
    if device_id is not None:
        statement = statement.where(table.device_id == device_id)
    if metric is not None:
        statement = statement.where(table.metric == metric)
    statement = statement.where(*in_time_range(table.ts, since, until))
    statement = statement.order_by(table.ts.desc(), table.device_id, table.metric).limit(check_limit(limit))
    return [_reading(row) for row in connection.execute(statement)]


def count_readings(connection: sa.Connection, tenant_id: str) -> int:
    """How many readings the tenant has."""
    statement = sa.select(sa.func.count()).select_from(readings).where(readings.c.tenant_id == tenant_id)
    return int(connection.execute(statement).scalar_one())


def _reading(row: Any) -> Reading:
    position = Position(row.lon, row.lat) if row.lon is not None and row.lat is not None else None
    return Reading(
        tenant_id=row.tenant_id,
        device_id=row.device_id,
        metric=row.metric,
        value=row.value,
        ts=row.ts,
        site_id=row.site_id,
        zone_id=row.zone_id,
        position=position,
    )
