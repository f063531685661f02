"""The simulated signalling: determinism, time order, event rates, handovers on moves, coverage, and the truth."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest

from beffroi.domain.signalling import SignallingEvent
from beffroi.sim.catalogue import Catalogue
from beffroi.sim.crowd import CrowdModel
from beffroi.sim.local_time import LocalTime
from beffroi.sim.phones import PhoneSimulation, signalling
from beffroi.sim.phones.geography import DEPARTEMENTS
from beffroi.sim.phones.population import (
    CALL_PER_HOUR,
    DATA_SESSIONS_PER_HOUR,
    HANDOVER_SHARE,
    SMS_PER_HOUR,
    T3412_S,
    usage,
)
from beffroi.sim.scenario import Scenario
from tests.sim.phones.conftest import SEED, Run

SLICE_START = datetime.fromisoformat("2024-07-26T20:00:00+02:00")
SLICE_END = datetime.fromisoformat("2024-07-26T20:10:00+02:00")


def _slice(run: Run) -> list[int]:
    return [i for i, m in enumerate(run.minutes) if SLICE_START.timestamp() <= m.start < SLICE_END.timestamp()]


def test_a_seed_fixes_the_records_and_any_range_is_a_slice_of_a_longer_one(scenario: Scenario, run: Run) -> None:
    again = list(PhoneSimulation(scenario, seed=SEED).minutes(SLICE_START, SLICE_END))
    longer = [run.minutes[i] for i in _slice(run)]
    assert len(again) == len(longer) == 10
    for short, long in zip(again, longer, strict=True):
        assert len(short) > 1000
        np.testing.assert_array_equal(short.ts, long.ts)
        np.testing.assert_array_equal(short.subscriber, long.subscriber)
        np.testing.assert_array_equal(short.cell, long.cell)
        np.testing.assert_array_equal(short.event, long.event)
        np.testing.assert_array_equal(short.phones, long.phones)
    other = next(iter(PhoneSimulation(scenario, seed=SEED + 1).minutes(SLICE_START, SLICE_END)))
    assert len(other) != len(again[0]) or not np.array_equal(other.ts, again[0].ts)


def test_batches_carry_the_operator_columns_in_time_order(scenario: Scenario, run: Run) -> None:
    batches = list(signalling(scenario, SLICE_START, SLICE_END, seed=SEED))
    minutes = [run.minutes[i] for i in _slice(run)]
    for batch, minute in zip(batches, minutes, strict=True):
        assert len(batch) == len(minute)
        assert batch.subscriber.dtype == np.dtype("<U15")
        np.testing.assert_array_equal(batch.ts, minute.ts)
        np.testing.assert_array_equal(batch.cell, minute.cell)
        assert set(batch.home_mcc[batch.billing_area == ""]) <= {m for m in batch.home_mcc.tolist() if m != 208}
        assert set(batch.billing_area[batch.home_mcc == 208]) <= {d.code for d in DEPARTEMENTS}
    assert np.all(np.diff(run.ts) >= 0)
    starts = np.array([m.start for m in run.minutes])[run.minute]
    assert np.all((run.ts >= starts) & (run.ts < starts + 60))


def test_periodic_updates_follow_each_phone_timer(run: Run) -> None:
    periodic = run.event == SignallingEvent.PERIODIC_UPDATE
    order = np.lexsort((run.ts[periodic], run.phone[periodic]))
    phone, ts = run.phone[periodic][order], run.ts[periodic][order]
    gaps = np.diff(ts)[np.diff(phone) == 0]
    assert gaps.shape[0] > 5000
    cycles = gaps / T3412_S
    assert np.all(np.abs(cycles - np.round(cycles)) < 1e-5)  # 54 min apart, or a multiple when away
    assert np.mean(np.round(cycles) == 1) > 0.85
    # One periodic update per phone per 54 minutes, whatever it does otherwise.
    present = sum(float(m.phones.sum()) for m in run.minutes)
    assert periodic.sum() / (present / 54) == pytest.approx(1.0, abs=0.02)


@pytest.mark.parametrize(
    ("event", "per_hour"),
    [(SignallingEvent.CALL, CALL_PER_HOUR), (SignallingEvent.SMS, SMS_PER_HOUR)],
)
def test_calls_and_sms_come_at_their_rates(run: Run, event: SignallingEvent, per_hour: np.ndarray) -> None:
    local = LocalTime("Europe/Paris")
    expected = sum(float(m.phones.sum(axis=0) @ per_hour) * usage(local.hour(m.start)) / 60 for m in run.minutes)
    observed = int(np.sum(run.event == event))
    assert observed / expected == pytest.approx(1.0, abs=0.04)
    evening = [m for m in run.minutes if 18 <= local.hour(m.start) < 20]
    calls = sum(int(np.sum(m.event == SignallingEvent.CALL)) for m in evening)
    french_hours = sum(float(m.phones[:, :3].sum()) for m in evening) / 60
    assert 1.5 < calls / french_hours < 2.5  # ~2 calls an hour at the evening peak


def test_data_comes_in_bursts_of_sessions(run: Run) -> None:
    local = LocalTime("Europe/Paris")
    sessions = sum(
        float(m.phones.sum(axis=0) @ DATA_SESSIONS_PER_HOUR) * usage(local.hour(m.start)) / 60 for m in run.minutes
    )
    records = int(np.sum(run.event == SignallingEvent.DATA))
    assert 2.35 < records / sessions < 2.55  # 1 + 1.5 records a session on average, a few cut after 2 minutes
    assert records > 0.5 * len(run.ts)


def test_handovers_come_from_phones_moving_between_cells(run: Run) -> None:
    changes = handovers = arrivals = 0
    places = run.sim.place_info
    for minute in run.minutes:
        moves = minute.moves
        changed = moves.moved_to_cell != moves.moved_from_cell
        new_cell = dict(zip(moves.moved[changed].tolist(), moves.moved_to_cell[changed].tolist(), strict=True))
        handover = minute.event == SignallingEvent.HANDOVER
        for phone, cell in zip(minute.phone[handover].tolist(), minute.cell[handover].tolist(), strict=True):
            assert new_cell[phone] == cell
        changes += int(changed.sum())
        handovers += int(handover.sum())
        before, after = moves.moved_from_place[changed].tolist(), moves.moved_to_place[changed].tolist()
        arrivals += sum(
            places[a].kind == "surroundings" and places[b].kind != "surroundings"
            for a, b in zip(before, after, strict=True)
        )
    assert handovers > 5000 and arrivals > 5000  # the crowd walking in from the streets around
    assert handovers / changes == pytest.approx(HANDOVER_SHARE, abs=0.02)


def test_attaches_come_from_phones_arriving_in_the_area(run: Run) -> None:
    attached = detached = 0
    for minute in run.minutes:
        attach = minute.phone[minute.event == SignallingEvent.ATTACH]
        assert np.array_equal(np.sort(attach), np.sort(minute.moves.entered))
        detach = minute.phone[minute.event == SignallingEvent.DETACH]
        assert np.isin(detach, minute.moves.exited).all()
        attached += attach.shape[0]
        detached += detach.shape[0]
    assert attached > 1000 and 0 < detached < 0.1 * attached


def test_every_record_is_served_by_a_cell_covering_the_phone(run: Run) -> None:
    places = run.sim.places
    cells = run.sim.cells
    width = cells.lon.shape[0]
    pair = np.unique(run.spot.astype(np.int64) * width + run.cell)
    pairs = np.stack([pair // width, pair % width])
    assert pairs.shape[1] > 500
    distance, off = cells.geometry(places.spot_lon[pairs[0]], places.spot_lat[pairs[0]], pairs[1])
    diagonal = np.arange(pairs.shape[1])
    assert np.all(distance[diagonal, diagonal] <= cells.range_m[pairs[1]])
    assert np.all(off[diagonal, diagonal] <= cells.beam[pairs[1]])
    small = np.isnan(cells.azimuth)
    assert small[run.cell].mean() > 0.1  # the stand's and concourse's small cells carry their crowds


def test_truth_is_the_crowd_model_occupancy(scenario: Scenario, run: Run) -> None:
    crowd = CrowdModel(Catalogue(scenario), LocalTime(scenario.timezone), seed=SEED)
    for info in run.sim.place_info:
        if info.kind == "surroundings":
            assert all(m.people[info.index] > 0 for m in run.minutes)
            continue
        place = crowd.place(info.site_id, info.id)
        truth = np.array([m.people[info.index] for m in run.minutes])
        model = np.array([place.occupancy(m.start) for m in run.minutes])
        np.testing.assert_allclose(truth, model)
    records = np.bincount(run.sim.places.spot_place[run.spot], minlength=len(run.sim.place_info))
    phone_minutes = np.sum([m.phones.sum(axis=1) for m in run.minutes], axis=0)
    seen = phone_minutes > 10_000
    rates = records[seen] / phone_minutes[seen] * 60
    assert np.all((rates > 8) & (rates < 30))  # records per phone-hour where phones are, more where they pass


def test_the_phones_per_cell_add_up_to_the_phones_per_place_and_hold_every_record_s_cell(scenario: Scenario) -> None:
    sim = PhoneSimulation(scenario, seed=SEED)
    for minute in sim.minutes(
        datetime.fromisoformat("2024-07-26T20:00:00+02:00"), datetime.fromisoformat("2024-07-26T20:03:00+02:00")
    ):
        per_cell = minute.cell_phones
        assert per_cell.shape == (len(sim.plan.cells),)
        assert per_cell.sum() == minute.phones.sum()
        assert np.all(per_cell[minute.cell] > 0)  # a record's phone stands in its cell


def test_the_timing_advance_measures_the_distance_from_the_serving_antenna(run: Run) -> None:
    timing = np.concatenate([m.timing_advance for m in run.minutes])
    assert timing.dtype == np.int16 and timing.shape == run.ts.shape
    detach = run.event == SignallingEvent.DETACH
    assert detach.any() and np.all(timing[detach] == -1)  # a detach carries none
    assert np.all(timing[~detach] >= 0)
    delivered = run.minutes[0].batch().timing_advance  # the same draw each time it is asked for
    assert delivered is not None and np.array_equal(delivered, timing[run.minute == 0])
    # the straight distance from each record's spot to its serving cell's antenna
    places, cells = run.sim.places, run.sim.cells
    width = cells.lon.shape[0]
    pair, record_pair = np.unique(run.spot.astype(np.int64) * width + run.cell, return_inverse=True)
    spot, cell = pair // width, pair % width
    distance, _ = cells.geometry(places.spot_lon[spot], places.spot_lat[spot], cell)
    metres = np.diagonal(distance)[record_pair.reshape(-1)][~detach]
    measured = timing[~detach].astype(np.float64) * 78.12
    assert abs(measured.mean() - metres.mean()) < 100.0
    assert np.corrcoef(measured, metres)[0, 1] > 0.9  # a phone farther away has a larger timing advance
    assert np.quantile(np.abs(measured + 39.06 - metres), 0.9) < 150.0  # within about a step of the distance
