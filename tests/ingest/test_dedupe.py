"""The recent-id filter: remembers at least `capacity` ids per tenant, never holds more than twice that."""

from __future__ import annotations

import pytest

from beffroi.ingest.dedupe import DedupeFilter, RecentIds


def test_an_added_id_is_seen_until_forgotten() -> None:
    recent = RecentIds(capacity=10)
    assert "a" not in recent
    recent.add("a")
    assert "a" in recent
    recent.discard("a")
    assert "a" not in recent


def test_the_last_capacity_ids_are_always_remembered_and_memory_stays_bounded() -> None:
    capacity = 1000
    recent = RecentIds(capacity)
    for n in range(50_000):
        recent.add(f"id-{n}")
        assert len(recent) <= 2 * capacity
    assert all(f"id-{n}" in recent for n in range(50_000 - capacity, 50_000))
    assert "id-0" not in recent
    assert "id-40000" not in recent


def test_add_if_new_keeps_the_same_bounds_and_sees_both_generations() -> None:
    capacity = 1000
    recent = RecentIds(capacity)
    assert all(recent.add_if_new(f"id-{n}") for n in range(50_000))
    assert len(recent) <= 2 * capacity
    assert not any(recent.add_if_new(f"id-{n}") for n in range(50_000 - capacity, 50_000))
    assert recent.add_if_new("id-0"), "an id older than two generations is new again"


def test_discard_forgets_an_id_in_the_previous_generation_too() -> None:
    recent = RecentIds(capacity=2)
    recent.add("old")
    recent.add("x")
    recent.add("new")  # "old" and "x" move to the previous generation
    assert "old" in recent
    recent.discard("old")
    assert "old" not in recent
    assert "x" in recent
    assert "new" in recent


def test_add_if_new_says_whether_the_id_was_new() -> None:
    ids = DedupeFilter(capacity=10)
    assert ids.add_if_new("paris", "m-1")
    assert not ids.add_if_new("paris", "m-1")
    assert ids.add_if_new("lyon", "m-1")
    ids.discard("paris", "m-1")
    assert ids.add_if_new("paris", "m-1")


def test_tenants_are_separate_and_one_cannot_evict_another() -> None:
    ids = DedupeFilter(capacity=100)
    ids.add("paris", "m-1")
    assert ids.seen("paris", "m-1")
    assert not ids.seen("lyon", "m-1")
    for n in range(10_000):
        ids.add("lyon", f"flood-{n}")
    assert ids.seen("paris", "m-1")
    assert ids.size("lyon") <= 200
    assert ids.size("paris") == 1
    ids.discard("paris", "m-1")
    ids.discard("nobody", "m-1")
    assert not ids.seen("paris", "m-1")


@pytest.mark.parametrize("capacity", [0, -5])
def test_a_capacity_below_one_is_refused(capacity: int) -> None:
    with pytest.raises(ValueError, match="capacity must be at least 1"):
        RecentIds(capacity)
    with pytest.raises(ValueError, match="capacity must be at least 1"):
        DedupeFilter(capacity)
