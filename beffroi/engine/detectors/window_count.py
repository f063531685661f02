"""Sliding-window count detector: at least `count` matching events (or readings) within `window_s` seconds at one
device, zone or site raises; fewer than `count` in the window returns to normal.

Per (rule, device / zone / site) the detector keeps the newest `count` matching items, sorted by time, so memory
is bounded whatever the rate. The window is full when the oldest of them is within `window_s` of the newest:
the condition becomes active then, at the time of the item that filled it. A deadline queue wakes the group
when its oldest item leaves the window (relative to the engine's ticks): the condition returns to normal, and a
group with nothing left in its window is forgotten. Items arriving late are placed in time order; an item
already out of the window at the last tick, the same event id or (device, time) twice, and non-finite times or
values are ignored. Events are grouped by their place, else their source device's; readings by their device's.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

from beffroi.domain.alarms import Alarm, AlarmKey, Priority
from beffroi.domain.observations import Event, Reading
from beffroi.domain.registry import Device
from beffroi.engine.conditions import Condition
from beffroi.engine.detectors.base import NO_CONDITIONS, Detector
from beffroi.engine.detectors.deadlines import DeadlineQueue
from beffroi.engine.detectors.registry import register_detector
from beffroi.engine.detectors.rule_index import RuleIndex
from beffroi.engine.rules import DetectorSettings, WindowCountRule

KIND = "window_count"


class _Group:
    """The newest matching items of one (rule, device / zone / site), oldest first."""

    __slots__ = ("active", "items", "key", "rule_index")

    def __init__(self, key: AlarmKey, rule_index: int) -> None:
        self.key = key
        self.rule_index = rule_index
        self.items: list[tuple[float, str]] = []
        self.active = False


class _CompiledRule:
    """A rule ready for the hot path."""

    __slots__ = ("index", "message", "priority", "rule", "type")

    def __init__(self, index: int, rule: WindowCountRule) -> None:
        self.index = index
        self.rule = rule
        self.priority = Priority(rule.priority)
        self.type = rule.effective_alarm_type
        self.message = rule.describe()

    def matches_value(self, value: float) -> bool:
        """Whether a reading's value counts."""
        rule = self.rule
        if rule.above is not None:
            return value > rule.above
        if rule.below is not None:
            return value < rule.below
        return True

    def accepts(self, device: Device | None) -> bool:
        """Whether the rule watches this source."""
        kind = self.rule.device_kind
        return kind is None or (device is not None and device.kind == kind)


