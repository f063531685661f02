"""Small worlds for the estimator's tests: cells and zones given in metres around a point, batches by hand."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence

import numpy as np

from beffroi.domain.registry import Zone, ZoneKind
from beffroi.domain.signalling import Cell, CellPlan, SignallingBatch, SignallingEvent
from tests.crowd.mobile.synthetic import lonlat, rectangle_zone

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NOON = dt.datetime(2024, 6, 15, 12, 0, tzinfo=PARIS).timestamp()
"""A Saturday noon, well inside the key-day of 2024-06-15 (keys rotate at 03:00 local)."""


def omni(cell_id: str, x: float, y: float, range_m: float) -> Cell:
    """An omnidirectional cell at (x, y) metres."""
    lon, lat = lonlat([x], [y])
    return Cell(cell_id, float(lon[0]), float(lat[0]), None, 360.0, range_m)


def sector(cell_id: str, x: float, y: float, azimuth: float, beam: float, range_m: float) -> Cell:
    """A sector cell at (x, y) metres."""
    lon, lat = lonlat([x], [y])
    return Cell(cell_id, float(lon[0]), float(lat[0]), azimuth, beam, range_m)


def square(zone_id: str, x0: float, y0: float, x1: float, y1: float, capacity: int = 0) -> Zone:
    """A rectangular zone in metres."""
    return rectangle_zone(zone_id, x0, y0, x1, y1, ZoneKind.PLAZA, capacity)


def three_venues() -> tuple[CellPlan, list[Zone]]:
    """Three far-apart zones, each wholly covering one small omni cell (cell i serves zone i only), and a
    fourth cell out in the open (outside every zone). Market share 0.4."""
    zones = [square(f"z{index}", index * 5000.0, 0.0, index * 5000.0 + 1000.0, 1000.0) for index in range(3)]
    cells = [omni(f"c{index}", index * 5000.0 + 500.0, 500.0, 300.0) for index in range(3)]
    cells.append(omni("c3", 20_000.0, 500.0, 300.0))
    return CellPlan("test-operator", 208, 0.4, cells), zones


def near_and_far() -> tuple[CellPlan, list[Zone]]:
    """One sector pointing north (± 25°) over a near zone (150 to 300 m) and a far one (600 to 750 m), each about as
    wide as the sector there."""
    plan = CellPlan("op", 208, 0.4, [sector("north", 0.0, 0.0, 0.0, 25.0, 1000.0)])
    zones = [square("near", -100, 150, 100, 300), square("far", -300, 600, 300, 750)]
    return plan, zones


def batch(
    ts: Sequence[float] | float,
    ids: Sequence[str],
    cells: Sequence[int] | int,
    event: SignallingEvent = SignallingEvent.DATA,
    mcc: int = 208,
    area: str = "75",
    timing_advance: Sequence[int] | int | None = None,
) -> SignallingBatch:
    """Raw records (text identifiers) for the given subscribers, broadcasting scalars (`timing_advance`: None for
    a feed without the column)."""
    count = len(ids)
    steps = None
    if timing_advance is not None:
        steps = np.broadcast_to(np.asarray(timing_advance, dtype=np.int16), (count,)).copy()
    return SignallingBatch(
        ts=np.broadcast_to(np.asarray(ts, dtype=np.float64), (count,)).copy(),
        subscriber=np.asarray(ids, dtype=np.str_),
        cell=np.broadcast_to(np.asarray(cells, dtype=np.int32), (count,)).copy(),
        event=np.full(count, event, dtype=np.uint8),
        home_mcc=np.full(count, mcc, dtype=np.int16),
        billing_area=np.full(count, area if mcc == 208 else "", dtype="<U3"),
        timing_advance=steps,
    )


def merge(*batches: SignallingBatch) -> SignallingBatch:
    """One batch of several, in time order (a part without timing advances gives its records -1 where another
    part has them)."""
    order = np.argsort(np.concatenate([part.ts for part in batches]), kind="stable")
    steps = None
    if any(part.timing_advance is not None for part in batches):
        steps = np.concatenate(
            [
                part.timing_advance if part.timing_advance is not None else np.full(len(part), -1, dtype=np.int16)
                for part in batches
            ]
        )[order]
    return SignallingBatch(
        ts=np.concatenate([part.ts for part in batches])[order],
        subscriber=np.concatenate([np.asarray(part.subscriber) for part in batches])[order],
        cell=np.concatenate([part.cell for part in batches])[order],
        event=np.concatenate([part.event for part in batches])[order],
        home_mcc=np.concatenate([part.home_mcc for part in batches])[order],
        billing_area=np.concatenate([part.billing_area for part in batches])[order],
        timing_advance=steps,
    )


def ids(prefix: str, count: int) -> list[str]:
    """IMSI-like identifiers, distinct per prefix."""
    return [f"20801{prefix}{index:08d}" for index in range(count)]
