"""The densities behind the cell-to-zone split: refined from the cells' counts, per block for zones and outside
apart, per resolvable zone around its block, the others of a block together, never into zones the prior leaves
empty."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from beffroi.crowd.mobile import density as density_module
from beffroi.crowd.mobile.allocation import CellAllocation
from beffroi.crowd.mobile.density import DensityModel

F64 = npt.NDArray[np.float64]


def _allocation(
    cells: list[dict[int, float]], zones: int, prior: list[float], cell_area: float = 1000.0
) -> CellAllocation:
    """Cells given as {region: share}; regions 0..zones-1 are the zones, the others pieces of the outside; all in
    one square."""
    regions = len(prior)
    start = np.concatenate(([0], np.cumsum([len(cell) for cell in cells])))
    return CellAllocation(
        zone_ids=tuple(f"z{index}" for index in range(zones)),
        start=start.astype(np.int64),
        region=np.array([region for cell in cells for region in sorted(cell)], dtype=np.int32),
        share=np.array([cell[region] for cell in cells for region in sorted(cell)]),
        cell_area=np.full(len(cells), cell_area),
        prior=np.array(prior, dtype=np.float64),
        region_zone=np.array([min(region, zones) for region in range(regions)], dtype=np.int32),
        region_lonlat=np.tile([2.35, 48.85], (regions, 1)),
    )


def _zone_people(model: DensityModel, counts: F64) -> F64:
    allocation = model.allocation
    return np.bincount(
        allocation.zone, weights=counts[allocation.rows] * model.weights(), minlength=allocation.outside + 1
    )[:-1]


def _two_zones_sharing_a_cell() -> tuple[CellAllocation, F64]:
    """Zones A and B with a cell of their own each and one between them, the same prior; A holds 20 people/m², B
    2 (1,000 m² per cell, the shared cell half on each)."""
    allocation = _allocation([{0: 1.0}, {0: 0.5, 1: 0.5}, {1: 1.0}], zones=2, prior=[1.0, 1.0, 0.01])
    counts = np.array([20_000.0, 10_000.0 + 1_000.0, 2_000.0])
    return allocation, counts


def test_a_resolvable_zone_emptier_than_its_neighbour_is_seen_through_its_own_cell() -> None:
    allocation, counts = _two_zones_sharing_a_cell()
    free = DensityModel(allocation, 500.0, free=np.array([True, True]))
    free.refine(counts, iterations=50)
    a, b = _zone_people(free, counts)
    assert a == pytest.approx(30_000, rel=0.02) and b == pytest.approx(3_000, rel=0.10)
    tied = DensityModel(allocation, 500.0, free=None)  # the prior's 1:1 ratio kept: the shared cell split in two
    tied.refine(counts, iterations=50)
    np.testing.assert_allclose(_zone_people(tied, counts), [25_500, 7_500], rtol=1e-6)


def test_a_zone_held_by_its_prior_moves_less_on_few_people() -> None:
    allocation, counts = _two_zones_sharing_a_cell()
    light, heavy = (DensityModel(allocation, 500.0, np.array([True, True]), people) for people in (30.0, 30_000.0))
    for model in (light, heavy):
        model.refine(counts, iterations=50)
    assert abs(_zone_people(light, counts)[1] - 3_000) < abs(_zone_people(heavy, counts)[1] - 3_000)


def test_the_outside_gets_a_density_of_its_own_from_the_cells_that_see_only_it() -> None:
    # zone Z (1 person/m²) beside crowded streets (0.5/m²): a cell in Z, one half in Z half outside, one outside
    allocation = _allocation([{0: 1.0}, {0: 0.5, 1: 0.5}, {1: 1.0}], zones=1, prior=[1.0, 0.01])
    counts = np.array([1_000.0, 500.0 + 250.0, 500.0])
    model = DensityModel(allocation, 500.0)
    model.refine(counts, iterations=100)
    (zone,) = _zone_people(model, counts)
    assert zone == pytest.approx(1_500, rel=0.01)  # one factor for both would give Z 1,742 (the prior's 100:1)


def test_a_zone_the_prior_leaves_empty_stays_empty_and_its_cell_is_split_by_coverage() -> None:
    # z0 water (prior 0), z1 a quay; a cell over the water alone, one over both
    allocation = _allocation([{0: 1.0}, {0: 0.5, 1: 0.5}], zones=2, prior=[0.0, 1.0])
    counts = np.array([40.0, 600.0])
    model = DensityModel(allocation, 500.0, np.array([True, True]))
    model.refine(counts, iterations=20)
    water, quay = _zone_people(model, counts)
    assert np.isfinite(model.density).all()
    assert quay == pytest.approx(600.0) and water == pytest.approx(40.0)  # only the cell with nowhere else


def test_bad_settings_are_refused() -> None:
    allocation, _ = _two_zones_sharing_a_cell()
    with pytest.raises(ValueError, match="zone_prior_people"):
        DensityModel(allocation, 500.0, zone_prior_people=0.0)
    with pytest.raises(ValueError, match="one flag per zone"):
        DensityModel(allocation, 500.0, free=np.array([True]))


def test_a_zone_its_cells_cannot_tell_apart_is_fitted_on_its_counts_held_to_its_square_s_free_zones() -> None:
    # A (free, capacity density 2) is a quarter full by its own cell; U (not free, the same prior) shares a cell
    # with a street holding 1 person/m², which a third cell sees alone: U holds about 500 people (1 person/m²)
    allocation = _allocation([{0: 1.0}, {1: 0.5, 2: 0.5}, {2: 1.0}], zones=2, prior=[2.0, 2.0, 0.01])
    counts = np.array([500.0, 1_000.0, 1_000.0])
    model = DensityModel(allocation, 500.0, free=np.array([True, False]))
    model.refine(counts, iterations=200)
    a, u = _zone_people(model, counts)
    assert a == pytest.approx(500.0, rel=1e-3)
    assert model.density[0] < model.density[1] < 1.0  # between A's density and its cell's, held to A's by the prior
    assert 350 < u < 500


def test_an_empty_stand_beside_a_packed_forecourt_is_not_filled_like_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # the forecourt F (free, its own cell) holds 4 people/m²; the stand S (not free, the same prior) is empty and
    # shares a cell with F and one with the street (0.02 people/m²); 1,000 m² per cell
    allocation = _allocation([{0: 1.0}, {0: 0.5, 1: 0.5}, {1: 0.5, 2: 0.5}, {2: 1.0}], zones=2, prior=[2.0, 2.0, 0.01])
    counts = np.array([4_000.0, 2_000.0, 10.0, 20.0])
    free = np.array([True, False])
    model = DensityModel(allocation, 500.0, free=free)
    model.refine(counts, iterations=200)
    forecourt, stand = _zone_people(model, counts)
    assert stand < 150 and forecourt > 5_850
    monkeypatch.setattr(density_module, "SHARED_PRIOR_PEOPLE", 1e12)  # the stand at the forecourt's density
    held = DensityModel(allocation, 500.0, free=free)
    held.refine(counts, iterations=200)
    forecourt_held, stand_held = _zone_people(held, counts)
    assert stand_held > 900 and forecourt_held < 5_100  # it took half the shared cell


def test_a_passage_the_cells_cannot_resolve_takes_the_streets_density_not_the_venue_s() -> None:
    # a packed forecourt (zone 0, its own cell) and a ring around it (zone 1) that only shares the forecourt's
    # edge cell with it and the street's cell with the outside (region 2); the same capacity density for both
    allocation = _allocation([{0: 1.0}, {0: 0.5, 1: 0.5}, {1: 0.1, 2: 0.9}, {2: 1.0}], zones=2, prior=[2.0, 2.0, 0.01])
    # 4 people/m² on the forecourt, 0.02 on the ring and in the street (1,000 m² per cell): 6,000 and 12 people
    counts = np.array([4_000.0, 2_000.0 + 10.0, 2.0 + 18.0, 20.0])
    free = np.array([True, False])
    venue = DensityModel(allocation, 500.0, free=free)
    venue.refine(counts, iterations=50)
    street = DensityModel(allocation, 500.0, free=free, passages=np.array([False, True]))
    street.refine(counts, iterations=50)
    forecourt_as_venue, ring_as_venue = _zone_people(venue, counts)
    forecourt, ring = _zone_people(street, counts)
    # fitted with the venue's zones that are not free (here alone), the ring still takes a share of its edge cell
    assert ring_as_venue > 200 and forecourt_as_venue < 5_800
    assert ring == pytest.approx(12, rel=0.1) and forecourt == pytest.approx(6_000, rel=0.01)
    with pytest.raises(ValueError, match="passages: one flag per zone"):
        DensityModel(allocation, 500.0, passages=np.array([True]))
