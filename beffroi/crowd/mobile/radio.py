"""Where a cell's subscribers may stand, from a radio model: sample points over the zones and over the covered
outside (cut into tiles), and at each point the chance each covering cell is the one serving it.

A cell covers a point within its range and within ± its beam width of its azimuth. The signal received from it
falls with distance (path loss exponent 3.76, 3GPP urban macro) and off its azimuth (3GPP antenna pattern,
12 dB down at the beam width, at most 20); macro cells are taken to radiate the same power and small cells
(range under half the plan's median) `small_cell_offset_db` less. Shadowing (log-normal, `shadowing_db`) makes
the strongest cell uncertain: a point goes to each covering cell with the chance it is the strongest, taken
as a softmax of the mean powers (the logistic approximation of the Gaussian). A cell's share of a region is its
expected subscribers there for a uniform density, normalised over the cell.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import shapely
from shapely.affinity import affine_transform

from beffroi.crowd.mobile.allocation import CellAllocation
from beffroi.crowd.mobile.timing import TimingBands
from beffroi.domain.registry import Zone
from beffroi.domain.signalling import CellPlan

F64 = npt.NDArray[np.float64]
METRES_PER_DEGREE = math.pi / 180 * 6_371_008.8
PATH_LOSS_DB_PER_DECADE = 37.6
PATTERN_DB_AT_BEAM = 12.0
PATTERN_FLOOR_DB = 20.0


THINNEST_STEP_M = 2.0
"""The finest grid a thin zone is sampled on (a line drawn as a polygon 10 cm wide would otherwise ask for millions of
points)."""


def _zone_points(zones: Sequence[Zone], pitch_m: float, least: int = 16) -> tuple[F64, F64, F64, npt.NDArray[np.int64]]:
    """Points inside each zone on a square grid (in metres) at most `pitch_m` apart, at least `least` per zone, and
    at least two across a band (a perimeter ring, a platform: its width taken as twice its area over its outline;
    THINNEST_STEP_M at the finest), with the area each stands for. On a grid as coarse as a compact zone's, and
    square in degrees (at Paris 1.5 times coarser north-south), a ring 15 m wide gave the cells of its sides 30,
    30, 20 and 20 % of its people where each serves a quarter."""
    lons, lats, weights, owners = [], [], [], []
    for index, zone in enumerate(zones):
        if not zone.polygon or len(zone.polygon[0]) < 4:
            continue
        rings = [np.asarray(ring, dtype=np.float64).reshape(-1, 2) for ring in zone.polygon]
        polygon = shapely.Polygon(rings[0], rings[1:])
        if not polygon.is_valid:
            polygon = shapely.make_valid(polygon)
        west, south, _, north = polygon.bounds
        metres_x = METRES_PER_DEGREE * math.cos(math.radians((south + north) / 2))
        local = affine_transform(
            polygon, [metres_x, 0.0, 0.0, METRES_PER_DEGREE, -west * metres_x, -south * METRES_PER_DEGREE]
        )
        width_m = 2 * local.area / max(local.length, 1e-9)
        step = min(math.sqrt(max(local.area, 1e-9) / (2 * least)), pitch_m, max(width_m / 2, THINNEST_STEP_M))
        _, _, extent_x, extent_y = local.bounds
        for _ in range(4):
            xs = np.arange(step / 2, extent_x, step)
            ys = np.arange(step / 2, extent_y, step)
            grid_x, grid_y = (axis.ravel() for axis in np.meshgrid(xs, ys))
            inside = shapely.contains_xy(local, grid_x, grid_y)
            if inside.sum() >= least:
                break
            step /= 2
        if not inside.any():
            point = local.representative_point()
            grid_x, grid_y, inside = np.array([point.x]), np.array([point.y]), np.array([True])
        count = int(inside.sum())
        area = zone.area_m2 if zone.area_m2 > 0 else 1.0
        lons.append(west + grid_x[inside] / metres_x)
        lats.append(south + grid_y[inside] / METRES_PER_DEGREE)
        weights.append(np.full(count, area / count))
        owners.append(np.full(count, index, dtype=np.int64))
    if not lons:
        return np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int64)
    return np.concatenate(lons), np.concatenate(lats), np.concatenate(weights), np.concatenate(owners)


def _small_cells(plan: CellPlan) -> npt.NDArray[np.bool_]:
    """Which cells are small cells: a range under half the plan's median."""
    reach = np.array([cell.range_m for cell in plan.cells])
    positive = reach[reach > 0]
    return reach < 0.5 * float(np.median(positive)) if positive.size else np.zeros(len(plan.cells), dtype=bool)


