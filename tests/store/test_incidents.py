"""Incidents in the store, on SQLite and PostgreSQL: round trips of incidents with their alarms, timeline,
evidence and procedure; one incident per alarm; idempotent saves; queries, tenancy and disposition counts."""

from __future__ import annotations

import msgspec
import pytest

from beffroi.domain.alarms import retrigger, return_to_normal
from beffroi.domain.incidents import Disposition, IncidentState, TimelineKind
from beffroi.domain.messages import AlarmChange, AlarmChangeKind, IncidentAction, IncidentChange, IncidentCommand
from beffroi.domain.records import AuditEntry
from beffroi.engine.correlation import Correlator
from beffroi.engine.escalation import EscalationLevel, EscalationPolicy
from beffroi.engine.incident_book import IncidentBook
from beffroi.engine.procedures import load_procedures
from beffroi.errors import NotFound
from beffroi.store.incidents import DispositionCounts, RateGrouping
from beffroi.store.store import Store
from tests.engine.incident_builders import FIXTURE_RULES, T0, TENANT, acknowledged, alarm, counter, raised

S = IncidentState


def book(prefix: str = "id") -> IncidentBook:
    new_id = counter(prefix)
    policy = EscalationPolicy(chain=(EscalationLevel("operators"),))
    return IncidentBook(Correlator(FIXTURE_RULES, new_id), load_procedures(), policy, new_id)


def act(incidents: IncidentBook, incident_id: str, action: IncidentAction, **fields: object) -> IncidentChange:
    command = msgspec.convert(
        {
            "command_id": "c",
            "tenant_id": TENANT,
            "incident_id": incident_id,
            "action": action,
            "actor": "alice",
            "ts": T0 + 200,
            **fields,
        },
        IncidentCommand,
    )
    result = incidents.execute(command)
    return result.change


def break_in(incidents: IncidentBook) -> list[IncidentChange]:
    door, pir, cam = (
        alarm("door", "door_forced", T0),
        alarm("pir", "intrusion", T0 + 20),
        alarm("cam", "camera_intrusion", T0 + 45),
    )
    changes = [c for a in (door, pir, cam) for c in incidents.on_alarm_change(raised(a))]
    return changes + incidents.on_alarm_change(acknowledged(door, T0 + 60))


def test_an_incident_reads_back_as_it_was_written(store: Store) -> None:
    incidents = book()
    changes = break_in(incidents)
    [incident] = incidents.open.all()
    changes.append(act(incidents, incident.id, IncidentAction.ADD_NOTE, text="on cam", links=["https://v/1"]))
    changes.append(act(incidents, incident.id, IncidentAction.COMPLETE_STEP, step_id="verify", choice="intruder_seen"))
    audit = [AuditEntry("au-1", T0 + 200, TENANT, "alice", "incident.add_note", "incident", incident.id)]
    store.save_incident_changes(changes, audit)
    [held] = incidents.open.all()
    record = store.get_incident_record(TENANT, incident.id)
    assert record.incident == held == store.get_incident(TENANT, incident.id)
    assert list(record.alarms) == incidents.open.alarms(TENANT, incident.id)
    assert record.alarms[0].alarm.state.value == "acknowledged"  # the newest snapshot
    assert record.procedure == incidents.open.run(TENANT, incident.id)
    assert record.procedure is not None and record.procedure.translations["fr"].title == "Effraction"
    assert record.procedure.steps[0].translations["fr"].choices["intruder_seen"].startswith("Présence")
    expected_timeline = sorted((e for c in changes for e in c.timeline), key=lambda e: (e.ts, e.id))
    assert list(record.timeline) == expected_timeline
    assert sorted(record.evidence, key=lambda e: e.id) == sorted(
        (e for c in changes for e in c.evidence), key=lambda e: e.id
    )
    assert store.query_audit(TENANT, target_id=incident.id) == audit


def test_saving_twice_writes_once_and_a_later_occurrence_joins_another_incident(store: Store) -> None:
    incidents = book()
    changes = break_in(incidents)
    store.save_incident_changes(changes)
    store.save_incident_changes(changes)
    [incident] = incidents.open.all()
    record = store.get_incident_record(TENANT, incident.id)
    assert len(record.timeline) == len({e.id for c in changes for e in c.timeline})
    # the door fires again two hours later, after its incident was closed: a new incident holds that occurrence
    door = alarm("door", "door_forced", T0)
    again = AlarmChange(AlarmChangeKind.RETRIGGERED, retrigger(return_to_normal(door, T0 + 60), T0 + 7_200))
    later = book("later")
    store.save_incident_changes(later.on_alarm_change(again, reoccurred=True))
    [second] = later.open.all()
    assert store.incident_of_alarm(TENANT, "door") == second.id
    [item] = store.get_incident_record(TENANT, second.id).alarms
    assert (item.alarm.id, item.alarm.trigger_count) == ("door", 2)
    first_doors = [a for a in store.get_incident_record(TENANT, incident.id).alarms if a.alarm.id == "door"]
    assert [a.alarm.trigger_count for a in first_doors] == [1]


