"""Incidents: cases that group alarms, with their lifecycle, timeline and evidence, as a pure state machine.

An incident is opened by a correlation rule from one or more alarms of a place and a time window; alarms join
it while it is active; an operator works it through its procedure (SOP) and closes it with a disposition
(true, false or duplicate) that feeds the per-detector false-alarm rates.

States and transitions (`TRANSITIONS`):

    open                               -> new
    new          --start-->               in_progress
    new, in_progress --hold-->            on_hold
    on_hold      --resume-->              in_progress
    new, in_progress, on_hold --resolve--> resolved
    resolved     --close (supervisor, needs a disposition)--> closed
    resolved, closed --reopen (supervisor)-->                  in_progress

Only active incidents (new, in progress, on hold) take new alarms and escalate. Every function returns a new
value; `updated_at` never goes back, like an alarm's.
"""

from __future__ import annotations

from enum import StrEnum

import msgspec

from beffroi.domain.alarms import Alarm, Priority
from beffroi.domain.observations import AttributeValue
from beffroi.domain.procedures import ProcedureRun
from beffroi.errors import InvalidTransition, RejectedInput

ENTITY = "incident"


class IncidentState(StrEnum):
    """Where an incident is in its lifecycle."""

    NEW = "new"
    IN_PROGRESS = "in_progress"
    ON_HOLD = "on_hold"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Disposition(StrEnum):
    """What the incident turned out to be: a true alarm, a false alarm, or a duplicate of another incident."""

    TRUE = "true"
    FALSE = "false"
    DUPLICATE = "duplicate"


TRANSITIONS: dict[IncidentState, frozenset[IncidentState]] = {
    IncidentState.NEW: frozenset({IncidentState.IN_PROGRESS, IncidentState.ON_HOLD, IncidentState.RESOLVED}),
    IncidentState.IN_PROGRESS: frozenset({IncidentState.ON_HOLD, IncidentState.RESOLVED}),
    IncidentState.ON_HOLD: frozenset({IncidentState.IN_PROGRESS, IncidentState.RESOLVED}),
    IncidentState.RESOLVED: frozenset({IncidentState.IN_PROGRESS, IncidentState.CLOSED}),
    IncidentState.CLOSED: frozenset({IncidentState.IN_PROGRESS}),
}
"""The states each state may move to."""

ACTIVE_STATES = frozenset({IncidentState.NEW, IncidentState.IN_PROGRESS, IncidentState.ON_HOLD})
"""States in which an incident takes new alarms."""
OPEN_STATES = frozenset(s for s in IncidentState if s is not IncidentState.CLOSED)
"""Every state but closed: the incidents a worker keeps in memory."""


def needs_supervisor(current: IncidentState, target: IncidentState) -> bool:
    """True for the transitions only a supervisor may make: closing, and reopening a resolved or closed incident."""
    return target is IncidentState.CLOSED or current in (IncidentState.RESOLVED, IncidentState.CLOSED)


class TimelineKind(StrEnum):
    """What a timeline entry records."""

    OPENED = "opened"
    ALARM_JOINED = "alarm_joined"
    ALARM_CHANGED = "alarm_changed"
    RECLASSIFIED = "reclassified"
    RELATED = "related"
    ASSIGNED = "assigned"
    STATE_CHANGED = "state_changed"
    DISPOSITION_SET = "disposition_set"
    NOTE = "note"
    PROCEDURE_ATTACHED = "procedure_attached"
    STEP_COMPLETED = "step_completed"
    STEP_SKIPPED = "step_skipped"
    SUPERVISOR_NOTIFIED = "supervisor_notified"
    ESCALATED = "escalated"


class TimelineEntry(msgspec.Struct, frozen=True):
    """One line of an incident's story: when, who, what kind, a readable text and structured data."""

    id: str
    tenant_id: str
    incident_id: str
    ts: float
    actor: str
    kind: TimelineKind
    text: str
    data: dict[str, AttributeValue] = msgspec.field(default_factory=dict)


