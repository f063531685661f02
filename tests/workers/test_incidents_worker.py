"""The incident worker on the in-process bus and a SQLite store: alarm changes become incidents persisted before
they are published (and before the alarm change is acknowledged), operator commands are applied and audited,
skipped steps reach the supervisors, a restart reloads the open incidents, and escalation runs on the clock."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import msgspec
import pytest

from beffroi.api.incident_commands import BusIncidentCommands
from beffroi.bus.base import Bus, BusMessage
from beffroi.domain import messages
from beffroi.domain.alarms import Alarm, retrigger, return_to_normal
from beffroi.domain.incidents import Disposition, IncidentState, TimelineKind
from beffroi.domain.messages import (
    AlarmChange,
    AlarmChangeKind,
    IncidentAction,
    IncidentChange,
    IncidentChangeKind,
    IncidentCommand,
    IncidentCommandOutcome,
    SupervisorNotice,
)
from beffroi.domain.records import AuditEntry
from beffroi.engine.correlation_rules import load_rules
from beffroi.engine.escalation import EscalationLevel, EscalationPolicy
from beffroi.engine.procedures import load_procedures
from beffroi.errors import InvalidTransition, NotFound, RejectedInput, StoreError
from beffroi.store.store import Store
from beffroi.workers.incidents import IncidentSettings, IncidentWorker, load_incident_settings
from tests.bus.support import settle, wait_until
from tests.engine.incident_builders import acknowledged, alarm, raised

TENANT = "tiny"
ZONE = "tiny-plant-room"
T0 = 1_722_002_400.0
POLICY = EscalationPolicy(
    chain=(EscalationLevel("operators"), EscalationLevel("supervisors", "supervisor")),
    unacknowledged_after_s=120,
    unresolved_after_s=1800,
)


class Feed:
    """Records what a subject filter carries."""

    def __init__(self) -> None:
        self.changes: list[IncidentChange] = []
        self.notices: list[SupervisorNotice] = []
        self.outcomes: list[IncidentCommandOutcome] = []

    async def on_change(self, message: BusMessage) -> None:
        self.changes.append(messages.decode(message.data, IncidentChange))

    async def on_notice(self, message: BusMessage) -> None:
        self.notices.append(messages.decode(message.data, SupervisorNotice))

    async def on_outcome(self, message: BusMessage) -> None:
        self.outcomes.append(messages.decode(message.data, IncidentCommandOutcome))

    def kinds(self) -> list[IncidentChangeKind]:
        return [change.change for change in self.changes]

    async def wait_for(self, count: int) -> None:
        await wait_until(lambda: len(self.changes) >= count, 5.0, lambda: f"incident changes so far: {self.kinds()}")


class Clock:
    """A wall clock the test moves."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def tiny_alarm(alarm_id: str, alarm_type: str, ts: float, source: str = "tiny-plant-room-smoke-01") -> Alarm:
    return alarm(alarm_id, alarm_type, ts, zone=ZONE, site="tiny-stadium", source=source, tenant=TENANT)


def command(incident_id: str, action: IncidentAction, **fields: Any) -> IncidentCommand:
    return IncidentCommand(
        f"cmd-{time.monotonic_ns()}",
        TENANT,
        incident_id,
        action,
        "operator-7",
        T0 + 300,
        **fields,
    )


@pytest.fixture
async def feed(bus: Bus) -> Feed:
    feed = Feed()
    await bus.subscribe(messages.ALL_INCIDENTS, "test-incidents", feed.on_change)
    await bus.subscribe(messages.ALL_SUPERVISION, "test-supervision", feed.on_notice)
    await bus.subscribe(messages.ALL_INCIDENT_COMMAND_OUTCOMES, "test-outcomes", feed.on_outcome)
    return feed


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


def settings() -> IncidentSettings:
    return IncidentSettings(load_rules(), load_procedures(), POLICY, tick_s=3600)


@pytest.fixture
async def worker(bus: Bus, store: Store, clock: Clock) -> AsyncIterator[IncidentWorker]:
    started = IncidentWorker(bus, store, settings(), wall_clock=clock)
    await started.start()
    yield started
    await started.stop()


async def publish(bus: Bus, change: AlarmChange, msg_id: str) -> None:
    await bus.publish(messages.alarms_subject(change.alarm.key.tenant_id), messages.encode(change), msg_id=msg_id)


