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

from collections import deque
from collections.abc import Mapping, Sequence

from beffroi.domain.alarms import AlarmKey
from beffroi.domain.registry import Device
from beffroi.engine.conditions import Condition
from beffroi.engine.detectors.base import Detector
from beffroi.engine.detectors.per_device_rules import CompiledRule, PerDeviceRuleDetector
from beffroi.engine.detectors.registry import register_detector
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
        self.active: bool | None = False
        self.key: AlarmKey | None = None


class _CompiledRule(CompiledRule[RateOfChangeRule, _Series]):
    """A rule ready for the hot path: limits in value units per second, and a sign for the direction."""

    def __init__(self, rule: RateOfChangeRule) -> None:
        super().__init__(rule)
        self.limit = rule.max_rate / rule.seconds_per_unit
        self.clear = rule.clear_limit / rule.seconds_per_unit
        self.window = rule.window_s

    def directed(self, rate_per_s: float) -> float:
        """The rate as this rule sees it: rises positive for "rise", falls positive for "fall", both for "both"."""
        direction = self.rule.direction
        if direction == "rise":
            return rate_per_s
        if direction == "fall":
            return -rate_per_s
        return abs(rate_per_s)


class RateOfChangeDetector(PerDeviceRuleDetector[RateOfChangeRule, _CompiledRule]):
    """Evaluates rate-of-change rules on every reading (see the module docstring). An alarm restored active
    returns to normal on the first slow reading. A condition's value is the signed rate in the rule's unit
    (negative while falling)."""

    def __init__(self, rules: Sequence[RateOfChangeRule], name: str = KIND) -> None:
        super().__init__([_CompiledRule(rule) for rule in rules], name)

    def _advance(self, compiled: _CompiledRule, device: Device, ts: float, value: float) -> Condition | None:
        series = compiled.states.get(device.id)
        if series is None:
            series = compiled.states[device.id] = _Series()
            restored = self._take_restored(compiled, device)
            if restored is not None:
                series.active, series.key = True, restored
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
        unit = compiled.rule.seconds_per_unit
        if series.active:
            if rate < compiled.clear:
                series.active = False
                return self._condition(compiled, device, False, ts, signed * unit)
        elif rate > compiled.limit:
            series.active = True
            raised = self._condition(compiled, device, True, ts, signed * unit)
            series.key = raised.key
            return raised
        return None


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
