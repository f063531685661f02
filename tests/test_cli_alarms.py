"""`beffroi alarms`: listing from the store, and commands sent to the engine over the bus."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from beffroi.app import build_bus
from beffroi.bus.base import BusMessage
from beffroi.cli import main
from beffroi.config import load_config
from beffroi.domain import messages
from beffroi.domain.alarms import AlarmKey, Priority, acknowledge, clear, raise_alarm
from beffroi.domain.messages import AlarmAction, AlarmCommand
from beffroi.store.store import Store
from tests.services import NATS_URL, require_service


def _config(tmp_path: Path, bus: str) -> Path:
    path = tmp_path / "beffroi.toml"
    path.write_text(f'tenant = "t1"\n[store]\nurl = "sqlite:///{tmp_path / "b.db"}"\n[bus]\n{bus}\n', encoding="utf-8")
    return path


def test_list_shows_open_alarms_by_priority(tmp_path: Path) -> None:
    config = _config(tmp_path, 'kind = "inprocess"')
    store = Store(f"sqlite:///{tmp_path / 'b.db'}")
    store.migrate()
    low = raise_alarm("a-low", AlarmKey("t1", "dev-1", "battery_low"), Priority.LOW, "Battery", 100.0)
    high = raise_alarm("a-high", AlarmKey("t1", "dev-2", "fire_alarm", "s", "z"), Priority.CRITICAL, "Smoke", 50.0)
    done = clear(
        acknowledge(raise_alarm("a-done", AlarmKey("t1", "d3", "x"), Priority.HIGH, "m", 1.0), 2.0, "a"), 3.0, "a"
    )
    other = raise_alarm("a-other", AlarmKey("t2", "dev-9", "fire_alarm"), Priority.CRITICAL, "Other tenant", 1.0)
    store.save_alarms([low, high, done, other])
    store.close()
    result = CliRunner().invoke(main, ["alarms", "list", "--config", str(config)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == ["a-high", "a-low"]
    assert "fire_alarm" in lines[0] and "s/z" in lines[0]
    every = CliRunner().invoke(main, ["alarms", "list", "--all", "--config", str(config)])
    assert "a-done" in every.output and "a-other" not in every.output


def test_actions_need_a_reachable_bus(tmp_path: Path) -> None:
    config = _config(tmp_path, 'kind = "inprocess"')
    result = CliRunner().invoke(main, ["alarms", "ack", "a1", "--config", str(config), "--actor", "alice"])
    assert result.exit_code == 1
    assert "in-process bus" in result.output


def test_shelve_needs_a_reason(tmp_path: Path) -> None:
    config = _config(tmp_path, 'kind = "inprocess"')
    result = CliRunner().invoke(
        main, ["alarms", "shelve", "a1", "--config", str(config), "--actor", "a", "--reason", "  "]
    )
    assert result.exit_code == 2
    assert "reason" in result.output


@pytest.mark.nats
def test_ack_publishes_a_typed_command_on_nats(tmp_path: Path) -> None:
    require_service("nats")
    run = uuid.uuid4().hex[:8]
    config_path = _config(tmp_path, f'kind = "nats"\nurl = "{NATS_URL}"\nstream = "CLI_{run}"\nnamespace = "cli{run}"')
    config = load_config(config_path, environ={})
    received: list[AlarmCommand] = []

    async def listen_then_check() -> None:
        bus = build_bus(config)
        await bus.start()
        got = asyncio.Event()

        async def handler(message: BusMessage) -> None:
            received.append(messages.decode(message.data, AlarmCommand))
            got.set()

        try:
            await bus.subscribe(messages.ALL_ALARM_COMMANDS, "test", handler)
            result = await asyncio.to_thread(
                CliRunner().invoke,
                main,
                [
                    "alarms",
                    "shelve",
                    "a42",
                    "--config",
                    str(config_path),
                    "--actor",
                    "bob",
                    "--reason",
                    "works",
                    "--minutes",
                    "30",
                ],
            )
            assert result.exit_code == 0, result.output
            await asyncio.wait_for(got.wait(), 10)
        finally:
            await bus.close()
            import nats

            client = await nats.connect(NATS_URL)
            await client.jetstream().delete_stream(f"CLI_{run}")
            await client.close()

    asyncio.run(listen_then_check())
    command = received[0]
    assert (command.tenant_id, command.alarm_id, command.action, command.actor) == (
        "t1",
        "a42",
        AlarmAction.SHELVE,
        "bob",
    )
    assert command.reason == "works" and command.duration_s == 1800.0
