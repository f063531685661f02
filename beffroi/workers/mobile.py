"""The mobile worker: one operator's signalling turned into crowd figures per zone and slot, live.

Signalling comes in two ways: files the operator drops in `mobile.drop_dir` (CSV or Parquet; each new file read once,
then moved to `done/`, or to `rejected/` beside a `.reason` file when it cannot be read), and batches on the bus
(`beffroi.signalling.<tenant>`, SignallingRecords, durable consumer `mobile`). Identifiers are pseudonymised at the
door (a keyed hash whose key rotates daily, `beffroi.crowd.mobile.pseudonymise`): no raw identifier is stored or
logged here — a bad row goes to the dead letters with its file, line, reason and field, never its subscriber, and
a bad bus batch with its reasons only.

The `MobileEstimator` closes each slot once the records are past its end by the lateness, or on the clock when the
feed is quiet (checked every `mobile.poll_s`), so a slot's figures leave within a minute of its end. Each
`MobileSlotEstimate` (aggregates only, k-protected) is stored (`mobile_slots`, `mobile_zone_figures`) and published
on `beffroi.crowd.mobile.<tenant>`; one that cannot be is kept and retried.

The clock is the data's own: the newest record's time plus the wall time since it came, so a replay or an
accelerated simulation closes its slots on its own timeline.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import msgspec
import numpy as np
import numpy.typing as npt

from beffroi.bus.base import Bus, BusMessage, ConsumerOptions, Subscription
from beffroi.config import BeffroiConfig
from beffroi.config_mobile import MobileConfig
from beffroi.crowd.mobile import (
    EstimationSettings,
    IngestReport,
    KeyCalendar,
    MobileEstimator,
    MobileSlotEstimate,
    PrivacySettings,
    Pseudonymiser,
    RejectedRow,
    SignallingFileReader,
)
from beffroi.crowd.mobile.allocation import capacity_density
from beffroi.crowd.mobile.files import EARLIEST_TS, LATEST_TS
from beffroi.crowd.mobile.reach import zones_in_reach
from beffroi.domain import messages
from beffroi.domain.messages import DeadLetterMessage, SignallingRecords
from beffroi.domain.records import DeadLetter
from beffroi.domain.signalling import MAX_TIMING_ADVANCE, NO_TIMING_ADVANCE, CellPlan, SignallingBatch, SignallingEvent
from beffroi.errors import BeffroiError, ConfigError
from beffroi.store.store import Store
from beffroi.workers.base import Health

log = logging.getLogger("beffroi.workers.mobile")

DURABLE = "mobile"
SOURCE = "mobile"
"""The `source` of the dead letters this worker writes."""
FILE_SUFFIXES = (".csv", ".parquet", ".pq")
DONE = "done"
REJECTED = "rejected"
MAX_DEAD_LETTERS_PER_FILE = 1000
"""Bad rows of one file each get a dead letter up to this many; the rest are counted in one more."""
MAX_CLOCK_LEAP_S = 86_400.0
"""A record this far ahead of the newest one seen does not move the clock (a bad timestamp must not close a year)."""
_EVENT_CODES = np.array(sorted(int(event) for event in SignallingEvent), dtype=np.int64)
_estimate_encoder = msgspec.msgpack.Encoder()
_estimate_decoder = msgspec.msgpack.Decoder(MobileSlotEstimate)


def encode_estimate(estimate: MobileSlotEstimate) -> bytes:
    """The bus message of a slot's figures (MessagePack of the MobileSlotEstimate)."""
    return _estimate_encoder.encode(estimate)


def decode_estimate(data: bytes) -> MobileSlotEstimate:
    """A slot's figures from its bus message; msgspec.ValidationError / DecodeError when it is not one."""
    return _estimate_decoder.decode(data)


def load_cell_plan(settings: MobileConfig) -> CellPlan:
    """The operator's cell plan from `mobile.cell_plan`, with the configured operator and market share; ConfigError
    naming the file when it cannot be read or is not a cell plan."""
    path = settings.cell_plan
    if path is None:
        raise ConfigError("mobile.cell_plan", ["required when the mobile worker is enabled"])
    try:
        plan = msgspec.json.decode(path.read_bytes(), type=CellPlan)
    except OSError as error:
        raise ConfigError("mobile.cell_plan", [f"{path}: cannot read ({error.strerror or error})"]) from None
    except msgspec.DecodeError as error:
        raise ConfigError("mobile.cell_plan", [f"{path}: not a cell plan ({error})"]) from None
    if not plan.cells:
        raise ConfigError("mobile.cell_plan", [f"{path}: has no cells"])
    return msgspec.structs.replace(plan, operator=settings.operator, market_share=settings.market_share)


