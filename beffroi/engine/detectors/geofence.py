"""Geofence detector: trackers entering, leaving or inside zones (polygons with holes) of their tenant.

Readings that carry a position (a GPS tracker's report places every reading it holds) move their device; the
first reading of each report time counts, older or repeated ones are ignored, as are positions that are not
WGS 84 longitudes and latitudes (NaN, infinite, out of range).
For each rule a tracker is a member of the matching zones it has entered: it joins a zone when its position is
inside the polygon (holes excluded, edges included) and quits it once it is more than `margin_m` metres
outside, so GPS jitter at an edge does not flap. `enter` raises on a join after a first position seen outside
the zone, `inside` on any join; both return to normal on the quit. `leave` raises on a quit and returns to
normal on the next join. Each alarm is keyed on the tracker and the zone (with the zone's site).

Zones come from the registry through `on_zones`, indexed per rule and tenant on a grid of bounding boxes, then
tested with Shapely; a zone whose polygon cannot be built is skipped with a warning.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence

import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from beffroi.domain.alarms import Alarm, AlarmKey, Priority
from beffroi.domain.observations import Reading
from beffroi.domain.registry import Device, DeviceKind, Zone
from beffroi.engine.conditions import Condition
from beffroi.engine.detectors.base import NO_CONDITIONS, Detector
from beffroi.engine.detectors.registry import register_detector
from beffroi.engine.rules import DetectorSettings, GeofenceRule

KIND = "geofence"
METRES_PER_DEGREE = 111_320.0
GRID_DEG = 0.002
"""Side of the cells (degrees, about 150 to 220 m in France) of the grid that finds the zones near a position."""
MAX_CELLS = 10_000
"""A zone whose box covers more cells than this is checked for every position instead."""
_log = logging.getLogger(__name__)


class _ZoneShape:
    """A zone's polygon and the polygon grown by the rule's margin (prepared for point tests), and the bounding box
    of the grown one."""

    __slots__ = ("inner", "max_lat", "max_lon", "min_lat", "min_lon", "outer", "zone")

    def __init__(self, zone: Zone, inner: BaseGeometry, outer: BaseGeometry) -> None:
        self.zone = zone
        self.inner = inner
        self.outer = outer
        self.min_lon, self.min_lat, self.max_lon, self.max_lat = outer.bounds


class _TenantZones:
    """The zones of one tenant that one rule watches, indexed on a grid of `GRID_DEG` cells by bounding box (a
    dict lookup per position: cheaper than an R-tree query for a point), zones wider than `MAX_CELLS` cells aside."""

    __slots__ = ("by_id", "cells", "wide")

    def __init__(self, shapes: list[_ZoneShape]) -> None:
        self.by_id = {shape.zone.id: shape for shape in shapes}
        self.cells: dict[tuple[int, int], list[_ZoneShape]] = {}
        self.wide: list[_ZoneShape] = []
        for shape in shapes:
            first_x, first_y = _cell(shape.min_lon, shape.min_lat)
            last_x, last_y = _cell(shape.max_lon, shape.max_lat)
            if (last_x - first_x + 1) * (last_y - first_y + 1) > MAX_CELLS:
                self.wide.append(shape)
                continue
            for x in range(first_x, last_x + 1):
                for y in range(first_y, last_y + 1):
                    self.cells.setdefault((x, y), []).append(shape)

    def locate(self, lon: float, lat: float) -> tuple[set[str], set[str]]:
        """(ids of the zones the point is inside, ids of those it is within the margin of)."""
        inside: set[str] = set()
        near: set[str] = set()
        candidates = self.cells.get(_cell(lon, lat), ())
        for shape in (*candidates, *self.wide) if self.wide else candidates:
            if not (shape.min_lon <= lon <= shape.max_lon and shape.min_lat <= lat <= shape.max_lat):
                continue
            if shapely.intersects_xy(shape.outer, lon, lat):
                near.add(shape.zone.id)
                if shapely.intersects_xy(shape.inner, lon, lat):
                    inside.add(shape.zone.id)
        return inside, near


def _cell(lon: float, lat: float) -> tuple[int, int]:
    return math.floor(lon / GRID_DEG), math.floor(lat / GRID_DEG)


class _Tracker:
    """Where one tracker stands for one rule: the zones it is a member of, and its active alarms by zone id."""

    __slots__ = ("active", "members", "seen")

    def __init__(self) -> None:
        self.members: set[str] = set()
        self.active: dict[str, AlarmKey] = {}
        self.seen = False


class _CompiledRule:
    """A rule with its zones by tenant and its trackers' state."""

    __slots__ = ("message", "priority", "rule", "tenants", "trackers", "type")

    def __init__(self, rule: GeofenceRule) -> None:
        self.rule = rule
        self.priority = Priority(rule.priority)
        self.type = rule.effective_alarm_type
        self.message = rule.describe()
        self.tenants: dict[str, _TenantZones] = {}
        self.trackers: dict[str, _Tracker] = {}

    def watches(self, zone: Zone) -> bool:
        """Whether the rule names this zone, by id or by kind."""
        return zone.id in self.rule.zone_ids or zone.kind.value in self.rule.zone_kinds


