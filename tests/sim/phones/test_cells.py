"""The simulated cell plan: three-sector masts, venue small cells, overlapping coverage, determinism."""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import msgspec
import numpy as np
import pytest

from beffroi.domain.signalling import CellPlan
from beffroi.sim.catalogue import Catalogue
from beffroi.sim.phones import CellArrays, cell_plan
from beffroi.sim.phones.cells import site_areas, venue_cells
from beffroi.sim.phones.geography import Density, site_density, site_departement
from beffroi.sim.scenario import Scenario, load_scenario

PARIS = Path(__file__).parents[3] / "scenarios" / "paris2024.json"


@pytest.fixture(scope="module")
def paris() -> Scenario:
    return load_scenario(PARIS)


def test_the_plan_is_fixed_by_the_seed(scenario: Scenario) -> None:
    plan = cell_plan(scenario, seed=1)
    assert plan == cell_plan(scenario, seed=1)
    assert plan != cell_plan(scenario, seed=2)
    assert (plan.operator, plan.mcc, plan.market_share) == ("Orange", 208, 0.4)
    assert len(plan.index()) == len(plan.cells)  # unique ids
    assert all(cell.id.startswith("208-01-") for cell in plan.cells)


def test_the_plan_is_written_and_read_back_as_json(scenario: Scenario) -> None:
    plan = cell_plan(scenario, seed=1)
    assert msgspec.json.decode(msgspec.json.encode(plan), type=CellPlan) == plan  # plain numbers, venue cells too


def test_macro_masts_carry_three_sectors(scenario: Scenario) -> None:
    plan = cell_plan(scenario, seed=1)
    masts: dict[tuple[float, float], list[float]] = {}
    for cell in plan.cells:
        if cell.azimuth_deg is not None:
            masts.setdefault((cell.lon, cell.lat), []).append(cell.azimuth_deg)
            assert cell.beamwidth_deg == 65.0
            assert 300 <= cell.range_m <= 1500
    assert len(masts) >= 10
    assert all(sorted(azimuths) == [0.0, 120.0, 240.0] for azimuths in masts.values())


def test_big_stands_concourses_and_platforms_get_venue_cells_that_serve_them(scenario: Scenario) -> None:
    plan = cell_plan(scenario, seed=1)
    cells = CellArrays(plan)
    small = np.isnan(cells.azimuth)
    # stand-north (25,000 on 22,500 m²): 6, concourse (6,400 m²): 2, platform-1 (10,000 m², 250 m long): 3;
    # not the 3,000 gate
    assert small.sum() == 11
    assert cells.range_m[small].max() < 0.5 * np.median(cells.range_m)  # small cells by their reach
    catalogue = Catalogue(scenario)
    rng = np.random.default_rng(0)
    for zone_id in ("stand-north", "concourse", "platform-1"):
        min_lon, min_lat, max_lon, max_lat = catalogue.zones[zone_id].bounds
        lon, lat = rng.uniform(min_lon, max_lon, 400), rng.uniform(min_lat, max_lat, 400)
        index, _ = cells.candidates(lon, lat)
        assert small[index[:, 0]].mean() > 0.9, zone_id  # the strongest cell is a venue cell almost everywhere


def test_venue_cells_spread_over_a_long_zone() -> None:
    ring = [
        (2.0, 48.0),
        (2.0 + 350 / 74_500, 48.0),
        (2.0 + 350 / 74_500, 48.0 + 12 / 111_320),
        (2.0, 48.0 + 12 / 111_320),
    ]
    box = (2.0, 48.0, 2.0 + 350 / 74_500, 48.0 + 12 / 111_320)
    cells = venue_cells([[*ring, ring[0]]], box, 4200.0)
    assert len(cells) == 4  # a 350 m platform: one per 100 m (rounded up), though its 4,200 m² would ask for 2
    lons = sorted(lon for lon, _, _ in cells)
    assert all(45 < (b - a) * 74_500 < 130 for a, b in itertools.pairwise(lons))
    assert all(50 < reach < 110 for _, _, reach in cells)


def test_coverage_overlaps_three_to_six_cells_almost_everywhere(paris: Scenario) -> None:
    plan = cell_plan(paris, seed=3)
    cells = CellArrays(plan)
    rng = np.random.default_rng(0)
    counts: Counter[int] = Counter()
    for area in site_areas(Catalogue(paris)):
        box = area.surroundings
        lon = rng.uniform(box[0], box[2], 40)
        lat = rng.uniform(box[1], box[3], 40)
        counts.update(cells.covers(lon, lat).sum(axis=1).tolist())
    total = sum(counts.values())
    assert min(counts) >= 2
    assert sum(n for k, n in counts.items() if k < 3) / total < 0.01
    assert sum(n for k, n in counts.items() if 3 <= k <= 6) / total > 0.8
    ranges = [cell.range_m for cell in plan.cells if cell.azimuth_deg is not None]
    assert min(ranges) < 450 and max(ranges) > 1300  # dense Paris to suburban venues


def test_density_and_departement_of_sites(paris: Scenario) -> None:
    sites = {site.id: site for site in paris.sites}
    assert site_density(sites["parc-des-princes"]) is Density.DENSE
    assert site_density(sites["stade-de-france"]) is Density.URBAN
    assert site_density(sites["vaires-flatwater"]) is Density.SUBURBAN
    assert [site_departement(sites[s]) for s in ("stade-de-france", "parc-des-princes", "allianz-riviera")] == [
        "93",
        "75",
        "06",
    ]
