"""Timing advance: the bands a distance is measured in, virtual cells, the banded allocation, and the estimator
telling apart two zones one cell covers at different distances."""

from __future__ import annotations

import numpy as np
import pytest

from beffroi.crowd.mobile import (
    EstimationSettings,
    MobileEstimator,
    PrivacySettings,
    Pseudonymiser,
    RawSlotFigures,
    allocate,
)
from beffroi.crowd.mobile.resolution import zone_resolution
from beffroi.crowd.mobile.timing import TimingBands
from beffroi.domain.signalling import TIMING_ADVANCE_STEP_M
from tests.crowd.mobile.world import NOON, batch, ids, merge, near_and_far

SECRET = b"a-secret-of-at-least-16-bytes"


def test_a_distance_is_measured_in_the_bands_around_it_with_chances_summing_to_one() -> None:
    bands = TimingBands(bands=20, error_m=40.0)
    entry, band, chance = bands.chances(np.array([200.0, 10.0, 5000.0]))
    np.testing.assert_allclose(np.bincount(entry, weights=chance), [1.0, 1.0, 1.0])
    near = entry == 0
    assert band[near][np.argmax(chance[near])] == 2  # 200 m: band 2 (156 to 234 m)
    assert chance[near][np.isin(band[near], [1, 2, 3])].sum() > 0.98 and chance[near][band[near] == 2][0] > 0.6
    assert band[entry == 1][np.argmax(chance[entry == 1])] == 0
    assert list(band[entry == 2]) == [19]  # beyond the last band: in it
    exact = TimingBands(bands=20, error_m=0.0)
    entry, band, chance = exact.chances(np.array([200.0, 80.0]))
    assert list(band) == [2, 1] and list(chance) == [1.0, 1.0]


def test_virtual_cells_carry_the_band_and_records_without_one_go_to_the_whole_cell() -> None:
    bands = TimingBands(bands=5)
    cells = np.array([3, 3, 3, 0], dtype=np.int32)
    virtual = bands.virtual(cells, np.array([2, -1, 40, 0], dtype=np.int16))
    assert list(virtual) == [3 * 6 + 2, 3 * 6 + 5, 3 * 6 + 4, 0]
    assert list(bands.physical(virtual)) == [3, 3, 3, 0]
    assert list(bands.virtual(cells, None)) == [23, 23, 23, 5]
    assert TimingBands.reaching(1000.0).bands == 15  # (1000 + 3 × 40) / 78.12, rounded up
    with pytest.raises(ValueError, match="step_m"):
        TimingBands(bands=3, step_m=0.0)
    with pytest.raises(ValueError, match="bands"):
        TimingBands(bands=0)


