"""The estimator end to end on hand-made batches: zone counts, carried idle phones, moves, origins, key change."""

from __future__ import annotations

import datetime as dt
import logging

import msgspec
import numpy as np
import pytest

from beffroi.crowd.mobile import (
    EstimationSettings,
    MobileEstimator,
    MobileSlotEstimate,
    PrivacySettings,
    Pseudonymiser,
    RawSlotFigures,
)
from beffroi.crowd.mobile.estimator import REACHABLE_MARGIN_S
from beffroi.domain.signalling import CellPlan, SignallingEvent
from tests.crowd.mobile.world import NOON, PARIS, batch, ids, merge, omni, square, three_venues

SECRET = b"a-secret-of-at-least-16-bytes"
SLOT = 300.0


def _estimator(**settings: object) -> tuple[MobileEstimator, list[RawSlotFigures]]:
    plan, zones = three_venues()
    raws: list[RawSlotFigures] = []
    options = {"departement": "75", "roamer_shares": {222: 0.25}, **settings}
    estimator = MobileEstimator(
        plan,
        zones,
        EstimationSettings(**options),  # type: ignore[arg-type]
        PrivacySettings(k=20),
        pseudonymiser=Pseudonymiser(SECRET),
        raw_sink=raws.append,
    )
    return estimator, raws


def _at(raws: list[RawSlotFigures], start: float) -> np.ndarray:
    (raw,) = [raw for raw in raws if raw.slot_start == start]
    return raw.zone_people()


def test_a_known_population_gives_the_zone_counts_after_extrapolation() -> None:
    estimator, raws = _estimator()
    records = merge(
        batch(NOON, ids("A", 100), 0),  # 100 domestic subscribers in zone 0: 250 people at a 40 % share
        batch(NOON, ids("B", 50), 1, mcc=222),  # 50 Italian roamers, the operator has 25 % of them: 200
        batch(NOON, ids("C", 30), 2, area="13"),  # 30 from the Bouches-du-Rhône: 75
        batch(NOON, ids("D", 10), 3),  # outside every zone
    )
    estimates = estimator.add(records) + estimator.flush()
    np.testing.assert_allclose(_at(raws, NOON), [250.0, 200.0, 75.0])
    (estimate,) = estimates
    z0, z1, z2 = estimate.zones
    assert (z0.present.people, z1.present.people, z2.present.people) == (250.0, 200.0, 75.0)
    assert (z0.residents.people, z0.visitors.people, z0.day_visitors.people) == (250.0, 0.0, 0.0)
    assert z1.day_visitors.people == 200.0 and z1.origins[0].kind == "country" and z1.origins[0].code == "IT"
    assert z2.day_visitors.people == 75.0 and [(o.code, o.people) for o in z2.origins] == [("13", 75.0)]
    assert estimate.slot_end - estimate.slot_start == SLOT and estimate.k == 20
    assert msgspec.json.decode(msgspec.json.encode(estimate), type=MobileSlotEstimate) == estimate


def test_idle_phones_stay_in_their_last_cell_until_they_expire() -> None:
    estimator, raws = _estimator(periodic_update_s=1800.0, idle_expiry_s=3600.0)
    estimator.add(batch(NOON, ids("A", 100), 0, SignallingEvent.PERIODIC_UPDATE))
    estimator.flush(now=NOON + 3 * 3600)
    assert _at(raws, NOON + 40 * 60)[0] == pytest.approx(250.0)  # heard of 40 minutes ago: still there
    assert _at(raws, NOON + 3600 - SLOT)[0] == pytest.approx(250.0)
    assert _at(raws, NOON + 3600)[0] == 0.0  # an hour without a word: gone
    assert estimator.stats["subscribers_held"] == 0


def test_by_default_a_phone_silent_past_its_periodic_update_and_the_reachable_margin_has_left() -> None:
    """A phone still around is heard of at its periodic update: one silent 10 minutes past it slipped away (most
    phones leaving an area do not detach), and no longer counts; one heard of at each update keeps counting."""
    estimator, raws = _estimator(periodic_update_s=1800.0)
    assert estimator.settings.expiry_s == 1800.0 + REACHABLE_MARGIN_S == 2400.0
    stayers = ids("S", 100)
    estimator.add(batch(NOON, ids("A", 100) + stayers, 0, SignallingEvent.PERIODIC_UPDATE))
    estimator.add(batch(NOON + 1800.0, stayers, 0, SignallingEvent.PERIODIC_UPDATE))
    estimator.flush(now=NOON + 2 * 3600)
    assert _at(raws, NOON + 1800.0 + SLOT)[0] == pytest.approx(500.0)  # 30 minutes of silence: still around
    assert _at(raws, NOON + 2400.0 - SLOT)[0] == pytest.approx(500.0)  # 35 minutes: within the margin
    assert _at(raws, NOON + 2400.0)[0] == pytest.approx(250.0)  # 40 minutes: the silent ones have left
    assert _at(raws, NOON + 3600.0)[0] == pytest.approx(250.0)  # the stayers, heard of at 12:30, still count


