"""The shipped default correlation rules (beffroi/engine/default_correlation.yaml), on the cases the ground-truth
benchmark (bench/incidents_ground_truth.py) found them weak: a forced door with motion behind it and no camera is a
break-in; a drone and a panic button open incidents of their own type, not "generic"."""

from __future__ import annotations

from beffroi.engine.correlation_rules import load_rules
from tests.engine.incident_builders import T0, Harness, alarm, raised


def shipped() -> Harness:
    return Harness(load_rules())


def test_a_forced_door_and_motion_in_the_zone_within_a_minute_are_a_break_in_without_a_camera() -> None:
    harness = shipped()
    harness.feed([raised(alarm("door", "door_forced", T0)), raised(alarm("pir", "intrusion", T0 + 20))])
    [incident] = harness.open()
    assert (incident.type, incident.rule, incident.title) == ("break_in", "break_in_door_motion", "Break-in")
    assert incident.alarm_ids == ("door", "pir")
    assert int(incident.priority) == 2


def test_motion_long_after_the_forced_door_is_no_break_in_rule_match() -> None:
    harness = shipped()
    harness.feed([raised(alarm("door", "door_forced", T0)), raised(alarm("pir", "intrusion", T0 + 300))])
    assert [incident.rule for incident in harness.open()] == ["default"]


def test_a_drone_and_a_panic_button_open_incidents_of_their_own_type() -> None:
    harness = shipped()
    harness.feed(
        [
            raised(alarm("drone-1", "drone_detected", T0, zone="perimeter")),
            raised(alarm("panic-1", "panic", T0, zone="stand-n")),
        ]
    )
    assert sorted((incident.type, incident.title) for incident in harness.open()) == [
        ("drone", "Drone over the site"),
        ("panic", "Panic button pressed"),
    ]
