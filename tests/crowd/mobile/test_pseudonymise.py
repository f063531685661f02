"""Pseudonyms: keyed, stable within a key-day, unrelated across days, computed once per identifier and day."""

from __future__ import annotations

import datetime as dt
import logging

import numpy as np
import polars as pl
import pytest

from beffroi.crowd.mobile import KeyCalendar, Pseudonymiser
from beffroi.errors import ConfigError
from tests.crowd.mobile.world import NOON, PARIS, batch, ids

SECRET = b"a-secret-of-at-least-16-bytes"


def test_stable_within_a_key_day_and_the_same_from_numpy_or_polars() -> None:
    pseudonymiser = Pseudonymiser(SECRET)
    people = np.array(ids("A", 1000), dtype=np.str_)
    morning = np.full(1000, dt.datetime(2024, 6, 15, 3, 30, tzinfo=PARIS).timestamp())
    night = np.full(1000, dt.datetime(2024, 6, 16, 2, 59, tzinfo=PARIS).timestamp())  # same key-day
    first = pseudonymiser.pseudonyms(people, morning)
    assert first.dtype == np.uint64
    assert np.unique(first).size == 1000
    np.testing.assert_array_equal(pseudonymiser.pseudonyms(people, night), first)
    np.testing.assert_array_equal(pseudonymiser.pseudonyms(pl.Series(people), morning), first)
    np.testing.assert_array_equal(Pseudonymiser(SECRET).pseudonyms(people[::-1], morning), first[::-1])


def test_different_across_days_and_secrets() -> None:
    people = np.array(ids("B", 500), dtype=np.str_)
    before = np.full(500, dt.datetime(2024, 6, 16, 2, 59, tzinfo=PARIS).timestamp())
    after = np.full(500, dt.datetime(2024, 6, 16, 3, 0, tzinfo=PARIS).timestamp())  # the key rotates at 03:00
    pseudonymiser = Pseudonymiser(SECRET)
    day1, day2 = pseudonymiser.pseudonyms(people, before), pseudonymiser.pseudonyms(people, after)
    assert not np.intersect1d(day1, day2).size
    other = Pseudonymiser(b"another-secret-of-16-bytes").pseudonyms(people, before)
    assert not np.intersect1d(day1, other).size
    mixed = pseudonymiser.pseudonyms(people[:2], np.array([before[0], after[0]]))
    assert mixed[0] == day1[0] and mixed[1] == day2[1]


def test_the_keyed_hash_runs_once_per_identifier_and_day_and_the_cache_stays_bounded() -> None:
    pseudonymiser = Pseudonymiser(SECRET, cache_size=1000)
    people = np.array(ids("C", 800), dtype=np.str_)
    ts = np.full(800, NOON)
    first = pseudonymiser.pseudonyms(people, ts)
    again = pseudonymiser.pseudonyms(np.concatenate([people, people]), np.full(1600, NOON))
    assert pseudonymiser.keyed_hashes == 800
    np.testing.assert_array_equal(again[:800], first)
    more = np.array(ids("D", 3000), dtype=np.str_)
    pseudonymiser.pseudonyms(more, np.full(3000, NOON))
    day_cache = next(iter(pseudonymiser._days.values()))
    assert day_cache.fingerprints.shape[0] <= 1000
    np.testing.assert_array_equal(pseudonymiser.pseudonyms(people, ts), first)  # evicted, recomputed the same


def test_a_batch_is_pseudonymised_once_and_keeps_its_other_columns() -> None:
    pseudonymiser = Pseudonymiser(SECRET)
    raw = batch(NOON, ids("E", 5), [0, 1, 2, 3, 4])
    done = pseudonymiser.pseudonymise(raw)
    assert done.subscriber.dtype == np.uint64
    np.testing.assert_array_equal(done.cell, raw.cell)
    with pytest.raises(ValueError, match="already"):
        pseudonymiser.pseudonymise(done)


def test_no_raw_identifier_in_repr_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    people = ids("F", 50)
    pseudonymiser = Pseudonymiser(SECRET)
    pseudonymiser.pseudonymise(batch(NOON, people, 0))
    day_cache = next(iter(pseudonymiser._days.values()))
    held = repr(pseudonymiser) + repr(vars(pseudonymiser)) + repr(vars(day_cache)) + caplog.text
    assert not any(person in held for person in people)
    assert SECRET.decode() not in repr(pseudonymiser)


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ConfigError):
        Pseudonymiser(b"short")


def test_key_calendar_days_and_nights() -> None:
    calendar = KeyCalendar()
    assert calendar.day_of(dt.datetime(2024, 6, 16, 2, 59, tzinfo=PARIS).timestamp()) == dt.date(2024, 6, 15)
    assert calendar.day_of(dt.datetime(2024, 6, 16, 3, 0, tzinfo=PARIS).timestamp()) == dt.date(2024, 6, 16)
    assert calendar.is_night(dt.datetime(2024, 6, 16, 5, 55, tzinfo=PARIS).timestamp())
    assert not calendar.is_night(dt.datetime(2024, 6, 16, 6, 0, tzinfo=PARIS).timestamp())
    assert not calendar.is_night(dt.datetime(2024, 6, 16, 2, 0, tzinfo=PARIS).timestamp())
    # the day the clocks go back has 25 hours
    autumn = calendar.start_of(dt.date(2024, 10, 27)) - calendar.start_of(dt.date(2024, 10, 26))
    assert autumn == 25 * 3600
    with pytest.raises(ConfigError, match="timezone"):
        KeyCalendar(timezone="Mars/Olympus")
