"""Tamper detector: a device reporting tampering (a tamper event, or its tamper switch metric) raises one alarm per
device, which returns to normal after a quiet period.

Each tamper event (of the rule's types, confidence at least `min_confidence`) reports the condition active, so
an alarm an operator cleared by hand is raised anew by the next event. A reading of the tamper metric of 0.5 or
more (the switch is open) holds the condition active; once the switch reads closed again, or after the last
event, the condition returns to normal `quiet_s` seconds later on a tick. The alarm is keyed on the device (its
registry place when the device is known, else the event's place). Events already past their quiet period at
the last tick, repeated event ids, older switch readings and non-finite values are ignored.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from beffroi.domain.alarms import Alarm, AlarmKey, Priority
from beffroi.domain.observations import Event, Reading
from beffroi.domain.registry import Device
from beffroi.engine.conditions import Condition
from beffroi.engine.detectors.base import NO_CONDITIONS, Detector
from beffroi.engine.detectors.deadlines import DeadlineQueue
from beffroi.engine.detectors.registry import register_detector
from beffroi.engine.rules import DetectorSettings, TamperRule

KIND = "tamper"
SWITCH_OPEN_AT = 0.5
"""A tamper metric at or above this means the device's tamper switch is open."""


class _Hold:
    """An active tamper condition of one device."""

    __slots__ = ("key", "last_event_id", "last_switch_ts", "quiet_from", "switch_open")

    def __init__(self, key: AlarmKey) -> None:
        self.key = key
        self.switch_open = False
        self.last_switch_ts = -math.inf
        self.quiet_from = -math.inf
        self.last_event_id = ""


class TamperDetector(Detector):
    """Raises the rule's alarm type (default "tamper") per tampered device (see the module docstring)."""

    def __init__(self, rule: TamperRule | None, name: str = KIND) -> None:
        self.name = name
        self._rule = rule
        self._event_types = frozenset(rule.event_types) if rule is not None else frozenset()
        self._metric = rule.metric if rule is not None else None
        self._kinds = frozenset(rule.device_kinds) if rule is not None and rule.device_kinds is not None else None
        self._quiet_s = rule.quiet_s if rule is not None else 0.0
        self._priority = Priority(rule.priority) if rule is not None else Priority.HIGH
        self._type = rule.alarm_type if rule is not None else ""
        self._message = rule.describe() if rule is not None else ""
        self._min_confidence = rule.min_confidence if rule is not None else 0.0
        self._holds: dict[str, _Hold] = {}
        self._deadlines = DeadlineQueue()
        self._last_tick = -math.inf

    @property
    def rule(self) -> TamperRule | None:
        """The rule evaluated (None: the detector is off)."""
        return self._rule

    def reading_metrics(self) -> frozenset[str]:
        """The tamper switch metric, if the rule names one."""
        return frozenset() if self._metric is None else frozenset({self._metric})

    def _watched(self, device: Device | None) -> bool:
        return self._kinds is None or (device is not None and device.kind in self._kinds)

    def on_event(self, event: Event, device: Device | None) -> Sequence[Condition]:
        """A tamper event raises (or re-raises) the device's alarm and restarts its quiet period."""
        if event.type not in self._event_types or not self._watched(device):
            return NO_CONDITIONS
        ts = event.ts
        if not math.isfinite(ts) or not event.confidence >= self._min_confidence:
            return NO_CONDITIONS
        if ts + self._quiet_s <= self._last_tick:
            return NO_CONDITIONS
        site_id = device.site_id if device is not None else event.site_id
        zone_id = device.zone_id if device is not None else event.zone_id
        key = AlarmKey(event.tenant_id, event.source, self._type, site_id, zone_id)
        hold_id = key.as_text()
        hold = self._holds.get(hold_id)
        if hold is None:
            hold = self._holds[hold_id] = _Hold(key)
        elif hold.last_event_id == event.event_id:
            return NO_CONDITIONS
        hold.last_event_id = event.event_id
        hold.quiet_from = max(hold.quiet_from, ts)
        if not hold.switch_open:
            self._deadlines.schedule(hold_id, hold.quiet_from + self._quiet_s)
        return (self._condition(key, True, ts, event.confidence),)

    def on_reading(self, reading: Reading, device: Device) -> Sequence[Condition]:
        """The tamper switch: open raises and holds the alarm; closed starts the quiet period."""
        if reading.metric != self._metric or not self._watched(device):
            return NO_CONDITIONS
        ts, value = reading.ts, reading.value
        if not (math.isfinite(ts) and math.isfinite(value)):
            return NO_CONDITIONS
        key = AlarmKey(device.tenant_id, device.id, self._type, device.site_id, device.zone_id)
        hold_id = key.as_text()
        hold = self._holds.get(hold_id)
        if value >= SWITCH_OPEN_AT:
            if hold is None:
                hold = self._holds[hold_id] = _Hold(key)
            elif ts < hold.last_switch_ts:
                return NO_CONDITIONS
            hold.last_switch_ts = ts
            was_open = hold.switch_open
            hold.switch_open = True
            self._deadlines.cancel(hold_id)
            return NO_CONDITIONS if was_open else (self._condition(key, True, ts, value),)
        if hold is None or ts < hold.last_switch_ts:
            return NO_CONDITIONS
        hold.last_switch_ts = ts
        if hold.switch_open:
            hold.switch_open = False
            hold.quiet_from = max(hold.quiet_from, ts)
            self._deadlines.schedule(hold_id, hold.quiet_from + self._quiet_s)
        return NO_CONDITIONS

    def on_tick(self, now: float) -> Sequence[Condition]:
        """Return to normal the devices quiet for `quiet_s` seconds."""
        if not math.isfinite(now):
            return NO_CONDITIONS
        self._last_tick = max(self._last_tick, now)
        conditions: list[Condition] = []
        for hold_id in self._deadlines.pop_due(now):
            hold = self._holds.pop(hold_id)
            conditions.append(self._condition(hold.key, False, now, None))
        return conditions or NO_CONDITIONS

    def on_restore(self, alarms: Sequence[Alarm]) -> None:
        """Open tamper alarms with an active condition get one more quiet period after their last trigger."""
        if self._rule is None:
            return
        for alarm in alarms:
            if not alarm.condition_active or alarm.key.type != self._type:
                continue
            hold_id = alarm.key.as_text()
            if hold_id not in self._holds:
                hold = self._holds[hold_id] = _Hold(alarm.key)
                hold.quiet_from = alarm.last_triggered_at
                self._deadlines.schedule(hold_id, alarm.last_triggered_at + self._quiet_s)

    def _condition(self, key: AlarmKey, active: bool, ts: float, value: float | None) -> Condition:
        return Condition(
            key=key,
            active=active,
            ts=ts,
            priority=self._priority,
            message=self._message,
            detector=self.name,
            rule=KIND,
            value=value,
        )


def _create(settings: DetectorSettings) -> Detector:
    return TamperDetector(settings.tamper)


register_detector(KIND, _create)
