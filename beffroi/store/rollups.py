"""Roll-ups of readings: min, max, mean and count per fixed time bucket, computed by the database.

The bucket of a reading is `floor(epoch / bucket_s) * bucket_s`; only the epoch expression differs between
SQLite (timestamps stored as UTC text) and PostgreSQL (`timestamptz`).
"""

from __future__ import annotations

from typing import Any

import msgspec
import sqlalchemy as sa

from beffroi.store.statements import check_limit, in_time_range
from beffroi.store.tables import readings


class ReadingBucket(msgspec.Struct, frozen=True):
    """The readings of one device and metric within [start, start + bucket_s)."""

    start: float
    count: int
    min: float
    max: float
    avg: float


def _bucket_start(connection: sa.Connection, bucket_s: int) -> sa.ColumnElement[Any]:
    ts = readings.c.ts
    if connection.dialect.name == "postgresql":
        return sa.func.floor(sa.extract("epoch", ts) / bucket_s) * bucket_s
    # SQLite keeps `YYYY-MM-DD HH:MM:SS.ffffff` (UTC): whole epoch seconds, then integer division (exact).
    seconds = sa.cast(sa.func.strftime("%s", sa.type_coerce(ts, sa.String())), sa.Integer())
    return sa.cast(seconds / bucket_s, sa.Integer()) * bucket_s


def rollup_readings(
    connection: sa.Connection,
    tenant_id: str,
    device_id: str,
    metric: str,
    *,
    bucket_s: int,
    since: float | None = None,
    until: float | None = None,
    limit: int = 1000,
) -> list[ReadingBucket]:
    """Buckets of `bucket_s` seconds, newest first, of one device's metric in `since` <= ts <= `until`."""
    if isinstance(bucket_s, bool) or not isinstance(bucket_s, int) or bucket_s < 1:
        raise ValueError(f"bucket_s must be a positive whole number of seconds, got {bucket_s!r}")
    table = readings.c
    bucket = _bucket_start(connection, bucket_s).label("bucket")
    statement = (
        sa.select(
            bucket,
            sa.func.count().label("count"),
            sa.func.min(table.value).label("min"),
            sa.func.max(table.value).label("max"),
            sa.func.avg(table.value).label("avg"),
        )
        .where(table.tenant_id == tenant_id, table.device_id == device_id, table.metric == metric)
        .group_by(bucket)
        .order_by(bucket.desc())
        .limit(check_limit(limit))
    )
    statement = statement.where(*in_time_range(table.ts, since, until))
    return [
        ReadingBucket(start=float(start), count=int(count), min=float(low), max=float(high), avg=float(mean))
        for start, count, low, high, mean in connection.execute(statement)
    ]
