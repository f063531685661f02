"""Repository of incidents: incidents, their alarms, timeline, evidence and procedure steps, and the counts of
dispositions behind the false-alarm rates.

An alarm's row is keyed by tenant and alarm id alone, so the database itself holds an alarm in at most one
incident; saving it again under another incident changes nothing. Timeline entries and evidence are appended
once by id, so a change saved twice (a retry after a failure) writes each once.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

import msgspec
import sqlalchemy as sa

from beffroi.domain.alarms import Alarm, Priority
from beffroi.domain.incidents import (
    Disposition,
    Evidence,
    EvidenceKind,
    Incident,
    IncidentAlarm,
    IncidentRecord,
    IncidentState,
    TimelineEntry,
    TimelineKind,
)
from beffroi.domain.messages import IncidentChange
from beffroi.domain.procedures import (
    ProcedureRun,
    ProcedureStep,
    ProcedureTranslation,
    StepChoice,
    StepProgress,
    StepStatus,
    StepTranslation,
)
from beffroi.errors import NotFound
from beffroi.store.statements import check_limit, dialect_insert, in_time_range, insert_new, upsert
from beffroi.store.tables import (
    incident_alarms,
    incident_evidence,
    incident_procedure_steps,
    incident_timeline,
    incidents,
)

CLOSED = IncidentState.CLOSED.value


class RateGrouping(StrEnum):
    """What false-alarm rates are counted per: the alarm's type (its detector rule), its source device, the
    correlation rule of the incident, or the incident's type."""

    ALARM_TYPE = "alarm_type"
    SOURCE = "source"
    RULE = "rule"
    INCIDENT_TYPE = "incident_type"


class DispositionCounts(msgspec.Struct, frozen=True):
    """For one key: how many were dispositioned true, false and duplicate, how many not yet, and the false-alarm
    rate, false / (true + false) (None before any true or false disposition). Alarms are counted for the alarm
    type and source groupings, incidents for the rule and incident type ones."""

    key: str
    true: int
    false: int
    duplicate: int
    undisposed: int
    total: int
    false_alarm_rate: float | None


# ----- writing -----


def save_changes(connection: sa.Connection, changes: Sequence[IncidentChange]) -> None:
    """Write the incidents (their last version in the batch), then what each change added."""
    latest: dict[tuple[str, str], Incident] = {}
    alarm_rows: dict[tuple[str, str], dict[str, Any]] = {}
    timeline: list[dict[str, Any]] = []
    evidence: list[dict[str, Any]] = []
    steps: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for change in changes:
        incident = change.incident
        latest[(incident.tenant_id, incident.id)] = incident
        for item in change.alarms:
            alarm_rows[(incident.tenant_id, item.alarm.id)] = _alarm_row(incident.tenant_id, item)
        timeline.extend(_timeline_row(entry) for entry in change.timeline)
        evidence.extend(_evidence_row(item) for item in change.evidence)
        if change.procedure is not None:
            for row in _step_rows(change.procedure):
                steps[(row["tenant_id"], row["incident_id"], row["procedure"], row["step_id"])] = row
    upsert(connection, incidents, [_incident_row(incident) for incident in latest.values()])
    _save_alarms(connection, list(alarm_rows.values()))
    insert_new(connection, incident_timeline, timeline)
    insert_new(connection, incident_evidence, evidence)
    upsert(connection, incident_procedure_steps, list(steps.values()))


def _save_alarms(connection: sa.Connection, rows: list[dict[str, Any]]) -> None:
    """Insert alarm rows, or update the snapshot of those already in the same incident."""
    if not rows:
        return
    insert = dialect_insert(connection, incident_alarms)
    table = incident_alarms.c
    statement = insert.on_conflict_do_update(
        index_elements=[table.tenant_id, table.incident_id, table.alarm_id],
        set_={"snapshot": insert.excluded.snapshot},
    )
    connection.execute(statement, rows)


# ----- reading -----


def get_incident(connection: sa.Connection, tenant_id: str, incident_id: str) -> Incident:
    """One incident of the tenant; NotFound when there is none (or it belongs to another tenant)."""
    statement = sa.select(incidents).where(incidents.c.tenant_id == tenant_id, incidents.c.id == incident_id)
    row = connection.execute(statement).first()
    if row is None:
        raise NotFound(f"incident {incident_id!r} not found in tenant {tenant_id!r}")
    return _incident(row)


def get_record(connection: sa.Connection, tenant_id: str, incident_id: str) -> IncidentRecord:
    """The incident with its alarms, timeline (oldest first), evidence and current procedure; NotFound if none."""
    incident = get_incident(connection, tenant_id, incident_id)
    return IncidentRecord(
        incident,
        tuple(_alarms_of(connection, tenant_id, [incident_id]).get(incident_id, ())),
        tuple(_timeline_of(connection, tenant_id, incident_id)),
        tuple(_evidence_of(connection, tenant_id, incident_id)),
        _runs_of(connection, tenant_id, [incident]).get(incident_id),
    )


