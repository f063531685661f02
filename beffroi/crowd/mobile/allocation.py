"""From cells to zones: the share of each cell's subscribers that stands in each zone.

Three ways to tell where a cell's subscribers may stand (`Coverage`): `radio` (default) spreads them over the
points each cell may serve, in proportion to the chance it is the strongest there (path loss, antenna pattern,
shadowing; `beffroi.crowd.mobile.radio`); `best_server` over the polygon where it is the strongest, `sector`
over its whole sector polygon (`beffroi.crowd.mobile.coverage`). Either way, each cell gets a share per region
(a zone, or a piece of the outside) for a uniform density; the estimator then weighs the shares by each
region's density, which it refines slot by slot from the cells' counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from beffroi.crowd.mobile.timing import TimingBands
from beffroi.domain.registry import Zone
from beffroi.domain.signalling import CellPlan

Coverage = Literal["radio", "best_server", "sector"]
I32 = npt.NDArray[np.int32]


@dataclass(frozen=True)
class CellAllocation:
    """Per cell, the regions its subscribers may stand in and the share of each for a uniform density (CSR rows:
    `start[c]` to `start[c + 1]` index `region` and `share`). A region is a zone or a piece of the outside:
    `region_zone` gives each region's zone index, `len(zone_ids)` standing for outside every zone. `cell_area`
    is each cell's effective coverage (m²: expected subscribers per unit density), `prior` each region's
    relative density before any refinement."""

    zone_ids: tuple[str, ...]
    start: npt.NDArray[np.int64]
    region: npt.NDArray[np.int32]
    share: npt.NDArray[np.float64]
    cell_area: npt.NDArray[np.float64]
    prior: npt.NDArray[np.float64]
    region_zone: npt.NDArray[np.int32]
    region_lonlat: npt.NDArray[np.float64]
    """(regions, 2): where each region lies (its centre of mass, lon and lat)."""
    timing: TimingBands | None = None
    """With timing advance bands, the rows are virtual cells (`timing.width` per cell of the plan, see
    `beffroi.crowd.mobile.timing`); without, the plan's cells."""

    @property
    def outside(self) -> int:
        """The zone index that stands for "outside every zone"."""
        return len(self.zone_ids)

    @property
    def cells(self) -> int:
        """Number of rows: cells, or virtual cells with timing advance bands."""
        return int(self.start.shape[0] - 1)

    @property
    def rows_per_cell(self) -> int:
        """Rows per cell of the plan: its virtual cells with timing advance bands, else 1."""
        return self.timing.width if self.timing is not None else 1

    @property
    def plan_cells(self) -> int:
        """Number of the plan's cells."""
        return self.cells // self.rows_per_cell

    @property
    def regions(self) -> int:
        """Number of regions (zones and pieces of the outside)."""
        return int(self.region_zone.shape[0])

    @property
    def rows(self) -> npt.NDArray[np.int64]:
        """The cell of each entry."""
        return np.repeat(np.arange(self.cells, dtype=np.int64), np.diff(self.start))

    @property
    def zone(self) -> npt.NDArray[np.int32]:
        """The zone index of each entry."""
        return self.region_zone[self.region]

    def weights(self, density: npt.NDArray[np.float64] | None = None) -> npt.NDArray[np.float64]:
        """Each entry's share of its cell's subscribers: share × the region's density, normalised per cell
        (where zones overlap, they share the subscribers of the overlap rather than each counting them)."""
        scaled = self.share * (self.prior if density is None else density)[self.region]
        totals = np.bincount(self.rows, weights=scaled, minlength=self.cells)
        fallback = totals[self.rows] <= 0
        return np.where(fallback, self.share, scaled / np.where(fallback, 1.0, totals[self.rows]))

    def matrix(self, density: npt.NDArray[np.float64] | None = None) -> npt.NDArray[np.float64]:
        """Dense cells × (zones + outside) weights."""
        dense = np.zeros((self.cells, self.outside + 1))
        np.add.at(dense, (self.rows, self.zone), self.weights(density))
        return dense

    def region_area(self) -> npt.NDArray[np.float64]:
        """Each region's area as the cells see it (m²: the sum of the cells' coverage shares of it)."""
        areas = np.bincount(self.region, weights=self.cell_area[self.rows] * self.share, minlength=self.regions)
        return areas.astype(np.float64)

    def is_partition(self, tolerance: float = 1e-6) -> bool:
        """Whether every cell's shares add up to 1 within `tolerance` (a virtual cell of a band its cell never
        reaches has no row)."""
        sums = np.bincount(self.rows, weights=self.share, minlength=self.cells)
        ok = np.abs(sums - 1.0) <= tolerance
        if self.timing is not None:
            ok |= np.diff(self.start) == 0
        return bool(np.all(ok))

    def virtual_cells(self, cell: npt.NDArray[np.int32], timing_advance: npt.NDArray[np.int16] | None) -> I32:
        """The row of each record: its cell, or with timing advance bands its cell's band (the whole cell when
        the record has none or its band is one no point of the cell reaches)."""
        if self.timing is None:
            return cell.astype(np.int32, copy=False)
        virtual = self.timing.virtual(cell, timing_advance)
        empty = self.start[virtual + 1] == self.start[virtual]
        return np.where(empty, self.timing.virtual(cell, None), virtual).astype(np.int32)

    def zone_sensitivity(self) -> float:
        """The most weight, outside included, one subscriber in one cell adds to a table: 1 (weights are
        normalised per cell)."""
        sums = np.bincount(self.rows, weights=self.weights(), minlength=self.cells)
        return float(max(sums.max(initial=0.0), 1.0))


def capacity_density(zones: Sequence[Zone]) -> dict[str, float]:
    """Each zone's density at capacity (people/m²), a prior for `allocate` where crowds gather in venues; 0 for a
    zone of capacity 0 (water, tracks, a forbidden area: nobody is meant to stand there, and such a zone given the
    outside's density takes the people of the cells around it: a regatta's 1.4 km² race areas took 50,000)."""
    return {zone.id: max(zone.capacity, 0) / zone.area_m2 for zone in zones if zone.area_m2 > 0}


def allocate(
    plan: CellPlan,
    zones: Sequence[Zone],
    coverage: Coverage = "radio",
    density: Mapping[str, float] | None = None,
    outside_density: float = 1.0,
    small_cell_offset_db: float = -20.0,
    timing: TimingBands | None = None,
) -> CellAllocation:
    """Each cell's shares of zones (and of the outside); `density` (people/m² per zone id; `outside_density`
    elsewhere and for zones not listed) is the prior the estimator starts from (uniform when None). Zones that
    overlap share the subscribers of their overlap. `timing`: split each cell by timing advance band (radio
    coverage only; the polygon coverages ignore it)."""
    zone_prior = [(density or {}).get(zone.id, outside_density) for zone in zones]
    if coverage == "radio":
        from beffroi.crowd.mobile.radio import radio_allocation

        return radio_allocation(
            plan, zones, np.asarray(zone_prior), outside_density, small_cell_offset_db, timing=timing
        )
    from beffroi.crowd.mobile.coverage import polygon_allocation

    prior = np.asarray([*zone_prior, outside_density], dtype=np.float64)
    return polygon_allocation(plan, zones, coverage, prior, small_cell_offset_db)
