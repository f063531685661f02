"""Alarm actions of an API process that does not run the engine: the API publishes each command on the bus and waits
for the engine's outcome. The engine here is the real EngineWorker in a second role on the same event loop; the API
reaches it only through the bus (the in-process one, and NATS JetStream when it runs)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from beffroi.api.alarm_commands import BusAlarmCommands
from beffroi.api.app import create_app
from beffroi.api.auth.roles import Role
from beffroi.api.auth.settings import AuthSettings
from beffroi.api.errors import EngineTimeout, EngineUnavailable
from beffroi.bus.base import Bus, create_bus
from beffroi.bus.namespaced import NamespacedBus
from beffroi.config import parse_config
from beffroi.domain import messages
from beffroi.domain.alarms import AlarmState, Priority
from beffroi.domain.messages import AlarmAction, AlarmChangeKind, AlarmCommand, AlarmCommandOutcome
from beffroi.errors import InvalidTransition, NotFound, RejectedInput
from beffroi.store.store import Store
from beffroi.workers.engine import EngineWorker
from tests.api.world import SCENARIOS, SECRET, T0, TENANT_A, TENANT_B, alarm, headers
from tests.bus.conftest import delete_stream, nats_test_bus
from tests.bus.support import wait_until
from tests.services import require_service

OPERATOR = headers(TENANT_A, Role.OPERATOR)


def command(
    alarm_id: str, action: AlarmAction, *, tenant: str = TENANT_A, duration_s: float | None = None
) -> AlarmCommand:
    return AlarmCommand(
        command_id=uuid.uuid4().hex,
        tenant_id=tenant,
        alarm_id=alarm_id,
        action=action,
        actor="operator",
        ts=T0 + 60.0,
        reason="works" if action is AlarmAction.SHELVE else "",
        duration_s=duration_s,
    )


async def started_engine(bus: Bus, world: Store) -> EngineWorker:
    """The engine of the "other process": it shares only the bus (and the database) with the API."""
    config = parse_config(
        {"tenant": TENANT_A, "scenario": str(SCENARIOS / "two_tenants_a.json"), "engine": {"absence_check_s": 3600}}
    )
    engine = EngineWorker(config, bus, world)
    await engine.start()
    return engine


@pytest.fixture
async def bus() -> AsyncIterator[Bus]:
    started = create_bus("inprocess", "inprocess://")
    await started.start()
    yield started
    await started.close()


@pytest.fixture
async def remote_engine(bus: Bus, world: Store) -> AsyncIterator[EngineWorker]:
    engine = await started_engine(bus, world)
    yield engine
    await engine.stop()


@pytest.fixture
async def commands(bus: Bus) -> AsyncIterator[BusAlarmCommands]:
    sink = BusAlarmCommands(bus, timeout_s=5.0)
    await sink.start()
    yield sink
    await sink.stop()


def api_of(world: Store, sink: BusAlarmCommands) -> FastAPI:
    return create_app(component_states=dict, store=world, auth=AuthSettings(SECRET), alarm_commands=sink)


@pytest.fixture
async def client(world: Store, commands: BusAlarmCommands) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=api_of(world, commands))
    async with httpx.AsyncClient(transport=transport, base_url="http://beffroi") as http:
        yield http


async def test_acknowledge_goes_through_the_bus_to_the_engine_and_is_audited(
    client: httpx.AsyncClient, world: Store, remote_engine: EngineWorker, commands: BusAlarmCommands
) -> None:
    response = await client.post("/api/alarms/a-critical/acknowledge", headers=OPERATOR)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["change"], body["actor"], body["alarm"]["state"]) == ("acknowledged", "operator", "acknowledged")
    assert world.get_alarm(TENANT_A, "a-critical").acknowledged_by == "operator"
    held = remote_engine.alarms.get("a-critical")
    assert held is not None and held.state is AlarmState.ACKNOWLEDGED
    assert [entry.action for entry in world.query_audit(TENANT_A, target_id="a-critical")] == ["alarm.acknowledged"]
    assert commands.health() == {"waiting": 0, "answered": 1, "timed_out": 0}


async def test_a_refused_action_is_409_as_with_the_engine_in_process(
    client: httpx.AsyncClient, remote_engine: EngineWorker
) -> None:
    first = await client.post("/api/alarms/a-critical/acknowledge", headers=OPERATOR)
    assert first.status_code == 200, first.text
    again = await client.post("/api/alarms/a-critical/acknowledge", headers=OPERATOR)
    assert again.status_code == 409, again.text
    assert again.json() == {"reason": "invalid_transition", "detail": "cannot acknowledge alarm in state acknowledged"}


async def test_an_alarm_the_engine_does_not_hold_is_404(
    client: httpx.AsyncClient, world: Store, remote_engine: EngineWorker
) -> None:
    missing = await client.post("/api/alarms/no-such-alarm/clear", headers=OPERATOR)
    assert (missing.status_code, missing.json()["reason"]) == (404, "not_found")
    # stored as open, but not among the engine's open alarms: only the engine can say it does not hold it
    world.save_alarms([alarm(TENANT_A, "a-unknown-to-engine", "square-plaza-other-01", Priority.HIGH, T0)])
    response = await client.post("/api/alarms/a-unknown-to-engine/acknowledge", headers=OPERATOR)
    assert response.status_code == 404, response.text
    assert response.json() == {
        "reason": "not_found",
        "detail": f"no open alarm 'a-unknown-to-engine' in tenant {TENANT_A!r}",
    }


async def test_the_engines_errors_come_back_as_the_same_errors(
    commands: BusAlarmCommands, remote_engine: EngineWorker
) -> None:
    with pytest.raises(RejectedInput) as rejected:
        await commands.execute(command("a-low-old", AlarmAction.SHELVE, duration_s=0.0))
    assert rejected.value.reason == "bad_duration" and "positive number of seconds" in rejected.value.detail
    with pytest.raises(NotFound):
        await commands.execute(command("a-critical", AlarmAction.ACKNOWLEDGE, tenant=TENANT_B))
    change = await commands.execute(command("a-low-old", AlarmAction.SHELVE, duration_s=600.0))
    assert change.change is AlarmChangeKind.SHELVED and change.alarm.shelved_until == T0 + 660.0
    with pytest.raises(InvalidTransition) as refused:
        await commands.execute(command("a-low-old", AlarmAction.ACKNOWLEDGE))
    assert (refused.value.entity, refused.value.state, refused.value.action) == ("alarm", "shelved", "acknowledge")


async def test_without_a_running_engine_the_action_times_out_with_504(bus: Bus, world: Store) -> None:
    sink = BusAlarmCommands(bus, timeout_s=0.2)
    await sink.start()
    try:
        transport = httpx.ASGITransport(app=api_of(world, sink))
        async with httpx.AsyncClient(transport=transport, base_url="http://beffroi") as http:
            response = await http.post("/api/alarms/a-critical/acknowledge", headers=OPERATOR)
        assert response.status_code == 504, response.text
        assert response.json()["reason"] == "engine_timeout"
        assert "did not answer within 0.2 s" in response.json()["detail"]
        assert sink.health() == {"waiting": 0, "answered": 0, "timed_out": 1}
        with pytest.raises(EngineTimeout):
            await sink.execute(command("a-critical", AlarmAction.ACKNOWLEDGE))
    finally:
        await sink.stop()
    assert world.get_alarm(TENANT_A, "a-critical").state is AlarmState.UNACKNOWLEDGED


async def test_not_started_or_stopping_is_engine_unavailable(bus: Bus) -> None:
    sink = BusAlarmCommands(bus, timeout_s=5.0)
    with pytest.raises(EngineUnavailable, match="not started"):
        await sink.execute(command("a-critical", AlarmAction.ACKNOWLEDGE))
    await sink.start()
    pending = asyncio.create_task(sink.execute(command("a-critical", AlarmAction.ACKNOWLEDGE)))
    await wait_until(lambda: sink.waiting == 1, 5.0, lambda: "the command never waited")
    await sink.stop()
    with pytest.raises(EngineUnavailable, match="stopping"):
        await pending
    with pytest.raises(ValueError, match="timeout_s"):
        BusAlarmCommands(bus, timeout_s=0)


async def test_an_outcome_is_taken_only_for_its_own_command_and_tenant(bus: Bus, world: Store) -> None:
    sink = BusAlarmCommands(bus, timeout_s=5.0)
    await sink.start()
    try:
        sent = command("a-critical", AlarmAction.ACKNOWLEDGE)
        pending = asyncio.create_task(sink.execute(sent))
        await wait_until(lambda: sink.waiting == 1, 5.0, lambda: "the command never waited")
        stored = world.get_alarm(TENANT_A, "a-critical")
        change = messages.AlarmChange(AlarmChangeKind.ACKNOWLEDGED, stored, "operator")
        forged = AlarmCommandOutcome(sent.command_id, TENANT_B, change)
        other = AlarmCommandOutcome(uuid.uuid4().hex, TENANT_A, None, "not_found", "someone else's")
        for outcome in (forged, other):
            subject = messages.alarm_command_outcomes_subject(outcome.tenant_id)
            await bus.publish(subject, messages.encode(outcome))
        await bus.publish(messages.alarm_command_outcomes_subject(TENANT_A), b"\xc1 not msgpack")
        await asyncio.sleep(0.05)
        assert not pending.done()
        genuine = AlarmCommandOutcome(sent.command_id, TENANT_A, change)
        await bus.publish(messages.alarm_command_outcomes_subject(TENANT_A), messages.encode(genuine))
        assert await asyncio.wait_for(pending, 5.0) == change
    finally:
        await sink.stop()


async def test_two_api_processes_each_get_their_own_outcomes(
    bus: Bus, world: Store, remote_engine: EngineWorker
) -> None:
    first, second = BusAlarmCommands(bus, timeout_s=5.0), BusAlarmCommands(bus, timeout_s=5.0)
    assert first.consumer_name != second.consumer_name
    await first.start()
    await second.start()
    try:
        changes = await asyncio.gather(
            first.execute(command("a-critical", AlarmAction.ACKNOWLEDGE)),
            second.execute(command("a-low-new", AlarmAction.CLEAR)),
        )
    finally:
        await first.stop()
        await second.stop()
    assert [(change.alarm.id, change.change) for change in changes] == [
        ("a-critical", AlarmChangeKind.ACKNOWLEDGED),
        ("a-low-new", AlarmChangeKind.CLEARED),
    ]


@pytest.mark.nats
async def test_acknowledge_through_nats_jetstream(world: Store) -> None:
    require_service("nats")
    token = uuid.uuid4().hex[:16]
    bus = NamespacedBus(nats_test_bus(token), f"t{token}")
    await bus.start()
    engine: EngineWorker | None = None
    sink = BusAlarmCommands(bus, timeout_s=5.0)
    try:
        engine = await started_engine(bus, world)
        await sink.start()
        change = await sink.execute(command("a-critical", AlarmAction.ACKNOWLEDGE))
        assert (change.change, change.alarm.id) == (AlarmChangeKind.ACKNOWLEDGED, "a-critical")
        with pytest.raises(InvalidTransition):
            await sink.execute(command("a-critical", AlarmAction.ACKNOWLEDGE))
        assert world.get_alarm(TENANT_A, "a-critical").state is AlarmState.ACKNOWLEDGED
    finally:
        await sink.stop()
        if engine is not None:
            await engine.stop()
        await bus.close()
        await delete_stream(f"T_{token}")
