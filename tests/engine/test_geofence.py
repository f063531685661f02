"""Geofence detector: enter, leave and inside on zones with holes, the margin against GPS jitter, tenants, zone
updates, odd positions, restart."""

from __future__ import annotations

import logging
import math

import pytest

from beffroi.domain.alarms import AlarmKey, Priority
from beffroi.domain.observations import Position
from beffroi.domain.registry import Device, DeviceKind, ZoneKind
from beffroi.engine.conditions import Condition
from beffroi.engine.detectors.geofence import GeofenceDetector
from beffroi.engine.rules import GeofenceRule
from beffroi.errors import ConfigError
from tests.engine.builders import (
    FORBIDDEN_ENTER,
    IN_THE_HOLE,
    INSIDE,
    OUTSIDE,
    T0,
    ZONE_OUTER,
    ZONES,
    device,
    located,
    open_alarm,
    reading,
    zone,
)

TRACKER = device("gps-1", DeviceKind.GPS_TRACKER, site_id="site-a", zone_id=None)
KEY = AlarmKey("t1", "gps-1", "forbidden_enter", "site-a", "forbidden-1")
METRES_PER_DEGREE_LON = 111_320.0 * math.cos(math.radians(48.85))
EDGE_LON = ZONE_OUTER[0][0]  # the zone's west edge


def just_west(metres: float) -> Position:
    """A point `metres` west of the zone's west edge (negative: inside)."""
    return Position(EDGE_LON - metres / METRES_PER_DEGREE_LON, 48.8500)


def detector_for(*rules: GeofenceRule) -> GeofenceDetector:
    detector = GeofenceDetector(rules)
    detector.on_zones(ZONES)
    return detector


def walk(detector: GeofenceDetector, positions: list[Position], dev: Device = TRACKER) -> list[Condition]:
    """The tracker reports each position, 15 s apart; every condition, in order."""
    out: list[Condition] = []
    for i, position in enumerate(positions):
        out.extend(detector.on_reading(located(dev, "speed_m_s", 1.2, T0 + 15 * i, position), dev))
    return out


def test_entering_a_forbidden_zone_raises_and_leaving_it_returns_to_normal() -> None:
    detector = detector_for(FORBIDDEN_ENTER)
    conditions = walk(detector, [OUTSIDE, INSIDE, INSIDE, OUTSIDE])
    assert [(c.active, c.ts - T0) for c in conditions] == [(True, 15.0), (False, 45.0)]
    raised = conditions[0]
    assert raised.key == KEY
    assert (raised.priority, raised.message, raised.cause) == (
        Priority.HIGH,
        "Tracker entered forbidden zone",
        ("geofence", "forbidden_enter"),
    )


def test_the_hole_of_a_zone_is_not_in_the_zone() -> None:
    detector = detector_for(GeofenceRule("in", direction="inside", zone_ids=("forbidden-1",), margin_m=0.0))
    assert walk(detector, [IN_THE_HOLE]) == []
    assert [c.active for c in walk(detector, [INSIDE])] == []  # the same time as before: ignored
    later = [located(TRACKER, "speed_m_s", 0.0, T0 + 100, INSIDE)]
    assert [c.active for c in detector.on_reading(later[0], TRACKER)] == [True]
    back = located(TRACKER, "speed_m_s", 0.0, T0 + 115, IN_THE_HOLE)
    assert [c.active for c in detector.on_reading(back, TRACKER)] == [False]


def test_enter_needs_a_position_seen_outside_first_but_inside_does_not() -> None:
    enter = detector_for(FORBIDDEN_ENTER)
    inside = detector_for(GeofenceRule("in", direction="inside", zone_kinds=("forbidden",)))
    assert walk(enter, [INSIDE, INSIDE]) == []
    assert [c.active for c in walk(inside, [INSIDE, INSIDE])] == [True]
    assert [c.active for c in walk(enter, [INSIDE, OUTSIDE, INSIDE], device("gps-2", DeviceKind.GPS_TRACKER))] == [True]


def test_leave_raises_once_out_beyond_the_margin_and_clears_back_inside() -> None:
    detector = detector_for(GeofenceRule("left", direction="leave", zone_ids=("forbidden-1",), margin_m=10.0))
    conditions = walk(detector, [OUTSIDE, INSIDE, just_west(5.0), just_west(15.0), just_west(5.0), INSIDE])
    assert [(c.active, c.ts - T0) for c in conditions] == [(True, 45.0), (False, 75.0)]
    assert conditions[0].key == AlarmKey("t1", "gps-1", "left", "site-a", "forbidden-1")


def test_jitter_within_the_margin_does_not_flap() -> None:
    detector = detector_for(FORBIDDEN_ENTER)  # margin 5 m
    jitter = [just_west(-2.0), just_west(3.0), just_west(-1.0), just_west(4.0), just_west(-3.0)]
    conditions = walk(detector, [OUTSIDE, *jitter, just_west(8.0)])
    assert [(c.active, c.ts - T0) for c in conditions] == [(True, 15.0), (False, 90.0)]


