"""Resolution: from the cell plan, the zones and their prior alone, how much a zone's figure is its cells' own; the
estimator marks the zones under its threshold not resolvable, and keeps their figures."""

from __future__ import annotations

import numpy as np
import pytest

from beffroi.crowd.mobile import EstimationSettings, MobileEstimator, PrivacySettings, Pseudonymiser, allocate
from beffroi.crowd.mobile.resolution import MAJORITY, ZoneResolution, zone_resolution
from beffroi.crowd.mobile.timing import TimingBands
from beffroi.domain.registry import Zone
from beffroi.domain.signalling import CellPlan
from beffroi.errors import ConfigError
from tests.crowd.mobile.world import NOON, batch, ids, near_and_far, omni, square, three_venues


def _stand_and_ring() -> tuple[CellPlan, list[Zone]]:
    """A 200 m stand and a 10 m strip along it, one cell covering both (and some open ground around)."""
    zones = [square("stand", 0.0, 0.0, 200.0, 200.0), square("strip", 200.0, 0.0, 210.0, 200.0)]
    return CellPlan("test-operator", 208, 0.4, [omni("c0", 100.0, 100.0, 110.0)]), zones


def test_zones_each_served_by_cells_of_their_own_are_fully_resolved() -> None:
    plan, zones = three_venues()
    np.testing.assert_allclose(zone_resolution(allocate(plan, zones)), [1.0, 1.0, 1.0])


def test_a_thin_strip_sharing_its_cell_with_a_stand_is_not_resolved() -> None:
    plan, zones = _stand_and_ring()
    stand, strip = zone_resolution(allocate(plan, zones))
    assert stand > MAJORITY > strip
    assert 0.0 < strip < 0.2


def test_the_estimator_marks_unresolvable_zones_and_keeps_their_figures() -> None:
    plan, zones = _stand_and_ring()
    for threshold, marked in ((MAJORITY, [True, False]), (0.0, [True, True])):
        estimator = MobileEstimator(
            plan,
            zones,
            EstimationSettings(departement="75", min_resolution=threshold),
            PrivacySettings(k=20),
            pseudonymiser=Pseudonymiser(b"a-secret-of-at-least-16-bytes"),
        )
        (estimate,) = estimator.add(batch(NOON, ids("A", 4000), 0)) + estimator.flush()
        assert [zone.resolvable for zone in estimate.zones] == marked
        assert [zone.resolution for zone in estimate.zones] == [round(float(r), 3) for r in estimator.resolution]
        strip = estimate.zones[1]
        assert strip.present.people is not None and strip.present.people > 0  # still in the site's total


@pytest.mark.parametrize("threshold", [-0.1, 1.5])
def test_a_threshold_outside_zero_to_one_is_refused(threshold: float) -> None:
    with pytest.raises(ConfigError, match="min_resolution"):
        EstimationSettings(min_resolution=threshold)


def test_the_resolution_falls_when_the_crowd_beside_a_zone_grows() -> None:
    plan, zones = near_and_far()  # the near zone fills most of its bands, the ground beside it the rest
    allocation = allocate(plan, zones, density={"near": 0.1, "far": 0.1}, outside_density=0.01, timing=TimingBands(15))
    resolution = ZoneResolution(allocation)
    np.testing.assert_allclose(resolution(), zone_resolution(allocation))
    density = allocation.prior.copy()
    density[allocation.region_zone == allocation.outside] = 1.0  # the ground around fills
    near_before, near_after = resolution()[0], resolution(density)[0]
    assert near_before > 0.8 and near_after < 0.5


def test_each_slot_is_marked_by_its_own_densities_not_the_prior() -> None:
    plan, zones = near_and_far()
    settings = EstimationSettings(zone_density={"near": 0.1, "far": 0.1}, outside_density=0.01, min_resolution=0.8)
    estimator = MobileEstimator(plan, zones, settings, pseudonymiser=Pseudonymiser(b"a-secret-of-at-least-16-bytes"))
    assert (estimator.resolution >= 0.8).all()  # under the prior, both zones hold their bands
    quiet = batch(NOON, ids("N", 300), 0, timing_advance=2)
    # next slot, a crowd of 3,000 spreads over the near zone's bands and the ground beyond it
    crowd = batch(NOON + 300, ids("S", 3000), 0, timing_advance=[2, 3, 4, 5, 6] * 600)
    (first, second) = estimator.add(quiet) + estimator.add(crowd) + estimator.flush()
    assert first.zones[0].resolvable and first.zones[0].resolution > 0.95
    assert not second.zones[0].resolvable and second.zones[0].resolution < 0.8


def test_a_zone_without_a_density_of_its_own_is_never_marked_resolvable_by_a_slot() -> None:
    plan, zones = near_and_far()
    settings = EstimationSettings(zone_density={"near": 0.1, "far": 0.1}, outside_density=0.01, min_resolution=0.9)
    estimator = MobileEstimator(plan, zones, settings, pseudonymiser=Pseudonymiser(b"a-secret-of-at-least-16-bytes"))
    near_prior = float(estimator.resolution[0])
    assert near_prior < 0.9  # under the prior the near zone shares its bands: it follows its square, not free
    (estimate,) = estimator.add(batch(NOON, ids("N", 3000), 0, timing_advance=2)) + estimator.flush()
    slot_densities = ZoneResolution(estimator.allocation)(estimator.aggregator.density.density)
    assert slot_densities[0] > 0.99  # the slot's crowd is all in its bands...
    near = estimate.zones[0]
    assert not near.resolvable and near.resolution == round(near_prior, 3)  # ...but its figure is the square's
