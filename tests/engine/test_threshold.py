"""Threshold detector: duration, hysteresis, direction, per-device state, out-of-order input, restart."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from beffroi.domain.alarms import AlarmKey, Priority
from beffroi.domain.observations import Reading
from beffroi.domain.registry import Device, DeviceKind
from beffroi.engine.conditions import Condition
from beffroi.engine.detectors.threshold import ThresholdDetector
from beffroi.engine.rules import ThresholdRule
from beffroi.errors import ConfigError
from tests.engine.builders import BATTERY, HEAT, NOISE, SMOKE, T0, THRESHOLD_RULES, device, open_alarm, reading

SMOKE_METRIC = "smoke_obscuration_pct_m"


def feed(detector: ThresholdDetector, readings: list[tuple[Reading, Device]]) -> list[Condition]:
    """Every condition the readings produce, in order."""
    out: list[Condition] = []
    for r, dev in readings:
        out.extend(detector.on_reading(r, dev))
    return out


def test_for_s_zero_raises_on_first_reading_beyond_the_limit() -> None:
    detector = ThresholdDetector([SMOKE])
    dev = device("smk-1")
    conditions = feed(
        detector, [(reading(dev, SMOKE_METRIC, 1.0, T0), dev), (reading(dev, SMOKE_METRIC, 6.5, T0 + 1), dev)]
    )
    assert len(conditions) == 1
    (raised,) = conditions
    assert raised.active
    assert raised.ts == T0 + 1
    assert raised.value == 6.5
    assert raised.priority is Priority.CRITICAL
    assert raised.message == "Smoke detected"
    assert raised.key == AlarmKey("t1", "smk-1", "fire_alarm", "site-a", "zone-1")
    assert raised.cause == ("threshold", "smoke")


def test_short_spike_shorter_than_for_s_raises_nothing() -> None:
    detector = ThresholdDetector([HEAT])
    dev = device("smk-1")
    values = [(T0, 60.0), (T0 + 5, 62.0), (T0 + 8, 40.0), (T0 + 12, 61.0), (T0 + 20, 45.0)]
    assert feed(detector, [(reading(dev, "temperature_c", v, ts), dev) for ts, v in values]) == []


def test_sustained_breach_raises_once_at_the_reading_that_completes_the_duration() -> None:
    detector = ThresholdDetector([HEAT])
    dev = device("smk-1")
    values = [(T0, 59.0), (T0 + 4, 65.0), (T0 + 9.9, 70.0), (T0 + 10, 71.0), (T0 + 15, 72.0), (T0 + 30, 80.0)]
    conditions = feed(detector, [(reading(dev, "temperature_c", v, ts), dev) for ts, v in values])
    assert [(c.active, c.ts, c.value) for c in conditions] == [(True, T0 + 10, 71.0)]


def test_dip_to_the_limit_restarts_the_duration() -> None:
    detector = ThresholdDetector([HEAT])
    dev = device("smk-1")
    values = [(T0, 59.0), (T0 + 6, 58.0), (T0 + 7, 59.0), (T0 + 16, 59.0), (T0 + 17, 59.0)]
    conditions = feed(detector, [(reading(dev, "temperature_c", v, ts), dev) for ts, v in values])
    assert [(c.active, c.ts) for c in conditions] == [(True, T0 + 17)]


def test_oscillation_between_clear_at_and_limit_does_not_flap() -> None:
    detector = ThresholdDetector([SMOKE])
    dev = device("smk-1")
    values = [5.0, 3.0, 3.9, 2.1, 4.0, 2.0, 3.5, 1.9, 3.0, 4.0, 4.1]
    conditions = feed(detector, [(reading(dev, SMOKE_METRIC, v, T0 + i), dev) for i, v in enumerate(values)])
    assert [(c.active, c.value) for c in conditions] == [(True, 5.0), (False, 1.9), (True, 4.1)]


def test_below_rule_raises_below_and_clears_above_clear_at() -> None:
    detector = ThresholdDetector([BATTERY])
    dev = device("pir-1", DeviceKind.INTRUSION_PIR)
    values = [50.0, 16.0, 14.9, 18.0, 19.9, 20.0, 20.1, 14.0]
    conditions = feed(detector, [(reading(dev, "battery_pct", v, T0 + i), dev) for i, v in enumerate(values)])
    assert [(c.active, c.value) for c in conditions] == [(True, 14.9), (False, 20.1), (True, 14.0)]
    assert conditions[0].key.type == "battery_low"


def test_rule_without_device_kind_applies_to_every_kind_and_kind_rules_only_to_theirs() -> None:
    detector = ThresholdDetector([BATTERY, SMOKE])
    pir = device("pir-1", DeviceKind.INTRUSION_PIR)
    gps = device("gps-1", DeviceKind.GPS_TRACKER)
    air = device("air-1", DeviceKind.AIR_QUALITY)
    conditions = feed(
        detector,
        [
            (reading(pir, "battery_pct", 5.0, T0), pir),
            (reading(gps, "battery_pct", 5.0, T0), gps),
            (reading(air, SMOKE_METRIC, 99.0, T0), air),
        ],
    )
    assert sorted(c.key.source for c in conditions) == ["gps-1", "pir-1"]


def test_devices_have_independent_state() -> None:
    detector = ThresholdDetector([HEAT])
    a, b = device("smk-a"), device("smk-b")
    conditions = feed(
        detector,
        [
            (reading(a, "temperature_c", 70.0, T0), a),
            (reading(b, "temperature_c", 70.0, T0 + 5), b),
            (reading(a, "temperature_c", 70.0, T0 + 10), a),
            (reading(b, "temperature_c", 20.0, T0 + 12), b),
            (reading(b, "temperature_c", 70.0, T0 + 20), b),
        ],
    )
    assert [(c.key.source, c.active, c.ts) for c in conditions] == [("smk-a", True, T0 + 10)]


def test_unknown_metric_and_other_kinds_are_ignored() -> None:
    detector = ThresholdDetector(THRESHOLD_RULES)
    dev = device("smk-1")
    cam = device("cam-1", DeviceKind.CAMERA)
    assert detector.on_reading(reading(dev, "no_such_metric", 1e9, T0), dev) == ()
    assert detector.on_reading(reading(cam, "temperature_c", 1e9, T0), cam) == ()


def test_stale_and_redelivered_readings_change_nothing() -> None:
    detector = ThresholdDetector([SMOKE])
    dev = device("smk-1")
    high = reading(dev, SMOKE_METRIC, 9.0, T0 + 10)
    assert len(detector.on_reading(high, dev)) == 1
    assert detector.on_reading(high, dev) == ()
    assert detector.on_reading(reading(dev, SMOKE_METRIC, 0.0, T0 + 5), dev) == ()
    (cleared,) = detector.on_reading(reading(dev, SMOKE_METRIC, 0.0, T0 + 11), dev)
    assert not cleared.active


def test_two_rules_on_one_metric_both_evaluate() -> None:
    warm = ThresholdRule(name="warm", metric="temperature_c", above=30.0, priority=4)
    hot = ThresholdRule(name="hot", metric="temperature_c", above=40.0, priority=2)
    detector = ThresholdDetector([warm, hot])
    dev = device("tmp-1", DeviceKind.TEMPERATURE)
    conditions = feed(detector, [(reading(dev, "temperature_c", 45.0, T0), dev)])
    assert sorted(c.rule for c in conditions) == ["hot", "warm"]
    assert {c.key.type for c in conditions} == {"warm", "hot"}


def test_restored_active_alarm_returns_to_normal_on_the_first_normal_reading() -> None:
    detector = ThresholdDetector(THRESHOLD_RULES)
    dev = device("smk-1")
    detector.on_restore([open_alarm("a-1", AlarmKey("t1", "smk-1", "fire_alarm", "site-a", "zone-1"))])
    other = device("smk-2")
    assert detector.on_reading(reading(other, SMOKE_METRIC, 0.0, T0), other) == ()
    (back,) = detector.on_reading(reading(dev, SMOKE_METRIC, 0.0, T0), dev)
    assert not back.active
    assert back.key.source == "smk-1"
    assert detector.on_reading(reading(dev, SMOKE_METRIC, 0.0, T0 + 1), dev) == ()


def test_removed_devices_lose_their_state() -> None:
    detector = ThresholdDetector([HEAT])
    dev = device("smk-1")
    detector.on_reading(reading(dev, "temperature_c", 70.0, T0), dev)
    detector.on_devices({})
    assert detector.on_reading(reading(dev, "temperature_c", 70.0, T0 + 10), dev) == ()


def test_nan_and_infinite_values_do_not_raise_or_break_state() -> None:
    detector = ThresholdDetector([SMOKE])
    dev = device("smk-1")
    assert detector.on_reading(reading(dev, SMOKE_METRIC, float("nan"), T0), dev) == ()
    (raised,) = detector.on_reading(reading(dev, SMOKE_METRIC, float("inf"), T0 + 1), dev)
    assert raised.active
    assert detector.on_reading(reading(dev, SMOKE_METRIC, float("nan"), T0 + 2), dev) == ()
    (cleared,) = detector.on_reading(reading(dev, SMOKE_METRIC, float("-inf"), T0 + 3), dev)
    assert not cleared.active


@settings(max_examples=200, database=None, deadline=None)
@given(st.lists(st.floats(min_value=-10, max_value=130, allow_nan=False), min_size=1, max_size=60))
def test_conditions_alternate_and_respect_the_limits(values: list[float]) -> None:
    """Property: per cause the reported state alternates, raises only past the limit, clears only past clear_at."""
    detector = ThresholdDetector([NOISE])
    dev = device("noise-1", DeviceKind.NOISE_LEVEL)
    last_active = False
    for i, value in enumerate(values):
        for condition in detector.on_reading(reading(dev, "laeq_db", value, T0 + 30 * i), dev):
            assert condition.active != last_active
            last_active = condition.active
            if condition.active:
                assert value > 105.0
            else:
                assert value < 100.0


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"above": 1.0, "below": 0.0}, "exactly one of"),
        ({}, "exactly one of"),
        ({"above": 1.0, "clear_at": 2.0}, "hysteresis goes down"),
        ({"below": 1.0, "clear_at": 0.5}, "hysteresis goes up"),
        ({"above": 1.0, "for_s": -1.0}, "`for_s` must be >= 0"),
        ({"above": 1.0, "priority": 0}, "priority must be 1"),
        ({"above": float("nan")}, "`above` must be a finite number"),
    ],
)
def test_bad_rules_are_refused_with_the_reason(kwargs: dict[str, float], problem: str) -> None:
    with pytest.raises(ConfigError, match=problem) as raised:
        ThresholdRule(name="bad", metric="m", **kwargs)  # type: ignore[arg-type]
    assert "threshold rule 'bad'" in str(raised.value)


def test_device_removed_while_active_and_back_returns_to_normal_on_its_first_normal_reading() -> None:
    detector = ThresholdDetector([SMOKE])
    dev = device("smk-1")
    (raised,) = detector.on_reading(reading(dev, SMOKE_METRIC, 9.0, T0), dev)
    detector.on_devices({})
    detector.on_devices({dev.id: dev})
    (back,) = detector.on_reading(reading(dev, SMOKE_METRIC, 0.0, T0 + 1), dev)
    assert (back.active, back.key) == (False, raised.key)


def test_non_finite_timestamps_are_ignored() -> None:
    detector = ThresholdDetector([SMOKE])
    dev = device("smk-1")
    assert detector.on_reading(reading(dev, SMOKE_METRIC, 9.0, float("nan")), dev) == ()
    assert detector.on_reading(reading(dev, SMOKE_METRIC, 9.0, float("inf")), dev) == ()
    assert len(detector.on_reading(reading(dev, SMOKE_METRIC, 9.0, T0), dev)) == 1