async def open_incident(bus: Bus, feed: Feed) -> IncidentChange:
    await publish(bus, raised(tiny_alarm("smoke-1", "fire_alarm", T0)), "m-1")
    await feed.wait_for(1)
    return feed.changes[0]


async def test_an_alarm_opens_an_incident_saved_then_published(
    worker: IncidentWorker, bus: Bus, store: Store, feed: Feed
) -> None:
    change = await open_incident(bus, feed)
    assert change.change is IncidentChangeKind.OPENED
    incident = change.incident
    assert (incident.type, incident.zone_id, incident.procedure, incident.desk) == ("fire", ZONE, "fire", "operators")
    record = store.get_incident_record(TENANT, incident.id)  # persisted before it was published
    assert record.incident == incident and [a.alarm.id for a in record.alarms] == ["smoke-1"]
    assert record.procedure == change.procedure
    assert worker.health()["open_incidents"] == 1 and worker.health()["changes_published"] == 1


async def test_redelivered_and_later_alarm_changes_update_one_incident(
    worker: IncidentWorker, bus: Bus, store: Store, feed: Feed
) -> None:
    change = await open_incident(bus, feed)
    await publish(bus, raised(tiny_alarm("smoke-1", "fire_alarm", T0)), "m-1-again")
    await publish(bus, acknowledged(tiny_alarm("smoke-1", "fire_alarm", T0), T0 + 30), "m-2")
    await publish(bus, raised(tiny_alarm("door-1", "door_forced", T0 + 40, "tiny-plant-room-ac-01")), "m-3")
    await feed.wait_for(3)
    await settle(0.2)
    assert feed.kinds() == [
        IncidentChangeKind.OPENED,
        IncidentChangeKind.ALARM_UPDATED,
        IncidentChangeKind.ALARM_JOINED,
    ]
    record = store.get_incident_record(TENANT, change.incident.id)
    assert record.incident.alarm_ids == ("smoke-1", "door-1")
    assert record.alarms[0].alarm.acknowledged_by == "op-1"
    assert [i.id for i in store.query_incidents(TENANT)[0]] == [change.incident.id]


async def test_operator_commands_are_applied_persisted_and_audited(
    worker: IncidentWorker, bus: Bus, store: Store, feed: Feed
) -> None:
    incident_id = (await open_incident(bus, feed)).incident.id
    started = await worker.execute(
        command(incident_id, IncidentAction.TRANSITION, target_state=IncidentState.IN_PROGRESS)
    )
    assert started.incident.state is IncidentState.IN_PROGRESS
    await worker.execute(command(incident_id, IncidentAction.ASSIGN, assignee="alice"))
    await worker.execute(command(incident_id, IncidentAction.SET_DISPOSITION, disposition=Disposition.TRUE))
    with pytest.raises(InvalidTransition, match="required procedure steps pending"):
        await worker.execute(command(incident_id, IncidentAction.TRANSITION, target_state=IncidentState.RESOLVED))
    with pytest.raises(RejectedInput, match="unknown_incident"):
        await worker.execute(
            command(incident_id, IncidentAction.SET_DISPOSITION, disposition=Disposition.DUPLICATE, duplicate_of="x")
        )
    with pytest.raises(NotFound):
        await worker.execute(command("nope", IncidentAction.ADD_NOTE, text="?"))
    stored = store.get_incident(TENANT, incident_id)
    assert (stored.state, stored.assignee, stored.disposition) == (IncidentState.IN_PROGRESS, "alice", Disposition.TRUE)
    actions = sorted(entry.action for entry in store.query_audit(TENANT, target_id=incident_id))
    assert actions == ["incident.assign", "incident.set_disposition", "incident.transition"]
    await feed.wait_for(4)


async def test_a_skipped_step_reaches_the_supervisors(
    worker: IncidentWorker, bus: Bus, store: Store, feed: Feed
) -> None:
    incident_id = (await open_incident(bus, feed)).incident.id
    await worker.execute(
        command(incident_id, IncidentAction.SKIP_STEP, step_id="verify", justification="the brigade is already here")
    )
    await wait_until(lambda: len(feed.notices) == 1, 5.0, lambda: "no notice")
    [notice] = feed.notices
    assert (notice.incident_id, notice.actor, notice.kind) == (incident_id, "operator-7", "step_skipped")
    [entry] = store.query_incident_timeline(TENANT, kinds=[TimelineKind.SUPERVISOR_NOTIFIED])
    assert entry.id == notice.id and "the brigade is already here" in entry.text
    [audit] = [e for e in store.query_audit(TENANT, target_id=incident_id) if e.action == "incident.skip_step"]
    assert audit.details["justification"] == "the brigade is already here"


