"""Cell coverage as polygons: sectors, best-server areas, and the allocation of cells to zones by area overlap.

A cell covers a sector (antenna position, azimuth, ± its beam width, range; a disc for an omnidirectional cell).
Where cells overlap, a phone is served by the cell with the strongest signal: the `best_server` coverage keeps
of each sector only the part where its cell is that one (see `coverage_areas` for the signal model). A cell's
subscribers are then spread over zones in proportion to the area its coverage shares with each zone (times a
density, see `CellAllocation.weights`); the rest is `outside`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from beffroi.crowd.mobile.allocation import CellAllocation
from beffroi.domain.registry import Zone
from beffroi.domain.signalling import Cell, CellPlan

EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class LocalProjection:
    """Equirectangular metres around a reference point: exact enough over a city (< 0.1 % over 50 km)."""

    lon0: float
    lat0: float

    def xy(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Metres east and north of the reference point."""
        scale = math.pi / 180 * EARTH_RADIUS_M
        x = (np.asarray(lon, dtype=np.float64) - self.lon0) * scale * math.cos(math.radians(self.lat0))
        y = (np.asarray(lat, dtype=np.float64) - self.lat0) * scale
        return x, y

    def lonlat(self, x: float, y: float) -> tuple[float, float]:
        """The lon/lat of a point given in the projection's metres."""
        scale = math.pi / 180 * EARTH_RADIUS_M
        return self.lon0 + x / (scale * math.cos(math.radians(self.lat0))), self.lat0 + y / scale


def _wedge(cx: float, cy: float, radius: float, first_deg: float, last_deg: float, step_deg: float) -> BaseGeometry:
    """The wedge of a disc between two bearings (degrees from north, clockwise); the disc if it spans 360°."""
    if radius <= 0:
        return shapely.Polygon()
    if last_deg - first_deg >= 360 - 1e-9:
        return shapely.Point(cx, cy).buffer(radius, quad_segs=32)
    steps = max(2, math.ceil((last_deg - first_deg) / step_deg))
    bearings = np.radians(np.linspace(first_deg, last_deg, steps + 1))
    arc = np.column_stack([cx + radius * np.sin(bearings), cy + radius * np.cos(bearings)])
    return shapely.Polygon(np.vstack([[cx, cy], arc]))


def sector_polygon(cell: Cell, projection: LocalProjection, arc_step_deg: float = 3.0) -> BaseGeometry:
    """The area a cell covers, in the projection's metres: its range, within ± its beam width of its azimuth
    (the edge of the 3GPP antenna pattern, 12 dB down); a disc for an omnidirectional cell."""
    x, y = projection.xy(cell.lon, cell.lat)
    if cell.azimuth_deg is None or cell.beamwidth_deg >= 180:
        return _wedge(float(x), float(y), cell.range_m, 0.0, 360.0, arc_step_deg)
    half = max(cell.beamwidth_deg, 0.5)
    return _wedge(float(x), float(y), cell.range_m, cell.azimuth_deg - half, cell.azimuth_deg + half, arc_step_deg)


def zone_polygon(zone: Zone, projection: LocalProjection) -> BaseGeometry:
    """A zone's polygon (GeoJSON rings of [lon, lat]) in the projection's metres, made valid."""
    rings = []
    for ring in zone.polygon:
        coordinates = np.asarray(ring, dtype=np.float64).reshape(-1, 2)
        x, y = projection.xy(coordinates[:, 0], coordinates[:, 1])
        rings.append(np.column_stack([x, y]))
    if not rings:
        return shapely.Polygon()
    polygon = shapely.Polygon(rings[0], rings[1:])
    return polygon if polygon.is_valid else shapely.make_valid(polygon)


def _dominance(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64], ratio: float, extent: float) -> BaseGeometry:
    """Where the antenna at `b` beats the one at `a`: closer than `ratio` times the distance to `a` (the
    Apollonius circle; the bisector when `ratio` is 1), within `extent` of `a`."""
    gap = float(np.hypot(*(b - a)))
    if abs(ratio - 1) < 1e-9:
        if gap < 1e-6:
            return shapely.Polygon()
        normal = (b - a) / gap
        middle = (a + b) / 2
        tangent = np.array([-normal[1], normal[0]])
        far = 4 * extent
        corners = [middle + tangent * far, middle + tangent * far + normal * far]
        corners += [middle - tangent * far + normal * far, middle - tangent * far]
        return shapely.Polygon(corners)
    if gap < 1e-6:
        return shapely.box(*(a - 4 * extent), *(a + 4 * extent)) if ratio > 1 else shapely.Polygon()
    square = ratio * ratio
    centre = (b - square * a) / (1 - square)
    radius = ratio * gap / abs(1 - square)
    disc = shapely.Point(*centre).buffer(radius, quad_segs=32)
    if ratio < 1:
        return disc
    return shapely.box(*(a - 4 * extent), *(a + 4 * extent)).difference(disc)


def _split_sites(plan: CellPlan, sites: npt.NDArray[np.float64]) -> list[tuple[float, float]]:
    """Per cell, the bearings (first, last) it serves: its sector, split at the bisectors with the other sectors
    of its mast (a phone between two of them takes the one it faces most); all around for an omni cell."""
    spans = []
    masts: dict[tuple[int, int], list[int]] = {}
    for index, cell in enumerate(plan.cells):
        if cell.azimuth_deg is None or cell.beamwidth_deg >= 180:
            spans.append((0.0, 360.0))
            continue
        half = max(cell.beamwidth_deg, 0.5)
        spans.append((cell.azimuth_deg - half, cell.azimuth_deg + half))
        masts.setdefault((round(sites[index, 0]), round(sites[index, 1])), []).append(index)
    for members in masts.values():
        azimuths = sorted({float(plan.cells[index].azimuth_deg or 0.0) % 360 for index in members})
        if len(azimuths) < 2:
            continue
        for index in members:
            azimuth = float(plan.cells[index].azimuth_deg or 0.0) % 360
            position = azimuths.index(azimuth)
            before = (azimuth - azimuths[position - 1]) % 360 / 2
            after = (azimuths[(position + 1) % len(azimuths)] - azimuth) % 360 / 2
            half = max(plan.cells[index].beamwidth_deg, 0.5)
            spans[index] = (azimuth - min(before, half), azimuth + min(after, half))
    return spans


