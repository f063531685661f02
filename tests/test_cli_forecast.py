"""`beffroi forecast`: a zone's counts replayed as if live, forecasts and announcements out, bad rows refused."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from beffroi.cli_forecast import forecast

T0 = 1_722_002_400  # 2024-07-26T14:00:00Z


def write_counts(path: Path, lines: list[str], header: str = "timestamp,count,inflow,outflow") -> Path:
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def run(*args: str) -> tuple[int, str, str]:
    """`beffroi forecast ARGS`: (exit code, stdout, stderr)."""
    result = CliRunner().invoke(forecast, list(args))
    return result.exit_code, result.stdout, result.stderr


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def ramp_lines() -> list[str]:
    """An hour steady at 1000 people, then 40 more a minute (inflow 100 above outflow) for 40 minutes."""
    lines = [f"{T0 + 60 * i},1000,200,200" for i in range(60)]
    lines += [f"{T0 + 60 * (60 + j)},{1000 + 40 * j},{240 + 60},{200}" for j in range(1, 41)]
    return lines


def test_forecast_writes_a_row_per_reading_with_intervals_and_the_announcement(tmp_path: Path) -> None:
    counts = write_counts(tmp_path / "gate.csv", ramp_lines())
    code, out, err = run(str(counts), "--area", "500", "--level", "moving")
    assert code == 0, err
    table = rows(out)
    assert len(table) == 100
    assert list(table[0]) == [
        "timestamp",
        "count",
        "density",
        "forecast_15",
        "low_15",
        "high_15",
        "forecast_30",
        "low_30",
        "high_30",
        "density_15",
        "density_30",
        "red_expected",
        "announcement",
    ]
    steady = table[50]
    assert float(steady["forecast_15"]) == pytest.approx(1000.0, rel=0.02)
    assert float(steady["low_15"]) <= 1000.0 <= float(steady["high_15"])
    assert float(steady["density"]) == 2.0
    announced = [i for i, row in enumerate(table) if row["announcement"].startswith("red expected in")]
    assert announced, "the ramp to red (2000 people) should be announced"
    first = announced[0]
    assert table[first]["red_expected"] == "1"
    assert "p/m²" in table[first]["announcement"]
    red_row = next(i for i, row in enumerate(table) if float(row["count"]) >= 2000.0)
    assert red_row - first >= 10  # at least 10 readings (minutes) ahead
    assert "red reached" in table[red_row]["announcement"]
    assert table[red_row]["red_expected"] == "0"
    assert "100 rows, 1 red-expected announcement, peak density 5.20 p/m² (red 4)" in err


def test_schedule_file_and_out_file(tmp_path: Path) -> None:
    counts = write_counts(tmp_path / "stand.csv", [f"{T0 + 60 * i},{3000 + i}" for i in range(30)], "timestamp,count")
    schedule = tmp_path / "sessions.yaml"
    schedule.write_text("- {start: 2024-07-26T19:30:00+02:00, end: 2024-07-26T21:30:00+02:00, label: Final}\n")
    out_file = tmp_path / "forecast.csv"
    code, out, err = run(str(counts), "--area", "1000", "--schedule", str(schedule), "--out", str(out_file))
    assert code == 0, err
    assert out == ""
    table = rows(out_file.read_text(encoding="utf-8"))
    assert len(table) == 30
    assert all(row["red_expected"] == "0" and row["announcement"] == "" for row in table)
    assert "30 rows, 0 red-expected announcements" in err


@pytest.mark.parametrize(
    ("lines", "header", "problem"),
    [
        ([f"{T0},100,,", f"{T0 + 60},many,,"], None, "line 3: count 'many' is not a number"),
        ([f"{T0},100", f"{T0 + 60},-5"], "timestamp,count", "line 3: count '-5' must be a finite number ≥ 0"),
        ([f"{T0 + 60},100", f"{T0},100"], "timestamp,count", "line 3: timestamp .* is before the previous row's"),
        ([f"{T0},100,5,x"], None, "line 2: outflow 'x' is not a number"),
        (["2024-07-26T14:00:00,100"], "timestamp,count", "line 2: .* has no UTC offset"),
        ([f"{T0}"], "timestamp,count", "line 2: expected at least 2 columns"),
        ([f"{T0},1"], "time,people", "line 1: the header must name the columns `timestamp` and `count`"),
        ([f"{T0},1,2"], "timestamp,count,inflow", "line 1: give both `inflow` and `outflow`"),
    ],
)
def test_bad_rows_are_refused_with_their_line_and_nothing_is_written(
    tmp_path: Path, lines: list[str], header: str | None, problem: str
) -> None:
    counts = write_counts(tmp_path / "bad.csv", lines, header or "timestamp,count,inflow,outflow")
    out_file = tmp_path / "forecast.csv"
    code, out, err = run(str(counts), "--area", "100", "--out", str(out_file))
    assert code == 1
    assert out == ""
    assert re.search(problem, err), err
    assert not out_file.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad.csv"]


def test_bad_schedule_file_names_its_line(tmp_path: Path) -> None:
    counts = write_counts(tmp_path / "c.csv", [f"{T0},100"], "timestamp,count")
    schedule = tmp_path / "sessions.csv"
    schedule.write_text("start,end,label\n2024-07-26T19:30:00+02:00,2024-07-26T18:00:00+02:00,Final\n")
    code, _, err = run(str(counts), "--area", "100", "--schedule", str(schedule))
    assert code == 1
    assert f"{schedule}: line 2: end must be after start" in err


def test_help_documents_the_formats() -> None:
    code, out, _ = run("--help")
    assert code == 0
    for words in ("timestamp,count[,inflow,outflow]", "half_time", "attendance", "--level", "standing", "--schedule"):
        assert words in out
