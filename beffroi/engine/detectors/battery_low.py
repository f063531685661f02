"""Battery-low detector: a device's battery charge below a level raises "battery_low"; above the clear level
returns it to normal.

It is a threshold on the battery metric (`battery_pct` by default) with the same semantics as the threshold
detector (duration, hysteresis, out-of-order readings ignored, restart), limited to the device kinds the rule
names (every device that reports the metric when it names none); non-finite values are ignored. Default: below
15 %, clear at 20 %.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import isfinite

from beffroi.domain.alarms import Alarm
from beffroi.domain.observations import Reading
from beffroi.domain.registry import Device
from beffroi.engine.conditions import Condition
from beffroi.engine.detectors.base import NO_CONDITIONS, Detector
from beffroi.engine.detectors.registry import register_detector
from beffroi.engine.detectors.series import SERIES_METRIC, SeriesDetectorSpec, register_series_detector
from beffroi.engine.detectors.series_params import parse_series_params
from beffroi.engine.detectors.threshold import ThresholdDetector
from beffroi.engine.rules import BatteryRule, DetectorSettings, ThresholdRule

KIND = "battery_low"
RULE = "battery_low"


class BatteryLowDetector(Detector):
    """Raises the rule's alarm type (default "battery_low") for devices whose battery runs low."""

    def __init__(self, rule: BatteryRule | None, name: str = KIND) -> None:
        self.name = name
        self._rule = rule
        self._metric = rule.metric if rule is not None else None
        self._kinds = frozenset(rule.device_kinds) if rule is not None and rule.device_kinds is not None else None
        threshold_rules = [] if rule is None else [_threshold_rule(rule)]
        self._threshold = ThresholdDetector(threshold_rules, name=name)

    @property
    def rule(self) -> BatteryRule | None:
        """The rule evaluated (None: the detector is off)."""
        return self._rule

    def reading_metrics(self) -> frozenset[str]:
        """The battery metric (none when the detector is off)."""
        return frozenset() if self._metric is None else frozenset({self._metric})

    def on_reading(self, reading: Reading, device: Device) -> Sequence[Condition]:
        """A battery reading of a watched device moves its threshold state."""
        if reading.metric != self._metric or (self._kinds is not None and device.kind not in self._kinds):
            return NO_CONDITIONS
        if not isfinite(reading.value):
            return NO_CONDITIONS
        return self._threshold.on_reading(reading, device)

    def on_devices(self, devices: Mapping[str, Device]) -> None:
        """Forget devices that left the registry."""
        self._threshold.on_devices(devices)

    def on_restore(self, alarms: Sequence[Alarm]) -> None:
        """Open battery alarms return to normal on the device's first charged reading."""
        self._threshold.on_restore(alarms)


def _threshold_rule(rule: BatteryRule) -> ThresholdRule:
    return ThresholdRule(
        name=RULE,
        metric=rule.metric,
        below=rule.below,
        clear_at=rule.clear_at,
        for_s=rule.for_s,
        priority=rule.priority,
        alarm_type=rule.alarm_type,
        message=rule.describe(),
    )


def _create(settings: DetectorSettings) -> Detector:
    return BatteryLowDetector(settings.battery)


register_detector(KIND, _create)

SERIES_PARAMS = {
    "below": "raise when the charge (%) is below this (default 15)",
    "clear_at": "return to normal once the charge is back above this (default 20)",
    "for_s": "seconds the charge must stay low before raising (default 0)",
}


def _series(params: Mapping[str, str]) -> Detector:
    fixed = {"metric": SERIES_METRIC}
    return BatteryLowDetector(parse_series_params(KIND, params, BatteryRule, SERIES_PARAMS, fixed))


register_series_detector(
    SeriesDetectorSpec(KIND, _series, "A battery charge (%) below a level, with hysteresis.", SERIES_PARAMS)
)
