"""Store throughput on the hot path: readings/s through Store.insert_readings, on SQLite and PostgreSQL.

Run: .venv/bin/python bench/store_readings.py [--rows 200000] [--batches 1000,10000] [--dialects sqlite,postgresql]
     [--postgres-admin-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
Prints one JSON object. For each dialect and batch size, a fresh database (a temporary SQLite file; a temporary
PostgreSQL database created and dropped through the admin URL) takes `--rows` readings in batches ("fresh"),
then the very same batches again, every row a duplicate as after a redelivery ("redelivered"), then batches
where half the rows are new and half redelivered ("half_redelivered").
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from beffroi.domain.observations import Position, Reading
from beffroi.store.store import Store

TENANT = "bench"
T0 = 1_750_000_000.0
DEVICES = 3_000
METRICS = ("occupancy", "count_in", "count_out", "battery_pct")


def make_readings(count: int, start: float = T0) -> list[Reading]:
    """`count` readings from DEVICES devices, each reporting its metrics every 10 s from `start`."""
    readings = []
    per_round = DEVICES * len(METRICS)
    for index in range(count):
        device = index % DEVICES
        metric = METRICS[(index // DEVICES) % len(METRICS)]
        ts = start + (index // per_round) * 10.0 + device * 0.001
        readings.append(
            Reading(
                tenant_id=TENANT,
                device_id=f"dev-{device:05d}",
                metric=metric,
                value=float(index % 977),
                ts=ts,
                site_id=f"site-{device % 50:02d}",
                zone_id=f"zone-{device % 400:03d}",
                position=Position(2.35 + device * 1e-6, 48.85),
            )
        )
    return readings


def batched(readings: Sequence[Reading], size: int) -> list[Sequence[Reading]]:
    """The readings cut into batches of `size`."""
    return [readings[start : start + size] for start in range(0, len(readings), size)]


def timed_insert(store: Store, batches: Sequence[Sequence[Reading]]) -> tuple[float, int]:
    """Rows per second over all batches, and how many rows were new."""
    rows = sum(len(batch) for batch in batches)
    began = time.perf_counter()
    new = sum(store.insert_readings(batch) for batch in batches)
    elapsed = time.perf_counter() - began
    return rows / elapsed, new


@contextmanager
def fresh_database(dialect: str, admin_url: str) -> Iterator[str]:
    """The URL of an empty database of the dialect, removed afterwards."""
    if dialect == "sqlite":
        with tempfile.TemporaryDirectory(prefix="beffroi-bench-") as directory:
            yield f"sqlite:///{Path(directory) / 'bench.db'}"
        return
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"beffroi_bench_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def run(dialect: str, admin_url: str, rows: int, batch_size: int) -> dict[str, object]:
    """The three measurements for one dialect and batch size."""
    readings = make_readings(rows)
    later = make_readings(rows // 2, start=T0 + 1e6)
    half = [
        batch_old + batch_new
        for batch_old, batch_new in zip(
            batched(readings[: rows // 2], batch_size // 2), batched(later, batch_size // 2), strict=False
        )
    ]
    with fresh_database(dialect, admin_url) as url, Store(url) as store:
        store.migrate()
        store.insert_readings(make_readings(batch_size, start=T0 - 1e6))  # warm the pool (and PG's staging table)
        fresh_rate, fresh_new = timed_insert(store, batched(readings, batch_size))
        again_rate, again_new = timed_insert(store, batched(readings, batch_size))
        half_rate, half_new = timed_insert(store, half)
        total = store.count_readings(TENANT)
    return {
        "dialect": dialect,
        "batch": batch_size,
        "rows": rows,
        "fresh_rows_per_s": round(fresh_rate),
        "redelivered_rows_per_s": round(again_rate),
        "half_redelivered_rows_per_s": round(half_rate),
        "new_rows": {"fresh": fresh_new, "redelivered": again_new, "half_redelivered": half_new},
        "rows_in_table": total,
    }


def main() -> None:
    """Parse the arguments, run every measurement, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--batches", default="1000,10000")
    parser.add_argument("--dialects", default="sqlite,postgresql")
    parser.add_argument(
        "--postgres-admin-url",
        default=os.environ.get("BEFFROI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
    )
    args = parser.parse_args()
    results = [
        run(dialect, args.postgres_admin_url, args.rows, int(size))
        for dialect in args.dialects.split(",")
        for size in args.batches.split(",")
    ]
    print(
        json.dumps(
            {
                "benchmark": "store_readings",
                "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
