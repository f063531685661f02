"""`beffroi forecast COUNTS.csv --area M2 [--schedule FILE] [--level standing|moving]`: replay a zone's counts.

Runs the overcrowding forecaster (beffroi.crowd.forecast) over a zone's history as if live, the way a planner
replays a past event or rehearses a new one. Input CSV: a header naming `timestamp` (ISO 8601 with a UTC offset,
or epoch seconds) and `count` (people in the zone), optionally `inflow` and `outflow` (people who came in and went
out since the previous row; an empty cell means unknown for that row), rows in time order. Output CSV, one row
per input row:

    timestamp,count,density,forecast_15,low_15,high_15,forecast_30,low_30,high_30,density_15,density_30,
    red_expected,announcement

forecasts and interval bounds in people (the interval holds 80 % of outcomes), densities in p/m², `red_expected`
1 while a "red expected" announcement holds, `announcement` the text of one raised or cleared on that row.
A bad row stops the run with its line number (exit status 1) and writes nothing.

Schedule file (optional): the sessions of the zone's site, CSV with a header `start,end,label` and optionally
`half_time` and `attendance`, or YAML, a list of mappings with the same keys (or `{sessions: [...]}`):

    start,end,label,half_time,attendance
    2024-07-26T19:30:00+02:00,2024-07-26T21:30:00+02:00,Final,2024-07-26T20:25:00+02:00,60000

`start` is the kick-off, `half_time` the middle of the break (default: the middle of sessions of 90 min or more;
`none` for no break), `attendance` a relative weight. Arrivals, departures and the break follow from them.
"""

from __future__ import annotations

import csv
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TextIO, get_args

import click

from beffroi.cli_csv_replay import reason, replay_csv
from beffroi.cli_detect import parse_timestamp
from beffroi.crowd.forecast import (
    Announcement,
    AnnouncerSettings,
    CrowdPosture,
    ForecastSettings,
    RedExpected,
    Schedule,
    ZoneWatch,
    parse_schedule,
    thresholds_for,
)
from beffroi.errors import ConfigError, RejectedInput

OUTPUT_HEADER = (
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
)
Row = tuple[str, float, float, float | None, float | None]


def _number(text: str, name: str) -> float:
    stripped = text.strip()
    try:
        value = float(stripped)
    except ValueError:
        raise ValueError(f"{name} {stripped!r} is not a number") from None
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} {stripped!r} must be a finite number ≥ 0")
    return value


def read_counts(stream: TextIO) -> Iterator[Row]:
    """(timestamp text, epoch seconds, count, inflow, outflow) per row; RejectedInput naming the line of a bad row."""
    reader = csv.reader(stream)
    header = next(reader, None)
    if header is None:
        raise RejectedInput("bad_csv", "line 1: the file is empty; expected a header `timestamp,count`")
    names = [name.strip().lower() for name in header]
    if "timestamp" not in names or "count" not in names:
        raise RejectedInput(
            "bad_csv", f"line 1: the header must name the columns `timestamp` and `count`, got {','.join(header)!r}"
        )
    if ("inflow" in names) != ("outflow" in names):
        raise RejectedInput("bad_csv", "line 1: give both `inflow` and `outflow` columns, or neither")
    columns = [names.index(name) for name in ("timestamp", "count", "inflow", "outflow") if name in names]
    width = max(columns) + 1
    previous = -math.inf
    for row in reader:
        line = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) < width:
            raise RejectedInput("bad_csv", f"line {line}: expected at least {width} columns, got {len(row)}")
        try:
            ts = parse_timestamp(row[columns[0]])
            count = _number(row[columns[1]], "count")
            flows = [row[i].strip() for i in columns[2:]]
            inflow = outflow = None
            if len(flows) == 2 and flows[0] and flows[1]:
                inflow, outflow = _number(flows[0], "inflow"), _number(flows[1], "outflow")
        except ValueError as error:
            raise RejectedInput("bad_csv", f"line {line}: {error}") from None
        if ts < previous:
            raise RejectedInput(
                "bad_csv",
                f"line {line}: timestamp {row[columns[0]].strip()!r} is before the previous row's: sort by time",
            )
        previous = ts
        yield row[columns[0]].strip(), ts, count, inflow, outflow


def describe(announcement: Announcement, coverage: float) -> str:
    """A one-line text for an announcement."""
    if isinstance(announcement, RedExpected):
        return (
            f"red expected in {announcement.minutes_ahead:g} min (probability {announcement.probability:.2f}; "
            f"{announcement.density:.2f} p/m², {coverage:.0%} interval {announcement.density_low:.2f}–"
            f"{announcement.density_high:.2f}; red {announcement.red_density:g})"
        )
    reason = "forecast below red" if announcement.reason == "forecast_below_red" else "red reached"
    return f"red expected cleared: {reason} (now {announcement.density_now:.2f} p/m²)"


