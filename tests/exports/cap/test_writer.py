"""CapAlertDraft → CAP 1.2 XML: valid against the OASIS schema whatever the draft holds, CAP's text forms, and the
CAP rules the schema does not check enforced before writing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from beffroi.exports.cap.errors import CapRejected
from beffroi.exports.cap.formats import format_datetime, format_number
from beffroi.exports.cap.model import (
    CAP_NAMESPACE,
    Area,
    CapAlertDraft,
    Category,
    Certainty,
    Circle,
    Info,
    LatLon,
    MsgType,
    Reference,
    Scope,
    Severity,
    Status,
    Urgency,
)
from beffroi.exports.cap.reader import read_cap
from beffroi.exports.cap.writer import write_cap
from tests.exports.cap.support import PLAZA, SENT, export, full_draft, ring

NS = {"cap": CAP_NAMESPACE}


def test_a_draft_with_every_element_is_valid_and_in_schema_order() -> None:
    xml = export(full_draft())
    root = etree.fromstring(xml)
    assert root.tag == f"{{{CAP_NAMESPACE}}}alert"
    assert [etree.QName(child).localname for child in root][:14] == [
        "identifier",
        "sender",
        "sent",
        "status",
        "msgType",
        "source",
        "scope",
        "restriction",
        "code",
        "code",
        "note",
        "incidents",
        "info",
        "info",
    ]
    assert root.findtext("cap:sent", namespaces=NS) == "2024-07-26T19:30:00+02:00"
    info = root.find("cap:info", NS)
    assert info is not None
    assert info.findtext("cap:expires", namespaces=NS) == "2024-07-26T21:30:00-00:00"
    assert info.findtext("cap:audience", namespaces=NS) == "Opérateurs & partenaires <PC sécurité>"
    area = info.find("cap:area", NS)
    assert area is not None
    assert area.findtext("cap:polygon", namespaces=NS) == (
        "48.924,2.359 48.924,2.3612 48.925,2.3612 48.925,2.359 48.924,2.359"
    )
    assert [circle.text for circle in area.findall("cap:circle", NS)] == ["48.9245,2.3601 0.25", "-0.00001,0 0"]
    assert (area.findtext("cap:altitude", namespaces=NS), area.findtext("cap:ceiling", namespaces=NS)) == ("0", "300.5")
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")


def test_update_and_cancel_carry_their_references() -> None:
    first = Reference("beffroi@paris2024.example", "paris2024:incident:inc-42:r0", SENT)
    second = Reference("beffroi@paris2024.example", "paris2024:incident:inc-42:r1", SENT + timedelta(minutes=3))
    for msg_type in (MsgType.UPDATE, MsgType.CANCEL):
        root = etree.fromstring(export(full_draft(msg_type, [first, second])))
        assert root.findtext("cap:msgType", namespaces=NS) == msg_type.value
        assert root.findtext("cap:references", namespaces=NS) == (
            "beffroi@paris2024.example,paris2024:incident:inc-42:r0,2024-07-26T19:30:00+02:00 "
            "beffroi@paris2024.example,paris2024:incident:inc-42:r1,2024-07-26T19:33:00+02:00"
        )


def test_a_minimal_alert_without_info_is_valid() -> None:
    draft = CapAlertDraft("id-1", "sender@example", SENT, Status.TEST, MsgType.ALERT, Scope.PUBLIC)
    root = etree.fromstring(export(draft))
    assert [etree.QName(child).localname for child in root] == [
        "identifier",
        "sender",
        "sent",
        "status",
        "msgType",
        "scope",
    ]


def test_private_scope_with_addresses_is_valid() -> None:
    draft = msgspec.structs.replace(full_draft(), scope=Scope.PRIVATE, restriction=None, addresses="pc-nord pc-sud")
    assert etree.fromstring(export(draft)).findtext("cap:addresses", namespaces=NS) == "pc-nord pc-sud"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"identifier": "inc 42"}, "alert.identifier 'inc 42' contains a space"),
        ({"sender": "a,b"}, "alert.sender 'a,b' contains a space, a comma"),
        ({"restriction": None}, "alert.restriction is required when the scope is Restricted"),
        ({"scope": Scope.PRIVATE}, "alert.addresses is required when the scope is Private"),
        ({"msg_type": MsgType.UPDATE}, "alert.references must name the earlier message(s) of a Update"),
        ({"sent": datetime(2024, 7, 26, 19, 30)}, "has no UTC offset"),
        ({"note": "bell\x07"}, "holds a control character"),
    ],
)
def test_a_draft_breaking_a_cap_rule_is_refused_with_the_rule(change: dict[str, object], expected: str) -> None:
    draft = msgspec.structs.replace(full_draft(), **change)
    with pytest.raises(CapRejected) as caught:
        write_cap(draft)
    assert caught.value.reason == "cap_invalid"
    assert any(expected in problem.detail for problem in caught.value.problems), caught.value.problems


def test_open_polygons_bad_coordinates_and_a_lone_ceiling_are_refused() -> None:
    area = Area(
        description="here",
        polygons=[PLAZA[:-1], ring((91.0, 2.0), (48.0, 2.0), (48.0, 3.0))],
        circles=[Circle(LatLon(48.0, 2.0), -1.0)],
        ceiling=10.0,
    )
    info = msgspec.structs.replace(full_draft().infos[0], areas=[area])
    with pytest.raises(CapRejected) as caught:
        write_cap(msgspec.structs.replace(full_draft(), infos=[info]))
    details = [problem.detail for problem in caught.value.problems]
    assert details == [
        "info[0].area[0].polygon[0]: a polygon must be closed: its first pair 48.924,2.359 must also be its last",
        "info[0].area[0].polygon[1]: latitude 91.0 is not within -90..90",
        "info[0].area[0].circle[0]: radius -1.0 km must be zero or more",
        "info[0].area[0].ceiling needs an altitude",
    ]


def test_cap_times_spell_out_the_offset_and_utc_as_minus_zero() -> None:
    assert format_datetime(datetime(2024, 7, 26, 17, 30, 12, 999_000, tzinfo=UTC)) == "2024-07-26T17:30:12-00:00"
    assert format_datetime(datetime(2024, 1, 5, 8, 0, tzinfo=timezone(timedelta(hours=-5)))) == (
        "2024-01-05T08:00:00-05:00"
    )
    with pytest.raises(ValueError, match="whole number of minutes"):
        format_datetime(datetime(2024, 1, 5, tzinfo=timezone(timedelta(seconds=561))))


@pytest.mark.parametrize(
    ("value", "text"),
    [(1e-05, "0.00001"), (-0.0, "0"), (2.0, "2"), (48.8566, "48.8566"), (1e20, "100000000000000000000")],
)
def test_numbers_are_plain_decimals(value: float, text: str) -> None:
    assert format_number(value) == text


_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(
    lambda text: text.strip() == text and text.strip() != ""
)
_token = st.from_regex(r"[A-Za-z0-9.:@_-]{1,30}", fullmatch=True)
# coordinates to 1e-7 degree (about 1 cm): CAP writes them in plain decimals, exact at that precision
_latitude = st.floats(-90, 90).map(lambda value: round(value, 7))
_longitude = st.floats(-180, 180).map(lambda value: round(value, 7))
_offsets = st.integers(-12 * 60, 14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))
_times = st.builds(datetime.fromtimestamp, st.integers(0, 4_000_000_000), _offsets)


@st.composite
def _drafts(draw: st.DrawFn) -> CapAlertDraft:
    points = draw(st.lists(st.tuples(_latitude, _longitude), min_size=3, max_size=6))
    area = Area(
        description=draw(_text),
        polygons=[ring(*points)],
        circles=[
            Circle(
                LatLon(draw(_latitude), draw(_longitude)), draw(st.floats(0, 1000).map(lambda value: round(value, 3)))
            )
        ],
    )
    info = Info(
        categories=draw(st.lists(st.sampled_from(Category), min_size=1, max_size=3)),
        event=draw(_text),
        urgency=draw(st.sampled_from(Urgency)),
        severity=draw(st.sampled_from(Severity)),
        certainty=draw(st.sampled_from(Certainty)),
        headline=draw(st.none() | _text),
        expires=draw(st.none() | _times),
        areas=[area],
    )
    return CapAlertDraft(
        identifier=draw(_token),
        sender=draw(_token),
        sent=draw(_times),
        status=draw(st.sampled_from(Status)),
        msg_type=MsgType.ALERT,
        scope=Scope.PUBLIC,
        note=draw(st.none() | _text),
        infos=[info],
    )


@settings(max_examples=60, deadline=None)
@given(_drafts())
def test_any_valid_draft_is_schema_valid_and_reads_back_equal(draft: CapAlertDraft) -> None:
    assert read_cap(export(draft)) == draft
