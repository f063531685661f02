"""`beffroi detect FILE.csv --detector NAME [--param k=v ...]`: run a detector over a `timestamp,value` series.

The way an integrator tunes a detector on past data (exported from the store or from elsewhere) before switching
it on. The CSV needs a header naming the columns `timestamp` (ISO 8601 with a UTC offset, or epoch seconds) and
`value`; rows must be in time order. It is read and written row by row, so memory does not grow with the file;
the output goes to a temporary file first, so a bad row (reported with its line number, exit status 1) leaves
nothing written. The output is `timestamp,value,score,alarm` (alarm 0/1), and a summary goes to stderr.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, TextIO

import click

from beffroi.cli_csv_replay import replay_csv
from beffroi.engine.detectors import series_runner
from beffroi.engine.detectors.series import SeriesDetectorSpec, series_detector, series_detector_names, series_device
from beffroi.errors import RejectedInput

TIMESTAMP, VALUE = "timestamp", "value"
OUTPUT_HEADER = ("timestamp", "value", "score", "alarm")
EPOCH_MS_THRESHOLD = 1e11
"""Epoch seconds above this (year 5138) are almost surely milliseconds."""


def parse_timestamp(text: str) -> float:
    """Epoch seconds from `text`: a number of epoch seconds, or ISO 8601 with a UTC offset (Z or +hh:mm)."""
    stripped = text.strip()
    try:
        seconds = float(stripped)
    except ValueError:
        pass
    else:
        if not math.isfinite(seconds):
            raise ValueError(f"timestamp {stripped!r} is not a finite number")
        if abs(seconds) > EPOCH_MS_THRESHOLD:
            raise ValueError(f"timestamp {stripped!r} is too large for epoch seconds (milliseconds? divide by 1000)")
        return seconds
    try:
        moment = datetime.fromisoformat(stripped)
    except ValueError:
        raise ValueError(f"timestamp {stripped!r} is neither ISO 8601 nor epoch seconds") from None
    if moment.tzinfo is None:
        raise ValueError(f"timestamp {stripped!r} has no UTC offset (add Z or +01:00)")
    return moment.timestamp()


def parse_value(text: str) -> float:
    """The value of a row: a finite number."""
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError(f"value {text.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"value {text.strip()!r} is not a finite number")
    return value


def read_series(stream: TextIO) -> Iterator[tuple[str, str, float, float]]:
    """(timestamp text, value text, epoch seconds, value) per row; RejectedInput naming the line of a bad row."""
    reader = csv.reader(stream)
    header = next(reader, None)
    if header is None:
        raise RejectedInput("bad_csv", "line 1: the file is empty; expected a header `timestamp,value`")
    names = [name.strip().lower() for name in header]
    if TIMESTAMP not in names or VALUE not in names:
        raise RejectedInput(
            "bad_csv", f"line 1: the header must name the columns `timestamp` and `value`, got {','.join(header)!r}"
        )
    ts_column, value_column = names.index(TIMESTAMP), names.index(VALUE)
    width = max(ts_column, value_column) + 1
    previous: float | None = None
    for row in reader:
        line = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) < width:
            raise RejectedInput("bad_csv", f"line {line}: expected at least {width} columns, got {len(row)}")
        try:
            ts = parse_timestamp(row[ts_column])
            value = parse_value(row[value_column])
        except ValueError as error:
            raise RejectedInput("bad_csv", f"line {line}: {error}") from None
        if previous is not None and ts < previous:
            raise RejectedInput(
                "bad_csv",
                f"line {line}: timestamp {row[ts_column].strip()!r} is before the previous row's: sort by time",
            )
        previous = ts
        yield row[ts_column].strip(), row[value_column].strip(), ts, value


def parse_params(pairs: tuple[str, ...]) -> dict[str, str]:
    """`("k=v", …)` as a mapping; click.BadParameter on a pair without `=` or a name given twice."""
    params: dict[str, str] = {}
    for pair in pairs:
        name, separator, value = pair.partition("=")
        name = name.strip()
        if not separator or not name:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--param")
        if name in params:
            raise click.BadParameter(f"{name!r} is given twice", param_hint="--param")
        params[name] = value
    return params


def describe_detectors() -> str:
    """Every series detector with its description and parameters, for `--list`."""
    blocks = []
    for name in series_detector_names():
        spec: SeriesDetectorSpec = series_detector(name)
        lines = [f"{name}: {spec.description}"]
        width = max((len(param) for param in spec.params), default=0)
        lines += [f"    {param.ljust(width)}  {meaning}" for param, meaning in spec.params.items()]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def run_detection(
    source: TextIO, sink: IO[str], detector_name: str, params: dict[str, str], interval_s: float
) -> series_runner.SeriesSummary:
    """Run the detector over `source`'s rows, writing `timestamp,value,score,alarm` rows to `sink`."""
    detector = series_detector(detector_name).factory(params)
    runner = series_runner.SeriesRunner(detector, series_device(interval_s=interval_s))
    writer = csv.writer(sink, lineterminator="\n")
    writer.writerow(OUTPUT_HEADER)
    for ts_text, value_text, ts, value in read_series(source):
        point = runner.step(ts, value)
        writer.writerow((ts_text, value_text, f"{point.score:.6g}", 1 if point.alarm else 0))
    return runner.summary()


def _summary_line(summary: series_runner.SeriesSummary) -> str:
    share = f" ({summary.active_s / summary.span_s:.1%} of {summary.span_s:g} s)" if summary.span_s > 0 else ""
    raised = summary.alarms_raised
    plural = "" if raised == 1 else "s"
    return f"{summary.points} points, {raised} alarm{plural} raised, alarm active {summary.active_s:g} s{share}"


@click.command("detect")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--detector", "detector_name", metavar="NAME", help="The detector to run (see --list).")
@click.option("--param", "param_pairs", multiple=True, metavar="K=V", help="A detector parameter (repeatable).")
@click.option(
    "--out", type=click.Path(dir_okay=False, writable=True, path_type=Path), help="Output CSV (default: stdout)."
)
@click.option(
    "--interval",
    "interval_s",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="The series' expected reporting interval in seconds (the absence detector's windows use it).",
)
@click.option("--list", "list_only", is_flag=True, help="List the detectors and their parameters, then exit.")
def detect(
    file: Path | None,
    detector_name: str | None,
    param_pairs: tuple[str, ...],
    out: Path | None,
    interval_s: float,
    list_only: bool,
) -> None:
    """Run a detector over a CSV of `timestamp,value` and write `timestamp,value,score,alarm`.

    Timestamps are ISO 8601 with a UTC offset or epoch seconds, in time order. Example:
    `beffroi detect temp.csv --detector threshold --param above=38 --param clear_at=36 --out scored.csv`
    """
    if list_only:
        click.echo(describe_detectors())
        return
    if file is None or detector_name is None:
        raise click.UsageError("give a FILE and --detector NAME (or --list)")
    params = parse_params(param_pairs)
    summary = replay_csv(
        "detect",
        file,
        out,
        lambda source, sink: run_detection(source, sink, detector_name, params, interval_s),
    )
    click.echo(f"{detector_name}: {_summary_line(summary)}", err=True)