class GeofenceDetector(Detector):
    """Evaluates geofence rules on every positioned reading (see the module docstring)."""

    def __init__(self, rules: Sequence[GeofenceRule], name: str = KIND) -> None:
        self.name = name
        self._rules = [_CompiledRule(rule) for rule in rules]
        self._generic = tuple(c for c in self._rules if c.rule.device_kind is None)
        self._by_kind: dict[str, tuple[_CompiledRule, ...]] = {
            kind.value: (*self._generic, *(c for c in self._rules if c.rule.device_kind == kind.value))
            for kind in DeviceKind
        }
        self._last_ts: dict[str, float] = {}

    @property
    def rules(self) -> list[GeofenceRule]:
        """The rules evaluated, in the order given."""
        return [compiled.rule for compiled in self._rules]

    def reading_metrics(self) -> frozenset[str] | None:
        """Any metric (a position comes with every reading of a report), none without rules."""
        return None if self._rules else frozenset()

    def on_zones(self, zones: Sequence[Zone]) -> None:
        """Index the zones each rule watches, per tenant."""
        shapes: dict[str, BaseGeometry] = {}
        for zone in zones:
            if any(compiled.watches(zone) for compiled in self._rules):
                polygon = _polygon(zone)
                if polygon is not None:
                    shapes[f"{zone.tenant_id}|{zone.id}"] = polygon
        for compiled in self._rules:
            by_tenant: dict[str, list[_ZoneShape]] = {}
            for zone in zones:
                polygon = shapes.get(f"{zone.tenant_id}|{zone.id}")
                if polygon is not None and compiled.watches(zone):
                    by_tenant.setdefault(zone.tenant_id, []).append(_shape(zone, polygon, compiled.rule.margin_m))
            compiled.tenants = {tenant: _TenantZones(items) for tenant, items in by_tenant.items()}

    def on_reading(self, reading: Reading, device: Device) -> Sequence[Condition]:
        """Move the tracker to the reading's position; report the alarms that changed."""
        position = reading.position
        if position is None:
            return NO_CONDITIONS
        rules = self._by_kind.get(device.kind, self._generic)
        if not rules:
            return NO_CONDITIONS
        ts, lon, lat = reading.ts, position.lon, position.lat
        if not (math.isfinite(ts) and -180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
            return NO_CONDITIONS  # no time, or not a WGS 84 position (NaN fails the comparisons too)
        last = self._last_ts.get(device.id)
        if last is not None and ts <= last:
            return NO_CONDITIONS
        self._last_ts[device.id] = ts
        conditions: list[Condition] = []
        for compiled in rules:
            zones = compiled.tenants.get(device.tenant_id)
            inside, near = zones.locate(lon, lat) if zones is not None else (set(), set())
            tracker = compiled.trackers.get(device.id)
            if tracker is None:
                tracker = compiled.trackers[device.id] = _Tracker()
            self._move(compiled, tracker, device, zones, inside, near, ts, conditions)
        return conditions or NO_CONDITIONS

    def _move(
        self,
        compiled: _CompiledRule,
        tracker: _Tracker,
        device: Device,
        zones: _TenantZones | None,
        inside: set[str],
        near: set[str],
        ts: float,
        conditions: list[Condition],
    ) -> None:
        direction = compiled.rule.direction
        for zone_id in sorted(tracker.members - near):
            tracker.members.discard(zone_id)
            if direction == "leave":
                if zone_id not in tracker.active and zones is not None and zone_id in zones.by_id:
                    key = _key(compiled, device, zones.by_id[zone_id].zone)
                    tracker.active[zone_id] = key
                    conditions.append(self._condition(compiled, key, True, ts))
            else:
                self._clear(compiled, tracker, zone_id, ts, conditions)
        for zone_id in sorted(inside - tracker.members):
            tracker.members.add(zone_id)
            if direction == "leave":
                self._clear(compiled, tracker, zone_id, ts, conditions)
            elif (direction == "inside" or tracker.seen) and zone_id not in tracker.active and zones is not None:
                key = _key(compiled, device, zones.by_id[zone_id].zone)
                tracker.active[zone_id] = key
                conditions.append(self._condition(compiled, key, True, ts))
        tracker.seen = True

    def _clear(
        self, compiled: _CompiledRule, tracker: _Tracker, zone_id: str, ts: float, conditions: list[Condition]
    ) -> None:
        key = tracker.active.pop(zone_id, None)
        if key is not None:
            conditions.append(self._condition(compiled, key, False, ts))

    def _condition(self, compiled: _CompiledRule, key: AlarmKey, active: bool, ts: float) -> Condition:
        return Condition(
            key=key,
            active=active,
            ts=ts,
            priority=compiled.priority,
            message=compiled.message,
            detector=self.name,
            rule=compiled.rule.name,
        )

    def on_devices(self, devices: Mapping[str, Device]) -> None:
        """Forget trackers that left the registry, but for their active alarms (cleared if they come back)."""
        for device_id in [d for d in self._last_ts if d not in devices]:
            del self._last_ts[device_id]
        for compiled in self._rules:
            for device_id in [d for d in compiled.trackers if d not in devices]:
                if not compiled.trackers[device_id].active:
                    del compiled.trackers[device_id]

    def on_restore(self, alarms: Sequence[Alarm]) -> None:
        """Open alarms with an active condition of a rule's type: the tracker is taken to be where the alarm
        says (inside the zone for enter/inside, out of it for leave) until its next position."""
        for alarm in alarms:
            zone_id = alarm.key.zone_id
            if not alarm.condition_active or zone_id is None:
                continue
            for compiled in self._rules:
                if compiled.type != alarm.key.type:
                    continue
                tracker = compiled.trackers.setdefault(alarm.key.source, _Tracker())
                tracker.seen = True
                tracker.active.setdefault(zone_id, alarm.key)
                if compiled.rule.direction != "leave":
                    tracker.members.add(zone_id)


def _key(compiled: _CompiledRule, device: Device, zone: Zone) -> AlarmKey:
    return AlarmKey(device.tenant_id, device.id, compiled.type, zone.site_id, zone.id)


def _polygon(zone: Zone) -> BaseGeometry | None:
    """The zone's polygon (outer ring, then holes), made valid; None (and a warning) when it cannot be built."""
    try:
        rings = zone.polygon
        polygon: BaseGeometry = Polygon(rings[0], rings[1:])
        if not polygon.is_valid:
            polygon = shapely.make_valid(polygon)
    except (IndexError, ValueError, TypeError, shapely.errors.GEOSException) as error:
        _log.warning(
            "geofence: zone %r of tenant %r skipped, its polygon is unusable: %s", zone.id, zone.tenant_id, error
        )
        return None
    if polygon.is_empty:
        _log.warning("geofence: zone %r of tenant %r skipped, its polygon is empty", zone.id, zone.tenant_id)
        return None
    return polygon


def _shape(zone: Zone, polygon: BaseGeometry, margin_m: float) -> _ZoneShape:
    """The zone's polygon and its grown copy: `margin_m` metres at least in every direction (degrees of longitude
    are shorter than degrees of latitude, so the margin is converted at the zone's latitude)."""
    latitude = polygon.centroid.y
    scale = max(math.cos(math.radians(latitude)), 0.01)
    outer = polygon.buffer(margin_m / (METRES_PER_DEGREE * scale)) if margin_m > 0 else polygon
    inner = polygon
    shapely.prepare(inner)
    shapely.prepare(outer)
    return _ZoneShape(zone, inner, outer)


def _create(settings: DetectorSettings) -> Detector:
    return GeofenceDetector(settings.geofence_rules)


register_detector(KIND, _create)