PATH_LOSS_EXPONENT = 3.76
"""Urban path loss, dB per decade of distance (3GPP TR 36.814, 128.1 + 37.6 log10 d)."""


def coverage_areas(
    plan: CellPlan,
    projection: LocalProjection,
    coverage: str,
    small_cell_fraction: float = 0.5,
    small_cell_offset_db: float = -20.0,
) -> list[BaseGeometry]:
    """Each cell's coverage: its whole sector, or (best_server) the part of it where it gets the strongest
    signal. Macro cells are taken to radiate the same power, small cells (range under `small_cell_fraction` of
    the plan's median) `small_cell_offset_db` less; the signal falls with distance at PATH_LOSS_EXPONENT, so
    between two masts the boundary is the bisector (an Apollonius circle around a small cell), and a mast's
    sectors share its surroundings at the bisectors of their azimuths."""
    sectors = [sector_polygon(cell, projection) for cell in plan.cells]
    if coverage == "sector":
        return sectors
    x, y = projection.xy([cell.lon for cell in plan.cells], [cell.lat for cell in plan.cells])
    sites = np.column_stack([x, y])
    ranges = np.array([cell.range_m for cell in plan.cells])
    small = ranges < small_cell_fraction * float(np.median(ranges[ranges > 0])) if (ranges > 0).any() else ranges > 0
    power_db = np.where(small, small_cell_offset_db, 0.0)
    wedges = [
        _wedge(float(sites[index, 0]), float(sites[index, 1]), cell.range_m, first, last, 3.0)
        for index, (cell, (first, last)) in enumerate(zip(plan.cells, _split_sites(plan, sites), strict=True))
    ]
    tree = shapely.STRtree(wedges)
    areas = []
    for index, (cell, wedge) in enumerate(zip(plan.cells, wedges, strict=True)):
        if wedge.is_empty:
            areas.append(wedge)
            continue
        blockers = []
        for other in (int(found) for found in tree.query(wedge, predicate="intersects")):
            if other == index or ranges[other] <= 0:
                continue
            if np.hypot(*(sites[other] - sites[index])) < 1.0 and power_db[other] == power_db[index]:
                continue  # the same mast's other sectors are already split off; co-located twins share
            ratio = 10 ** ((power_db[other] - power_db[index]) / (10 * PATH_LOSS_EXPONENT))
            stronger = _dominance(sites[index], sites[other], ratio, cell.range_m)
            if not stronger.is_empty:
                blockers.append(wedges[other].intersection(stronger))
        served = wedge.difference(shapely.union_all(blockers)) if blockers else wedge
        areas.append(served if served.area > 1e-6 * wedge.area else wedge)
    return areas


def polygon_allocation(
    plan: CellPlan,
    zones: Sequence[Zone],
    coverage: str,
    prior: npt.NDArray[np.float64],
    small_cell_offset_db: float = -20.0,
) -> CellAllocation:
    """The share of each cell's coverage (whole sector, or best-server area) in each zone; the rest outside."""
    lons = [cell.lon for cell in plan.cells] or [0.0]
    lats = [cell.lat for cell in plan.cells] or [0.0]
    projection = LocalProjection(float(np.mean(lons)), float(np.mean(lats)))
    areas = coverage_areas(
        plan, projection, "sector" if coverage == "sector" else "best_server", small_cell_offset_db=small_cell_offset_db
    )
    polygons = [zone_polygon(zone, projection) for zone in zones]
    zone_union = shapely.union_all(polygons) if polygons else shapely.Polygon()
    tree = shapely.STRtree(polygons)
    outside = len(zones)
    start, zone_index, shares = [0], [], []
    for area in areas:
        total = area.area
        pieces: list[tuple[int, float]] = []
        if total > 0:
            for candidate in sorted(int(z) for z in tree.query(area, predicate="intersects")):
                pieces.append((candidate, area.intersection(polygons[candidate]).area / total))
            pieces.append((outside, area.difference(zone_union).area / total if polygons else 1.0))
        kept = [(zone, share) for zone, share in pieces if share > 1e-9]
        for zone, share in kept or [(outside, 1.0)]:
            zone_index.append(zone)
            shares.append(share)
        start.append(len(zone_index))
    return CellAllocation(
        zone_ids=tuple(zone.id for zone in zones),
        start=np.asarray(start, dtype=np.int64),
        region=np.asarray(zone_index, dtype=np.int32),
        share=np.asarray(shares, dtype=np.float64),
        cell_area=np.array([max(area.area, 1.0) for area in areas], dtype=np.float64),
        prior=prior,
        region_zone=np.arange(outside + 1, dtype=np.int32),
        region_lonlat=np.array(
            [*(projection.lonlat(*_centre(polygon)) for polygon in polygons), (projection.lon0, projection.lat0)]
        ),
    )


def _centre(polygon: BaseGeometry) -> tuple[float, float]:
    if polygon.is_empty:
        return 0.0, 0.0
    centre = polygon.centroid
    return float(centre.x), float(centre.y)
