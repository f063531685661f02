"""Tamper detector: one alarm per device from events or its tamper switch, quiet period, operator clear, restart."""

from __future__ import annotations

import math

import pytest

from beffroi.config_engine import DEFAULT_EVENT_RULES
from beffroi.domain.alarms import AlarmKey, AlarmState, Priority
from beffroi.domain.messages import AlarmChangeKind
from beffroi.domain.registry import DeviceKind
from beffroi.engine import AlarmManager, Engine, build_detectors
from beffroi.engine.detectors.tamper import TamperDetector
from beffroi.engine.rules import TamperRule
from beffroi.errors import ConfigError
from tests.engine.builders import T0, TAMPER, device, event, id_source, open_alarm, reading

CAMERA = device("cam-1", DeviceKind.CAMERA, site_id="site-b", zone_id="gate-2")
KEY = AlarmKey("t1", "cam-1", "tamper", "site-b", "gate-2")


def test_a_tamper_event_raises_per_device_and_a_quiet_period_returns_to_normal() -> None:
    detector = TamperDetector(TAMPER)  # quiet for 120 s
    (raised,) = detector.on_event(event("cam-1", "tamper", T0, zone_id="elsewhere", event_id="e1"), CAMERA)
    assert raised.active and raised.key == KEY  # the device's registry place, whatever the event says
    assert (raised.priority, raised.message) == (Priority.HIGH, "Device tampered with")
    assert raised.cause == ("tamper", "tamper")
    (again,) = detector.on_event(event("cam-1", "tamper", T0 + 100, event_id="e2"), CAMERA)
    assert again.active  # each event reports the condition, so an alarm cleared by hand is raised anew
    assert detector.on_tick(T0 + 219) == ()
    (rtn,) = detector.on_tick(T0 + 220)
    assert (rtn.active, rtn.key, rtn.ts) == (False, KEY, T0 + 220)
    assert detector.on_tick(T0 + 1000) == ()


def test_repeated_low_confidence_other_and_stale_events_are_ignored() -> None:
    detector = TamperDetector(TamperRule(quiet_s=60.0, min_confidence=0.5))
    assert len(detector.on_event(event("cam-1", "tamper", T0, event_id="e1"), CAMERA)) == 1
    assert detector.on_event(event("cam-1", "tamper", T0, event_id="e1"), CAMERA) == ()  # redelivered
    assert detector.on_event(event("cam-1", "tamper", T0 + 1, confidence=0.3), CAMERA) == ()
    assert detector.on_event(event("cam-1", "door_forced", T0 + 1), CAMERA) == ()
    assert detector.on_event(event("cam-1", "tamper", math.nan), CAMERA) == ()
    detector.on_tick(T0 + 500)
    assert detector.on_event(event("cam-1", "tamper", T0 + 400), CAMERA) == ()  # its quiet period is over already


def test_unknown_sources_use_the_event_place_and_device_kinds_filter() -> None:
    anyone = TamperDetector(TAMPER)
    (raised,) = anyone.on_event(event("panel-9", "tamper", T0, site_id="s", zone_id="z"), None)
    assert raised.key == AlarmKey("t1", "panel-9", "tamper", "s", "z")
    cameras_only = TamperDetector(TamperRule(device_kinds=("camera",)))
    fence = device("fence-1", DeviceKind.PERIMETER_FENCE)
    assert cameras_only.on_event(event("fence-1", "tamper", T0), fence) == ()
    assert cameras_only.on_event(event("panel-9", "tamper", T0), None) == ()
    assert len(cameras_only.on_event(event("cam-1", "tamper", T0), CAMERA)) == 1


def test_an_open_tamper_switch_holds_the_alarm_until_closed_and_quiet() -> None:
    detector = TamperDetector(TAMPER)
    (raised,) = detector.on_reading(reading(CAMERA, "tamper", 1.0, T0), CAMERA)
    assert (raised.active, raised.value) == (True, 1.0)
    assert detector.on_reading(reading(CAMERA, "tamper", 1.0, T0 + 10), CAMERA) == ()
    assert detector.on_tick(T0 + 1000) == ()  # still open: no quiet period runs
    assert detector.on_reading(reading(CAMERA, "tamper", 0.0, T0 + 1100), CAMERA) == ()
    assert detector.on_reading(reading(CAMERA, "tamper", 1.0, T0 + 1050), CAMERA) == ()  # older: ignored
    assert detector.on_tick(T0 + 1219) == ()
    (rtn,) = detector.on_tick(T0 + 1220)
    assert not rtn.active
    assert detector.on_reading(reading(CAMERA, "tamper", 0.0, T0 + 1300), CAMERA) == ()  # closed, nothing held
    assert detector.on_reading(reading(CAMERA, "tamper", math.nan, T0 + 1301), CAMERA) == ()


def test_restored_alarm_returns_to_normal_a_quiet_period_after_its_last_trigger() -> None:
    detector = TamperDetector(TAMPER)
    detector.on_restore([open_alarm("a-1", KEY, T0)])
    assert detector.on_tick(T0 + 119) == ()
    (rtn,) = detector.on_tick(T0 + 120)
    assert (rtn.active, rtn.key) == (False, KEY)


def test_disabled_detector_does_nothing() -> None:
    detector = TamperDetector(None)
    assert detector.on_event(event("cam-1", "tamper", T0), CAMERA) == ()
    assert detector.on_reading(reading(CAMERA, "tamper", 1.0, T0), CAMERA) == ()
    detector.on_restore([open_alarm("a-1", KEY, T0)])
    assert detector.on_tick(T0 + 1e6) == ()


def test_an_alarm_cleared_by_the_operator_is_raised_again_by_the_next_event() -> None:
    assert all(rule.event_type != "tamper" for rule in DEFAULT_EVENT_RULES)  # the tamper detector owns them
    engine = Engine([CAMERA], build_detectors([], [], tamper=TAMPER), AlarmManager(id_source()))
    (raised,) = engine.process_event(event("cam-1", "tamper", T0, event_id="e1"))
    cleared, _ = engine.alarm_manager.clear("t1", raised.alarm.id, "op", T0 + 5)
    assert cleared.alarm.state is AlarmState.CLEARED
    (again,) = engine.process_event(event("cam-1", "tamper", T0 + 10, event_id="e2"))
    assert again.change is AlarmChangeKind.RAISED and again.alarm.id != raised.alarm.id


def test_rules_refuse_bad_values() -> None:
    with pytest.raises(ConfigError) as raised:
        TamperRule(event_types=(), metric=None, quiet_s=0.0, min_confidence=2.0, alarm_type="", priority=0)
    assert len(raised.value.problems) == 5
    with pytest.raises(ConfigError, match="must not be empty"):
        TamperRule(event_types=("",))
