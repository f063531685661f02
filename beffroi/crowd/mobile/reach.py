"""Which zones a cell plan reaches: a zone no cell's range comes near has no mobile figure to estimate (a tenant's
zones may spread over a country while the operator's plan covers one city), so the estimator leaves it out."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from beffroi.domain.registry import Zone
from beffroi.domain.signalling import CellPlan

EARTH_RADIUS_M = 6_371_008.8


def zones_in_reach(plan: CellPlan, zones: Sequence[Zone]) -> list[Zone]:
    """The zones some cell reaches: the great-circle distance from the cell to the zone's centre is within the cell's
    range plus the zone's own radius (its farthest vertex from its centre). Zones without a polygon are left out."""
    if not plan.cells:
        return []
    lon = np.radians([cell.lon for cell in plan.cells])
    lat = np.radians([cell.lat for cell in plan.cells])
    reach = np.asarray([cell.range_m for cell in plan.cells], dtype=np.float64)
    kept = []
    for zone in zones:
        ring = np.asarray(zone.polygon[0] if zone.polygon else [], dtype=np.float64).reshape(-1, 2)
        if len(ring) < 3:
            continue
        centre_lon, centre_lat = np.radians(ring.mean(axis=0))
        radius = float(_distances(centre_lon, centre_lat, np.radians(ring[:, 0]), np.radians(ring[:, 1])).max())
        if bool(np.any(_distances(centre_lon, centre_lat, lon, lat) <= reach + radius)):
            kept.append(zone)
    return kept


F64 = npt.NDArray[np.float64]


def _distances(lon0: float, lat0: float, lon: F64, lat: F64) -> F64:
    """Great-circle distances (m) from one point to many (haversine), all in radians."""
    a = np.sin((lat - lat0) / 2) ** 2 + math.cos(lat0) * np.cos(lat) * np.sin((lon - lon0) / 2) ** 2
    distances: F64 = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return distances