async def test_commands_from_the_bus_are_answered_and_the_api_proxy_gets_each_outcome(
    worker: IncidentWorker, bus: Bus, feed: Feed
) -> None:
    incident_id = (await open_incident(bus, feed)).incident.id
    proxy = BusIncidentCommands(bus, timeout_s=5.0)
    await proxy.start()
    try:
        change = await proxy.execute(
            command(incident_id, IncidentAction.ADD_NOTE, text="smoke seen", links=("https://x/1",))
        )
        assert change.change is IncidentChangeKind.NOTE_ADDED and change.evidence[0].ref == "https://x/1"
        with pytest.raises(NotFound):
            await proxy.execute(command("nope", IncidentAction.ADD_NOTE, text="?"))
        with pytest.raises(InvalidTransition) as refused:
            await proxy.execute(command(incident_id, IncidentAction.TRANSITION, target_state=IncidentState.CLOSED))
        assert refused.value.entity == "incident" and refused.value.state == "new"
        with pytest.raises(RejectedInput) as rejected:
            await proxy.execute(command(incident_id, IncidentAction.COMPLETE_STEP, step_id="verify"))
        assert rejected.value.reason == "choice_required"
    finally:
        await proxy.stop()
    assert [o.error_code for o in feed.outcomes] == ["", "not_found", "invalid_transition", "rejected:choice_required"]


async def test_a_restarted_worker_reloads_its_incidents_and_ignores_alarms_of_closed_ones(
    bus: Bus, store: Store, feed: Feed, clock: Clock
) -> None:
    first = IncidentWorker(bus, store, settings(), wall_clock=clock)
    await first.start()
    await publish(bus, raised(tiny_alarm("noise-1", "noise", T0, "tiny-plant-room-ac-01")), "m-1")
    await publish(bus, raised(tiny_alarm("drone-1", "drone_detected", T0, "tiny-drone")), "m-2")
    await feed.wait_for(1)
    await wait_until(lambda: first.health()["open_incidents"] == 1, 5.0, lambda: str(first.health()))
    [incident] = first.book.open.all()
    steps: list[tuple[IncidentAction, dict[str, Any]]] = [
        (IncidentAction.COMPLETE_STEP, {"step_id": "assess", "choice": "false_alarm"}),
        (IncidentAction.COMPLETE_STEP, {"step_id": "record"}),
        (IncidentAction.SET_DISPOSITION, {"disposition": Disposition.FALSE}),
        (IncidentAction.TRANSITION, {"target_state": IncidentState.RESOLVED}),
        (IncidentAction.TRANSITION, {"target_state": IncidentState.CLOSED}),
    ]
    for action, fields in steps:
        await first.execute(command(incident.id, action, **fields))
    await publish(bus, raised(tiny_alarm("smoke-1", "fire_alarm", T0 + 1000)), "m-3")
    await wait_until(lambda: first.health()["open_incidents"] == 1, 5.0, lambda: str(first.health()))
    await first.stop()

    second = IncidentWorker(bus, store, settings(), wall_clock=clock)
    await second.start()
    try:
        [reloaded] = second.book.open.all()
        assert reloaded.type == "fire" and reloaded == store.get_incident(TENANT, reloaded.id)
        published = len(feed.changes)
        await publish(bus, raised(tiny_alarm("noise-1", "noise", T0, "tiny-plant-room-ac-01")), "m-1-redelivered")
        await publish(bus, raised(tiny_alarm("smoke-2", "fire_alarm", T0 + 1030, "tiny-plant-room-heat")), "m-4")
        await feed.wait_for(published + 1)
        await settle(0.2)
        assert [c.change for c in feed.changes[published:]] == [IncidentChangeKind.RECLASSIFIED]  # a confirmed fire
        assert second.health()["alarms_in_closed_incidents"] == 1
        assert store.get_incident(TENANT, reloaded.id).alarm_ids == ("smoke-1", "smoke-2")
        assert store.query_incidents(TENANT, states=list(IncidentState))[1] == 2
        # the noise alarm of the closed incident returns to normal and fires again much later: a new incident
        noise = tiny_alarm("noise-1", "noise", T0, "tiny-plant-room-ac-01")
        again = AlarmChange(AlarmChangeKind.RETRIGGERED, retrigger(return_to_normal(noise, T0 + 60), T0 + 5_000))
        published = len(feed.changes)
        await publish(bus, again, "m-5")
        await feed.wait_for(published + 1)
        [opened] = feed.changes[published:]
        assert (opened.change, opened.incident.alarm_ids) == (IncidentChangeKind.OPENED, ("noise-1",))
        assert opened.incident.opened_at == T0 + 5_000
        assert store.incident_of_alarm(TENANT, "noise-1") == opened.incident.id
        assert second.health()["alarms_in_closed_incidents"] == 1
    finally:
        await second.stop()


