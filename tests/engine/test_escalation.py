"""Escalation timers: unacknowledged alarms after N seconds, an unresolved incident after M, each escalation
restarting both clocks, until the end of the chain; held, resolved and closed incidents never escalate."""

from __future__ import annotations

import msgspec
import pytest

from beffroi.domain import incidents as lifecycle
from beffroi.domain.alarms import acknowledge
from beffroi.domain.incidents import Incident, IncidentState
from beffroi.engine.escalation import EscalationLevel, EscalationPolicy, EscalationReason, due
from tests.engine.incident_builders import T0, TENANT, alarm

CHAIN = (
    EscalationLevel("operators"),
    EscalationLevel("supervisors", "supervisor"),
    EscalationLevel("command", "admin"),
)
POLICY = EscalationPolicy(chain=CHAIN, unacknowledged_after_s=120, unresolved_after_s=1800)
ALARM = alarm("a1", "door_forced", T0)


def opened(state: IncidentState = IncidentState.NEW) -> Incident:
    incident = lifecycle.open_incident(
        "inc", TENANT, type="break_in", title="x", priority=ALARM.priority, rule="default", ts=T0, desk="operators"
    )
    return msgspec.structs.replace(lifecycle.join(incident, ALARM), state=state)


def test_an_alarm_unacknowledged_for_n_seconds_escalates() -> None:
    assert due(POLICY, opened(), [ALARM], T0 + 119) is None
    assert due(POLICY, opened(), [ALARM], T0 + 120) is EscalationReason.UNACKNOWLEDGED
    seen = acknowledge(ALARM, T0 + 60, "alice")
    assert due(POLICY, opened(), [seen], T0 + 600) is None


def test_an_incident_unresolved_for_m_seconds_escalates() -> None:
    seen = acknowledge(ALARM, T0 + 10, "alice")
    assert due(POLICY, opened(IncidentState.IN_PROGRESS), [seen], T0 + 1799) is None
    assert due(POLICY, opened(IncidentState.IN_PROGRESS), [seen], T0 + 1800) is EscalationReason.UNRESOLVED


def test_each_escalation_restarts_the_clocks_until_the_chain_ends() -> None:
    first = lifecycle.escalate(opened(), T0 + 120, level=1, desk="supervisors", bump_priority=True)
    assert due(POLICY, first, [ALARM], T0 + 200) is None
    assert due(POLICY, first, [ALARM], T0 + 240) is EscalationReason.UNACKNOWLEDGED
    last = lifecycle.escalate(first, T0 + 240, level=2, desk="command", bump_priority=True)
    assert due(POLICY, last, [ALARM], T0 + 100_000) is None


@pytest.mark.parametrize("state", [IncidentState.ON_HOLD, IncidentState.RESOLVED, IncidentState.CLOSED], ids=str)
def test_held_resolved_and_closed_incidents_never_escalate(state: IncidentState) -> None:
    assert due(POLICY, opened(state), [ALARM], T0 + 100_000) is None


def test_a_clock_set_to_none_never_fires_and_no_chain_never_escalates() -> None:
    unack_only = EscalationPolicy(chain=CHAIN, unacknowledged_after_s=120, unresolved_after_s=None)
    assert due(unack_only, opened(), [acknowledge(ALARM, T0 + 1, "a")], T0 + 100_000) is None
    assert due(EscalationPolicy(), opened(), [ALARM], T0 + 100_000) is None
    assert EscalationPolicy().first_desk is None and POLICY.first_desk == "operators"


def test_a_bad_policy_is_refused() -> None:
    with pytest.raises(msgspec.ValidationError, match="must be finite"):
        msgspec.convert({"unresolved_after_s": float("inf")}, EscalationPolicy)
    with pytest.raises(msgspec.ValidationError, match="unacknowledged_after_s"):
        msgspec.convert({"unacknowledged_after_s": 0}, EscalationPolicy)
