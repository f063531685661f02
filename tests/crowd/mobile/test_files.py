"""Signalling files: CSV and Parquet read in chunks, bad rows counted with their reason, never a crash."""

from __future__ import annotations

import logging
from pathlib import Path

import msgspec
import numpy as np
import polars as pl
import pytest

from beffroi.crowd.mobile import Pseudonymiser, SignallingFileReader
from tests.crowd.mobile.world import NOON, three_venues

SECRET = b"a-secret-of-at-least-16-bytes"
HEADER = "timestamp,subscriber,cell,event,home_network,billing_area\n"
GOOD = [
    f"{NOON:.0f},208011111111111,c0,ATTACH,208-01,75",
    "2024-06-15T10:00:00Z,208012222222222,c1,3,208-01,2A",
    "2024-06-15T12:00:00+02:00,208013333333333,c2,data,222-10,",
]
BAD = [
    ("yesterday,208014444444444,c0,SMS,208-01,75", "bad_timestamp", "yesterday"),
    (f"{NOON:.0f},,c0,SMS,208-01,75", "missing_subscriber", None),
    (f"{NOON:.0f},208015555555555,c99,SMS,208-01,75", "unknown_cell", "c99"),
    (f"{NOON:.0f},208016666666666,c0,PAGING,208-01,75", "bad_event", "PAGING"),
    (f"{NOON:.0f},208017777777777,c0,SMS,12,75", "bad_home_network", "12"),
    (f"{NOON:.0f},208018888888888,c0,SMS,208-01,PARIS", "bad_billing_area", "PARIS"),
    (f"{NOON:.0f},208019999999999,c0", "bad_event", None),
    ("99999999999999,208010000000000,c0,SMS,208-01,75", "bad_timestamp", "99999999999999"),
]


def _reader(chunk_rows: int = 4) -> SignallingFileReader:
    plan, _ = three_venues()
    return SignallingFileReader(plan, Pseudonymiser(SECRET), chunk_rows=chunk_rows)


def test_csv_good_rows_become_pseudonymised_batches_and_bad_rows_are_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    path = tmp_path / "drop.csv"
    lines = [GOOD[0], BAD[0][0], GOOD[1], *(line for line, _, _ in BAD[1:]), GOOD[2]]
    path.write_text(HEADER + "\n".join(lines) + "\n")
    reader = _reader()
    batches = list(reader.batches(path))
    assert len(batches) >= 2  # read in chunks of 4 rows
    ts = np.concatenate([batch.ts for batch in batches])
    np.testing.assert_allclose(ts, [NOON, NOON, NOON])  # epoch, ISO in UTC, ISO with an offset: all noon in Paris
    assert np.concatenate([batch.cell for batch in batches]).tolist() == [0, 1, 2]
    assert np.concatenate([batch.event for batch in batches]).tolist() == [0, 3, 6]
    assert np.concatenate([batch.home_mcc for batch in batches]).tolist() == [208, 208, 222]
    assert np.concatenate([batch.billing_area for batch in batches]).tolist() == ["75", "2A", ""]
    assert all(batch.subscriber.dtype == np.uint64 for batch in batches)
    report = reader.report
    assert (report.rows, report.accepted) == (11, 3)
    expected: dict[str, int] = {}
    for _, reason, _ in BAD:
        expected[reason] = expected.get(reason, 0) + 1
    assert report.rejected == expected
    examples = {(example.row, example.reason, example.field, example.value) for example in report.examples}
    assert (2, "bad_timestamp", "timestamp", "yesterday") in examples
    assert (4, "missing_subscriber", "subscriber", None) in examples
    assert (5, "unknown_cell", "cell", "c99") in examples
    assert all(example.value is None for example in report.examples if example.field == "subscriber")
    published = msgspec.json.encode(report).decode() + caplog.text + repr(batches)
    assert "20801" not in published  # no identifier in the report, the logs or the batches


def test_parquet_with_typed_columns(tmp_path: Path) -> None:
    path = tmp_path / "drop.parquet"
    pl.DataFrame(
        {
            "timestamp": [NOON, NOON + 1.5, float("nan")],
            "subscriber": [208011111111111, 208012222222222, 208013333333333],
            "cell": ["c0", "c3", "c1"],
            "event": [6, 2, 4],
            "home_network": ["208-01", "20810", "208-01"],
            "billing_area": ["93", None, "13"],
        }
    ).write_parquet(path)
    reader = _reader(chunk_rows=100)
    (batch,) = list(reader.batches(path))
    assert batch.ts.tolist() == [NOON, NOON + 1.5]
    assert batch.cell.tolist() == [0, 3]
    assert batch.event.tolist() == [6, 2]
    assert batch.billing_area.tolist() == ["93", ""]
    assert batch.timing_advance is None  # the file has no such column
    assert reader.report.rejected == {"bad_timestamp": 1}
    same = Pseudonymiser(SECRET).pseudonyms(np.array(["208011111111111"]), np.array([NOON]))
    assert batch.subscriber[0] == same[0]


