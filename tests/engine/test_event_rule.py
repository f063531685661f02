"""Event-rule detector: matching, confidence, hold and automatic return to normal, restart."""

from __future__ import annotations

import pytest

from beffroi.domain.alarms import AlarmKey, Priority
from beffroi.domain.registry import DeviceKind
from beffroi.engine.detectors.event_rule import EventRuleDetector
from beffroi.engine.rules import EventRule
from beffroi.errors import ConfigError
from tests.engine.builders import EVENT_RULES, T0, device, event, open_alarm, reading


def test_matching_event_raises_with_place_from_the_device() -> None:
    detector = EventRuleDetector(EVENT_RULES)
    door = device("door-1", DeviceKind.ACCESS_CONTROL, site_id="site-b", zone_id="gate-3")
    (raised,) = detector.on_event(event("door-1", "door_forced", T0, confidence=0.9), door)
    assert raised.active
    assert raised.key == AlarmKey("t1", "door-1", "door_forced", "site-b", "gate-3")
    assert raised.priority is Priority.HIGH
    assert raised.message == "Door forced"
    assert raised.value == 0.9
    assert raised.cause == ("event_rule", "door_forced")


def test_event_place_wins_over_the_device_and_unknown_sources_work() -> None:
    detector = EventRuleDetector(EVENT_RULES)
    (raised,) = detector.on_event(event("cam-7/analytic", "tamper", T0, site_id="s", zone_id="z"), None)
    assert raised.key == AlarmKey("t1", "cam-7/analytic", "tamper", "s", "z")
    assert raised.message == "Tamper"


def test_alarm_type_overrides_the_event_type() -> None:
    detector = EventRuleDetector(EVENT_RULES)
    (raised,) = detector.on_event(event("panel-1", "fire_panel_alarm", T0), None)
    assert raised.key.type == "fire_alarm"
    assert raised.priority is Priority.CRITICAL


def test_other_types_and_low_confidence_are_ignored() -> None:
    detector = EventRuleDetector(EVENT_RULES)
    assert detector.on_event(event("x", "access_denied", T0), None) == ()
    assert detector.on_event(event("x", "tamper", T0, confidence=0.49), None) == ()
    assert detector.on_event(event("x", "tamper", float("nan")), None) == ()
    assert detector.on_tick(T0 + 1000) == ()


def test_condition_returns_to_normal_after_the_hold_and_repeats_extend_it() -> None:
    detector = EventRuleDetector(EVENT_RULES, hold_s=60.0)
    detector.on_event(event("door-1", "door_forced", T0), None)
    assert detector.on_tick(T0 + 30) == ()
    (repeat,) = detector.on_event(event("door-1", "door_forced", T0 + 40), None)
    assert repeat.active
    assert detector.on_tick(T0 + 99) == ()
    (normal,) = detector.on_tick(T0 + 100)
    assert not normal.active
    assert normal.ts == T0 + 100
    assert normal.key.source == "door-1"
    assert detector.on_tick(T0 + 500) == ()


def test_holds_of_different_sources_are_independent() -> None:
    detector = EventRuleDetector(EVENT_RULES, hold_s=10.0)
    detector.on_event(event("door-1", "door_forced", T0), None)
    detector.on_event(event("door-2", "door_forced", T0 + 5), None)
    assert [c.key.source for c in detector.on_tick(T0 + 12)] == ["door-1"]
    assert [c.key.source for c in detector.on_tick(T0 + 15)] == ["door-2"]


def test_an_event_whose_hold_ended_before_the_last_tick_is_ignored() -> None:
    detector = EventRuleDetector(EVENT_RULES, hold_s=60.0)
    detector.on_tick(T0 + 1000)
    assert detector.on_event(event("door-1", "door_forced", T0), None) == ()
    assert len(detector.on_event(event("door-1", "door_forced", T0 + 950), None)) == 1


def test_readings_are_not_events() -> None:
    detector = EventRuleDetector(EVENT_RULES)
    dev = device("door-1", DeviceKind.ACCESS_CONTROL)
    assert detector.on_reading(reading(dev, "door_open", 1.0, T0), dev) == ()


def test_restored_event_alarm_returns_to_normal_after_its_hold() -> None:
    detector = EventRuleDetector(EVENT_RULES, hold_s=60.0)
    alarm = open_alarm("a-1", AlarmKey("t1", "door-1", "door_forced", "site-a", None), ts=T0)
    unrelated = open_alarm("a-2", AlarmKey("t1", "cam-1", "device_offline", "site-a", None), ts=T0)
    detector.on_restore([alarm, unrelated])
    assert detector.on_tick(T0 + 59) == ()
    (normal,) = detector.on_tick(T0 + 60)
    assert normal.key == alarm.key
    assert not normal.active


def test_two_rules_for_one_event_type_both_apply() -> None:
    rules = [
        EventRule("tamper", priority=3),
        EventRule("tamper", priority=1, alarm_type="sabotage", min_confidence=0.8),
    ]
    detector = EventRuleDetector(rules)
    assert [c.key.type for c in detector.on_event(event("x", "tamper", T0, confidence=0.9), None)] == [
        "tamper",
        "sabotage",
    ]
    assert [c.key.type for c in detector.on_event(event("y", "tamper", T0, confidence=0.5), None)] == ["tamper"]


@pytest.mark.parametrize("hold_s", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_hold_is_refused(hold_s: float) -> None:
    with pytest.raises(ConfigError, match="hold_s"):
        EventRuleDetector(EVENT_RULES, hold_s=hold_s)


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"event_type": ""}, "must not be empty"),
        ({"min_confidence": 1.5}, "min_confidence"),
        ({"priority": 5}, "priority"),
    ],
)
def test_bad_event_rules_are_refused(kwargs: dict[str, object], problem: str) -> None:
    arguments: dict[str, object] = {"event_type": "door_forced", **kwargs}
    with pytest.raises(ConfigError, match=problem):
        EventRule(**arguments)  # type: ignore[arg-type]
