"""The incidents not closed, driven by alarm changes (correlation), by time (escalation) and by operators.

Pure and single-threaded, like the alarm manager: the worker feeds it and persists / publishes what it returns.
Opening an incident attaches the procedure of its type and sends it to the first desk of the escalation chain;
a reclassification attaches the new type's procedure. Every operator action returns its change, its audit entry,
and (for a skipped step) the notice for the supervisors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import msgspec

from beffroi.domain import incidents as lifecycle
from beffroi.domain.incidents import (
    ENTITY,
    Disposition,
    Evidence,
    EvidenceKind,
    Incident,
    IncidentRecord,
    IncidentState,
    TimelineEntry,
    TimelineKind,
)
from beffroi.domain.messages import (
    AlarmChange,
    IncidentAction,
    IncidentChange,
    IncidentChangeKind,
    IncidentCommand,
    SupervisorNotice,
)
from beffroi.domain.observations import AttributeValue
from beffroi.domain.procedures import ProcedureRun
from beffroi.domain.records import AuditEntry
from beffroi.engine import escalation, procedures
from beffroi.engine.correlation import ENGINE_ACTOR, Correlator, OpenIncidents
from beffroi.engine.escalation import EscalationPolicy
from beffroi.engine.procedures import ProcedureLibrary
from beffroi.errors import InvalidTransition, NotFound, RejectedInput

TARGET_TYPE = "incident"
STEP_SKIPPED_NOTICE = "step_skipped"


class IncidentActionResult(msgspec.Struct, frozen=True):
    """What an action did: the change to persist and publish, its audit entries, and notices for supervisors."""

    change: IncidentChange
    audit: tuple[AuditEntry, ...] = ()
    notices: tuple[SupervisorNotice, ...] = ()


class IncidentBook:
    """Open incidents, the correlator that feeds them, their procedures and their escalation."""

    def __init__(
        self,
        correlator: Correlator,
        library: ProcedureLibrary,
        policy: EscalationPolicy,
        new_id: Callable[[], str],
    ) -> None:
        self._correlator = correlator
        self._library = library
        self._policy = policy
        self._new_id = new_id
        self.open = OpenIncidents()

    @property
    def correlator(self) -> Correlator:
        """The correlator (its rules, and the devices' positions it uses)."""
        return self._correlator

    def load(self, records: Iterable[IncidentRecord]) -> None:
        """Hold the incidents the store keeps open (after a restart); their alarms are remembered for the rules."""
        for record in records:
            self.open.load(record.incident, record.alarms, record.procedure)
            self._correlator.remember(item.alarm for item in record.alarms)

    def holds(self, tenant_id: str, incident_id: str) -> bool:
        """True when the incident is held here (not closed)."""
        return self.open.get(tenant_id, incident_id) is not None

    def knows_alarm(self, tenant_id: str, alarm_id: str) -> bool:
        """True when the alarm was correlated and is still remembered; if not, it may be in a closed incident."""
        return self._correlator.knows(tenant_id, alarm_id, self.open)

    # ----- alarms and time -----

    def on_alarm_change(self, change: AlarmChange, *, reoccurred: bool = False) -> list[IncidentChange]:
        """Correlate one alarm change: the incident changes it causes (opened incidents get their procedure).
        `reoccurred`: the change is a new occurrence of an alarm whose incident is closed (see the correlator)."""
        results: list[IncidentChange] = []
        for incident_change in self._correlator.on_alarm_change(change, self.open, reoccurred=reoccurred):
            completed = self._with_procedure(incident_change)
            self.open.apply(completed)
            results.append(completed)
        return results

    def tick(self, now: float) -> list[IncidentActionResult]:
        """Escalate the incidents due at `now`."""
        results: list[IncidentActionResult] = []
        for incident in self.open.all():
            alarms = [item.alarm for item in self.open.alarms(incident.tenant_id, incident.id)]
            reason = escalation.due(self._policy, incident, alarms, now)
            if reason is None:
                continue
            level = incident.escalation_level + 1
            step = self._policy.level(level)
            assert step is not None  # `due` checked the chain goes on
            escalated = lifecycle.escalate(
                incident, now, level=level, desk=step.desk, bump_priority=self._policy.bump_priority
            )
            data: dict[str, AttributeValue] = {
                "reason": reason.value,
                "level": level,
                "from_desk": incident.desk,
                "to_desk": step.desk,
                "role": step.role,
                "from_priority": int(incident.priority),
                "to_priority": int(escalated.priority),
            }
            text = f"Escalated to {step.desk} ({step.role}): {reason.value.replace('_', ' ')}"
            entry = self._entry(escalated, now, ENGINE_ACTOR, TimelineKind.ESCALATED, text, data)
            change = IncidentChange(IncidentChangeKind.ESCALATED, escalated, ENGINE_ACTOR, (entry,))
            self.open.apply(change)
            results.append(self._result(change, now, "escalate", data))
        return results

    # ----- operator actions -----

    def execute(self, command: IncidentCommand, stored: IncidentRecord | None = None) -> IncidentActionResult:
        """Apply an operator's command. `stored` is the incident as the store keeps it, for one not held here (a
        closed incident, which only a note or a reopening may change). Raises NotFound, InvalidTransition or
        RejectedInput."""
        tenant, incident_id, actor, ts = command.tenant_id, command.incident_id, command.actor, command.ts
        incident, run = self._find(tenant, incident_id, stored)
        match command.action:
            case IncidentAction.TRANSITION:
                if command.target_state is None:
                    raise RejectedInput("target_state_required", "a transition needs the state to move to")
                result = self._transition(incident, run, command.target_state, actor, ts, command.text)
            case IncidentAction.ASSIGN:
                result = self._assign(incident, actor, ts, command.assignee, command.desk)
            case IncidentAction.SET_DISPOSITION:
                if command.disposition is None:
                    raise RejectedInput("disposition_required", "give the disposition: true, false or duplicate")
                result = self._set_disposition(incident, actor, ts, command.disposition, command)
            case IncidentAction.ADD_NOTE:
                result = self._add_note(incident, actor, ts, command)
            case IncidentAction.COMPLETE_STEP:
                result = self._complete_step(incident, self._run_of(incident, run), actor, ts, command)
            case IncidentAction.SKIP_STEP:
                result = self._skip_step(incident, self._run_of(incident, run), actor, ts, command)
        if stored is not None and not self.holds(tenant, incident_id) and result.change.incident.is_active:
            self.open.load(result.change.incident, stored.alarms, result.change.procedure or run)  # reopened
        else:
            self.open.apply(result.change)
        return result

    def _find(
        self, tenant_id: str, incident_id: str, stored: IncidentRecord | None
    ) -> tuple[Incident, ProcedureRun | None]:
        incident = self.open.get(tenant_id, incident_id)
        if incident is not None:
            return incident, self.open.run(tenant_id, incident_id)
        if stored is not None and stored.incident.tenant_id == tenant_id and stored.incident.id == incident_id:
            return stored.incident, stored.procedure
        raise NotFound(f"no incident {incident_id!r} in tenant {tenant_id!r}")

    def _transition(
        self,
        incident: Incident,
        run: ProcedureRun | None,
        target: IncidentState,
        actor: str,
        ts: float,
        reason: str,
    ) -> IncidentActionResult:
        if target is IncidentState.RESOLVED and run is not None:
            pending = run.pending_required()
            if pending:
                action = f"resolve with required procedure steps pending ({', '.join(pending)})"
                raise InvalidTransition(ENTITY, incident.state.value, action)
        updated = lifecycle.transition(incident, target, ts)
        data: dict[str, AttributeValue] = {"from_state": incident.state.value, "to_state": target.value}
        if reason:
            data["reason"] = reason
        text = f"State {incident.state.value} → {target.value}" + (f": {reason}" if reason else "")
        entry = self._entry(updated, ts, actor, TimelineKind.STATE_CHANGED, text, data)
        change = IncidentChange(IncidentChangeKind.TRANSITIONED, updated, actor, (entry,))
        return self._result(change, ts, "transition", data)

    def _assign(
        self, incident: Incident, actor: str, ts: float, assignee: str | None, desk: str | None
    ) -> IncidentActionResult:
        updated = lifecycle.assign(incident, ts, assignee=assignee, desk=desk)
        data: dict[str, AttributeValue] = {
            "assignee": updated.assignee,
            "desk": updated.desk,
            "from_assignee": incident.assignee,
            "from_desk": incident.desk,
        }
        text = f"Assigned to {updated.assignee or 'nobody'} at desk {updated.desk or 'none'}"
        entry = self._entry(updated, ts, actor, TimelineKind.ASSIGNED, text, data)
        change = IncidentChange(IncidentChangeKind.ASSIGNED, updated, actor, (entry,))
        return self._result(change, ts, "assign", data)

    def _set_disposition(
        self, incident: Incident, actor: str, ts: float, disposition: Disposition, command: IncidentCommand
    ) -> IncidentActionResult:
        updated = lifecycle.set_disposition(incident, ts, disposition, command.duplicate_of)
        data: dict[str, AttributeValue] = {
            "disposition": disposition.value,
            "duplicate_of": command.duplicate_of,
            "from_disposition": incident.disposition.value if incident.disposition else None,
        }
        if command.text:
            data["note"] = command.text
        text = f"Disposition: {disposition.value}" + (f" of {command.duplicate_of}" if command.duplicate_of else "")
        entry = self._entry(updated, ts, actor, TimelineKind.DISPOSITION_SET, text, data)
        change = IncidentChange(IncidentChangeKind.DISPOSITION_SET, updated, actor, (entry,))
        return self._result(change, ts, "set_disposition", data)

    def _add_note(self, incident: Incident, actor: str, ts: float, command: IncidentCommand) -> IncidentActionResult:
        if not command.text.strip():
            raise RejectedInput("note_required", "a note needs some text")
        updated = lifecycle.touch(incident, ts)
        evidence = tuple(
            Evidence(self._new_id(), incident.tenant_id, incident.id, kind, ref, ts, actor, command.text[:200])
            for kind, refs in ((EvidenceKind.LINK, command.links), (EvidenceKind.EVENT, command.event_ids))
            for ref in refs
        )
        data: dict[str, AttributeValue] = {"links": len(command.links), "event_ids": len(command.event_ids)}
        entry = self._entry(updated, ts, actor, TimelineKind.NOTE, command.text, data)
        change = IncidentChange(IncidentChangeKind.NOTE_ADDED, updated, actor, (entry,), evidence=evidence)
        return self._result(change, ts, "add_note", {**data, "text": command.text[:500]})

    def _run_of(self, incident: Incident, run: ProcedureRun | None) -> ProcedureRun:
        if run is None:
            raise NotFound(f"incident {incident.id!r} has no procedure")
        if incident.state is IncidentState.CLOSED:
            raise InvalidTransition(ENTITY, incident.state.value, "work the procedure of")
        return run

    def _complete_step(
        self, incident: Incident, run: ProcedureRun, actor: str, ts: float, command: IncidentCommand
    ) -> IncidentActionResult:
        step_id = command.step_id
        updated_run = procedures.complete_step(
            run, step_id, actor, ts, choice=command.choice, checked=command.checked, note=command.text
        )
        updated = lifecycle.touch(incident, ts)
        data: dict[str, AttributeValue] = {"procedure": run.procedure, "step_id": step_id, "choice": command.choice}
        if command.text:
            data["note"] = command.text[:500]
        text = f"Step {step_id} done" + (f": {command.choice}" if command.choice else "")
        entry = self._entry(updated, ts, actor, TimelineKind.STEP_COMPLETED, text, data)
        change = IncidentChange(IncidentChangeKind.STEP_COMPLETED, updated, actor, (entry,), procedure=updated_run)
        return self._result(change, ts, "complete_step", data)

    def _skip_step(
        self, incident: Incident, run: ProcedureRun, actor: str, ts: float, command: IncidentCommand
    ) -> IncidentActionResult:
        step_id, justification = command.step_id, command.justification
        updated_run = procedures.skip_step(run, step_id, actor, ts, justification)
        updated = lifecycle.touch(incident, ts)
        found = run.step(step_id)
        required = found is not None and found[0].required
        data: dict[str, AttributeValue] = {
            "procedure": run.procedure,
            "step_id": step_id,
            "required": required,
            "justification": justification[:500],
        }
        skipped = self._entry(updated, ts, actor, TimelineKind.STEP_SKIPPED, f"Step {step_id} skipped", data)
        notice_text = f"{actor} skipped step {step_id} of incident {incident.id} ({incident.title}): {justification}"
        notified = self._entry(updated, ts, actor, TimelineKind.SUPERVISOR_NOTIFIED, notice_text, data)
        notice = SupervisorNotice(
            notified.id, incident.tenant_id, incident.id, ts, actor, STEP_SKIPPED_NOTICE, notice_text, dict(data)
        )
        change = IncidentChange(
            IncidentChangeKind.STEP_SKIPPED, updated, actor, (skipped, notified), procedure=updated_run
        )
        result = self._result(change, ts, "skip_step", data)
        return msgspec.structs.replace(result, notices=(notice,))

    # ----- internals -----

    def _with_procedure(self, change: IncidentChange) -> IncidentChange:
        """An opening or reclassifying change with the procedure of the incident's type attached (and, when opening,
        the first desk of the escalation chain)."""
        if change.change not in (IncidentChangeKind.OPENED, IncidentChangeKind.RECLASSIFIED):
            return change
        incident = change.incident
        if change.change is IncidentChangeKind.OPENED and incident.desk is None:
            incident = msgspec.structs.replace(incident, desk=self._policy.first_desk)
        definition = self._library.for_type(incident.type)
        if definition is None or definition.name == incident.procedure:
            return msgspec.structs.replace(change, incident=incident)
        ts = incident.updated_at
        run = procedures.attach(definition, incident.tenant_id, incident.id, ts)
        incident = msgspec.structs.replace(incident, procedure=definition.name)
        data: dict[str, AttributeValue] = {"procedure": definition.name, "steps": len(definition.steps)}
        text = f"Procedure attached: {definition.title}"
        entry = self._entry(incident, ts, ENGINE_ACTOR, TimelineKind.PROCEDURE_ATTACHED, text, data)
        return msgspec.structs.replace(change, incident=incident, timeline=(*change.timeline, entry), procedure=run)

    def _entry(
        self,
        incident: Incident,
        ts: float,
        actor: str,
        kind: TimelineKind,
        text: str,
        data: dict[str, AttributeValue],
    ) -> TimelineEntry:
        return TimelineEntry(self._new_id(), incident.tenant_id, incident.id, ts, actor, kind, text, data)

    def _result(
        self, change: IncidentChange, ts: float, action: str, details: dict[str, AttributeValue]
    ) -> IncidentActionResult:
        incident = change.incident
        entry = AuditEntry(
            id=self._new_id(),
            ts=ts,
            tenant_id=incident.tenant_id,
            actor=change.actor,
            action=f"incident.{action}",
            target_type=TARGET_TYPE,
            target_id=incident.id,
            details=dict(details),
        )
        return IncidentActionResult(change, (entry,))