class MobileWorker:
    """Ingests signalling (files and bus), estimates, stores and publishes the slots (see the module docstring)."""

    name = "mobile"

    def __init__(self, config: BeffroiConfig, bus: Bus, store: Store, wall_clock: Callable[[], float] = time.time):
        self._config = config
        self._settings = config.mobile
        self.tenant_id = config.mobile.tenant or config.tenant
        self._bus = bus
        self._store = store
        self._wall_clock = wall_clock
        self.estimator: MobileEstimator | None = None
        self._pseudonymiser: Pseudonymiser | None = None
        self._plan: CellPlan | None = None
        self._cell_index: dict[str, int] = {}
        self._lock = asyncio.Lock()
        self._outbox: list[MobileSlotEstimate] = []
        self._delivering = asyncio.Lock()
        """One delivery at a time: the clock, the stream and stop all deliver, and two at once stored and popped
        the same slot twice (the second pop of an emptied outbox raised)."""
        self._subscription: Subscription | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._sizes: dict[Path, tuple[int, int]] = {}
        self._newest: float | None = None
        self._newest_seen_at = 0.0
        self.files_done = 0
        self.files_rejected = 0
        self.batches = 0
        self.records = 0
        self.rows_refused = 0
        self.slots_published = 0
        self.last_delay_s: float | None = None

    def __repr__(self) -> str:
        return f"MobileWorker(tenant={self.tenant_id!r}, operator={self._settings.operator!r})"

    # ----- lifecycle -----

    async def start(self) -> None:
        """Read the secret and the cell plan (ConfigError without them), build the estimator over the tenant's
        zones, subscribe to the signalling stream, start watching the drop folder and the clock."""
        settings = self._settings
        secret = settings.read_secret()
        self._plan = await asyncio.to_thread(load_cell_plan, settings)
        self._cell_index = self._plan.index()
        calendar = KeyCalendar(timezone=settings.timezone)
        self._pseudonymiser = Pseudonymiser(secret, calendar)
        self.estimator = await asyncio.to_thread(self._build_estimator, self._plan, calendar)
        if settings.drop_dir is not None:
            for folder in (settings.drop_dir, settings.drop_dir / DONE, settings.drop_dir / REJECTED):
                folder.mkdir(parents=True, exist_ok=True)
        if settings.stream:
            # Raw signalling carries subscriber identifiers: erased from the bus as soon as it is taken.
            options = ConsumerOptions(batch=16, max_in_flight=64, ack_wait_s=120.0, erase_after_ack=True)
            subject = messages.signalling_subject(self.tenant_id)
            self._subscription = await self._bus.subscribe(subject, DURABLE, self._on_signalling, options)
        self._ticker = asyncio.create_task(self._tick_forever(), name="mobile-tick")
        log.info(
            "mobile: operator %s, %d cells, %d zones of tenant %s, k=%d",
            self._plan.operator,
            len(self._plan.cells),
            len(self.estimator.allocation.zone_ids),
            self.tenant_id,
            settings.k,
        )

    async def stop(self) -> None:
        """Stop the stream and the clock; figures made but not yet delivered are tried once more."""
        if self._subscription is not None:
            await self._subscription.stop()
            self._subscription = None
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        if self._outbox:
            await self._deliver()
            if self._outbox:
                log.error("mobile stopping with %d slot(s) it could not deliver", len(self._outbox))

    def health(self) -> Health:
        """Files, batches, records, refused rows, slots published, and the delay of the last slot after its end."""
        stats = self.estimator.stats if self.estimator is not None else {}
        return {
            "files_done": self.files_done,
            "files_rejected": self.files_rejected,
            "batches": self.batches,
            "records": self.records,
            "rows_refused": self.rows_refused,
            "late_records": stats.get("late", 0),
            "slots_published": self.slots_published,
            "slots_pending": len(self._outbox),
            "last_slot_delay_s": self.last_delay_s,
        }

    def _build_estimator(self, plan: CellPlan, calendar: KeyCalendar) -> MobileEstimator:
        settings = self._settings
        known = self._store.list_zones(self.tenant_id)
        zones = zones_in_reach(plan, known)
        if not zones:
            raise ConfigError(
                "mobile.cell_plan", [f"no zone of tenant {self.tenant_id!r} is within reach of the plan's cells"]
            )
        log.info("mobile: %d of the tenant's %d zones are within reach of the cell plan", len(zones), len(known))
        return MobileEstimator(
            plan,
            zones,
            EstimationSettings(
                slot_s=settings.slot_s,
                lateness_s=settings.lateness_s,
                periodic_update_s=settings.periodic_update_s,
                roamer_share=settings.roamer_share,
                departement=settings.departement,
                zone_departements=dict(settings.zone_departements),
                coverage=settings.coverage,
                zone_density=capacity_density(zones) if settings.density_prior == "capacity" else None,
                outside_density=settings.outside_density if settings.density_prior == "capacity" else 1.0,
                zone_prior_people=settings.zone_prior_people,
                min_resolution=settings.min_resolution,
                idle_survival=settings.idle_survival,
                timing_advance=settings.timing_advance,
                timing_step_m=settings.timing_step_m,
                calendar=calendar,
            ),
            PrivacySettings(k=settings.k, epsilon=settings.epsilon),
            self._pseudonymiser,
        )

    # ----- the clock -----

    def now(self) -> float:
        """The data's time: the newest record's plus the wall time since it came (the wall clock before any)."""
        if self._newest is None:
            return self._wall_clock()
        return self._newest + max(self._wall_clock() - self._newest_seen_at, 0.0)

    def _saw(self, ts: npt.NDArray[np.float64]) -> None:
        """Move the clock to the newest plausible record of a batch that was taken."""
        finite = ts[np.isfinite(ts)]
        if finite.size == 0:
            return
        if self._newest is None:
            newest = float(np.min(finite))
        else:
            plausible = finite[finite <= self._newest + MAX_CLOCK_LEAP_S]
            newest = float(np.max(plausible)) if plausible.size else -math.inf
        if self._newest is None or newest > self._newest:
            self._newest = newest
            self._newest_seen_at = self._wall_clock()

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(self._settings.poll_s)
            try:
                await self.tick()
            except Exception:
                log.exception("mobile tick failed; next tick")

    async def tick(self) -> int:
        """Take the drop folder's new files, close the slots the clock has passed, deliver; how many slots closed."""
        closed = 0
        if self._settings.drop_dir is not None:
            for path in await asyncio.to_thread(self._ready_files):
                closed += await self.ingest_file(path)
        estimator = self.estimator
        if estimator is not None and self._newest is not None:
            async with self._lock:
                estimates = await asyncio.to_thread(estimator.flush, self.now())
            self._outbox.extend(estimates)
            closed += len(estimates)
        await self._deliver()
        return closed

    # ----- files -----

    def _ready_files(self) -> list[Path]:
        """Signalling files in the drop folder whose size and time did not change since the last look (the operator
        has finished writing them), oldest first; hidden and partial files are left alone."""
        folder = self._settings.drop_dir
        assert folder is not None
        seen: dict[Path, tuple[int, int]] = {}
        ready: list[tuple[int, Path]] = []
        for path in folder.iterdir():
            if path.name.startswith(".") or not path.is_file() or path.suffix.lower() not in FILE_SUFFIXES:
                continue
            try:
                stat = path.stat()
            except OSError:
                continue
            seen[path] = (stat.st_size, stat.st_mtime_ns)
            if self._sizes.get(path) == seen[path]:
                ready.append((stat.st_mtime_ns, path))
        self._sizes = {path: size for path, size in seen.items() if path not in {p for _, p in ready}}
        return [path for _, path in sorted(ready)]

    async def ingest_file(self, path: Path) -> int:
        """Read one dropped file into the estimator, then move it to done/ (or rejected/ when unreadable) and send
        its bad rows to the dead letters; how many slots closed."""
        estimator, pseudonymiser, plan = self.estimator, self._pseudonymiser, self._plan
        if estimator is None or pseudonymiser is None or plan is None:
            raise RuntimeError("the mobile worker is not started")
        reader = SignallingFileReader(plan, pseudonymiser, max_examples=MAX_DEAD_LETTERS_PER_FILE)
        async with self._lock:
            estimates = await asyncio.to_thread(self._read_file, reader, estimator, path)
        self._outbox.extend(estimates)
        report = reader.report
        refused = sum(report.rejected.values())
        self.rows_refused += refused
        self.records += report.accepted
        letters = _row_dead_letters(self.tenant_id, path, report, self._wall_clock())
        if report.unreadable:
            await asyncio.to_thread(_move_rejected, path, "; ".join(report.unreadable))
            letters.append(_dead_letter(self.tenant_id, path, "unreadable_file", "; ".join(report.unreadable), -1, 0))
            self.files_rejected += 1
            log.warning("mobile: %s rejected (%s)", path.name, "; ".join(report.unreadable))
        else:
            await asyncio.to_thread(_move, path, path.parent / DONE)
            self.files_done += 1
            log.info("mobile: %s read, %d rows taken, %d refused", path.name, report.accepted, refused)
        await self._dead_letters(letters)
        await self._deliver()
        return len(estimates)

    def _read_file(
        self, reader: SignallingFileReader, estimator: MobileEstimator, path: Path
    ) -> list[MobileSlotEstimate]:
        estimates: list[MobileSlotEstimate] = []
        for batch in reader.batches(path):
            self._saw(np.asarray(batch.ts, dtype=np.float64))
            estimates += estimator.add(batch)
        return estimates

    # ----- the bus stream -----

    async def _on_signalling(self, message: BusMessage) -> None:
        """A batch from the bus: checked, pseudonymised at the door, estimated; a bad one becomes a dead letter
        (its reasons and counts only: its bytes hold identifiers). Acknowledged once in the estimator."""
        estimator = self.estimator
        if estimator is None:
            raise RuntimeError("the mobile worker is not started")
        try:
            records = messages.decode(message.data, SignallingRecords)
        except (msgspec.ValidationError, msgspec.DecodeError) as error:
            await self._dead_letters([_bus_dead_letter(self.tenant_id, message, "undecodable_batch", str(error))])
            return
        batch, refused = self._batch(records)
        if refused:
            detail = ", ".join(f"{count} {reason}" for reason, count in sorted(refused.items()))
            self.rows_refused += sum(refused.values())
            await self._dead_letters([_bus_dead_letter(self.tenant_id, message, "bad_records", detail)])
        if batch is None:
            return
        self.batches += 1
        self.records += len(batch)
        async with self._lock:
            estimates = await asyncio.to_thread(estimator.add, batch)
            self._saw(batch.ts)
        if estimates:
            self._outbox.extend(estimates)
            await self._deliver()

    def _batch(self, records: SignallingRecords) -> tuple[SignallingBatch | None, dict[str, int]]:
        """The records as a batch (identifiers still raw: the estimator's pseudonymiser takes them), the bad ones
        left out and counted by reason. A message whose columns differ in length is refused whole (which record
        a value belongs to is lost); `timing_advance` is optional, -1 a record without one."""
        columns = (records.subscriber, records.cell, records.event, records.home_mcc, records.billing_area)
        size = len(records.ts)
        timing = records.timing_advance
        if any(len(column) != size for column in columns) or (timing is not None and len(timing) != size):
            return None, {"columns_of_different_lengths": size}
        if size == 0:
            return None, {}
        ts = np.asarray(records.ts, dtype=np.float64)
        subscriber = np.asarray(records.subscriber, dtype=np.str_)
        cell = np.fromiter((self._cell_index.get(c, -1) for c in records.cell), dtype=np.int32, count=size)
        event = np.asarray(records.event, dtype=np.int64)
        mcc = np.asarray(records.home_mcc, dtype=np.int64)
        # float64: any integer MessagePack holds compares without overflow before the range check
        ta = None if timing is None else np.asarray(timing, dtype=np.float64)
        checks = {
            "bad_timestamp": ~(np.isfinite(ts) & (ts >= EARLIEST_TS) & (ts <= LATEST_TS)),
            "missing_subscriber": np.char.str_len(subscriber) == 0,
            "unknown_cell": cell < 0,
            "bad_event": ~np.isin(event, _EVENT_CODES),
            "bad_home_network": (mcc < 200) | (mcc > 799),
        }
        if ta is not None:
            checks["bad_timing_advance"] = (ta < NO_TIMING_ADVANCE) | (ta > MAX_TIMING_ADVANCE)
        bad = np.zeros(size, dtype=bool)
        refused: dict[str, int] = {}
        for reason, failing in checks.items():
            failed = failing & ~bad  # each row counted under its first reason
            if failed.any():
                refused[reason] = int(np.count_nonzero(failed))
                bad |= failed
        keep = np.flatnonzero(~bad)
        if keep.size == 0:
            return None, refused
        return (
            SignallingBatch(
                ts=ts[keep],
                subscriber=subscriber[keep],
                cell=cell[keep],
                event=event[keep].astype(np.uint8),
                home_mcc=mcc[keep].astype(np.int16),
                billing_area=np.asarray(records.billing_area, dtype=np.str_)[keep],
                timing_advance=None if ta is None else ta[keep].astype(np.int16),
            ),
            refused,
        )

    # ----- figures out -----

    async def _deliver(self) -> None:
        """Store and publish every slot waiting, in order; stops at the first failure (retried next tick)."""
        async with self._delivering:
            while self._outbox:
                estimate = self._outbox[0]
                try:
                    await asyncio.to_thread(self._store.save_mobile_estimate, self.tenant_id, estimate)
                    await self._bus.publish(
                        messages.mobile_estimates_subject(self.tenant_id),
                        encode_estimate(estimate),
                        msg_id=f"mobile-{self.tenant_id}-{estimate.operator}-{estimate.slot_start:.0f}",
                    )
                except BeffroiError as error:
                    log.warning("mobile: slot %.0f not delivered yet (%s); retrying", estimate.slot_start, error)
                    return
                self._outbox.pop(0)
                self.slots_published += 1
                self.last_delay_s = round(self.now() - estimate.slot_end, 1)

    async def _dead_letters(self, letters: list[DeadLetter]) -> None:
        if not letters:
            return
        subject = messages.dead_letters_subject()
        try:
            await self._bus.publish_many(
                [(subject, messages.encode(DeadLetterMessage(letter)), letter.id) for letter in letters]
            )
        except BeffroiError as error:
            log.error("mobile: %d dead letter(s) could not be published (%s)", len(letters), error)


