"""Signalling and truth files (CSV and Parquet, one per hour) read back with Polars, and the cell plan beside them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import msgspec
import numpy as np
import polars as pl
import pytest

from beffroi.crowd.mobile import Pseudonymiser, SignallingFileReader
from beffroi.domain.signalling import OPTIONAL_SIGNALLING_COLUMNS, SIGNALLING_COLUMNS, CellPlan, SignallingEvent
from beffroi.sim.phones import TRUTH_COLUMNS, PhoneSimulation, cell_plan, write_signalling
from beffroi.sim.scenario import Scenario, load_scenario

TINY = Path(__file__).parents[3] / "scenarios" / "tests" / "tiny.json"
START = datetime.fromisoformat("2024-07-26T16:55:00+02:00")
END = datetime.fromisoformat("2024-07-26T17:05:00+02:00")
TEXT = {column: pl.Utf8 for column in ("subscriber", "cell", "event", "home_network", "billing_area")}


@pytest.fixture(scope="module")
def tiny() -> Scenario:
    return load_scenario(TINY)


def _read(path: Path) -> pl.DataFrame:
    if path.suffix == ".csv":
        return pl.read_csv(path, schema_overrides=TEXT).with_columns(pl.col("billing_area").fill_null(""))
    return pl.read_parquet(path)


@pytest.mark.parametrize("file_format", ["parquet", "csv"])
def test_files_round_trip_with_the_signalling_columns(tiny: Scenario, tmp_path: Path, file_format: str) -> None:
    summary = write_signalling(tiny, START, END, tmp_path, "csv" if file_format == "csv" else "parquet", seed=4)
    assert [p.name for p in summary.signalling_files] == [
        f"signalling-20240726T14Z-00.{file_format}",
        f"signalling-20240726T15Z-00.{file_format}",
    ]
    frame = pl.concat([_read(path) for path in summary.signalling_files])
    assert tuple(frame.columns) == SIGNALLING_COLUMNS + OPTIONAL_SIGNALLING_COLUMNS
    assert frame.height == summary.records > 5000
    assert frame["timestamp"].dtype == pl.Float64
    assert frame["timestamp"].is_sorted()
    assert START.timestamp() <= frame["timestamp"].min() and frame["timestamp"].max() < END.timestamp()

    minutes = list(PhoneSimulation(tiny, seed=4).minutes(START, END))
    batch_ts = np.concatenate([m.ts for m in minutes])
    np.testing.assert_allclose(frame["timestamp"].to_numpy(), batch_ts, atol=5e-4)
    subscribers = np.concatenate([m.batch().subscriber for m in minutes])
    assert frame["subscriber"].to_list() == subscribers.tolist()
    assert frame["timing_advance"].dtype.is_integer()
    timing = np.concatenate([m.timing_advance for m in minutes])
    assert frame["timing_advance"].to_list() == timing.tolist()
    detach = frame["event"] == "DETACH"
    assert (frame.filter(detach)["timing_advance"] == -1).all()
    assert frame.filter(~detach)["timing_advance"].min() >= 0

    plan = msgspec.json.decode((tmp_path / "cell-plan.json").read_bytes(), type=CellPlan)
    assert plan == cell_plan(tiny, seed=4)
    assert set(frame["cell"].unique()) <= {cell.id for cell in plan.cells}
    assert set(frame["event"].unique()) <= {event.name for event in SignallingEvent}
    assert {"PERIODIC_UPDATE", "DATA", "CALL", "SMS"} <= set(frame["event"].unique())
    french = frame.filter(pl.col("home_network") == "208-01")
    assert french.height > 0.8 * frame.height
    assert (french["billing_area"].str.len_chars() >= 2).all()
    roamers = frame.filter(pl.col("home_network") != "208-01")
    assert roamers.height > 0 and (roamers["billing_area"] == "").all()
    assert (frame["subscriber"].str.len_chars() == 15).all()


def test_truth_files_hold_people_and_phones_per_place_and_minute(tiny: Scenario, tmp_path: Path) -> None:
    summary = write_signalling(tiny, START, END, tmp_path, "parquet", seed=4)
    truth = pl.concat([pl.read_parquet(path) for path in summary.truth_files])
    assert tuple(truth.columns) == TRUTH_COLUMNS
    assert set(truth["zone_id"].unique()) == {"tiny-gate", "tiny-stand", "tiny-stadium:surroundings"}
    assert truth.height == 3 * 10
    assert truth["timestamp"].n_unique() == 10
    categories = truth.select(["resident", "visitor", "day_visitor", "roamer"]).sum_horizontal()
    assert (categories == truth["phones"]).all()
    stand = truth.filter(pl.col("zone_id") == "tiny-stand")
    assert stand["people"].min() > 1000  # the match is on
    share = stand["phones"].sum() / stand["people"].sum()
    assert 0.35 < share < 0.45


@pytest.mark.parametrize("file_format", ["parquet", "csv"])
def test_the_mobile_reader_takes_the_written_files_with_their_timing_advance(
    tiny: Scenario, tmp_path: Path, file_format: str
) -> None:
    summary = write_signalling(tiny, START, END, tmp_path, "csv" if file_format == "csv" else "parquet", seed=4)
    plan = msgspec.json.decode((tmp_path / "cell-plan.json").read_bytes(), type=CellPlan)
    reader = SignallingFileReader(plan, Pseudonymiser(b"a-secret-of-at-least-16-bytes"))
    batches = list(reader.read(summary.signalling_files))
    assert reader.report.rejected == {} and reader.report.unreadable == []
    assert reader.report.accepted == summary.records
    minutes = list(PhoneSimulation(tiny, seed=4).minutes(START, END))
    expected = np.concatenate([m.timing_advance for m in minutes])
    read = np.concatenate([batch.timing_advance for batch in batches if batch.timing_advance is not None])
    assert read.tolist() == expected.tolist()
