"""Silent phones (`idle_survival`): they stay in their last cell with the chance the heard phones of that cell
stayed; with `idle_follow`, those that left go where the heard ones went, so the area's total is kept."""

from __future__ import annotations

import numpy as np
import pytest

from beffroi.crowd.mobile import EstimationSettings, MobileEstimator, PrivacySettings, Pseudonymiser, RawSlotFigures
from beffroi.crowd.mobile.idle import STAY_PSEUDO_PHONES
from tests.crowd.mobile.world import NOON, batch, ids, merge, three_venues

SLOT = 300.0


def _run(idle_survival: bool = False, idle_follow: bool = False) -> list[RawSlotFigures]:
    """200 phones heard in zone 0's cell at noon; in the next slot, half of them heard in zone 1's cell, the other
    half silent; nobody heard in the slot after."""
    plan, zones = three_venues()
    raws: list[RawSlotFigures] = []
    estimator = MobileEstimator(
        plan,
        zones,
        EstimationSettings(departement="75", idle_survival=idle_survival, idle_follow=idle_follow),
        PrivacySettings(k=20),
        pseudonymiser=Pseudonymiser(b"a-secret-of-at-least-16-bytes"),
        raw_sink=raws.append,
    )
    people = ids("A", 200)
    estimator.add(merge(batch(NOON, people, 0), batch(NOON + SLOT, people[:100], 1)))
    estimator.flush(now=NOON + 3 * SLOT + 60)
    return raws


def _zones(raws: list[RawSlotFigures], start: float) -> np.ndarray:
    (raw,) = [raw for raw in raws if raw.slot_start == start]
    return raw.zone_people()


def test_without_idle_survival_silent_phones_stay_in_their_last_cell() -> None:
    np.testing.assert_allclose(_zones(_run(), NOON + SLOT), [250.0, 250.0, 0.0])


def test_with_idle_survival_silent_phones_leave_as_the_heard_ones_did_and_are_dropped() -> None:
    stay = STAY_PSEUDO_PHONES / (100 + STAY_PSEUDO_PHONES)  # all 100 heard phones of cell 0 left it
    np.testing.assert_allclose(_zones(_run(idle_survival=True), NOON + SLOT), [250.0 * stay, 250.0, 0.0])


def test_following_the_heard_phones_the_silent_ones_that_left_are_counted_where_they_went() -> None:
    raws = _run(idle_survival=True, idle_follow=True)
    stay = STAY_PSEUDO_PHONES / (100 + STAY_PSEUDO_PHONES)
    moved = _zones(raws, NOON + SLOT)
    np.testing.assert_allclose(moved, [250.0 * stay, 250.0 + 250.0 * (1 - stay), 0.0])
    assert moved.sum() == pytest.approx(500.0)  # nobody lost
    assert _zones(raws, NOON + 2 * SLOT).sum() == pytest.approx(500.0)  # a quiet slot: they stay where they are
