"""Incident facts → CAP drafts: the priority and type tables, places in CAP order, and a whole incident's life
exported as Alert, Update and Cancel, each valid against the OASIS schema."""

from __future__ import annotations

import msgspec
import pytest
from lxml import etree

from beffroi.domain.observations import Position
from beffroi.errors import RejectedInput
from beffroi.exports.cap.incident_mapping import CapExportSettings, IncidentFacts, category_of, incident_alert
from beffroi.exports.cap.model import (
    CAP_NAMESPACE,
    Category,
    Certainty,
    Circle,
    LatLon,
    MsgType,
    NamedValue,
    ResponseType,
    Scope,
    Severity,
    Status,
    Urgency,
)
from beffroi.exports.cap.reader import read_cap
from beffroi.exports.cap.revisions import CapSeries
from tests.exports.cap.support import export

NS = {"cap": CAP_NAMESPACE}
T0 = 1_722_015_000.0  # 2024-07-26T17:30:00Z, 19:30 in Paris
SETTINGS = CapExportSettings(
    sender="pc@beffroi.paris2024.example",
    sender_name="PC sécurité Stade de France",
    web_url="https://beffroi.example/incidents/{incident_id}",
    contact="PC +33 1 00 00 00 00",
)
GATE_RING = [(2.3595, 48.9240), (2.3610, 48.9240), (2.3610, 48.9250), (2.3595, 48.9250), (2.3595, 48.9240)]
FACTS = IncidentFacts(
    id="inc-42",
    tenant_id="paris2024",
    type="break_in",
    title="Effraction porte N3",
    priority=2,
    state="new",
    opened_at=T0,
    updated_at=T0 + 30,
    revision=0,
    description="Porte forcée puis mouvement détecté dans la zone.",
    site_id="stade",
    site_name="Stade de France",
    zone_id="gate-n3",
    zone_name="Porte N3",
    polygon=[GATE_RING],
    point=Position(2.36, 48.9245),
    radius_m=150.0,
)


@pytest.mark.parametrize(
    ("priority", "expected"),
    [
        (1, (Urgency.IMMEDIATE, Severity.EXTREME, Certainty.OBSERVED)),
        (2, (Urgency.IMMEDIATE, Severity.SEVERE, Certainty.OBSERVED)),
        (3, (Urgency.EXPECTED, Severity.MODERATE, Certainty.LIKELY)),
        (4, (Urgency.EXPECTED, Severity.MINOR, Certainty.POSSIBLE)),
    ],
)
def test_priority_sets_urgency_severity_and_certainty(
    priority: int, expected: tuple[Urgency, Severity, Certainty]
) -> None:
    draft = incident_alert(
        msgspec.structs.replace(FACTS, priority=priority), CapSeries("paris2024", "inc-42"), SETTINGS
    )
    export(draft)
    [info] = draft.infos
    assert (info.urgency, info.severity, info.certainty) == expected


@pytest.mark.parametrize(
    ("incident_type", "category"),
    [
        ("fire", Category.FIRE),
        ("smoke-detected", Category.FIRE),
        ("break_in", Category.SECURITY),
        ("intrusion", Category.SECURITY),
        ("door_forced", Category.SECURITY),
        ("Perimeter Breach", Category.SECURITY),
        ("overcrowding", Category.SAFETY),
        ("crowd_crush", Category.SAFETY),
        ("medical", Category.HEALTH),
        ("gas_leak", Category.CBRNE),
        ("power_outage", Category.INFRA),
        ("traffic_jam", Category.TRANSPORT),
        ("lost_umbrella", Category.OTHER),
    ],
)
def test_incident_types_map_to_cap_categories(incident_type: str, category: Category) -> None:
    assert category_of(incident_type) == category


def test_the_first_export_is_an_alert_with_the_place_in_cap_order() -> None:
    draft = incident_alert(FACTS, CapSeries("paris2024", "inc-42"), SETTINGS)
    xml = export(draft)
    root = etree.fromstring(xml)
    assert root.findtext("cap:identifier", namespaces=NS) == "paris2024:incident:inc-42:r0"
    assert root.findtext("cap:sent", namespaces=NS) == "2024-07-26T19:30:30+02:00"
    assert root.findtext("cap:msgType", namespaces=NS) == "Alert"
    assert root.findtext("cap:scope", namespaces=NS) == "Restricted"
    assert root.findtext("cap:incidents", namespaces=NS) == "inc-42"
    [info] = draft.infos
    assert (info.categories, info.event, info.headline) == ([Category.SECURITY], "break in", "Effraction porte N3")
    assert (info.language, info.sender_name) == ("fr-FR", "PC sécurité Stade de France")
    assert info.web == "https://beffroi.example/incidents/inc-42"
    assert root.findtext("cap:info/cap:onset", namespaces=NS) == "2024-07-26T19:30:00+02:00"
    assert root.findtext("cap:info/cap:expires", namespaces=NS) == "2024-07-26T23:30:30+02:00"
    [area] = info.areas
    assert area.description == "Porte N3, Stade de France"
    assert area.polygons[0][0] == LatLon(lat=48.9240, lon=2.3595)
    assert root.findtext("cap:info/cap:area/cap:polygon", namespaces=NS) == (
        "48.924,2.3595 48.924,2.361 48.925,2.361 48.925,2.3595 48.924,2.3595"
    )
    assert area.circles == [Circle(LatLon(48.9245, 2.36), 0.15)]
    assert area.geocodes == [NamedValue("beffroi:site", "stade"), NamedValue("beffroi:zone", "gate-n3")]
    assert NamedValue("beffroi:priority", "2") in info.parameters
    assert read_cap(xml) == draft


