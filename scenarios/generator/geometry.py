"""Plane geometry in a venue's local frame (metres east/north of a real coordinate) and its GeoJSON projection.

Shapes are drawn in metres around a venue's real position, then projected to [lon, lat] with a local
equirectangular projection. Everything here is pure Python arithmetic, so a fresh generation is byte-identical
to the committed file on any machine.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from beffroi.sim.scenario import EARTH_RADIUS_M

XY = tuple[float, float]
Ring = list[XY]

METRES_PER_DEGREE = math.pi * EARTH_RADIUS_M / 180
DECIMALS = 6
"""Coordinates are rounded to 1e-6 degree (about 0.1 m)."""


@dataclass(frozen=True)
class Frame:
    """A local plane: origin at (lon0, lat0), x to the layout's 'east', y to its 'north', turned by rotation_deg."""

    lon0: float
    lat0: float
    rotation_deg: float = 0.0

    def _project(self, x: float, y: float) -> tuple[float, float]:
        theta = math.radians(self.rotation_deg)
        east = x * math.cos(theta) - y * math.sin(theta)
        north = x * math.sin(theta) + y * math.cos(theta)
        lon = self.lon0 + east / (METRES_PER_DEGREE * math.cos(math.radians(self.lat0)))
        lat = self.lat0 + north / METRES_PER_DEGREE
        return lon, lat

    def to_lonlat(self, x: float, y: float) -> tuple[float, float]:
        """The rounded [lon, lat] of a local point."""
        lon, lat = self._project(x, y)
        return round(lon, DECIMALS), round(lat, DECIMALS)

    def from_lonlat(self, lon: float, lat: float) -> XY:
        """The local point of a real [lon, lat]."""
        east = (lon - self.lon0) * METRES_PER_DEGREE * math.cos(math.radians(self.lat0))
        north = (lat - self.lat0) * METRES_PER_DEGREE
        theta = math.radians(self.rotation_deg)
        return east * math.cos(theta) + north * math.sin(theta), -east * math.sin(theta) + north * math.cos(theta)

    def shifted(self, dx: float, dy: float, turn_deg: float = 0.0) -> Frame:
        """A frame whose origin is the local point (dx, dy), turned by a further turn_deg."""
        lon, lat = self._project(dx, dy)
        return Frame(lon, lat, self.rotation_deg + turn_deg)


def rect(x0: float, y0: float, x1: float, y1: float) -> Ring:
    """An axis-aligned rectangle, counter-clockwise, not closed."""
    left, right = min(x0, x1), max(x0, x1)
    bottom, top = min(y0, y1), max(y0, y1)
    return [(left, bottom), (right, bottom), (right, top), (left, top)]


def centred_rect(cx: float, cy: float, width: float, height: float) -> Ring:
    """A rectangle of width x height centred on (cx, cy)."""
    return rect(cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2)


def moved(ring: Sequence[XY], dx: float, dy: float) -> Ring:
    """The ring translated by (dx, dy)."""
    return [(x + dx, y + dy) for x, y in ring]


def signed_area(ring: Sequence[XY]) -> float:
    """Shoelace area in m², positive when counter-clockwise."""
    total = 0.0
    for (x1, y1), (x2, y2) in zip(ring, [*ring[1:], ring[0]], strict=True):
        total += x1 * y2 - x2 * y1
    return total / 2


def counter_clockwise(ring: Sequence[XY]) -> Ring:
    """The ring, reversed if needed so that it turns counter-clockwise."""
    return list(ring) if signed_area(ring) > 0 else list(reversed(ring))


def polygon_area(outer: Sequence[XY], holes: Sequence[Sequence[XY]] = ()) -> float:
    """Plane area of a polygon with holes, m²."""
    return abs(signed_area(outer)) - sum(abs(signed_area(hole)) for hole in holes)


def ring_length(ring: Sequence[XY]) -> float:
    """Perimeter of a ring, m."""
    return sum(math.dist(a, b) for a, b in zip(ring, [*ring[1:], ring[0]], strict=True))


def offset_polyline(line: Sequence[XY], distance: float) -> Ring:
    """The polyline moved sideways by distance (positive to its left), joints mitred by averaged normals."""
    normals: list[XY] = []
    for (x1, y1), (x2, y2) in itertools.pairwise(line):
        length = math.hypot(x2 - x1, y2 - y1)
        normals.append((-(y2 - y1) / length, (x2 - x1) / length))
    result: Ring = []
    for index, (x, y) in enumerate(line):
        before = normals[max(index - 1, 0)]
        after = normals[min(index, len(normals) - 1)]
        nx, ny = before[0] + after[0], before[1] + after[1]
        norm = math.hypot(nx, ny)
        nx, ny = nx / norm, ny / norm
        cos_half = nx * after[0] + ny * after[1]
        scale = distance / max(cos_half, 0.5)
        result.append((x + nx * scale, y + ny * scale))
    return result


