"""An incident's facts → the CAP alert draft of one of its revisions (a pure function).

Priority → urgency / severity / certainty (PRIORITY_CAP):

| priority | urgency   | severity | certainty |
|----------|-----------|----------|-----------|
| 1        | Immediate | Extreme  | Observed  |
| 2        | Immediate | Severe   | Observed  |
| 3        | Expected  | Moderate | Likely    |
| 4        | Expected  | Minor    | Possible  |

A resolved or closed incident is sent as a Cancel with urgency Past and response AllClear (certainty Unlikely when
its disposition is `false` or `duplicate`).

Incident type → CAP category: the exact type in TYPE_CATEGORY, else the first of its words (split on `_`, `-`,
space) found in WORD_CATEGORY, else Other. E.g. fire, smoke → Fire; break_in, intrusion, door_forced → Security;
overcrowding, crowd_crush → Safety; medical → Health; gas_leak, bomb → CBRNE; power_outage → Infra.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from beffroi.domain.observations import Position
from beffroi.errors import RejectedInput
from beffroi.exports.cap.model import (
    Area,
    CapAlertDraft,
    Category,
    Certainty,
    Circle,
    Info,
    LatLon,
    NamedValue,
    ResponseType,
    Scope,
    Severity,
    Status,
    Urgency,
)
from beffroi.exports.cap.revisions import CapSeries, plan_revision

INCIDENT_STATES = ("new", "in_progress", "on_hold", "resolved", "closed")
CLOSING_STATES = frozenset({"resolved", "closed"})
NOT_TRUE_DISPOSITIONS = frozenset({"false", "duplicate"})
HEADLINE_LENGTH = 160  # CAP 1.2 advises headlines of at most 160 characters

PRIORITY_CAP: dict[int, tuple[Urgency, Severity, Certainty]] = {
    1: (Urgency.IMMEDIATE, Severity.EXTREME, Certainty.OBSERVED),
    2: (Urgency.IMMEDIATE, Severity.SEVERE, Certainty.OBSERVED),
    3: (Urgency.EXPECTED, Severity.MODERATE, Certainty.LIKELY),
    4: (Urgency.EXPECTED, Severity.MINOR, Certainty.POSSIBLE),
}

TYPE_CATEGORY: dict[str, Category] = {
    "fire": Category.FIRE,
    "smoke": Category.FIRE,
    "break_in": Category.SECURITY,
    "intrusion": Category.SECURITY,
    "door_forced": Category.SECURITY,
    "perimeter_breach": Category.SECURITY,
    "suspicious_package": Category.SECURITY,
    "overcrowding": Category.SAFETY,
    "crowd_crush": Category.SAFETY,
    "crowd_density": Category.SAFETY,
    "medical": Category.HEALTH,
    "gas_leak": Category.CBRNE,
    "power_outage": Category.INFRA,
    "missing_person": Category.RESCUE,
}
WORD_CATEGORY: dict[str, Category] = {
    "fire": Category.FIRE,
    "smoke": Category.FIRE,
    "intrusion": Category.SECURITY,
    "break": Category.SECURITY,
    "breach": Category.SECURITY,
    "forced": Category.SECURITY,
    "tamper": Category.SECURITY,
    "theft": Category.SECURITY,
    "weapon": Category.SECURITY,
    "attack": Category.SECURITY,
    "suspicious": Category.SECURITY,
    "loitering": Category.SECURITY,
    "trespass": Category.SECURITY,
    "crowd": Category.SAFETY,
    "overcrowding": Category.SAFETY,
    "density": Category.SAFETY,
    "crush": Category.SAFETY,
    "stampede": Category.SAFETY,
    "evacuation": Category.SAFETY,
    "fall": Category.SAFETY,
    "medical": Category.HEALTH,
    "injury": Category.HEALTH,
    "heat": Category.MET,
    "storm": Category.MET,
    "wind": Category.MET,
    "flood": Category.MET,
    "earthquake": Category.GEO,
    "gas": Category.CBRNE,
    "chemical": Category.CBRNE,
    "bomb": Category.CBRNE,
    "explosion": Category.CBRNE,
    "radiation": Category.CBRNE,
    "power": Category.INFRA,
    "outage": Category.INFRA,
    "network": Category.INFRA,
    "equipment": Category.INFRA,
    "traffic": Category.TRANSPORT,
    "transport": Category.TRANSPORT,
    "vehicle": Category.TRANSPORT,
    "pollution": Category.ENV,
    "air": Category.ENV,
    "noise": Category.ENV,
    "missing": Category.RESCUE,
    "rescue": Category.RESCUE,
}


class IncidentFacts(msgspec.Struct, frozen=True):
    """What a CAP export needs to know of an incident at one revision (times: epoch seconds, UTC).

    `polygon` is GeoJSON Polygon coordinates (rings of [lon, lat], outer first; only the outer ring goes into CAP);
    `point` with `radius_m` gives a circle. `disposition` is true, false or duplicate once decided.
    """

    id: str
    tenant_id: str
    type: str
    title: str
    priority: int
    state: str
    opened_at: float
    updated_at: float
    revision: int
    description: str = ""
    site_id: str | None = None
    site_name: str | None = None
    zone_id: str | None = None
    zone_name: str | None = None
    polygon: list[list[tuple[float, float]]] | None = None
    point: Position | None = None
    radius_m: float | None = None
    disposition: str | None = None


class CapExportSettings(msgspec.Struct, frozen=True):
    """How this deployment signs and addresses its CAP messages.

    `sender` identifies the control room (CAP advises an email-like address); times are written in `timezone`;
    `web_url` may hold `{incident_id}`; active incidents' messages expire `expires_after_s` after they are sent.
    """

    sender: str
    sender_name: str | None = None
    timezone: str = "Europe/Paris"
    language: str = "fr-FR"
    status: Status = Status.ACTUAL
    scope: Scope = Scope.RESTRICTED
    restriction: str | None = "Partner agencies of the control room only"
    addresses: str | None = None
    web_url: str | None = None
    contact: str | None = None
    expires_after_s: float | None = 4 * 3600.0


def incident_alert(facts: IncidentFacts, series: CapSeries, settings: CapExportSettings) -> CapAlertDraft:
    """The CAP draft of revision `facts.revision` of the incident, identified and referenced by `series`."""
    _check(facts, series)
    closing = facts.state in CLOSING_STATES
    plan = plan_revision(series, facts.revision, closing=closing)
    zone = _time_zone(settings.timezone)
    sent = datetime.fromtimestamp(facts.updated_at, UTC).astimezone(zone)
    urgency, severity, certainty = PRIORITY_CAP[facts.priority]
    if closing:
        urgency = Urgency.PAST
        if facts.disposition in NOT_TRUE_DISPOSITIONS:
            certainty = Certainty.UNLIKELY
    expires = None
    if settings.expires_after_s is not None and not closing:
        expires = datetime.fromtimestamp(facts.updated_at + settings.expires_after_s, UTC).astimezone(zone)
    info = Info(
        language=settings.language,
        categories=[category_of(facts.type)],
        event=facts.type.replace("_", " "),
        response_types=[ResponseType.ALL_CLEAR] if closing else [],
        urgency=urgency,
        severity=severity,
        certainty=certainty,
        onset=datetime.fromtimestamp(facts.opened_at, UTC).astimezone(zone),
        expires=expires,
        sender_name=settings.sender_name,
        headline=facts.title[:HEADLINE_LENGTH],
        description=facts.description or None,
        web=settings.web_url.replace("{incident_id}", quote(facts.id, safe="")) if settings.web_url else None,
        contact=settings.contact,
        parameters=_parameters(facts),
        areas=[_area(facts)],
    )
    return CapAlertDraft(
        identifier=plan.identifier,
        sender=settings.sender,
        sent=sent,
        status=settings.status,
        msg_type=plan.msg_type,
        scope=settings.scope,
        restriction=settings.restriction if settings.scope is Scope.RESTRICTED else None,
        addresses=settings.addresses if settings.scope is Scope.PRIVATE else None,
        note=_closing_note(facts) if closing else None,
        references=plan.references,
        incidents=quote(facts.id, safe=""),
        infos=[info],
    )


def category_of(incident_type: str) -> Category:
    """The CAP category of an incident type (see the module's table)."""
    words = [word for word in re.split(r"[_\-\s]+", incident_type.strip().lower()) if word]
    key = "_".join(words)
    if key in TYPE_CATEGORY:
        return TYPE_CATEGORY[key]
    for word in words:
        if word in WORD_CATEGORY:
            return WORD_CATEGORY[word]
    return Category.OTHER


def _check(facts: IncidentFacts, series: CapSeries) -> None:
    problems = []
    if facts.priority not in PRIORITY_CAP:
        problems.append(f"priority {facts.priority} is not 1 to 4")
    if facts.state not in INCIDENT_STATES:
        problems.append(f"state {facts.state!r} is not one of {', '.join(INCIDENT_STATES)}")
    if (series.tenant_id, series.incident_id) != (facts.tenant_id, facts.id):
        problems.append(f"the CAP series is that of incident {series.incident_id!r}, not {facts.id!r}")
    if facts.polygon is not None and (not facts.polygon or len(facts.polygon[0]) < 3):
        problems.append("the polygon's outer ring needs at least 3 points")
    if facts.radius_m is not None and not facts.radius_m >= 0:
        problems.append(f"radius {facts.radius_m} m must be zero or more")
    if problems:
        raise RejectedInput("invalid_incident_facts", "; ".join(problems))


def _time_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise RejectedInput("invalid_cap_settings", f"unknown time zone {name!r}") from None


def _area(facts: IncidentFacts) -> Area:
    names = [name for name in (facts.zone_name, facts.site_name) if name]
    polygons = []
    if facts.polygon:
        ring = [LatLon(lat=lat, lon=lon) for lon, lat in facts.polygon[0]]
        if ring[0] != ring[-1]:
            ring.append(ring[0])
        polygons.append(ring)
    circles = []
    if facts.point is not None:
        radius_km = (facts.radius_m if facts.radius_m is not None else 0.0) / 1000.0
        circles.append(Circle(LatLon(lat=facts.point.lat, lon=facts.point.lon), radius_km))
    geocodes = [
        NamedValue(name, value)
        for name, value in (("beffroi:site", facts.site_id), ("beffroi:zone", facts.zone_id))
        if value is not None
    ]
    return Area(
        description=", ".join(names) or f"Incident {facts.id}",
        polygons=polygons,
        circles=circles,
        geocodes=geocodes,
    )


def _parameters(facts: IncidentFacts) -> list[NamedValue]:
    parameters = [
        NamedValue("beffroi:incidentId", facts.id),
        NamedValue("beffroi:incidentType", facts.type),
        NamedValue("beffroi:priority", str(facts.priority)),
        NamedValue("beffroi:state", facts.state),
        NamedValue("beffroi:revision", str(facts.revision)),
    ]
    if facts.disposition is not None:
        parameters.append(NamedValue("beffroi:disposition", facts.disposition))
    return parameters


def _closing_note(facts: IncidentFacts) -> str:
    if facts.disposition in NOT_TRUE_DISPOSITIONS:
        return f"Incident {facts.state}: {facts.disposition} alarm"
    return f"Incident {facts.state}"
