"""Rate-of-change detector: a metric changing faster than a limit raises; slower than the clear rate returns to
normal.

Per (device, rule) the detector keeps the readings of the last `window_s` seconds (at most `MAX_SAMPLES`, and
always the previous one). The rate of a reading is its change from the oldest reading kept, divided by the time
between them, in the rule's unit (per second or per minute): a window longer than the reporting interval smooths
out single noisy readings. The condition becomes active on the first reading whose rate (in the rule's
direction) is above `max_rate` and returns to normal on the first one under `clear_rate`. Readings not newer
than the last one seen, and non-finite values or times, are ignored.
"""

from __future__ import annotations

import math
from collections import deque
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
from beffroi.engine.rules import DetectorSettings, RateOfChangeRule

KIND = "rate_of_change"
MAX_SAMPLES = 512
"""Readings kept per (device, rule): a device reporting faster than this within one window has its rate measured
over a shorter span."""


class _Series:
    """The recent readings of one (device, rule) and whether its condition is active."""

    __slots__ = ("active", "key", "samples")

    def __init__(self) -> None:
        self.samples: deque[tuple[float, float]] = deque(maxlen=MAX_SAMPLES)
        self.active = False
        self.key: AlarmKey | None = None


class _CompiledRule:
    """A rule ready for the hot path: limits in value units per second, and a sign for the direction."""

    __slots__ = ("clear", "limit", "message", "priority", "rule", "series", "type", "window")

    def __init__(self, rule: RateOfChangeRule) -> None:
        self.rule = rule
        self.limit = rule.max_rate / rule.seconds_per_unit
        self.clear = rule.clear_limit / rule.seconds_per_unit
        self.window = rule.window_s
        self.priority = Priority(rule.priority)
        self.type = rule.effective_alarm_type
        self.message = rule.describe()
        self.series: dict[str, _Series] = {}

    def directed(self, rate_per_s: float) -> float:
        """The rate as this rule sees it: rises positive for "rise", falls positive for "fall", both for "both"."""
        direction = self.rule.direction
        if direction == "rise":
            return rate_per_s
        if direction == "fall":
            return -rate_per_s
        return abs(rate_per_s)


class RateOfChangeDetector(Detector):
    """Evaluates rate-of-change rules on every reading (see the module docstring)."""

    def __init__(self, rules: Sequence[RateOfChangeRule], name: str = KIND) -> None:
        self.name = name
        self._rules = [_CompiledRule(rule) for rule in rules]
        self._index = RuleIndex(
            [(compiled.rule.device_kind, compiled.rule.metric, compiled) for compiled in self._rules]
        )
        self._restored: set[str] = set()

    @property
    def rules(self) -> list[RateOfChangeRule]:
        """The rules evaluated, in the order given."""
        return [compiled.rule for compiled in self._rules]

    def reading_metrics(self) -> frozenset[str]:
        """The metrics of the rules."""
        return frozenset(compiled.rule.metric for compiled in self._rules)

    def on_reading(self, reading: Reading, device: Device) -> Sequence[Condition]:
        """Update each matching rule's window with the reading; report the state changes."""
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
        series = compiled.series.get(device.id)
        if series is None:
            series = compiled.series[device.id] = self._new_series(compiled, device)
        samples = series.samples
        if samples and ts <= samples[-1][0]:
            return None
        samples.append((ts, value))
        if len(samples) < 2:
            return None
        cutoff = ts - compiled.window
        while len(samples) > 2 and samples[0][0] < cutoff:
            samples.popleft()
        first_ts, first_value = samples[0]
        signed = (value - first_value) / (ts - first_ts)
        rate = compiled.directed(signed)
        if series.active:
            if rate < compiled.clear:
                series.active = False
                return self._condition(compiled, device, False, ts, signed)
        elif rate > compiled.limit:
            series.active = True
            raised = self._condition(compiled, device, True, ts, signed)
            series.key = raised.key
            return raised
        return None

    def _new_series(self, compiled: _CompiledRule, device: Device) -> _Series:
        """A device's first reading for a rule: active already if its alarm was restored active."""
        series = _Series()
        if self._restored:
            key = _key(compiled, device)
            key_text = key.as_text()
            if key_text in self._restored:
                self._restored.discard(key_text)
                series.active = True
                series.key = key
        return series

    def _condition(
        self, compiled: _CompiledRule, device: Device, active: bool, ts: float, rate_per_s: float
    ) -> Condition:
        """The condition, its value the signed rate in the rule's unit (negative while falling)."""
        return Condition(
            key=_key(compiled, device),
            active=active,
            ts=ts,
            priority=compiled.priority,
            message=compiled.message,
            detector=self.name,
            rule=compiled.rule.name,
            value=rate_per_s * compiled.rule.seconds_per_unit,
        )

    def on_devices(self, devices: Mapping[str, Device]) -> None:
        """Forget the windows of devices that left the registry (an active one is remembered like a restored
        alarm, so the device's first slow reading still returns it to normal if it comes back)."""
        for compiled in self._rules:
            for device_id in [d for d in compiled.series if d not in devices]:
                series = compiled.series.pop(device_id)
                if series.active and series.key is not None:
                    self._restored.add(series.key.as_text())

    def on_restore(self, alarms: Sequence[Alarm]) -> None:
        """Open alarms with an active condition of these rules' types return to normal on a slow reading."""
        types = {compiled.type for compiled in self._rules}
        self._restored.update(a.key.as_text() for a in alarms if a.condition_active and a.key.type in types)


def _key(compiled: _CompiledRule, device: Device) -> AlarmKey:
    return AlarmKey(device.tenant_id, device.id, compiled.type, device.site_id, device.zone_id)


def _create(settings: DetectorSettings) -> Detector:
    return RateOfChangeDetector(settings.rate_of_change_rules)


register_detector(KIND, _create)

SERIES_PARAMS = {
    "max_rate": "raise when the value changes faster than this, in value units per `per` (required)",
    "per": "the rate's time unit: s or min (default min)",
    "window_s": "the rate is measured over the readings of this many seconds (default 60)",
    "clear_rate": "return to normal once the rate is under this (default: max_rate)",
    "direction": "rise, fall or both (default both)",
}


def _series(params: Mapping[str, str]) -> Detector:
    fixed = {"name": KIND, "metric": SERIES_METRIC}
    return RateOfChangeDetector([parse_series_params(KIND, params, RateOfChangeRule, SERIES_PARAMS, fixed)])


register_series_detector(
    SeriesDetectorSpec(KIND, _series, "The value changing faster than a rate over a window.", SERIES_PARAMS)
)