def open_records(connection: sa.Connection, tenant_id: str | None = None) -> list[IncidentRecord]:
    """Every incident not closed (of one tenant, or of all when None) with its alarms and current procedure (no
    timeline nor evidence): what an incident worker holds. Oldest opened first."""
    statement = sa.select(incidents).where(incidents.c.state != CLOSED)
    if tenant_id is not None:
        statement = statement.where(incidents.c.tenant_id == tenant_id)
    statement = statement.order_by(incidents.c.opened_at, incidents.c.tenant_id, incidents.c.id)
    found = [_incident(row) for row in connection.execute(statement)]
    records: list[IncidentRecord] = []
    by_tenant: dict[str, list[Incident]] = {}
    for incident in found:
        by_tenant.setdefault(incident.tenant_id, []).append(incident)
    alarms: dict[tuple[str, str], list[IncidentAlarm]] = {}
    runs: dict[tuple[str, str], ProcedureRun] = {}
    for tenant, held in by_tenant.items():
        for incident_id, items in _alarms_of(connection, tenant, [i.id for i in held]).items():
            alarms[(tenant, incident_id)] = items
        for incident_id, run in _runs_of(connection, tenant, held).items():
            runs[(tenant, incident_id)] = run
    for incident in found:
        key = (incident.tenant_id, incident.id)
        records.append(IncidentRecord(incident, tuple(alarms.get(key, ())), procedure=runs.get(key)))
    return records


def query_incidents(
    connection: sa.Connection,
    tenant_id: str,
    *,
    states: Sequence[IncidentState] | None = None,
    site_id: str | None = None,
    priorities: Sequence[int] | None = None,
    assignee: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[Incident], int]:
    """A page of the tenant's incidents matching the filters, the most urgent first then the newest opened first,
    and how many match in all."""
    conditions: list[sa.ColumnElement[bool]] = [incidents.c.tenant_id == tenant_id]
    if states is not None:
        conditions.append(incidents.c.state.in_([IncidentState(state).value for state in states]))
    if site_id is not None:
        conditions.append(incidents.c.site_id == site_id)
    if priorities is not None:
        conditions.append(incidents.c.priority.in_([int(priority) for priority in priorities]))
    if assignee is not None:
        conditions.append(incidents.c.assignee == assignee)
    total = connection.execute(sa.select(sa.func.count()).select_from(incidents).where(*conditions)).scalar_one()
    statement = (
        sa.select(incidents)
        .where(*conditions)
        .order_by(incidents.c.priority, incidents.c.opened_at.desc(), incidents.c.id)
        .limit(check_limit(limit))
        .offset(offset)
    )
    return [_incident(row) for row in connection.execute(statement)], int(total)


def incident_of_alarm(connection: sa.Connection, tenant_id: str, alarm_id: str) -> str | None:
    """The id of the newest incident the alarm joined, or None."""
    table = incident_alarms.c
    statement = (
        sa.select(table.incident_id)
        .where(table.tenant_id == tenant_id, table.alarm_id == alarm_id)
        .order_by(table.joined_at.desc(), table.incident_id.desc())
        .limit(1)
    )
    found: str | None = connection.execute(statement).scalar_one_or_none()
    return found


def incident_exists(connection: sa.Connection, tenant_id: str, incident_id: str) -> bool:
    """True when the tenant has this incident."""
    statement = sa.select(incidents.c.id).where(incidents.c.tenant_id == tenant_id, incidents.c.id == incident_id)
    return connection.execute(statement).first() is not None


def query_timeline(
    connection: sa.Connection,
    tenant_id: str,
    *,
    kinds: Sequence[TimelineKind] | None = None,
    since: float | None = None,
    limit: int = 1000,
) -> list[TimelineEntry]:
    """The tenant's timeline entries of every incident, newest first, of these kinds and from `since` when given."""
    table = incident_timeline.c
    statement = sa.select(incident_timeline).where(table.tenant_id == tenant_id, *in_time_range(table.ts, since, None))
    if kinds is not None:
        statement = statement.where(table.kind.in_([TimelineKind(kind).value for kind in kinds]))
    statement = statement.order_by(table.ts.desc(), table.id).limit(check_limit(limit))
    return [_entry(row) for row in connection.execute(statement)]


