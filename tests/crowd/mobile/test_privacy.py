"""What leaves the module: no count below k, not even by subtraction; Laplace noise of the stated scale."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from beffroi.crowd.mobile import EstimationSettings, MobileEstimator, PrivacySettings, Pseudonymiser, RawSlotFigures
from beffroi.crowd.mobile.origins import ORIGIN_CODES, departement_code
from beffroi.crowd.mobile.privacy import cell_noise, laplace_scale, nonnegative_counts, protect, protect_zone
from beffroi.domain.signalling import SignallingEvent
from beffroi.errors import ConfigError
from tests.crowd.mobile.synthetic import build_city
from tests.crowd.mobile.world import NOON, batch, ids, merge

K = 20.0
SHARE = 0.4


def test_a_small_category_is_withheld_with_a_cover_and_its_origin_with_it() -> None:
    categories = np.array([5.0, 100.0, 30.0])  # residents, visitors, day visitors
    origins = np.array([5.0, 60.0, 40.0, 12.0, 18.0])  # the first is the zone's own département (residents)
    total_withheld, categories_withheld, origins_withheld = protect_zone(135.0, categories, origins, 0, K)
    assert not total_withheld
    assert categories_withheld.tolist() == [True, False, True]  # 5 alone, 135 - 100 - 30 would tell it
    assert origins_withheld.tolist() == [True, False, False, True, True]  # 5 + 12 + 18 >= 20
    assert protect_zone(15.0, categories / 9, origins / 9, 0, K)[0]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(0, 80), min_size=3, max_size=3),
    st.lists(st.integers(0, 60), min_size=1, max_size=8),
    st.booleans(),
)
def test_no_count_below_k_can_be_recovered_by_subtraction(
    category_counts: list[int], origin_counts: list[int], home_first: bool
) -> None:
    categories = np.array(category_counts, dtype=float)
    origins = np.array(origin_counts, dtype=float)
    total = float(categories.sum())
    resident = 0 if home_first else -1
    if home_first:  # the residents are the home-département origin, the rest split the other way
        origins[0] = categories[0]
        others = origins[1:]
        others *= (total - categories[0]) / others.sum() if others.sum() else 0.0
        if not others.sum():
            categories[1:] = 0.0
            total = float(categories[0])
    else:
        origins *= total / origins.sum() if origins.sum() else 0.0
    total_withheld, categories_withheld, origins_withheld = protect_zone(total, categories, origins, resident, K)
    if total_withheld:
        assert total < K
        return
    for values, withheld in ((categories, categories_withheld), (origins, origins_withheld)):
        visible = values[~withheld]
        assert ((visible >= K) | (visible == 0)).all()  # nothing published stands for fewer than k
        if withheld.any():  # and the total minus the visible parts is at least k
            assert total - visible.sum() >= K - 1e-6
    if home_first:
        assert categories_withheld[0] == origins_withheld[0]


def _raw(presence: np.ndarray, origins: list[int], flows: list[tuple[int, int, float]]) -> RawSlotFigures:
    zones = presence.shape[0] - 1
    factor = np.full(ORIGIN_CODES, 1 / SHARE)[origins]
    return RawSlotFigures(
        slot_start=NOON,
        slot_end=NOON + 300,
        zone_ids=tuple(f"z{index}" for index in range(zones)),
        origins=np.array(origins, dtype=np.int32),
        presence=presence,
        people=presence * factor[None, :, None],
        flow_from=np.array([flow[0] for flow in flows], dtype=np.int32),
        flow_to=np.array([flow[1] for flow in flows], dtype=np.int32),
        flow_subscribers=np.array([flow[2] for flow in flows]),
        flow_people=np.array([flow[2] / SHARE for flow in flows]),
        sensitivity=1.0,
        tables=5,
        records=0,
    )


def test_flows_below_k_are_not_published() -> None:
    presence = np.zeros((3, 1, 2))
    presence[:, 0, 0] = [500.0, 300.0, 0.0]
    raw = _raw(presence, [departement_code("75")], [(0, 1, 25.0), (1, 0, 19.9), (0, 2, 3.0)])
    estimate = protect(
        raw, np.array([-1, -1], dtype=np.int32), np.full(ORIGIN_CODES, 1 / SHARE), PrivacySettings(),
        np.random.default_rng(1), "op", SHARE, 208,
    )  # fmt: skip
    assert [(flow.from_zone, flow.to_zone, flow.people) for flow in estimate.flows] == [("z0", "z1", 62.5)]


def test_laplace_noise_has_the_stated_scale() -> None:
    assert laplace_scale(1.0, 2.0) == 2.5  # epsilon 2 per slot shared by 5 tables
    presence = np.zeros((2, 1, 2))
    presence[0, 0, 0] = 1000.0
    raw = _raw(presence, [departement_code("75")], [])
    rng = np.random.default_rng(7)
    factor = np.full(ORIGIN_CODES, 1 / SHARE)
    settings_ = PrivacySettings(epsilon=2.0)
    published = np.array(
        [
            protect(raw, np.array([-1], dtype=np.int32), factor, settings_, rng, "op", SHARE, 208)
            .zones[0]
            .present.people
            for _ in range(2000)
        ],
        dtype=float,
    )
    error = published - 1000.0 / SHARE
    scale = 2.5 / SHARE  # in people
    assert abs(error.mean()) < 0.5
    assert np.abs(error).mean() == pytest.approx(scale, rel=0.1)  # E|Laplace(b)| = b
    assert error.std() == pytest.approx(np.sqrt(2) * scale, rel=0.1)
    with pytest.raises(ConfigError, match="epsilon"):
        PrivacySettings(epsilon=0.0)


@pytest.mark.parametrize("epsilon", [None, 2.0])
def test_no_published_figure_stands_for_fewer_than_k_subscribers(epsilon: float | None) -> None:
    city = build_city(districts=2, margin_m=800.0)
    rng = np.random.default_rng(3)
    cells = len(city.plan.cells)
    parts = []
    areas = np.array(["75", "13", "69", "2A", "59"])
    for group in range(40):  # subscribers of a few origins scattered over the cells, some moving
        count = int(rng.integers(1, 40))
        people = ids(f"G{group:02d}", count)
        area = str(areas[group % 5])
        mcc = 222 if group % 7 == 0 else 208
        parts.append(
            batch(NOON + rng.uniform(0, 300, count), people, rng.integers(0, cells, count), mcc=mcc, area=area)
        )
        parts.append(
            batch(
                NOON + 300 + rng.uniform(0, 300, count),
                people,
                rng.integers(0, cells, count),
                SignallingEvent.HANDOVER,
                mcc,
                area,
            )
        )
    estimator = MobileEstimator(
        city.plan,
        city.zones,
        EstimationSettings(departement="75"),
        PrivacySettings(k=int(K), epsilon=epsilon, seed=5),
        pseudonymiser=Pseudonymiser(b"a-secret-of-at-least-16-bytes"),
    )
    estimates = estimator.add(merge(*parts)) + estimator.flush()
    assert len(estimates) == 2
    smallest = K / SHARE - 1e-6  # k subscribers extrapolated, with no roamer share given: everyone at 40 %
    withheld = 0
    for estimate in estimates:
        for zone in estimate.zones:
            counts = [zone.present, zone.residents, zone.visitors, zone.day_visitors]
            withheld += sum(count.fewer_than_k for count in counts)
            assert all(count.people is None for count in counts if count.fewer_than_k)
            visible = [count.people for count in counts if count.people]
            assert all(value >= smallest for value in visible)
            assert all(origin.people >= smallest for origin in zone.origins)
            if epsilon is None and zone.present.people is not None:
                parts_shown = [count.people for count in counts[1:] if count.people is not None]
                rest = zone.present.people - sum(parts_shown)
                assert len(parts_shown) == 3 or rest >= smallest  # subtraction reveals k or more
                rest = zone.present.people - sum(origin.people for origin in zone.origins)
                assert rest < 1e-6 or rest >= smallest
        assert all(flow.people >= smallest for flow in estimate.flows)
    assert withheld > 0  # the test did meet small counts


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-20.0, 200.0), min_size=1, max_size=17))
def test_noised_counts_are_made_nonnegative_keeping_their_total(values: list[float]) -> None:
    noisy = np.array(values)
    counts = nonnegative_counts(noisy, noisy.shape[0])
    assert (counts >= 0).all()
    assert counts.sum() == pytest.approx(max(noisy.sum(), 0.0), abs=1e-6)
    # the nearest such vector: what it keeps of each count moves by one amount, and only the largest stay
    kept = counts > 0
    if kept.any():
        np.testing.assert_allclose(noisy[kept] - counts[kept], (noisy - counts)[kept][0], atol=1e-6)
        assert noisy[kept].min() >= noisy[~kept].max(initial=-np.inf)


def test_without_bands_each_noised_count_is_clipped_at_zero() -> None:
    noisy = np.array([-3.0, 0.5, 12.0])
    np.testing.assert_array_equal(nonnegative_counts(noisy, 1), [0.0, 0.5, 12.0])


def test_noise_lends_a_cell_s_empty_bands_a_third_of_the_phantoms_clipping_would() -> None:
    # 50 subscribers in one of a cell's 17 rows (its bands and its whole-cell row), ε = 2 over five tables
    rng = np.random.default_rng(3)
    truth = np.zeros(17 * 2000)
    truth[::17] = 50.0
    counts = cell_noise(2.0, rng, width=17)(truth, 1.0)
    empty = counts.reshape(-1, 17)[:, 1:].sum(axis=1)
    clipped = np.maximum(truth + rng.laplace(0.0, laplace_scale(1.0, 2.0), truth.shape), 0.0)
    phantoms, clipped_phantoms = np.mean(empty), np.mean(clipped.reshape(-1, 17)[:, 1:].sum(axis=1))
    assert phantoms < 10.0 and clipped_phantoms > 15.0  # about 7 against 20
    assert np.mean(counts.reshape(-1, 17).sum(axis=1)) == pytest.approx(50.0, abs=1.0)  # the cell's total kept