def test_unreadable_files_are_reported_not_raised(tmp_path: Path) -> None:
    missing_column = tmp_path / "old.csv"
    missing_column.write_text("timestamp,subscriber,cell\n1,2,c0\n")
    garbage = tmp_path / "garbage.parquet"
    garbage.write_bytes(b"not a parquet file at all")
    reader = _reader()
    assert list(reader.read([missing_column, garbage, tmp_path / "absent.csv"])) == []
    assert reader.report.files == 3
    assert len(reader.report.unreadable) == 3
    assert "missing columns event, home_network, billing_area" in reader.report.unreadable[0]


def test_csv_timing_advance_is_read_when_present_and_bad_values_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "drop.csv"
    ta_rows = [
        (f"{NOON:.0f},208011111111111,c0,ATTACH,208-01,75,0", 0),
        (f"{NOON:.0f},208012222222222,c1,DATA,208-01,75,", -1),  # empty: none
        (f"{NOON:.0f},208013333333333,c2,DETACH,208-01,75,-1", -1),
        (f"{NOON:.0f},208014444444444,c0,SMS,208-01,75, 1282 ", 1282),  # the LTE maximum (100 km)
        (f"{NOON:.0f},208015555555555,c1,CALL,208-01,75,7.0", 7),
    ]
    bad_rows = [
        (f"{NOON:.0f},208016666666666,c0,SMS,208-01,75,-2", "-2"),
        (f"{NOON:.0f},208017777777777,c0,SMS,208-01,75,1283", "1283"),
        (f"{NOON:.0f},208018888888888,c0,SMS,208-01,75,3.5", "3.5"),
        (f"{NOON:.0f},208019999999999,c0,SMS,208-01,75,far", "far"),
    ]
    mixed = f"{NOON:.0f},208010000000000,c0,PAGING,208-01,75,far"  # counted under its first reason only
    lines = [line for line, _ in ta_rows] + [line for line, _ in bad_rows] + [mixed]
    path.write_text(HEADER.rstrip("\n") + ",timing_advance\n" + "\n".join(lines) + "\n")
    reader = _reader()
    batches = list(reader.batches(path))
    assert all(batch.timing_advance is not None and batch.timing_advance.dtype == np.int16 for batch in batches)
    timing = np.concatenate([batch.timing_advance for batch in batches if batch.timing_advance is not None])
    assert timing.tolist() == [ta for _, ta in ta_rows]
    assert np.concatenate([batch.cell for batch in batches]).tolist() == [0, 1, 2, 0, 1]
    assert reader.report.rejected == {"bad_timing_advance": 4, "bad_event": 1}
    examples = {(e.row, e.reason, e.field, e.value) for e in reader.report.examples}
    for row, (_, value) in enumerate(bad_rows, start=len(ta_rows) + 1):
        assert (row, "bad_timing_advance", "timing_advance", value) in examples


def test_a_file_without_timing_advance_gives_batches_without_it(tmp_path: Path) -> None:
    path = tmp_path / "drop.csv"
    path.write_text(HEADER + "\n".join(GOOD) + "\n")
    reader = _reader(chunk_rows=100)
    (batch,) = list(reader.batches(path))
    assert len(batch) == 3
    assert batch.timing_advance is None
    assert reader.report.rejected == {}


@pytest.mark.parametrize(
    ("values", "dtype"),
    [([12, None, -1, 1282, 1283], pl.Int32()), ([12.0, float("nan"), -1.0, 1282.0, 12.5], pl.Float64())],
)
def test_parquet_timing_advance_typed_columns_with_missing_values(
    tmp_path: Path, values: list[float | None], dtype: pl.DataType
) -> None:
    path = tmp_path / "drop.parquet"
    rows = len(values)
    pl.DataFrame(
        {
            "timestamp": [NOON + n for n in range(rows)],
            "subscriber": [f"20801000000000{n}" for n in range(rows)],
            "cell": ["c0"] * rows,
            "event": [6] * rows,
            "home_network": ["208-01"] * rows,
            "billing_area": ["75"] * rows,
            "timing_advance": pl.Series(values, dtype=dtype),
        }
    ).write_parquet(path)
    reader = _reader(chunk_rows=100)
    (batch,) = list(reader.batches(path))
    assert batch.timing_advance is not None
    assert batch.timing_advance.tolist() == [12, -1, -1, 1282]  # null or NaN: none
    assert batch.ts.tolist() == [NOON, NOON + 1, NOON + 2, NOON + 3]
    assert reader.report.rejected == {"bad_timing_advance": 1}
    (example,) = reader.report.examples
    assert (example.row, example.field) == (5, "timing_advance")
