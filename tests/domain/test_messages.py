"""Bus messages round-trip through MessagePack as typed values; subjects are valid NATS tokens."""

from __future__ import annotations

import msgspec
import pytest

from beffroi.domain import messages
from beffroi.domain.alarms import AlarmKey, Priority, raise_alarm
from beffroi.domain.messages import AlarmAction, AlarmChange, AlarmChangeKind, AlarmCommand, AlarmCommandOutcome
from beffroi.domain.observations import Event, Position, Reading, ReadingBatch
from beffroi.errors import BeffroiError, InvalidTransition, NotFound, RejectedInput, StoreError

COMMAND = AlarmCommand("c-1", "t", "a", AlarmAction.SHELVE, "alice", 2.0, "works", 600.0)


def test_reading_batch_round_trip() -> None:
    batch = ReadingBatch(
        batch_id="b1",
        tenant_id="t",
        readings=[Reading("t", "d1", "temp", 21.5, 1.7e9, "s", "z", Position(2.35, 48.85))],
    )
    assert messages.decode(messages.encode(batch), ReadingBatch) == batch


def test_alarm_change_and_command_round_trip() -> None:
    alarm = raise_alarm("a", AlarmKey("t", "d", "fire"), Priority.HIGH, "m", 1.0)
    change = AlarmChange(change=AlarmChangeKind.RAISED, alarm=alarm)
    assert messages.decode(messages.encode(change), AlarmChange) == change
    command = AlarmCommand("c", "t", "a", AlarmAction.SHELVE, "alice", 2.0, "works", 600.0)
    assert messages.decode(messages.encode(command), AlarmCommand) == command


def test_decode_refuses_the_wrong_type() -> None:
    event = Event("e", "t", "door_forced", "d", 1.0)
    with pytest.raises(msgspec.ValidationError):
        messages.decode(messages.encode(event), ReadingBatch)


def test_subjects_escape_unsafe_tokens() -> None:
    assert messages.readings_subject("paris 2024", "site.a") == "beffroi.readings.paris_2024.site_a"
    assert messages.events_subject("t", None) == "beffroi.events.t._"
    assert messages.alarms_subject("t>") == "beffroi.alarms.t_"
    assert messages.alarm_command_outcomes_subject("city a") == "beffroi.commands.outcomes.city_a"
    assert messages.alarm_command_outcomes_subject("t").startswith(messages.ALL_ALARM_COMMAND_OUTCOMES[:-1])
    assert not messages.alarm_command_outcomes_subject("t").startswith(messages.ALL_ALARM_COMMANDS[:-1])


def test_an_applied_command_outcome_round_trips_with_its_change() -> None:
    alarm = raise_alarm("a", AlarmKey("t", "d", "fire"), Priority.HIGH, "m", 1.0)
    outcome = messages.command_applied(COMMAND, AlarmChange(AlarmChangeKind.SHELVED, alarm, "alice"))
    decoded = messages.decode(messages.encode(outcome), AlarmCommandOutcome)
    assert decoded == outcome and (decoded.command_id, decoded.tenant_id) == ("c-1", "t")
    assert decoded.error() is None and decoded.change is not None and decoded.change.actor == "alice"


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (NotFound("no open alarm 'a' in tenant 't'"), "not_found"),
        (InvalidTransition("alarm", "cleared", "acknowledge"), "invalid_transition"),
        (InvalidTransition("alarm", "acknowledged", "shelve without a reason"), "invalid_transition"),
        (RejectedInput("bad_duration", "shelve duration must be positive: got 0"), "rejected:bad_duration"),
    ],
    ids=str,
)
def test_a_refused_command_outcome_rebuilds_the_engines_error(error: BeffroiError, code: str) -> None:
    outcome = messages.decode(messages.encode(messages.command_refused(COMMAND, error)), AlarmCommandOutcome)
    assert (outcome.change, outcome.error_code, outcome.error_message) == (None, code, str(error))
    rebuilt = outcome.error()
    assert type(rebuilt) is type(error) and str(rebuilt) == str(error)
    if isinstance(error, InvalidTransition):
        assert isinstance(rebuilt, InvalidTransition)
        assert (rebuilt.entity, rebuilt.state, rebuilt.action) == (error.entity, error.state, error.action)
    if isinstance(error, RejectedInput):
        assert isinstance(rebuilt, RejectedInput)
        assert (rebuilt.reason, rebuilt.detail) == (error.reason, error.detail)


def test_a_failure_of_the_engine_itself_is_a_plain_error() -> None:
    outcome = messages.command_refused(COMMAND, StoreError("saving alarms failed on sqlite: disk I/O error"))
    assert outcome.error_code == "engine_failure"
    rebuilt = outcome.error()
    assert type(rebuilt) is BeffroiError and "disk I/O error" in str(rebuilt)
    odd = AlarmCommandOutcome("c-2", "t", None, "invalid_transition", "not in the usual words")
    assert isinstance(odd.error(), InvalidTransition) and "not in the usual words" in str(odd.error())
    empty = AlarmCommandOutcome("c-3", "t", None)
    assert "neither change nor error" in str(empty.error())
