"""Alarms and their ISA-18.2 / IEC 62682 lifecycle, as a pure state machine.

An alarm is the stateful, de-duplicated condition an operator must see. There is at most one active
(not cleared) alarm per key (tenant, source, type, place); a re-trigger updates it instead of creating one.

States and transitions (ISA-18.2 figure 5, plus the shelved / suppressed / out-of-service states):

    raise                       -> unacknowledged
    unacknowledged  --ack-->       acknowledged
    unacknowledged  --rtn-->       rtn_unacknowledged   (condition gone, operator has not acknowledged)
    acknowledged    --rtn-->       cleared              (closed: the next raise opens a new alarm)
    rtn_unack       --ack-->       cleared
    rtn_unack       --retrigger--> unacknowledged
    any open        --shelve(reason, until)--> shelved  (hidden from the operator for a time, audited)
    shelved         --unshelve / expiry-->  unacknowledged if the condition is active, else cleared
    any open        --suppress(reason)-->   suppressed  (suppressed by design, e.g. zone in maintenance)
    any open        --out_of_service-->     out_of_service
    suppressed / out_of_service --return_to_service--> like unshelve
    any open        --clear-->     cleared  (an operator closes it by hand, audited)
"""

from __future__ import annotations

from enum import IntEnum, StrEnum

import msgspec

from beffroi.errors import InvalidTransition


class AlarmState(StrEnum):
    """Where an alarm is in its lifecycle."""

    UNACKNOWLEDGED = "unacknowledged"
    ACKNOWLEDGED = "acknowledged"
    RTN_UNACKNOWLEDGED = "rtn_unacknowledged"
    SHELVED = "shelved"
    SUPPRESSED = "suppressed"
    OUT_OF_SERVICE = "out_of_service"
    CLEARED = "cleared"


class Priority(IntEnum):
    """Alarm priority: 1 is the most urgent."""

    CRITICAL = 1
    HIGH = 2
    MEDIUM = 3
    LOW = 4


OPEN_STATES = frozenset(s for s in AlarmState if s is not AlarmState.CLEARED)
_HIDDEN_STATES = frozenset({AlarmState.SHELVED, AlarmState.SUPPRESSED, AlarmState.OUT_OF_SERVICE})


class AlarmKey(msgspec.Struct, frozen=True):
    """What makes an alarm unique while it is open: one source, one type, one place, in one tenant."""

    tenant_id: str
    source: str
    type: str
    site_id: str | None = None
    zone_id: str | None = None

    def as_text(self) -> str:
        """A stable string form, used as the unique key in the store."""
        return "|".join((self.tenant_id, self.source, self.type, self.site_id or "", self.zone_id or ""))


class Alarm(msgspec.Struct, frozen=True):
    """One alarm and its lifecycle fields. Immutable: each transition returns a new value."""

    id: str
    key: AlarmKey
    state: AlarmState
    priority: Priority
    message: str
    raised_at: float
    updated_at: float
    last_triggered_at: float
    condition_active: bool = True
    trigger_count: int = 1
    value: float | None = None
    acknowledged_at: float | None = None
    acknowledged_by: str | None = None
    cleared_at: float | None = None
    cleared_by: str | None = None
    shelved_until: float | None = None
    state_reason: str | None = None

    @property
    def is_open(self) -> bool:
        """True until the alarm is cleared."""
        return self.state is not AlarmState.CLEARED

    @property
    def is_hidden(self) -> bool:
        """True when shelved, suppressed or out of service: kept, but not annunciated."""
        return self.state in _HIDDEN_STATES


def raise_alarm(
    alarm_id: str, key: AlarmKey, priority: Priority, message: str, ts: float, value: float | None = None
) -> Alarm:
    """A new alarm, unacknowledged, its condition active."""
    return Alarm(
        id=alarm_id,
        key=key,
        state=AlarmState.UNACKNOWLEDGED,
        priority=priority,
        message=message,
        raised_at=ts,
        updated_at=ts,
        last_triggered_at=ts,
        value=value,
    )


def _later(alarm: Alarm, ts: float) -> float:
    """An alarm's `updated_at` never goes back, so the newest state is always the one with the largest one, even when
    an operator's action (stamped by the wall clock) follows a detector's change stamped by the data clock of an
    accelerated replay."""
    return max(ts, alarm.updated_at)


def _require_open(alarm: Alarm, action: str) -> None:
    if not alarm.is_open:
        raise InvalidTransition("alarm", alarm.state.value, action)


