"""CAP 1.2 alert messages as typed values: what the writer serialises and the reader returns.

The names follow the OASIS Common Alerting Protocol 1.2 elements (alert → info → area/resource). Coordinates are
CAP's order, latitude first (WGS 84), unlike GeoJSON. Datetimes must carry their UTC offset.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import msgspec

CAP_NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"


class Status(StrEnum):
    """Who the alert is for: real (Actual), an exercise, the system itself, a test, or a draft."""

    ACTUAL = "Actual"
    EXERCISE = "Exercise"
    SYSTEM = "System"
    TEST = "Test"
    DRAFT = "Draft"


class MsgType(StrEnum):
    """What the message does: first alert, update or cancel of earlier ones, acknowledgement, error."""

    ALERT = "Alert"
    UPDATE = "Update"
    CANCEL = "Cancel"
    ACK = "Ack"
    ERROR = "Error"


class Scope(StrEnum):
    """Who may receive it: everyone, holders of the `restriction`, or the listed `addresses`."""

    PUBLIC = "Public"
    RESTRICTED = "Restricted"
    PRIVATE = "Private"


class Category(StrEnum):
    """The CAP event categories."""

    GEO = "Geo"
    MET = "Met"
    SAFETY = "Safety"
    SECURITY = "Security"
    RESCUE = "Rescue"
    FIRE = "Fire"
    HEALTH = "Health"
    ENV = "Env"
    TRANSPORT = "Transport"
    INFRA = "Infra"
    CBRNE = "CBRNE"
    OTHER = "Other"


class ResponseType(StrEnum):
    """The action recommended to the audience."""

    SHELTER = "Shelter"
    EVACUATE = "Evacuate"
    PREPARE = "Prepare"
    EXECUTE = "Execute"
    AVOID = "Avoid"
    MONITOR = "Monitor"
    ASSESS = "Assess"
    ALL_CLEAR = "AllClear"
    NONE = "None"


class Urgency(StrEnum):
    """How soon to act."""

    IMMEDIATE = "Immediate"
    EXPECTED = "Expected"
    FUTURE = "Future"
    PAST = "Past"
    UNKNOWN = "Unknown"


class Severity(StrEnum):
    """How bad it is."""

    EXTREME = "Extreme"
    SEVERE = "Severe"
    MODERATE = "Moderate"
    MINOR = "Minor"
    UNKNOWN = "Unknown"


class Certainty(StrEnum):
    """How sure the sender is."""

    OBSERVED = "Observed"
    LIKELY = "Likely"
    POSSIBLE = "Possible"
    UNLIKELY = "Unlikely"
    UNKNOWN = "Unknown"


class LatLon(msgspec.Struct, frozen=True, array_like=True):
    """A WGS 84 point in CAP order: latitude, then longitude (degrees)."""

    lat: float
    lon: float


class Circle(msgspec.Struct, frozen=True):
    """A circle: its centre and radius in kilometres (CAP `circle`: "lat,lon radius")."""

    center: LatLon
    radius_km: float


class NamedValue(msgspec.Struct, frozen=True):
    """A `valueName`/`value` pair: an eventCode, a parameter or a geocode."""

    name: str
    value: str


class Reference(msgspec.Struct, frozen=True):
    """An earlier message, as CAP `references` names it: sender, identifier and sent time."""

    sender: str
    identifier: str
    sent: datetime


class Area(msgspec.Struct, frozen=True):
    """An affected area: a description and optional polygons (closed rings), circles, geocodes, altitudes (feet)."""

    description: str
    polygons: list[list[LatLon]] = msgspec.field(default_factory=list)
    circles: list[Circle] = msgspec.field(default_factory=list)
    geocodes: list[NamedValue] = msgspec.field(default_factory=list)
    altitude: float | None = None
    ceiling: float | None = None


class Resource(msgspec.Struct, frozen=True):
    """A file that goes with the info (an image, a map, a PDF), by URI or inline (`deref_uri`, base64)."""

    description: str
    mime_type: str
    size: int | None = None
    uri: str | None = None
    deref_uri: str | None = None
    digest: str | None = None


class Info(msgspec.Struct, frozen=True):
    """One `info` block: the event in one language, how urgent, severe and certain, what to do, and where."""

    categories: list[Category]
    event: str
    urgency: Urgency
    severity: Severity
    certainty: Certainty
    language: str = "en-US"
    response_types: list[ResponseType] = msgspec.field(default_factory=list)
    audience: str | None = None
    event_codes: list[NamedValue] = msgspec.field(default_factory=list)
    effective: datetime | None = None
    onset: datetime | None = None
    expires: datetime | None = None
    sender_name: str | None = None
    headline: str | None = None
    description: str | None = None
    instruction: str | None = None
    web: str | None = None
    contact: str | None = None
    parameters: list[NamedValue] = msgspec.field(default_factory=list)
    resources: list[Resource] = msgspec.field(default_factory=list)
    areas: list[Area] = msgspec.field(default_factory=list)


class CapAlertDraft(msgspec.Struct, frozen=True):
    """A whole CAP 1.2 alert message, before it is written as XML or after it was read from XML."""

    identifier: str
    sender: str
    sent: datetime
    status: Status
    msg_type: MsgType
    scope: Scope
    source: str | None = None
    restriction: str | None = None
    addresses: str | None = None
    codes: list[str] = msgspec.field(default_factory=list)
    note: str | None = None
    references: list[Reference] = msgspec.field(default_factory=list)
    incidents: str | None = None
    infos: list[Info] = msgspec.field(default_factory=list)

    @property
    def reference(self) -> Reference:
        """How a later Update or Cancel refers to this message."""
        return Reference(self.sender, self.identifier, self.sent)
