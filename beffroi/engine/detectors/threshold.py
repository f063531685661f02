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

from beffroi.domain.alarms import AlarmKey
from beffroi.domain.registry import Device
from beffroi.engine.conditions import Condition
from beffroi.engine.detectors.base import Detector
from beffroi.engine.detectors.per_device_rules import CompiledRule, PerDeviceRuleDetector
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


class _CompiledRule(CompiledRule[ThresholdRule, _State]):
    """A rule ready for the hot path: a `below` rule is an `above` rule on the negated value."""

    def __init__(self, rule: ThresholdRule) -> None:
        super().__init__(rule)
        self.sign = 1.0 if rule.above is not None else -1.0
        self.limit = self.sign * rule.limit
        self.clear = self.sign * rule.clear_limit
        self.for_s = rule.for_s


class ThresholdDetector(PerDeviceRuleDetector[ThresholdRule, _CompiledRule]):
    """Evaluates threshold rules on every reading (see the module docstring for the semantics). An alarm restored
    active returns to normal on the device's first normal reading."""

    infinite_values = True

    def __init__(self, rules: Sequence[ThresholdRule], name: str = KIND) -> None:
        super().__init__([_CompiledRule(rule) for rule in rules], name)

    def _advance(self, compiled: _CompiledRule, device: Device, ts: float, value: float) -> Condition | None:
        state = compiled.states.get(device.id)
        if state is None:
            state = compiled.states[device.id] = _State()
        elif ts < state.last_ts:
            return None
        state.last_ts = ts
        signed = compiled.sign * value
        if state.active:
            if signed < compiled.clear:
                state.active = False
                state.since = None
                return self._condition(compiled, device, False, ts, value)
        elif signed > compiled.limit:
            if state.since is None:
                state.since = ts
            if ts - state.since >= compiled.for_s:
                state.active = True
                raised = self._condition(compiled, device, True, ts, value)
                state.key = raised.key
                return raised
        else:
            state.since = None
            if state.active is None and signed < compiled.clear:
                state.active = False
                if self._take_restored(compiled, device) is not None:
                    return self._condition(compiled, device, False, ts, value)
        return None


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
