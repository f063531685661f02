"""Readings and events: what enters Beffroi, as typed domain objects.

Times are Unix epoch seconds (UTC) as floats throughout the hot path.
"""

from __future__ import annotations

import msgspec


class Position(msgspec.Struct, frozen=True, array_like=True):
    """A WGS 84 point (longitude, latitude), as in GeoJSON."""

    lon: float
    lat: float


class Reading(msgspec.Struct, frozen=True, gc=False):
    """One measured value of one device."""

    tenant_id: str
    device_id: str
    metric: str
    value: float
    ts: float
    site_id: str | None = None
    zone_id: str | None = None
    position: Position | None = None


class ReadingBatch(msgspec.Struct, frozen=True):
    """A few milliseconds of readings carried as one bus message; `batch_id` is unique per batch."""

    batch_id: str
    tenant_id: str
    readings: list[Reading]


AttributeValue = str | int | float | bool | None


class Event(msgspec.Struct, frozen=True):
    """A discrete occurrence from any source (door forced, intrusion seen by a camera, density amber…)."""

    event_id: str
    tenant_id: str
    type: str
    source: str
    ts: float
    site_id: str | None = None
    zone_id: str | None = None
    position: Position | None = None
    confidence: float = 1.0
    attributes: dict[str, AttributeValue] = msgspec.field(default_factory=dict)