def test_a_phone_counts_for_the_time_it_spends_in_each_cell_and_moves_make_flows() -> None:
    estimator, raws = _estimator()
    people = ids("A", 60)
    estimates = estimator.add(batch(NOON, people, 0))
    estimates += estimator.add(batch(NOON + SLOT + SLOT / 2, people, 1, SignallingEvent.HANDOVER))
    estimates += estimator.flush(now=NOON + 3 * SLOT + 60)
    np.testing.assert_allclose(_at(raws, NOON + SLOT), [75.0, 75.0, 0.0])  # half the slot in each
    np.testing.assert_allclose(_at(raws, NOON + 2 * SLOT), [0.0, 150.0, 0.0])
    second = next(estimate for estimate in estimates if estimate.slot_start == NOON + SLOT)
    assert [(flow.from_zone, flow.to_zone, flow.people) for flow in second.flows] == [("z0", "z1", 150.0)]


def test_a_detached_phone_is_gone_from_the_detach_on() -> None:
    estimator, raws = _estimator()
    people = ids("A", 40)
    estimator.add(batch(NOON, people, 0))
    estimator.add(batch(NOON + SLOT + 100, people, 0, SignallingEvent.DETACH))
    estimator.flush(now=NOON + 4 * SLOT)
    assert _at(raws, NOON + SLOT)[0] == pytest.approx(100.0 * 100 / SLOT)
    assert _at(raws, NOON + 2 * SLOT)[0] == 0.0


def test_residents_visitors_and_day_visitors() -> None:
    estimator, _ = _estimator()
    four = dt.datetime(2024, 6, 15, 4, 0, tzinfo=PARIS).timestamp()
    nine = dt.datetime(2024, 6, 15, 9, 0, tzinfo=PARIS).timestamp()
    slept_here = ids("A", 40)  # billed in the Bouches-du-Rhône, here at night: visitors
    locals_ = ids("B", 50)  # billed in Paris: residents
    came_today = ids("C", 30)  # billed in the Bouches-du-Rhône, first seen in the morning: day visitors
    for hour in range(6):  # periodic updates keep the night's phones alive
        estimator.add(merge(batch(four + hour * 3000, slept_here, 0, area="13"), batch(four + hour * 3000, locals_, 0)))
    estimates = estimator.add(batch(nine, came_today, 0, area="13"))
    estimates += estimator.flush(now=nine + 2 * SLOT)
    (at_nine,) = [estimate for estimate in estimates if estimate.slot_start == nine]
    zone = at_nine.zones[0]
    assert (zone.residents.people, zone.visitors.people, zone.day_visitors.people) == (125.0, 100.0, 75.0)
    assert {(origin.code, origin.people) for origin in zone.origins} == {("75", 125.0), ("13", 175.0)}


def test_the_daily_key_change_neither_loses_nor_doubles_idle_phones() -> None:
    estimator, raws = _estimator(periodic_update_s=3000.0)
    people = np.array(ids("A", 200))
    phase = np.linspace(0, 3000, 200, endpoint=False)
    start = dt.datetime(2024, 6, 16, 0, 0, tzinfo=PARIS).timestamp()
    for cycle in range(6):  # 00:00 to 05:00, each phone's periodic update every 50 minutes
        estimator.add(batch(start + cycle * 3000 + phase, list(people), 0, SignallingEvent.PERIODIC_UPDATE))
    estimator.flush(now=start + 5 * 3600)
    rotation = dt.datetime(2024, 6, 16, 3, 0, tzinfo=PARIS).timestamp()
    around = [raw.zone_people()[0] for raw in raws if rotation - 3600 <= raw.slot_start < rotation + 3600]
    assert len(around) == 24
    assert min(around) > 0.9 * 500 and max(around) < 1.1 * 500  # 200 subscribers at 40 %: 500 people


def test_late_records_and_unknown_cells_are_counted_and_slots_close_on_the_clock(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    estimator, _ = _estimator()
    people = ids("A", 30)
    assert estimator.add(batch(NOON, people, 0)) == []
    closed = estimator.flush(now=NOON + SLOT + 31)  # end of the slot + lateness (30 s)
    assert [estimate.slot_start for estimate in closed] == [NOON]
    assert closed[0].computed_at >= NOON  # the figures are made when the slot may close, not before
    estimator.add(batch(NOON + 10, people, 0))
    estimator.add(batch(NOON + SLOT + 5, people, [7] * 30))
    stats = estimator.stats
    assert stats["late"] == 30 and stats["rejected_unknown_cell"] == 30
    assert not any(person in caplog.text for person in people)


def test_the_refinement_finds_where_a_crowd_stands_from_the_cells_counts() -> None:
    # zones a and b side by side; cell 0 sees only a, cell 1 only b, cell 2 straddles both halves
    plan = CellPlan("op", 208, 0.4, [omni("a", 500, 500, 400), omni("b", 1500, 500, 400), omni("ab", 1000, 500, 400)])
    zones = [square("a", 0, 0, 1000, 1000), square("b", 1000, 0, 2000, 1000)]
    crowd = merge(batch(NOON, ids("A", 50), 0), batch(NOON, ids("B", 50), 2))  # everyone stands in a
    figures = {}
    for iterations in (0, 10):
        raws: list[RawSlotFigures] = []
        settings = EstimationSettings(coverage="sector", refine_iterations=iterations)
        estimator = MobileEstimator(plan, zones, settings, pseudonymiser=Pseudonymiser(SECRET), raw_sink=raws.append)
        estimator.add(crowd)
        estimator.flush()
        figures[iterations] = raws[0].zone_people()
    np.testing.assert_allclose(figures[0], [187.5, 62.5])  # the straddling cell split by area
    np.testing.assert_allclose(figures[10], [250.0, 0.0], atol=0.5)  # cell 1 sees no one: nobody in b
