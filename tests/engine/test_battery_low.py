"""Battery-low detector: level and hysteresis, the kinds watched, odd input, restart, and the default config."""

from __future__ import annotations

import math

import pydantic
import pytest

from beffroi.config import parse_config
from beffroi.config_engine import DEFAULT_THRESHOLD_RULES, BatteryLowConfig
from beffroi.domain.alarms import AlarmKey, Priority
from beffroi.domain.registry import Device, DeviceKind
from beffroi.engine.conditions import Condition
from beffroi.engine.detectors.battery_low import BatteryLowDetector
from beffroi.engine.rules import BatteryRule
from beffroi.errors import ConfigError
from tests.engine.builders import T0, device, open_alarm, reading

PIR = device("pir-1", DeviceKind.INTRUSION_PIR)


def feed(detector: BatteryLowDetector, values: list[float], dev: Device = PIR, start: float = T0) -> list[Condition]:
    """Every condition the battery readings of `dev`, one second apart, produce."""
    out: list[Condition] = []
    for i, value in enumerate(values):
        out.extend(detector.on_reading(reading(dev, "battery_pct", value, start + i), dev))
    return out


def test_below_15_raises_battery_low_and_above_20_returns_to_normal() -> None:
    detector = BatteryLowDetector(BatteryRule())
    conditions = feed(detector, [50.0, 16.0, 14.9, 18.0, 19.9, 20.0, 20.1, 14.0])
    assert [(c.active, c.value) for c in conditions] == [(True, 14.9), (False, 20.1), (True, 14.0)]
    raised = conditions[0]
    assert raised.key == AlarmKey("t1", "pir-1", "battery_low", "site-a", "zone-1")
    assert (raised.priority, raised.message, raised.cause) == (
        Priority.LOW,
        "Battery below 15 %",
        ("battery_low", "battery_low"),
    )


def test_device_kinds_limit_the_devices_watched_and_none_means_every_reporting_device() -> None:
    only_trackers = BatteryLowDetector(BatteryRule(device_kinds=("gps_tracker",)))
    every = BatteryLowDetector(BatteryRule())
    gps = device("gps-1", DeviceKind.GPS_TRACKER)
    counter = device("pc-1", DeviceKind.PEOPLE_COUNTER)
    assert feed(only_trackers, [5.0]) == []
    assert [c.key.source for c in feed(only_trackers, [5.0], gps)] == ["gps-1"]
    assert [c.key.source for c in feed(every, [5.0], counter)] == ["pc-1"]


def test_other_metrics_non_finite_and_out_of_order_readings_are_ignored() -> None:
    detector = BatteryLowDetector(BatteryRule())
    assert detector.on_reading(reading(PIR, "motion", 0.0, T0), PIR) == ()
    assert feed(detector, [math.nan, -math.inf, math.inf]) == []
    assert feed(detector, [80.0], start=T0 + 10) == []
    assert feed(detector, [5.0], start=T0 + 5) == []  # older than the last reading
    assert [c.active for c in feed(detector, [5.0], start=T0 + 11)] == [True]


def test_a_disabled_detector_does_nothing() -> None:
    detector = BatteryLowDetector(None)
    assert detector.rule is None
    assert feed(detector, [1.0, 2.0]) == []


def test_restored_alarm_returns_to_normal_on_the_first_charged_reading() -> None:
    detector = BatteryLowDetector(BatteryRule())
    detector.on_restore([open_alarm("a-1", AlarmKey("t1", "pir-1", "battery_low", "site-a", "zone-1"))])
    (rtn,) = feed(detector, [95.0])
    assert (rtn.active, rtn.key.type) == (False, "battery_low")


def test_the_default_config_watches_batteries_with_this_detector_not_a_threshold_rule() -> None:
    assert all(rule.metric != "battery_pct" for rule in DEFAULT_THRESHOLD_RULES)
    section = parse_config({}).engine.battery_low
    assert (section.enabled, section.below, section.clear_at, section.alarm_type) == (True, 15.0, 20.0, "battery_low")
    assert parse_config({"engine": {"battery_low": {"enabled": False}}}).engine.battery_low.enabled is False


def test_rules_refuse_bad_values() -> None:
    with pytest.raises(ConfigError) as raised:
        BatteryRule(below=30.0, clear_at=20.0, for_s=-1.0, metric="", alarm_type="", priority=5)
    assert len(raised.value.problems) == 5
    with pytest.raises(ConfigError, match=r"engine\.battery_low: Value error, `clear_at` must not be below"):
        parse_config({"engine": {"battery_low": {"below": 25}}})
    with pytest.raises(pydantic.ValidationError, match="less than or equal to 100"):
        BatteryLowConfig(below=150)
