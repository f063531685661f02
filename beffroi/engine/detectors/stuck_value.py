"""Stuck-value detector: a metric that normally varies keeps the same value, a sign of a frozen sensor.

Per (device, rule) the detector follows the current run: its first value (the anchor), when it started and how
many readings it holds. A reading within `epsilon` of the anchor extends the run; once the run holds
`min_count` readings and/or lasts `for_s` seconds (as the rule sets), the condition becomes active. The first
reading further than `epsilon` from the anchor returns it to normal and starts a new run. A reading not newer
than the last one seen (a redelivery, an out-of-order reading) and non-finite values or times are ignored, so
the same reading never counts twice.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from beffroi.domain.alarms import Alarm, AlarmKey, Priority
from beffroi.domain.observations import Reading
from beffroi.domain.registry import Device
from beffroi.engine.conditions import Condition
from beffroi.engine.detectors.base import NO_CONDITIONS, Detector
from beffroi.engine.detectors.registry import register_detector
from beffroi.engine.detectors.rule_index import RuleIndex
from beffroi.engine.detectors.series import SERIES_METRIC, SeriesDetectorSpec, register_series_detector
from beffroi.engine.detectors.series_params import parse_series_params
from beffroi.engine.rules import DetectorSettings, StuckValueRule

KIND = "stuck_value"


class _Run:
    """The current run of equal values of one (device, rule)."""

    __slots__ = ("active", "anchor", "count", "key", "last_ts", "since")

    def __init__(self, ts: float, value: float) -> None:
        self.anchor = value
        self.since = ts
        self.last_ts = ts
        self.count = 1
        self.active = False
        self.key: AlarmKey | None = None


class _CompiledRule:
    """A rule ready for the hot path."""

    __slots__ = ("epsilon", "for_s", "message", "min_count", "priority", "rule", "runs", "type")

    def __init__(self, rule: StuckValueRule) -> None:
        self.rule = rule
        self.epsilon = rule.epsilon
        self.min_count = rule.min_count if rule.min_count is not None else 1
        self.for_s = rule.for_s if rule.for_s is not None else 0.0
        self.priority = Priority(rule.priority)
        self.type = rule.effective_alarm_type
        self.message = rule.describe()
        self.runs: dict[str, _Run] = {}

    def is_stuck(self, run: _Run) -> bool:
        """True once the run is long enough, in readings and in time."""
        return run.count >= self.min_count and run.last_ts - run.since >= self.for_s


class StuckValueDetector(Detector):
    """Evaluates stuck-value rules on every reading (see the module docstring)."""

    def __init__(self, rules: Sequence[StuckValueRule], name: str = KIND) -> None:
        self.name = name
        self._rules = [_CompiledRule(rule) for rule in rules]
        self._index = RuleIndex(
            [(compiled.rule.device_kind, compiled.rule.metric, compiled) for compiled in self._rules]
        )
        self._restored: set[str] = set()

    @property
    def rules(self) -> list[StuckValueRule]:
        """The rules evaluated, in the order given."""
        return [compiled.rule for compiled in self._rules]

    def reading_metrics(self) -> frozenset[str]:
        """The metrics of the rules."""
        return frozenset(compiled.rule.metric for compiled in self._rules)

    def on_reading(self, reading: Reading, device: Device) -> Sequence[Condition]:
        """Extend or restart each matching rule's run; report the state changes."""
        rules = self._index.lookup(device.kind, reading.metric)
        if rules is None:
            return NO_CONDITIONS
        ts, value = reading.ts, reading.value
        if not (math.isfinite(ts) and math.isfinite(value)):
            return NO_CONDITIONS
        conditions: list[Condition] | None = None
        for compiled in rules:
            changed = self._advance(compiled, device, ts, value)
            if changed is not None:
                conditions = conditions or []
                conditions.append(changed)
        return conditions or NO_CONDITIONS

    def _advance(self, compiled: _CompiledRule, device: Device, ts: float, value: float) -> Condition | None:
        run = compiled.runs.get(device.id)
        if run is None:
            compiled.runs[device.id] = self._first_run(compiled, device, ts, value)
            return None
        if ts <= run.last_ts:
            return None
        if abs(value - run.anchor) <= compiled.epsilon:
            run.last_ts = ts
            run.count += 1
            if not run.active and compiled.is_stuck(run):
                run.active = True
                raised = self._condition(compiled, device, True, ts, value)
                run.key = raised.key
                return raised
            return None
        was_active = run.active
        compiled.runs[device.id] = _Run(ts, value)
        return self._condition(compiled, device, False, ts, value) if was_active else None

    def _first_run(self, compiled: _CompiledRule, device: Device, ts: float, value: float) -> _Run:
        """A device's first reading for a rule: its run is active already if its alarm was restored active."""
        run = _Run(ts, value)
        if self._restored:
            key = _key(compiled, device)
            key_text = key.as_text()
            if key_text in self._restored:
                self._restored.discard(key_text)
                run.active = True
                run.key = key
        return run

    def _condition(self, compiled: _CompiledRule, device: Device, active: bool, ts: float, value: float) -> Condition:
        return Condition(
            key=_key(compiled, device),
            active=active,
            ts=ts,
            priority=compiled.priority,
            message=compiled.message,
            detector=self.name,
            rule=compiled.rule.name,
            value=value,
        )

    def on_devices(self, devices: Mapping[str, Device]) -> None:
        """Forget the runs of devices that left the registry (an active one is remembered like a restored alarm)."""
        for compiled in self._rules:
            for device_id in [d for d in compiled.runs if d not in devices]:
                run = compiled.runs.pop(device_id)
                if run.active and run.key is not None:
                    self._restored.add(run.key.as_text())

    def on_restore(self, alarms: Sequence[Alarm]) -> None:
        """Open alarms with an active condition of these rules' types stay active until the value moves."""
        types = {compiled.type for compiled in self._rules}
        self._restored.update(a.key.as_text() for a in alarms if a.condition_active and a.key.type in types)


def _key(compiled: _CompiledRule, device: Device) -> AlarmKey:
    return AlarmKey(device.tenant_id, device.id, compiled.type, device.site_id, device.zone_id)


def _create(settings: DetectorSettings) -> Detector:
    return StuckValueDetector(settings.stuck_value_rules)


register_detector(KIND, _create)

SERIES_PARAMS = {
    "epsilon": "values within this of the run's first value count as the same (default 0)",
    "min_count": "raise after this many equal readings (set min_count, for_s or both)",
    "for_s": "raise after equal readings for this many seconds",
}


def _series(params: Mapping[str, str]) -> Detector:
    fixed = {"name": KIND, "metric": SERIES_METRIC}
    return StuckValueDetector([parse_series_params(KIND, params, StuckValueRule, SERIES_PARAMS, fixed)])


register_series_detector(
    SeriesDetectorSpec(KIND, _series, "The same value for N readings or T seconds (a frozen sensor).", SERIES_PARAMS)
)
