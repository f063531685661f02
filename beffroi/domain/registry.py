"""The registry: tenants, sites, zones and devices."""

from __future__ import annotations

from enum import StrEnum

import msgspec

from beffroi.domain.observations import Position


class ZoneKind(StrEnum):
    """What a zone is used for; drives default crowd thresholds and alarm priorities."""

    GATE = "gate"
    STAND = "stand"
    CONCOURSE = "concourse"
    FIELD = "field"
    FAN_ZONE = "fan_zone"
    PLAZA = "plaza"
    PLATFORM = "platform"
    PERIMETER = "perimeter"
    FORBIDDEN = "forbidden"
    TECHNICAL = "technical"
    PARKING = "parking"
    WATER = "water"


class DeviceKind(StrEnum):
    """The kinds of device Beffroi knows how each reports."""

    PEOPLE_COUNTER = "people_counter"
    TURNSTILE = "turnstile"
    ACCESS_CONTROL = "access_control"
    INTRUSION_PIR = "intrusion_pir"
    PERIMETER_FENCE = "perimeter_fence"
    SMOKE_HEAT = "smoke_heat"
    AIR_QUALITY = "air_quality"
    NOISE_LEVEL = "noise_level"
    TEMPERATURE = "temperature"
    PANIC_BUTTON = "panic_button"
    CAMERA = "camera"
    GPS_TRACKER = "gps_tracker"
    DRONE_DETECTOR = "drone_detector"


class Tenant(msgspec.Struct, frozen=True):
    """An organisation (a city, a venue operator, a state body). Every row belongs to exactly one tenant."""

    id: str
    name: str


class Site(msgspec.Struct, frozen=True):
    """A venue."""

    id: str
    tenant_id: str
    name: str
    kind: str
    position: Position
    city: str = ""


class Zone(msgspec.Struct, frozen=True):
    """A polygon inside a site. `polygon` is GeoJSON Polygon coordinates: rings of [lon, lat], outer first."""

    id: str
    tenant_id: str
    site_id: str
    name: str
    kind: ZoneKind
    polygon: list[list[tuple[float, float]]]
    area_m2: float
    capacity: int


class Device(msgspec.Struct, frozen=True):
    """A sensor or camera with its place, kind, metrics and expected reporting interval (seconds)."""

    id: str
    tenant_id: str
    site_id: str
    kind: DeviceKind
    position: Position
    interval_s: float
    metrics: list[str]
    zone_id: str | None = None
    model: str = ""
