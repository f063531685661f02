"""The incident worker: alarm changes from the bus correlated into incidents, escalated on a clock, and worked by
operators through their procedures; every change persisted before the bus message that caused it is acknowledged.

It owns incident state, as the engine owns alarm state: it reloads the incidents not closed at start-up, consumes
`beffroi.alarms.>` through the durable consumer `incidents`, and publishes each IncidentChange on
`beffroi.incidents.<tenant>` and each supervisor notice on `beffroi.supervision.<tenant>`. Operator actions arrive
as direct calls (`execute`, the API's IncidentCommandSink in the same process) or as IncidentCommand messages on
`beffroi.commands.incidents.<tenant>`, whose outcomes go to `beffroi.commands.incident_outcomes.<tenant>`.
An alarm change is correlated once: an alarm this worker no longer remembers is looked up in the store first, so
a redelivered change of an alarm whose incident is closed opens nothing; the alarm firing again after that
incident was resolved (a new occurrence) is correlated afresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import msgspec

from beffroi.bus.base import Bus, BusMessage, ConsumerOptions, Subscription
from beffroi.config import BeffroiConfig
from beffroi.domain import messages
from beffroi.domain.incidents import Incident
from beffroi.domain.messages import (
    AlarmChange,
    AlarmChangeKind,
    IncidentChange,
    IncidentCommand,
    IncidentCommandOutcome,
    SupervisorNotice,
)
from beffroi.domain.observations import Position
from beffroi.domain.records import AuditEntry
from beffroi.engine.correlation import Correlator
from beffroi.engine.correlation_rules import CorrelationRules, load_rules
from beffroi.engine.escalation import EscalationLevel, EscalationPolicy
from beffroi.engine.incident_book import IncidentActionResult, IncidentBook
from beffroi.engine.procedures import ProcedureLibrary, load_procedures
from beffroi.errors import BeffroiError, RejectedInput
from beffroi.store.store import Store
from beffroi.workers.base import Health
from beffroi.workers.gateway import load_all_devices

log = logging.getLogger("beffroi.workers.incidents")

ALARMS_CONSUMER = "incidents"
COMMANDS_CONSUMER = "incidents-commands"
REMEMBERED_OUTCOMES = 1024
"""Outcomes of the latest commands kept, so a redelivered command is answered again instead of applied twice."""


@dataclass(frozen=True)
class IncidentSettings:
    """What the incident worker runs with: correlation rules, procedures, the escalation policy, how often the
    escalation clock ticks, and which clock it reads (`data`: the newest alarm time seen, for replays)."""

    rules: CorrelationRules = field(default_factory=load_rules)
    procedures: ProcedureLibrary = field(default_factory=load_procedures)
    escalation: EscalationPolicy = field(default_factory=EscalationPolicy)
    tick_s: float = 5.0
    clock: Literal["wall", "data"] = "wall"

    def __post_init__(self) -> None:
        if not self.tick_s > 0:
            raise ValueError(f"tick_s must be > 0, got {self.tick_s!r}")


def load_incident_settings(
    *,
    rules_file: Path | None,
    procedures_file: Path | None,
    escalation: EscalationPolicy,
    tick_s: float = 5.0,
    clock: Literal["wall", "data"] = "wall",
) -> IncidentSettings:
    """Settings with the rules and procedures read from their files (None: the packaged defaults); a bad file raises
    ConfigError naming it and the key path."""
    return IncidentSettings(load_rules(rules_file), load_procedures(procedures_file), escalation, tick_s, clock)


def incident_settings_from(config: BeffroiConfig) -> IncidentSettings:
    """The worker's settings from the config tree's `incidents` section (its files read and checked here)."""
    section = config.incidents
    escalation = section.escalation
    policy = EscalationPolicy(
        chain=tuple(EscalationLevel(level.desk, level.role) for level in escalation.chain),
        unacknowledged_after_s=escalation.unacknowledged_after_s,
        unresolved_after_s=escalation.unresolved_after_s,
        bump_priority=escalation.bump_priority,
    )
    return load_incident_settings(
        rules_file=section.correlation_rules,
        procedures_file=section.procedures,
        escalation=policy,
        tick_s=section.tick_s,
        clock=section.clock,
    )


def _new_id() -> str:
    return uuid.uuid4().hex


def _message_id(change: IncidentChange) -> str:
    """A message id unique to the change (its first timeline entry, else the alarm snapshot it carries), so a
    retried publish is stored once."""
    incident = change.incident
    if change.timeline:
        detail = change.timeline[0].id
    elif change.alarms:
        detail = f"{change.alarms[0].alarm.id}-{change.alarms[0].alarm.updated_at:.6f}"
    else:
        detail = f"{incident.updated_at:.6f}"
    return f"incident-{incident.tenant_id}-{incident.id}-{change.change.value}-{detail}"


class IncidentWorker:
    """Consumes alarm changes and incident commands; persists and publishes incident changes."""

    name = "incidents"

    def __init__(
        self,
        bus: Bus,
        store: Store,
        settings: IncidentSettings | None = None,
        *,
        new_id: Callable[[], str] = _new_id,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._bus = bus
        self._store = store
        self._settings = settings or IncidentSettings()
        self._wall_clock = wall_clock
        correlator = Correlator(self._settings.rules, new_id)
        self.book = IncidentBook(correlator, self._settings.procedures, self._settings.escalation, new_id)
        self._lock = asyncio.Lock()
        self._subscriptions: list[Subscription] = []
        self._tick_task: asyncio.Task[None] | None = None
        self._data_now = 0.0
        self._unsaved: list[IncidentChange] = []
        self._unsaved_audit: list[AuditEntry] = []
        self._unpublished: list[IncidentChange] = []
        self._unpublished_notices: list[SupervisorNotice] = []
        self._outcomes: dict[str, IncidentCommandOutcome] = {}
        self.changes_published = 0
        self.alarms_in_closed_incidents = 0

    def now(self) -> float:
        """The escalation clock: wall time, or the newest alarm time seen (replays, accelerated simulations)."""
        if self._settings.clock == "data":
            return self._data_now or self._wall_clock()
        return self._wall_clock()

    async def start(self) -> None:
        """Load the devices' positions and the incidents not closed, then subscribe and start the clock."""
        devices = await asyncio.to_thread(load_all_devices, self._store)
        positions: dict[tuple[str, str], Position] = {(d.tenant_id, d.id): d.position for d in devices}
        self.book.correlator.update_positions(positions)
        records = await asyncio.to_thread(self._store.open_incident_records, None)
        self.book.load(records)
        log.info("incidents: %d devices, %d open incidents reloaded", len(devices), len(records))
        options = ConsumerOptions(batch=256, max_deliver=10)
        self._subscriptions = [
            await self._bus.subscribe(messages.ALL_ALARMS, ALARMS_CONSUMER, self._on_alarm, options),
            await self._bus.subscribe(messages.ALL_INCIDENT_COMMANDS, COMMANDS_CONSUMER, self._on_command, options),
        ]
        self._tick_task = asyncio.create_task(self._tick_forever(), name="incidents-tick")

    async def stop(self) -> None:
        """Stop consuming; everything acknowledged is persisted (what a failure left unsaved is tried once more)."""
        if self._tick_task is not None:
            self._tick_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._tick_task
            self._tick_task = None
        for subscription in self._subscriptions:
            await subscription.stop()
        self._subscriptions = []
        if self.has_unsaved_changes:
            try:
                await self._commit([])
            except Exception:
                log.exception("incidents stopping with changes it could not store or publish")

    @property
    def has_unsaved_changes(self) -> bool:
        """True while incident changes wait to be stored or published (after a store or bus failure)."""
        return bool(self._unsaved or self._unsaved_audit or self._unpublished or self._unpublished_notices)

    # ----- alarms -----

    async def _on_alarm(self, message: BusMessage) -> None:
        change = messages.decode(message.data, AlarmChange)
        alarm = change.alarm
        self._data_now = max(self._data_now, alarm.updated_at)
        tenant_id = alarm.key.tenant_id
        reoccurred = False
        if not self.book.knows_alarm(tenant_id, alarm.id):
            holder = await asyncio.to_thread(self._store.incident_of_alarm, tenant_id, alarm.id)
            if holder is not None and not self.book.holds(tenant_id, holder):
                closed = await asyncio.to_thread(self._store.get_incident, tenant_id, holder)
                reoccurred = _fired_after(change, closed)
                if not reoccurred:
                    self.alarms_in_closed_incidents += 1
                    return
        changes = self.book.on_alarm_change(change, reoccurred=reoccurred)
        if changes or self.has_unsaved_changes:
            await self._commit(changes)

    # ----- time -----

    async def tick(self) -> list[IncidentChange]:
        """Escalate what is due now, persist and publish it; the changes made."""
        results = self.book.tick(self.now())
        await self._commit_results(results)
        return [result.change for result in results]

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(self._settings.tick_s)
            try:
                results = self.book.tick(self.now())
                if results or self.has_unsaved_changes:
                    await self._commit_results(results)
            except Exception:
                log.exception("incident tick failed; will retry at the next tick")

    # ----- operator commands -----

    async def execute(self, command: IncidentCommand) -> IncidentChange:
        """Apply an operator's action to an incident, persist and audit it; the change. Raises NotFound (no such
        incident in the tenant), InvalidTransition or RejectedInput. With the data clock (replays, accelerated
        demos) the action is stamped with the data's own time, so the timeline does not mix the two clocks."""
        if self._settings.clock == "data":
            command = msgspec.structs.replace(command, ts=self.now())
        tenant_id, incident_id = command.tenant_id, command.incident_id
        stored = None
        if not self.book.holds(tenant_id, incident_id):
            stored = await asyncio.to_thread(self._store.get_incident_record, tenant_id, incident_id)
        duplicate_of = command.duplicate_of
        if duplicate_of and not self.book.holds(tenant_id, duplicate_of):
            exists = await asyncio.to_thread(self._store.incident_exists, tenant_id, duplicate_of)
            if not exists:
                raise RejectedInput("unknown_incident", f"`duplicate_of` names no incident: {duplicate_of!r}")
        result = self.book.execute(command, stored)
        await self._commit_results([result])
        return result.change

    async def _on_command(self, message: BusMessage) -> None:
        """Apply the command once, then publish its outcome (a redelivered command republishes the first one)."""
        command = messages.decode(message.data, IncidentCommand)
        outcome = self._outcomes.get(command.command_id)
        if outcome is None:
            try:
                change = await self.execute(command)
            except BeffroiError as error:
                log.warning("incident command %s refused: %s", command.command_id, error)
                outcome = messages.incident_command_refused(command, error)
            else:
                outcome = messages.incident_command_applied(command, change)
            self._outcomes[command.command_id] = outcome
            while len(self._outcomes) > REMEMBERED_OUTCOMES:
                del self._outcomes[next(iter(self._outcomes))]
        await self._bus.publish(
            messages.incident_command_outcomes_subject(command.tenant_id),
            messages.encode(outcome),
            msg_id=f"incident-outcome-{command.command_id}",
        )

    # ----- persistence -----

    async def _commit_results(self, results: Sequence[IncidentActionResult]) -> None:
        await self._commit(
            [result.change for result in results],
            [entry for result in results for entry in result.audit],
            [notice for result in results for notice in result.notices],
        )

    async def _commit(
        self,
        changes: Sequence[IncidentChange],
        audit: Sequence[AuditEntry] = (),
        notices: Sequence[SupervisorNotice] = (),
    ) -> None:
        """Persist then publish, under one lock so later states win. The book has moved on already, so nothing may
        be dropped: an outbox keeps what a store or bus failure left, retried by the next commit or tick (the
        failure is still raised, so the bus message that caused it is redelivered)."""
        async with self._lock:
            self._unsaved.extend(changes)
            self._unsaved_audit.extend(audit)
            self._unpublished.extend(changes)
            self._unpublished_notices.extend(notices)
            if self._unsaved or self._unsaved_audit:
                await asyncio.to_thread(self._store.save_incident_changes, self._unsaved, self._unsaved_audit)
                self._unsaved, self._unsaved_audit = [], []
            if self._unpublished:
                await self._bus.publish_many(
                    [
                        (messages.incidents_subject(c.incident.tenant_id), messages.encode(c), _message_id(c))
                        for c in self._unpublished
                    ]
                )
                self.changes_published += len(self._unpublished)
                self._unpublished = []
            if self._unpublished_notices:
                await self._bus.publish_many(
                    [
                        (messages.supervision_subject(n.tenant_id), messages.encode(n), f"notice-{n.id}")
                        for n in self._unpublished_notices
                    ]
                )
                self._unpublished_notices = []

    def health(self) -> Health:
        """Open incidents, changes published, and alarm changes skipped because their incident is closed."""
        return {
            "open_incidents": len(self.book.open),
            "changes_published": self.changes_published,
            "alarms_in_closed_incidents": self.alarms_in_closed_incidents,
            "unsaved_changes": len(self._unsaved),
        }


def _fired_after(change: AlarmChange, closed: Incident) -> bool:
    """True when the change is the alarm firing again after its (closed) incident was resolved: a new occurrence."""
    resolved_at = closed.resolved_at if closed.resolved_at is not None else closed.updated_at
    return change.change is AlarmChangeKind.RETRIGGERED and change.alarm.last_triggered_at > resolved_at
