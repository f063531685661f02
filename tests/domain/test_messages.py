"""Bus messages round-trip through MessagePack as typed values; subjects are valid NATS tokens."""

from __future__ import annotations

import msgspec
import pytest

from beffroi.domain import messages
from beffroi.domain.alarms import AlarmKey, Priority, raise_alarm
from beffroi.domain.messages import AlarmAction, AlarmChange, AlarmChangeKind, AlarmCommand
from beffroi.domain.observations import Event, Position, Reading, ReadingBatch


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