def test_the_bands_of_a_cell_share_its_coverage_and_tell_near_from_far() -> None:
    plan, zones = near_and_far()
    whole = allocate(plan, zones)
    banded = allocate(plan, zones, timing=TimingBands.reaching(1000.0))
    assert banded.timing is not None and banded.plan_cells == 1 and banded.is_partition()
    width, last = banded.timing.width, banded.timing.bands
    # per region, the bands' expected subscribers (coverage area × share) add up to the whole cell's
    mass = np.bincount(banded.region, weights=banded.cell_area[banded.rows] * banded.share, minlength=banded.regions)
    in_bands = banded.rows % width != last
    bands_mass = np.bincount(
        banded.region[in_bands],
        weights=(banded.cell_area[banded.rows] * banded.share)[in_bands],
        minlength=banded.regions,
    )
    np.testing.assert_allclose(bands_mass, mass - bands_mass, rtol=1e-3)
    np.testing.assert_allclose(
        mass[:2] / 2, np.bincount(whole.region, weights=whole.cell_area[whole.rows] * whole.share)[:2], rtol=1e-3
    )
    weights = banded.matrix()
    assert weights[int(225 // TIMING_ADVANCE_STEP_M), 0] > 0.5 and weights[int(225 // TIMING_ADVANCE_STEP_M), 1] == 0
    assert weights[int(675 // TIMING_ADVANCE_STEP_M), 1] > 0.5 and weights[int(675 // TIMING_ADVANCE_STEP_M), 0] == 0
    # each zone is resolvable by the bands, neither by the cell alone
    assert (zone_resolution(banded) > 0.5).all() and (zone_resolution(whole) < 0.5).all()


def _estimate(timing: bool, with_steps: bool) -> np.ndarray:
    plan, zones = near_and_far()
    rng = np.random.default_rng(3)
    near = np.hypot(rng.uniform(-100, 100, 300), rng.uniform(150, 300, 300))
    far = np.hypot(rng.uniform(-300, 300, 100), rng.uniform(600, 750, 100))
    steps = np.floor(np.concatenate((near, far)) / TIMING_ADVANCE_STEP_M).astype(int)
    crowd = merge(
        batch(NOON, ids("N", 300), 0, timing_advance=list(steps[:300]) if with_steps else None),
        batch(NOON, ids("F", 100), 0, timing_advance=list(steps[300:]) if with_steps else None),
    )
    raws: list[RawSlotFigures] = []
    settings = EstimationSettings(timing_advance=timing, zone_density={"near": 0.1, "far": 0.1}, outside_density=0.1)
    estimator = MobileEstimator(plan, zones, settings, pseudonymiser=Pseudonymiser(SECRET), raw_sink=raws.append)
    estimator.add(crowd)
    estimator.flush()
    return raws[0].zone_people()


def test_the_timing_advance_tells_apartnear_and_far_covers() -> None:
    truth = np.array([300, 100]) / 0.4
    banded = _estimate(timing=True, with_steps=True)
    np.testing.assert_allclose(banded, truth, rtol=0.05)
    # the cell alone splits its subscribers by the prior, by area, the outside taking most: the far zone gets
    # three times the near one's people
    whole = _estimate(timing=False, with_steps=True)
    assert whole[0] < 0.2 * truth[0] and whole[1] > 3 * whole[0]
    # a feed without the column counts in the whole cells, as without timing advance
    np.testing.assert_allclose(_estimate(timing=True, with_steps=False), whole, rtol=1e-6)


def test_with_bands_every_origin_keeps_its_people_and_moves_within_a_cell_are_not_flows() -> None:
    plan, zones = near_and_far()
    raws: list[RawSlotFigures] = []
    settings = EstimationSettings(zone_density={"near": 0.1, "far": 0.1}, outside_density=0.1)
    estimator = MobileEstimator(plan, zones, settings, pseudonymiser=Pseudonymiser(SECRET), raw_sink=raws.append)
    estimator.add(
        merge(
            batch(NOON, ids("P", 60), 0, area="75", timing_advance=2),  # Parisians in the near zone
            batch(NOON, ids("S", 20), 0, area="93", timing_advance=8),  # from Seine-Saint-Denis in the far one
            batch(NOON + 60, ids("P", 60), 0, area="75", timing_advance=3),  # a step further, the same cell
        )
    )
    estimator.add(batch(NOON + 300, ids("X", 1), 0, timing_advance=1))
    estimator.flush()
    first, second = raws[0], raws[1]
    by_origin = first.people.sum(axis=(0, 2))
    np.testing.assert_allclose(sorted(by_origin), [20 / 0.4, 60 / 0.4])  # nobody lost or doubled
    np.testing.assert_allclose(first.zone_people().sum() + first.people[-1].sum(), 80 / 0.4)
    assert first.flow_subscribers.sum() == 0  # band 2 to band 3 of one cell: not a move
    np.testing.assert_allclose(second.people.sum(), 81 / 0.4)  # idle in their last bands, and the newcomer


@pytest.mark.parametrize(("timing", "iterations", "tables"), [(True, 0, 5), (False, 0, 4), (False, 10, 5)])
def test_the_cells_counts_are_a_table_of_the_slot_when_the_bands_split_by_them(
    timing: bool, iterations: int, tables: int
) -> None:
    plan, zones = near_and_far()
    raws: list[RawSlotFigures] = []
    settings = EstimationSettings(timing_advance=timing, refine_iterations=iterations)
    estimator = MobileEstimator(
        plan,
        zones,
        settings,
        PrivacySettings(k=5, epsilon=2.0, seed=1),
        pseudonymiser=Pseudonymiser(SECRET),
        raw_sink=raws.append,
    )
    estimator.add(batch(NOON, ids("N", 300), 0, timing_advance=2))
    (estimate,) = estimator.flush()
    assert raws[0].tables == tables and estimate.epsilon == 2.0
    assert estimate.noise_scale == pytest.approx(tables / 2.0)  # epsilon shared by one table more
