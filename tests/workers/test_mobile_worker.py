"""The mobile worker on the tiny scenario (SQLite store; the in-process bus, and real NATS JetStream): signalling
dropped as files and sent on the bus is pseudonymised at the door, estimated per zone and 5-minute slot, stored and
published within a minute of the slot's end; bad rows and files go to the dead letters with their reason and line;
no raw identifier is ever stored, published or logged."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
import uuid
from pathlib import Path

import msgspec
import nats
import numpy as np
import pytest
from shapely.geometry import Polygon

from beffroi.bus.base import Bus, BusMessage
from beffroi.bus.namespaced import NamespacedBus
from beffroi.config import BeffroiConfig, parse_config
from beffroi.crowd.mobile import MobileSlotEstimate
from beffroi.domain import messages
from beffroi.domain.messages import DeadLetterMessage, SignallingRecords
from beffroi.domain.records import DeadLetter
from beffroi.domain.signalling import Cell, CellPlan, SignallingBatch
from beffroi.errors import ConfigError
from beffroi.store.store import Store
from beffroi.workers.mobile import MobileWorker, decode_estimate
from tests.bus.conftest import delete_stream, nats_test_bus
from tests.bus.support import wait_until
from tests.services import NATS_URL, require_service

TINY = Path(__file__).resolve().parents[2] / "scenarios" / "tests" / "tiny.json"
TENANT, GATE, STAND = "tiny", "tiny-gate", "tiny-stand"
SECRET = "a-test-secret-of-32-bytes-at-least!"
T0 = 1_722_002_400.0  # 2024-07-26 16:00 Paris, on a 5-minute slot
PHONES = 60
HEADER = "timestamp,subscriber,cell,event,home_network,billing_area\n"


def imsi(n: int) -> str:
    return f"2080199{n:08d}"


class Clock:
    """The wall clock the worker reads, moved by the test."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Seen:
    """What the worker sent on the bus: slot figures and dead letters (raw bytes kept to look for identifiers)."""

    def __init__(self) -> None:
        self.estimates: list[MobileSlotEstimate] = []
        self.dead_letters: list[DeadLetter] = []
        self.raw: list[bytes] = []

    async def on_estimate(self, message: BusMessage) -> None:
        self.raw.append(message.data)
        self.estimates.append(decode_estimate(message.data))

    async def on_dead_letter(self, message: BusMessage) -> None:
        self.raw.append(message.data)
        self.dead_letters.append(messages.decode(message.data, DeadLetterMessage).dead_letter)


@pytest.fixture
def plan_path(tmp_path: Path, store: Store) -> Path:
    """One small omnidirectional cell in the middle of each zone of the tiny scenario."""
    cells = []
    for zone in store.list_zones(TENANT):
        point = Polygon(zone.polygon[0]).representative_point()
        cells.append(Cell(f"cell-{zone.id}", point.x, point.y, None, 360.0, 15.0))
    path = tmp_path / "cell-plan.json"
    path.write_bytes(msgspec.json.encode(CellPlan("Orange", 208, 0.4, cells)))
    return path


def mobile_config(tmp_path: Path, plan_path: Path, **mobile: object) -> BeffroiConfig:
    settings = {
        "enabled": True,
        "drop_dir": str(tmp_path / "drops"),
        "cell_plan": str(plan_path),
        "k": 5,
        "departement": "75",
        **mobile,
    }
    return parse_config({"tenant": TENANT, "scenario": str(TINY), "mobile": settings}, "test")


@pytest.fixture(autouse=True)
def secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BEFFROI_MOBILE_SECRET", SECRET)
    monkeypatch.delenv("BEFFROI_MOBILE_SECRET_FILE", raising=False)


async def watch(bus: Bus) -> Seen:
    seen = Seen()
    await bus.subscribe(messages.ALL_MOBILE_ESTIMATES, f"test-estimates-{uuid.uuid4().hex[:6]}", seen.on_estimate)
    await bus.subscribe(messages.ALL_DEAD_LETTERS, f"test-dead-{uuid.uuid4().hex[:6]}", seen.on_dead_letter)
    return seen


