"""Signalling files (CSV or Parquet drops, columns SIGNALLING_COLUMNS and, when present, those of
OPTIONAL_SIGNALLING_COLUMNS) read in chunks into pseudonymised `SignallingBatch`es. A bad row is counted under its
reason and a few are kept as examples (file, row, field, value; never the subscriber's identifier); a file that cannot
be read is reported; nothing crashes the reader.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import msgspec
import numpy as np
import polars as pl

from beffroi.crowd.mobile.pseudonymise import Pseudonymiser
from beffroi.domain.signalling import (
    MAX_TIMING_ADVANCE,
    NO_TIMING_ADVANCE,
    OPTIONAL_SIGNALLING_COLUMNS,
    SIGNALLING_COLUMNS,
    CellPlan,
    SignallingBatch,
    SignallingEvent,
)

log = logging.getLogger(__name__)

EARLIEST_TS = 946_684_800.0
"""2000-01-01: anything earlier is a bad timestamp."""
LATEST_TS = 4_102_444_800.0
"""2100-01-01: anything later is a bad timestamp."""
_EVENTS = {
    **{event.name: int(event) for event in SignallingEvent},
    **{str(int(event)): int(event) for event in SignallingEvent},
}
_HOME_NETWORK = re.compile(r"^\s*([2-7]\d\d)[-/ ]?\d{2,3}\s*$")
_BILLING_AREA = re.compile(r"^(?:\d{2}|2[AB]|\d{3})?$")
_CHECKS = (
    ("timestamp", "bad_timestamp"),
    ("subscriber", "missing_subscriber"),
    ("cell", "unknown_cell"),
    ("event", "bad_event"),
    ("home_network", "bad_home_network"),
    ("billing_area", "bad_billing_area"),
    ("timing_advance", "bad_timing_advance"),
)
"""Each parsed column and the reason a null in it refuses its row (the first in this order counts); an optional
column a file lacks is not checked."""


class RejectedRow(msgspec.Struct, frozen=True):
    """One refused row: its file, its data row (1 = first after the header), why, and the offending value
    (None for the subscriber column, whose values are never kept)."""

    source: str
    row: int
    reason: str
    field: str
    value: str | None


class IngestReport(msgspec.Struct):
    """What reading signalling files did: rows read, accepted, refused per reason, examples, unreadable files."""

    files: int = 0
    rows: int = 0
    accepted: int = 0
    rejected: dict[str, int] = msgspec.field(default_factory=dict)
    examples: list[RejectedRow] = msgspec.field(default_factory=list)
    unreadable: list[str] = msgspec.field(default_factory=list)


class SignallingFileReader:
    """Reads signalling files chunk by chunk into pseudonymised batches and keeps an `IngestReport`."""

    def __init__(
        self, plan: CellPlan, pseudonymiser: Pseudonymiser, chunk_rows: int = 500_000, max_examples: int = 100
    ) -> None:
        self.plan = plan
        self.pseudonymiser = pseudonymiser
        self.chunk_rows = chunk_rows
        self.max_examples = max_examples
        self.report = IngestReport()
        self._cell_index = plan.index()

    def __repr__(self) -> str:
        return f"SignallingFileReader(operator={self.plan.operator!r}, files={self.report.files})"

    def read(self, paths: Iterable[str | Path]) -> Iterator[SignallingBatch]:
        """The batches of every file in turn."""
        for path in paths:
            yield from self.batches(path)

    def batches(self, path: str | Path) -> Iterator[SignallingBatch]:
        """The accepted rows of one file, pseudonymised, in chunks of at most `chunk_rows`."""
        path = Path(path)
        self.report.files += 1
        source = path.name
        try:
            frame = pl.scan_parquet(path) if path.suffix.lower() in (".parquet", ".pq") else _scan_csv(path)
            schema = frame.collect_schema()
        except (pl.exceptions.PolarsError, OSError) as error:
            self._unreadable(source, type(error).__name__)
            return
        missing = [column for column in SIGNALLING_COLUMNS if column not in schema]
        if missing:
            self._unreadable(source, "missing columns " + ", ".join(missing))
            return
        columns = [*SIGNALLING_COLUMNS, *(column for column in OPTIONAL_SIGNALLING_COLUMNS if column in schema)]
        offset = 0
        try:
            for chunk in frame.select(columns).collect_batches(chunk_size=self.chunk_rows):
                batch = self._chunk(chunk, source, offset)
                offset += chunk.height
                if batch is not None:
                    yield batch
        except pl.exceptions.PolarsError as error:
            self._unreadable(source, f"{type(error).__name__} after {offset} rows")

    def _unreadable(self, source: str, why: str) -> None:
        self.report.unreadable.append(f"{source}: {why}")
        log.warning("signalling file %s refused: %s", source, why)

    def _chunk(self, chunk: pl.DataFrame, source: str, offset: int) -> SignallingBatch | None:
        self.report.rows += chunk.height
        parsed = _parse(chunk, self._cell_index)
        checks = [(column, why) for column, why in _CHECKS if column in parsed.columns]
        accepted = parsed.select(pl.all_horizontal(pl.col(column).is_not_null() for column, _ in checks)).to_series()
        if not accepted.all():
            reason = pl.lit(None, dtype=pl.String)
            for column, why in reversed(checks):
                reason = pl.when(pl.col(column).is_null()).then(pl.lit(why)).otherwise(reason)
            bad = parsed.filter(~accepted).with_columns(reason.alias("_reason"))
            self._record_bad(bad, chunk, source, offset)
            parsed = parsed.filter(accepted)
        self.report.accepted += parsed.height
        if parsed.height == 0:
            return None
        ts = parsed["timestamp"].to_numpy()
        areas = parsed["billing_area"]
        names = areas.unique().sort()
        codes = areas.cast(pl.Enum(names.to_list())).to_physical().to_numpy()
        return SignallingBatch(
            ts=ts,
            subscriber=self.pseudonymiser.pseudonyms(parsed["subscriber"], ts),
            cell=parsed["cell"].to_numpy(),
            event=parsed["event"].to_numpy(),
            home_mcc=parsed["home_network"].to_numpy(),
            billing_area=np.asarray(names.to_list(), dtype=np.str_)[codes],
            timing_advance=(
                parsed["timing_advance"].to_numpy().astype(np.int16) if "timing_advance" in parsed.columns else None
            ),
        )

    def _record_bad(self, bad: pl.DataFrame, chunk: pl.DataFrame, source: str, offset: int) -> None:
        for (why,), group in bad.group_by("_reason"):
            self.report.rejected[str(why)] = self.report.rejected.get(str(why), 0) + group.height
        log.warning("signalling file %s: %d rows refused", source, bad.height)
        room = self.max_examples - len(self.report.examples)
        if room <= 0:
            return
        field_of = {why: column for column, why in _CHECKS}
        for row, why in bad.select("_row", "_reason").head(room).iter_rows():
            column = field_of[why]
            value = None if column == "subscriber" else chunk[column].cast(pl.String)[row]
            self.report.examples.append(
                RejectedRow(source, offset + row + 1, why, column, None if value is None else str(value)[:40])
            )


def _scan_csv(path: Path) -> pl.LazyFrame:
    return pl.scan_csv(path, infer_schema=False, truncate_ragged_lines=True, raise_if_empty=False)


def _by_value(column: pl.Series, parse: Callable[[str], object], dtype: pl.DataType) -> pl.Series:
    """Parse each distinct value once (signalling columns other than time and subscriber have few)."""
    text = column.cast(pl.String)
    mapping = {value: parse(value) for value in text.drop_nulls().unique().to_list()}
    return text.replace_strict(mapping, default=None, return_dtype=dtype)


def _event(text: str) -> int | None:
    return _EVENTS.get(text.strip().upper())


def _mcc(text: str) -> int | None:
    found = _HOME_NETWORK.match(text)
    return int(found.group(1)) if found else None


def _billing_area(text: str) -> str | None:
    area = text.strip().upper()
    return area if _BILLING_AREA.match(area) else None


def _timing_advance(text: str) -> int | None:
    """Integer steps from 0 to MAX_TIMING_ADVANCE, or NO_TIMING_ADVANCE for an empty cell or -1; None (bad)
    otherwise. "12.0" is 12 (a float column); "12.5", "-3" and "5000" are bad."""
    text = text.strip()
    if not text:
        return NO_TIMING_ADVANCE
    try:
        number = float(text)
    except ValueError:
        return None
    if not number.is_integer() or not NO_TIMING_ADVANCE <= number <= MAX_TIMING_ADVANCE:
        return None
    return int(number)


def _timing_advance_column(column: pl.Series) -> pl.Series:
    """The timing advance column parsed; a missing value (null, or NaN in a float column) is NO_TIMING_ADVANCE."""
    if column.dtype.is_float():
        column = column.fill_nan(None)
    return _by_value(column.cast(pl.String).fill_null(""), _timing_advance, pl.Int16()).alias("timing_advance")


def _parse(chunk: pl.DataFrame, cell_index: dict[str, int]) -> pl.DataFrame:
    """Typed columns, null where a value is bad; `_row` is the row's position in the chunk. An optional column
    is parsed when the chunk has it."""
    optional = [_timing_advance_column(chunk["timing_advance"])] if "timing_advance" in chunk.columns else []
    return pl.DataFrame(
        [
            pl.Series("_row", np.arange(chunk.height, dtype=np.int64)),
            chunk.select(_timestamp(chunk)).to_series(),
            chunk["subscriber"].cast(pl.String).replace("", None).alias("subscriber"),
            _by_value(chunk["cell"], cell_index.get, pl.Int32()).alias("cell"),
            _by_value(chunk["event"], _event, pl.UInt8()).alias("event"),
            _by_value(chunk["home_network"], _mcc, pl.Int16()).alias("home_network"),
            _by_value(chunk["billing_area"].cast(pl.String).fill_null(""), _billing_area, pl.String()).alias(
                "billing_area"
            ),
            *optional,
        ]
    )


def _timestamp(chunk: pl.DataFrame) -> pl.Expr:
    column = chunk["timestamp"]
    if column.dtype.is_temporal():
        seconds = pl.col("timestamp").cast(pl.Datetime("us")).dt.epoch("us") / 1e6
    elif column.dtype.is_numeric():
        seconds = pl.col("timestamp").cast(pl.Float64)
    else:
        number = column.cast(pl.Float64, strict=False)
        seconds = pl.col("timestamp").cast(pl.Float64, strict=False)
        if number.null_count() > column.null_count():
            text = pl.col("timestamp").str.strip_chars()
            instant = text.str.to_datetime(strict=False, time_zone="UTC", time_unit="us").dt.epoch("us") / 1e6
            seconds = pl.coalesce(seconds, instant)
    in_range = seconds.is_between(EARLIEST_TS, LATEST_TS) & seconds.is_finite()
    return pl.when(in_range).then(seconds).alias("timestamp")