def test_other_tenants_zones_other_kinds_and_readings_without_position_are_ignored() -> None:
    detector = GeofenceDetector([FORBIDDEN_ENTER])
    detector.on_zones([zone(tenant_id="t2"), zone("plaza-1", ZoneKind.PLAZA)])
    assert walk(detector, [OUTSIDE, INSIDE]) == []
    detector.on_zones(ZONES)
    counter = device("pc-1", DeviceKind.PEOPLE_COUNTER)
    assert walk(detector, [OUTSIDE, INSIDE], counter) == []  # the rule is for gps trackers
    assert detector.on_reading(reading(TRACKER, "speed_m_s", 1.0, T0 + 1000), TRACKER) == ()
    any_kind = detector_for(GeofenceRule("any", direction="inside", zone_ids=("forbidden-1",), device_kind=None))
    assert [c.key.source for c in walk(any_kind, [INSIDE], counter)] == ["pc-1"]


def test_non_finite_positions_and_older_reports_are_ignored() -> None:
    detector = detector_for(FORBIDDEN_ENTER)
    walk(detector, [OUTSIDE])
    for position in (Position(math.nan, 48.85), Position(2.35, math.inf)):
        assert detector.on_reading(located(TRACKER, "speed_m_s", 1.0, T0 + 30, position), TRACKER) == ()
    assert detector.on_reading(located(TRACKER, "speed_m_s", 1.0, math.nan, INSIDE), TRACKER) == ()
    assert [c.active for c in detector.on_reading(located(TRACKER, "battery_pct", 50.0, T0 + 60, INSIDE), TRACKER)] == [
        True
    ]
    assert detector.on_reading(located(TRACKER, "speed_m_s", 1.0, T0 + 60, INSIDE), TRACKER) == ()  # same report
    assert detector.on_reading(located(TRACKER, "speed_m_s", 1.0, T0 + 45, OUTSIDE), TRACKER) == ()  # older


def test_a_zone_removed_from_the_registry_returns_its_alarms_to_normal() -> None:
    detector = detector_for(FORBIDDEN_ENTER)
    walk(detector, [OUTSIDE, INSIDE])
    detector.on_zones([])
    (rtn,) = detector.on_reading(located(TRACKER, "speed_m_s", 1.0, T0 + 100, INSIDE), TRACKER)
    assert (rtn.active, rtn.key) == (False, KEY)


def test_restored_alarms_clear_on_the_next_position_that_ends_them() -> None:
    enter = detector_for(FORBIDDEN_ENTER)
    enter.on_restore([open_alarm("a-1", KEY)])
    assert enter.on_reading(located(TRACKER, "speed_m_s", 1.0, T0, INSIDE), TRACKER) == ()
    (rtn,) = enter.on_reading(located(TRACKER, "speed_m_s", 1.0, T0 + 15, OUTSIDE), TRACKER)
    assert (rtn.active, rtn.key) == (False, KEY)

    leave = detector_for(GeofenceRule("left", direction="leave", zone_ids=("forbidden-1",)))
    left_key = AlarmKey("t1", "gps-1", "left", "site-a", "forbidden-1")
    leave.on_restore([open_alarm("a-2", left_key)])
    assert leave.on_reading(located(TRACKER, "speed_m_s", 1.0, T0, OUTSIDE), TRACKER) == ()
    (back,) = leave.on_reading(located(TRACKER, "speed_m_s", 1.0, T0 + 15, INSIDE), TRACKER)
    assert (back.active, back.key) == (False, left_key)


def test_a_tracker_that_leaves_the_registry_keeps_only_its_active_alarms() -> None:
    detector = detector_for(FORBIDDEN_ENTER)
    walk(detector, [OUTSIDE, INSIDE])
    other = device("gps-2", DeviceKind.GPS_TRACKER)
    walk(detector, [OUTSIDE], other)
    detector.on_devices({})
    (rtn,) = detector.on_reading(located(TRACKER, "speed_m_s", 1.0, T0 + 100, OUTSIDE), TRACKER)
    assert not rtn.active
    assert walk(detector, [INSIDE], other) == []  # forgotten: its first position again


def test_an_unusable_zone_polygon_is_skipped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    detector = GeofenceDetector([FORBIDDEN_ENTER])
    bowtie = [[(0.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0), (0.0, 0.0)]]  # self-intersecting: made valid
    with caplog.at_level(logging.WARNING, logger="beffroi.engine.detectors.geofence"):
        detector.on_zones([zone("broken", rings=[]), zone("bowtie", rings=bowtie), *ZONES])
    assert [r.getMessage() for r in caplog.records if "broken" in r.getMessage()]
    assert [c.active for c in walk(detector, [OUTSIDE, INSIDE])] == [True]
    # the bow tie, made valid, is its two lobes: from between them (outside) into the right one is an entry
    lobes = walk(detector, [Position(0.5, 0.9), Position(0.9, 0.5)], device("gps-3", DeviceKind.GPS_TRACKER))
    assert [(c.active, c.key.zone_id) for c in lobes] == [(True, "bowtie")]


def test_rules_refuse_bad_values() -> None:
    with pytest.raises(ConfigError) as raised:
        GeofenceRule("", direction="around", margin_m=-1.0, priority=0)
    assert len(raised.value.problems) == 5
    with pytest.raises(ConfigError, match="unknown zone kinds"):
        GeofenceRule("g", direction="enter", zone_kinds=("moon",))
