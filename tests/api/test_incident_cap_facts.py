"""What a CAP message says of an incident: its zone's polygon, else a circle around its site, else no geometry; the
alarms counted in the description; and which changes are news for the authorities."""

from __future__ import annotations

import msgspec

from beffroi.api.incident_cap import SITE_RADIUS_M, facts_json, facts_of, same_news
from beffroi.domain import incidents as lifecycle
from beffroi.domain.alarms import Priority
from beffroi.domain.incidents import Disposition, IncidentAlarm, IncidentRecord, IncidentState
from beffroi.domain.observations import Position
from beffroi.domain.registry import Site, Zone, ZoneKind
from tests.engine.incident_builders import T0, TENANT, alarm

SITE = Site("stadium", TENANT, "Stadium", "stadium", Position(2.36, 48.92))
RING = [(2.36, 48.92), (2.361, 48.92), (2.361, 48.921), (2.36, 48.92)]
ZONE = Zone("gate-a", TENANT, "stadium", "Gate A", ZoneKind.GATE, [RING], 100.0, 50)


def record(*alarm_types: str, zone: str | None = "gate-a") -> IncidentRecord:
    incident = lifecycle.open_incident(
        "inc-1",
        TENANT,
        type="break_in",
        title="Break-in",
        priority=Priority.HIGH,
        rule="r",
        ts=T0,
        site_id="stadium",
        zone_id=zone,
    )
    alarms = [alarm(f"a-{i}", kind, T0 + i) for i, kind in enumerate(alarm_types)]
    for item in alarms:
        incident = lifecycle.join(incident, item)
    return IncidentRecord(incident, tuple(IncidentAlarm("inc-1", T0, item) for item in alarms))


def test_a_zone_places_the_incident_by_its_polygon() -> None:
    facts = facts_of(record("intrusion", "door_forced", "intrusion"), 3, SITE, ZONE)
    assert (facts.polygon, facts.point, facts.zone_name, facts.site_name) == ([[*RING]], None, "Gate A", "Stadium")
    assert (facts.revision, facts.priority, facts.state) == (3, 2, "new")
    assert facts.description == "3 alarms: door_forced, intrusion"


def test_without_a_zone_a_circle_around_the_site_and_without_a_site_no_geometry() -> None:
    facts = facts_of(record("intrusion", zone=None), 0, SITE, None)
    assert (facts.point, facts.radius_m, facts.polygon) == (SITE.position, SITE_RADIUS_M, None)
    assert facts.description == "1 alarm: intrusion"
    nowhere = facts_of(record(), 0, None, None)
    assert (nowhere.point, nowhere.polygon, nowhere.description) == (None, None, "")


def test_only_changes_the_authorities_care_about_are_news() -> None:
    facts = facts_of(record("intrusion"), 0, SITE, ZONE)
    recorded = facts_json(facts)
    later = msgspec.structs.replace(facts, revision=1, updated_at=T0 + 600)
    assert same_news(later, recorded)
    for change in (
        {"state": IncidentState.IN_PROGRESS.value},
        {"priority": 1},
        {"disposition": Disposition.TRUE.value},
        {"description": "2 alarms: intrusion"},
    ):
        assert not same_news(msgspec.structs.replace(later, **change), recorded), change
