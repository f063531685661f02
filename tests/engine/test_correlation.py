"""Correlation of alarms into incidents: the break-in rule, the default zone window, one incident per alarm, changes
out of order, sequences, radius and site scopes, snapshots, and determinism."""

from __future__ import annotations

import itertools

import pytest

from beffroi.domain import incidents as lifecycle
from beffroi.domain.alarms import Alarm, AlarmState, Priority, retrigger, return_to_normal
from beffroi.domain.incidents import Disposition, Evidence, IncidentState, TimelineKind
from beffroi.domain.messages import AlarmChange, AlarmChangeKind, IncidentChange, IncidentChangeKind
from beffroi.domain.observations import Position
from beffroi.engine.correlation import distance_m
from beffroi.engine.correlation_rules import parse_rules
from tests.engine.incident_builders import T0, TENANT, Harness, acknowledged, alarm, raised

BREAK_IN = [
    alarm("door", "door_forced", T0),
    alarm("pir", "intrusion", T0 + 20),
    alarm("cam", "camera_intrusion", T0 + 45),
]


def test_door_forced_motion_and_camera_in_one_zone_within_a_minute_are_one_break_in() -> None:
    harness = Harness()
    changes = harness.feed(raised(a) for a in BREAK_IN)
    assert [c.change for c in changes] == [
        IncidentChangeKind.OPENED,  # the door alone: the zone's incident, by the default rule
        IncidentChangeKind.ALARM_JOINED,
        IncidentChangeKind.RECLASSIFIED,  # the camera completes the rule: the zone's incident is the break-in
    ]
    [incident] = harness.open()
    assert (incident.type, incident.title, incident.rule) == ("break_in", "Break-in", "break_in")
    assert (incident.priority, incident.state, incident.zone_id) == (Priority.HIGH, IncidentState.NEW, "gate-a")
    assert incident.alarm_ids == ("door", "pir", "cam")
    assert (incident.opened_at, incident.first_alarm_at, incident.last_alarm_at) == (T0, T0, T0 + 45)
    reclassified = changes[-1].timeline[0]
    assert reclassified.kind is TimelineKind.RECLASSIFIED
    assert reclassified.data == {
        "from_type": "break_in",
        "to_type": "break_in",
        "from_rule": "default",
        "to_rule": "break_in",
    }
    assert [e.ref for c in changes for e in c.evidence] == ["door", "pir", "cam"]  # each alarm's snapshot is evidence


def test_the_break_in_needs_every_type_within_the_window_and_in_one_zone() -> None:
    late = Harness()
    late.feed(raised(a) for a in [*BREAK_IN[:2], alarm("cam", "camera_intrusion", T0 + 61)])
    assert late.grouping() == [("break_in", "default", ("cam", "door", "pir"))]  # one zone incident, not a break-in
    elsewhere = Harness()
    elsewhere.feed(raised(a) for a in [*BREAK_IN[:2], alarm("cam", "camera_intrusion", T0 + 45, zone="gate-b")])
    assert elsewhere.grouping() == [("break_in", "default", ("cam",)), ("break_in", "default", ("door", "pir"))]


def test_without_the_default_rule_only_a_rule_match_opens_an_incident() -> None:
    rules = parse_rules(
        "default: {enabled: false}\n"
        "rules: [{name: break_in, incident_type: break_in, priority: 2, window_s: 60,"
        " all_of: [door_forced, intrusion, camera_intrusion]}]"
    )
    harness = Harness(rules)
    assert harness.feed(raised(a) for a in BREAK_IN[:2]) == []
    [opened] = harness.feed([raised(BREAK_IN[2])])
    assert opened.change is IncidentChangeKind.OPENED
    assert opened.incident.alarm_ids == ("door", "pir", "cam") and opened.incident.rule == "break_in"
    assert [e.kind for e in opened.timeline] == [TimelineKind.OPENED] + [TimelineKind.ALARM_JOINED] * 3


def test_alarms_of_one_zone_within_the_default_window_join_one_incident() -> None:
    harness = Harness()
    harness.feed(
        raised(a)
        for a in [
            alarm("a1", "overcrowding", T0),
            alarm("a2", "tamper", T0 + 300),  # within 10 min of the incident's last alarm
            alarm("a3", "noise", T0 + 890),  # 590 s after a2
            alarm("b1", "noise", T0 + 100, zone="gate-b"),  # another zone: its own incident
            alarm("a4", "noise", T0 + 1500),  # 610 s after a3: a new incident
        ]
    )
    assert harness.grouping() == [
        ("generic", "default", ("a4",)),
        ("generic", "default", ("b1",)),
        ("overcrowding", "default", ("a1", "a2", "a3")),
    ]