async def test_the_clock_escalates_and_the_escalation_is_kept(
    worker: IncidentWorker, bus: Bus, store: Store, feed: Feed, clock: Clock
) -> None:
    incident_id = (await open_incident(bus, feed)).incident.id
    clock.now = T0 + 60
    assert await worker.tick() == []
    clock.now = T0 + 121
    [change] = await worker.tick()
    assert (change.change, change.incident.desk, change.incident.escalation_level) == (
        IncidentChangeKind.ESCALATED,
        "supervisors",
        1,
    )
    await feed.wait_for(2)
    stored = store.get_incident(TENANT, incident_id)
    assert (stored.desk, stored.escalated_at) == ("supervisors", T0 + 121)
    assert [e.action for e in store.query_audit(TENANT, target_id=incident_id)] == ["incident.escalate"]


class FlakyStore(Store):
    """The real SQLite store, failing its next `failures` incident saves as a database outage would."""

    failures = 0

    def save_incident_changes(
        self, changes: Sequence[IncidentChange], audit_entries: Sequence[AuditEntry] = ()
    ) -> None:
        if self.failures:
            self.failures -= 1
            raise StoreError("database unreachable (injected)")
        super().save_incident_changes(changes, audit_entries)


async def test_an_alarm_change_is_acknowledged_only_once_its_incident_is_stored(
    bus: Bus, store: Store, feed: Feed, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    flaky = FlakyStore(store.url)
    flaky.failures = 2
    worker = IncidentWorker(bus, flaky, settings(), wall_clock=clock)
    await worker.start()
    try:
        with caplog.at_level(logging.CRITICAL, logger="beffroi.bus"):
            await publish(bus, raised(tiny_alarm("smoke-1", "fire_alarm", T0)), "m-1")
            await feed.wait_for(1)
        [record] = store.open_incident_records(TENANT)  # stored before it was published
        assert record.incident.alarm_ids == ("smoke-1",)
        assert feed.kinds() == [IncidentChangeKind.OPENED] and not worker.has_unsaved_changes
        await settle(0.3)
        assert len(feed.changes) == 1  # the redeliveries opened nothing more
    finally:
        await worker.stop()
        flaky.close()


def test_settings_read_the_files_or_the_packaged_defaults(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("default: {window_s: 120}\n")
    loaded = load_incident_settings(rules_file=rules, procedures_file=None, escalation=POLICY, tick_s=2.0)
    assert loaded.rules.default.window_s == 120 and loaded.rules.rules == ()
    assert loaded.procedures == load_procedures() and loaded.escalation == POLICY
    with pytest.raises(ValueError, match="tick_s"):
        IncidentSettings(tick_s=0)


async def test_with_the_data_clock_an_operator_action_is_stamped_with_the_data_time(
    bus: Bus, store: Store, feed: Feed, clock: Clock
) -> None:
    replay = IncidentWorker(bus, store, dataclasses.replace(settings(), clock="data"), wall_clock=clock)
    await replay.start()
    try:
        incident_id = (await open_incident(bus, feed)).incident.id  # the alarm's data time is T0
        note = command(incident_id, IncidentAction.ADD_NOTE, text="patrol on its way")
        note = msgspec.structs.replace(note, ts=T0 + 86_400)  # the operator's wall clock is a day later
        change = await replay.execute(note)
        assert [entry.ts for entry in change.timeline] == [T0]
        [entry] = [e for e in store.query_audit(TENANT, target_id=incident_id) if e.action == "incident.add_note"]
        assert entry.ts == T0
    finally:
        await replay.stop()
