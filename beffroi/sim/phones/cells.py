"""The simulated operator's cell plan over a scenario's area, which cells cover a point, and how strongly.

Macro masts stand on one hexagonal lattice per band of latitude (so neighbouring sites share masts), every point of
it in dense areas, every 2nd in urban ones and every 4th in suburban ones, each mast nudged off the lattice and
carrying three sectors (azimuths 0/120/240, beam 65°). Big stands, concourses, fan zones, plazas and platforms get
dedicated venue coverage, as operators equip stadiums, stations and event sites (an indoor DAS sector per stand, small
cells along a quay): omnidirectional small cells spread over the zone, one per VENUE_CELL_AREA_M2 of it (at least one),
each reaching just past the part of the zone it serves, so that a phone in the zone is served by one of them rather
than by the macro masts around. A cell *covers* a point within its range and, for a sector, within ±beam width of its
azimuth (the 3GPP antenna pattern 12 dB down): neighbouring sectors overlap, and most points are covered by 3–6 cells.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from beffroi.domain.registry import ZoneKind
from beffroi.domain.signalling import Cell, CellPlan
from beffroi.sim.catalogue import Bounds, Catalogue
from beffroi.sim.phones.geography import (
    BASE_MAST_SPACING_M,
    METRES_PER_DEGREE,
    PROFILES,
    Density,
    inside_rings,
    site_density,
    site_departement,
)
from beffroi.sim.phones.population import HOST_MCC, OPERATOR_MNC
from beffroi.sim.scenario import Scenario
from beffroi.sim.seeding import unit

EARTH_RADIUS_M = 6_378_137.0
RANGE_FACTOR = 1.1
"""A macro cell reaches this many times its masts' spacing (with ±10 % per mast)."""
SECTOR_AZIMUTHS = (0.0, 120.0, 240.0)
SECTOR_BEAM_DEG = 65.0
MACRO_EIRP_DBM = 61.0
SMALL_EIRP_DBM = 41.0
"""A small cell's power plus the priority the operator gives it inside its venue."""
SMALL_CELL_KINDS = frozenset({ZoneKind.STAND, ZoneKind.CONCOURSE, ZoneKind.FAN_ZONE, ZoneKind.PLAZA, ZoneKind.PLATFORM})
SMALL_CELL_MIN_CAPACITY = 2000
VENUE_CELL_AREA_M2 = 4000.0
"""Zone area one venue small cell serves (a circle of about 36 m): close enough that it outshines the macro masts
(20 dB stronger at 3.4 times the distance) over its part of the zone, even in dense Paris."""
VENUE_CELL_MARGIN_M = 25.0
"""How far a venue cell reaches past the farthest point of the part of the zone it serves."""
VENUE_CELL_SPAN_M = 100.0
"""Length of zone one venue cell serves along an elongated zone (a platform, a quay)."""
MAX_VENUE_CELLS = 48
MAX_CANDIDATES = 8
"""Cells considered to serve a point: its strongest covering ones (a weaker one hardly ever wins)."""


@dataclass(frozen=True, slots=True)
class SiteArea:
    """A site's place on the map: its box, its surroundings' box, density and département."""

    index: int
    site_id: str
    box: Bounds
    surroundings: Bounds
    density: Density
    departement: str


def expand(box: Bounds, metres: float) -> Bounds:
    """A box grown by `metres` on every side."""
    min_lon, min_lat, max_lon, max_lat = box
    dlat = metres / METRES_PER_DEGREE
    dlon = metres / (METRES_PER_DEGREE * math.cos(math.radians((min_lat + max_lat) / 2)))
    return (min_lon - dlon, min_lat - dlat, max_lon + dlon, max_lat + dlat)


def site_areas(catalogue: Catalogue) -> list[SiteArea]:
    """The area of every simulated site, in catalogue order."""
    areas = []
    for index, site in enumerate(catalogue.sites):
        density = site_density(site)
        box = catalogue.site_bounds(site.id)
        surroundings = expand(box, PROFILES[density].margin_m)
        areas.append(SiteArea(index, site.id, box, surroundings, density, site_departement(site)))
    return areas


def _mercator(lon: float, lat: float) -> tuple[float, float]:
    return (
        EARTH_RADIUS_M * math.radians(lon),
        EARTH_RADIUS_M * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)),
    )


def _lonlat(x: float, y: float) -> tuple[float, float]:
    return math.degrees(x / EARTH_RADIUS_M), math.degrees(2 * math.atan(math.exp(y / EARTH_RADIUS_M)) - math.pi / 2)


