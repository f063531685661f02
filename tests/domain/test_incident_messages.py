"""Incident bus messages round-trip through MessagePack as typed values; outcomes carry the worker's errors back;
the incident subjects are tenant-partitioned NATS subjects that the alarm subjects' filters do not catch."""

from __future__ import annotations

import pytest

from beffroi.domain import messages
from beffroi.domain.incidents import Disposition, IncidentState
from beffroi.domain.messages import (
    IncidentAction,
    IncidentChange,
    IncidentCommand,
    IncidentCommandOutcome,
    SupervisorNotice,
)
from beffroi.engine.correlation import Correlator
from beffroi.engine.correlation_rules import load_rules
from beffroi.engine.escalation import EscalationPolicy
from beffroi.engine.incident_book import IncidentBook
from beffroi.engine.procedures import load_procedures
from beffroi.errors import BeffroiError, InvalidTransition, NotFound, RejectedInput, StoreError
from tests.engine.incident_builders import T0, alarm, counter, raised

COMMAND = IncidentCommand(
    "c-1", "t", "inc", IncidentAction.SET_DISPOSITION, "alice", T0, disposition=Disposition.DUPLICATE, duplicate_of="i0"
)


def test_an_incident_change_with_its_alarms_timeline_evidence_and_procedure_round_trips() -> None:
    new_id = counter()
    book = IncidentBook(Correlator(load_rules(), new_id), load_procedures(), EscalationPolicy(), new_id)
    [change] = book.on_alarm_change(raised(alarm("a1", "fire_alarm", T0)))
    assert change.alarms and change.timeline and change.evidence and change.procedure is not None
    assert messages.decode(messages.encode(change), IncidentChange) == change


def test_commands_notices_and_outcomes_round_trip() -> None:
    assert messages.decode(messages.encode(COMMAND), IncidentCommand) == COMMAND
    move = IncidentCommand("c-2", "t", "inc", IncidentAction.TRANSITION, "bob", T0, target_state=IncidentState.CLOSED)
    assert messages.decode(messages.encode(move), IncidentCommand).target_state is IncidentState.CLOSED
    notice = SupervisorNotice("n", "t", "inc", T0, "alice", "step_skipped", "skipped", {"step_id": "verify"})
    assert messages.decode(messages.encode(notice), SupervisorNotice) == notice


@pytest.mark.parametrize(
    "error",
    [
        NotFound("no incident 'inc' in tenant 't'"),
        InvalidTransition("incident", "resolved", "close without a disposition"),
        RejectedInput("unknown_incident", "`duplicate_of` names no incident: 'i0'"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_a_refusal_comes_back_as_the_same_error(error: BeffroiError) -> None:
    outcome = messages.decode(
        messages.encode(messages.incident_command_refused(COMMAND, error)), IncidentCommandOutcome
    )
    rebuilt = outcome.error()
    assert type(rebuilt) is type(error) and str(rebuilt) == str(error)
    if isinstance(error, InvalidTransition):
        assert isinstance(rebuilt, InvalidTransition)
        assert (rebuilt.entity, rebuilt.state, rebuilt.action) == (
            "incident",
            "resolved",
            "close without a disposition",
        )


def test_a_failure_of_the_worker_is_a_plain_error_and_an_applied_command_none() -> None:
    failed = messages.incident_command_refused(COMMAND, StoreError("database down"))
    assert failed.error_code == "engine_failure"
    assert type(failed.error()) is BeffroiError and "database down" in str(failed.error())
    empty = IncidentCommandOutcome("c", "t", None)
    assert "neither change nor error" in str(empty.error())


def test_incident_subjects_are_their_own() -> None:
    assert messages.incidents_subject("paris 2024") == "beffroi.incidents.paris_2024"
    assert messages.incident_commands_subject("t") == "beffroi.commands.incidents.t"
    assert messages.incident_command_outcomes_subject("t") == "beffroi.commands.incident_outcomes.t"
    assert messages.supervision_subject("t") == "beffroi.supervision.t"
    assert messages.ALL_INCIDENT_COMMANDS.startswith("beffroi.commands.incidents.")
    for subject in (messages.incident_commands_subject("t"), messages.incident_command_outcomes_subject("t")):
        assert not subject.startswith(messages.ALL_ALARM_COMMANDS[:-1])
        assert not subject.startswith(messages.ALL_ALARM_COMMAND_OUTCOMES[:-1])
