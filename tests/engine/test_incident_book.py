"""The incident book: procedures attached on opening and reclassification, operator actions with their timeline
and audit entries, skipped steps notifying supervisors, resolution guarded by the procedure, reopening a closed
incident, and escalation on the clock."""

from __future__ import annotations

from typing import Any

import pytest

from beffroi.domain.alarms import Priority
from beffroi.domain.incidents import Disposition, EvidenceKind, IncidentRecord, IncidentState, TimelineKind
from beffroi.domain.messages import IncidentAction, IncidentChangeKind, IncidentCommand
from beffroi.engine.correlation import Correlator
from beffroi.engine.correlation_rules import load_rules
from beffroi.engine.escalation import EscalationLevel, EscalationPolicy
from beffroi.engine.incident_book import IncidentBook
from beffroi.engine.procedures import load_procedures
from beffroi.errors import InvalidTransition, NotFound, RejectedInput
from tests.engine.incident_builders import T0, TENANT, acknowledged, alarm, counter, raised

POLICY = EscalationPolicy(
    chain=(EscalationLevel("operators"), EscalationLevel("supervisors", "supervisor")),
    unacknowledged_after_s=120,
    unresolved_after_s=1800,
)
S = IncidentState


def book() -> IncidentBook:
    new_id = counter()
    return IncidentBook(Correlator(load_rules(), new_id), load_procedures(), POLICY, new_id)


def command(incident_id: str, action: IncidentAction, ts: float = T0 + 100, **fields: Any) -> IncidentCommand:
    return IncidentCommand(f"cmd-{ts}", TENANT, incident_id, action, "alice", ts, **fields)


def opened(incidents: IncidentBook, alarm_type: str = "door_forced") -> str:
    [change] = incidents.on_alarm_change(raised(alarm("a1", alarm_type, T0)))
    return change.incident.id


def test_an_opened_incident_gets_its_types_procedure_and_the_first_desk() -> None:
    incidents = book()
    [change] = incidents.on_alarm_change(raised(alarm("a1", "fire_alarm", T0)))
    assert (change.incident.type, change.incident.procedure, change.incident.desk) == ("fire", "fire", "operators")
    assert change.procedure is not None and change.procedure.steps[0].id == "verify"
    assert [e.kind for e in change.timeline] == [
        TimelineKind.OPENED,
        TimelineKind.ALARM_JOINED,
        TimelineKind.PROCEDURE_ATTACHED,
    ]


def test_a_reclassified_incident_gets_the_new_types_procedure() -> None:
    incidents = book()
    incidents.on_alarm_change(raised(alarm("o1", "overcrowding", T0)))  # overcrowding procedure
    [change] = incidents.on_alarm_change(raised(alarm("f1", "fire_alarm", T0 + 5)))  # joins the zone's incident
    assert change.incident.procedure == "overcrowding" and change.procedure is None
    [second] = incidents.on_alarm_change(raised(alarm("f2", "fire_alarm", T0 + 30)))  # confirmed fire on the site
    assert (second.change, second.incident.type, second.incident.procedure) == (
        IncidentChangeKind.RECLASSIFIED,
        "fire",
        "fire",
    )
    assert second.procedure is not None and second.procedure.procedure == "fire"
    assert second.incident.priority is Priority.CRITICAL


def test_each_action_writes_its_timeline_entry_and_audit_entry() -> None:
    incidents = book()
    incident_id = opened(incidents)
    started = incidents.execute(command(incident_id, IncidentAction.TRANSITION, target_state=S.IN_PROGRESS))
    assigned = incidents.execute(command(incident_id, IncidentAction.ASSIGN, assignee="bob", desk="north"))
    noted = incidents.execute(
        command(incident_id, IncidentAction.ADD_NOTE, text="seen on cam 4", links=("https://v/1",), event_ids=("e1",))
    )
    disposed = incidents.execute(command(incident_id, IncidentAction.SET_DISPOSITION, disposition=Disposition.TRUE))
    results = [started, assigned, noted, disposed]
    assert [r.change.change for r in results] == [
        IncidentChangeKind.TRANSITIONED,
        IncidentChangeKind.ASSIGNED,
        IncidentChangeKind.NOTE_ADDED,
        IncidentChangeKind.DISPOSITION_SET,
    ]
    assert [r.audit[0].action for r in results] == [
        "incident.transition",
        "incident.assign",
        "incident.add_note",
        "incident.set_disposition",
    ]
    assert all(r.audit[0].actor == "alice" and r.audit[0].target_id == incident_id for r in results)
    assert started.audit[0].details == {"from_state": "new", "to_state": "in_progress"}
    assert [(e.kind, e.ref) for e in noted.change.evidence] == [
        (EvidenceKind.LINK, "https://v/1"),
        (EvidenceKind.EVENT, "e1"),
    ]
    held = incidents.open.get(TENANT, incident_id)
    assert held is not None
    assert (held.state, held.assignee, held.desk, held.disposition) == (S.IN_PROGRESS, "bob", "north", Disposition.TRUE)