def _file_key(path: Path) -> str:
    """A short id of a dropped file (its name and size), so a file read twice gives the same dead letters."""
    try:
        size = path.stat().st_size
    except OSError:
        size = -1
    return hashlib.blake2b(f"{path.name}:{size}".encode(), digest_size=8).hexdigest()


def _dead_letter(tenant_id: str, path: Path, reason: str, detail: str, row: int, ts: float) -> DeadLetter:
    return DeadLetter(
        id=f"{SOURCE}-{_file_key(path)}-{row}",
        ts=ts or time.time(),
        source=f"{SOURCE}:{path.name}",
        reason=reason,
        detail=detail,
        raw=b"",
        tenant_id=tenant_id,
    )


def _row_dead_letters(tenant_id: str, path: Path, report: IngestReport, now: float) -> list[DeadLetter]:
    """One dead letter per bad row kept as an example (file, line, reason, field, value — never the subscriber), and
    one counting the rows beyond those."""
    letters = [_row_letter(tenant_id, path, example, now) for example in report.examples]
    beyond = sum(report.rejected.values()) - len(report.examples)
    if beyond > 0:
        counts = ", ".join(f"{count} {reason}" for reason, count in sorted(report.rejected.items()))
        detail = f"{path.name}: {beyond} more bad rows not listed one by one (in all: {counts})"
        letters.append(_dead_letter(tenant_id, path, "bad_rows", detail, 0, now))
    return letters


