"""Readings: idempotent batches, time-range queries, the PostgreSQL COPY path, bad values."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy.dialects import sqlite

from beffroi.domain.observations import Reading
from beffroi.errors import RejectedInput, StoreError
from beffroi.store.readings import sqlite_timestamp_text
from beffroi.store.store import Store
from beffroi.store.tables import readings
from tests.store.samples import T0, reading


def _batch(count: int, *, tenant_id: str = "paris", start: float = T0, devices: int = 50) -> list[Reading]:
    return [
        reading(tenant_id, f"pc-{i % devices}", "count_in", start + (i // devices) * 10.0, float(i))
        for i in range(count)
    ]


def test_readings_round_trip(store: Store) -> None:
    bare = Reading(tenant_id="paris", device_id="pc-1", metric="occupancy", value=-2.5, ts=T0 + 0.123456)
    assert store.insert_readings([reading(), bare]) == 2
    assert store.query_readings("paris") == [bare, reading()]


def test_the_same_batch_twice_is_counted_once(store: Store) -> None:
    batch = _batch(500)
    assert store.insert_readings(batch) == 500
    assert store.insert_readings(batch) == 0
    assert store.count_readings("paris") == 500


def test_a_redelivered_batch_with_new_readings_counts_only_the_new(store: Store) -> None:
    batch = _batch(300)
    store.insert_readings(batch[:200])
    assert store.insert_readings(batch) == 100
    assert store.count_readings("paris") == 300


def test_duplicates_inside_one_batch_count_once(store: Store) -> None:
    assert store.insert_readings([reading(value=1.0), reading(value=2.0), reading(ts=T0 + 1)]) == 2
    assert store.count_readings("paris") == 2


def test_same_time_different_metric_or_device_are_distinct(store: Store) -> None:
    batch = [reading(), reading(metric="count_out"), reading(device_id="pc-2")]
    assert store.insert_readings(batch) == 3


def test_time_range_is_inclusive_and_newest_first(store: Store) -> None:
    store.insert_readings([reading(ts=T0 + i, value=float(i)) for i in range(10)])
    found = store.query_readings("paris", since=T0 + 3, until=T0 + 6)
    assert [r.value for r in found] == [6.0, 5.0, 4.0, 3.0]
    assert [r.value for r in store.query_readings("paris", since=T0 + 8)] == [9.0, 8.0]
    assert [r.value for r in store.query_readings("paris", until=T0 + 1)] == [1.0, 0.0]
    assert store.query_readings("paris", since=T0 + 100) == []


def test_queries_filter_by_device_and_metric_and_limit(store: Store) -> None:
    store.insert_readings(
        [reading(device_id=d, metric=m, ts=T0 + i) for i in range(5) for d in ("a", "b") for m in ("x", "y")]
    )
    found = store.query_readings("paris", device_id="b", metric="y")
    assert {(r.device_id, r.metric) for r in found} == {("b", "y")}
    assert [r.ts for r in found] == [T0 + 4, T0 + 3, T0 + 2, T0 + 1, T0]
    assert len(store.query_readings("paris", device_id="a")) == 10
    assert len(store.query_readings("paris", metric="x", limit=3)) == 3
    assert len(store.query_readings("paris")) == 20


def test_a_ten_thousand_batch_goes_in_whole(store: Store) -> None:
    """On PostgreSQL this is the binary COPY through the staging table; run twice to reuse the stage."""
    batch = _batch(10_000)
    assert store.insert_readings(batch) == 10_000
    assert store.insert_readings(batch) == 0
    assert store.insert_readings(_batch(10_000, start=T0 + 1e5)) == 10_000
    assert store.count_readings("paris") == 20_000
    newest = store.query_readings("paris", device_id="pc-7", limit=1)
    assert newest[0].ts == T0 + 1e5 + 199 * 10.0
    assert newest[0].position == reading().position


def test_concurrent_writers_from_threads(store: Store) -> None:
    batches = [_batch(1_000, start=T0 + k * 1e5) for k in range(8)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        counts = list(pool.map(store.insert_readings, batches + batches))
    assert sum(counts) == 8_000
    assert store.count_readings("paris") == 8_000


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        (reading(value=math.nan), "value nan is not a finite number"),
        (reading(value=math.inf), "value inf is not a finite number"),
        (reading(ts=-1.0), "ts -1.0 is not an epoch time"),
        (reading(ts=1e12), "ts 1000000000000.0 is not an epoch time"),
        (reading(ts=math.nan), "ts nan is not an epoch time"),
    ],
)
def test_a_reading_that_cannot_be_stored_rejects_the_batch(store: Store, bad: Reading, problem: str) -> None:
    with pytest.raises(RejectedInput, match=r"readings\[1\] \(tenant 'paris', device 'pc-1'") as caught:
        store.insert_readings([reading(ts=T0 - 1), bad])
    assert problem in caught.value.detail
    assert caught.value.reason == "invalid_reading"
    assert store.count_readings("paris") == 0


@pytest.mark.parametrize("limit", [0, -5, 100_001, 2.5, True])
def test_a_bad_limit_is_refused(store: Store, limit: object) -> None:
    with pytest.raises(ValueError, match="limit must be an integer from 1 to 100000"):
        store.query_readings("paris", limit=limit)  # type: ignore[arg-type]


@pytest.mark.parametrize("ts", [0.0, T0, T0 + 0.5, T0 + 0.000001, T0 + 0.9999994, 4_102_444_800.25])
def test_sqlite_fast_path_writes_times_as_sqlalchemy_does(ts: float) -> None:
    dialect = sqlite.dialect()
    process = readings.c.ts.type.dialect_impl(dialect).bind_processor(dialect)
    assert process is not None
    assert sqlite_timestamp_text(ts) == process(ts)


def test_empty_batch(store: Store) -> None:
    assert store.insert_readings([]) == 0


@pytest.mark.postgres
def test_postgres_copy_recovers_after_a_failed_batch(postgres_store: Store) -> None:
    """A batch the server refuses (NUL in text) rolls back, staging table included; the next batch still goes in."""
    store = postgres_store
    with pytest.raises(StoreError, match="inserting readings failed on postgresql"):
        store.insert_readings([reading(device_id="bad\x00id")])
    for _ in range(3):
        assert store.insert_readings(_batch(2_000)) in (2_000, 0)
    assert store.count_readings("paris") == 2_000