class WindowCountDetector(Detector):
    """Counts matching events and readings in sliding windows (see the module docstring)."""

    def __init__(self, rules: Sequence[WindowCountRule], name: str = KIND) -> None:
        self.name = name
        self._rules = [_CompiledRule(index, rule) for index, rule in enumerate(rules)]
        self._by_event: dict[str, list[_CompiledRule]] = {}
        for compiled in self._rules:
            if compiled.rule.event_type is not None:
                self._by_event.setdefault(compiled.rule.event_type, []).append(compiled)
        self._by_metric = RuleIndex(
            [(c.rule.device_kind, c.rule.metric, c) for c in self._rules if c.rule.metric is not None]
        )
        self._groups: dict[str, _Group] = {}
        self._deadlines = DeadlineQueue()
        self._last_tick = -math.inf

    @property
    def rules(self) -> list[WindowCountRule]:
        """The rules evaluated, in the order given."""
        return [compiled.rule for compiled in self._rules]

    def reading_metrics(self) -> frozenset[str]:
        """The metrics of the rules that count readings."""
        return frozenset(c.rule.metric for c in self._rules if c.rule.metric is not None)

    @property
    def groups_held(self) -> int:
        """How many devices, zones or sites have items in a window (or an active condition)."""
        return len(self._groups)

    @property
    def items_held(self) -> int:
        """How many items the windows hold: at most each rule's `count` per device, zone or site."""
        return sum(len(group.items) for group in self._groups.values())

    def on_event(self, event: Event, device: Device | None) -> Sequence[Condition]:
        """Count the event in each matching rule's window."""
        rules = self._by_event.get(event.type)
        if rules is None or not math.isfinite(event.ts):
            return NO_CONDITIONS
        site_id = event.site_id if event.site_id is not None else (device.site_id if device else None)
        zone_id = event.zone_id if event.zone_id is not None else (device.zone_id if device else None)
        conditions: list[Condition] = []
        for compiled in rules:
            if not compiled.accepts(device) or not event.confidence >= compiled.rule.min_confidence:
                continue
            key = _group_key(compiled, event.tenant_id, event.source, site_id, zone_id)
            if key is not None:
                changed = self._add(compiled, key, event.ts, f"event:{event.event_id}")
                if changed is not None:
                    conditions.append(changed)
        return conditions or NO_CONDITIONS

    def on_reading(self, reading: Reading, device: Device) -> Sequence[Condition]:
        """Count the reading in each matching rule's window when its value matches."""
        rules = self._by_metric.lookup(device.kind, reading.metric)
        if rules is None:
            return NO_CONDITIONS
        ts, value = reading.ts, reading.value
        if not (math.isfinite(ts) and math.isfinite(value)):
            return NO_CONDITIONS
        conditions: list[Condition] = []
        for compiled in rules:
            if not compiled.matches_value(value):
                continue
            key = _group_key(compiled, device.tenant_id, device.id, device.site_id, device.zone_id)
            if key is not None:
                changed = self._add(compiled, key, ts, f"reading:{device.id}")
                if changed is not None:
                    conditions.append(changed)
        return conditions or NO_CONDITIONS

    def _add(self, compiled: _CompiledRule, key: AlarmKey, ts: float, identity: str) -> Condition | None:
        window = compiled.rule.window_s
        if ts + window <= self._last_tick:
            return None
        group_id = f"{compiled.index}|{key.as_text()}"
        group = self._groups.get(group_id)
        if group is None:
            group = self._groups[group_id] = _Group(key, compiled.index)
        items = group.items
        item = (ts, identity)
        position = bisect.bisect_left(items, item)
        if position < len(items) and items[position] == item:
            return None
        count = compiled.rule.count
        if len(items) >= count and position == 0:
            return None  # older than the newest `count` items: it cannot fill the window
        items.insert(position, item)
        if len(items) > count:
            del items[0]
        full = len(items) == count and items[-1][0] - items[0][0] <= window
        self._schedule(group_id, group, window)
        if full and not group.active:
            group.active = True
            return self._condition(compiled, group.key, True, ts, float(count))
        return None

    def _schedule(self, group_id: str, group: _Group, window: float) -> None:
        """Wake the group when its window content changes with time: the oldest (if full) or newest item leaves."""
        items = group.items
        anchor = items[0][0] if group.active else items[-1][0]
        self._deadlines.schedule(group_id, anchor + window)

    def on_tick(self, now: float) -> Sequence[Condition]:
        """Slide the windows to `now`: groups whose window no longer holds `count` items return to normal."""
        if not math.isfinite(now):
            return NO_CONDITIONS
        self._last_tick = max(self._last_tick, now)
        conditions: list[Condition] = []
        for group_id in self._deadlines.pop_due(now):
            group = self._groups[group_id]
            compiled = self._rules[group.rule_index]
            window = compiled.rule.window_s
            items = group.items
            while items and items[0][0] + window <= now:
                del items[0]
            if group.active and len(items) < compiled.rule.count:
                group.active = False
                conditions.append(self._condition(compiled, group.key, False, now, float(len(items))))
            if items:
                self._schedule(group_id, group, window)
            else:
                del self._groups[group_id]
        return conditions or NO_CONDITIONS

    def on_restore(self, alarms: Sequence[Alarm]) -> None:
        """Open alarms with an active condition of these rules' types are active groups with an empty window
        (the items before the restart are lost): they return to normal `window_s` after their last trigger unless
        new items fill the window again."""
        for alarm in alarms:
            if not alarm.condition_active or not math.isfinite(alarm.last_triggered_at):
                continue
            compiled = next((c for c in self._rules if c.type == alarm.key.type), None)
            if compiled is None:
                continue
            group_id = f"{compiled.index}|{alarm.key.as_text()}"
            if group_id not in self._groups:
                group = self._groups[group_id] = _Group(alarm.key, compiled.index)
                group.active = True
                self._deadlines.schedule(group_id, alarm.last_triggered_at + compiled.rule.window_s)

    def _condition(self, compiled: _CompiledRule, key: AlarmKey, active: bool, ts: float, count: float) -> Condition:
        return Condition(
            key=key,
            active=active,
            ts=ts,
            priority=compiled.priority,
            message=compiled.message,
            detector=self.name,
            rule=compiled.rule.name,
            value=count,
        )


def _group_key(
    compiled: _CompiledRule, tenant_id: str, source: str, site_id: str | None, zone_id: str | None
) -> AlarmKey | None:
    """The alarm key of the item's group: its device, its zone or its site (None when it has no such place)."""
    group_by = compiled.rule.group_by
    if group_by == "device":
        return AlarmKey(tenant_id, source, compiled.type, site_id, zone_id)
    if group_by == "zone":
        return None if zone_id is None else AlarmKey(tenant_id, zone_id, compiled.type, site_id, zone_id)
    return None if site_id is None else AlarmKey(tenant_id, site_id, compiled.type, site_id, None)


def _create(settings: DetectorSettings) -> Detector:
    return WindowCountDetector(settings.window_count_rules)


register_detector(KIND, _create)
