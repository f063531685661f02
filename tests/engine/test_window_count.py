"""Sliding-window count detector: events and readings, grouping, expiry on ticks, late and repeated items,
bounded memory, restart."""

from __future__ import annotations

import math

import pytest

from beffroi.domain.alarms import AlarmKey, Priority
from beffroi.domain.registry import DeviceKind
from beffroi.engine.detectors.window_count import WindowCountDetector
from beffroi.engine.rules import WindowCountRule
from beffroi.errors import ConfigError
from tests.engine.builders import DOOR_DENIED, NOISY, T0, device, event, open_alarm, reading

DOOR = device("door-1", DeviceKind.ACCESS_CONTROL, zone_id="gate-3")
DOOR_KEY = AlarmKey("t1", "door-1", "access_denied_repeated", "site-a", "gate-3")


def denied(detector: WindowCountDetector, offset: float, event_id: str, source: str = "door-1") -> list[bool]:
    """Send one access_denied event; the `active` flags of what it reports."""
    dev = DOOR if source == "door-1" else device(source, DeviceKind.ACCESS_CONTROL, zone_id="gate-3")
    return [c.active for c in detector.on_event(event(source, "access_denied", T0 + offset, event_id=event_id), dev)]


def test_three_denials_at_one_door_within_two_minutes_raise_once_then_expire() -> None:
    detector = WindowCountDetector([DOOR_DENIED])  # 3 in 120 s
    assert denied(detector, 0, "e1") == []
    assert denied(detector, 50, "e2") == []
    (raised,) = detector.on_event(event("door-1", "access_denied", T0 + 100, event_id="e3"), DOOR)
    assert raised.key == DOOR_KEY
    assert (raised.active, raised.ts, raised.value, raised.priority) == (True, T0 + 100, 3.0, Priority.MEDIUM)
    assert raised.message == "3 × access_denied in 120 s"
    assert denied(detector, 110, "e4") == []  # still active: nothing new
    assert detector.on_tick(T0 + 169) == ()  # window (49, 169] holds e2, e3, e4
    (rtn,) = detector.on_tick(T0 + 170)  # e2 leaves: 2 left
    assert (rtn.active, rtn.key, rtn.value) == (False, DOOR_KEY, 2.0)


def test_spread_out_events_never_fill_the_window_and_groups_are_forgotten() -> None:
    detector = WindowCountDetector([DOOR_DENIED])
    for i in range(10):
        assert denied(detector, i * 61.0, f"e{i}") == []
        detector.on_tick(T0 + i * 61.0)
    assert detector.groups_held == 1
    detector.on_tick(T0 + 10_000)
    assert (detector.groups_held, detector.items_held) == (0, 0)


def test_doors_are_counted_separately() -> None:
    detector = WindowCountDetector([DOOR_DENIED])
    denied(detector, 0, "a1")
    denied(detector, 1, "a2")
    assert denied(detector, 2, "b1", source="door-2") == []
    assert denied(detector, 3, "a3") == [True]


def test_late_events_are_placed_in_time_and_repeats_or_stale_ones_ignored() -> None:
    detector = WindowCountDetector([DOOR_DENIED])
    denied(detector, 100, "e1")
    assert denied(detector, 100, "e1") == []  # the same event redelivered
    denied(detector, 10, "e2")  # late, but within 120 s of e1
    assert denied(detector, 60, "e3") == [True]
    detector.on_tick(T0 + 500)
    assert denied(detector, 300, "old") == []  # its window ended before the last tick
    assert detector.on_event(event("door-1", "access_denied", math.nan), DOOR) == ()


def test_memory_is_bounded_to_count_items_per_group() -> None:
    detector = WindowCountDetector([DOOR_DENIED])
    for i in range(1000):
        denied(detector, i * 0.1, f"e{i}")
    assert (detector.groups_held, detector.items_held) == (1, DOOR_DENIED.count)


