"""Who carries the simulated phones: market share, roamers and their countries, residents and visitors."""

from __future__ import annotations

from datetime import datetime

import numpy as np

from beffroi.sim.phones import Category, PhoneSimulation
from beffroi.sim.phones.geography import DEPARTEMENTS
from beffroi.sim.phones.population import COUNTRIES, ROAMER_CARRY, roamer_country_shares
from beffroi.sim.scenario import Scenario
from tests.sim.phones.conftest import Run

SITE_DEPARTEMENT = "93"  # the test stadium stands in Saint-Denis


def _expected_phones(run: Run) -> np.ndarray:
    """Phones expected per minute, place and category: people × category share × carrying share."""
    places = run.sim.places
    expected = []
    for minute in run.minutes:
        people, share = places.people(minute.start)
        expected.append(people[:, None] * share * places.carry[None, :])
    return np.array(expected)


def test_phones_per_category_match_market_share_and_roaming_in_aggregate(run: Run) -> None:
    phones = np.array([m.phones for m in run.minutes])
    expected = _expected_phones(run)
    ratio = phones.sum(axis=(0, 1)) / expected.sum(axis=(0, 1))
    assert np.all(np.abs(ratio - 1) < 0.05), ratio
    people = np.array([m.people for m in run.minutes])
    assert 0.36 < phones.sum() / people.sum() < 0.41  # 40 % of the French, ~35 % of foreigners roam on the operator
    assert run.sim.places.carry.tolist() == [0.4, 0.4, 0.4, ROAMER_CARRY]


def test_a_zone_holds_its_share_of_the_people_minute_by_minute(run: Run) -> None:
    stand = next(p.index for p in run.sim.place_info if p.id == "stand-north")
    people = np.array([m.people[stand] for m in run.minutes])
    phones = np.array([m.phones[stand].sum() for m in run.minutes])
    expected = _expected_phones(run)[:, stand].sum(axis=1)
    busy = people > 500
    assert busy.sum() > 120 and people.max() > 25_000
    error = np.abs(phones[busy] / expected[busy] - 1)
    assert np.median(error) < 0.05 and error.max() < 0.2


def test_roamers_come_from_the_countries_of_the_visitors(run: Run) -> None:
    pool = run.sim.pool
    assert pool is not None
    phones = np.arange(pool.size)
    roamers = phones[pool.category[phones] == Category.ROAMER]
    assert roamers.shape[0] > 2000
    mcc_of = {n: run.sim.networks[n].mcc for n in range(len(run.sim.networks))}
    mccs = np.array([mcc_of[int(n)] for n in pool.network[roamers]])
    shares = roamer_country_shares()
    for country in COUNTRIES:
        seen = float(np.mean(mccs == country.mcc))
        assert abs(seen - shares[country.iso]) < 0.03, country.iso
    assert shares["GB"] > shares["CN"]  # more visitors and more of them roam on the operator


def test_billing_areas_and_home_networks_by_category(run: Run) -> None:
    pool = run.sim.pool
    assert pool is not None
    codes = run.sim.billing_codes
    phones = np.arange(pool.size)
    category = pool.category[phones]
    billing = codes[pool.billing[phones] + 1]
    mcc = run.sim.home_mcc[pool.network[phones]]
    assert set(billing[category == Category.RESIDENT]) == {SITE_DEPARTEMENT}
    for visiting in (Category.VISITOR, Category.DAY_VISITOR):
        assert SITE_DEPARTEMENT not in set(billing[category == visiting])
    assert set(billing[category == Category.ROAMER]) == {""}
    assert set(mcc[category != Category.ROAMER]) == {208}
    assert 208 not in set(mcc[category == Category.ROAMER])
    # Staying visitors come from all over France by population; day trippers mostly from the same region.
    visitors = billing[category == Category.VISITOR]
    population = {d.code: d.population for d in DEPARTEMENTS}
    big, small = "59", "48"  # Nord (2.6 M) and Lozère (76 k)
    assert np.sum(visitors == big) > 10 * max(np.sum(visitors == small), 1)
    region = {d.code: d.region for d in DEPARTEMENTS}
    day = billing[category == Category.DAY_VISITOR]
    same_region = np.mean([region[code] == "11" for code in day])
    assert same_region > 2 * sum(p for c, p in population.items() if region[c] == "11" and c != "93") / sum(
        p for c, p in population.items() if c != "93"
    )


def test_subscribers_are_imsis_unique_per_phone(run: Run) -> None:
    pool = run.sim.pool
    assert pool is not None
    subscribers = pool.subscriber[: pool.size]
    assert np.unique(subscribers).shape[0] == pool.size
    assert all(len(s) == 15 and s.isdigit() for s in subscribers[:1000])
    for phone in range(0, pool.size, 997):
        network = run.sim.networks[int(pool.network[phone])]
        assert subscribers[phone].startswith(f"{network.mcc}{network.mnc}")


def test_day_visitors_are_gone_at_night_and_the_others_stay(scenario: Scenario) -> None:
    sim = PhoneSimulation(scenario, seed=5)
    three_am = datetime.fromisoformat("2024-07-27T03:00:00+02:00")
    night = next(iter(sim.minutes(three_am, three_am.replace(minute=1))))
    around = next(p.index for p in sim.place_info if p.id == "stade:surroundings")
    resident, visitor, day_visitor, roamer = night.phones[around]
    assert day_visitor == 0
    assert resident > 1000 and visitor > 100 and roamer > 10
    assert night.people[around] > 9_000  # the streets around the stadium, its own zones left out
