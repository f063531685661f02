"""Roll-ups of readings per time bucket, computed by the database, alike on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from beffroi.store.rollups import ReadingBucket
from beffroi.store.store import Store
from tests.store.samples import load_registry, reading

BASE = 1_720_000_200.0  # a whole minute (and 5 minutes, not an hour)


def test_readings_roll_up_per_minute_newest_first(store: Store) -> None:
    load_registry(store)
    values = {0.0: 1.0, 20.5: 5.0, 59.999: 3.0, 60.0: 10.0, 179.0: -2.0}
    store.insert_readings([reading(ts=BASE + offset, value=value) for offset, value in values.items()])
    store.insert_readings([reading(ts=BASE + 5, metric="count_out", value=100.0)])  # another metric
    store.insert_readings([reading(device_id="pc-2", ts=BASE + 5, value=100.0)])  # another device
    buckets = store.rollup_readings("paris", "pc-1", "count_in", bucket_s=60)
    assert buckets == [
        ReadingBucket(start=BASE + 120, count=1, min=-2.0, max=-2.0, avg=-2.0),
        ReadingBucket(start=BASE + 60, count=1, min=10.0, max=10.0, avg=10.0),
        ReadingBucket(start=BASE, count=3, min=1.0, max=5.0, avg=3.0),
    ]


def test_rollups_respect_the_time_range_the_limit_and_the_tenant(store: Store) -> None:
    load_registry(store)
    load_registry(store, "lyon")
    store.insert_readings([reading(ts=BASE + 60 * i, value=float(i)) for i in range(10)])
    store.insert_readings([reading("lyon", ts=BASE, value=99.0)])
    ranged = store.rollup_readings("paris", "pc-1", "count_in", bucket_s=300, since=BASE + 60, until=BASE + 420)
    assert [(b.start, b.count, b.min, b.max) for b in ranged] == [(BASE + 300, 3, 5.0, 7.0), (BASE, 4, 1.0, 4.0)]
    assert len(store.rollup_readings("paris", "pc-1", "count_in", bucket_s=60, limit=2)) == 2
    assert store.rollup_readings("lyon", "pc-1", "count_in", bucket_s=3600)[0].max == 99.0
    assert store.rollup_readings("nobody", "pc-1", "count_in", bucket_s=60) == []


@pytest.mark.parametrize("bucket_s", [0, -60, 1.5, True])
def test_a_bad_bucket_is_refused(store: Store, bucket_s: object) -> None:
    with pytest.raises(ValueError, match="bucket_s"):
        store.rollup_readings("paris", "pc-1", "count_in", bucket_s=bucket_s)  # type: ignore[arg-type]
