"""Stuck-value detector: runs counted in readings and seconds, epsilon, clearing on a move, odd input, restart."""

from __future__ import annotations

import math

import pytest

from beffroi.domain.alarms import AlarmKey, Priority
from beffroi.domain.registry import Device, DeviceKind
from beffroi.engine.conditions import Condition
from beffroi.engine.detectors.stuck_value import StuckValueDetector
from beffroi.engine.rules import StuckValueRule
from beffroi.errors import ConfigError
from tests.engine.builders import T0, TEMPERATURE_STUCK, device, open_alarm, reading

PROBE = device("probe-1", DeviceKind.TEMPERATURE)


def feed(detector: StuckValueDetector, points: list[tuple[float, float]], dev: Device = PROBE) -> list[Condition]:
    """Every condition the (time offset, value) temperature readings of `dev` produce, in order."""
    out: list[Condition] = []
    for offset, value in points:
        out.extend(detector.on_reading(reading(dev, "temperature_c", value, T0 + offset), dev))
    return out


def test_a_frozen_value_raises_after_count_and_duration_and_a_move_clears() -> None:
    detector = StuckValueDetector([TEMPERATURE_STUCK])  # 5 readings and 240 s
    frozen = [(60.0 * i, 21.37) for i in range(6)]
    conditions = feed(detector, frozen)
    assert [(c.active, c.ts - T0) for c in conditions] == [(True, 240.0)]  # the 5th reading, 240 s after the 1st
    raised = conditions[0]
    assert raised.key == AlarmKey("t1", "probe-1", "sensor_stuck", "site-a", "zone-1")
    assert (raised.priority, raised.value, raised.cause) == (Priority.LOW, 21.37, ("stuck_value", "temperature_stuck"))
    assert raised.message == "temperature_c stuck for 5 readings and 240 s"
    (cleared,) = feed(detector, [(360.0, 21.5)])
    assert (cleared.active, cleared.value) == (False, 21.5)


def test_both_conditions_must_hold_when_both_are_set() -> None:
    detector = StuckValueDetector([TEMPERATURE_STUCK])
    assert feed(detector, [(float(i), 20.0) for i in range(20)]) == []  # 20 readings, but only 19 s
    assert feed(detector, [(0.0, 18.0), (300.0, 18.0), (600.0, 18.0)]) == []  # a new run: long, but 3 readings


def test_count_only_and_duration_only_rules() -> None:
    by_count = StuckValueDetector([StuckValueRule("n", "temperature_c", min_count=3)])
    by_time = StuckValueDetector([StuckValueRule("t", "temperature_c", for_s=100.0)])
    assert [c.ts - T0 for c in feed(by_count, [(0, 1.0), (1, 1.0), (2, 1.0), (3, 1.0)])] == [2.0]
    assert [c.ts - T0 for c in feed(by_time, [(0, 1.0), (50, 1.0), (100, 1.0), (150, 1.0)])] == [100.0]


def test_epsilon_is_measured_from_the_first_value_of_the_run() -> None:
    rule = StuckValueRule("eps", "temperature_c", epsilon=0.05, min_count=4)
    detector = StuckValueDetector([rule])
    # drifting by 0.03 per reading: within 0.05 of the previous value each time, not of the run's first value
    assert feed(detector, [(float(i), 20.0 + 0.03 * i) for i in range(10)]) == []
    (raised,) = feed(detector, [(10, 30.0), (11, 30.04), (12, 29.96), (13, 30.045)])
    assert raised.ts == T0 + 13


def test_redelivered_out_of_order_and_non_finite_readings_do_not_count() -> None:
    detector = StuckValueDetector([StuckValueRule("n", "temperature_c", min_count=3)])
    assert feed(detector, [(10, 5.0), (10, 5.0), (5, 5.0), (11, math.nan), (12, math.inf), (math.nan, 5.0)]) == []
    (raised,) = feed(detector, [(20, 5.0), (30, 5.0)])
    assert raised.ts == T0 + 30


def test_other_metrics_kinds_and_devices_are_separate() -> None:
    detector = StuckValueDetector([StuckValueRule("n", "temperature_c", device_kind="temperature", min_count=2)])
    smoke = device("smk-1")
    assert feed(detector, [(0, 5.0), (1, 5.0)], smoke) == []
    assert detector.on_reading(reading(PROBE, "humidity_pct", 50.0, T0), PROBE) == ()
    other = device("probe-2", DeviceKind.TEMPERATURE)
    feed(detector, [(0, 5.0)])
    assert feed(detector, [(1, 5.0)], other) == []
    assert [c.key.source for c in feed(detector, [(1, 5.0)])] == ["probe-1"]


def test_restored_alarm_stays_active_until_the_value_moves() -> None:
    detector = StuckValueDetector([TEMPERATURE_STUCK])
    detector.on_restore([open_alarm("a-1", AlarmKey("t1", "probe-1", "sensor_stuck", "site-a", "zone-1"))])
    assert feed(detector, [(0, 21.0), (60, 21.0)]) == []
    (rtn,) = feed(detector, [(120, 21.2)])
    assert not rtn.active
    assert feed(detector, [(180, 21.2)]) == []


def test_a_device_that_leaves_while_stuck_is_cleared_when_it_comes_back_moving() -> None:
    detector = StuckValueDetector([StuckValueRule("n", "temperature_c", min_count=2)])
    (raised,) = feed(detector, [(0, 5.0), (1, 5.0)])
    detector.on_devices({})
    detector.on_devices({PROBE.id: PROBE})
    assert feed(detector, [(2, 5.0)]) == []
    (rtn,) = feed(detector, [(3, 6.0)])
    assert (rtn.active, rtn.key) == (False, raised.key)


def test_rules_refuse_bad_values() -> None:
    with pytest.raises(ConfigError) as raised:
        StuckValueRule("", "", epsilon=-1.0, priority=0)
    assert len(raised.value.problems) == 5
    with pytest.raises(ConfigError, match="at least 2"):
        StuckValueRule("s", "m", min_count=1)
    with pytest.raises(ConfigError, match="`for_s` must be a finite number > 0"):
        StuckValueRule("s", "m", for_s=0.0)