def test_an_alarm_without_a_zone_joins_its_sites_incident_and_a_resolved_incident_takes_no_alarm() -> None:
    harness = Harness()
    harness.feed([raised(alarm("s1", "drone_detected", T0, zone=None))])
    harness.feed([raised(alarm("s2", "drone_detected", T0 + 30, zone=None))])
    harness.feed([raised(alarm("z1", "noise", T0 + 40))])
    assert harness.grouping() == [("generic", "default", ("s1", "s2")), ("generic", "default", ("z1",))]
    [site_incident] = [i for i in harness.open() if i.zone_id is None]
    resolved = lifecycle.transition(site_incident, IncidentState.RESOLVED, T0 + 50)
    harness.incidents.apply(IncidentChange(IncidentChangeKind.TRANSITIONED, resolved))
    harness.feed([raised(alarm("s3", "drone_detected", T0 + 60, zone=None))])
    assert ("generic", "default", ("s3",)) in harness.grouping()
    assert harness.incidents.incident_of(TENANT, "s3") != site_incident.id


def test_an_alarm_in_two_candidate_incidents_joins_exactly_one_the_latest_active() -> None:
    rules = parse_rules("default: {window_s: 600}")
    harness = Harness(rules)
    # two open incidents of zone gate-a: one from a perimeter rule of another file could make this; here a gap does
    harness.feed([raised(alarm("old", "noise", T0))])
    harness.feed([raised(alarm("new", "noise", T0 + 700))])
    assert len(harness.open()) == 2
    # T0 + 550 is within the window of both (T0 .. T0+600 and T0+100 .. T0+1300)
    [joined] = harness.feed([raised(alarm("both", "noise", T0 + 550))])
    assert joined.change is IncidentChangeKind.ALARM_JOINED
    holders = [i for i in harness.open() if "both" in i.alarm_ids]
    assert len(holders) == 1 and holders[0].alarm_ids == ("new", "both")
    assert harness.incidents.incident_of(TENANT, "both") == holders[0].id


def test_changes_out_of_order_correlate_by_raising_time_and_never_twice() -> None:
    door, pir, cam = BREAK_IN
    harness = Harness()
    # the camera's alarm first, the door's acknowledgement before its raising, then the motion
    harness.feed([raised(cam), acknowledged(door, T0 + 50), raised(door), raised(pir)])
    [incident] = harness.open()
    assert (incident.type, incident.rule, set(incident.alarm_ids)) == ("break_in", "break_in", {"door", "pir", "cam"})
    snapshot = harness.incidents.snapshot(TENANT, "door")
    assert snapshot is not None and snapshot.alarm.state is AlarmState.ACKNOWLEDGED  # the older raise did not win
    assert harness.feed([raised(door), raised(pir), raised(cam), acknowledged(door, T0 + 50)]) == []  # redelivered


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))), ids=str)
def test_the_grouping_does_not_depend_on_the_arrival_order(order: tuple[int, ...]) -> None:
    harness = Harness()
    harness.feed(raised(BREAK_IN[i]) for i in order)
    assert harness.grouping() == [("break_in", "break_in", ("cam", "door", "pir"))]


def test_a_members_later_changes_update_its_snapshot_and_the_timeline() -> None:
    door = BREAK_IN[0]
    harness = Harness()
    harness.feed([raised(door)])
    [change] = harness.feed([acknowledged(door, T0 + 30, "alice")])
    assert (change.change, change.actor) == (IncidentChangeKind.ALARM_UPDATED, "alice")
    assert change.alarms[0].alarm.state is AlarmState.ACKNOWLEDGED
    [entry] = change.timeline
    assert (entry.kind, entry.actor, entry.ts) == (TimelineKind.ALARM_CHANGED, "alice", T0 + 30)
    assert entry.data == {"alarm_id": "door", "change": "acknowledged", "state": "acknowledged"}
    retriggered = harness.feed([AlarmChange(AlarmChangeKind.RETRIGGERED, change.alarms[0].alarm)])
    assert retriggered == []  # the same snapshot again changes nothing


