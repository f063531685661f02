"""`beffroi alarms …`: list alarms from the store, and act on them through the engine that owns their state."""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import click

from beffroi.app import build_bus
from beffroi.config import BeffroiConfig, load_config
from beffroi.domain import messages
from beffroi.domain.alarms import AlarmState
from beffroi.domain.messages import AlarmAction, AlarmCommand
from beffroi.errors import BeffroiError, ConfigError
from beffroi.store.store import Store

CONFIG_OPTION = click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False, path_type=Path))


def _config(path: Path) -> BeffroiConfig:
    try:
        return load_config(path)
    except ConfigError as error:
        click.echo(f"invalid configuration {error.source}:", err=True)
        for problem in error.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)


def _when(ts: float | None) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%SZ") if ts else "-"


@click.group()
def alarms() -> None:
    """List alarms, and acknowledge, shelve or clear them (the engine applies and audits each action)."""


@alarms.command("list")
@CONFIG_OPTION
@click.option("--tenant", default=None, help="Tenant (default: the config's).")
@click.option("--all", "show_all", is_flag=True, help="Include cleared alarms.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000))
def list_alarms(config_path: Path, tenant: str | None, show_all: bool, limit: int) -> None:
    """Alarms by priority then age, newest first within a priority."""
    config = _config(config_path)
    store = Store(config.store.url, password=config.store.password.read())
    try:
        states = None if show_all else [s for s in AlarmState if s is not AlarmState.CLEARED]
        rows = store.query_alarms(tenant or config.tenant, states=states, limit=limit)
    except BeffroiError as error:
        click.echo(f"beffroi: {error}", err=True)
        sys.exit(1)
    finally:
        store.close()
    rows.sort(key=lambda alarm: (alarm.priority, -alarm.raised_at))
    if not rows:
        click.echo("no alarms")
    for alarm in rows:
        place = "/".join(part for part in (alarm.key.site_id, alarm.key.zone_id) if part)
        click.echo(
            f"{alarm.id}  P{int(alarm.priority)}  {alarm.state.value:<18} {alarm.key.type:<16} "
            f"{alarm.key.source:<28} {place:<30} raised {_when(alarm.raised_at)} x{alarm.trigger_count}"
        )


def _send(config: BeffroiConfig, command: AlarmCommand) -> None:
    if config.bus.kind == "inprocess":
        click.echo(
            "the in-process bus lives inside the running `beffroi demo`/`serve` process and cannot be reached "
            "from another one: act on alarms through its API, or configure the NATS bus",
            err=True,
        )
        sys.exit(1)

    async def publish() -> None:
        bus = build_bus(config)
        await bus.start()
        try:
            await bus.publish(
                messages.alarm_commands_subject(command.tenant_id),
                messages.encode(command),
                msg_id=f"command-{command.command_id}",
            )
        finally:
            await bus.close()

    try:
        asyncio.run(publish())
    except BeffroiError as error:
        click.echo(f"beffroi: {error}", err=True)
        sys.exit(1)
    click.echo(f"{command.action.value} of alarm {command.alarm_id} sent to the engine (command {command.command_id})")


def _action(
    config_path: Path,
    alarm_id: str,
    action: AlarmAction,
    actor: str,
    tenant: str | None,
    reason: str = "",
    duration_s: float | None = None,
) -> None:
    config = _config(config_path)
    command = AlarmCommand(
        command_id=uuid.uuid4().hex,
        tenant_id=tenant or config.tenant,
        alarm_id=alarm_id,
        action=action,
        actor=actor,
        ts=time.time(),
        reason=reason,
        duration_s=duration_s,
    )
    _send(config, command)


ACTOR_OPTION = click.option("--actor", required=True, help="Who acts (recorded in the audit log).")
TENANT_OPTION = click.option("--tenant", default=None, help="Tenant (default: the config's).")


@alarms.command("ack")
@click.argument("alarm_id")
@CONFIG_OPTION
@ACTOR_OPTION
@TENANT_OPTION
def acknowledge(alarm_id: str, config_path: Path, actor: str, tenant: str | None) -> None:
    """Acknowledge an alarm."""
    _action(config_path, alarm_id, AlarmAction.ACKNOWLEDGE, actor, tenant)


@alarms.command("shelve")
@click.argument("alarm_id")
@CONFIG_OPTION
@ACTOR_OPTION
@TENANT_OPTION
@click.option("--reason", required=True, help="Why (mandatory, audited).")
@click.option("--minutes", type=click.FloatRange(min=0, min_open=True), default=60.0, show_default=True)
def shelve(alarm_id: str, config_path: Path, actor: str, tenant: str | None, reason: str, minutes: float) -> None:
    """Shelve an alarm for a while, with a reason."""
    if not reason.strip():
        raise click.BadParameter("a reason is required to shelve an alarm", param_hint="--reason")
    _action(config_path, alarm_id, AlarmAction.SHELVE, actor, tenant, reason, minutes * 60.0)


@alarms.command("clear")
@click.argument("alarm_id")
@CONFIG_OPTION
@ACTOR_OPTION
@TENANT_OPTION
def clear(alarm_id: str, config_path: Path, actor: str, tenant: str | None) -> None:
    """Clear an alarm by hand."""
    _action(config_path, alarm_id, AlarmAction.CLEAR, actor, tenant)
