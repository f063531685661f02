"""Validation against the OASIS CAP 1.2 schema with line numbers, and XML attacks refused before anything is
expanded or fetched."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from beffroi.exports.cap.errors import CapRejected
from beffroi.exports.cap.validate import SCHEMA_PATH, require_valid_cap, validate_cap
from tests.exports.cap.samples import BILLION_LAUGHS, FR_ALERT_CANCEL, METEO_VIGILANCE, fr_alert
from tests.exports.cap.support import BUNDLED_SCHEMA, SHARED_SCHEMA, assert_schema_valid


def test_the_package_validates_with_the_bundled_oasis_schema() -> None:
    assert SCHEMA_PATH == BUNDLED_SCHEMA
    text = SCHEMA_PATH.read_text(encoding="utf-8")
    assert "Copyright OASIS Open 2010" in text
    assert 'targetNamespace = "urn:oasis:names:tc:emergency:cap:1.2"' in text


def test_the_bundled_schema_is_the_shared_one() -> None:
    if not SHARED_SCHEMA.exists():
        pytest.skip(f"no shared schema beside the repository ({SHARED_SCHEMA})")
    assert BUNDLED_SCHEMA.read_bytes() == SHARED_SCHEMA.read_bytes()


@pytest.mark.parametrize("xml", [fr_alert(), FR_ALERT_CANCEL.encode(), METEO_VIGILANCE.encode()])
def test_the_authority_samples_are_valid(xml: bytes) -> None:
    assert_schema_valid(xml)
    assert validate_cap(xml) == []


def line_of(xml: bytes, fragment: bytes) -> int:
    """The 1-based line where `fragment` first occurs."""
    return xml[: xml.index(fragment)].count(b"\n") + 1


def test_schema_errors_name_the_element_and_its_line() -> None:
    xml = fr_alert().replace(b"<urgency>Immediate</urgency>", b"<urgency>Now</urgency>", 1)
    [problem] = validate_cap(xml)
    assert problem.line == line_of(xml, b"<urgency>Now") == 16
    assert "urgency" in problem.detail
    assert "'Now' is not an element of the set" in problem.detail
    with pytest.raises(CapRejected) as caught:
        require_valid_cap(xml)
    assert caught.value.reason == "cap_schema_invalid"
    assert "line 16" in caught.value.detail


def test_elements_out_of_the_schema_order_are_refused() -> None:
    xml = fr_alert().replace(b"<status>Actual</status>\n  <msgType>Alert</msgType>", b"<msgType>Alert</msgType>")
    [problem] = validate_cap(xml)
    assert problem.line == line_of(xml, b"<msgType>")
    assert "msgType" in problem.detail
    assert "Expected is ( {urn:oasis:names:tc:emergency:cap:1.2}status )" in problem.detail


def test_a_time_in_utc_with_z_is_not_cap() -> None:
    xml = fr_alert().replace(b"2024-07-26T19:30:00+02:00", b"2024-07-26T17:30:00Z", 1)
    [problem] = validate_cap(xml)
    assert problem.line == 5
    assert "sent" in problem.detail


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        (b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.1"><identifier>x</identifier></alert>', "cap:1.1"),
        (b"<alert><identifier>x</identifier></alert>", "no namespace"),
        (b'<feed xmlns="http://www.w3.org/2005/Atom"/>', "'feed'"),
    ],
)
def test_another_root_or_namespace_is_not_cap(xml: bytes, expected: str) -> None:
    with pytest.raises(CapRejected) as caught:
        require_valid_cap(xml)
    assert caught.value.reason == "cap_not_cap"
    assert expected in caught.value.detail


def test_malformed_xml_is_refused_with_its_line() -> None:
    xml = fr_alert().replace(b"</sender>", b"</sendr>")
    with pytest.raises(CapRejected) as caught:
        require_valid_cap(xml)
    assert caught.value.reason == "cap_malformed_xml"
    assert caught.value.problems[0].line == 4


def test_empty_and_oversized_messages_are_refused() -> None:
    with pytest.raises(CapRejected) as empty:
        require_valid_cap(b"  \n")
    assert empty.value.reason == "cap_malformed_xml"
    with pytest.raises(CapRejected) as large:
        require_valid_cap(fr_alert(), max_bytes=100)
    assert large.value.reason == "cap_too_large"


def test_billion_laughs_is_refused_without_expanding() -> None:
    started = time.perf_counter()
    with pytest.raises(CapRejected) as caught:
        require_valid_cap(BILLION_LAUGHS)
    assert time.perf_counter() - started < 1.0
    assert caught.value.reason == "cap_dtd_forbidden"
    assert validate_cap(BILLION_LAUGHS)[0].detail.startswith("a DOCTYPE")


def test_an_external_entity_is_neither_read_nor_fetched(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    for entity in (f'SYSTEM "file://{secret}"', 'SYSTEM "http://127.0.0.1:9/evil.dtd"'):
        xml = (
            f'<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY xxe {entity}>]>'
            '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&xxe;</identifier></alert>'
        ).encode()
        with pytest.raises(CapRejected) as caught:
            require_valid_cap(xml)
        assert caught.value.reason == "cap_dtd_forbidden"
        assert "TOP-SECRET" not in str(caught.value)


def test_an_external_dtd_is_refused() -> None:
    xml = (
        b'<?xml version="1.0"?><!DOCTYPE alert SYSTEM "http://127.0.0.1:9/cap.dtd">'
        b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"/>'
    )
    with pytest.raises(CapRejected) as caught:
        require_valid_cap(xml)
    assert caught.value.reason == "cap_dtd_forbidden"
