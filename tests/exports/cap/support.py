"""What the CAP tests share: the OASIS schema every export is validated with, and a draft using every element."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from pathlib import Path

from lxml import etree

from beffroi.exports.cap.model import (
    Area,
    CapAlertDraft,
    Category,
    Certainty,
    Circle,
    Info,
    LatLon,
    MsgType,
    NamedValue,
    Reference,
    Resource,
    ResponseType,
    Scope,
    Severity,
    Status,
    Urgency,
)
from beffroi.exports.cap.writer import write_cap

REPO = Path(__file__).resolve().parents[3]
BUNDLED_SCHEMA = REPO / "beffroi" / "exports" / "schemas" / "CAP-v1.2.xsd"
SHARED_SCHEMA = REPO.parent / "shared" / "schemas" / "CAP-v1.2.xsd"
PARIS_SUMMER = timezone(timedelta(hours=2))
SENT = datetime(2024, 7, 26, 19, 30, tzinfo=PARIS_SUMMER)


@cache
def oasis_schema() -> etree.XMLSchema:
    """The OASIS CAP 1.2 schema, compiled here independently of the package's validator."""
    return etree.XMLSchema(etree.parse(str(BUNDLED_SCHEMA)))


def assert_schema_valid(xml: bytes) -> None:
    """Fails with the schema's own messages when `xml` is not a valid CAP 1.2 message."""
    schema = oasis_schema()
    document = etree.fromstring(xml)
    assert schema.validate(document), [f"line {e.line}: {e.message}" for e in schema.error_log]


def export(draft: CapAlertDraft) -> bytes:
    """Write `draft` and validate the XML against the OASIS schema: every export in the tests goes through here."""
    xml = write_cap(draft)
    assert_schema_valid(xml)
    return xml


def ring(*points: tuple[float, float]) -> list[LatLon]:
    """A closed ring of (lat, lon) points."""
    closed = [LatLon(lat, lon) for lat, lon in points]
    return [*closed, closed[0]]


PLAZA = ring((48.9240, 2.3590), (48.9240, 2.3612), (48.9250, 2.3612), (48.9250, 2.3590))


def full_draft(msg_type: MsgType = MsgType.ALERT, references: list[Reference] | None = None) -> CapAlertDraft:
    """A draft with every optional element set, two infos (French and English) and two areas."""
    area = Area(
        description="Parvis nord, Stade de France",
        polygons=[PLAZA, ring((48.9200, 2.3500), (48.9200, 2.3510), (48.9210, 2.3505))],
        circles=[Circle(LatLon(48.9245, 2.3601), 0.25), Circle(LatLon(-0.00001, 0.0), 0.0)],
        geocodes=[NamedValue("beffroi:zone", "north-plaza"), NamedValue("INSEE", "93066")],
        altitude=0.0,
        ceiling=300.5,
    )
    french = Info(
        language="fr-FR",
        categories=[Category.SAFETY, Category.SECURITY],
        event="Mouvement de foule",
        response_types=[ResponseType.AVOID, ResponseType.MONITOR],
        urgency=Urgency.IMMEDIATE,
        severity=Severity.SEVERE,
        certainty=Certainty.OBSERVED,
        audience="Opérateurs & partenaires <PC sécurité>",
        event_codes=[NamedValue("SAME", "CEM")],
        effective=SENT,
        onset=SENT - timedelta(minutes=5),
        expires=datetime(2024, 7, 26, 21, 30, tzinfo=UTC),
        sender_name="PC Beffroi",
        headline="Mouvement de foule au parvis nord",
        description="Densité > 4 pers/m² mesurée, « très dense ».",
        instruction="Fermer la porte N3 ; orienter vers N5.",
        web="https://beffroi.example/incidents/inc-42",
        contact="PC sécurité +33 1 00 00 00 00",
        parameters=[NamedValue("beffroi:priority", "2"), NamedValue("density_p_m2", "4.3")],
        resources=[
            Resource("Plan du parvis", "image/png", 2048, "https://beffroi.example/plan.png", None, "ab" * 20),
            Resource("Note", "text/plain", deref_uri="Q0FQIDEuMg=="),
        ],
        areas=[area, Area(description="Tout le site")],
    )
    english = Info(
        language="en-GB",
        categories=[Category.SAFETY],
        event="Crowd surge",
        urgency=Urgency.IMMEDIATE,
        severity=Severity.SEVERE,
        certainty=Certainty.OBSERVED,
        headline="Crowd surge at the north plaza",
        areas=[area],
    )
    return CapAlertDraft(
        identifier="paris2024:incident:inc-42:r0",
        sender="beffroi@paris2024.example",
        sent=SENT,
        status=Status.EXERCISE,
        msg_type=msg_type,
        scope=Scope.RESTRICTED,
        source="engine",
        restriction="Partenaires du PC uniquement",
        codes=["IPAWSv1.0", "beffroi"],
        note="Exercice de la nuit",
        references=references or [],
        incidents="inc-42",
        infos=[french, english],
    )