def strip(line: Sequence[XY], near: float, far: float) -> Ring:
    """The band between two sideways offsets of a polyline (e.g. a quay along a river), counter-clockwise."""
    return counter_clockwise([*offset_polyline(line, near), *reversed(offset_polyline(line, far))])


def point_along(line: Sequence[XY], distance: float) -> XY:
    """The point at a distance along a polyline (clamped to its ends)."""
    walked = 0.0
    for a, b in itertools.pairwise(line):
        length = math.dist(a, b)
        if walked + length >= distance:
            t = max(0.0, (distance - walked) / length)
            return a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t
        walked += length
    return line[-1]


def sub_polyline(line: Sequence[XY], start: float, end: float, keep_clear: float = 60.0) -> list[XY]:
    """The part of a polyline between two distances along it, without vertices within keep_clear of its ends
    (a short end segment at a bend would make offset bands fold over themselves)."""
    points = [point_along(line, start)]
    walked = 0.0
    for a, b in itertools.pairwise(line):
        walked += math.dist(a, b)
        if start + keep_clear < walked < end - keep_clear:
            points.append(b)
    points.append(point_along(line, end))
    return points


def chord(line: Sequence[XY], start: float, end: float) -> list[XY]:
    """The straight segment between two distances along a polyline (for short features: a gate, a bridge)."""
    return [point_along(line, start), point_along(line, end)]


def polyline_length(line: Sequence[XY]) -> float:
    """Length of a polyline, m."""
    return sum(math.dist(a, b) for a, b in itertools.pairwise(line))


def convex_hull(points: Sequence[XY]) -> Ring:
    """The convex hull of points, counter-clockwise (Andrew's monotone chain)."""
    ordered = sorted(set(points))
    if len(ordered) < 3:
        raise ValueError("a hull needs at least three distinct points")

    def cross(o: XY, a: XY, b: XY) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: Ring = []
    for point in ordered:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], point) <= 0:
            lower.pop()
        lower.append(point)
    upper: Ring = []
    for point in reversed(ordered):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], point) <= 0:
            upper.pop()
        upper.append(point)
    return lower[:-1] + upper[:-1]


def _in_ring(point: XY, ring: Sequence[XY]) -> bool:
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, [*ring[1:], ring[0]], strict=True):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def contains(outer: Sequence[XY], holes: Sequence[Sequence[XY]], point: XY) -> bool:
    """Whether point lies inside the polygon (outside its holes)."""
    return _in_ring(point, outer) and not any(_in_ring(point, hole) for hole in holes)


def random_inside(rng: random.Random, outer: Sequence[XY], holes: Sequence[Sequence[XY]] = ()) -> XY:
    """A uniformly drawn point inside the polygon."""
    xs = [x for x, _ in outer]
    ys = [y for _, y in outer]
    for _ in range(10_000):
        point = (rng.uniform(min(xs), max(xs)), rng.uniform(min(ys), max(ys)))
        if contains(outer, holes, point):
            return point
    raise ValueError("could not draw a point inside the polygon")


def along_edge(outer: Sequence[XY], holes: Sequence[Sequence[XY]], count: int, inset: float = 2.0) -> list[XY]:
    """count points spread evenly along the outer ring, moved inset metres inside (e.g. fence sensors)."""
    ring = counter_clockwise(outer)
    closed = [*ring, ring[0]]
    total = polyline_length(closed)
    points: list[XY] = []
    for index in range(count):
        target = (index + 0.5) * total / count
        walked = 0.0
        for a, b in itertools.pairwise(closed):
            length = math.dist(a, b)
            if walked + length >= target:
                t = (target - walked) / length
                nx, ny = -(b[1] - a[1]) / length, (b[0] - a[0]) / length
                candidate = (a[0] + (b[0] - a[0]) * t + nx * inset, a[1] + (b[1] - a[1]) * t + ny * inset)
                points.append(candidate if contains(outer, holes, candidate) else (a[0], a[1]))
                break
            walked += length
    return points


def to_geojson(frame: Frame, outer: Sequence[XY], holes: Sequence[Sequence[XY]] = ()) -> dict[str, object]:
    """A GeoJSON Polygon (RFC 7946: outer ring counter-clockwise, holes clockwise, rings closed)."""
    rings: list[list[list[float]]] = []
    for index, ring in enumerate([outer, *holes]):
        ordered = counter_clockwise(ring)
        if index > 0:
            ordered.reverse()
        projected = [list(frame.to_lonlat(x, y)) for x, y in ordered]
        rings.append([*projected, projected[0]])
    return {"type": "Polygon", "coordinates": rings}