class EvidenceKind(StrEnum):
    """What a piece of evidence points at."""

    ALARM = "alarm"
    EVENT = "event"
    LINK = "link"


class Evidence(msgspec.Struct, frozen=True):
    """Something that supports the incident: an alarm as it was when it joined, an event id, a link (video clip…)."""

    id: str
    tenant_id: str
    incident_id: str
    kind: EvidenceKind
    ref: str
    ts: float
    added_by: str
    note: str = ""


class IncidentAlarm(msgspec.Struct, frozen=True):
    """An alarm of an incident: when it joined, and its latest state (a snapshot kept up to date)."""

    incident_id: str
    joined_at: float
    alarm: Alarm


class Incident(msgspec.Struct, frozen=True):
    """One incident. `rule` is the correlation rule that opened (or last reclassified) it; `escalation_level` indexes
    the escalation chain; `procedure` names the SOP attached; `alarm_ids` are in the order they joined."""

    id: str
    tenant_id: str
    type: str
    title: str
    priority: Priority
    state: IncidentState
    rule: str
    opened_at: float
    updated_at: float
    first_alarm_at: float
    last_alarm_at: float
    site_id: str | None = None
    zone_id: str | None = None
    assignee: str | None = None
    desk: str | None = None
    disposition: Disposition | None = None
    duplicate_of: str | None = None
    escalation_level: int = 0
    escalated_at: float | None = None
    resolved_at: float | None = None
    closed_at: float | None = None
    procedure: str | None = None
    alarm_ids: tuple[str, ...] = ()

    @property
    def is_active(self) -> bool:
        """True while the incident takes new alarms (new, in progress, on hold)."""
        return self.state in ACTIVE_STATES


def _later(incident: Incident, ts: float) -> float:
    return max(ts, incident.updated_at)


def open_incident(
    incident_id: str,
    tenant_id: str,
    *,
    type: str,
    title: str,
    priority: Priority,
    rule: str,
    ts: float,
    site_id: str | None = None,
    zone_id: str | None = None,
    desk: str | None = None,
) -> Incident:
    """A new incident, state new, with no alarm yet (`join` adds them)."""
    return Incident(
        id=incident_id,
        tenant_id=tenant_id,
        type=type,
        title=title,
        priority=priority,
        state=IncidentState.NEW,
        rule=rule,
        opened_at=ts,
        updated_at=ts,
        first_alarm_at=ts,
        last_alarm_at=ts,
        site_id=site_id,
        zone_id=zone_id,
        desk=desk,
    )


def join(incident: Incident, alarm: Alarm, ts: float | None = None) -> Incident:
    """The incident with the alarm added: its priority becomes the alarm's when that is more urgent. `ts` is when
    the alarm fired for this incident: its raising (the default), or a later re-triggering."""
    if not incident.is_active:
        raise InvalidTransition(ENTITY, incident.state.value, "add an alarm to")
    if alarm.id in incident.alarm_ids:
        return incident
    fired_at = alarm.raised_at if ts is None else ts
    return msgspec.structs.replace(
        incident,
        alarm_ids=(*incident.alarm_ids, alarm.id),
        priority=Priority(min(incident.priority, alarm.priority)),
        first_alarm_at=min(incident.first_alarm_at, fired_at),
        last_alarm_at=max(incident.last_alarm_at, fired_at),
        updated_at=_later(incident, alarm.updated_at),
    )


def refire(incident: Incident, alarm: Alarm) -> Incident:
    """An alarm of the active incident fired again (re-triggered after returning to normal): the incident's last
    alarm time moves to it, so the default window keeps counting from the newest activity."""
    return msgspec.structs.replace(
        incident,
        last_alarm_at=max(incident.last_alarm_at, alarm.last_triggered_at),
        updated_at=_later(incident, alarm.updated_at),
    )


