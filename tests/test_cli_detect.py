"""`beffroi detect`: a detector over a CSV series, the scored CSV out, bad rows refused with their line number."""

from __future__ import annotations

import csv
import io
import itertools
import math
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner

from beffroi.cli import main
from beffroi.cli_detect import parse_timestamp, run_detection
from beffroi.engine.detectors.series import series_detector_names

T0 = 1_722_002_400  # 2024-07-26T14:00:00Z


def write_series(path: Path, rows: list[tuple[object, object]], header: str = "timestamp,value") -> Path:
    """A CSV with `header` and one line per (timestamp, value)."""
    lines = [header, *(f"{ts},{value}" for ts, value in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def scored(text: str) -> list[dict[str, str]]:
    """The output CSV's rows."""
    return list(csv.DictReader(io.StringIO(text)))


def detect(*args: str) -> tuple[int, str, str]:
    """Run `beffroi detect ARGS`: (exit code, stdout, stderr)."""
    result = CliRunner().invoke(main, ["detect", *args])
    return result.exit_code, result.stdout, result.stderr


def test_threshold_over_a_csv_writes_scores_alarms_and_a_summary(tmp_path: Path) -> None:
    series = write_series(
        tmp_path / "temp.csv",
        [
            ("2024-07-26T14:00:00Z", 30.0),
            ("2024-07-26T16:01:00+02:00", 39.5),  # 14:01Z
            (T0 + 120, 37.0),  # between clear_at and the limit: still active
            (T0 + 180, 35.5),
            (T0 + 240, 36.0),
        ],
    )
    code, out, err = detect(str(series), "--detector", "threshold", "--param", "above=38", "--param", "clear_at=36")
    assert code == 0, err
    rows = scored(out)
    assert list(rows[0]) == ["timestamp", "value", "score", "alarm"]
    assert [(r["timestamp"], r["value"]) for r in rows][:2] == [
        ("2024-07-26T14:00:00Z", "30.0"),
        ("2024-07-26T16:01:00+02:00", "39.5"),
    ]
    assert [(r["score"], r["alarm"]) for r in rows] == [("0", "0"), ("1", "1"), ("1", "1"), ("0", "0"), ("0", "0")]
    assert "5 points, 1 alarm raised, alarm active 120 s" in err


def test_out_writes_a_file_and_stdout_stays_empty(tmp_path: Path) -> None:
    series = write_series(tmp_path / "s.csv", [(T0 + 60 * i, 20.0) for i in range(12)])
    out_file = tmp_path / "scored.csv"
    code, out, err = detect(str(series), "--detector", "stuck_value", "--param", "min_count=5", "--out", str(out_file))
    assert code == 0, err
    assert out == ""
    rows = scored(out_file.read_text(encoding="utf-8"))
    assert [r["alarm"] for r in rows] == ["0"] * 4 + ["1"] * 8
    assert "12 points, 1 alarm raised, alarm active 420 s" in err
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".csv")] == sorted(["s.csv", "scored.csv"])


@pytest.mark.parametrize(
    ("rows", "line", "problem"),
    [
        ([(T0, 1.0), ("yesterday", 2.0)], 3, "'yesterday' is neither ISO 8601 nor epoch seconds"),
        ([(T0, 1.0), ("2024-07-26T14:00:00", 2.0)], 3, "has no UTC offset"),
        ([(T0 * 1000, 1.0)], 2, "milliseconds?"),
        ([(T0, 1.0), (T0 + 1, "warm")], 3, "value 'warm' is not a number"),
        ([(T0, 1.0), (T0 + 1, "nan")], 3, "value 'nan' is not a finite number"),
        ([(T0, 1.0), (T0 + 60, 1.0), (T0 + 30, 1.0)], 4, "before the previous row's"),
    ],
)
def test_a_bad_row_exits_1_naming_its_line_and_writes_nothing(
    tmp_path: Path, rows: list[tuple[object, object]], line: int, problem: str
) -> None:
    series = write_series(tmp_path / "bad.csv", rows)
    out_file = tmp_path / "scored.csv"
    code, out, err = detect(str(series), "--detector", "threshold", "--param", "above=5", "--out", str(out_file))
    assert code == 1
    assert f"line {line}: " in err and problem in err
    assert out == "" and not out_file.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]  # no temporary file left behind
    code, out, err = detect(str(series), "--detector", "threshold", "--param", "above=5")
    assert (code, out) == (1, "")


def test_a_short_row_a_bad_header_and_an_empty_file_are_refused(tmp_path: Path) -> None:
    short = tmp_path / "short.csv"
    short.write_text("timestamp,value\n1722002400,1\n1722002460\n", encoding="utf-8")
    assert (
        "line 3: expected at least 2 columns, got 1"
        in detect(str(short), "--detector", "threshold", "--param", "above=1")[2]
    )
    headerless = write_series(tmp_path / "h.csv", [(T0, 1.0)], header="time,reading")
    assert "line 1: the header must name the columns" in detect(str(headerless), "--detector", "absence")[2]
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    assert "line 1: the file is empty" in detect(str(empty), "--detector", "absence")[2]


