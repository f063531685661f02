"""The mobile-network figures in the store (SQLite and PostgreSQL): a slot is stored once with each zone's published
figures and its flows split into ins and outs; a zone whose figures were all withheld reads back as withheld; slots
are read per zone and time range, oldest first, and per tenant."""

from __future__ import annotations

from beffroi.crowd.mobile.results import OUTSIDE, Count, Flow, MobileSlotEstimate, OriginCount, ZoneEstimate
from beffroi.store.mobile_estimates import WITHHELD, ZoneFigures, ZoneFlow
from beffroi.store.store import Store
from tests.store.samples import tenant

T0 = 1_722_002_400.0
HIDDEN = Count(None, True)


def slot(start: float, present: float | None, *, epsilon: float | None = None) -> MobileSlotEstimate:
    gate_present = Count(present) if present is not None else HIDDEN
    return MobileSlotEstimate(
        operator="Orange",
        slot_start=start,
        slot_end=start + 300,
        market_share=0.4,
        zones=[
            ZoneEstimate(
                "gate-a",
                gate_present,
                Count(120.0),
                HIDDEN,
                HIDDEN,
                [OriginCount("departement", "93", 120.0), OriginCount("country", "GB", 55.5)],
            ),
            ZoneEstimate("stand-b", HIDDEN, HIDDEN, HIDDEN, HIDDEN, []),
        ],
        flows=[Flow("gate-a", "stand-b", 60.0), Flow(OUTSIDE, "gate-a", 90.0)],
        k=20,
        computed_at=start + 330,
        epsilon=epsilon,
    )


def test_a_slot_is_stored_once_and_read_back_per_zone(store: Store) -> None:
    store.upsert_tenants([tenant("paris"), tenant("lyon")])
    assert store.save_mobile_estimate("paris", slot(T0, 250.0))
    assert not store.save_mobile_estimate("paris", slot(T0, 999.0))  # redelivered: kept as first stored
    assert store.save_mobile_estimate("paris", slot(T0 + 300, None, epsilon=2.0))
    [first, second] = store.mobile_zone_slots("paris", "gate-a", T0, T0 + 600)
    assert (first.slot.slot_start, first.slot.slot_end, first.slot.k, first.slot.epsilon) == (T0, T0 + 300, 20, None)
    assert first.figures == ZoneFigures(
        present=Count(250.0),
        residents=Count(120.0),
        origins=[OriginCount("departement", "93", 120.0), OriginCount("country", "GB", 55.5)],
        flows_in=[ZoneFlow(OUTSIDE, 90.0)],
        flows_out=[ZoneFlow("stand-b", 60.0)],
        resolvable=True,
        resolution=1.0,
    )
    assert second.figures.present == WITHHELD and second.slot.epsilon == 2.0
    # the stand had every figure withheld but a flow in: it has a row; its counts read withheld
    [stand, _] = store.mobile_zone_slots("paris", "stand-b", T0, T0 + 600)
    assert stand.figures == ZoneFigures(flows_in=[ZoneFlow("gate-a", 60.0)], resolvable=True, resolution=1.0)
    # a zone never published in a slot reads as every figure withheld, still with the slot
    [empty, _] = store.mobile_zone_slots("paris", "elsewhere", T0, T0 + 600)
    assert empty.figures == ZoneFigures() and empty.slot.slot_start == T0
    assert (empty.figures.resolvable, empty.figures.resolution) == (None, None)  # nothing stored: not claimed


def test_slots_are_read_by_time_range_and_tenant(store: Store) -> None:
    store.upsert_tenants([tenant("paris"), tenant("lyon")])
    for index in range(4):
        store.save_mobile_estimate("paris", slot(T0 + 300 * index, 100.0 + index))
    starts = [item.slot.slot_start for item in store.mobile_zone_slots("paris", "gate-a", T0 + 300, T0 + 900)]
    assert starts == [T0 + 300, T0 + 600]  # slots ending in (since, until]
    assert store.mobile_zone_slots("lyon", "gate-a", T0, T0 + 1200) == []
    newest = store.newest_mobile_slot("paris")
    assert newest is not None and newest.slot_end == T0 + 1200
    assert store.newest_mobile_slot("lyon") is None
