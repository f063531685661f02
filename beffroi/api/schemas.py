"""The shapes of the operator API's bodies, for validation and the OpenAPI document.

Responses are encoded straight from the domain objects with msgspec (same field names); these models describe
them, and the tests check every response against its model (`extra="forbid"`), so the two cannot drift apart.
"""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from beffroi.domain.alarms import AlarmState
from beffroi.domain.messages import AlarmChangeKind
from beffroi.domain.registry import DeviceKind, ZoneKind

LonLat = tuple[float, float]
AttributeValue = str | int | float | bool | None
T = TypeVar("T")


class Shape(BaseModel):
    """Base of every body: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid")


class TenantOut(Shape):
    """An organisation."""

    id: str
    name: str


class SiteOut(Shape):
    """A venue; `position` is [lon, lat]."""

    id: str
    tenant_id: str
    name: str
    kind: str
    position: LonLat
    city: str


class ZoneOut(Shape):
    """A polygon inside a site; `polygon` is GeoJSON Polygon coordinates; `width_m` the clear width (m) people walk
    through a gate, corridor or platform access (null when unknown), which gives the zone Fruin levels of service."""

    id: str
    tenant_id: str
    site_id: str
    name: str
    kind: ZoneKind
    polygon: list[list[LonLat]]
    area_m2: float
    capacity: int
    width_m: float | None = None


class DeviceOut(Shape):
    """A sensor or camera."""

    id: str
    tenant_id: str
    site_id: str
    kind: DeviceKind
    position: LonLat
    interval_s: float
    metrics: list[str]
    zone_id: str | None
    model: str


class Page(Shape, Generic[T]):
    """One page of a long list: `total` items match, `items` are those from `offset` on, at most `limit`."""

    items: list[T]
    total: int
    limit: int
    offset: int


class ReadingOut(Shape):
    """One measured value of one device."""

    tenant_id: str
    device_id: str
    metric: str
    value: float
    ts: float
    site_id: str | None
    zone_id: str | None
    position: LonLat | None


class ReadingBucketOut(Shape):
    """The readings of one metric within [start, start + bucket)."""

    start: float
    count: int
    min: float
    max: float
    avg: float


class EventOut(Shape):
    """A discrete occurrence."""

    event_id: str
    tenant_id: str
    type: str
    source: str
    ts: float
    site_id: str | None
    zone_id: str | None
    position: LonLat | None
    confidence: float
    attributes: dict[str, AttributeValue]


class AlarmKeyOut(Shape):
    """What makes an open alarm unique."""

    tenant_id: str
    source: str
    type: str
    site_id: str | None
    zone_id: str | None


class AlarmOut(Shape):
    """An alarm and its ISA-18.2 lifecycle fields; priority 1 is the most urgent."""

    id: str
    key: AlarmKeyOut
    state: AlarmState
    priority: int
    message: str
    raised_at: float
    updated_at: float
    last_triggered_at: float
    condition_active: bool
    trigger_count: int
    value: float | None
    acknowledged_at: float | None
    acknowledged_by: str | None
    cleared_at: float | None
    cleared_by: str | None
    shelved_until: float | None
    state_reason: str | None


class AlarmChangeOut(Shape):
    """An alarm after an operator's action."""

    change: AlarmChangeKind
    alarm: AlarmOut
    actor: str


class ShelveIn(Shape):
    """Why and for how long (seconds, at most a week) to shelve an alarm."""

    reason: Annotated[str, Field(min_length=1, max_length=500, pattern=r"\S")]
    duration_s: Annotated[float, Field(gt=0, le=7 * 86_400, allow_inf_nan=False)]


class AuditEntryOut(Shape):
    """Who did what to which thing, and when."""

    id: str
    ts: float
    tenant_id: str
    actor: str
    action: str
    target_type: str
    target_id: str
    details: dict[str, AttributeValue]


class DeadLetterOut(Shape):
    """Rejected input; `raw` is the bytes as received, base64-encoded."""

    id: str
    ts: float
    source: str
    reason: str
    detail: str
    raw: str
    tenant_id: str | None


class LoginIn(Shape):
    """A local account's credentials."""

    tenant: Annotated[str, Field(min_length=1, max_length=64)]
    username: Annotated[str, Field(min_length=1, max_length=128)]
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class TokenOut(Shape):
    """A signed bearer token and when it expires (epoch seconds)."""

    access_token: str
    token_type: str
    expires_at: float
    tenant: str
    username: str
    role: str


class MeOut(Shape):
    """The caller as the API sees them."""

    subject: str
    tenant_id: str
    role: str
    issuer: str


class ImportResult(Shape):
    """How many rows an import wrote."""

    imported: int


class FieldError(Shape):
    """One problem of a request: where (`field`, and `row` for imports) and what."""

    field: str
    detail: str
    row: int | None = None


class ErrorOut(Shape):
    """Every 4xx/5xx body: a machine-readable `reason`, a readable `detail`, and per-field `errors` when useful."""

    reason: str
    detail: str
    errors: list[FieldError] | None = None
