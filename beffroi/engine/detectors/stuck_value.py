"""Stuck-value detector: a metric that normally varies keeps the same value, a sign of a frozen sensor.

Per (device, rule) the detector follows the current run: its first value (the anchor), when it started and how
many readings it holds. A reading within `epsilon` of the anchor extends the run; once the run holds
`min_count` readings and/or lasts `for_s` seconds (as the rule sets), the condition becomes active. The first
reading further than `epsilon` from the anchor returns it to normal and starts a new run. A reading not newer
than the last one seen (a redelivery, an out-of-order reading) and non-finite values or times are ignored, so
the same reading never counts twice.
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
        self.active: bool | None = False
        self.key: AlarmKey | None = None


class _CompiledRule(CompiledRule[StuckValueRule, _Run]):
    """A rule ready for the hot path."""

    def __init__(self, rule: StuckValueRule) -> None:
        super().__init__(rule)
        self.epsilon = rule.epsilon
        self.min_count = rule.min_count if rule.min_count is not None else 1
        self.for_s = rule.for_s if rule.for_s is not None else 0.0

    def is_stuck(self, run: _Run) -> bool:
        """True once the run is long enough, in readings and in time."""
        return run.count >= self.min_count and run.last_ts - run.since >= self.for_s


class StuckValueDetector(PerDeviceRuleDetector[StuckValueRule, _CompiledRule]):
    """Evaluates stuck-value rules on every reading (see the module docstring). An alarm restored active stays
    active until the value moves."""

    def __init__(self, rules: Sequence[StuckValueRule], name: str = KIND) -> None:
        super().__init__([_CompiledRule(rule) for rule in rules], name)

    def _advance(self, compiled: _CompiledRule, device: Device, ts: float, value: float) -> Condition | None:
        run = compiled.states.get(device.id)
        if run is None:
            run = compiled.states[device.id] = _Run(ts, value)
            restored = self._take_restored(compiled, device)
            if restored is not None:
                run.active, run.key = True, restored
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
        compiled.states[device.id] = _Run(ts, value)
        return self._condition(compiled, device, False, ts, value) if was_active else None


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