def _lattice_masts(areas: list[SiteArea]) -> dict[tuple[int, int, int], int]:
    """Lattice points (band, i, j) every site's area needs, with the finest step asking for each."""
    wanted: dict[tuple[int, int, int], int] = {}
    for area in areas:
        step = PROFILES[area.density].lattice_step
        reach = step * BASE_MAST_SPACING_M * RANGE_FACTOR * 1.1
        min_lon, min_lat, max_lon, max_lat = expand(area.surroundings, reach)
        band = round((min_lat + max_lat) / 2)
        spacing = BASE_MAST_SPACING_M / math.cos(math.radians(band))
        row = spacing * math.sqrt(3) / 2
        x0, y0 = _mercator(min_lon, min_lat)
        x1, y1 = _mercator(max_lon, max_lat)
        for j in range(math.floor(y0 / row), math.ceil(y1 / row) + 1):
            if j % step:
                continue
            for i in range(math.floor(x0 / spacing - j / 2), math.ceil(x1 / spacing - j / 2) + 1):
                if i % step == 0 and x0 <= spacing * (i + j / 2) <= x1 and y0 <= row * j <= y1:
                    key = (band, i, j)
                    wanted[key] = min(wanted.get(key, step), step)
    return wanted


def cell_plan(
    scenario: Scenario,
    operator: str = "Orange",
    market_share: float = 0.4,
    seed: int = 0,
    *,
    sites: list[str] | None = None,
) -> CellPlan:
    """The operator's cells over the scenario's sites and their surroundings (all sites, or the chosen ones);
    the same inputs always give the same plan."""
    catalogue = Catalogue(scenario, sites=sites)
    areas = site_areas(catalogue)
    mnc = OPERATOR_MNC.get(operator.strip().lower(), "99")
    cells: list[Cell] = []
    for order, ((band, i, j), step) in enumerate(sorted(_lattice_masts(areas).items())):
        spacing = BASE_MAST_SPACING_M / math.cos(math.radians(band))
        jitter = 0.15 * step * spacing
        x = spacing * (i + j / 2) + jitter * (2 * unit(seed, "mast-x", band, i, j) - 1)
        y = spacing * math.sqrt(3) / 2 * j + jitter * (2 * unit(seed, "mast-y", band, i, j) - 1)
        lon, lat = _lonlat(x, y)
        reach = step * BASE_MAST_SPACING_M * RANGE_FACTOR * (0.9 + 0.2 * unit(seed, "mast-r", band, i, j))
        for sector, azimuth in enumerate(SECTOR_AZIMUTHS, start=1):
            cells.append(
                Cell(f"{HOST_MCC}-{mnc}-{100_000 + order}-{sector}", lon, lat, azimuth, SECTOR_BEAM_DEG, round(reach))
            )
    small = 0
    for site in catalogue.sites:
        for zone in site.zones:
            if zone.kind not in SMALL_CELL_KINDS or zone.capacity < SMALL_CELL_MIN_CAPACITY:
                continue
            bounds = catalogue.zones[zone.id].bounds
            for lon, lat, reach in venue_cells(zone.geometry.coordinates, bounds, zone.area_m2):
                # Plain floats (the geometry is numpy's): the plan is written as JSON.
                cell_id = f"{HOST_MCC}-{mnc}-{900_000 + small}-1"
                cells.append(Cell(cell_id, float(lon), float(lat), None, 360.0, float(round(reach)), "4G"))
                small += 1
    return CellPlan(operator=operator, mcc=HOST_MCC, market_share=market_share, cells=cells)


