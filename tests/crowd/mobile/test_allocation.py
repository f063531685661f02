"""Cells to zones: sector shapes, best-server coverage, weights by overlap (summing to 1 per cell)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely

from beffroi.crowd.mobile import allocate, sector_polygon
from beffroi.crowd.mobile.allocation import Coverage, capacity_density
from beffroi.crowd.mobile.coverage import LocalProjection, coverage_areas
from beffroi.domain.registry import Zone, ZoneKind
from beffroi.domain.signalling import CellPlan
from tests.crowd.mobile.synthetic import LAT0, LON0, build_city, lonlat
from tests.crowd.mobile.world import omni, sector, square, three_venues

PROJECTION = LocalProjection(LON0, LAT0)


def test_sector_shapes() -> None:
    disc = sector_polygon(omni("o", 0, 0, 500), PROJECTION)
    assert disc.area == pytest.approx(math.pi * 500**2, rel=0.01)
    wedge = sector_polygon(sector("s", 0, 0, 90.0, 30.0, 1000), PROJECTION)  # east, ±30°
    assert wedge.area == pytest.approx(math.pi * 1000**2 * 60 / 360, rel=0.01)
    assert (
        wedge.contains(shapely.Point(800, 0))
        and not wedge.contains(shapely.Point(0, 800))
        and not wedge.contains(shapely.Point(-800, 0))
    )
    assert wedge.contains(shapely.Point(800 * math.cos(math.radians(25)), 800 * math.sin(math.radians(25))))


def test_weights_sum_to_one_per_cell_and_follow_the_overlap() -> None:
    city = build_city(districts=3, margin_m=1500.0)
    coverages: tuple[Coverage, ...] = ("radio", "best_server", "sector")
    for coverage in coverages:
        allocation = allocate(city.plan, city.zones, coverage)
        matrix = allocation.matrix()
        assert matrix.shape == (len(city.plan.cells), len(city.zones) + 1)
        np.testing.assert_allclose(matrix.sum(axis=1), 1.0, atol=1e-9)
        assert (matrix >= 0).all()
        assert allocation.is_partition()


def test_a_zone_inside_a_cell_gets_its_area_share() -> None:
    plan = CellPlan("op", 208, 0.4, [omni("big", 0, 0, 1000)])
    zone = square("z", -100, -100, 100, 100)  # 40,000 m² of a π km² disc
    allocation = allocate(plan, [zone])
    np.testing.assert_allclose(
        allocation.matrix()[0], [40_000 / (math.pi * 1000**2), 1 - 40_000 / (math.pi * 1000**2)], rtol=0.01
    )
    prior = allocate(plan, [zone], density={"z": 10.0}, outside_density=1.0)
    share = 10 * 40_000 / (10 * 40_000 + (math.pi * 1000**2 - 40_000))
    np.testing.assert_allclose(prior.matrix()[0, 0], share, rtol=0.01)


def test_best_server_splits_between_masts_and_gives_small_cells_their_footprint() -> None:
    cells = [omni("west", 0, 0, 1000), omni("east", 1000, 0, 1000)]
    west, east = coverage_areas(CellPlan("op", 208, 0.4, cells), PROJECTION, "best_server")
    assert west.contains(shapely.Point(400, 0)) and not west.contains(shapely.Point(600, 0))
    assert east.contains(shapely.Point(600, 0)) and west.intersection(east).area < 1.0
    mast = [sector(f"s{azimuth}", 0, 0, azimuth, 65.0, 1500) for azimuth in (0.0, 120.0, 240.0)]
    small = omni("small", 300, 300, 200)
    areas = coverage_areas(CellPlan("op", 208, 0.4, [*mast, small]), PROJECTION, "best_server")
    assert areas[0].contains(shapely.Point(0, 700)) and not areas[1].contains(
        shapely.Point(0, 700)
    )  # north: the 0° sector
    assert areas[1].contains(shapely.Point(700, -100))  # east-south-east: the 120° sector
    # 20 dB weaker than the mast, the small cell wins closer than 10^(-20/37.6) = 0.294 times the distance
    # to the mast: the Apollonius disc of radius 0.294 × 424 m / (1 - 0.294²) = 136.5 m
    assert areas[3].area == pytest.approx(math.pi * 136.5**2, rel=0.01)
    assert areas[3].contains(shapely.Point(300, 300)) and not areas[3].contains(shapely.Point(300, 480))
    assert not areas[0].contains(shapely.Point(300, 300)) and not areas[1].contains(shapely.Point(300, 300))
    total = sum(area.area for area in areas)
    assert total == pytest.approx(math.pi * 1500**2, rel=0.02)  # the mast's sectors tile its disc


def test_cells_in_venues_and_the_prior_from_capacity() -> None:
    plan, zones = three_venues()
    matrix = allocate(plan, zones).matrix()
    np.testing.assert_allclose(matrix, [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], atol=1e-9)
    venue, water = square("v", 0, 0, 100, 100, capacity=20_000), square("w", 100, 0, 200, 100, capacity=0)
    assert capacity_density([venue, water]) == {"v": 2.0, "w": 0.0}  # nobody is meant to stand on the water


def test_a_small_cell_over_a_zone_edge_covers_the_outside_beside_it_in_proportion() -> None:
    # a 60 m small cell on the edge of a 200 m venue among 400 m macro cells: about half its disc is outside;
    # sampled every 100 m the outside would be all or nothing
    zones = [square("venue", 0.0, 0.0, 200.0, 200.0)]
    macros = [omni(f"m{index}", x, y, 400.0) for index, (x, y) in enumerate([(-300, -300), (500, 500), (-300, 500)])]
    plan = CellPlan("test-operator", 208, 0.4, [*macros, omni("small", 200.0, 100.0, 60.0)])
    matrix = allocate(plan, zones).matrix()
    assert 0.3 < matrix[3, 0] < 0.7 and matrix[3, 0] + matrix[3, 1] == pytest.approx(1.0)


def test_a_large_zone_s_small_cells_each_get_the_part_they_serve() -> None:
    # a 600 m square (36 ha, the size of the Olympic Village's grounds) with 16 small cells on a 150 m grid, as an
    # operator equips a venue: each serves about a sixteenth of it; sampled with 16 to 64 points (one per 75 to
    # 150 m), some cells would get twice their part and others none
    zones = [square("grounds", 0.0, 0.0, 600.0, 600.0)]
    macros = [omni(f"m{index}", x, y, 1500.0) for index, (x, y) in enumerate([(-900, -900), (1500, 1500)])]
    smalls = [omni(f"s{i}{j}", 75.0 + 150.0 * i, 75.0 + 150.0 * j, 110.0) for i in range(4) for j in range(4)]
    allocation = allocate(CellPlan("test-operator", 208, 0.4, [*macros, *smalls]), zones)
    in_zone = np.flatnonzero(allocation.zone == 0)
    served = np.bincount(
        allocation.rows[in_zone], weights=(allocation.cell_area[allocation.rows] * allocation.share)[in_zone]
    )
    parts = served[2:] / served[2:].sum()
    assert parts.min() > 0.8 / 16 and parts.max() < 1.25 / 16


def test_a_thin_ring_is_sampled_all_the_way_round() -> None:
    # a perimeter ring 15 m wide around a 380 m venue, a small cell at the middle of each side: each serves about a
    # quarter of the ring. Sampled on a grid square in degrees (at Paris 1.5 times coarser north-south than
    # east-west) as coarse as a compact zone's, the sides' cells got 30, 30, 20 and 20 % of it
    outer = [(0.0, 0.0), (410.0, 0.0), (410.0, 410.0), (0.0, 410.0), (0.0, 0.0)]
    inner = [(15.0, 15.0), (15.0, 395.0), (395.0, 395.0), (395.0, 15.0), (15.0, 15.0)]
    rings = []
    for corners in (outer, inner):
        lon, lat = lonlat([x for x, _ in corners], [y for _, y in corners])
        rings.append([(float(a), float(b)) for a, b in zip(lon, lat, strict=True)])
    ring = Zone("ring", "venue", "venue", "ring", ZoneKind.PERIMETER, rings, 410.0**2 - 380.0**2, 0)
    sides = [omni(name, x, y, 60.0) for name, x, y in (("s", 205, 7), ("n", 205, 403), ("w", 7, 205), ("e", 403, 205))]
    macro = omni("macro", -600.0, -600.0, 2000.0)
    allocation = allocate(CellPlan("test-operator", 208, 0.4, [macro, *sides]), [ring])
    in_zone = np.flatnonzero(allocation.zone == 0)
    served = np.bincount(
        allocation.rows[in_zone], weights=(allocation.cell_area[allocation.rows] * allocation.share)[in_zone]
    )
    parts = served[1:] / served[1:].sum()
    assert parts.min() > 0.8 / 4 and parts.max() < 1.25 / 4
