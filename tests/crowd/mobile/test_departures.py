"""Silent phones that left the area (`Departures`): learnt per cell from the phones that went unheard past their
periodic update against those heard of again, and how long staying phones go silent."""

from __future__ import annotations

import numpy as np
import pytest

from beffroi.crowd.mobile.departures import PRIOR_PHONES, Departures
from beffroi.crowd.mobile.idle import STAY_PSEUDO_PHONES
from tests.crowd.mobile.test_idle import SLOT, _run, _zones
from tests.crowd.mobile.world import NOON

PERIODIC = 1800.0
EXPIRY = PERIODIC + 600.0


class Area:
    """Phones in the state of an estimator, driven slot by slot: each slot 40 new phones are heard of in cell 0,
    half of which leave the area at once (never heard of again), and 40 in cell 1, which all stay; a staying phone
    is heard of again 3 slots later, then at each periodic update (6 slots)."""

    def __init__(self) -> None:
        self.departures = Departures(2, SLOT, PERIODIC, EXPIRY)
        self.cell = np.zeros(0, dtype=np.int32)
        self.last_ts = np.zeros(0)
        self.next_ts = np.zeros(0)  # when heard of again (inf: never, it left)
        self.slot = 0

    def step(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """One slot: each held phone's chance to be in the area (from the model), whether it is (the truth), and
        its age in slots at the slot's start."""
        start = NOON + self.slot * SLOT
        heard = (self.next_ts >= start) & (self.next_ts < start + SLOT)
        held_weight = np.where(heard, 0.0, np.clip((self.last_ts + EXPIRY - start) / SLOT, 0.0, 1.0))
        in_area = self.departures.step(
            start,
            np.where(heard, self.cell, -1).astype(np.int32),
            np.where(heard, self.last_ts, 0.0),
            self.cell,
            self.last_ts,
            held_weight,
        )
        age = self.slot - np.floor((self.last_ts - NOON) / SLOT).astype(np.int64)
        out = (in_area, np.isfinite(self.next_ts), np.stack((self.cell, age)))  # as of the slot's start
        self.last_ts = np.where(heard, self.next_ts, self.last_ts)
        self.next_ts = np.where(heard, self.next_ts + PERIODIC, self.next_ts)
        kept = self.last_ts + EXPIRY >= start + SLOT
        self.cell, self.last_ts, self.next_ts = self.cell[kept], self.last_ts[kept], self.next_ts[kept]
        new_ts = start + np.linspace(0.0, SLOT, 80, endpoint=False)
        leaves = (np.arange(80) < 40) & (np.arange(80) % 2 == 0)
        self.cell = np.concatenate((self.cell, np.repeat(np.array([0, 1], dtype=np.int32), 40)))
        self.last_ts = np.concatenate((self.last_ts, new_ts))
        self.next_ts = np.concatenate((self.next_ts, np.where(leaves, np.inf, new_ts + 3 * SLOT)))
        self.slot += 1
        return out


def _settled() -> tuple[Area, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    area = Area()
    for _ in range(36):  # three hours
        last = area.step()
    return area, last


def test_the_share_of_phones_that_left_is_learnt_per_cell_and_the_silences_of_those_that_stay() -> None:
    area, _ = _settled()
    left = area.departures.left_share()
    assert 0.1 < left[0] < 0.5  # of the silences begun in cell 0, those of the phones that left it
    assert left[1] < 0.02  # nobody leaves from cell 1
    heard_by = area.departures.heard_by()
    assert heard_by[2] < 0.1  # nobody comes back before 3 slots (but the prior's few)
    assert heard_by[5] < heard_by[6] == pytest.approx(1.0)  # every staying phone by its periodic update


def test_each_silent_phone_is_in_the_area_with_the_chance_the_truth_gives() -> None:
    """Per cell and age, the model's chance against the share of the phones silent until the slot's start that are
    really still there: in cell 0, about 4 in 5 of those silent for up to 3 slots (the staying ones' silences between
    periodic updates outnumber the phones that left), then none but the periodic ones; in cell 1, all."""
    _, (in_area, stays, (cell, age)) = _settled()
    groups = 0
    for where in (0, 1):
        for slots in np.unique(age[cell == where]):
            group = (cell == where) & (age == slots)
            if group.sum() >= 20:
                groups += 1
                assert in_area[group].mean() == pytest.approx(stays[group].mean(), abs=0.06), (where, slots)
    assert groups >= 8
    silent_long = (cell == 0) & (age >= 4)
    assert in_area[(cell == 0) & (age == 1)].mean() > in_area[silent_long].mean()


def test_before_anything_is_learnt_every_phone_is_in_the_area_and_a_cell_starts_from_the_area_share() -> None:
    departures = Departures(3, SLOT, PERIODIC, EXPIRY)
    np.testing.assert_allclose(departures.in_area(10, np.array([0, 1, 2], dtype=np.int32), np.full(3, 0.0)), 1.0)
    departures.left[:] = [30.0, 10.0, 0.0]
    departures.stayed[:] = [10.0, 30.0, 0.0]
    share = departures.left_share()
    assert share[2] == pytest.approx(0.5)  # no phone of its own yet: the area's share
    assert share[0] == pytest.approx((30 + PRIOR_PHONES * 0.5) / (40 + PRIOR_PHONES))


def test_the_estimator_keeps_a_silent_crowd_that_nobody_is_seen_leaving() -> None:
    """The idle test's crowd (200 phones in cell 0, 100 heard in cell 1 a slot later, then silence): nobody went
    unheard past a periodic update, so nobody is taken to have left the area."""
    stay = STAY_PSEUDO_PHONES / (100 + STAY_PSEUDO_PHONES)
    raws = _run(idle_survival=True)
    np.testing.assert_allclose(_zones(raws, NOON + SLOT), [250.0 * stay, 250.0, 0.0])
    np.testing.assert_allclose(_zones(raws, NOON + 2 * SLOT)[1], 250.0)