def venue_cells(
    rings: list[list[tuple[float, float]]], box: Bounds, area_m2: float
) -> list[tuple[float, float, float]]:
    """The venue small cells of a zone (lon, lat, reach in metres): one per VENUE_CELL_AREA_M2 or per
    VENUE_CELL_SPAN_M of its length, whichever asks for more (at most MAX_VENUE_CELLS), at the centres of equal
    parts of the zone (k-means over a grid of points inside it, started from points spread along the zone: the same
    zone always gets the same cells), each reaching the farthest point of its part plus VENUE_CELL_MARGIN_M."""
    lat0 = (box[1] + box[3]) / 2
    scale_x = METRES_PER_DEGREE * math.cos(math.radians(lat0))
    width, height = (box[2] - box[0]) * scale_x, (box[3] - box[1]) * METRES_PER_DEGREE
    wanted = max(area_m2 / VENUE_CELL_AREA_M2, math.hypot(width, height) / VENUE_CELL_SPAN_M)
    count = int(min(max(math.ceil(wanted), 1), MAX_VENUE_CELLS))
    step = max(math.sqrt(max(area_m2, 1.0) / (40.0 * count)), 1.0)
    xs = np.arange(step / 2, max(width, step), step)
    ys = np.arange(step / 2, max(height, step), step)
    grid_x, grid_y = (axis.ravel() for axis in np.meshgrid(xs, ys))
    inside = inside_rings(box[0] + grid_x / scale_x, box[1] + grid_y / METRES_PER_DEGREE, rings)
    points = np.column_stack([grid_x[inside], grid_y[inside]]) if inside.any() else np.array([[width / 2, height / 2]])
    count = min(count, points.shape[0])
    axis = 0 if np.ptp(points[:, 0]) >= np.ptp(points[:, 1]) else 1
    ordered = points[np.argsort(points[:, axis], kind="stable")]
    centres = ordered[((np.arange(count) + 0.5) * ordered.shape[0] / count).astype(np.int64)]
    for _ in range(12):
        nearest = np.argmin(((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2), axis=1)
        for k in range(count):
            if (nearest == k).any():
                centres[k] = points[nearest == k].mean(axis=0)
    nearest = np.argmin(((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2), axis=1)
    out = []
    for k in range(count):
        mine = points[nearest == k]
        farthest = float(np.max(np.hypot(*(mine - centres[k]).T))) if mine.shape[0] else step
        reach = farthest + step / 2 + VENUE_CELL_MARGIN_M
        out.append((float(box[0] + centres[k, 0] / scale_x), float(box[1] + centres[k, 1] / METRES_PER_DEGREE), reach))
    return out


class CellArrays:
    """A cell plan's cells as arrays, to find the cells covering many points at once."""

    def __init__(self, plan: CellPlan) -> None:
        cells = plan.cells
        self.lon = np.array([c.lon for c in cells])
        self.lat = np.array([c.lat for c in cells])
        self.azimuth = np.array([math.nan if c.azimuth_deg is None else c.azimuth_deg for c in cells])
        self.beam = np.array([c.beamwidth_deg for c in cells])
        self.range_m = np.array([c.range_m for c in cells])
        self.eirp = np.where(np.isnan(self.azimuth), SMALL_EIRP_DBM, MACRO_EIRP_DBM)

    def geometry(
        self, lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64], cells: npt.NDArray[np.intp]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Distance (m) from each chosen cell to each point and the point's angle off the cell's azimuth (degrees;
        0 for omnidirectional cells), both shaped (points, cells)."""
        coslat = np.cos(np.radians(lat))[:, None]
        dx = (lon[:, None] - self.lon[cells][None, :]) * METRES_PER_DEGREE * coslat
        dy = (lat[:, None] - self.lat[cells][None, :]) * METRES_PER_DEGREE
        distance = np.hypot(dx, dy)
        bearing = np.degrees(np.arctan2(dx, dy))
        azimuth = self.azimuth[cells][None, :]
        off = np.abs((bearing - azimuth + 180.0) % 360.0 - 180.0)
        return distance, np.where(np.isnan(azimuth), 0.0, off)

    def covers(
        self, lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64], cells: npt.NDArray[np.intp] | None = None
    ) -> npt.NDArray[np.bool_]:
        """Whether each cell covers each point, shaped (points, cells): within range, and within ±beam of azimuth."""
        chosen = np.arange(self.lon.shape[0]) if cells is None else cells
        distance, off = self.geometry(lon, lat, chosen)
        return (distance <= self.range_m[chosen][None, :]) & (off <= self.beam[chosen][None, :])

    def candidates(
        self, lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]:
        """For each point, the strongest cells covering it (up to MAX_CANDIDATES, padded with -1) and their mean
        received power (dBm, padded with -inf): 3GPP antenna pattern and urban path loss, before shadowing."""
        centre_lon, centre_lat = float(lon.mean()), float(lat.mean())
        spread = (
            float(np.max(np.hypot((lon - centre_lon) * math.cos(math.radians(centre_lat)), lat - centre_lat)))
            * METRES_PER_DEGREE
        )
        near_distance = (
            np.hypot((self.lon - centre_lon) * math.cos(math.radians(centre_lat)), self.lat - centre_lat)
            * METRES_PER_DEGREE
        )
        near = np.flatnonzero(near_distance <= self.range_m + spread + 1.0)
        distance, off = self.geometry(lon, lat, near)
        covering = (distance <= self.range_m[near][None, :]) & (off <= self.beam[near][None, :])
        gain = -np.minimum(12.0 * (off / SECTOR_BEAM_DEG) ** 2, 20.0)
        loss = 128.1 + 37.6 * np.log10(np.maximum(distance, 10.0) / 1000.0)
        power = np.where(covering, self.eirp[near][None, :] + gain - loss, -np.inf)
        width = min(max(int(covering.sum(axis=1).max(initial=0)), 1), MAX_CANDIDATES)
        order = np.argsort(-power, axis=1, kind="stable")[:, :width]
        best = np.take_along_axis(power, order, axis=1).astype(np.float32)
        index = np.where(np.isfinite(best), near[order], -1).astype(np.int32)
        return index, best