def run_forecast(source: TextIO, sink: IO[str], watch: ZoneWatch) -> tuple[int, int, float]:
    """Write one output row per input row; returns (rows, announcements raised, peak density)."""
    writer = csv.writer(sink, lineterminator="\n")
    writer.writerow(OUTPUT_HEADER)
    rows = raised = 0
    peak = 0.0
    coverage = watch.forecaster.settings.coverage
    for ts_text, ts, count, inflow, outflow in read_counts(source):
        forecast, announcements = watch.observe(ts, count, inflow, outflow)
        short, long = forecast.at(15), forecast.at(30)
        raised += sum(1 for a in announcements if isinstance(a, RedExpected) and not a.repeat)
        text = "; ".join(describe(a, coverage) for a in announcements if not getattr(a, "repeat", False))
        writer.writerow(
            (
                ts_text,
                f"{count:g}",
                f"{forecast.density:.3f}",
                *(f"{value:.1f}" for value in (short.count, short.low, short.high, long.count, long.low, long.high)),
                f"{short.density:.3f}",
                f"{long.density:.3f}",
                1 if watch.announcer.active else 0,
                text,
            )
        )
        rows += 1
        peak = max(peak, forecast.density)
    return rows, raised, peak


def _load_schedule(path: Path) -> Schedule:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise RejectedInput("bad_schedule", f"not UTF-8 text ({error})") from None
    return Schedule(parse_schedule(text, name=path.name))


@click.command("forecast")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--area", "area_m2", required=True, type=click.FloatRange(min=0, min_open=True), help="Zone area, m².")
@click.option(
    "--schedule",
    "schedule_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Sessions (CSV `start,end,label[,half_time][,attendance]` or YAML with the same keys).",
)
@click.option(
    "--level",
    type=click.Choice(get_args(CrowdPosture)),
    default="standing",
    show_default=True,
    help="Crowd kind for the default thresholds: standing (amber 3.5, red 4.7 p/m²) or moving (2, 4).",
)
@click.option("--amber", type=click.FloatRange(min=0, min_open=True), help="Amber density, p/m² (overrides --level).")
@click.option("--red", type=click.FloatRange(min=0, min_open=True), help="Red density, p/m² (overrides --level).")
@click.option(
    "--confidence",
    type=click.FloatRange(0.05, 0.95),
    default=AnnouncerSettings().raise_probability,
    show_default=True,
    help="Announce when red is forecast within 30 min with at least this probability.",
)
@click.option("--zone", "zone_id", default=None, help="Zone name in the announcements (default: the file's name).")
@click.option(
    "--out", type=click.Path(dir_okay=False, writable=True, path_type=Path), help="Output CSV (default: stdout)."
)
def forecast(
    file: Path,
    area_m2: float,
    schedule_path: Path | None,
    level: CrowdPosture,
    amber: float | None,
    red: float | None,
    confidence: float,
    zone_id: str | None,
    out: Path | None,
) -> None:
    """Forecast a zone's crowd 15 and 30 minutes ahead over a CSV of `timestamp,count[,inflow,outflow]`, with the
    "red expected in N min" announcements.

    Timestamps are ISO 8601 with a UTC offset or epoch seconds, in time order; inflow/outflow are the people who
    came in and went out since the previous row. The schedule file lists the sessions (kick-off `start`, `end`,
    `label`, optional `half_time` and `attendance`) as CSV or YAML. Example:
    `beffroi forecast gate-a.csv --area 420 --level moving --schedule sessions.csv --out gate-a-forecast.csv`
    """
    try:
        thresholds = thresholds_for(level, amber=amber, red=red)
        schedule = _load_schedule(schedule_path) if schedule_path is not None else None
        announcer = AnnouncerSettings(
            raise_probability=confidence, clear_probability=confidence / 2.0, refresh_s=math.inf
        )
    except (ConfigError, RejectedInput) as error:
        where = schedule_path if isinstance(error, RejectedInput) else "options"
        click.echo(f"beffroi forecast: {where}: {reason(error)}", err=True)
        sys.exit(1)
    watch = ZoneWatch(
        zone_id or file.stem,
        area_m2,
        thresholds,
        schedule=schedule,
        forecast_settings=ForecastSettings(),
        announcer_settings=announcer,
    )
    rows, raised, peak = replay_csv("forecast", file, out, lambda source, sink: run_forecast(source, sink, watch))
    plural = "" if raised == 1 else "s"
    click.echo(
        f"forecast: {rows} rows, {raised} red-expected announcement{plural}, peak density {peak:.2f} p/m² "
        f"(red {thresholds.red:g})",
        err=True,
    )
