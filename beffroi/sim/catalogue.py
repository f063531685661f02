"""The simulated world's index: the devices and zones of the simulated sites, looked up by site, zone and kind."""

from __future__ import annotations

from collections.abc import Iterable

from beffroi.domain.registry import DEVICE_PROFILES, DeviceKind, ZoneKind
from beffroi.errors import ConfigError
from beffroi.sim.payloads import data_topic
from beffroi.sim.scenario import Scenario, ScenarioSite

Bounds = tuple[float, float, float, float]
"""(min_lon, min_lat, max_lon, max_lat)."""

_FORBIDDEN_TOPIC_CHARS = frozenset("+#\x00")


class SimZone:
    """A zone of a simulated site."""

    __slots__ = ("area_m2", "bounds", "capacity", "id", "kind", "site_id")

    def __init__(self, id: str, site_id: str, kind: ZoneKind, capacity: int, area_m2: float, bounds: Bounds) -> None:
        self.id = id
        self.site_id = site_id
        self.kind = kind
        self.capacity = capacity
        self.area_m2 = area_m2
        self.bounds = bounds


class SimDevice:
    """A simulated device: where it is, what it reports, how often, and its MQTT topic."""

    __slots__ = ("id", "index", "interval_s", "kind", "lat", "lon", "model", "site_id", "tenant_id", "topic", "zone_id")

    def __init__(
        self,
        *,
        index: int,
        id: str,
        kind: DeviceKind,
        tenant_id: str,
        site_id: str,
        zone_id: str | None,
        lon: float,
        lat: float,
        interval_s: float,
        model: str,
        topic: str,
    ) -> None:
        self.index = index
        self.id = id
        self.kind = kind
        self.tenant_id = tenant_id
        self.site_id = site_id
        self.zone_id = zone_id
        self.lon = lon
        self.lat = lat
        self.interval_s = interval_s
        self.model = model
        self.topic = topic


def _bounds(points: Iterable[tuple[float, float]]) -> Bounds | None:
    lons: list[float] = []
    lats: list[float] = []
    for lon, lat in points:
        lons.append(lon)
        lats.append(lat)
    if not lons:
        return None
    return min(lons), min(lats), max(lons), max(lats)


def check_topic_prefix(prefix: str) -> None:
    """Raise ConfigError unless `prefix` is a usable MQTT topic prefix (no wildcards, no empty levels)."""
    if not prefix or prefix.startswith("/") or prefix.endswith("/") or "//" in prefix:
        raise ConfigError("simulator", [f"topic_prefix: must be non-empty levels separated by '/' (got {prefix!r})"])
    if _FORBIDDEN_TOPIC_CHARS & set(prefix):
        raise ConfigError("simulator", [f"topic_prefix: must not contain '+', '#' or NUL (got {prefix!r})"])


class Catalogue:
    """The simulated sites (all of the scenario's, or the chosen ones), their zones and devices."""

    def __init__(self, scenario: Scenario, *, sites: list[str] | None = None, topic_prefix: str = "beffroi") -> None:
        check_topic_prefix(topic_prefix)
        known = {site.id: site for site in scenario.sites}
        if sites is None:
            chosen = list(scenario.sites)
        else:
            unknown = [site_id for site_id in sites if site_id not in known]
            if unknown:
                raise ConfigError("simulator", [f"sites: {s!r} is not a site of the scenario" for s in unknown])
            wanted = set(sites)
            chosen = [site for site in scenario.sites if site.id in wanted]
        self.tenant_id = scenario.tenant.id
        self.sites: list[ScenarioSite] = chosen
        self.zones: dict[str, SimZone] = {}
        self.devices: list[SimDevice] = []
        self._site_bounds: dict[str, Bounds] = {}
        for site in chosen:
            self._add_site(site, topic_prefix)
        self._by_id = {device.id: device for device in self.devices}
        self._place_counts: dict[tuple[str, str | None, DeviceKind], int] = {}
        for device in self.devices:
            key = (device.site_id, device.zone_id, device.kind)
            self._place_counts[key] = self._place_counts.get(key, 0) + 1

    def _add_site(self, site: ScenarioSite, prefix: str) -> None:
        for zone in site.zones:
            outer = zone.geometry.coordinates[0]
            zone_bounds = _bounds(outer) or (site.position[0], site.position[1], site.position[0], site.position[1])
            self.zones[zone.id] = SimZone(zone.id, site.id, zone.kind, zone.capacity, zone.area_m2, zone_bounds)
        for device in site.devices:
            self.devices.append(
                SimDevice(
                    index=len(self.devices),
                    id=device.id,
                    kind=device.kind,
                    tenant_id=self.tenant_id,
                    site_id=site.id,
                    zone_id=device.zone,
                    lon=device.position[0],
                    lat=device.position[1],
                    interval_s=device.interval_s or DEVICE_PROFILES[device.kind].interval_s,
                    model=device.model,
                    topic=data_topic(prefix, self.tenant_id, site.id, device.id),
                )
            )
        outline = site.outline.coordinates[0] if site.outline is not None else []
        points = list(outline) or [p for zone in site.zones for p in zone.geometry.coordinates[0]]
        points += [d.position for d in site.devices]
        self._site_bounds[site.id] = _bounds(points) or (*site.position, *site.position)

    def site_bounds(self, site_id: str) -> Bounds:
        """The box holding the site's outline (or its zones and devices)."""
        return self._site_bounds[site_id]

    def device(self, device_id: str) -> SimDevice | None:
        """The simulated device with this id, or None."""
        return self._by_id.get(device_id)

    def select(
        self, *, kind: DeviceKind | None = None, site_id: str | None = None, zone_id: str | None = None
    ) -> list[SimDevice]:
        """The devices matching every given filter, in scenario order."""
        return [
            d
            for d in self.devices
            if (kind is None or d.kind is kind)
            and (site_id is None or d.site_id == site_id)
            and (zone_id is None or d.zone_id == zone_id)
        ]

    def count_alike(self, device: SimDevice) -> int:
        """How many devices of the same kind share this device's zone (or its site, when it has no zone)."""
        return self._place_counts[(device.site_id, device.zone_id, device.kind)]
