"""Event-rule detector: configured event types (door forced, tamper, fire panel…) raise an alarm.

An event is momentary, so its condition is held active for `hold_s` seconds after the last matching event and
then returns to normal on a tick; a repeat within the hold extends it. The alarm keeps its whole lifecycle:
the operator acknowledges it, and an acknowledged alarm clears once the hold has passed. Events below a rule's
`min_confidence`, of other types, or too old to matter (their hold already over at the last tick) are ignored.
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
from beffroi.engine.rules import DEFAULT_EVENT_HOLD_S, DetectorSettings, EventRule
from beffroi.errors import ConfigError

KIND = "event_rule"


class _Hold:
    """An active event condition waiting for its hold to end."""

    __slots__ = ("key", "message", "priority", "rule")

    def __init__(self, key: AlarmKey, rule: str, priority: Priority, message: str) -> None:
        self.key = key
        self.rule = rule
        self.priority = priority
        self.message = message


class EventRuleDetector(Detector):
    """Raises an alarm per matching event and returns it to normal `hold_s` after the last one."""

    def __init__(self, rules: Sequence[EventRule], hold_s: float = DEFAULT_EVENT_HOLD_S, name: str = KIND) -> None:
        if not (math.isfinite(hold_s) and hold_s > 0):
            raise ConfigError("event rule detector", [f"`hold_s` must be a finite number > 0, got {hold_s!r}"])
        self.name = name
        self._hold_s = hold_s
        self._rules: dict[str, tuple[EventRule, ...]] = {}
        for rule in rules:
            self._rules[rule.event_type] = (*self._rules.get(rule.event_type, ()), rule)
        self._types = {rule.effective_alarm_type for rule in rules}
        self._holds: dict[str, _Hold] = {}
        self._deadlines = DeadlineQueue()
        self._last_tick = -math.inf

    @property
    def rules(self) -> list[EventRule]:
        """The rules evaluated."""
        return [rule for rules in self._rules.values() for rule in rules]

    def reading_metrics(self) -> frozenset[str]:
        """None: readings are not events."""
        return frozenset()

    def on_reading(self, reading: Reading, device: Device) -> Sequence[Condition]:
        """Readings are not events: nothing to do."""
        return NO_CONDITIONS

    def on_event(self, event: Event, device: Device | None) -> Sequence[Condition]:
        """Raise (or extend the hold of) the alarm of each rule the event matches."""
        rules = self._rules.get(event.type)
        if rules is None or not math.isfinite(event.ts):
            return NO_CONDITIONS
        until = event.ts + self._hold_s
        if until <= self._last_tick:
            return NO_CONDITIONS
        site_id = event.site_id if event.site_id is not None else (device.site_id if device else None)
        zone_id = event.zone_id if event.zone_id is not None else (device.zone_id if device else None)
        conditions: list[Condition] = []
        for rule in rules:
            if not event.confidence >= rule.min_confidence:
                continue
            key = AlarmKey(event.tenant_id, event.source, rule.effective_alarm_type, site_id, zone_id)
            hold = _Hold(key, rule.event_type, Priority(rule.priority), rule.describe())
            hold_id = f"{key.as_text()}|{rule.event_type}"
            self._holds[hold_id] = hold
            current = self._deadlines.deadline(hold_id)
            self._deadlines.schedule(hold_id, until if current is None else max(current, until))
            conditions.append(self._condition(hold, True, event.ts, event.confidence))
        return conditions or NO_CONDITIONS

    def on_tick(self, now: float) -> Sequence[Condition]:
        """Return to normal the alarms whose hold has ended."""
        if not math.isfinite(now):
            return NO_CONDITIONS
        self._last_tick = max(self._last_tick, now)
        conditions: list[Condition] = []
        for hold_id in self._deadlines.pop_due(now):
            hold = self._holds.pop(hold_id)
            conditions.append(self._condition(hold, False, now, None))
        return conditions or NO_CONDITIONS

    def on_restore(self, alarms: Sequence[Alarm]) -> None:
        """Hold open alarms of these rules' types for one more `hold_s` after their last trigger."""
        for alarm in alarms:
            if not alarm.condition_active or alarm.key.type not in self._types:
                continue
            rule = next(r for rules in self._rules.values() for r in rules if r.effective_alarm_type == alarm.key.type)
            hold_id = f"{alarm.key.as_text()}|{rule.event_type}"
            if hold_id not in self._holds:
                self._holds[hold_id] = _Hold(alarm.key, rule.event_type, alarm.priority, alarm.message)
                self._deadlines.schedule(hold_id, alarm.last_triggered_at + self._hold_s)

    def _condition(self, hold: _Hold, active: bool, ts: float, confidence: float | None) -> Condition:
        return Condition(
            key=hold.key,
            active=active,
            ts=ts,
            priority=hold.priority,
            message=hold.message,
            detector=self.name,
            rule=hold.rule,
            value=confidence,
        )


def _create(settings: DetectorSettings) -> Detector:
    return EventRuleDetector(settings.event_rules, settings.event_hold_s)


register_detector(KIND, _create)