def test_an_incidents_life_is_exported_as_alert_updates_and_cancel() -> None:
    series = CapSeries("paris2024", "inc-42")
    lives = [
        msgspec.structs.replace(FACTS, revision=0),
        msgspec.structs.replace(FACTS, revision=1, state="in_progress", priority=1, updated_at=T0 + 120),
        msgspec.structs.replace(FACTS, revision=2, state="on_hold", updated_at=T0 + 600),
        msgspec.structs.replace(FACTS, revision=3, state="resolved", disposition="true", updated_at=T0 + 1800),
    ]
    drafts = []
    for facts in lives:
        draft = incident_alert(facts, series, SETTINGS)
        export(draft)
        series = series.record(draft)
        drafts.append(draft)
    assert [draft.msg_type for draft in drafts] == [MsgType.ALERT, MsgType.UPDATE, MsgType.UPDATE, MsgType.CANCEL]
    assert [len(draft.references) for draft in drafts] == [0, 1, 2, 3]
    assert drafts[3].references == [draft.reference for draft in drafts[:3]]
    assert drafts[1].infos[0].severity is Severity.EXTREME
    cancel = drafts[3]
    assert (cancel.note, cancel.infos[0].urgency, cancel.infos[0].response_types) == (
        "Incident resolved",
        Urgency.PAST,
        [ResponseType.ALL_CLEAR],
    )
    assert cancel.infos[0].expires is None
    assert cancel.infos[0].certainty is Certainty.OBSERVED


def test_a_false_alarm_is_cancelled_as_unlikely() -> None:
    series = CapSeries("paris2024", "inc-42")
    series = series.record(incident_alert(FACTS, series, SETTINGS))
    closed = msgspec.structs.replace(FACTS, revision=1, state="closed", disposition="false", updated_at=T0 + 90)
    draft = incident_alert(closed, series, SETTINGS)
    export(draft)
    assert (draft.msg_type, draft.note, draft.infos[0].certainty) == (
        MsgType.CANCEL,
        "Incident closed: false alarm",
        Certainty.UNLIKELY,
    )


def test_a_point_only_incident_in_a_private_exercise() -> None:
    settings = msgspec.structs.replace(
        SETTINGS, status=Status.EXERCISE, scope=Scope.PRIVATE, addresses="sdis93 dsp", timezone="UTC"
    )
    facts = msgspec.structs.replace(
        FACTS, polygon=None, radius_m=None, zone_name=None, site_name=None, site_id=None, zone_id=None
    )
    draft = incident_alert(facts, CapSeries("paris2024", "inc-42"), settings)
    root = etree.fromstring(export(draft))
    assert (draft.status, draft.scope, draft.addresses, draft.restriction) == (
        Status.EXERCISE,
        Scope.PRIVATE,
        "sdis93 dsp",
        None,
    )
    assert root.findtext("cap:sent", namespaces=NS) == "2024-07-26T17:30:30-00:00"
    [area] = draft.infos[0].areas
    assert (area.description, area.polygons, area.circles) == (
        "Incident inc-42",
        [],
        [Circle(LatLon(48.9245, 2.36), 0)],
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"priority": 5}, "priority 5 is not 1 to 4"),
        ({"state": "lost"}, "state 'lost' is not one of"),
        ({"id": "inc-43"}, "the CAP series is that of incident 'inc-42'"),
        ({"polygon": [[(2.0, 48.0), (2.1, 48.0)]]}, "outer ring needs at least 3 points"),
        ({"radius_m": -1.0}, "radius -1.0 m"),
    ],
)
def test_bad_facts_are_refused(change: dict[str, object], expected: str) -> None:
    with pytest.raises(RejectedInput) as caught:
        incident_alert(msgspec.structs.replace(FACTS, **change), CapSeries("paris2024", "inc-42"), SETTINGS)
    assert caught.value.reason == "invalid_incident_facts"
    assert expected in caught.value.detail


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(RejectedInput, match="unknown time zone"):
        incident_alert(
            FACTS, CapSeries("paris2024", "inc-42"), msgspec.structs.replace(SETTINGS, timezone="Mars/Olympus")
        )
