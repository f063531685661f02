"""Authorities' CAP alerts → drafts → Beffroi events; what Beffroi writes reads back the same."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from beffroi.domain.observations import Position
from beffroi.domain.registry import Zone, ZoneKind
from beffroi.exports.cap.errors import CapRejected
from beffroi.exports.cap.events import cap_events
from beffroi.exports.cap.model import (
    Category,
    Certainty,
    MsgType,
    NamedValue,
    Reference,
    ResponseType,
    Scope,
    Severity,
    Status,
    Urgency,
)
from beffroi.exports.cap.places import Place, ZoneLocator
from beffroi.exports.cap.reader import read_cap
from tests.exports.cap.samples import FR_ALERT_CANCEL, METEO_VIGILANCE, fr_alert
from tests.exports.cap.support import export, full_draft

PARIS_SUMMER = timezone(timedelta(hours=2))
# GeoJSON rings [lon, lat]: the forecourt around the FR-Alert polygon, and a smaller gate inside it (with a hole)
FORECOURT = Zone(
    "forecourt",
    "city-a",
    "stade",
    "Parvis",
    ZoneKind.CONCOURSE,
    [[(2.3580, 48.9230), (2.3620, 48.9230), (2.3620, 48.9260), (2.3580, 48.9260), (2.3580, 48.9230)]],
    5000.0,
    10000,
)
GATE = Zone(
    "gate-n3",
    "city-a",
    "stade",
    "Porte N3",
    ZoneKind.GATE,
    [
        [(2.3595, 48.9240), (2.3610, 48.9240), (2.3610, 48.9250), (2.3595, 48.9250), (2.3595, 48.9240)],
        [(2.3596, 48.9241), (2.3598, 48.9241), (2.3598, 48.9243), (2.3596, 48.9241)],
    ],
    100.0,
    300,
)


def test_an_fr_alert_is_read_whole() -> None:
    draft = read_cap(fr_alert())
    assert (draft.identifier, draft.sender, draft.status, draft.msg_type, draft.scope, draft.codes) == (
        "2.49.0.0.250.0.FR.20240726193000.0042",
        "fr-alert@interieur.gouv.fr",
        Status.ACTUAL,
        MsgType.ALERT,
        Scope.PUBLIC,
        ["FR-Alert"],
    )
    assert draft.sent == datetime(2024, 7, 26, 19, 30, tzinfo=PARIS_SUMMER)
    french, english = draft.infos
    assert (french.language, french.categories, french.event) == ("fr-FR", [Category.SAFETY], "Mouvement de foule")
    assert french.response_types == [ResponseType.AVOID, ResponseType.SHELTER]
    assert (french.urgency, french.severity, french.certainty) == (
        Urgency.IMMEDIATE,
        Severity.SEVERE,
        Certainty.OBSERVED,
    )
    assert french.sender_name == "Préfecture de police"
    assert french.parameters == [NamedValue("CMAS_category", "Severe")]
    assert french.areas[0].polygons[0][0] == french.areas[0].polygons[0][-1]
    assert (french.areas[0].polygons[0][1].lat, french.areas[0].polygons[0][1].lon) == (48.924, 2.3612)
    assert english.language == "en-US"


def test_an_fr_alert_becomes_one_french_event_on_the_zone_containing_it() -> None:
    locate = ZoneLocator([FORECOURT, GATE])
    [event] = cap_events(read_cap(fr_alert()), "city-a", locate=locate)
    assert (event.type, event.source, event.tenant_id) == (
        "cap_mouvement_de_foule",
        "cap:fr-alert@interieur.gouv.fr",
        "city-a",
    )
    assert event.ts == datetime(2024, 7, 26, 17, 30, tzinfo=UTC).timestamp()
    assert event.position is not None
    assert event.position.lat == pytest.approx(48.9245)
    assert event.position.lon == pytest.approx(2.3601)
    assert (event.site_id, event.zone_id, event.confidence) == ("stade", "gate-n3", 1.0)
    assert event.attributes["urgency"] == "Immediate"
    assert event.attributes["severity"] == "Severe"
    assert event.attributes["certainty"] == "Observed"
    assert event.attributes["headline"] == "Alerte : mouvement de foule autour du site"
    assert event.attributes["identifier"] == "2.49.0.0.250.0.FR.20240726193000.0042"
    assert event.attributes["msgType"] == "Alert"
    assert event.attributes["references"] is None
    assert event.attributes["parameter.CMAS_category"] == "Severe"
    [english] = cap_events(read_cap(fr_alert()), "city-a", language="en")
    assert english.type == "cap_crowd_surge"
    assert (english.site_id, english.zone_id) == (None, None)


def test_importing_the_same_alert_twice_gives_the_same_event_ids() -> None:
    first = cap_events(read_cap(fr_alert()), "city-a")
    second = cap_events(read_cap(fr_alert()), "city-a")
    assert [event.event_id for event in first] == [event.event_id for event in second]
    assert first[0].event_id.startswith("cap-")


def test_a_meteo_vigilance_update_is_read_with_its_references_and_codes() -> None:
    draft = read_cap(METEO_VIGILANCE.encode())
    assert draft.msg_type is MsgType.UPDATE
    assert draft.references == [
        Reference(
            "vigilance@meteo.fr",
            "2.49.0.0.250.0.FR.20240725160000.0918100",
            datetime(2024, 7, 25, 16, 0, tzinfo=PARIS_SUMMER),
        )
    ]
    english, french = draft.infos
    assert english.event_codes == [
        NamedValue("awareness_level", "2; yellow; Moderate"),
        NamedValue("awareness_type", "3; thunderstorm"),
    ]
    assert french.areas[0].geocodes == [NamedValue("EMMA_ID", "FR093")]
    assert french.onset == datetime(2024, 7, 26, 16, 0, tzinfo=PARIS_SUMMER)
    [event] = cap_events(draft, "city-a", locate=ZoneLocator([FORECOURT]))
    assert (event.type, event.position, event.site_id, event.confidence) == (
        "cap_vigilance_jaune_orages",
        None,
        None,
        0.8,
    )
    assert event.attributes["references"] == (
        "vigilance@meteo.fr,2.49.0.0.250.0.FR.20240725160000.0918100,2024-07-25T16:00:00+02:00"
    )
    assert event.attributes["onset"] == "2024-07-26T16:00:00+02:00"
    assert event.attributes["category"] == "Met"


def test_a_cancel_without_info_becomes_one_cancel_event() -> None:
    draft = read_cap(FR_ALERT_CANCEL.encode())
    [event] = cap_events(draft, "city-a")
    assert (event.type, event.attributes["msgType"]) == ("cap_cancel", "Cancel")
    assert event.attributes["references"] == (
        "fr-alert@interieur.gouv.fr,2.49.0.0.250.0.FR.20240726193000.0042,2024-07-26T19:30:00+02:00"
    )


def test_an_event_name_without_latin_letters_falls_back_to_the_category() -> None:
    xml = fr_alert().replace(b"Mouvement de foule", "群衆の殺到".encode())
    [event] = cap_events(read_cap(xml), "city-a")
    assert event.type == "cap_safety"


def test_what_beffroi_writes_reads_back_equal() -> None:
    draft = full_draft()
    assert read_cap(export(draft)) == draft
    update = full_draft(MsgType.UPDATE, [draft.reference])
    assert read_cap(export(update)) == update


@pytest.mark.parametrize(
    ("polygon", "expected"),
    [
        ("48.924,2.359 48.924,2.3612 48.925,2.3612 48.925,2.359", "a polygon must be closed"),
        ("48.924,2.359 48.924,2.3612 48.924,2.359", "at least 4 'lat,lon' pairs"),
        ("98.924,2.359 48.924,2.3612 48.925,2.3612 98.924,2.359", "latitude 98.924"),
        ("48.924;2.359 48.924,2.3612 48.925,2.3612 48.924;2.359", "is not a 'lat,lon' pair"),
        ("2.359,48.924 2.3612,48.924 2.3612,48.925 2.359,248.9", "longitude 248.9"),
    ],
)
def test_bad_polygons_are_refused_with_their_line(polygon: str, expected: str) -> None:
    xml = fr_alert(polygon)
    with pytest.raises(CapRejected) as caught:
        read_cap(xml)
    assert caught.value.reason == "cap_invalid"
    first = caught.value.problems[0]
    assert expected in first.detail
    assert first.line == xml[: xml.index(b"<polygon>")].count(b"\n") + 1


def test_a_restricted_alert_without_restriction_breaks_a_cap_rule() -> None:
    xml = fr_alert().replace(b"<scope>Public</scope>", b"<scope>Restricted</scope>")
    with pytest.raises(CapRejected) as caught:
        read_cap(xml)
    assert caught.value.reason == "cap_invalid"
    assert "restriction is required" in caught.value.detail


def test_the_zone_locator_prefers_the_smallest_zone_and_respects_holes() -> None:
    locate = ZoneLocator([FORECOURT, GATE])
    assert locate(Position(2.3605, 48.9245)) == Place("stade", "gate-n3")
    assert locate(Position(2.35965, 48.92415)) == Place("stade", "forecourt")  # in the gate's hole
    assert locate(Position(2.3585, 48.9235)) == Place("stade", "forecourt")
    assert locate(Position(2.40, 48.90)) is None
