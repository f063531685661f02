"""The engine worker on the in-process bus and a SQLite store holding the tiny scenario's registry: readings become
persisted and published alarm changes, operator commands are applied and audited, and nothing is duplicated by a
redelivery or a restart."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Sequence

import msgspec
import pytest

from beffroi.bus.base import Bus, BusMessage, create_bus
from beffroi.config import BeffroiConfig, parse_config
from beffroi.config_engine import GeofenceRuleConfig
from beffroi.domain import messages
from beffroi.domain.alarms import Alarm, AlarmState
from beffroi.domain.messages import AlarmAction, AlarmChange, AlarmChangeKind, AlarmCommand, AlarmCommandOutcome
from beffroi.domain.observations import Event, Position, Reading, ReadingBatch
from beffroi.domain.registry import Device, DeviceKind, ZoneKind
from beffroi.errors import InvalidTransition, NotFound, StoreError
from beffroi.store.store import Store
from beffroi.workers.engine import EngineWorker
from tests.bus.support import wait_until
from tests.workers.conftest import TINY

TENANT = "tiny"
SITE = "tiny-stadium"
ZONE = "tiny-plant-room"
SMOKE = "tiny-plant-room-smoke-01"
ACCESS = "tiny-plant-room-ac-01"
SMOKE_METRIC = "smoke_obscuration_pct_m"
T0 = 1_722_002_400.0  # 2024-07-26T14:00:00Z


class AlarmFeed:
    """Records the alarm changes the engine publishes."""

    def __init__(self) -> None:
        self.changes: list[AlarmChange] = []

    async def __call__(self, message: BusMessage) -> None:
        self.changes.append(messages.decode(message.data, AlarmChange))

    def kinds(self) -> list[AlarmChangeKind]:
        return [change.change for change in self.changes]

    async def wait_for(self, count: int) -> None:
        await wait_until(lambda: len(self.changes) >= count, 5.0, lambda: f"alarm changes so far: {self.kinds()}")


class OutcomeFeed:
    """Records the command outcomes the engine publishes."""

    def __init__(self) -> None:
        self.outcomes: list[AlarmCommandOutcome] = []
        self.subjects: list[str] = []

    async def __call__(self, message: BusMessage) -> None:
        self.outcomes.append(messages.decode(message.data, AlarmCommandOutcome))
        self.subjects.append(message.subject)

    async def wait_for(self, count: int) -> None:
        await wait_until(lambda: len(self.outcomes) >= count, 5.0, lambda: f"outcomes so far: {self.outcomes}")


def smoke_batch(batch_id: str, value: float, ts: float) -> ReadingBatch:
    reading = Reading(TENANT, SMOKE, SMOKE_METRIC, value, ts, site_id=SITE, zone_id=ZONE)
    return ReadingBatch(batch_id=batch_id, tenant_id=TENANT, readings=[reading])


def command(
    alarm_id: str, action: AlarmAction, *, tenant: str = TENANT, reason: str = "", duration_s: float | None = None
) -> AlarmCommand:
    return AlarmCommand(
        command_id=f"cmd-{action.value}-{time.monotonic_ns()}",
        tenant_id=tenant,
        alarm_id=alarm_id,
        action=action,
        actor="operator-7",
        ts=T0 + 60.0,
        reason=reason,
        duration_s=duration_s,
    )


@pytest.fixture
def config() -> BeffroiConfig:
    # no absence tick during a test: only what the test publishes changes alarms
    return parse_config({"tenant": TENANT, "scenario": str(TINY), "engine": {"absence_check_s": 3600}})


async def started_bus() -> Bus:
    bus = create_bus("inprocess", "inprocess://")
    await bus.start()
    return bus


@pytest.fixture
async def bus() -> AsyncIterator[Bus]:
    bus = await started_bus()
    yield bus
    await bus.close()


@pytest.fixture
async def feed(bus: Bus) -> AlarmFeed:
    feed = AlarmFeed()
    await bus.subscribe(messages.ALL_ALARMS, "test-alarm-feed", feed)
    return feed


@pytest.fixture
async def engine(config: BeffroiConfig, bus: Bus, store: Store) -> AsyncIterator[EngineWorker]:
    worker = EngineWorker(config, bus, store)
    await worker.start()
    yield worker
    await worker.stop()


async def publish_readings(bus: Bus, batch: ReadingBatch, msg_id: str) -> None:
    await bus.publish(messages.readings_subject(TENANT, SITE), messages.encode(batch), msg_id=msg_id)


async def send(bus: Bus, cmd: AlarmCommand) -> None:
    await bus.publish(messages.alarm_commands_subject(cmd.tenant_id), messages.encode(cmd), msg_id=cmd.command_id)


async def evaluated(worker: EngineWorker, count: int) -> None:
    await wait_until(
        lambda: worker.health()["readings_evaluated"] == count, 5.0, lambda: f"engine health {worker.health()}"
    )


async def raise_smoke_alarm(bus: Bus, feed: AlarmFeed) -> Alarm:
    await publish_readings(bus, smoke_batch("b-1", 8.0, T0), "msg-1")
    await feed.wait_for(1)
    return feed.changes[0].alarm


async def refused(caplog: pytest.LogCaptureFixture, count: int) -> None:
    def refusals() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "beffroi.workers.engine" and "refused" in r.message]

    await wait_until(lambda: len(refusals()) >= count, 5.0, lambda: f"refusals logged: {refusals()}")


async def test_a_smoke_crossing_raises_one_alarm_saved_then_published(
    engine: EngineWorker, bus: Bus, store: Store, feed: AlarmFeed
) -> None:
    alarm = await raise_smoke_alarm(bus, feed)
    assert feed.kinds() == [AlarmChangeKind.RAISED]
    assert (alarm.key.tenant_id, alarm.key.source, alarm.key.type) == (TENANT, SMOKE, "fire_alarm")
    assert (alarm.key.site_id, alarm.key.zone_id) == (SITE, ZONE)
    assert alarm.state is AlarmState.UNACKNOWLEDGED and alarm.value == 8.0
    assert store.open_alarms(TENANT) == [alarm]  # persisted before it was published
    assert engine.health()["open_alarms"] == 1 and engine.health()["changes_published"] == 1


async def test_a_redelivered_batch_or_a_new_crossing_creates_no_second_alarm(
    engine: EngineWorker, bus: Bus, store: Store, feed: AlarmFeed
) -> None:
    alarm = await raise_smoke_alarm(bus, feed)
    # the same batch again under another message id (the bus de-duplicates equal ids): a redelivery
    await publish_readings(bus, smoke_batch("b-1", 8.0, T0), "msg-1-redelivered")
    await publish_readings(bus, smoke_batch("b-2", 12.0, T0 + 30.0), "msg-2")
    await evaluated(engine, 3)
    assert feed.kinds() == [AlarmChangeKind.RAISED]
    assert [a.id for a in store.query_alarms(TENANT)] == [alarm.id]


async def test_back_below_the_clear_level_returns_the_alarm_to_normal(
    engine: EngineWorker, bus: Bus, store: Store, feed: AlarmFeed
) -> None:
    alarm = await raise_smoke_alarm(bus, feed)
    await publish_readings(bus, smoke_batch("b-2", 3.0, T0 + 10.0), "msg-2")  # between clear_at and the limit
    await publish_readings(bus, smoke_batch("b-3", 0.5, T0 + 20.0), "msg-3")
    await feed.wait_for(2)
    assert feed.kinds() == [AlarmChangeKind.RAISED, AlarmChangeKind.RETURNED_TO_NORMAL]
    stored = store.get_alarm(TENANT, alarm.id)
    assert stored.state is AlarmState.RTN_UNACKNOWLEDGED and not stored.condition_active


async def test_an_acknowledge_command_is_applied_persisted_and_audited(
    engine: EngineWorker, bus: Bus, store: Store, feed: AlarmFeed
) -> None:
    alarm = await raise_smoke_alarm(bus, feed)
    await send(bus, command(alarm.id, AlarmAction.ACKNOWLEDGE))
    await feed.wait_for(2)
    change = feed.changes[1]
    assert (change.change, change.actor) == (AlarmChangeKind.ACKNOWLEDGED, "operator-7")
    stored = store.get_alarm(TENANT, alarm.id)
    assert stored.state is AlarmState.ACKNOWLEDGED and stored.acknowledged_by == "operator-7"
    audit = store.query_audit(TENANT, target_id=alarm.id)
    assert [(e.actor, e.action, e.target_type) for e in audit] == [("operator-7", "alarm.acknowledged", "alarm")]
    assert audit[0].details["from_state"] == "unacknowledged" and audit[0].details["to_state"] == "acknowledged"


async def test_with_the_data_clock_an_operator_action_is_stamped_with_the_data_time(
    config: BeffroiConfig, bus: Bus, store: Store, feed: AlarmFeed
) -> None:
    replay = config.model_copy(update={"engine": config.engine.model_copy(update={"clock": "data"})})
    worker = EngineWorker(replay, bus, store)
    await worker.start()
    try:
        alarm = await raise_smoke_alarm(bus, feed)  # its readings' time: T0
        wall = msgspec.structs.replace(command(alarm.id, AlarmAction.ACKNOWLEDGE), ts=T0 + 86_400)
        change = await worker.execute(wall)
        assert change.alarm.acknowledged_at == worker.now() == alarm.updated_at
        [audit] = store.query_audit(TENANT, target_id=alarm.id)
        assert audit.ts == alarm.updated_at
    finally:
        await worker.stop()


async def test_a_shelve_without_reason_is_refused_and_the_engine_carries_on(
    engine: EngineWorker, bus: Bus, store: Store, feed: AlarmFeed, caplog: pytest.LogCaptureFixture
) -> None:
    alarm = await raise_smoke_alarm(bus, feed)
    await send(bus, command(alarm.id, AlarmAction.SHELVE, reason="  ", duration_s=600.0))
    await refused(caplog, 1)
    assert store.get_alarm(TENANT, alarm.id) == alarm
    assert engine.alarms.get(alarm.id) == alarm
    assert store.query_audit(TENANT) == []
    assert feed.kinds() == [AlarmChangeKind.RAISED]
    with pytest.raises(InvalidTransition, match="shelve without a reason"):
        await engine.execute(command(alarm.id, AlarmAction.SHELVE, duration_s=600.0))

    await send(bus, command(alarm.id, AlarmAction.SHELVE, reason="detector under test", duration_s=600.0))
    await feed.wait_for(2)
    shelved = store.get_alarm(TENANT, alarm.id)
    assert shelved.state is AlarmState.SHELVED and shelved.shelved_until == T0 + 660.0
    assert [e.details["reason"] for e in store.query_audit(TENANT)] == ["detector under test"]


async def test_a_command_for_another_tenants_alarm_changes_nothing(
    engine: EngineWorker, bus: Bus, store: Store, feed: AlarmFeed, caplog: pytest.LogCaptureFixture
) -> None:
    alarm = await raise_smoke_alarm(bus, feed)
    await send(bus, command(alarm.id, AlarmAction.CLEAR, tenant="city-b"))
    await send(bus, command("no-such-alarm", AlarmAction.ACKNOWLEDGE))
    await refused(caplog, 2)
    assert store.get_alarm(TENANT, alarm.id) == alarm
    assert store.query_audit(TENANT) == [] and store.query_audit("city-b") == []
    assert feed.kinds() == [AlarmChangeKind.RAISED]
    with pytest.raises(NotFound):
        await engine.execute(command(alarm.id, AlarmAction.ACKNOWLEDGE, tenant="city-b"))


async def test_every_command_from_the_bus_gets_its_outcome_published(
    engine: EngineWorker, bus: Bus, store: Store, feed: AlarmFeed
) -> None:
    outcomes = OutcomeFeed()
    await bus.subscribe(messages.ALL_ALARM_COMMAND_OUTCOMES, "test-outcomes", outcomes)
    alarm = await raise_smoke_alarm(bus, feed)
    acknowledge = command(alarm.id, AlarmAction.ACKNOWLEDGE)
    unknown = command("no-such-alarm", AlarmAction.CLEAR)
    bad_shelve = command(alarm.id, AlarmAction.SHELVE, reason="works", duration_s=0.0)
    for cmd in (acknowledge, unknown, bad_shelve):
        await send(bus, cmd)
    await outcomes.wait_for(3)
    applied, missing, rejected = outcomes.outcomes
    assert outcomes.subjects == [messages.alarm_command_outcomes_subject(TENANT)] * 3
    assert (applied.command_id, applied.tenant_id, applied.error_code) == (acknowledge.command_id, TENANT, "")
    assert applied.change == feed.changes[1] and applied.change.change is AlarmChangeKind.ACKNOWLEDGED
    assert store.get_alarm(TENANT, alarm.id).state is AlarmState.ACKNOWLEDGED  # stored before the outcome
    assert (missing.command_id, missing.change, missing.error_code) == (unknown.command_id, None, "not_found")
    assert isinstance(missing.error(), NotFound) and "no-such-alarm" in missing.error_message
    assert (rejected.error_code, rejected.change) == ("rejected:bad_duration", None)


async def test_a_redelivered_command_is_answered_again_not_applied_twice(
    engine: EngineWorker, bus: Bus, store: Store, feed: AlarmFeed, caplog: pytest.LogCaptureFixture
) -> None:
    outcomes = OutcomeFeed()
    await bus.subscribe(messages.ALL_ALARM_COMMAND_OUTCOMES, "test-outcomes", outcomes)
    alarm = await raise_smoke_alarm(bus, feed)
    acknowledge = command(alarm.id, AlarmAction.ACKNOWLEDGE)
    await send(bus, acknowledge)
    await outcomes.wait_for(1)
    # the same command again under another message id, as after a crash before its acknowledgement
    await bus.publish(
        messages.alarm_commands_subject(TENANT), messages.encode(acknowledge), msg_id=f"{acknowledge.command_id}-again"
    )
    await send(bus, command(alarm.id, AlarmAction.CLEAR))  # queued behind the redelivery
    await outcomes.wait_for(2)
    assert [outcome.error_code for outcome in outcomes.outcomes] == ["", ""]
    assert [outcome.change.change for outcome in outcomes.outcomes if outcome.change] == [
        AlarmChangeKind.ACKNOWLEDGED,
        AlarmChangeKind.CLEARED,
    ]
    assert sorted(e.action for e in store.query_audit(TENANT)) == ["alarm.acknowledged", "alarm.cleared"]
    assert not [r for r in caplog.records if r.name == "beffroi.workers.engine" and "refused" in r.message]


async def test_a_restarted_engine_reloads_the_open_alarm(
    config: BeffroiConfig, engine: EngineWorker, bus: Bus, store: Store, feed: AlarmFeed
) -> None:
    alarm = await raise_smoke_alarm(bus, feed)
    await engine.stop()
    # a new process: a new bus that redelivers the batch the old one may not have acknowledged, then new data
    restarted_bus = await started_bus()
    restarted_feed = AlarmFeed()
    await restarted_bus.subscribe(messages.ALL_ALARMS, "test-alarm-feed", restarted_feed)
    restarted = EngineWorker(config, restarted_bus, store)
    await restarted.start()
    try:
        assert restarted.alarms.get(alarm.id) == alarm
        assert restarted.health()["open_alarms"] == 1
        await publish_readings(restarted_bus, smoke_batch("b-1", 8.0, T0), "msg-1")
        await publish_readings(restarted_bus, smoke_batch("b-2", 9.0, T0 + 30.0), "msg-2")
        await evaluated(restarted, 2)
        assert restarted_feed.changes == []
        assert [a.id for a in store.query_alarms(TENANT)] == [alarm.id]
        # the detector knows its condition is active: going back below clear_at returns the same alarm to normal
        await publish_readings(restarted_bus, smoke_batch("b-3", 0.5, T0 + 60.0), "msg-3")
        await restarted_feed.wait_for(1)
        change = restarted_feed.changes[0]
        assert (change.change, change.alarm.id) == (AlarmChangeKind.RETURNED_TO_NORMAL, alarm.id)
    finally:
        await restarted.stop()
        await restarted_bus.close()


async def test_an_event_raises_its_rule_alarm(engine: EngineWorker, bus: Bus, store: Store, feed: AlarmFeed) -> None:
    event = Event("ev-1", TENANT, "door_forced", ACCESS, T0, site_id=SITE, zone_id=ZONE)
    await bus.publish(messages.events_subject(TENANT, SITE), messages.encode(event), msg_id="event-ev-1")
    await feed.wait_for(1)
    alarm = feed.changes[0].alarm
    assert (alarm.key.type, alarm.key.source) == ("door_forced", ACCESS)
    assert store.open_alarms(TENANT) == [alarm]


async def test_readings_of_unknown_devices_are_skipped(engine: EngineWorker, bus: Bus, feed: AlarmFeed) -> None:
    ghost = Reading(TENANT, "ghost-smoke", SMOKE_METRIC, 50.0, T0, site_id=SITE)
    await publish_readings(bus, ReadingBatch("b-ghost", TENANT, [ghost]), "msg-ghost")
    await wait_until(lambda: engine.health()["readings_skipped"] == 1, 5.0, lambda: f"{engine.health()}")
    assert feed.changes == []


async def test_an_undecodable_message_does_not_stop_the_engine(
    engine: EngineWorker, bus: Bus, feed: AlarmFeed, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.CRITICAL, logger="beffroi.bus")  # the bus logs each failed delivery
    await bus.publish(messages.readings_subject(TENANT, SITE), b"\xc1 not msgpack", msg_id="garbage")
    await bus.publish(messages.alarm_commands_subject(TENANT), b"{}", msg_id="garbage-command")
    alarm = await raise_smoke_alarm(bus, feed)
    assert alarm.key.source == SMOKE


class FlakyStore(Store):
    """The real SQLite store, failing its next `failures` alarm saves as a database outage would."""

    failures = 0

    def save_alarms(self, alarms: Sequence[Alarm]) -> None:
        if self.failures:
            self.failures -= 1
            raise StoreError("database unreachable (injected)")
        super().save_alarms(alarms)


async def test_an_alarm_is_stored_after_the_store_comes_back(
    config: BeffroiConfig, bus: Bus, store: Store, feed: AlarmFeed, caplog: pytest.LogCaptureFixture
) -> None:
    flaky = FlakyStore(store.url)
    flaky.failures = 3
    worker = EngineWorker(
        config.model_copy(
            update={"engine": config.engine.model_copy(update={"absence_check_s": 0.1, "clock": "data"})}
        ),
        bus,
        flaky,
    )
    await worker.start()
    try:
        with caplog.at_level(logging.CRITICAL, logger="beffroi.bus"):
            await publish_readings(bus, smoke_batch("b-1", 9.0, T0), "m-1")
            await feed.wait_for(1)
        stored = [a for a in store.query_alarms(TENANT) if a.key.type == "fire_alarm"]
        assert [(a.key.source, a.key.type, a.state) for a in stored] == [
            (SMOKE, "fire_alarm", AlarmState.UNACKNOWLEDGED)
        ]
        assert [c.alarm.key.type for c in feed.changes] == ["fire_alarm"]
        await wait_until(lambda: not worker.has_unsaved_changes, 5.0, lambda: "outbox never drained")
    finally:
        await worker.stop()
        flaky.close()


async def test_the_zones_are_loaded_at_start_and_a_tracker_entering_a_forbidden_zone_raises(
    config: BeffroiConfig, bus: Bus, store: Store, feed: AlarmFeed
) -> None:
    tracker = Device(
        id="tiny-agent-01",
        tenant_id=TENANT,
        site_id=SITE,
        kind=DeviceKind.GPS_TRACKER,
        position=Position(2.3469, 48.8189),
        interval_s=15.0,
        metrics=["speed_m_s", "battery_pct"],
    )
    store.upsert_devices([tracker])
    geofenced = config.model_copy(
        update={
            "engine": config.engine.model_copy(
                update={
                    "geofence_rules": [
                        GeofenceRuleConfig(name="forbidden_zone", zone_kinds=(ZoneKind.FORBIDDEN,), direction="enter")
                    ]
                }
            )
        }
    )
    worker = EngineWorker(geofenced, bus, store)
    await worker.start()
    try:
        assert sorted(zone.id for zone in worker.engine.zones) == ["tiny-gate", "tiny-plant-room", "tiny-stand"]
        outside, inside = Position(2.3469, 48.8189), Position(2.34741, 48.81908)  # the stand, the plant room
        walk = [
            Reading(TENANT, tracker.id, "speed_m_s", 1.2, T0 + 15 * i, SITE, None, position)
            for i, position in enumerate([outside, inside])
        ]
        await publish_readings(bus, ReadingBatch("b-walk", TENANT, walk), "msg-walk")
        await feed.wait_for(1)
        alarm = feed.changes[0].alarm
        assert (alarm.key.source, alarm.key.type) == (tracker.id, "forbidden_zone")
        assert (alarm.key.site_id, alarm.key.zone_id) == (SITE, "tiny-plant-room")
        assert store.open_alarms(TENANT) == [alarm]
    finally:
        await worker.stop()