def disposition_counts(
    connection: sa.Connection,
    tenant_id: str,
    by: RateGrouping,
    *,
    since: float | None = None,
    site_id: str | None = None,
) -> list[DispositionCounts]:
    """Dispositions counted per key of `by`, for incidents opened from `since` on and on one site when given; the
    keys with the highest false-alarm rate first."""
    table = incidents.c
    conditions = [table.tenant_id == tenant_id, *in_time_range(table.opened_at, since, None)]
    if site_id is not None:
        conditions.append(table.site_id == site_id)
    key: sa.ColumnElement[Any]
    if by in (RateGrouping.ALARM_TYPE, RateGrouping.SOURCE):
        linked = incident_alarms.c
        key = linked.alarm_type if by is RateGrouping.ALARM_TYPE else linked.source
        joined = incident_alarms.join(
            incidents, sa.and_(linked.tenant_id == table.tenant_id, linked.incident_id == table.id)
        )
        statement = sa.select(key, table.disposition, sa.func.count()).select_from(joined)
    else:
        key = table.rule if by is RateGrouping.RULE else table.type
        statement = sa.select(key, table.disposition, sa.func.count()).select_from(incidents)
    statement = statement.where(*conditions).group_by(key, table.disposition)
    counted: dict[str, dict[str | None, int]] = {}
    for group, disposition, count in connection.execute(statement):
        counted.setdefault(group, {})[disposition] = int(count)
    rows = [_counts(group, by_disposition) for group, by_disposition in counted.items()]
    return sorted(rows, key=lambda row: (-(row.false_alarm_rate or 0.0), -row.total, row.key))


def _counts(key: str, by_disposition: dict[str | None, int]) -> DispositionCounts:
    true = by_disposition.get(Disposition.TRUE.value, 0)
    false = by_disposition.get(Disposition.FALSE.value, 0)
    duplicate = by_disposition.get(Disposition.DUPLICATE.value, 0)
    undisposed = by_disposition.get(None, 0)
    rate = false / (true + false) if true + false else None
    return DispositionCounts(key, true, false, duplicate, undisposed, true + false + duplicate + undisposed, rate)


# ----- rows -----


def _incident_row(incident: Incident) -> dict[str, Any]:
    return {
        "tenant_id": incident.tenant_id,
        "id": incident.id,
        "type": incident.type,
        "title": incident.title,
        "priority": int(incident.priority),
        "state": incident.state.value,
        "rule": incident.rule,
        "site_id": incident.site_id,
        "zone_id": incident.zone_id,
        "assignee": incident.assignee,
        "desk": incident.desk,
        "disposition": incident.disposition.value if incident.disposition else None,
        "duplicate_of": incident.duplicate_of,
        "escalation_level": incident.escalation_level,
        "escalated_at": incident.escalated_at,
        "opened_at": incident.opened_at,
        "updated_at": incident.updated_at,
        "first_alarm_at": incident.first_alarm_at,
        "last_alarm_at": incident.last_alarm_at,
        "resolved_at": incident.resolved_at,
        "closed_at": incident.closed_at,
        "procedure": incident.procedure,
        "alarm_ids": list(incident.alarm_ids),
    }


def _incident(row: Any) -> Incident:
    return Incident(
        id=row.id,
        tenant_id=row.tenant_id,
        type=row.type,
        title=row.title,
        priority=Priority(row.priority),
        state=IncidentState(row.state),
        rule=row.rule,
        opened_at=row.opened_at,
        updated_at=row.updated_at,
        first_alarm_at=row.first_alarm_at,
        last_alarm_at=row.last_alarm_at,
        site_id=row.site_id,
        zone_id=row.zone_id,
        assignee=row.assignee,
        desk=row.desk,
        disposition=Disposition(row.disposition) if row.disposition else None,
        duplicate_of=row.duplicate_of,
        escalation_level=row.escalation_level,
        escalated_at=row.escalated_at,
        resolved_at=row.resolved_at,
        closed_at=row.closed_at,
        procedure=row.procedure,
        alarm_ids=tuple(row.alarm_ids),
    )


def _alarm_row(tenant_id: str, item: IncidentAlarm) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "alarm_id": item.alarm.id,
        "incident_id": item.incident_id,
        "joined_at": item.joined_at,
        "alarm_type": item.alarm.key.type,
        "source": item.alarm.key.source,
        "snapshot": msgspec.to_builtins(item.alarm),
    }


def _alarms_of(connection: sa.Connection, tenant_id: str, incident_ids: list[str]) -> dict[str, list[IncidentAlarm]]:
    if not incident_ids:
        return {}
    table = incident_alarms.c
    statement = (
        sa.select(incident_alarms)
        .where(table.tenant_id == tenant_id, table.incident_id.in_(incident_ids))
        .order_by(table.incident_id, table.joined_at, table.alarm_id)
    )
    found: dict[str, list[IncidentAlarm]] = {}
    for row in connection.execute(statement):
        alarm = msgspec.convert(row.snapshot, Alarm)
        found.setdefault(row.incident_id, []).append(IncidentAlarm(row.incident_id, row.joined_at, alarm))
    return found


