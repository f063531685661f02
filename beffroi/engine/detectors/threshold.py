"""Threshold detector: a metric beyond a limit for a duration raises; back past a clear level returns to normal.

Per (device, rule) the state is: normal, pending (beyond the limit since some reading time) or active. The value
must stay beyond the limit continuously for `for_s` seconds, measured on reading timestamps, before the
condition becomes active (`for_s = 0` raises on the first reading beyond it). An active condition returns to
normal only once a value is back past `clear_at`; values between `clear_at` and the limit keep the current
state, so a signal oscillating there does not flap. Readings older than the last one seen for a (device, rule)
are ignored, so redelivered or out-of-order readings change nothing.

Rules are indexed by device kind and metric, so a reading costs two dict lookups when no rule applies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import isfinite

from beffroi.domain.alarms import Alarm, AlarmKey, Priority
from beffroi.domain.observations import Reading
from beffroi.domain.registry import Device, DeviceKind
from beffroi.engine.conditions import Condition
from beffroi.engine.detectors.base import NO_CONDITIONS, Detector
from beffroi.engine.detectors.registry import register_detector
from beffroi.engine.detectors.series import SERIES_METRIC, SeriesDetectorSpec, register_series_detector
from beffroi.engine.detectors.series_params import parse_series_params
from beffroi.engine.rules import DetectorSettings, ThresholdRule

KIND = "threshold"


class _State:
    """Where one (device, rule) stands. `active` is None until a reading has decided it; `key` is set once raised."""

    __slots__ = ("active", "key", "last_ts", "since")

    def __init__(self) -> None:
        self.active: bool | None = None
        self.since: float | None = None
        self.last_ts = float("-inf")
        self.key: AlarmKey | None = None


class _CompiledRule:
    """A rule ready for the hot path: a `below` rule is an `above` rule on the negated value."""

    __slots__ = ("clear", "for_s", "limit", "message", "priority", "rule", "sign", "states", "type")

    def __init__(self, rule: ThresholdRule) -> None:
        self.rule = rule
        self.sign = 1.0 if rule.above is not None else -1.0
        self.limit = self.sign * rule.limit
        self.clear = self.sign * rule.clear_limit
        self.for_s = rule.for_s
        self.priority = Priority(rule.priority)
        self.type = rule.effective_alarm_type
        self.message = rule.describe()
        self.states: dict[str, _State] = {}


RuleIndex = dict[str, tuple[_CompiledRule, ...]]


class ThresholdDetector(Detector):
    """Evaluates threshold rules on every reading (see the module docstring for the semantics)."""

    def __init__(self, rules: Sequence[ThresholdRule], name: str = KIND) -> None:
        self.name = name
        self._rules = [_CompiledRule(rule) for rule in rules]
        self._generic: RuleIndex = {}
        self._by_kind: dict[str, RuleIndex] = {}
        self._restored: set[str] = set()
        self._build_index()

    @property
    def rules(self) -> list[ThresholdRule]:
        """The rules evaluated, in the order given."""
        return [compiled.rule for compiled in self._rules]

    def reading_metrics(self) -> frozenset[str]:
        """The metrics of the rules."""
        return frozenset(compiled.rule.metric for compiled in self._rules)

    def _build_index(self) -> None:
        generic: dict[str, list[_CompiledRule]] = {}
        specific: dict[str, dict[str, list[_CompiledRule]]] = {}
        for compiled in self._rules:
            kind = compiled.rule.device_kind
            table = generic if kind is None else specific.setdefault(kind, {})
            table.setdefault(compiled.rule.metric, []).append(compiled)
        self._generic = {metric: tuple(rules) for metric, rules in generic.items()}
        kinds = {kind.value for kind in DeviceKind} | set(specific)
        for kind in kinds:
            merged = {metric: list(rules) for metric, rules in generic.items()}
            for metric, rules in specific.get(kind, {}).items():
                merged.setdefault(metric, []).extend(rules)
            self._by_kind[kind] = {metric: tuple(rules) for metric, rules in merged.items()}

    def on_reading(self, reading: Reading, device: Device) -> Sequence[Condition]:
        """Advance the state of each rule on this device and metric; report the state changes."""
        rules = self._by_kind.get(device.kind, self._generic).get(reading.metric)
        if rules is None:
            return NO_CONDITIONS
        ts = reading.ts
        if not isfinite(ts):
            return NO_CONDITIONS
        conditions: list[Condition] | None = None
        device_id = device.id
        for compiled in rules:
            state = compiled.states.get(device_id)
            if state is None:
                state = compiled.states[device_id] = _State()
            elif ts < state.last_ts:
                continue
            state.last_ts = ts
            value = compiled.sign * reading.value
            if state.active:
                if value < compiled.clear:
                    state.active = False
                    state.since = None
                    conditions = conditions or []
                    conditions.append(self._condition(compiled, device, False, ts, reading.value))
            elif value > compiled.limit:
                if state.since is None:
                    state.since = ts
                if ts - state.since >= compiled.for_s:
                    state.active = True
                    raised = self._condition(compiled, device, True, ts, reading.value)
                    state.key = raised.key
                    conditions = conditions or []
                    conditions.append(raised)
            else:
                state.since = None
                if state.active is None and value < compiled.clear:
                    state.active = False
                    if self._restored:
                        restored = self._restored_condition(compiled, device, ts, reading.value)
                        if restored is not None:
                            conditions = conditions or []
                            conditions.append(restored)
        return conditions or NO_CONDITIONS

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

    def _restored_condition(self, compiled: _CompiledRule, device: Device, ts: float, value: float) -> Condition | None:
        """A return to normal for an alarm restored active from before a restart, on its first normal reading."""
        key_text = _key(compiled, device).as_text()
        if key_text not in self._restored:
            return None
        self._restored.discard(key_text)
        return self._condition(compiled, device, False, ts, value)

    def on_devices(self, devices: Mapping[str, Device]) -> None:
        """Forget the state of devices that left the registry.

        An active condition is remembered like a restored alarm, so if the device comes back its first
        normal reading still returns the alarm to normal.
        """
        for compiled in self._rules:
            for device_id in [d for d in compiled.states if d not in devices]:
                state = compiled.states.pop(device_id)
                if state.active and state.key is not None:
                    self._restored.add(state.key.as_text())

    def on_restore(self, alarms: Sequence[Alarm]) -> None:
        """Remember the open alarms with an active condition of the types these rules raise."""
        types = {compiled.type for compiled in self._rules}
        self._restored.update(a.key.as_text() for a in alarms if a.condition_active and a.key.type in types)


def _key(compiled: _CompiledRule, device: Device) -> AlarmKey:
    return AlarmKey(device.tenant_id, device.id, compiled.type, device.site_id, device.zone_id)


def _create(settings: DetectorSettings) -> Detector:
    return ThresholdDetector(settings.threshold_rules)


register_detector(KIND, _create)

SERIES_PARAMS = {
    "above": "raise when the value is above this (set `above` or `below`)",
    "below": "raise when the value is below this",
    "clear_at": "return to normal once the value is back past this (default: the limit)",
    "for_s": "seconds the value must stay beyond the limit before raising (default 0)",
}


def _series(params: Mapping[str, str]) -> Detector:
    fixed = {"name": KIND, "metric": SERIES_METRIC}
    return ThresholdDetector([parse_series_params(KIND, params, ThresholdRule, SERIES_PARAMS, fixed)])


register_series_detector(
    SeriesDetectorSpec(KIND, _series, "The value beyond a limit for a duration, with hysteresis.", SERIES_PARAMS)
)