def reclassify(incident: Incident, *, type: str, title: str, rule: str, priority: Priority, ts: float) -> Incident:
    """A more specific rule recognised the incident: new type, title and rule; the more urgent priority wins."""
    return msgspec.structs.replace(
        incident,
        type=type,
        title=title,
        rule=rule,
        priority=Priority(min(incident.priority, priority)),
        updated_at=_later(incident, ts),
    )


def transition(incident: Incident, target: IncidentState, ts: float) -> Incident:
    """Move to `target`; InvalidTransition when the lifecycle does not allow it, or to close without a disposition."""
    if target not in TRANSITIONS[incident.state]:
        raise InvalidTransition(ENTITY, incident.state.value, f"move to {target.value}")
    if target is IncidentState.CLOSED and incident.disposition is None:
        raise InvalidTransition(ENTITY, incident.state.value, "close without a disposition")
    resolved_at = incident.resolved_at
    closed_at = incident.closed_at
    if target is IncidentState.RESOLVED:
        resolved_at = ts
    elif target is IncidentState.CLOSED:
        closed_at = ts
    elif target is IncidentState.IN_PROGRESS and incident.state in (IncidentState.RESOLVED, IncidentState.CLOSED):
        resolved_at = closed_at = None  # reopened
    return msgspec.structs.replace(
        incident, state=target, resolved_at=resolved_at, closed_at=closed_at, updated_at=_later(incident, ts)
    )


def assign(incident: Incident, ts: float, *, assignee: str | None, desk: str | None) -> Incident:
    """Give the incident to an operator and/or a desk (None: unchanged); not once closed."""
    if incident.state is IncidentState.CLOSED:
        raise InvalidTransition(ENTITY, incident.state.value, "assign")
    if assignee is None and desk is None:
        raise RejectedInput("nothing_to_assign", "give an assignee, a desk, or both")
    return msgspec.structs.replace(
        incident,
        assignee=incident.assignee if assignee is None else assignee,
        desk=incident.desk if desk is None else desk,
        updated_at=_later(incident, ts),
    )


def set_disposition(
    incident: Incident, ts: float, disposition: Disposition, duplicate_of: str | None = None
) -> Incident:
    """Record what the incident was; a duplicate names the incident it duplicates (and only a duplicate does)."""
    if incident.state is IncidentState.CLOSED:
        raise InvalidTransition(ENTITY, incident.state.value, "set the disposition of")
    if disposition is Disposition.DUPLICATE:
        if not duplicate_of:
            raise RejectedInput("duplicate_of_required", "a duplicate must name the incident it duplicates")
        if duplicate_of == incident.id:
            raise RejectedInput("duplicate_of_itself", f"incident {incident.id!r} cannot duplicate itself")
    elif duplicate_of:
        raise RejectedInput("duplicate_of_not_allowed", f"`duplicate_of` only goes with a duplicate, not {disposition}")
    return msgspec.structs.replace(
        incident, disposition=disposition, duplicate_of=duplicate_of, updated_at=_later(incident, ts)
    )


def escalate(incident: Incident, ts: float, *, level: int, desk: str, bump_priority: bool) -> Incident:
    """Hand the incident to the next level of the escalation chain, one priority more urgent when asked."""
    if not incident.is_active:
        raise InvalidTransition(ENTITY, incident.state.value, "escalate")
    priority = Priority(max(Priority.CRITICAL, incident.priority - 1)) if bump_priority else incident.priority
    return msgspec.structs.replace(
        incident,
        escalation_level=level,
        desk=desk,
        priority=priority,
        escalated_at=ts,
        updated_at=_later(incident, ts),
    )


def touch(incident: Incident, ts: float) -> Incident:
    """The incident with `updated_at` moved to `ts` (a note, a procedure step, an alarm's change)."""
    return msgspec.structs.replace(incident, updated_at=_later(incident, ts))


class IncidentRecord(msgspec.Struct, frozen=True):
    """An incident with everything kept about it: its alarms, timeline (oldest first), evidence and procedure."""

    incident: Incident
    alarms: tuple[IncidentAlarm, ...] = ()
    timeline: tuple[TimelineEntry, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    procedure: ProcedureRun | None = None