def _grid_keys(lon: float, lat: float, reach_m: float, degrees_lon: float, degrees_lat: float) -> npt.NDArray[np.int64]:
    """Keys (ix * 10^7 + iy) of the grid squares within `reach_m` of a point (its bounding box)."""
    reach_lat = reach_m / METRES_PER_DEGREE
    reach_lon = reach_lat / math.cos(math.radians(lat))
    ix = np.arange(math.floor((lon - reach_lon) / degrees_lon), math.ceil((lon + reach_lon) / degrees_lon) + 1)
    iy = np.arange(math.floor((lat - reach_lat) / degrees_lat), math.ceil((lat + reach_lat) / degrees_lat) + 1)
    grid_x, grid_y = (axis.ravel() for axis in np.meshgrid(ix, iy))
    return grid_x.astype(np.int64) * 10_000_000 + grid_y


def _outside_points(
    plan: CellPlan, zones: Sequence[Zone], pitch_m: float, tile_m: float, fine_m: float
) -> tuple[F64, F64, F64, npt.NDArray[np.int64]]:
    """Grid points within reach of some cell and outside every zone, with their area and tile number: every
    `pitch_m`, and every `fine_m` in the squares a small cell reaches (a small cell covers a few of the coarse
    squares: sampled coarsely, its share of the outside would be all or nothing)."""
    lat0 = float(np.mean([cell.lat for cell in plan.cells]))
    degrees_lat = pitch_m / METRES_PER_DEGREE
    degrees_lon = degrees_lat / math.cos(math.radians(lat0))
    small = _small_cells(plan)
    keys, fine_keys = [], []
    for index, cell in enumerate(plan.cells):
        if cell.range_m <= 0:
            continue
        keys.append(_grid_keys(cell.lon, cell.lat, cell.range_m, degrees_lon, degrees_lat))
        if small[index]:
            fine_keys.append(_grid_keys(cell.lon, cell.lat, cell.range_m + pitch_m, degrees_lon, degrees_lat))
    if not keys:
        return np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int64)
    unique = np.unique(np.concatenate(keys))
    refined = np.unique(np.concatenate(fine_keys)) if fine_keys else np.zeros(0, dtype=np.int64)
    coarse = unique[~np.isin(unique, refined)]
    per_side = max(round(pitch_m / fine_m), 1)
    offsets = (np.arange(per_side) + 0.5) / per_side - 0.5
    sub_x, sub_y = (axis.ravel() for axis in np.meshgrid(offsets, offsets))

    def split(key: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        ix = np.floor_divide(key + 5_000_000, 10_000_000)
        return ix, key - ix * 10_000_000

    coarse_x, coarse_y = split(coarse)
    fine_x, fine_y = split(refined)
    ix = np.concatenate((coarse_x, np.repeat(fine_x, sub_x.shape[0])))
    iy = np.concatenate((coarse_y, np.repeat(fine_y, sub_y.shape[0])))
    x = ix + np.concatenate((np.zeros(coarse_x.shape[0]), np.tile(sub_x, fine_x.shape[0])))
    y = iy + np.concatenate((np.zeros(coarse_y.shape[0]), np.tile(sub_y, fine_y.shape[0])))
    square = np.concatenate((np.full(coarse_x.shape[0], 1.0), np.full(fine_x.shape[0] * sub_x.shape[0], per_side**-2)))
    lon, lat = x * degrees_lon, y * degrees_lat
    polygons = [shapely.Polygon(ring[0]) if ring else shapely.Polygon() for ring in (z.polygon for z in zones)]
    if polygons:
        tree = shapely.STRtree(polygons)
        hits = tree.query(shapely.points(lon, lat), predicate="within")[0]
        keep = np.ones(lon.shape[0], dtype=bool)
        keep[hits] = False
        lon, lat, ix, iy, square = lon[keep], lat[keep], ix[keep], iy[keep], square[keep]
    per_tile = max(round(tile_m / pitch_m), 1)
    _, tile = np.unique((ix // per_tile) * 10_000_000 + iy // per_tile, return_inverse=True)
    area = square * pitch_m * pitch_m * np.cos(np.radians(lat)) / math.cos(math.radians(lat0))
    return (
        lon.astype(np.float64),
        lat.astype(np.float64),
        area.astype(np.float64),
        tile.reshape(-1).astype(np.int64),
    )


def _serving(
    plan: CellPlan, lon: F64, lat: F64, small_cell_offset_db: float, shadowing_db: float
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], F64, F64]:
    """(point, cell, chance the cell serves the point, distance from the cell's antenna in metres) for every
    covering cell of every point."""
    cells = plan.cells
    cell_lon = np.array([cell.lon for cell in cells])
    cell_lat = np.array([cell.lat for cell in cells])
    reach = np.array([cell.range_m for cell in cells])
    omni = np.array([cell.azimuth_deg is None or cell.beamwidth_deg >= 180 for cell in cells])
    azimuth = np.array([cell.azimuth_deg or 0.0 for cell in cells])
    beam = np.array([max(cell.beamwidth_deg, 0.5) for cell in cells])
    small = _small_cells(plan)
    power0 = np.where(small, small_cell_offset_db, 0.0)
    bucket_m = 1.1 * max(float(reach.max(initial=1.0)), 1.0)
    bucket_deg = bucket_m / METRES_PER_DEGREE
    lat_scale = np.cos(np.radians(lat))

    def bucket(lons: F64, lats: F64) -> npt.NDArray[np.int64]:
        bx = np.floor(lons * np.cos(np.radians(lats)) / bucket_deg).astype(np.int64)
        return bx * 1_000_000 + np.floor(lats / bucket_deg).astype(np.int64)

    cell_bucket = bucket(cell_lon, cell_lat)
    point_bucket = bucket(lon, lat)
    order = np.argsort(point_bucket, kind="stable")
    bounds = np.flatnonzero(np.concatenate(([True], point_bucket[order][1:] != point_bucket[order][:-1], [True])))
    temperature = shadowing_db * math.sqrt(2) / 1.702
    points_out, cells_out, chance_out, distance_out = [], [], [], []
    for begin, end in itertools.pairwise(bounds):
        rows = order[begin:end]
        key = point_bucket[rows[0]]
        around = np.array([key + dx * 1_000_000 + dy for dx in (-1, 0, 1) for dy in (-1, 0, 1)])
        near = np.flatnonzero(np.isin(cell_bucket, around))
        if near.size == 0:
            continue
        dx = (lon[rows, None] - cell_lon[near]) * METRES_PER_DEGREE * lat_scale[rows, None]
        dy = (lat[rows, None] - cell_lat[near]) * METRES_PER_DEGREE
        distance = np.hypot(dx, dy)
        off = np.abs((np.degrees(np.arctan2(dx, dy)) - azimuth[near] + 180.0) % 360.0 - 180.0)
        covered = (distance <= reach[near]) & (omni[near] | (off <= beam[near]))
        pattern = np.where(omni[near], 0.0, np.minimum(PATTERN_DB_AT_BEAM * (off / beam[near]) ** 2, PATTERN_FLOOR_DB))
        power = power0[near] - PATH_LOSS_DB_PER_DECADE * np.log10(np.maximum(distance, 10.0)) - pattern
        power = np.where(covered, power, -np.inf)
        best = power.max(axis=1, keepdims=True)
        served = np.isfinite(best[:, 0])
        if not served.any():
            continue
        chance = np.where(covered, np.exp((power - np.where(np.isfinite(best), best, 0.0)) / temperature), 0.0)
        chance /= np.maximum(chance.sum(axis=1, keepdims=True), 1e-300)
        point_index, cell_index = np.nonzero(chance > 1e-4)
        points_out.append(rows[point_index])
        cells_out.append(near[cell_index])
        chance_out.append(chance[point_index, cell_index])
        distance_out.append(distance[point_index, cell_index])
    if not points_out:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0)
    return (
        np.concatenate(points_out),
        np.concatenate(cells_out),
        np.concatenate(chance_out),
        np.concatenate(distance_out),
    )


def radio_allocation(
    plan: CellPlan,
    zones: Sequence[Zone],
    zone_prior: F64,
    outside_density: float,
    small_cell_offset_db: float = -20.0,
    shadowing_db: float = 6.0,
    pitch_m: float = 100.0,
    tile_m: float = 500.0,
    fine_m: float = 20.0,
    timing: TimingBands | None = None,
) -> CellAllocation:
    """Each cell's shares of the zones and of the outside tiles (`tile_m` squares sampled every `pitch_m`, and every
    `fine_m` within reach of a small cell). Zones are sampled every `fine_m` at most: a large zone sampled with a
    fixed number of points (one per 100 m for 30 ha) gives the small cells inside it parts that are twice too large
    or nothing, by where the points fall. With `timing`, each cell is split into its virtual cells, one per timing
    advance band and one for the whole cell (`beffroi.crowd.mobile.timing`)."""
    zone_lon, zone_lat, zone_area, zone_region = _zone_points(zones, fine_m)
    out_lon, out_lat, out_area, tile = _outside_points(plan, zones, pitch_m, tile_m, fine_m)
    tiles = int(tile.max(initial=-1)) + 1
    lon, lat = np.concatenate((zone_lon, out_lon)), np.concatenate((zone_lat, out_lat))
    area = np.concatenate((zone_area, out_area))
    region_of_point = np.concatenate((zone_region, len(zones) + tile))
    fallback = len(zones) + tiles  # for a cell that reaches no sample point
    regions = fallback + 1
    point, cell, chance, distance = _serving(plan, lon, lat, small_cell_offset_db, shadowing_db)
    cells, width = len(plan.cells), 1
    if timing is not None:  # each cell's bands, after the whole cell (for records without a timing advance)
        entry, band, band_chance = timing.chances(distance)
        width = timing.width
        point = np.concatenate((point, point[entry]))
        cell = np.concatenate((cell * width + timing.bands, cell[entry] * width + band))
        chance = np.concatenate((chance, chance[entry] * band_chance))
        cells *= width
    key = cell * regions + region_of_point[point]
    pairs, inverse = np.unique(key, return_inverse=True)
    expected = np.bincount(inverse.reshape(-1), weights=chance * area[point], minlength=pairs.shape[0])
    pair_cell, pair_region = pairs // regions, pairs % regions
    cell_area = np.bincount(pair_cell, weights=expected, minlength=cells)
    share = expected / cell_area[pair_cell]
    keep = share >= 1e-5
    pair_cell, pair_region, share = pair_cell[keep], pair_region[keep], share[keep]
    share /= np.bincount(pair_cell, weights=share, minlength=cells)[pair_cell]
    lonely = np.flatnonzero(np.bincount(pair_cell, minlength=cells) == 0)
    if timing is not None:  # a band no point of its cell reaches stays empty: its records go to the whole cell
        lonely = lonely[lonely % width == timing.bands]
    pair_cell = np.concatenate((pair_cell, lonely))
    pair_region = np.concatenate((pair_region, np.full(lonely.shape[0], fallback)))
    share = np.concatenate((share, np.ones(lonely.shape[0])))
    cell_area[lonely] = [math.pi * max(plan.cells[index // width].range_m, 1.0) ** 2 for index in lonely]
    order = np.lexsort((pair_region, pair_cell))
    start = np.concatenate(([0], np.cumsum(np.bincount(pair_cell, minlength=cells))))
    region_zone = np.concatenate((np.arange(len(zones)), np.full(tiles + 1, len(zones)))).astype(np.int32)
    prior = np.concatenate((np.asarray(zone_prior, dtype=np.float64), np.full(tiles + 1, outside_density)))
    mass = np.maximum(np.bincount(region_of_point, weights=area, minlength=regions), 1e-12)
    centre = np.column_stack(
        [np.bincount(region_of_point, weights=area * coordinate, minlength=regions) / mass for coordinate in (lon, lat)]
    )
    centre[fallback] = [np.mean([c.lon for c in plan.cells]), np.mean([c.lat for c in plan.cells])]
    return CellAllocation(
        zone_ids=tuple(zone.id for zone in zones),
        start=start.astype(np.int64),
        region=pair_region[order].astype(np.int32),
        share=share[order],
        cell_area=np.maximum(cell_area, 1.0),
        prior=prior,
        region_zone=region_zone,
        region_lonlat=centre,
        timing=timing,
    )
