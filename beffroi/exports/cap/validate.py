"""Parsing CAP XML without trusting it, and validating it against the OASIS CAP 1.2 schema.

The parser never expands entities, never reaches the network and refuses any DTD (a CAP message has no use for
one: its presence is how billion-laughs and external-entity attacks arrive). The schema is the OASIS file shipped
with the package (`beffroi/exports/schemas/CAP-v1.2.xsd`, Copyright OASIS Open 2010).
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path

from lxml import etree

from beffroi.exports.cap.errors import CapProblem, CapRejected
from beffroi.exports.cap.model import CAP_NAMESPACE

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "schemas" / "CAP-v1.2.xsd"
DEFAULT_MAX_BYTES = 2 * 1024 * 1024
ALERT_TAG = f"{{{CAP_NAMESPACE}}}alert"

_DOCTYPE = b"<!DOCTYPE"
_DTD_PROBLEM = CapProblem("a DOCTYPE (DTD, entity declarations) is not allowed in a CAP message")
_schema_lock = threading.Lock()  # an lxml validator keeps its error log on the object: one validation at a time


def safe_parser() -> etree.XMLParser:
    """A parser that expands no entity, loads no DTD, reaches no network, and keeps the default depth limits."""
    return etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        dtd_validation=False,
        no_network=True,
        huge_tree=False,
        remove_pis=True,
        remove_comments=True,
    )


def parse_xml(xml: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """The root element of `xml`; CapRejected (`cap_too_large`, `cap_malformed_xml` with the line, or
    `cap_dtd_forbidden`) otherwise."""
    if len(xml) > max_bytes:
        raise CapRejected("cap_too_large", [CapProblem(f"the message is {len(xml)} bytes; the limit is {max_bytes}")])
    if not xml.strip():
        raise CapRejected("cap_malformed_xml", [CapProblem("the message is empty")])
    try:
        root = etree.fromstring(xml, safe_parser())
    except etree.XMLSyntaxError as error:
        if _DOCTYPE in xml:  # libxml2 may stop on the DTD's entities first (e.g. its amplification limit)
            raise CapRejected("cap_dtd_forbidden", [_DTD_PROBLEM]) from None
        line, column = error.position
        problem = CapProblem(f"not well-formed XML: {error.msg}", line, column)
        raise CapRejected("cap_malformed_xml", [problem]) from None
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None or docinfo.doctype:
        raise CapRejected("cap_dtd_forbidden", [_DTD_PROBLEM])
    return root


@cache
def cap_schema() -> etree.XMLSchema:
    """The OASIS CAP 1.2 schema, loaded once."""
    document = etree.parse(str(SCHEMA_PATH), safe_parser())
    return etree.XMLSchema(document)


def schema_problems(root: etree._Element) -> list[CapProblem]:
    """Every way `root` departs from the CAP 1.2 schema (wrong root or namespace first), with line and column."""
    if root.tag != ALERT_TAG:
        found = etree.QName(root)
        namespace = found.namespace or "no namespace"
        return [
            CapProblem(
                f"the root element is {found.localname!r} in {namespace}; a CAP 1.2 message is an 'alert' "
                f"in {CAP_NAMESPACE}",
                root.sourceline,
            )
        ]
    schema = cap_schema()
    with _schema_lock:
        if schema.validate(root):
            return []
        entries = list(schema.error_log)
    return [CapProblem(entry.message, entry.line or None, entry.column or None) for entry in entries]


def validate_cap(xml: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> list[CapProblem]:
    """Every problem of `xml` as a CAP 1.2 message (unparseable, DTD, wrong root, schema errors); empty when valid."""
    try:
        root = parse_xml(xml, max_bytes=max_bytes)
    except CapRejected as rejected:
        return rejected.problems
    return schema_problems(root)


def require_valid_cap(xml: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """The root of `xml` when it is a valid CAP 1.2 message; CapRejected naming every problem otherwise
    (reason `cap_not_cap` for a wrong root or namespace, `cap_schema_invalid` for schema errors)."""
    root = parse_xml(xml, max_bytes=max_bytes)
    problems = schema_problems(root)
    if problems:
        reason = "cap_not_cap" if root.tag != ALERT_TAG else "cap_schema_invalid"
        raise CapRejected(reason, problems)
    return root