def _row_letter(tenant_id: str, path: Path, example: RejectedRow, now: float) -> DeadLetter:
    line = example.row + 1 if path.suffix.lower() == ".csv" else example.row
    where = f"line {line}" if path.suffix.lower() == ".csv" else f"row {example.row}"
    value = "" if example.value is None else f" ({example.value!r})"
    letter = _dead_letter(
        tenant_id, path, example.reason, f"{path.name} {where}: {example.reason} in `{example.field}`{value}", line, now
    )
    raw = msgspec.json.encode(example)  # the row's file, position, reason, field and value: no identifier
    return msgspec.structs.replace(letter, raw=raw)


def _bus_dead_letter(tenant_id: str, message: BusMessage, reason: str, detail: str) -> DeadLetter:
    return DeadLetter(
        id=f"{SOURCE}-bus-{message.msg_id or uuid.uuid4().hex}-{reason}",
        ts=time.time(),
        source=f"{SOURCE}:{message.subject}",
        reason=reason,
        detail=detail[:2000],
        raw=b"",  # the batch's bytes hold subscribers' identifiers: never kept
        tenant_id=tenant_id,
    )


def _move(path: Path, folder: Path) -> Path:
    """Move a file into `folder`, under a new name when one of the same name is there."""
    target = folder / path.name
    if target.exists():
        target = folder / f"{path.stem}-{uuid.uuid4().hex[:8]}{path.suffix}"
    return Path(shutil.move(str(path), str(target)))


def _move_rejected(path: Path, reason: str) -> None:
    target = _move(path, path.parent / REJECTED)
    target.with_name(target.name + ".reason").write_text(reason + "\n", encoding="utf-8")
