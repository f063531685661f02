"""The scenario format: a tenant's sites, their zones (GeoJSON polygons) and devices, and the event schedule.

A scenario file is JSON (or YAML) validated at load; every problem is reported with its key path,
e.g. `sites[3].zones[0].area_m2: Input should be greater than 0 (got -5)`. The format is documented in
`scenarios/README.md`.
"""

from __future__ import annotations

import itertools
import json
import math
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import pydantic
import yaml
from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import InitErrorDetails, PydanticCustomError

from beffroi.domain.observations import Position
from beffroi.domain.registry import DEVICE_PROFILES, SENSOR_KINDS, Device, DeviceKind, Site, Tenant, Zone, ZoneKind
from beffroi.errors import ConfigError
from beffroi.validation import describe_errors, key_path

Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_\-]*$")]
Longitude = Annotated[float, Field(ge=-180, le=180)]
Latitude = Annotated[float, Field(ge=-90, le=90)]
LonLat = tuple[Longitude, Latitude]

EARTH_RADIUS_M = 6_371_008.8
AREA_TOLERANCE = 0.15
"""A zone's declared `area_m2` may differ from its polygon's geodesic area by this fraction at most."""
EXTENT_TOLERANCE_M = 0.5
"""A zone's `width_m` may exceed its polygon's extent by this much at most (coordinates rounded to 6 decimals)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Problem = tuple[tuple[str | int, ...], str, Any]
"""A cross-field problem found by a model validator: its key path inside the model, the reason, the bad value."""


def _located(model: str, problems: list[Problem]) -> pydantic.ValidationError:
    """Problems as a validation error at their own key paths (pydantic prefixes them with the model's path),
    so a message names e.g. `sites[3].zones[0].area_m2` rather than only `sites[3].zones[0]`."""
    details = [
        InitErrorDetails(type=PydanticCustomError("value_error", "{reason}", {"reason": reason}), loc=loc, input=value)
        for loc, reason, value in problems
    ]
    return pydantic.ValidationError.from_exception_data(model, details)


class PolygonGeometry(_Strict):
    """A GeoJSON Polygon (RFC 7946): rings of [lon, lat], the outer ring first, each ring closed."""

    type: Literal["Polygon"]
    coordinates: Annotated[list[Annotated[list[LonLat], Field(min_length=4)]], Field(min_length=1)]

    @pydantic.field_validator("coordinates")
    @classmethod
    def _rings_closed(cls, rings: list[list[LonLat]]) -> list[list[LonLat]]:
        for index, ring in enumerate(rings):
            if ring[0] != ring[-1]:
                raise ValueError(f"ring {index} is not closed (first point must equal last point)")
        return rings

    def area_m2(self) -> float:
        """Area on the sphere of the outer ring less its holes, in square metres."""
        outer, *holes = self.coordinates
        return abs(_ring_area_m2(outer)) - sum(abs(_ring_area_m2(hole)) for hole in holes)

    def extent_m(self) -> float:
        """The greatest distance between two points of the outer ring, in metres: no width across the zone can be
        larger (a gate's opening, a corridor's width)."""
        outer = self.coordinates[0]
        return max(_great_circle_m(a, b) for a, b in itertools.combinations(outer, 2))


def _ring_area_m2(ring: list[LonLat]) -> float:
    """Spherical excess of a ring (Chamberlain & Duquette 2007), accurate to well under 1 % at venue scale."""
    total = 0.0
    for (lon1, lat1), (lon2, lat2) in itertools.pairwise(ring):
        total += math.radians(lon2 - lon1) * (2 + math.sin(math.radians(lat1)) + math.sin(math.radians(lat2)))
    return total * EARTH_RADIUS_M**2 / 2


def _great_circle_m(a: LonLat, b: LonLat) -> float:
    """Distance on the sphere between two [lon, lat] points, in metres (haversine)."""
    lat1, lat2 = math.radians(a[1]), math.radians(b[1])
    dlat, dlon = lat2 - lat1, math.radians(b[0] - a[0])
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


class ScenarioZone(_Strict):
    """A zone: a polygon with its use, area and capacity (people), and for gates, corridors and platform accesses
    the clear width people walk through (`width_m`, metres), which gives the zone Fruin levels of service."""

    id: Identifier
    name: Annotated[str, Field(min_length=1)]
    kind: ZoneKind
    area_m2: Annotated[float, Field(gt=0)]
    capacity: Annotated[int, Field(ge=0)]
    geometry: PolygonGeometry
    width_m: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None

    @pydantic.model_validator(mode="after")
    def _sizes_match_geometry(self) -> ScenarioZone:
        problems: list[Problem] = []
        measured = self.geometry.area_m2()
        if measured <= 0 or abs(measured - self.area_m2) / self.area_m2 > AREA_TOLERANCE:
            reason = (
                f"area_m2 {self.area_m2:.0f} differs from the polygon's area {measured:.0f} m² "
                f"by more than {AREA_TOLERANCE:.0%}"
            )
            problems.append((("area_m2",), reason, self.area_m2))
        if self.width_m is not None:
            extent = self.geometry.extent_m()
            if self.width_m > extent + EXTENT_TOLERANCE_M:
                reason = (
                    f"width_m {self.width_m:g} is more than the polygon could hold: "
                    f"its points are at most {extent:.1f} m apart"
                )
                problems.append((("width_m",), reason, self.width_m))
        if problems:
            raise _located("ScenarioZone", problems)
        return self

    def to_zone(self, tenant_id: str, site_id: str) -> Zone:
        """The registry row of this zone in a tenant's site."""
        return Zone(
            id=self.id,
            tenant_id=tenant_id,
            site_id=site_id,
            name=self.name,
            kind=self.kind,
            polygon=[list(ring) for ring in self.geometry.coordinates],
            area_m2=self.area_m2,
            capacity=self.capacity,
            width_m=self.width_m,
        )


class ScenarioDevice(_Strict):
    """A device: its kind, position, zone (optional) and reporting interval (defaults to its kind's)."""

    id: Identifier
    kind: DeviceKind
    position: LonLat
    zone: Identifier | None = None
    interval_s: Annotated[float, Field(gt=0, le=86_400)] | None = None
    model: str = ""

    @pydantic.field_validator("kind")
    @classmethod
    def _a_sensor(cls, kind: DeviceKind) -> DeviceKind:
        if kind not in SENSOR_KINDS:
            raise ValueError(f"{kind.value} is made by the crowd worker, not declared in a scenario")
        return kind


class EventSession(_Strict):
    """One session held at a site (a match, a competition, a fan-zone opening): when, and how many come."""

    name: Annotated[str, Field(min_length=1)]
    start: datetime
    end: datetime
    attendance: Annotated[int, Field(ge=0)]

    @pydantic.model_validator(mode="after")
    def _ends_after_start(self) -> EventSession:
        naive = [(name, value) for name, value in (("start", self.start), ("end", self.end)) if value.tzinfo is None]
        if naive:
            reason = "needs a UTC offset, e.g. 2024-07-26T19:30:00+02:00"
            raise _located("EventSession", [((name,), reason, value.isoformat()) for name, value in naive])
        if self.end <= self.start:
            raise _located("EventSession", [(("end",), "end must be after start", self.end.isoformat())])
        return self


class ScenarioSite(_Strict):
    """A venue with its outline, zones, devices and schedule."""

    id: Identifier
    name: Annotated[str, Field(min_length=1)]
    kind: Annotated[str, Field(min_length=1)]
    city: str = ""
    position: LonLat
    outline: PolygonGeometry | None = None
    zones: list[ScenarioZone] = []
    devices: list[ScenarioDevice] = []
    schedule: list[EventSession] = []

    @pydantic.model_validator(mode="after")
    def _devices_in_known_zones(self) -> ScenarioSite:
        zone_ids = {zone.id for zone in self.zones}
        problems: list[Problem] = [
            (("devices", index, "zone"), f"{device.zone!r} is not a zone of site {self.id!r}", device.zone)
            for index, device in enumerate(self.devices)
            if device.zone is not None and device.zone not in zone_ids
        ]
        if problems:
            raise _located("ScenarioSite", problems)
        return self


class ScenarioTenant(_Strict):
    """The organisation the scenario belongs to."""

    id: Identifier
    name: Annotated[str, Field(min_length=1)]


class Scenario(_Strict):
    """A whole scenario file."""

    format_version: Literal[1]
    name: Annotated[str, Field(min_length=1)]
    description: str = ""
    tenant: ScenarioTenant
    timezone: str = "Europe/Paris"
    start: datetime
    sites: Annotated[list[ScenarioSite], Field(min_length=1)]

    @pydantic.model_validator(mode="after")
    def _ids_unique(self) -> Scenario:
        seen: dict[str, str] = {}
        problems: list[Problem] = []
        for site_index, site in enumerate(self.sites):
            for loc, ident in (
                [(("sites", site_index), site.id)]
                + [(("sites", site_index, "zones", i), z.id) for i, z in enumerate(site.zones)]
                + [(("sites", site_index, "devices", i), d.id) for i, d in enumerate(site.devices)]
            ):
                if ident in seen:
                    problems.append(((*loc, "id"), f"id {ident!r} is already used by {seen[ident]}", ident))
                else:
                    seen[ident] = key_path(loc)
        if problems:
            raise _located("Scenario", problems)
        return self

    def device_count(self) -> int:
        """How many devices the scenario has, all sites together."""
        return sum(len(site.devices) for site in self.sites)


def parse_scenario(data: Any, source: str = "scenario") -> Scenario:
    """A validated scenario from parsed JSON/YAML; raises ConfigError naming each bad key path and value."""
    try:
        return Scenario.model_validate(data)
    except pydantic.ValidationError as error:
        raise ConfigError(source, describe_errors(error)) from None


def load_scenario(path: Path) -> Scenario:
    """Read and validate a scenario file (`.json`, `.yaml` or `.yml`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(str(path), ["file not found"]) from None
    except UnicodeDecodeError as error:
        raise ConfigError(str(path), [f"not UTF-8 text: {error.reason} at byte {error.start}"]) from None
    except OSError as error:
        raise ConfigError(str(path), [f"cannot be read: {error.strerror or error}"]) from None
    try:
        data = yaml.safe_load(text) if path.suffix in {".yaml", ".yml"} else json.loads(text)
    except (json.JSONDecodeError, yaml.YAMLError) as error:
        raise ConfigError(str(path), [f"not valid {path.suffix.lstrip('.').upper()}: {error}"]) from None
    return parse_scenario(data, str(path))


def to_registry(scenario: Scenario) -> tuple[Tenant, list[Site], list[Zone], list[Device]]:
    """The registry rows (domain types) described by a scenario."""
    tenant_id = scenario.tenant.id
    tenant = Tenant(id=tenant_id, name=scenario.tenant.name)
    sites: list[Site] = []
    zones: list[Zone] = []
    devices: list[Device] = []
    for site in scenario.sites:
        sites.append(
            Site(
                id=site.id,
                tenant_id=tenant_id,
                name=site.name,
                kind=site.kind,
                city=site.city,
                position=Position(*site.position),
            )
        )
        zones.extend(zone.to_zone(tenant_id, site.id) for zone in site.zones)
        for device in site.devices:
            profile = DEVICE_PROFILES[device.kind]
            devices.append(
                Device(
                    id=device.id,
                    tenant_id=tenant_id,
                    site_id=site.id,
                    zone_id=device.zone,
                    kind=device.kind,
                    position=Position(*device.position),
                    interval_s=device.interval_s or profile.interval_s,
                    metrics=list(profile.metrics),
                    model=device.model,
                )
            )
    return tenant, sites, zones, devices