def retrigger(alarm: Alarm, ts: float, value: float | None = None, message: str | None = None) -> Alarm:
    """The condition fired again while the alarm is open: count it; an RTN-unacked alarm becomes unacked."""
    _require_open(alarm, "retrigger")
    state = AlarmState.UNACKNOWLEDGED if alarm.state is AlarmState.RTN_UNACKNOWLEDGED else alarm.state
    was_active = alarm.condition_active
    return msgspec.structs.replace(
        alarm,
        state=state,
        condition_active=True,
        trigger_count=alarm.trigger_count + (0 if was_active else 1),
        last_triggered_at=ts if not was_active else alarm.last_triggered_at,
        updated_at=_later(alarm, ts),
        value=value if value is not None else alarm.value,
        message=message or alarm.message,
    )


def return_to_normal(alarm: Alarm, ts: float) -> Alarm:
    """The condition is gone. Acknowledged alarms clear; unacknowledged ones wait for acknowledgement."""
    _require_open(alarm, "return to normal")
    if alarm.state is AlarmState.ACKNOWLEDGED:
        return msgspec.structs.replace(
            alarm, state=AlarmState.CLEARED, condition_active=False, cleared_at=ts, updated_at=_later(alarm, ts)
        )
    if alarm.state is AlarmState.UNACKNOWLEDGED:
        return msgspec.structs.replace(
            alarm, state=AlarmState.RTN_UNACKNOWLEDGED, condition_active=False, updated_at=_later(alarm, ts)
        )
    return msgspec.structs.replace(alarm, condition_active=False, updated_at=_later(alarm, ts))


def acknowledge(alarm: Alarm, ts: float, actor: str) -> Alarm:
    """An operator has seen it. An alarm whose condition is gone clears on acknowledgement."""
    if alarm.state is AlarmState.UNACKNOWLEDGED:
        return msgspec.structs.replace(
            alarm,
            state=AlarmState.ACKNOWLEDGED,
            acknowledged_at=ts,
            acknowledged_by=actor,
            updated_at=_later(alarm, ts),
        )
    if alarm.state is AlarmState.RTN_UNACKNOWLEDGED:
        return msgspec.structs.replace(
            alarm,
            state=AlarmState.CLEARED,
            acknowledged_at=ts,
            acknowledged_by=actor,
            cleared_at=ts,
            cleared_by=actor,
            updated_at=_later(alarm, ts),
        )
    raise InvalidTransition("alarm", alarm.state.value, "acknowledge")


def shelve(alarm: Alarm, ts: float, actor: str, reason: str, until: float) -> Alarm:
    """Hide an open alarm until `until`; a reason is mandatory."""
    _require_open(alarm, "shelve")
    if not reason.strip():
        raise InvalidTransition("alarm", alarm.state.value, "shelve without a reason")
    if until <= ts:
        raise InvalidTransition("alarm", alarm.state.value, "shelve until a time in the past")
    return msgspec.structs.replace(
        alarm,
        state=AlarmState.SHELVED,
        shelved_until=until,
        state_reason=f"{actor}: {reason}",
        updated_at=_later(alarm, ts),
    )


def suppress(alarm: Alarm, ts: float, reason: str) -> Alarm:
    """Suppressed by design (e.g. the zone is in maintenance)."""
    _require_open(alarm, "suppress")
    return msgspec.structs.replace(
        alarm, state=AlarmState.SUPPRESSED, state_reason=reason, updated_at=_later(alarm, ts)
    )


def take_out_of_service(alarm: Alarm, ts: float, actor: str, reason: str) -> Alarm:
    """Removed from service (e.g. a faulty sensor under repair)."""
    _require_open(alarm, "take out of service")
    return msgspec.structs.replace(
        alarm, state=AlarmState.OUT_OF_SERVICE, state_reason=f"{actor}: {reason}", updated_at=_later(alarm, ts)
    )


def return_to_service(alarm: Alarm, ts: float) -> Alarm:
    """Unshelve, unsuppress or return to service: back to unacknowledged if still active, else cleared."""
    if not alarm.is_hidden:
        raise InvalidTransition("alarm", alarm.state.value, "return to service")
    if alarm.condition_active:
        return msgspec.structs.replace(
            alarm, state=AlarmState.UNACKNOWLEDGED, shelved_until=None, state_reason=None, updated_at=_later(alarm, ts)
        )
    return msgspec.structs.replace(
        alarm, state=AlarmState.CLEARED, shelved_until=None, cleared_at=ts, updated_at=_later(alarm, ts)
    )


def clear(alarm: Alarm, ts: float, actor: str) -> Alarm:
    """An operator closes the alarm by hand."""
    _require_open(alarm, "clear")
    return msgspec.structs.replace(
        alarm, state=AlarmState.CLEARED, cleared_at=ts, cleared_by=actor, updated_at=_later(alarm, ts)
    )
