"""CapAlertDraft → CAP 1.2 XML bytes, elements in the order of the schema's sequences.

The draft is checked against the CAP rules first (CapRejected `cap_invalid` naming each problem), so what is
written is always a message the OASIS schema accepts.
"""

from __future__ import annotations

from lxml import etree

from beffroi.exports.cap.errors import CapRejected
from beffroi.exports.cap.formats import (
    format_circle,
    format_datetime,
    format_number,
    format_polygon,
    format_references,
)
from beffroi.exports.cap.model import CAP_NAMESPACE, Area, CapAlertDraft, Info, NamedValue, Resource
from beffroi.exports.cap.rules import alert_problems

CAP_MEDIA_TYPE = "application/cap+xml"


def write_cap(draft: CapAlertDraft, *, require_references: bool = True) -> bytes:
    """The UTF-8 XML document of `draft`, with an XML declaration; CapRejected when it breaks a CAP rule."""
    problems = alert_problems(draft, require_references=require_references)
    if problems:
        raise CapRejected("cap_invalid", problems)
    root = etree.Element(_tag("alert"), nsmap={None: CAP_NAMESPACE})
    _text(root, "identifier", draft.identifier)
    _text(root, "sender", draft.sender)
    _text(root, "sent", format_datetime(draft.sent))
    _text(root, "status", draft.status.value)
    _text(root, "msgType", draft.msg_type.value)
    _text(root, "source", draft.source)
    _text(root, "scope", draft.scope.value)
    _text(root, "restriction", draft.restriction)
    _text(root, "addresses", draft.addresses)
    for code in draft.codes:
        _text(root, "code", code)
    _text(root, "note", draft.note)
    if draft.references:
        _text(root, "references", format_references(draft.references))
    _text(root, "incidents", draft.incidents)
    for info in draft.infos:
        _info(root, info)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _info(parent: etree._Element, info: Info) -> None:
    element = etree.SubElement(parent, _tag("info"))
    _text(element, "language", info.language)
    for category in info.categories:
        _text(element, "category", category.value)
    _text(element, "event", info.event)
    for response in info.response_types:
        _text(element, "responseType", response.value)
    _text(element, "urgency", info.urgency.value)
    _text(element, "severity", info.severity.value)
    _text(element, "certainty", info.certainty.value)
    _text(element, "audience", info.audience)
    _pairs(element, "eventCode", info.event_codes)
    for name in ("effective", "onset", "expires"):
        value = getattr(info, name)
        _text(element, name, format_datetime(value) if value is not None else None)
    _text(element, "senderName", info.sender_name)
    _text(element, "headline", info.headline)
    _text(element, "description", info.description)
    _text(element, "instruction", info.instruction)
    _text(element, "web", info.web)
    _text(element, "contact", info.contact)
    _pairs(element, "parameter", info.parameters)
    for resource in info.resources:
        _resource(element, resource)
    for area in info.areas:
        _area(element, area)


def _resource(parent: etree._Element, resource: Resource) -> None:
    element = etree.SubElement(parent, _tag("resource"))
    _text(element, "resourceDesc", resource.description)
    _text(element, "mimeType", resource.mime_type)
    _text(element, "size", str(resource.size) if resource.size is not None else None)
    _text(element, "uri", resource.uri)
    _text(element, "derefUri", resource.deref_uri)
    _text(element, "digest", resource.digest)


def _area(parent: etree._Element, area: Area) -> None:
    element = etree.SubElement(parent, _tag("area"))
    _text(element, "areaDesc", area.description)
    for ring in area.polygons:
        _text(element, "polygon", format_polygon(ring))
    for circle in area.circles:
        _text(element, "circle", format_circle(circle))
    _pairs(element, "geocode", area.geocodes)
    _text(element, "altitude", format_number(area.altitude) if area.altitude is not None else None)
    _text(element, "ceiling", format_number(area.ceiling) if area.ceiling is not None else None)


def _pairs(parent: etree._Element, name: str, pairs: list[NamedValue]) -> None:
    for pair in pairs:
        element = etree.SubElement(parent, _tag(name))
        _text(element, "valueName", pair.name)
        _text(element, "value", pair.value)


def _text(parent: etree._Element, name: str, value: str | None) -> None:
    """A child element holding `value`; nothing when `value` is None."""
    if value is not None:
        etree.SubElement(parent, _tag(name)).text = value


def _tag(name: str) -> str:
    return f"{{{CAP_NAMESPACE}}}{name}"
