"""The incident lifecycle as a pure state machine: the transition table, dispositions, joining alarms, escalation."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from beffroi.domain import incidents as lifecycle
from beffroi.domain.alarms import AlarmKey, Priority, raise_alarm
from beffroi.domain.incidents import TRANSITIONS, Disposition, Incident, IncidentState, needs_supervisor
from beffroi.errors import InvalidTransition, RejectedInput

T0 = 1_722_002_400.0
S = IncidentState


def incident(state: IncidentState = S.NEW, **changes: Any) -> Incident:
    opened = lifecycle.open_incident(
        "inc-1", "city", type="generic", title="Test", priority=Priority.MEDIUM, rule="default", ts=T0, zone_id="z"
    )
    return msgspec.structs.replace(opened, state=state, **changes)


def test_a_new_incident_is_new_with_no_alarm() -> None:
    opened = incident()
    assert (opened.state, opened.alarm_ids, opened.opened_at, opened.updated_at) == (S.NEW, (), T0, T0)
    assert opened.is_active


@pytest.mark.parametrize("current", list(S), ids=str)
@pytest.mark.parametrize("target", list(S), ids=str)
def test_exactly_the_transitions_of_the_table_are_allowed(current: IncidentState, target: IncidentState) -> None:
    before = incident(current, disposition=Disposition.TRUE)
    if target in TRANSITIONS[current]:
        after = lifecycle.transition(before, target, T0 + 5)
        assert (after.state, after.updated_at) == (target, T0 + 5)
    else:
        with pytest.raises(InvalidTransition, match=f"cannot move to {target.value} incident in state"):
            lifecycle.transition(before, target, T0 + 5)


def test_the_lifecycle_stamps_resolution_closing_and_reopening() -> None:
    resolved = lifecycle.transition(incident(S.IN_PROGRESS), S.RESOLVED, T0 + 10)
    assert resolved.resolved_at == T0 + 10 and resolved.closed_at is None
    with pytest.raises(InvalidTransition, match="close without a disposition"):
        lifecycle.transition(resolved, S.CLOSED, T0 + 20)
    closed = lifecycle.transition(lifecycle.set_disposition(resolved, T0 + 15, Disposition.FALSE), S.CLOSED, T0 + 20)
    assert (closed.closed_at, closed.disposition, closed.is_active) == (T0 + 20, Disposition.FALSE, False)
    reopened = lifecycle.transition(closed, S.IN_PROGRESS, T0 + 30)
    assert (reopened.state, reopened.resolved_at, reopened.closed_at) == (S.IN_PROGRESS, None, None)


def test_closing_and_reopening_are_for_supervisors() -> None:
    assert needs_supervisor(S.RESOLVED, S.CLOSED)
    assert needs_supervisor(S.RESOLVED, S.IN_PROGRESS) and needs_supervisor(S.CLOSED, S.IN_PROGRESS)
    assert not needs_supervisor(S.NEW, S.IN_PROGRESS) and not needs_supervisor(S.IN_PROGRESS, S.RESOLVED)
    assert not needs_supervisor(S.ON_HOLD, S.IN_PROGRESS)


def test_a_duplicate_names_another_incident_and_only_a_duplicate_does() -> None:
    with pytest.raises(RejectedInput) as missing:
        lifecycle.set_disposition(incident(), T0, Disposition.DUPLICATE)
    assert missing.value.reason == "duplicate_of_required"
    with pytest.raises(RejectedInput) as itself:
        lifecycle.set_disposition(incident(), T0, Disposition.DUPLICATE, "inc-1")
    assert itself.value.reason == "duplicate_of_itself"
    with pytest.raises(RejectedInput) as stray:
        lifecycle.set_disposition(incident(), T0, Disposition.TRUE, "inc-0")
    assert stray.value.reason == "duplicate_of_not_allowed"
    duplicate = lifecycle.set_disposition(incident(), T0, Disposition.DUPLICATE, "inc-0")
    assert (duplicate.disposition, duplicate.duplicate_of) == (Disposition.DUPLICATE, "inc-0")
    with pytest.raises(InvalidTransition):
        lifecycle.set_disposition(incident(S.CLOSED), T0, Disposition.TRUE)


def test_assigning_needs_someone_and_an_open_incident() -> None:
    assigned = lifecycle.assign(incident(), T0 + 1, assignee="alice", desk=None)
    assert (assigned.assignee, assigned.desk) == ("alice", None)
    moved = lifecycle.assign(assigned, T0 + 2, assignee=None, desk="north")
    assert (moved.assignee, moved.desk) == ("alice", "north")
    with pytest.raises(RejectedInput, match="nothing_to_assign"):
        lifecycle.assign(incident(), T0, assignee=None, desk=None)
    with pytest.raises(InvalidTransition):
        lifecycle.assign(incident(S.CLOSED), T0, assignee="bob", desk=None)


def test_joining_alarms_keeps_their_order_the_most_urgent_priority_and_the_alarm_times() -> None:
    key = AlarmKey("city", "pir-1", "intrusion", "site", "z")
    early = raise_alarm("a-1", key, Priority.LOW, "motion", T0 - 30)
    urgent = raise_alarm("a-2", key, Priority.HIGH, "motion", T0 + 40)
    joined = lifecycle.join(lifecycle.join(incident(), early), urgent)
    assert joined.alarm_ids == ("a-1", "a-2")
    assert (joined.priority, joined.first_alarm_at, joined.last_alarm_at) == (Priority.HIGH, T0 - 30, T0 + 40)
    assert lifecycle.join(joined, early) == joined  # twice is once
    with pytest.raises(InvalidTransition, match="add an alarm to"):
        lifecycle.join(incident(S.RESOLVED), early)


def test_escalation_bumps_the_priority_once_per_level_and_never_past_critical() -> None:
    escalated = lifecycle.escalate(incident(), T0 + 60, level=1, desk="supervisors", bump_priority=True)
    assert (escalated.escalation_level, escalated.desk, escalated.priority) == (1, "supervisors", Priority.HIGH)
    assert escalated.escalated_at == T0 + 60
    critical = lifecycle.escalate(incident(priority=Priority.CRITICAL), T0, level=1, desk="x", bump_priority=True)
    assert critical.priority is Priority.CRITICAL
    kept = lifecycle.escalate(incident(), T0, level=1, desk="x", bump_priority=False)
    assert kept.priority is Priority.MEDIUM
    with pytest.raises(InvalidTransition):
        lifecycle.escalate(incident(S.RESOLVED), T0, level=1, desk="x", bump_priority=True)


def test_updated_at_never_goes_back() -> None:
    later = lifecycle.touch(incident(), T0 + 100)
    assert lifecycle.transition(later, S.IN_PROGRESS, T0 + 1).updated_at == T0 + 100
