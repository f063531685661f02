"""The engine worker: readings and events from the bus through the detectors into alarms, persisted and published.

The engine owns alarm state. Each alarm change is written to the store before the bus message that caused it is
acknowledged, and the open alarms are reloaded at start-up, so a crash and redelivery create no duplicate alarm.
Operator actions arrive as AlarmCommand messages (or direct calls in the embedded mode) and are audited; the
outcome of each command from the bus (the change, or why it was refused) is published on
`beffroi.commands.outcomes.<tenant>` for the API process that sent it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Sequence

import msgspec

from beffroi.bus.base import Bus, BusMessage, ConsumerOptions, Subscription
from beffroi.config import BeffroiConfig
from beffroi.domain import messages
from beffroi.domain.alarms import Alarm
from beffroi.domain.messages import AlarmAction, AlarmChange, AlarmCommand, AlarmCommandOutcome
from beffroi.domain.observations import Event, ReadingBatch
from beffroi.domain.records import AuditEntry
from beffroi.domain.registry import Site, Zone
from beffroi.engine.alarm_manager import AlarmManager
from beffroi.engine.anomaly.rules import AnomalyRule
from beffroi.engine.builder import build_detectors
from beffroi.engine.desks import DeskMap, OperatorDesk
from beffroi.engine.engine import Engine
from beffroi.engine.flood import FloodSettings
from beffroi.engine.rules import (
    BatteryRule,
    EventRule,
    GeofenceRule,
    RateOfChangeRule,
    StuckValueRule,
    TamperRule,
    ThresholdRule,
    WindowCountRule,
)
from beffroi.errors import BeffroiError
from beffroi.store.store import Store
from beffroi.workers.base import Health
from beffroi.workers.gateway import load_all_devices

log = logging.getLogger("beffroi.workers.engine")

REMEMBERED_OUTCOMES = 1024
"""Outcomes of the latest commands kept, so a redelivered command is answered again instead of applied twice."""


def threshold_rules_from(config: BeffroiConfig) -> list[ThresholdRule]:
    """The engine's pure rule values from the config tree."""
    return [ThresholdRule(**rule.model_dump()) for rule in config.engine.threshold_rules]


def event_rules_from(config: BeffroiConfig) -> list[EventRule]:
    """The engine's pure event-rule values from the config tree."""
    return [EventRule(**rule.model_dump()) for rule in config.engine.event_rules]


def rate_of_change_rules_from(config: BeffroiConfig) -> list[RateOfChangeRule]:
    """The engine's rate-of-change rules from the config tree."""
    return [RateOfChangeRule(**rule.model_dump()) for rule in config.engine.rate_of_change_rules]


def stuck_value_rules_from(config: BeffroiConfig) -> list[StuckValueRule]:
    """The engine's stuck-value rules from the config tree."""
    return [StuckValueRule(**rule.model_dump()) for rule in config.engine.stuck_value_rules]


def geofence_rules_from(config: BeffroiConfig) -> list[GeofenceRule]:
    """The engine's geofence rules from the config tree (zone kinds as plain strings)."""
    return [msgspec.convert(rule.model_dump(mode="json"), GeofenceRule) for rule in config.engine.geofence_rules]


def window_count_rules_from(config: BeffroiConfig) -> list[WindowCountRule]:
    """The engine's sliding-window count rules from the config tree."""
    return [WindowCountRule(**rule.model_dump()) for rule in config.engine.window_count_rules]


def anomaly_rules_from(config: BeffroiConfig) -> list[AnomalyRule]:
    """The engine's streaming anomaly rules from the config tree."""
    return [AnomalyRule(**rule.model_dump()) for rule in config.engine.anomaly_rules]


def battery_rule_from(config: BeffroiConfig) -> BatteryRule | None:
    """The battery_low detector's rule, or None when it is disabled."""
    section = config.engine.battery_low
    return BatteryRule(**section.model_dump(exclude={"enabled"})) if section.enabled else None


def tamper_rule_from(config: BeffroiConfig) -> TamperRule | None:
    """The tamper detector's rule, or None when it is disabled."""
    section = config.engine.tamper
    return TamperRule(**section.model_dump(exclude={"enabled"})) if section.enabled else None


def load_all_zones(store: Store) -> list[Zone]:
    """Every zone of every tenant, for the detectors that place trackers in zones."""
    zones: list[Zone] = []
    for tenant in store.list_tenants():
        zones.extend(store.list_zones(tenant.id))
    return zones


def flood_settings_from(config: BeffroiConfig) -> FloodSettings | None:
    """Flood control from the config tree, None when disabled."""
    section = config.engine.flood
    return FloodSettings(**section.model_dump(exclude={"enabled"})) if section.enabled else None