def test_header_columns_in_any_order_with_extras_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("\ufeffValue,device,Timestamp\n1.0,x,1722002400\n\n9.0,x,1722002460\n", encoding="utf-8")
    code, out, err = detect(str(path), "--detector", "threshold", "--param", "above=5")
    assert code == 0, err
    assert [(r["timestamp"], r["alarm"]) for r in scored(out)] == [("1722002400", "0"), ("1722002460", "1")]


def test_bad_detector_or_parameters_are_named(tmp_path: Path) -> None:
    series = write_series(tmp_path / "s.csv", [(T0, 1.0)])
    code, _, err = detect(str(series), "--detector", "crystal_ball")
    assert code == 1 and "unknown detector 'crystal_ball'" in err and "threshold" in err
    code, _, err = detect(str(series), "--detector", "threshold", "--param", "abve=3")
    assert code == 1 and "unknown parameter 'abve'" in err
    code, _, err = detect(str(series), "--detector", "threshold", "--param", "above=hot")
    assert code == 1 and "parameter `above`: expected `float`, got 'hot'" in err
    code, _, err = detect(str(series), "--detector", "threshold")
    assert code == 1 and "set exactly one of `above` or `below`" in err
    code, _, err = detect(str(series), "--detector", "threshold", "--param", "above")
    assert code == 2 and "'above' is not NAME=VALUE" in err
    code, _, err = detect(str(series))
    assert code == 2 and "give a FILE and --detector NAME" in err


def test_list_shows_every_series_detector_with_its_parameters() -> None:
    code, out, _ = detect("--list")
    assert code == 0
    for name in ("threshold", "rate_of_change", "stuck_value", "absence", "battery_low"):
        assert f"{name}: " in out
    assert set(series_detector_names()) == {line.split(":")[0] for line in out.splitlines() if line and line[0] != " "}
    assert "    max_rate    raise when the value changes faster" in out


def test_absence_flags_the_point_after_a_silence_using_the_interval(tmp_path: Path) -> None:
    times = [T0, T0 + 60, T0 + 120, T0 + 500, T0 + 560]
    series = write_series(tmp_path / "s.csv", [(ts, 1.0) for ts in times])
    code, out, err = detect(str(series), "--detector", "absence", "--interval", "60")
    assert code == 0, err
    assert [r["alarm"] for r in scored(out)] == ["0", "0", "0", "1", "0"]
    assert "1 alarm raised" in err
    _, out, _ = detect(str(series), "--detector", "absence", "--interval", "200")
    assert [r["alarm"] for r in scored(out)] == ["0"] * 5


def test_rate_of_change_and_battery_low_run_over_a_series(tmp_path: Path) -> None:
    ramp = write_series(tmp_path / "ramp.csv", [(T0 + 60 * i, v) for i, v in enumerate([20, 20, 21, 35, 50, 50, 50])])
    code, out, _ = detect(str(ramp), "--detector", "rate_of_change", "--param", "max_rate=5", "--param", "clear_rate=1")
    assert code == 0
    assert [r["alarm"] for r in scored(out)] == ["0", "0", "0", "1", "1", "0", "0"]
    battery = write_series(tmp_path / "battery.csv", [(T0 + i, v) for i, v in enumerate([40, 16, 14, 18, 21])])
    _, out, _ = detect(str(battery), "--detector", "battery_low")
    assert [r["alarm"] for r in scored(out)] == ["0", "0", "1", "1", "0"]


def test_timestamps_parse_as_epoch_seconds_or_iso_8601_with_an_offset() -> None:
    assert parse_timestamp(" 1722002400.5 ") == 1722002400.5
    assert parse_timestamp("2024-07-26T14:00:00Z") == T0
    assert parse_timestamp("2024-07-26T16:00:00.250+02:00") == T0 + 0.25
    for bad in ("inf", "2024-13-01T00:00:00Z", ""):
        with pytest.raises(ValueError, match="timestamp"):
            parse_timestamp(bad)
    assert math.isfinite(parse_timestamp("0"))


@pytest.mark.slow
def test_memory_stays_flat_on_a_long_series() -> None:
    """50,000 rows streamed: the detector and the reader hold a few kilobytes, not the series (about 4 MB)."""
    rows = 50_000

    class Rows(io.TextIOBase):
        """A CSV produced on the fly, line by line."""

        def __init__(self) -> None:
            self._lines = itertools.chain(["timestamp,value\n"], (f"{T0 + i},{20 + (i % 7)}\n" for i in range(rows)))

        def readable(self) -> bool:
            return True

        def __next__(self) -> str:
            return next(self._lines)

        def readline(self, size: int | None = -1) -> str:
            return next(self._lines, "")

    class Discard(io.StringIO):
        def write(self, text: str) -> int:
            return len(text)

    tracemalloc.start()
    try:
        summary = run_detection(Rows(), Discard(), "stuck_value", {"min_count": "10"}, 1.0)  # type: ignore[arg-type]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert summary.points == rows
    assert peak < 1_000_000