def test_skipping_a_step_notifies_the_supervisors() -> None:
    incidents = book()
    incident_id = opened(incidents)
    result = incidents.execute(
        command(incident_id, IncidentAction.SKIP_STEP, step_id="verify", justification="guard already at the door")
    )
    assert result.change.change is IncidentChangeKind.STEP_SKIPPED
    assert [e.kind for e in result.change.timeline] == [TimelineKind.STEP_SKIPPED, TimelineKind.SUPERVISOR_NOTIFIED]
    [notice] = result.notices
    assert notice.id == result.change.timeline[1].id and notice.kind == "step_skipped"
    assert "guard already at the door" in notice.text and notice.data["step_id"] == "verify"
    assert result.audit[0].action == "incident.skip_step"
    assert result.audit[0].details["justification"] == "guard already at the door"
    with pytest.raises(RejectedInput, match="justification_required"):
        incidents.execute(command(incident_id, IncidentAction.SKIP_STEP, step_id="dispatch", justification=""))


def test_resolving_waits_for_the_required_steps_on_the_path() -> None:
    incidents = book()
    incident_id = opened(incidents)  # break-in procedure
    with pytest.raises(InvalidTransition, match=r"required procedure steps pending \(verify\)"):
        incidents.execute(command(incident_id, IncidentAction.TRANSITION, target_state=S.RESOLVED))
    incidents.execute(command(incident_id, IncidentAction.COMPLETE_STEP, step_id="verify", choice="nothing_seen"))
    incidents.execute(command(incident_id, IncidentAction.COMPLETE_STEP, step_id="patrol", choice="false_alarm"))
    with pytest.raises(InvalidTransition, match=r"\(secure_door\)"):
        incidents.execute(command(incident_id, IncidentAction.TRANSITION, target_state=S.RESOLVED))
    stepped = incidents.execute(command(incident_id, IncidentAction.COMPLETE_STEP, step_id="secure_door"))
    assert stepped.change.procedure is not None and stepped.change.procedure.pending_required() == []
    resolved = incidents.execute(command(incident_id, IncidentAction.TRANSITION, target_state=S.RESOLVED))
    assert resolved.change.incident.state is S.RESOLVED


def test_a_closed_incident_leaves_the_book_and_comes_back_when_reopened() -> None:
    incidents = book()
    incident_id = opened(incidents, "noise")  # generic procedure
    incidents.execute(command(incident_id, IncidentAction.COMPLETE_STEP, step_id="assess", choice="false_alarm"))
    incidents.execute(command(incident_id, IncidentAction.COMPLETE_STEP, step_id="record"))
    incidents.execute(command(incident_id, IncidentAction.SET_DISPOSITION, disposition=Disposition.FALSE))
    incidents.execute(command(incident_id, IncidentAction.TRANSITION, target_state=S.RESOLVED))
    closed = incidents.execute(command(incident_id, IncidentAction.TRANSITION, target_state=S.CLOSED)).change
    assert not incidents.holds(TENANT, incident_id)
    with pytest.raises(NotFound):
        incidents.execute(command(incident_id, IncidentAction.ADD_NOTE, text="late"))
    stored = IncidentRecord(closed.incident, (), procedure=closed.procedure)
    with pytest.raises(InvalidTransition):
        incidents.execute(command(incident_id, IncidentAction.ASSIGN, assignee="bob"), stored)
    reopened = incidents.execute(command(incident_id, IncidentAction.TRANSITION, target_state=S.IN_PROGRESS), stored)
    assert reopened.change.incident.state is S.IN_PROGRESS and incidents.holds(TENANT, incident_id)


def test_the_clock_escalates_an_unacknowledged_incident_once_per_level() -> None:
    incidents = book()
    incident_id = opened(incidents)
    assert incidents.tick(T0 + 119) == []
    [result] = incidents.tick(T0 + 120)
    change = result.change
    assert (change.change, change.incident.desk, change.incident.escalation_level) == (
        IncidentChangeKind.ESCALATED,
        "supervisors",
        1,
    )
    assert change.incident.priority is Priority.HIGH  # MEDIUM bumped once
    [entry] = change.timeline
    assert entry.data["reason"] == "unacknowledged" and entry.data["to_desk"] == "supervisors"
    assert result.audit[0].action == "incident.escalate" and result.audit[0].actor == "engine"
    assert incidents.tick(T0 + 10_000) == []  # the end of the chain
    held = incidents.open.get(TENANT, incident_id)
    assert held is not None and held.escalation_level == 1


def test_an_acknowledged_alarm_stops_the_unacknowledged_clock() -> None:
    incidents = book()
    opened(incidents)
    incidents.on_alarm_change(acknowledged(alarm("a1", "door_forced", T0), T0 + 30))
    assert incidents.tick(T0 + 600) == []
    assert [r.change.timeline[0].data["reason"] for r in incidents.tick(T0 + 1800)] == ["unresolved"]


def test_actions_on_unknown_incidents_or_steps_are_not_found() -> None:
    incidents = book()
    incident_id = opened(incidents)
    with pytest.raises(NotFound):
        incidents.execute(command("nope", IncidentAction.ADD_NOTE, text="x"))
    other_tenant = IncidentCommand("c", "elsewhere", incident_id, IncidentAction.ADD_NOTE, "eve", T0, text="x")
    with pytest.raises(NotFound):
        incidents.execute(other_tenant)
    with pytest.raises(NotFound):
        incidents.execute(command(incident_id, IncidentAction.COMPLETE_STEP, step_id="nope"))
