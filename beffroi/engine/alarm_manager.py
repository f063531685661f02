"""The open alarms: one per key, driven by conditions and by operator actions (ISA-18.2 lifecycle).

`apply(condition)` is idempotent: an active condition on an alarm already active, or an inactive one on an
alarm already returned to normal, changes nothing and returns no change, so redelivered input never
duplicates an alarm. A shelved, suppressed or out-of-service alarm still follows its condition (the change is
returned so it is persisted, and the alarm's hidden state tells the console not to annunciate it).
Operator actions return the change and its audit entry. Cleared alarms leave the open set; the change that
cleared them (returned to normal after acknowledgement, acknowledged after return to normal, cleared by hand,
unshelved while normal) carries the alarm in state `cleared`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from beffroi.domain import alarms as lifecycle
from beffroi.domain.alarms import Alarm, AlarmState
from beffroi.domain.messages import AlarmChange, AlarmChangeKind
from beffroi.domain.observations import AttributeValue
from beffroi.domain.records import AuditEntry
from beffroi.engine.conditions import Condition
from beffroi.errors import InvalidTransition, NotFound, RejectedInput

ENGINE_ACTOR = "engine"
TARGET_TYPE = "alarm"


class AlarmManager:
    """Open alarms by key and by id; `new_id()` names each new alarm and audit entry."""

    def __init__(self, new_id: Callable[[], str]) -> None:
        self._new_id = new_id
        self._by_key: dict[str, Alarm] = {}
        self._key_of: dict[str, str] = {}
        self._shelved: set[str] = set()
        self._load_listeners: list[Callable[[list[Alarm]], None]] = []

    def add_load_listener(self, listener: Callable[[list[Alarm]], None]) -> None:
        """Call `listener(open_alarms)` after each `load` (the engine uses it to tell its detectors)."""
        self._load_listeners.append(listener)

    def load(self, open_alarms: Iterable[Alarm]) -> list[Alarm]:
        """Adopt the open alarms kept by the store (after a restart) so their keys stay de-duplicated.

        Returns the alarms not adopted: cleared ones, and for a key held by two open alarms (which the store
        should never allow) the one updated earlier, so the caller can close it. Load listeners are then
        called with every open alarm.
        """
        rejected: list[Alarm] = []
        for alarm in open_alarms:
            if not alarm.is_open:
                rejected.append(alarm)
                continue
            kept = alarm
            held = self._by_key.get(alarm.key.as_text())
            if held is not None and held.id != alarm.id:
                older, kept = (held, alarm) if held.updated_at <= alarm.updated_at else (alarm, held)
                rejected.append(older)
                self._forget(older)
            self._store(kept)
        if self._load_listeners:
            loaded = self.open_alarms()
            for listener in self._load_listeners:
                listener(loaded)
        return rejected

    def open_alarms(self) -> list[Alarm]:
        """Every open alarm."""
        return list(self._by_key.values())

    def get(self, alarm_id: str) -> Alarm | None:
        """The open alarm with this id, or None (unknown or cleared)."""
        key_text = self._key_of.get(alarm_id)
        return None if key_text is None else self._by_key[key_text]

    def get_by_key(self, key_text: str) -> Alarm | None:
        """The open alarm of a key (`AlarmKey.as_text()`), or None."""
        return self._by_key.get(key_text)

    # ----- conditions -----

    def apply(self, condition: Condition) -> list[AlarmChange]:
        """Raise, re-trigger or return to normal the alarm of the condition's key; [] when nothing changes."""
        key_text = condition.key.as_text()
        alarm = self._by_key.get(key_text)
        if condition.active:
            if alarm is None:
                alarm = lifecycle.raise_alarm(
                    self._new_id(), condition.key, condition.priority, condition.message, condition.ts, condition.value
                )
                self._store(alarm)
                return [AlarmChange(AlarmChangeKind.RAISED, alarm)]
            if alarm.condition_active:
                return []
            alarm = lifecycle.retrigger(alarm, condition.ts, condition.value, condition.message)
            self._store(alarm)
            return [AlarmChange(AlarmChangeKind.RETRIGGERED, alarm)]
        if alarm is None or not alarm.condition_active:
            return []
        alarm = lifecycle.return_to_normal(alarm, condition.ts)
        self._store(alarm)
        return [AlarmChange(AlarmChangeKind.RETURNED_TO_NORMAL, alarm)]

    def expire_shelves(self, now: float) -> list[AlarmChange]:
        """Unshelve the alarms whose shelf time has passed (back to unacknowledged, or cleared if normal)."""
        changes: list[AlarmChange] = []
        for alarm_id in sorted(self._shelved):
            alarm = self.get(alarm_id)
            if alarm is None or alarm.shelved_until is None or alarm.shelved_until > now:
                continue
            alarm = lifecycle.return_to_service(alarm, now)
            self._store(alarm)
            changes.append(AlarmChange(AlarmChangeKind.UNSHELVED, alarm))
        return changes

    # ----- operator actions -----

    def acknowledge(self, tenant_id: str, alarm_id: str, actor: str, ts: float) -> tuple[AlarmChange, AuditEntry]:
        """The operator has seen the alarm (it clears if its condition is already gone)."""
        alarm = self._find(tenant_id, alarm_id)
        updated = lifecycle.acknowledge(alarm, ts, actor)
        return self._operator_change(AlarmChangeKind.ACKNOWLEDGED, alarm, updated, actor, ts, {})

    def shelve(
        self, tenant_id: str, alarm_id: str, actor: str, ts: float, reason: str, duration_s: float
    ) -> tuple[AlarmChange, AuditEntry]:
        """Hide the alarm for `duration_s` seconds; a reason is mandatory."""
        alarm = self._find(tenant_id, alarm_id)
        if not (math.isfinite(duration_s) and duration_s > 0):
            raise RejectedInput(
                "bad_duration", f"shelve duration must be a positive number of seconds, got {duration_s!r}"
            )
        updated = lifecycle.shelve(alarm, ts, actor, reason, ts + duration_s)
        details: dict[str, AttributeValue] = {"reason": reason, "until": ts + duration_s, "duration_s": duration_s}
        return self._operator_change(AlarmChangeKind.SHELVED, alarm, updated, actor, ts, details)

    def suppress(
        self, tenant_id: str, alarm_id: str, actor: str, ts: float, reason: str
    ) -> tuple[AlarmChange, AuditEntry]:
        """Suppress the alarm by design (e.g. its zone is in maintenance); a reason is mandatory."""
        alarm = self._find(tenant_id, alarm_id)
        _require_reason(alarm, reason, "suppress")
        updated = lifecycle.suppress(alarm, ts, f"{actor}: {reason}")
        return self._operator_change(AlarmChangeKind.SUPPRESSED, alarm, updated, actor, ts, {"reason": reason})

    def take_out_of_service(
        self, tenant_id: str, alarm_id: str, actor: str, ts: float, reason: str
    ) -> tuple[AlarmChange, AuditEntry]:
        """Take the alarm out of service (e.g. its sensor is under repair); a reason is mandatory."""
        alarm = self._find(tenant_id, alarm_id)
        _require_reason(alarm, reason, "take out of service")
        updated = lifecycle.take_out_of_service(alarm, ts, actor, reason)
        return self._operator_change(AlarmChangeKind.OUT_OF_SERVICE, alarm, updated, actor, ts, {"reason": reason})

    def return_to_service(self, tenant_id: str, alarm_id: str, actor: str, ts: float) -> tuple[AlarmChange, AuditEntry]:
        """Unshelve, unsuppress or return to service: unacknowledged if its condition is active, else cleared."""
        alarm = self._find(tenant_id, alarm_id)
        updated = lifecycle.return_to_service(alarm, ts)
        kind = AlarmChangeKind.UNSHELVED if alarm.state is AlarmState.SHELVED else AlarmChangeKind.RETURNED_TO_SERVICE
        return self._operator_change(kind, alarm, updated, actor, ts, {})

    def clear(
        self, tenant_id: str, alarm_id: str, actor: str, ts: float, reason: str = ""
    ) -> tuple[AlarmChange, AuditEntry]:
        """Close the alarm by hand."""
        alarm = self._find(tenant_id, alarm_id)
        updated = lifecycle.clear(alarm, ts, actor)
        details: dict[str, AttributeValue] = {"reason": reason} if reason else {}
        return self._operator_change(AlarmChangeKind.CLEARED, alarm, updated, actor, ts, details)

    # ----- internals -----

    def _find(self, tenant_id: str, alarm_id: str) -> Alarm:
        alarm = self.get(alarm_id)
        if alarm is None or alarm.key.tenant_id != tenant_id:
            raise NotFound(f"no open alarm {alarm_id!r} in tenant {tenant_id!r}")
        return alarm

    def _operator_change(
        self,
        kind: AlarmChangeKind,
        before: Alarm,
        after: Alarm,
        actor: str,
        ts: float,
        details: dict[str, AttributeValue],
    ) -> tuple[AlarmChange, AuditEntry]:
        self._store(after)
        entry = AuditEntry(
            id=self._new_id(),
            ts=ts,
            tenant_id=after.key.tenant_id,
            actor=actor,
            action=f"alarm.{kind.value}",
            target_type=TARGET_TYPE,
            target_id=after.id,
            details={**details, "from_state": before.state.value, "to_state": after.state.value},
        )
        return AlarmChange(kind, after, actor), entry

    def _store(self, alarm: Alarm) -> None:
        if not alarm.is_open:
            self._forget(alarm)
            return
        key_text = alarm.key.as_text()
        self._by_key[key_text] = alarm
        self._key_of[alarm.id] = key_text
        if alarm.state is AlarmState.SHELVED:
            self._shelved.add(alarm.id)
        else:
            self._shelved.discard(alarm.id)

    def _forget(self, alarm: Alarm) -> None:
        key_text = self._key_of.pop(alarm.id, None)
        if key_text is not None and self._by_key.get(key_text, alarm).id == alarm.id:
            self._by_key.pop(key_text, None)
        self._shelved.discard(alarm.id)


def _require_reason(alarm: Alarm, reason: str, action: str) -> None:
    if not reason.strip():
        raise InvalidTransition("alarm", alarm.state.value, f"{action} without a reason")