def test_readings_above_a_level_counted_per_zone() -> None:
    detector = WindowCountDetector([NOISY])  # laeq_db > 100, 3 in 300 s, by zone
    meters = [device(f"noise-{i}", DeviceKind.NOISE_LEVEL, zone_id="stand-1") for i in range(3)]
    assert detector.on_reading(reading(meters[0], "laeq_db", 99.0, T0), meters[0]) == ()
    assert detector.on_reading(reading(meters[0], "laeq_db", 104.0, T0 + 1), meters[0]) == ()
    assert detector.on_reading(reading(meters[0], "laeq_db", 104.0, T0 + 1), meters[0]) == ()  # same reading again
    assert detector.on_reading(reading(meters[1], "laeq_db", 103.0, T0 + 1), meters[1]) == ()
    assert detector.on_reading(reading(meters[2], "laeq_db", math.inf, T0 + 2), meters[2]) == ()
    (raised,) = detector.on_reading(reading(meters[2], "laeq_db", 101.0, T0 + 2), meters[2])
    assert raised.key == AlarmKey("t1", "stand-1", "noise_peaks", "site-a", "stand-1")
    no_zone = device("noise-x", DeviceKind.NOISE_LEVEL, zone_id=None)
    assert detector.on_reading(reading(no_zone, "laeq_db", 110.0, T0), no_zone) == ()


def test_site_grouping_and_below_and_kind_filters() -> None:
    rule = WindowCountRule("cold", metric="temperature_c", below=0.0, count=2, window_s=60.0, group_by="site")
    by_kind = WindowCountRule("pir", event_type="tamper", count=1, window_s=10.0, device_kind="intrusion_pir")
    detector = WindowCountDetector([rule, by_kind])
    a, b = device("t-a", DeviceKind.TEMPERATURE), device("t-b", DeviceKind.TEMPERATURE, zone_id=None)
    assert detector.on_reading(reading(a, "temperature_c", 1.0, T0), a) == ()
    assert detector.on_reading(reading(a, "temperature_c", -1.0, T0), a) == ()
    (raised,) = detector.on_reading(reading(b, "temperature_c", -2.0, T0 + 1), b)
    assert raised.key == AlarmKey("t1", "site-a", "cold", "site-a", None)
    assert detector.on_event(event("t-a", "tamper", T0), a) == ()
    assert detector.on_event(event("x", "tamper", T0), None) == ()
    pir = device("pir-1", DeviceKind.INTRUSION_PIR)
    assert [c.key.type for c in detector.on_event(event("pir-1", "tamper", T0), pir)] == ["pir"]


def test_restored_alarm_returns_to_normal_one_window_after_its_last_trigger() -> None:
    detector = WindowCountDetector([DOOR_DENIED])
    detector.on_restore([open_alarm("a-1", DOOR_KEY, T0)])
    assert denied(detector, 10, "e1") == []  # the group is active already
    assert detector.on_tick(T0 + 119) == ()
    (rtn,) = detector.on_tick(T0 + 130)  # e1 is alone in its window
    assert (rtn.active, rtn.key) == (False, DOOR_KEY)
    other = WindowCountDetector([DOOR_DENIED])
    other.on_restore([open_alarm("a-2", DOOR_KEY, T0)])
    (quiet,) = other.on_tick(T0 + 120)
    assert not quiet.active


def test_rules_refuse_bad_values() -> None:
    with pytest.raises(ConfigError) as raised:
        WindowCountRule("", count=0, window_s=0.0, group_by="floor", min_confidence=3.0, priority=9)
    assert len(raised.value.problems) == 7
    with pytest.raises(ConfigError, match="apply to readings"):
        WindowCountRule("w", count=2, window_s=1.0, event_type="x", above=1.0)
    with pytest.raises(ConfigError, match="at most one of"):
        WindowCountRule("w", count=2, window_s=1.0, metric="m", above=1.0, below=0.0)