def test_open_records_are_what_a_restarted_worker_needs(store: Store) -> None:
    incidents = book()
    changes = break_in(incidents)
    noise = incidents.on_alarm_change(raised(alarm("n1", "noise", T0, zone="gate-b")))
    [noise_id] = {c.incident.id for c in noise}
    changes += noise
    changes.append(act(incidents, noise_id, IncidentAction.COMPLETE_STEP, step_id="assess", choice="false_alarm"))
    changes.append(act(incidents, noise_id, IncidentAction.COMPLETE_STEP, step_id="record"))
    changes.append(act(incidents, noise_id, IncidentAction.SET_DISPOSITION, disposition="false"))
    changes.append(act(incidents, noise_id, IncidentAction.TRANSITION, target_state="resolved"))
    changes.append(act(incidents, noise_id, IncidentAction.TRANSITION, target_state="closed"))
    store.save_incident_changes(changes)
    records = store.open_incident_records()
    assert [r.incident for r in records] == incidents.open.all()
    assert all(r.timeline == () and r.evidence == () for r in records)
    assert store.open_incident_records("elsewhere") == []
    closed = store.get_incident(TENANT, noise_id)
    assert (closed.state, closed.disposition) == (S.CLOSED, Disposition.FALSE)


def test_queries_filter_sort_and_count(store: Store) -> None:
    incidents = book()
    changes = break_in(incidents)  # priority 2, zone gate-a
    for index, zone in enumerate(("gate-b", "gate-c", "gate-d")):
        changes += incidents.on_alarm_change(raised(alarm(f"n{index}", "noise", T0 + 10 * index, zone=zone)))
    by_zone = {i.zone_id: i.id for i in incidents.open.all()}
    changes.append(act(incidents, by_zone["gate-c"], IncidentAction.ASSIGN, assignee="bob"))
    changes.append(act(incidents, by_zone["gate-d"], IncidentAction.TRANSITION, target_state="on_hold"))
    store.save_incident_changes(changes)
    everything, total = store.query_incidents(TENANT)
    assert total == 4 and everything[0].id == by_zone["gate-a"]  # the most urgent first
    assert [i.zone_id for i in everything[1:]] == ["gate-d", "gate-c", "gate-b"]  # then the newest opened
    page, total = store.query_incidents(TENANT, limit=2, offset=1)
    assert [i.zone_id for i in page] == ["gate-d", "gate-c"] and total == 4
    held, total = store.query_incidents(TENANT, states=[S.ON_HOLD])
    assert [i.zone_id for i in held] == ["gate-d"] and total == 1
    assert [i.zone_id for i in store.query_incidents(TENANT, assignee="bob")[0]] == ["gate-c"]
    assert store.query_incidents(TENANT, priorities=[2])[1] == 1
    assert store.query_incidents(TENANT, site_id="elsewhere") == ([], 0)
    assert store.query_incidents("elsewhere") == ([], 0)
    with pytest.raises(NotFound):
        store.get_incident("elsewhere", by_zone["gate-a"])
    with pytest.raises(NotFound):
        store.get_incident_record(TENANT, "nope")
    assert store.incident_exists(TENANT, by_zone["gate-b"]) and not store.incident_exists(
        "elsewhere", by_zone["gate-b"]
    )


def test_dispositions_count_into_false_alarm_rates(store: Store) -> None:
    incidents = book()
    changes: list[IncidentChange] = []
    for index, (zone, disposition) in enumerate(
        [("z1", "false"), ("z2", "false"), ("z3", "true"), ("z4", "duplicate"), ("z5", None)]
    ):
        opened = incidents.on_alarm_change(raised(alarm(f"pir-{index}", "intrusion", T0, zone=zone, source="pir-x")))
        changes += opened
        if disposition is not None:
            fields: dict[str, object] = {"disposition": disposition}
            if disposition == "duplicate":
                fields["duplicate_of"] = opened[0].incident.id + "-original"
            changes.append(act(incidents, opened[0].incident.id, IncidentAction.SET_DISPOSITION, **fields))
    changes += incidents.on_alarm_change(raised(alarm("door-1", "door_forced", T0, zone="z3")))
    store.save_incident_changes(changes)
    by_type = store.incident_disposition_counts(TENANT, RateGrouping.ALARM_TYPE)
    assert by_type == [
        DispositionCounts("intrusion", 1, 2, 1, 1, 5, 2 / 3),
        DispositionCounts("door_forced", 1, 0, 0, 0, 1, 0.0),
    ]
    assert store.incident_disposition_counts(TENANT, RateGrouping.SOURCE)[0] == DispositionCounts(
        "pir-x", 1, 2, 1, 1, 5, 2 / 3
    )
    [by_rule] = store.incident_disposition_counts(TENANT, RateGrouping.RULE)
    assert by_rule == DispositionCounts("default", 1, 2, 1, 1, 5, 2 / 3)  # incidents, not alarms
    assert store.incident_disposition_counts(TENANT, RateGrouping.INCIDENT_TYPE)[0].key == "break_in"
    assert store.incident_disposition_counts(TENANT, RateGrouping.ALARM_TYPE, since=T0 + 1) == []
    assert store.incident_disposition_counts(TENANT, RateGrouping.ALARM_TYPE, site_id="elsewhere") == []
    assert store.incident_disposition_counts("elsewhere", RateGrouping.ALARM_TYPE) == []


def test_the_timeline_of_every_incident_can_be_read_by_kind(store: Store) -> None:
    incidents = book()
    changes = break_in(incidents)
    [incident] = incidents.open.all()
    changes.append(act(incidents, incident.id, IncidentAction.SKIP_STEP, step_id="verify", justification="no cam"))
    store.save_incident_changes(changes)
    [notified] = store.query_incident_timeline(TENANT, kinds=[TimelineKind.SUPERVISOR_NOTIFIED])
    assert notified.data["justification"] == "no cam" and notified.incident_id == incident.id
    newest_first = store.query_incident_timeline(TENANT, limit=3)
    assert [e.ts for e in newest_first] == sorted((e.ts for e in newest_first), reverse=True)
    assert store.query_incident_timeline("elsewhere") == []
    assert store.query_incident_timeline(TENANT, since=T0 + 1000) == []
