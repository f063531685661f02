"""Repository of the mobile-network crowd figures: what the mobile worker published per operator and slot, kept so
the API can show a zone's recent slots. Aggregates only (k-protected, as published): no identifier, no trajectory.

A slot is one `mobile_slots` row; each zone with at least one published figure (or a flow) in it gets a
`mobile_zone_figures` row; a zone without one had every figure withheld (fewer than k). Saving a slot again (the bus
redelivers it) writes nothing.
"""

from __future__ import annotations

from typing import Any

import msgspec
import sqlalchemy as sa

from beffroi.crowd.mobile.results import Count, MobileSlotEstimate, OriginCount
from beffroi.store.statements import check_limit, insert_new
from beffroi.store.tables import mobile_slots, mobile_zone_figures

WITHHELD = Count(people=None, fewer_than_k=True)


class ZoneFlow(msgspec.Struct, frozen=True):
    """People who came from (flows in) or went to (flows out) another zone (`outside`: out of every zone)."""

    zone_id: str
    people: float


class ZoneFigures(msgspec.Struct, frozen=True):
    """A zone's published figures over one slot (withheld counts have `people` None and `fewer_than_k`);
    `resolvable` False when the cell plan cannot tell the zone from its neighbours (see `ZoneEstimate`); with
    every figure withheld nothing is stored, and `resolvable` and `resolution` read back as None (not known)."""

    present: Count = WITHHELD
    residents: Count = WITHHELD
    visitors: Count = WITHHELD
    day_visitors: Count = WITHHELD
    origins: list[OriginCount] = msgspec.field(default_factory=list)
    flows_in: list[ZoneFlow] = msgspec.field(default_factory=list)
    flows_out: list[ZoneFlow] = msgspec.field(default_factory=list)
    resolvable: bool | None = None
    resolution: float | None = None


class MobileSlot(msgspec.Struct, frozen=True):
    """One operator's slot [slot_start, slot_end) and the privacy it was published under."""

    operator: str
    slot_start: float
    slot_end: float
    market_share: float
    k: int
    epsilon: float | None
    noise_scale: float | None
    computed_at: float


class ZoneSlot(msgspec.Struct, frozen=True):
    """A slot and one zone's figures in it (every figure withheld when the zone had no row)."""

    slot: MobileSlot
    figures: ZoneFigures


def zone_figures(estimate: MobileSlotEstimate) -> dict[str, ZoneFigures]:
    """Each zone's figures of a slot, flows split into ins and outs; zones with nothing published are left out."""
    flows_in: dict[str, list[ZoneFlow]] = {}
    flows_out: dict[str, list[ZoneFlow]] = {}
    for flow in estimate.flows:
        flows_out.setdefault(flow.from_zone, []).append(ZoneFlow(flow.to_zone, flow.people))
        flows_in.setdefault(flow.to_zone, []).append(ZoneFlow(flow.from_zone, flow.people))
    out: dict[str, ZoneFigures] = {}
    for zone in estimate.zones:
        ins, outs = flows_in.get(zone.zone_id, []), flows_out.get(zone.zone_id, [])
        counts = (zone.present, zone.residents, zone.visitors, zone.day_visitors)
        if all(count.people is None for count in counts) and not zone.origins and not ins and not outs:
            continue
        out[zone.zone_id] = ZoneFigures(*counts, zone.origins, ins, outs, zone.resolvable, zone.resolution)
    return out


def save_mobile_estimate(connection: sa.Connection, tenant_id: str, estimate: MobileSlotEstimate) -> bool:
    """Store a slot's figures for the tenant; False (writing nothing) when that operator's slot is stored already."""
    slot = {
        "tenant_id": tenant_id,
        "operator": estimate.operator,
        "slot_start": estimate.slot_start,
        "slot_end": estimate.slot_end,
        "market_share": estimate.market_share,
        "k": estimate.k,
        "epsilon": estimate.epsilon,
        "noise_scale": estimate.noise_scale,
        "computed_at": estimate.computed_at,
    }
    if insert_new(connection, mobile_slots, [slot]) == 0:
        return False
    rows = [
        {
            "tenant_id": tenant_id,
            "zone_id": zone_id,
            "slot_start": estimate.slot_start,
            "operator": estimate.operator,
            "figures": msgspec.to_builtins(figures),
        }
        for zone_id, figures in zone_figures(estimate).items()
    ]
    if rows:
        connection.execute(sa.insert(mobile_zone_figures), rows)
    return True


def zone_slots(
    connection: sa.Connection, tenant_id: str, zone_id: str, since: float, until: float, *, limit: int = 10_000
) -> list[ZoneSlot]:
    """The tenant's slots that end in (since, until], oldest first, each with the zone's figures."""
    slots = mobile_slots.c
    figures = mobile_zone_figures.c
    joined = mobile_slots.outerjoin(
        mobile_zone_figures,
        sa.and_(
            figures.tenant_id == slots.tenant_id,
            figures.operator == slots.operator,
            figures.slot_start == slots.slot_start,
            figures.zone_id == zone_id,
        ),
    )
    statement = (
        sa.select(mobile_slots, figures.figures)
        .select_from(joined)
        .where(slots.tenant_id == tenant_id, slots.slot_end > since, slots.slot_end <= until)
        .order_by(slots.slot_start, slots.operator)
        .limit(check_limit(limit))
    )
    return [
        ZoneSlot(
            _slot(row),
            msgspec.convert(row.figures, ZoneFigures) if row.figures is not None else ZoneFigures(),
        )
        for row in connection.execute(statement)
    ]


def newest_slot(connection: sa.Connection, tenant_id: str) -> MobileSlot | None:
    """The tenant's slot that ended last (any operator), or None when none is stored."""
    statement = (
        sa.select(mobile_slots)
        .where(mobile_slots.c.tenant_id == tenant_id)
        .order_by(mobile_slots.c.slot_end.desc(), mobile_slots.c.operator)
        .limit(1)
    )
    row = connection.execute(statement).first()
    return _slot(row) if row is not None else None


def _slot(row: Any) -> MobileSlot:
    return MobileSlot(
        operator=row.operator,
        slot_start=row.slot_start,
        slot_end=row.slot_end,
        market_share=row.market_share,
        k=row.k,
        epsilon=row.epsilon,
        noise_scale=row.noise_scale,
        computed_at=row.computed_at,
    )
