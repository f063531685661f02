"""Zones a cell plan reaches: near a cell (within its range plus the zone's own size), not across the country."""

from __future__ import annotations

from beffroi.crowd.mobile.reach import zones_in_reach
from beffroi.domain.registry import Zone, ZoneKind
from beffroi.domain.signalling import Cell, CellPlan


def square(zone_id: str, lon: float, lat: float, half_deg: float = 0.0005) -> Zone:
    ring = [
        (lon - half_deg, lat - half_deg),
        (lon + half_deg, lat - half_deg),
        (lon + half_deg, lat + half_deg),
        (lon - half_deg, lat + half_deg),
        (lon - half_deg, lat - half_deg),
    ]
    return Zone(zone_id, "t", "s", zone_id, ZoneKind.STAND, [ring], 8_000.0, 1_000)


PLAN = CellPlan(
    operator="Orange",
    mcc=208,
    market_share=0.4,
    cells=[
        Cell("208-01-1-1", 2.3600, 48.9240, 0.0, 65.0, 400.0),
        Cell("208-01-2-1", 2.3700, 48.9240, None, 360.0, 150.0),
    ],
)


def test_only_zones_within_a_cells_range_are_kept() -> None:
    stade = square("stade", 2.3605, 48.9245)  # ~70 m from the first cell
    edge = square("edge", 2.3620, 48.9265)  # ~315 m from the first cell (400 m), ~640 m from the small cell
    tahiti = square("teahupoo", -149.2667, -17.8667)  # the other side of the world
    nowhere = Zone("empty", "t", "s", "empty", ZoneKind.STAND, [], 0.0, 0)

    kept = zones_in_reach(PLAN, [stade, edge, tahiti, nowhere])

    assert [zone.id for zone in kept] == ["stade", "edge"]


def test_a_zone_is_reached_through_its_own_size() -> None:
    small_cell = CellPlan("Orange", 208, 0.4, [Cell("208-01-9-1", 2.3700, 48.9240, None, 360.0, 50.0)])
    big = square("big", 2.3700, 48.9255, half_deg=0.0012)  # centre 167 m away, its corners come within 50 m
    far = square("far", 2.3700, 48.9275, half_deg=0.0002)  # centre 390 m away, 30 m across

    assert [zone.id for zone in zones_in_reach(small_cell, [big, far])] == ["big"]
    assert zones_in_reach(CellPlan("Orange", 208, 0.4, []), [big]) == []
