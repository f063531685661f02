"""The densities behind the cell-to-zone split, refined slot by slot from the cells' counts.

A cell's count is split over the regions it covers (zones and pieces of the outside) in proportion to coverage ×
density (`CellAllocation.weights`). The densities start from the allocation's prior and are refined by
expectation-maximisation steps (Poisson maximum likelihood of the cells' counts), each slot going on from the
previous slot's, at three levels:

- per block (a square of `block_m`), one factor for its zones and one for its outside: crowds gather in venues
  while the streets around them do not, and one factor for both would keep the prior's ratio between them
  (zones at capacity against a thin outside: every site over-counted by the people of the streets around it);
- per *free* zone (one the cells can tell apart: resolvable), a factor of its own around its block's zone factor,
  held to it by a Gamma prior worth `zone_prior_people` people (the step takes the posterior mode): a station
  concourse emptying while its forecourt fills is seen through its own cells rather than kept at the prior's
  ratio to the forecourt, and a small zone cannot swing far on a few people;
- the other zones of a block share one factor of their own, fitted on their counts together and held to the free
  zones' factor by a Gamma prior worth `SHARED_PRIOR_PEOPLE` people (where the block has no free zone, its zone
  factor is theirs alone): one by one their cells cannot tell them apart, and fitted one by one they drain their
  neighbours (a fence's thin ring around a fan zone, the stands of a quay beside its promenade); but taken at the
  free zones' factor, a venue's empty stands filled like its packed forecourt and took its people (Le Bourget:
  stands at 0.044 people/m² for none, the forecourt 24 % short);
- except *passages* (perimeter rings, gates: zones people walk through), which take the density of the streets
  around them, their square's outside (its prior and factor): at their capacity's density and the venue's factor,
  the 15 m ring around a packed forecourt took its crowd (on the simulator, perimeters held 2.4 times their people
  and plazas 8 % too few).

A region the prior gives no density (a zone of capacity 0: water, tracks) stays empty; a cell that covers only
such regions is split by coverage alone.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from beffroi.crowd.mobile.allocation import CellAllocation

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
ZONE_PRIOR_PEOPLE = 30.0
"""Default weight of a free zone's prior, in people: the share of the prior in a zone's figure is 30 / (30 + its
people), 2 % for a zone of 1,500 (a platform). With timing advance bands a resolvable zone's own bands measure it:
on the simulated venues, 300 (the weight without them) gave 11.8 % MAPE on the resolvable zones, 100 11.1 %, 30
10.2 %, 10 10.2 % (26 July 17:00-19:00, seed 7; 13.4 % and 13.0 % for 300 and 30 on 28 July, seed 11)."""


SHARED_PRIOR_PEOPLE = 100.0
"""Weight of the prior holding the shared factor of a block's zones that are not free to its free zones' factor, in
people. On the simulated venues (resolvable zones with ε = 2 noise, mean of 3 seeds: 26 July 17:00-19:00, 28 July
14:00-16:00) it gave 7.5 % and 9.6 %, against 7.9 % and 10.4 % with no factor of their own (the free zones' factor);
on seeds 7 and 12, 10 gave 7.7 / 10.7 %, 30 7.4 / 10.4 %, 100 7.3 / 10.3 %, 300 7.4 / 10.4 %, 1000 7.7 / 10.6 %."""


def blocks(lonlat: F64, block_m: float) -> I64:
    """The block (a square of `block_m`, or each region its own when not positive) of each region."""
    if block_m <= 0:
        return np.arange(lonlat.shape[0], dtype=np.int64)
    degrees = block_m / 111_195.0
    column = np.floor(lonlat[:, 0] * np.cos(np.radians(lonlat[:, 1])) / degrees).astype(np.int64)
    row = np.floor(lonlat[:, 1] / degrees).astype(np.int64)
    _, block = np.unique(column * 10_000_000 + row, return_inverse=True)
    return np.asarray(block, dtype=np.int64).reshape(-1)


class DensityModel:
    """Block, zone-block and free-zone density factors over an allocation's prior (see the module docstring).
    `free`: per zone, whether it gets a factor of its own (None: none does); `passages`: per zone, whether it is a
    passage, which (unless free) takes the density of its square's outside (None: none is)."""

    def __init__(
        self,
        allocation: CellAllocation,
        block_m: float,
        free: npt.NDArray[np.bool_] | None = None,
        zone_prior_people: float = ZONE_PRIOR_PEOPLE,
        passages: npt.NDArray[np.bool_] | None = None,
    ) -> None:
        if zone_prior_people <= 0:
            raise ValueError(f"zone_prior_people must be positive (got {zone_prior_people})")
        self.allocation = allocation
        self.zone_prior_people = zone_prior_people
        outside = allocation.region_zone == allocation.outside
        square = blocks(allocation.region_lonlat, block_m)
        self.free: npt.NDArray[np.bool_] = self._per_region("free", free)
        """Whether each region has a factor of its own."""
        self.prior: F64 = allocation.prior.copy()
        """Each region's prior density: the allocation's, the outside's for a passage that is not free."""
        streets = self._per_region("passages", passages) & ~self.free & (self.prior > 0)
        streets &= np.isin(square, square[outside])  # a passage whose square has no outside keeps the zones' rule
        if streets.any():
            self.prior[streets] = float(np.median(allocation.prior[outside]))
        _, block = np.unique(square * 2 + (outside | streets), return_inverse=True)
        self.block: I64 = np.asarray(block, dtype=np.int64).reshape(-1)
        """Each region's block: zones and outside (with the passages that follow it) of one square are two blocks."""
        self.block_factor: F64 = np.ones(int(self.block.max(initial=-1)) + 1)
        has_free = np.bincount(self.block, weights=self.free, minlength=self.block_factor.shape[0]) > 0
        self._fits_block: npt.NDArray[np.bool_] = np.where(has_free[self.block], self.free, True)
        """Whether each region's people fit its block's factor: the free zones of a block that has some."""
        self.zone_factor: F64 = np.ones(allocation.regions)
        self._area = allocation.region_area()
        self._shared: npt.NDArray[np.bool_] = ~self._fits_block & (self.prior * self._area > 0)
        """The zones of a block with free zones that are not free themselves: they share one factor."""
        self._rows = allocation.rows

    def _per_region(self, name: str, flags: npt.NDArray[np.bool_] | None) -> npt.NDArray[np.bool_]:
        """Per-zone flags (None: all false) spread to the regions (the outside's: false)."""
        zones = self.allocation.outside
        per_zone = np.zeros(zones + 1, dtype=bool)
        if flags is not None:
            if flags.shape[0] != zones:
                raise ValueError(f"{name}: one flag per zone expected ({zones}, got {flags.shape[0]})")
            per_zone[:-1] = flags
        return per_zone[self.allocation.region_zone]

    @property
    def density(self) -> F64:
        """Each region's density: prior × its block's factor × its own factor."""
        return self.prior * self.block_factor[self.block] * self.zone_factor

    @property
    def nbytes(self) -> int:
        """Bytes held across slots."""
        return self.block_factor.nbytes + self.zone_factor.nbytes

    def weights(self) -> F64:
        """The allocation's weights (each entry's share of its cell's subscribers) under the current densities."""
        return self.allocation.weights(self.density)

    def refine(self, counts: F64, iterations: int) -> None:
        """`iterations` EM steps from the current factors towards the densities that best explain the cells'
        counts (`counts`: subscribers per cell, noised where privacy asks)."""
        total = float(counts.sum())
        if total <= 0 or iterations <= 0:
            return
        allocation = self.allocation
        rows, region, share = self._rows, allocation.region, allocation.share
        prior, block, area = self.prior, self.block, self._area
        blocks_count = self.block_factor.shape[0]
        floor = 1e-6 * total / max(float(np.sum(area * prior)), 1e-12)
        block_factor = np.maximum(self.block_factor, floor)
        zone_factor = self.zone_factor
        for _ in range(iterations):
            scaled = share * (prior * block_factor[block] * zone_factor)[region]
            per_cell = np.bincount(rows, weights=scaled, minlength=allocation.cells)
            empty = per_cell[rows] <= 0
            if empty.any():  # a cell over empty regions only: split by coverage
                scaled = np.where(empty, share, scaled)
                per_cell = np.bincount(rows, weights=scaled, minlength=allocation.cells)
            people = np.bincount(region, weights=counts[rows] * scaled / per_cell[rows], minlength=allocation.regions)
            fits = self._fits_block
            exposure = np.bincount(block, weights=area * prior * zone_factor * fits, minlength=blocks_count)
            held = np.bincount(block, weights=people * fits, minlength=blocks_count)
            seen = exposure > 0
            block_factor = np.where(seen, np.maximum(held / np.where(seen, exposure, 1.0), floor), block_factor)
            expected = prior * block_factor[block] * area
            alpha = self.zone_prior_people
            zone_factor = np.where(self.free & (expected > 0), (people + alpha) / (expected + alpha), 1.0)
            shared = self._shared
            if shared.any():
                held_shared = np.bincount(block, weights=people * shared, minlength=blocks_count)
                expected_shared = np.bincount(block, weights=expected * shared, minlength=blocks_count)
                factor = (held_shared + SHARED_PRIOR_PEOPLE) / (expected_shared + SHARED_PRIOR_PEOPLE)
                zone_factor = np.where(shared, factor[block], zone_factor)
        self.block_factor = block_factor
        self.zone_factor = zone_factor
