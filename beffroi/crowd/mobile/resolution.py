"""Which zones the cell plan can tell apart: a zone's figure is its own only when the cells it comes from hold
mostly that zone's people.

A cell's count is split over the zones it covers by the allocation's weights (coverage × density prior); the part
given to a zone is only as sure as that split. A zone's *resolution* is the mean, over the people allocated to it
(under the prior), of the weight their cell gives the zone: 1 when every one of its cells covers nothing else, about
0.1 for a ring 15 m wide around a stand whose cells cover mostly the stand. It is the chance that a person counted
in the zone and another person counted in the same cell both stand in the zone. It depends on the cell plan, the
zones and their density prior only (never on counts): an error of the density ratio between a zone and its cells'
other zones by a factor a moves the part of the zone's figure that comes from a cell of weight p by (1 - p)(1 - a)/a,
so a zone whose figure comes mostly from shared cells (resolution under one half) is mostly the prior's guess.
With timing advance bands, the cells are the bands (virtual cells) of the plan's cells: a feed is taken to carry
the timing advance on most of its records.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from beffroi.crowd.mobile.allocation import CellAllocation

F64 = npt.NDArray[np.float64]
MAJORITY = 0.5
"""The default threshold: a zone is resolvable when most of its figure comes from the cells' own split, i.e. the
cells it comes from are, on average over its people, mostly its own."""


def zone_resolution(allocation: CellAllocation, density: F64 | None = None) -> F64:
    """Each zone's resolution (see the module docstring) under the allocation's prior (or `density` per region):
    in [0, 1]; 0 for a zone no cell reaches."""
    regions_density = allocation.prior if density is None else density
    rows = allocation.rows
    zone = allocation.zone
    expected = allocation.cell_area[rows] * allocation.share * regions_density[allocation.region]
    if allocation.timing is not None:  # records are taken to carry a timing advance: their bands, not whole cells
        expected = np.where(rows % allocation.timing.width == allocation.timing.bands, 0.0, expected)
    zones = allocation.outside + 1
    pairs, inverse = np.unique(rows * zones + zone, return_inverse=True)
    people = np.bincount(inverse.reshape(-1), weights=expected, minlength=pairs.shape[0])
    pair_cell, pair_zone = pairs // zones, pairs % zones
    per_cell = np.bincount(pair_cell, weights=people, minlength=allocation.cells)[pair_cell]
    weight = np.divide(people, per_cell, out=np.zeros_like(people), where=per_cell > 0)
    allocated = np.bincount(pair_zone, weights=people, minlength=zones)[:-1]
    own = np.bincount(pair_zone, weights=people * weight, minlength=zones)[:-1]
    return np.divide(own, allocated, out=np.zeros_like(own), where=allocated > 0)