def desks_from(config: BeffroiConfig) -> DeskMap:
    """The operator desks (their sites are loaded at start)."""
    return DeskMap(
        [OperatorDesk(desk.name, frozenset(desk.site_ids), frozenset(desk.site_kinds)) for desk in config.engine.desks]
    )


def load_all_sites(store: Store) -> list[Site]:
    """Every site of every tenant (site kinds decide desks)."""
    return [site for tenant in store.list_tenants() for site in store.list_sites(tenant.id)]


def _new_alarm_id() -> str:
    return uuid.uuid4().hex


class EngineWorker:
    """Consumes readings, events and alarm commands; persists and publishes alarm changes."""

    name = "engine"

    def __init__(self, config: BeffroiConfig, bus: Bus, store: Store) -> None:
        self._config = config
        self._bus = bus
        self._store = store
        self.alarms = AlarmManager(
            new_id=_new_alarm_id,
            flood=flood_settings_from(config),
            desks=desks_from(config),
            min_retrigger_interval_s=config.engine.min_retrigger_interval_s,
        )
        detectors = build_detectors(
            threshold_rules_from(config),
            event_rules_from(config),
            absence_factor=config.engine.absence_factor,
            absence_priority=config.engine.absence_priority,
            rate_of_change_rules=rate_of_change_rules_from(config),
            stuck_value_rules=stuck_value_rules_from(config),
            geofence_rules=geofence_rules_from(config),
            window_count_rules=window_count_rules_from(config),
            anomaly_rules=anomaly_rules_from(config),
            battery=battery_rule_from(config),
            tamper=tamper_rule_from(config),
        )
        self.engine = Engine([], detectors, self.alarms)
        self._lock = asyncio.Lock()
        self._subscriptions: list[Subscription] = []
        self._tick_task: asyncio.Task[None] | None = None
        self._data_now = 0.0
        self._unsaved_alarms: dict[str, Alarm] = {}
        self._unsaved_audit: list[AuditEntry] = []
        self._unpublished: list[AlarmChange] = []
        self._outcomes: dict[str, AlarmCommandOutcome] = {}  # by command id, oldest first
        self.changes_published = 0

    def _action_time(self, requested: float) -> float:
        """When an operator's action counts: its request time, or with the data clock (replays, accelerated demos)
        the data's own time, so an alarm's history does not mix the two clocks."""
        return self.now() if self._config.engine.clock == "data" else requested

    def now(self) -> float:
        """The engine's clock: wall time, or the newest reading time seen (replays, accelerated sims)."""
        if self._config.engine.clock == "data":
            return self._data_now or time.time()
        return time.time()

    async def start(self) -> None:
        """Load devices, zones and open alarms, then subscribe and start the clock."""
        devices = await asyncio.to_thread(load_all_devices, self._store)
        self.engine.update_devices(devices)
        zones = await asyncio.to_thread(load_all_zones, self._store)
        self.engine.update_zones(zones)
        self.alarms.desks.update_sites(await asyncio.to_thread(load_all_sites, self._store))
        open_alarms = await asyncio.to_thread(self._store.open_alarms, None)
        self.alarms.load(open_alarms)
        log.info("engine: %d devices, %d zones, %d open alarms reloaded", len(devices), len(zones), len(open_alarms))
        options = ConsumerOptions(batch=256, max_deliver=10)
        self._subscriptions = [
            await self._bus.subscribe(messages.ALL_READINGS, "engine-readings", self._on_readings, options),
            await self._bus.subscribe(messages.ALL_EVENTS, "engine-events", self._on_event, options),
            await self._bus.subscribe(messages.ALL_ALARM_COMMANDS, "engine-commands", self._on_command, options),
        ]
        self._tick_task = asyncio.create_task(self._tick_forever(), name="engine-tick")

    async def stop(self) -> None:
        """Stop consuming; everything already acknowledged is persisted."""
        if self._tick_task is not None:
            self._tick_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._tick_task
        for subscription in self._subscriptions:
            await subscription.stop()
        self._subscriptions = []
        if self.has_unsaved_changes:
            try:
                await self._commit([])
            except Exception:
                log.exception("engine stopping with alarm changes it could not store or publish")

    async def _on_readings(self, message: BusMessage) -> None:
        batch = messages.decode(message.data, ReadingBatch)
        if batch.readings:
            newest = max(reading.ts for reading in batch.readings)
            self._data_now = max(self._data_now, newest)
        changes = self.engine.process_readings(batch.readings)
        if changes:
            await self._commit(changes)

    async def _on_event(self, message: BusMessage) -> None:
        event = messages.decode(message.data, Event)
        self._data_now = max(self._data_now, event.ts)
        changes = self.engine.process_event(event)
        if changes:
            await self._commit(changes)

    async def _on_command(self, message: BusMessage) -> None:
        """Apply the command once, then publish its outcome (a redelivered command republishes the first one)."""
        command = messages.decode(message.data, AlarmCommand)
        outcome = self._outcomes.get(command.command_id)
        if outcome is None:
            try:
                change = await self.execute(command)
            except BeffroiError as error:
                log.warning("alarm command %s refused: %s", command.command_id, error)
                outcome = messages.command_refused(command, error)
            else:
                outcome = messages.command_applied(command, change)
            self._remember(outcome)
        await self._bus.publish(
            messages.alarm_command_outcomes_subject(command.tenant_id),
            messages.encode(outcome),
            msg_id=f"outcome-{command.command_id}",
        )

    def _remember(self, outcome: AlarmCommandOutcome) -> None:
        self._outcomes[outcome.command_id] = outcome
        while len(self._outcomes) > REMEMBERED_OUTCOMES:
            del self._outcomes[next(iter(self._outcomes))]

    async def _tick_forever(self) -> None:
        interval = self._config.engine.absence_check_s
        while True:
            await asyncio.sleep(interval)
            try:
                changes = self.engine.tick(self.now())
                if changes or self.has_unsaved_changes:
                    await self._commit(changes)
            except Exception:
                log.exception("engine tick failed; will retry at the next tick")

    @property
    def has_unsaved_changes(self) -> bool:
        """True while alarm changes wait to be stored or published (after a store or bus failure)."""
        return bool(self._unsaved_alarms or self._unsaved_audit or self._unpublished)

    async def _commit(self, changes: Sequence[AlarmChange], audit: Sequence[AuditEntry] = ()) -> None:
        """Persist then publish alarm changes (in order), under one lock so later states win.

        The alarm manager has already moved on when this runs, so nothing it produced may be dropped: changes go
        to an outbox first, and whatever a store or bus failure left there is retried by the next commit or
        tick (the failure is still raised, so the bus message that caused it is redelivered).
        """
        async with self._lock:
            for change in changes:
                self._unsaved_alarms[change.alarm.id] = change.alarm
            self._unsaved_audit.extend(audit)
            self._unpublished.extend(changes)
            if self._unsaved_alarms:
                await asyncio.to_thread(self._store.save_alarms, list(self._unsaved_alarms.values()))
                self._unsaved_alarms = {}
            if self._unsaved_audit:
                await asyncio.to_thread(self._store.append_audit, list(self._unsaved_audit))
                self._unsaved_audit = []
            while self._unpublished:
                change = self._unpublished[0]
                alarm = change.alarm
                await self._bus.publish(
                    messages.alarms_subject(alarm.key.tenant_id),
                    messages.encode(change),
                    msg_id=f"alarm-{alarm.id}-{alarm.updated_at:.6f}-{change.change.value}",
                )
                self._unpublished.pop(0)
                self.changes_published += 1

    async def execute(self, command: AlarmCommand) -> AlarmChange:
        """Apply an operator's action to an alarm, persist it and audit it; raises NotFound/InvalidTransition."""
        manager = self.alarms
        tenant, alarm_id, actor, ts = command.tenant_id, command.alarm_id, command.actor, self._action_time(command.ts)
        match command.action:
            case AlarmAction.ACKNOWLEDGE:
                change, entry = manager.acknowledge(tenant, alarm_id, actor, ts)
            case AlarmAction.SHELVE:
                change, entry = manager.shelve(tenant, alarm_id, actor, ts, command.reason, command.duration_s or 0)
            case AlarmAction.CLEAR:
                change, entry = manager.clear(tenant, alarm_id, actor, ts)
            case AlarmAction.SUPPRESS:
                change, entry = manager.suppress(tenant, alarm_id, actor, ts, command.reason)
            case AlarmAction.OUT_OF_SERVICE:
                change, entry = manager.take_out_of_service(tenant, alarm_id, actor, ts, command.reason)
            case AlarmAction.RETURN_TO_SERVICE:
                change, entry = manager.return_to_service(tenant, alarm_id, actor, ts)
        await self._commit([change], [entry])
        return change

    def health(self) -> Health:
        """Counters of the engine."""
        counters: Health = dict(self.engine.counters())
        counters["open_alarms"] = len(self.alarms.open_alarms())
        counters["changes_published"] = self.changes_published
        counters.update(self.alarms.rates_health(self.now()))
        return counters
