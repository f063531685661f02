"""Rate-of-change detector: the rate over a window, direction, units, hysteresis, out-of-order input, restart."""

from __future__ import annotations

import math

import pytest

from beffroi.domain.alarms import AlarmKey, Priority
from beffroi.domain.registry import Device, DeviceKind
from beffroi.engine.conditions import Condition
from beffroi.engine.detectors.rate_of_change import RateOfChangeDetector
from beffroi.engine.rules import RateOfChangeRule
from beffroi.errors import ConfigError
from tests.engine.builders import HEAT_RISE, T0, device, open_alarm, reading

HEAT = "temperature_c"


def feed(detector: RateOfChangeDetector, dev: Device, points: list[tuple[float, float]]) -> list[Condition]:
    """Every condition the (time offset, value) readings of `dev` produce, in order."""
    out: list[Condition] = []
    for offset, value in points:
        out.extend(detector.on_reading(reading(dev, HEAT, value, T0 + offset), dev))
    return out


def test_a_fast_rise_raises_and_a_plateau_returns_to_normal() -> None:
    detector = RateOfChangeDetector([HEAT_RISE])  # rise > 8 °C/min over 120 s, clear under 2 °C/min
    smk = device("smk-1")
    points = [(0, 22.0), (60, 22.1), (120, 22.0), (130, 35.0), (140, 40.0), (200, 60.0), (320, 60.2), (440, 60.1)]
    conditions = feed(detector, smk, points)
    assert [(c.active, c.ts - T0) for c in conditions] == [(True, 130.0), (False, 320.0)]
    raised = conditions[0]
    assert raised.key == AlarmKey("t1", "smk-1", "fire_alarm", "site-a", "zone-1")
    assert raised.priority is Priority.CRITICAL
    assert raised.value == pytest.approx((35.0 - 22.1) / 70 * 60)  # °C/min from the oldest reading in the window
    assert raised.cause == ("rate_of_change", "heat_rise")
    assert raised.message == "temperature_c rising faster than 8/min"


def test_hysteresis_keeps_the_alarm_between_clear_rate_and_max_rate() -> None:
    rule = RateOfChangeRule("rise", "m", max_rate=10.0, per="s", window_s=1.0, clear_rate=5.0, direction="rise")
    detector = RateOfChangeDetector([rule])
    dev = device("d", DeviceKind.TEMPERATURE)
    values = [0.0, 11.0, 18.0, 24.0, 28.0, 40.0]  # rates 11, 7, 6, 4, 12 per second
    out = []
    for i, v in enumerate(values):
        out.extend(detector.on_reading(reading(dev, "m", v, T0 + i), dev))
    assert [(c.active, c.ts - T0) for c in out] == [(True, 1.0), (False, 4.0), (True, 5.0)]


def test_direction_fall_ignores_rises_and_both_takes_either() -> None:
    fall = RateOfChangeRule("fall", "m", max_rate=1.0, per="s", window_s=10.0, direction="fall")
    both = RateOfChangeRule("both", "m", max_rate=1.0, per="s", window_s=10.0)
    dev = device("d", DeviceKind.TEMPERATURE)
    falls, either = RateOfChangeDetector([fall]), RateOfChangeDetector([both])
    for detector in (falls, either):
        detector.on_reading(reading(dev, "m", 50.0, T0), dev)
    assert falls.on_reading(reading(dev, "m", 100.0, T0 + 1), dev) == ()
    (up,) = either.on_reading(reading(dev, "m", 100.0, T0 + 1), dev)
    assert (up.active, up.value) == (True, 50.0)
    (down,) = falls.on_reading(reading(dev, "m", 0.0, T0 + 2), dev)  # from the oldest reading: -50 in 2 s
    assert (down.active, down.value) == (True, -25.0)


def test_a_gap_longer_than_the_window_compares_with_the_previous_reading() -> None:
    detector = RateOfChangeDetector([HEAT_RISE])
    smk = device("smk-1")
    assert feed(detector, smk, [(0, 20.0), (3600, 30.0)]) == []  # 10 °C in an hour
    (raised,) = feed(detector, smk, [(3660, 45.0)])  # 15 °C in a minute
    assert raised.value == pytest.approx(15.0)


def test_out_of_order_repeated_and_non_finite_readings_are_ignored() -> None:
    detector = RateOfChangeDetector([HEAT_RISE])
    smk = device("smk-1")
    assert feed(detector, smk, [(0, 20.0), (60, 20.0), (30, 80.0), (60, 90.0)]) == []
    assert feed(detector, smk, [(61, math.nan), (62, math.inf), (math.nan, 99.0)]) == []
    (raised,) = feed(detector, smk, [(120, 40.0)])
    assert raised.ts == T0 + 120


def test_devices_kinds_and_metrics_are_separate() -> None:
    detector = RateOfChangeDetector([HEAT_RISE])
    smk_a, smk_b, probe = device("smk-a"), device("smk-b"), device("probe", DeviceKind.TEMPERATURE)
    feed(detector, smk_a, [(0, 20.0)])
    assert feed(detector, smk_b, [(60, 60.0)]) == []  # smk-b's first reading: no rate yet
    assert feed(detector, probe, [(0, 20.0), (60, 60.0)]) == []  # the rule is for smoke_heat only
    assert detector.on_reading(reading(smk_a, "humidity_pct", 99.0, T0 + 60), smk_a) == ()
    assert [c.key.source for c in feed(detector, smk_a, [(60, 60.0)])] == ["smk-a"]


def test_restored_alarm_returns_to_normal_on_a_slow_rate_and_a_gone_device_is_forgotten() -> None:
    smk = device("smk-1")
    detector = RateOfChangeDetector([HEAT_RISE])
    detector.on_restore([open_alarm("a-1", AlarmKey("t1", "smk-1", "fire_alarm", "site-a", "zone-1"))])
    assert feed(detector, smk, [(0, 60.0)]) == []
    (rtn,) = feed(detector, smk, [(60, 60.5)])
    assert (rtn.active, rtn.key.source) == (False, "smk-1")

    feed(detector, smk, [(120, 61.0), (130, 80.0)])  # raised again
    detector.on_devices({})
    detector.on_devices({smk.id: smk})
    assert feed(detector, smk, [(200, 80.0)]) == []
    (back,) = feed(detector, smk, [(260, 80.1)])
    assert not back.active


def test_rules_refuse_bad_values_naming_each_problem() -> None:
    with pytest.raises(ConfigError) as raised:
        RateOfChangeRule("", "", max_rate=-1.0, per="hour", window_s=0.0, direction="up", priority=7)
    assert len(raised.value.problems) == 7
    with pytest.raises(ConfigError, match="must not be above `max_rate`"):
        RateOfChangeRule("r", "m", max_rate=1.0, clear_rate=2.0)
    with pytest.raises(ConfigError, match="finite number > 0"):
        RateOfChangeRule("r", "m", max_rate=math.inf)