def test_a_sequence_rule_needs_its_order_and_a_radius_rule_its_distance() -> None:
    positions = {
        (TENANT, "fence-1"): Position(2.3600, 48.9240),
        (TENANT, "pir-near"): Position(2.3610, 48.9240),  # ~73 m east
        (TENANT, "pir-far"): Position(2.3650, 48.9240),  # ~366 m east
    }
    assert 60 < distance_m(positions[(TENANT, "fence-1")], positions[(TENANT, "pir-near")]) < 90
    in_order = Harness(positions=positions)
    in_order.feed(
        [
            raised(alarm("f", "fence_breach", T0, zone="perimeter", source="fence-1")),
            raised(alarm("p", "intrusion", T0 + 60, zone="parking", source="pir-near")),
        ]
    )
    assert in_order.grouping() == [("break_in", "perimeter_breach", ("f", "p"))]
    [incident] = in_order.open()
    assert incident.zone_id == "perimeter"  # the zone incident of the fence, reclassified; the motion joined it
    reversed_order = Harness(positions=positions)
    reversed_order.feed(
        [
            raised(alarm("p", "intrusion", T0, zone="parking", source="pir-near")),
            raised(alarm("f", "fence_breach", T0 + 60, zone="perimeter", source="fence-1")),
        ]
    )
    assert reversed_order.grouping() == [("break_in", "default", ("f",)), ("break_in", "default", ("p",))]
    too_far = Harness(positions=positions)
    too_far.feed(
        [
            raised(alarm("f", "fence_breach", T0, zone="perimeter", source="fence-1")),
            raised(alarm("p", "intrusion", T0 + 60, zone="parking", source="pir-far")),
        ]
    )
    assert too_far.grouping() == [("break_in", "default", ("f",)), ("break_in", "default", ("p",))]


def test_a_site_rule_joins_the_first_zones_incident_and_links_the_other() -> None:
    harness = Harness()
    harness.feed([raised(alarm("smoke-a", "fire_alarm", T0, zone="hall-a"))])
    harness.feed([raised(alarm("other", "noise", T0 + 5, zone="hall-b"))])
    [change] = harness.feed([raised(alarm("smoke-b", "fire_alarm", T0 + 90, zone="hall-b"))])
    assert change.change is IncidentChangeKind.RECLASSIFIED
    assert (change.incident.rule, change.incident.priority) == ("confirmed_fire", Priority.CRITICAL)
    assert change.incident.alarm_ids == ("smoke-a", "smoke-b")


def test_alarms_of_other_tenants_never_meet() -> None:
    harness = Harness()
    harness.feed(raised(a) for a in BREAK_IN[:2])
    harness.feed([raised(alarm("cam", "camera_intrusion", T0 + 45, tenant="elsewhere"))])
    assert sorted((i.tenant_id, i.rule, i.alarm_ids) for i in harness.open()) == [
        ("city", "default", ("door", "pir")),
        ("elsewhere", "default", ("cam",)),
    ]


def test_the_same_input_gives_the_same_output() -> None:
    first, second = Harness(), Harness()
    inputs = [raised(a) for a in BREAK_IN] + [acknowledged(BREAK_IN[0], T0 + 70)]
    assert first.feed(inputs) == second.feed(inputs)


def test_evidence_is_the_alarm_as_it_joined() -> None:
    harness = Harness()
    [change] = harness.feed([raised(BREAK_IN[0])])
    [evidence] = change.evidence
    assert isinstance(evidence, Evidence)
    assert (evidence.kind.value, evidence.ref, evidence.ts, evidence.added_by) == ("alarm", "door", T0, "engine")


# ----- an alarm that fires again -----


def _resolve(harness: Harness, incident_id: str, ts: float) -> None:
    incident = harness.incidents.get(TENANT, incident_id)
    assert incident is not None
    resolved = lifecycle.transition(incident, IncidentState.RESOLVED, ts)
    harness.incidents.apply(IncidentChange(IncidentChangeKind.TRANSITIONED, resolved, "op-1"))


def _fired_again(item: Alarm, normal_at: float, again_at: float) -> AlarmChange:
    """The alarm returning to normal at `normal_at`, then firing again at `again_at` (a new occurrence)."""
    return AlarmChange(AlarmChangeKind.RETRIGGERED, retrigger(return_to_normal(item, normal_at), again_at))


