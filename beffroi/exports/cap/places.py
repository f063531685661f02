"""Where a CAP area is: its representative point, and the registry zone that point falls in."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import msgspec

from beffroi.domain.observations import Position
from beffroi.domain.registry import Zone
from beffroi.exports.cap.model import Area, LatLon


class Place(msgspec.Struct, frozen=True):
    """A site and, when known, a zone of the registry."""

    site_id: str
    zone_id: str | None = None


class PlaceLocator(Protocol):
    """Whatever finds the registry place of a point (e.g. a ZoneLocator over the tenant's zones)."""

    def __call__(self, position: Position) -> Place | None:
        """The place containing `position`, or None."""
        ...


def area_point(area: Area) -> Position | None:
    """The area's representative point: the centroid of its first polygon, else the centre of its first circle."""
    if area.polygons:
        return ring_centroid(area.polygons[0])
    if area.circles:
        center = area.circles[0].center
        return Position(lon=center.lon, lat=center.lat)
    return None


def ring_centroid(ring: list[LatLon]) -> Position:
    """The area centroid of a closed ring (planar, fine at the scale of a city); the vertices' mean when the ring
    has no area."""
    points = ring[:-1] if len(ring) > 1 and ring[0] == ring[-1] else ring
    origin = points[0]  # computed relative to the first vertex, which keeps the products small and exact
    shifted = [(p.lon - origin.lon, p.lat - origin.lat) for p in points]
    twice_area = cx = cy = 0.0
    for (x1, y1), (x2, y2) in zip(shifted, [*shifted[1:], shifted[0]], strict=True):
        cross = x1 * y2 - x2 * y1
        twice_area += cross
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    if abs(twice_area) < 1e-18:
        return Position(lon=sum(p.lon for p in points) / len(points), lat=sum(p.lat for p in points) / len(points))
    return Position(lon=origin.lon + cx / (3 * twice_area), lat=origin.lat + cy / (3 * twice_area))


class ZoneLocator:
    """Finds the zone (and its site) containing a point, among registry zones (GeoJSON rings, holes excluded).

    When zones overlap, the smallest containing one wins (a gate inside a concourse is the gate).
    """

    def __init__(self, zones: Iterable[Zone]) -> None:
        self._zones = sorted(zones, key=lambda zone: abs(_ring_area(zone.polygon[0])) if zone.polygon else 0.0)

    def __call__(self, position: Position) -> Place | None:
        """The place of the smallest zone containing `position`, or None."""
        for zone in self._zones:
            if zone.polygon and _in_polygon(position.lon, position.lat, zone.polygon):
                return Place(zone.site_id, zone.id)
        return None


def _in_polygon(x: float, y: float, rings: list[list[tuple[float, float]]]) -> bool:
    """Inside the outer ring and outside every hole (even-odd rule)."""
    return _in_ring(x, y, rings[0]) and not any(_in_ring(x, y, hole) for hole in rings[1:])


def _in_ring(x: float, y: float, ring: list[tuple[float, float]]) -> bool:
    inside = False
    count = len(ring)
    for index in range(count):
        x1, y1 = ring[index]
        x2, y2 = ring[(index + 1) % count]
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _ring_area(ring: list[tuple[float, float]]) -> float:
    pairs = zip(ring, [*ring[1:], ring[0]], strict=True)
    return 0.5 * sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in pairs)