def _timeline_row(entry: TimelineEntry) -> dict[str, Any]:
    return {
        "tenant_id": entry.tenant_id,
        "id": entry.id,
        "incident_id": entry.incident_id,
        "ts": entry.ts,
        "actor": entry.actor,
        "kind": entry.kind.value,
        "text": entry.text,
        "data": entry.data,
    }


def _entry(row: Any) -> TimelineEntry:
    return TimelineEntry(
        id=row.id,
        tenant_id=row.tenant_id,
        incident_id=row.incident_id,
        ts=row.ts,
        actor=row.actor,
        kind=TimelineKind(row.kind),
        text=row.text,
        data=dict(row.data),
    )


def _timeline_of(connection: sa.Connection, tenant_id: str, incident_id: str) -> list[TimelineEntry]:
    table = incident_timeline.c
    statement = (
        sa.select(incident_timeline)
        .where(table.tenant_id == tenant_id, table.incident_id == incident_id)
        .order_by(table.ts, table.id)
    )
    return [_entry(row) for row in connection.execute(statement)]


def _evidence_row(item: Evidence) -> dict[str, Any]:
    return {
        "tenant_id": item.tenant_id,
        "id": item.id,
        "incident_id": item.incident_id,
        "kind": item.kind.value,
        "ref": item.ref,
        "ts": item.ts,
        "added_by": item.added_by,
        "note": item.note,
    }


def _evidence_of(connection: sa.Connection, tenant_id: str, incident_id: str) -> list[Evidence]:
    table = incident_evidence.c
    statement = (
        sa.select(incident_evidence)
        .where(table.tenant_id == tenant_id, table.incident_id == incident_id)
        .order_by(table.ts, table.id)
    )
    return [
        Evidence(
            id=row.id,
            tenant_id=row.tenant_id,
            incident_id=row.incident_id,
            kind=EvidenceKind(row.kind),
            ref=row.ref,
            ts=row.ts,
            added_by=row.added_by,
            note=row.note,
        )
        for row in connection.execute(statement)
    ]


def _step_rows(run: ProcedureRun) -> list[dict[str, Any]]:
    return [
        {
            "tenant_id": run.tenant_id,
            "incident_id": run.incident_id,
            "procedure": run.procedure,
            "step_id": step.id,
            "position": position,
            "procedure_title": run.title,
            "attached_at": run.attached_at,
            "text": step.text,
            "required": step.required,
            "checklist": list(step.checklist),
            "choices": msgspec.to_builtins(step.choices),
            "next_step": step.next,
            "status": progress.status.value,
            "choice": progress.choice,
            "checked": list(progress.checked),
            "actor": progress.actor,
            "ts": progress.ts,
            "justification": progress.justification,
            "note": progress.note,
            "language": run.language,
            "procedure_translations": msgspec.to_builtins(run.translations),
            "translations": msgspec.to_builtins(step.translations),
        }
        for position, (step, progress) in enumerate(zip(run.steps, run.progress, strict=True))
    ]


def _runs_of(connection: sa.Connection, tenant_id: str, held: list[Incident]) -> dict[str, ProcedureRun]:
    """The current procedure run of each incident that has one."""
    wanted = {incident.id: incident.procedure for incident in held if incident.procedure}
    if not wanted:
        return {}
    table = incident_procedure_steps.c
    statement = (
        sa.select(incident_procedure_steps)
        .where(table.tenant_id == tenant_id, table.incident_id.in_(list(wanted)))
        .order_by(table.incident_id, table.procedure, table.position)
    )
    rows: dict[str, list[Any]] = {}
    for row in connection.execute(statement):
        if wanted.get(row.incident_id) == row.procedure:
            rows.setdefault(row.incident_id, []).append(row)
    return {incident_id: _run(steps) for incident_id, steps in rows.items()}


def _run(rows: list[Any]) -> ProcedureRun:
    first = rows[0]
    steps = tuple(
        ProcedureStep(
            id=row.step_id,
            text=row.text,
            required=bool(row.required),
            checklist=tuple(row.checklist),
            choices=msgspec.convert(row.choices, tuple[StepChoice, ...]),
            next=row.next_step,
            translations=msgspec.convert(row.translations, dict[str, StepTranslation]),
        )
        for row in rows
    )
    progress = tuple(
        StepProgress(
            step_id=row.step_id,
            status=StepStatus(row.status),
            choice=row.choice,
            checked=tuple(row.checked),
            actor=row.actor,
            ts=row.ts,
            justification=row.justification,
            note=row.note,
        )
        for row in rows
    )
    return ProcedureRun(
        first.tenant_id,
        first.incident_id,
        first.procedure,
        first.procedure_title,
        first.attached_at,
        steps,
        progress,
        first.language,
        msgspec.convert(first.procedure_translations, dict[str, ProcedureTranslation]),
    )