def test_an_alarm_firing_again_in_its_active_incident_is_on_the_timeline_and_moves_its_last_alarm_time() -> None:
    smoke = alarm("smoke", "intrusion", T0, zone="kitchen")
    harness = Harness()
    harness.feed([raised(smoke)])
    [change] = harness.feed([_fired_again(smoke, T0 + 60, T0 + 3_600)])
    assert change.change is IncidentChangeKind.ALARM_UPDATED
    [entry] = change.timeline
    assert (entry.kind, entry.ts) == (TimelineKind.ALARM_CHANGED, T0 + 3_600)
    assert entry.data["occurrence"] == 2
    [incident] = harness.open()
    assert (incident.first_alarm_at, incident.last_alarm_at) == (T0, T0 + 3_600)
    # a redelivery of the same occurrence changes nothing
    assert harness.feed([_fired_again(smoke, T0 + 60, T0 + 3_600)]) == []


def test_an_alarm_firing_again_after_its_incident_was_resolved_opens_a_new_incident() -> None:
    smoke = alarm("smoke", "intrusion", T0, zone="kitchen")
    harness = Harness()
    [opened] = harness.feed([raised(smoke)])
    first = opened.incident
    _resolve(harness, first.id, T0 + 600)
    again = _fired_again(smoke, T0 + 300, T0 + 7_200)
    [change] = harness.feed([again])
    assert change.change is IncidentChangeKind.OPENED
    second = change.incident
    assert second.id != first.id
    assert (second.opened_at, second.first_alarm_at, second.alarm_ids) == (T0 + 7_200, T0 + 7_200, ("smoke",))
    joined = [e for e in change.timeline if e.kind is TimelineKind.ALARM_JOINED]
    assert [(e.ts, e.data["occurrence"]) for e in joined] == [(T0 + 7_200, 2)]
    assert harness.incidents.incident_of(TENANT, "smoke") == second.id
    # the resolved incident keeps its own snapshot of the first occurrence
    old = harness.incidents.alarms(TENANT, first.id)
    assert [item.alarm.trigger_count for item in old] == [1]
    # later changes of the alarm go to the new incident
    [ack] = harness.feed([acknowledged(again.alarm, T0 + 7_300)])
    assert (ack.change, ack.incident.id) == (IncidentChangeKind.ALARM_UPDATED, second.id)
    # closing the first incident does not forget the alarm's membership of the second
    resolved = harness.incidents.get(TENANT, first.id)
    assert resolved is not None
    disposed = lifecycle.set_disposition(resolved, T0 + 7_400, Disposition.TRUE)
    closed = lifecycle.transition(disposed, IncidentState.CLOSED, T0 + 7_400)
    harness.incidents.apply(IncidentChange(IncidentChangeKind.TRANSITIONED, closed, "sup-1"))
    assert harness.incidents.incident_of(TENANT, "smoke") == second.id


def test_a_new_occurrence_joins_the_active_incident_of_its_zone() -> None:
    smoke = alarm("smoke", "intrusion", T0, zone="kitchen")
    heat = alarm("heat", "intrusion", T0 + 7_000, zone="kitchen", source="heat-1")
    harness = Harness()
    [opened] = harness.feed([raised(smoke)])
    _resolve(harness, opened.incident.id, T0 + 600)
    [heat_opened] = harness.feed([raised(heat)])
    [change] = harness.feed([_fired_again(smoke, T0 + 300, T0 + 7_100)])
    assert (change.change, change.incident.id) == (IncidentChangeKind.ALARM_JOINED, heat_opened.incident.id)
    assert change.incident.alarm_ids == ("heat", "smoke")


def test_an_occurrence_of_an_alarm_whose_incident_was_closed_is_correlated_when_the_caller_says_so() -> None:
    smoke = alarm("smoke", "intrusion", T0, zone="kitchen")
    harness = Harness()
    again = _fired_again(smoke, T0 + 60, T0 + 90_000)  # a day later: the correlator remembers nothing of it
    [change] = harness.correlator.on_alarm_change(again, harness.incidents, reoccurred=True)
    assert (change.change, change.incident.opened_at) == (IncidentChangeKind.OPENED, T0 + 90_000)