def slot_rows(start: float, phones: int = PHONES, cell: str = f"cell-{GATE}") -> list[str]:
    """Each phone heard twice in the slot (attach, then data), in the cell of the gate."""
    rows = []
    for n in range(phones):
        rows.append(f"{start + n},{imsi(n)},{cell},ATTACH,208-01,75")
        rows.append(f"{start + 200 + n},{imsi(n)},{cell},DATA,208-01,75")
    return sorted(rows, key=lambda row: float(row.split(",")[0]))


def raw_identifiers(phones: int = PHONES) -> list[str]:
    return [imsi(n) for n in range(phones)]


def dump(store_path: Path) -> str:
    with sqlite3.connect(store_path) as connection:
        return "\n".join(connection.iterdump())


async def test_a_dropped_file_is_estimated_stored_published_and_moved_with_its_bad_rows_dead_lettered(
    tmp_path: Path, store: Store, bus: Bus, plan_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    clock = Clock(T0 + 400)
    worker = MobileWorker(mobile_config(tmp_path, plan_path), bus, store, wall_clock=clock)
    await worker.start()
    seen = await watch(bus)
    try:
        bad = [
            f"{T0 + 5},{imsi(900)},cell-nowhere,DATA,208-01,75",  # line 2 of the file, after the header
            f"{T0 + 6},{imsi(901)},cell-{GATE},JUMP,208-01,75",
            f"not-a-time,{imsi(902)},cell-{GATE},DATA,208-01,75",
        ]
        drops = tmp_path / "drops"
        (drops / "hour-16.csv").write_text(HEADER + "\n".join(bad + slot_rows(T0)) + "\n")
        assert await worker.tick() == 0  # first look: the file may still be being written
        await worker.tick()
        assert not (drops / "hour-16.csv").exists()
        assert (drops / "done" / "hour-16.csv").exists()
        await wait_until(lambda: len(seen.dead_letters) == 3, 5.0, lambda: str(seen.dead_letters))
        reasons = {(letter.reason, letter.detail.split(":")[0]) for letter in seen.dead_letters}
        assert reasons == {
            ("unknown_cell", "hour-16.csv line 2"),
            ("bad_event", "hour-16.csv line 3"),
            ("bad_timestamp", "hour-16.csv line 4"),
        }
        # the feed goes quiet: the slot closes on the clock, within a minute of its end
        clock.now += T0 + 300 + 35 - worker.now()  # the data's clock: 35 s past the slot's end
        assert await worker.tick() == 1
        await wait_until(lambda: len(seen.estimates) == 1, 5.0, lambda: str(worker.health()))
        estimate = seen.estimates[0]
        assert (estimate.slot_start, estimate.slot_end, estimate.k) == (T0, T0 + 300, 5)
        assert worker.last_delay_s is not None and 0 < worker.last_delay_s <= 60
        gate = next(zone for zone in estimate.zones if zone.zone_id == GATE)
        assert gate.present.people is not None and 0 < gate.present.people <= PHONES / 0.4
        stored = store.mobile_zone_slots(TENANT, GATE, T0, T0 + 300)
        assert [item.slot.slot_start for item in stored] == [T0]
        assert stored[0].figures.present == gate.present
        health = worker.health()
        assert (health["files_done"], health["records"], health["rows_refused"]) == (1, 2 * PHONES, 3)
    finally:
        await worker.stop()
    # no raw identifier anywhere: database, bus messages, logs
    secrets_out = [*raw_identifiers(), imsi(900), imsi(901), imsi(902)]
    database = dump(tmp_path / "beffroi.db")
    published = b"".join(seen.raw)
    for identifier in secrets_out:
        assert identifier not in database
        assert identifier.encode() not in published
        assert identifier not in caplog.text
    assert SECRET not in caplog.text and SECRET not in database


async def test_an_unreadable_file_is_rejected_with_its_reason(
    tmp_path: Path, store: Store, bus: Bus, plan_path: Path
) -> None:
    worker = MobileWorker(mobile_config(tmp_path, plan_path), bus, store)
    await worker.start()
    seen = await watch(bus)
    try:
        broken = tmp_path / "drops" / "broken.parquet"
        broken.write_bytes(b"PAR1 this is not parquet")
        missing = tmp_path / "drops" / "columns.csv"
        missing.write_text("timestamp,cell\n1722002400,cell-x\n")
        await worker.ingest_file(broken)
        await worker.ingest_file(missing)
        rejected = tmp_path / "drops" / "rejected"
        assert sorted(path.name for path in rejected.iterdir()) == [
            "broken.parquet",
            "broken.parquet.reason",
            "columns.csv",
            "columns.csv.reason",
        ]
        assert "missing columns subscriber" in (rejected / "columns.csv.reason").read_text()
        await wait_until(lambda: len(seen.dead_letters) == 2, 5.0, lambda: str(seen.dead_letters))
        assert {letter.reason for letter in seen.dead_letters} == {"unreadable_file"}
        assert worker.health()["files_rejected"] == 2
    finally:
        await worker.stop()


async def test_deliveries_at_once_store_and_publish_each_slot_once(
    tmp_path: Path, store: Store, bus: Bus, plan_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the clock, the stream and stop all deliver; with a slow store two deliveries overlapped, stored the same slot
    # twice and the second popped an emptied outbox (IndexError in the demo's log)
    save = store.save_mobile_estimate
    saved: list[float] = []

    def slow_save(tenant_id: str, estimate: MobileSlotEstimate) -> bool:
        time.sleep(0.2)
        saved.append(estimate.slot_start)
        return save(tenant_id, estimate)

    monkeypatch.setattr(store, "save_mobile_estimate", slow_save)
    clock = Clock(T0 + 400)
    worker = MobileWorker(mobile_config(tmp_path, plan_path), bus, store, wall_clock=clock)
    await worker.start()
    seen = await watch(bus)
    try:
        (tmp_path / "drops" / "hour-16.csv").write_text(HEADER + "\n".join(slot_rows(T0)) + "\n")
        await worker.tick()
        await worker.tick()  # the file is read
        clock.now += T0 + 300 + 35 - worker.now()
        closed = await asyncio.gather(worker.tick(), worker.tick())
        assert sum(closed) == 1
        await wait_until(lambda: len(seen.estimates) == 1, 5.0, lambda: str(worker.health()))
        assert saved == [T0] and worker.health()["slots_published"] == 1
    finally:
        await worker.stop()


def records(start: float, phones: int = PHONES, batch_id: str = "b-1") -> SignallingRecords:
    rows = [(start + n, imsi(n)) for n in range(phones)] + [(start + 200 + n, imsi(n)) for n in range(phones)]
    rows.sort()
    return SignallingRecords(
        batch_id=batch_id,
        tenant_id=TENANT,
        operator="Orange",
        ts=[ts for ts, _ in rows],
        subscriber=[who for _, who in rows],
        cell=[f"cell-{GATE}"] * len(rows),
        event=[6] * len(rows),
        home_mcc=[208] * len(rows),
        billing_area=["75"] * len(rows),
    )


async def stream_round_trip(bus: Bus, store: Store, config: BeffroiConfig, tmp_path: Path) -> None:
    clock = Clock(T0)
    worker = MobileWorker(config, bus, store, wall_clock=clock)
    await worker.start()
    seen = await watch(bus)
    subject = messages.signalling_subject(TENANT)
    try:
        await bus.publish(subject, messages.encode(records(T0)), msg_id="b-1")
        bad = msgspec.structs.replace(records(T0 + 250, phones=3, batch_id="b-2"), event=[6, 99, 6, 6, 6, 6])
        await bus.publish(subject, messages.encode(bad), msg_id="b-2")
        await bus.publish(subject, b"\x93not a batch", msg_id="b-3")
        await wait_until(lambda: worker.batches == 2, 10.0, lambda: str(worker.health()))
        await wait_until(lambda: len(seen.dead_letters) == 2, 10.0, lambda: str(seen.dead_letters))
        assert {letter.reason for letter in seen.dead_letters} == {"bad_records", "undecodable_batch"}
        assert any("1 bad_event" in letter.detail for letter in seen.dead_letters)
        assert all(letter.raw == b"" for letter in seen.dead_letters)
        # the next slot's records close the first one
        await bus.publish(subject, messages.encode(records(T0 + 400, phones=2, batch_id="b-4")), msg_id="b-4")
        await wait_until(lambda: len(seen.estimates) == 1, 10.0, lambda: str(worker.health()))
        assert seen.estimates[0].slot_start == T0
        assert [item.slot.slot_start for item in store.mobile_zone_slots(TENANT, GATE, T0, T0 + 300)] == [T0]
    finally:
        await worker.stop()
    database = dump(tmp_path / "beffroi.db")
    for identifier in raw_identifiers():
        assert identifier not in database
        assert identifier.encode() not in b"".join(seen.raw)


async def test_batches_on_the_bus_are_estimated_and_bad_ones_dead_lettered_without_their_bytes(
    tmp_path: Path, store: Store, bus: Bus, plan_path: Path
) -> None:
    await stream_round_trip(bus, store, mobile_config(tmp_path, plan_path, drop_dir=None), tmp_path)


@pytest.mark.nats
async def test_batches_on_nats_jetstream_are_estimated_then_erased_from_the_stream(
    tmp_path: Path, store: Store, plan_path: Path
) -> None:
    require_service("nats")
    token = uuid.uuid4().hex[:16]
    bus = NamespacedBus(nats_test_bus(token), f"t{token}")
    await bus.start()
    try:
        await stream_round_trip(bus, store, mobile_config(tmp_path, plan_path, drop_dir=None), tmp_path)
        client = await nats.connect(NATS_URL)
        try:
            js = client.jetstream()

            async def stored() -> dict[str, int]:
                info = await js.stream_info(f"T_{token}", subjects_filter=f"t{token}.beffroi.signalling.>")
                return info.state.subjects or {}

            # Each batch is erased right after it is taken (the last one's erasure may still be on its way).
            for _ in range(300):  # up to 15 s (a busy CI machine took more than 5)
                left = await stored()
                if not left:
                    break
                await asyncio.sleep(0.05)
        finally:
            await client.close()
        assert not left  # the raw signalling (subscriber identifiers) is no longer stored, the bad batch's neither
    finally:
        await bus.close()
        await delete_stream(f"T_{token}")


async def test_it_refuses_to_start_without_a_secret_or_a_readable_plan(
    tmp_path: Path, store: Store, bus: Bus, plan_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BEFFROI_MOBILE_SECRET")
    with pytest.raises(ConfigError) as no_secret:
        await MobileWorker(mobile_config(tmp_path, plan_path), bus, store).start()
    assert no_secret.value.source == "mobile.secret"
    assert "BEFFROI_MOBILE_SECRET" in str(no_secret.value.problems)
    monkeypatch.setenv("BEFFROI_MOBILE_SECRET", SECRET)
    bad_plan = tmp_path / "plan.json"
    bad_plan.write_text('{"cells": "no"}')
    with pytest.raises(ConfigError) as no_plan:
        await MobileWorker(mobile_config(tmp_path, bad_plan), bus, store).start()
    assert no_plan.value.source == "mobile.cell_plan"
    assert "plan.json" in str(no_plan.value.problems)
    elsewhere = tmp_path / "lyon.json"  # a plan of another city reaches none of the tenant's zones
    elsewhere.write_bytes(msgspec.json.encode(CellPlan("Orange", 208, 0.4, [Cell("lyon", 4.83, 45.76, 0.0, 65, 800)])))
    with pytest.raises(ConfigError) as out_of_reach:
        await MobileWorker(mobile_config(tmp_path, elsewhere), bus, store).start()
    assert out_of_reach.value.source == "mobile.cell_plan"
    assert "within reach" in str(out_of_reach.value.problems)


async def test_the_estimator_takes_the_configured_resolution_idle_phone_and_density_settings(
    tmp_path: Path, store: Store, bus: Bus, plan_path: Path
) -> None:
    config = mobile_config(
        tmp_path, plan_path, min_resolution=0.8, idle_survival=False, timing_step_m=39.06, periodic_update_s=720.0
    )
    worker = MobileWorker(config, bus, store)
    await worker.start()
    try:
        settings = worker.estimator.settings
        assert (settings.min_resolution, settings.idle_survival, settings.slot_s) == (0.8, False, 300)
        assert settings.expiry_s == 720.0 + 600.0  # an operator's 12-minute T3412: silent phones leave sooner
        timing = worker.estimator.allocation.timing  # NR's steps: the cells split in bands of 39.06 m
        assert settings.timing_advance and timing is not None and timing.step_m == 39.06
        zones = store.list_zones(TENANT)
        assert {zone.id for zone in zones} == set(worker.estimator.allocation.zone_ids)
        # the default prior: each zone at its capacity's density, the outside thin
        assert settings.zone_density == {zone.id: zone.capacity / zone.area_m2 for zone in zones}
        assert (settings.outside_density, settings.zone_prior_people) == (0.01, 30.0)
    finally:
        await worker.stop()
    uniform = MobileWorker(mobile_config(tmp_path, plan_path, density_prior="uniform"), bus, store)
    await uniform.start()
    try:
        assert (uniform.estimator.settings.zone_density, uniform.estimator.settings.outside_density) == (None, 1.0)
    finally:
        await uniform.stop()


async def test_timing_advance_on_the_bus_reaches_the_estimator_and_a_column_of_another_length_is_refused(
    tmp_path: Path, store: Store, bus: Bus, plan_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = MobileWorker(mobile_config(tmp_path, plan_path, drop_dir=None), bus, store, wall_clock=Clock(T0))
    await worker.start()
    taken: list[SignallingBatch] = []
    add = worker.estimator.add

    def spy(batch: SignallingBatch) -> list[MobileSlotEstimate]:
        taken.append(batch)
        return add(batch)

    monkeypatch.setattr(worker.estimator, "add", spy)
    seen = await watch(bus)
    subject = messages.signalling_subject(TENANT)
    try:
        # six records; the last two out of range (past the LTE maximum, below -1)
        timed = msgspec.structs.replace(
            records(T0, phones=3, batch_id="ta-1"), timing_advance=[0, 5, -1, 1282, 2000, -7]
        )
        await bus.publish(subject, messages.encode(timed), msg_id="ta-1")
        await wait_until(lambda: worker.batches == 1, 10.0, lambda: str(worker.health()))
        short = msgspec.structs.replace(records(T0 + 10, phones=3, batch_id="ta-2"), timing_advance=[1, 2])
        await bus.publish(subject, messages.encode(short), msg_id="ta-2")
        old = records(T0 + 20, phones=2, batch_id="ta-3")  # from a producer that never sends the field
        fields = {name: getattr(old, name) for name in old.__struct_fields__ if name != "timing_advance"}
        await bus.publish(subject, msgspec.msgpack.encode(fields), msg_id="ta-3")
        await wait_until(lambda: worker.batches == 2, 10.0, lambda: str(worker.health()))
        await wait_until(lambda: len(seen.dead_letters) == 2, 10.0, lambda: str(seen.dead_letters))
    finally:
        await worker.stop()
    first, untimed = taken
    assert first.timing_advance is not None and first.timing_advance.dtype == np.int16
    assert first.timing_advance.tolist() == [0, 5, -1, 1282]  # -1 (none) kept as it is
    assert len(first) == 4
    assert untimed.timing_advance is None and len(untimed) == 4
    details = sorted(letter.detail for letter in seen.dead_letters)
    assert details == ["2 bad_timing_advance", "6 columns_of_different_lengths"]
    assert {letter.reason for letter in seen.dead_letters} == {"bad_records"}
    assert worker.rows_refused == 8
