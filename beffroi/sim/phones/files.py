"""Signalling files as an operator drops them (CSV or Parquet, one per hour, split when large) with the ground truth
beside them, and the cell plan they refer to.

Signalling columns are SIGNALLING_COLUMNS then OPTIONAL_SIGNALLING_COLUMNS: `timestamp` epoch seconds (millisecond
precision), `subscriber` the IMSI (15 digits, text), `cell` the cell id, `event` the SignallingEvent name,
`home_network` "MCC-MNC", `billing_area` the département (empty for roamers), `timing_advance` LTE steps of 78.12 m
(-1 on a detach, which carries none). Truth columns: `timestamp` (the minute's start, epoch seconds), `zone_id`
(a zone, or "SITE:surroundings"), `people` (everyone there), `phones` (the operator's), `site_id`, then the phones
per category (`resident`, `visitor`, `day_visitor`, `roamer`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import msgspec
import numpy as np
import numpy.typing as npt
import polars as pl

from beffroi.domain.signalling import OPTIONAL_SIGNALLING_COLUMNS, SIGNALLING_COLUMNS, SignallingEvent
from beffroi.sim.phones.population import CATEGORIES
from beffroi.sim.phones.simulation import Instant, PhoneMinute, PhoneSimulation
from beffroi.sim.scenario import Scenario

FileFormat = Literal["parquet", "csv"]
TRUTH_COLUMNS = ("timestamp", "zone_id", "people", "phones", "site_id", *(c.name.lower() for c in CATEGORIES))
MAX_ROWS_PER_FILE = 2_000_000
"""A busy hour's signalling is split into files of at most this many records (bounded memory)."""
CELL_PLAN_FILE = "cell-plan.json"


@dataclass(slots=True)
class WriteSummary:
    """What `write_signalling` wrote."""

    signalling_files: list[Path] = field(default_factory=list)
    truth_files: list[Path] = field(default_factory=list)
    records: int = 0
    subscribers: int = 0
    """Distinct phones of the run (the operator's subscribers and roamers seen)."""
    seconds: float = 0.0


def _hour_label(hour: int) -> str:
    return datetime.fromtimestamp(hour * 3600, UTC).strftime("%Y%m%dT%HZ")


def _write(frame: pl.DataFrame, path: Path, file_format: FileFormat) -> None:
    if file_format == "csv":
        frame.write_csv(path, float_precision=3)
    else:
        frame.write_parquet(path)


class _Writer:
    """Minutes gathered per hour and flushed to files."""

    def __init__(self, sim: PhoneSimulation, folder: Path, file_format: FileFormat, summary: WriteSummary) -> None:
        self._sim = sim
        self._folder = folder
        self._format = file_format
        self._summary = summary
        self._cells = pl.Series([cell.id for cell in sim.plan.cells], dtype=pl.Utf8)
        self._events = pl.Series([event.name for event in SignallingEvent], dtype=pl.Utf8)
        self._networks = pl.Series([network.label for network in sim.networks], dtype=pl.Utf8)
        self._billing = pl.Series(sim.billing_codes.tolist(), dtype=pl.Utf8)
        places = sim.place_info
        self._zone_ids = np.array([p.id for p in places], dtype=object)
        self._site_ids = np.array([p.site_id for p in places], dtype=object)
        self._hour = -1
        self._part = 0
        self._columns: list[tuple[npt.NDArray[np.generic], ...]] = []
        self._rows = 0
        self._truth: list[pl.DataFrame] = []

    def add(self, minute: PhoneMinute) -> None:
        hour = int(minute.start // 3600)
        if hour != self._hour:
            self.flush()
            self._hour, self._part = hour, 0
        self._columns.append(
            (
                minute.ts,
                minute.subscriber,
                minute.cell,
                minute.event,
                minute.network,
                minute.billing,
                minute.timing_advance,
            )
        )
        self._rows += len(minute)
        self._summary.records += len(minute)
        phones = minute.phones
        self._truth.append(
            pl.DataFrame(
                {
                    "timestamp": np.full(phones.shape[0], int(minute.start), dtype=np.int64),
                    "zone_id": self._zone_ids,
                    "people": np.round(minute.people, 1),
                    "phones": phones.sum(axis=1),
                    "site_id": self._site_ids,
                    **{name: phones[:, c] for c, name in enumerate(TRUTH_COLUMNS[5:])},
                },
                schema_overrides={"zone_id": pl.Utf8, "site_id": pl.Utf8},
            )
        )
        if self._rows >= MAX_ROWS_PER_FILE:
            self._flush_signalling()

    def _flush_signalling(self) -> None:
        if not self._columns:
            return
        columns = (np.concatenate(c) for c in zip(*self._columns, strict=True))
        ts, subscriber, cell, event, network, billing, timing_advance = columns
        frame = pl.DataFrame(
            {
                "timestamp": ts,
                "subscriber": pl.Series(subscriber).cast(pl.Utf8),
                "cell": self._cells.gather(cell),
                "event": self._events.gather(event),
                "home_network": self._networks.gather(network),
                "billing_area": self._billing.gather(billing.astype(np.int64) + 1),
                "timing_advance": timing_advance,
            }
        ).select(*SIGNALLING_COLUMNS, *OPTIONAL_SIGNALLING_COLUMNS)
        path = self._folder / f"signalling-{_hour_label(self._hour)}-{self._part:02d}.{self._format}"
        _write(frame, path, self._format)
        self._summary.signalling_files.append(path)
        self._part += 1
        self._columns, self._rows = [], 0

    def flush(self) -> None:
        """Write what is gathered: the hour's last signalling file and its truth."""
        self._flush_signalling()
        if self._truth:
            path = self._folder / f"truth-{_hour_label(self._hour)}.{self._format}"
            _write(pl.concat(self._truth), path, self._format)
            self._summary.truth_files.append(path)
            self._truth = []


def write_signalling(
    scenario: Scenario,
    start: Instant,
    end: Instant,
    folder: Path,
    format: FileFormat = "parquet",
    *,
    seed: int = 0,
    operator: str = "Orange",
    market_share: float = 0.4,
    sites: list[str] | None = None,
) -> WriteSummary:
    """Simulate the operator's signalling from `start` to `end` and write it to `folder`: signalling files per hour,
    truth files per hour, and the cell plan (`cell-plan.json`). Memory stays bounded whatever the range."""
    began = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    sim = PhoneSimulation(scenario, seed=seed, operator=operator, market_share=market_share, sites=sites)
    (folder / CELL_PLAN_FILE).write_bytes(msgspec.json.encode(sim.plan))
    summary = WriteSummary()
    writer = _Writer(sim, folder, format, summary)
    for minute in sim.minutes(start, end):
        writer.add(minute)
    writer.flush()
    summary.subscribers = sim.pool.size if sim.pool is not None else 0
    summary.seconds = time.perf_counter() - began
    return summary
