"""CAP 1.2 XML (from an authority: Météo-France, FR-Alert…) → CapAlertDraft, strictly.

Order of checks, each refusing with CapRejected naming every problem: size, well-formed XML, no DTD, root `alert`
in the CAP 1.2 namespace, the OASIS schema, then the CAP rules the schema leaves out (closed polygons, coordinates
in range, datetimes with an offset, restriction for a Restricted scope…).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from lxml import etree

from beffroi.exports.cap.errors import CapProblem, CapRejected
from beffroi.exports.cap.formats import parse_circle, parse_datetime, parse_polygon, parse_references
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
    NamedValue,
    Reference,
    Resource,
    ResponseType,
    Scope,
    Severity,
    Status,
    Urgency,
)
from beffroi.exports.cap.rules import alert_problems
from beffroi.exports.cap.validate import DEFAULT_MAX_BYTES, require_valid_cap

T = TypeVar("T")


def read_cap(xml: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> CapAlertDraft:
    """The alert in `xml`; CapRejected with the reason and every problem (with its line) otherwise."""
    root = require_valid_cap(xml, max_bytes=max_bytes)
    reading = _Reading()
    draft = reading.alert(root)
    if reading.problems:
        raise CapRejected("cap_invalid", reading.problems)
    rule_problems = alert_problems(draft, require_references=False)
    if rule_problems:
        raise CapRejected("cap_invalid", rule_problems)
    return draft


class _Reading:
    """Converts a schema-valid `alert` element, collecting the problems of its text values."""

    def __init__(self) -> None:
        self.problems: list[CapProblem] = []

    def alert(self, root: etree._Element) -> CapAlertDraft:
        references_element = _child(root, "references")
        references: list[Reference] = []
        if references_element is not None:
            references = self._parse(references_element, parse_references) or []
        return CapAlertDraft(
            identifier=_required(root, "identifier"),
            sender=_required(root, "sender"),
            sent=self._time(root, "sent") or datetime.min,
            status=Status(_required(root, "status")),
            msg_type=MsgType(_required(root, "msgType")),
            scope=Scope(_required(root, "scope")),
            source=_optional(root, "source"),
            restriction=_optional(root, "restriction"),
            addresses=_optional(root, "addresses"),
            codes=[_text(element) for element in _children(root, "code")],
            note=_optional(root, "note"),
            references=references,
            incidents=_optional(root, "incidents"),
            infos=[self.info(element) for element in _children(root, "info")],
        )

    def info(self, element: etree._Element) -> Info:
        return Info(
            language=_optional(element, "language") or "en-US",
            categories=[Category(_text(child)) for child in _children(element, "category")],
            event=_required(element, "event"),
            response_types=[ResponseType(_text(child)) for child in _children(element, "responseType")],
            urgency=Urgency(_required(element, "urgency")),
            severity=Severity(_required(element, "severity")),
            certainty=Certainty(_required(element, "certainty")),
            audience=_optional(element, "audience"),
            event_codes=_pairs(element, "eventCode"),
            effective=self._time(element, "effective"),
            onset=self._time(element, "onset"),
            expires=self._time(element, "expires"),
            sender_name=_optional(element, "senderName"),
            headline=_optional(element, "headline"),
            description=_optional(element, "description"),
            instruction=_optional(element, "instruction"),
            web=_optional(element, "web"),
            contact=_optional(element, "contact"),
            parameters=_pairs(element, "parameter"),
            resources=[_resource(child) for child in _children(element, "resource")],
            areas=[self.area(child) for child in _children(element, "area")],
        )

    def area(self, element: etree._Element) -> Area:
        polygons: list[list[LatLon]] = []
        for child in _children(element, "polygon"):
            ring = self._parse(child, parse_polygon)
            if ring is not None:
                polygons.append(ring)
        circles: list[Circle] = []
        for child in _children(element, "circle"):
            circle = self._parse(child, parse_circle)
            if circle is not None:
                circles.append(circle)
        altitude, ceiling = _optional(element, "altitude"), _optional(element, "ceiling")
        return Area(
            description=_required(element, "areaDesc"),
            polygons=polygons,
            circles=circles,
            geocodes=_pairs(element, "geocode"),
            altitude=float(altitude) if altitude is not None else None,
            ceiling=float(ceiling) if ceiling is not None else None,
        )

    def _time(self, parent: etree._Element, name: str) -> datetime | None:
        element = _child(parent, name)
        return self._parse(element, parse_datetime) if element is not None else None

    def _parse(self, element: etree._Element, parse: Callable[[str], T]) -> T | None:
        try:
            return parse(_text(element))
        except ValueError as error:
            name = etree.QName(element).localname
            self.problems.append(CapProblem(f"{name}: {error}", element.sourceline))
            return None


def _resource(element: etree._Element) -> Resource:
    size = _optional(element, "size")
    return Resource(
        description=_required(element, "resourceDesc"),
        mime_type=_required(element, "mimeType"),
        size=int(size) if size is not None else None,
        uri=_optional(element, "uri"),
        deref_uri=_optional(element, "derefUri"),
        digest=_optional(element, "digest"),
    )


def _pairs(parent: etree._Element, name: str) -> list[NamedValue]:
    return [NamedValue(_required(child, "valueName"), _required(child, "value")) for child in _children(parent, name)]


def _children(parent: etree._Element, name: str) -> list[etree._Element]:
    return list(parent.iterchildren(f"{{{CAP_NAMESPACE}}}{name}"))


def _child(parent: etree._Element, name: str) -> etree._Element | None:
    return parent.find(f"{{{CAP_NAMESPACE}}}{name}")


def _text(element: etree._Element) -> str:
    return (element.text or "").strip()


def _optional(parent: etree._Element, name: str) -> str | None:
    element = _child(parent, name)
    return _text(element) if element is not None else None


def _required(parent: etree._Element, name: str) -> str:
    """The text of a child the schema requires (it was validated before)."""
    element = _child(parent, name)
    if element is None:  # pragma: no cover - the schema guarantees it
        raise CapRejected("cap_schema_invalid", [CapProblem(f"missing {name}", parent.sourceline)])
    return _text(element)
