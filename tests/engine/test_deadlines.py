"""The deadline queue behind the absence and event-rule detectors."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from beffroi.engine.detectors.deadlines import DeadlineQueue


def test_pops_due_items_earliest_first_and_keeps_the_rest() -> None:
    queue = DeadlineQueue()
    queue.schedule("c", 30.5)
    queue.schedule("a", 10.2)
    queue.schedule("b", 10.9)
    assert queue.pop_due(10.5) == ["a"]
    assert queue.pop_due(10.5) == []
    assert queue.pop_due(31.0) == ["b", "c"]
    assert len(queue) == 0


def test_moving_and_cancelling_deadlines() -> None:
    queue = DeadlineQueue()
    queue.schedule("a", 10.0)
    queue.schedule("a", 50.0)
    queue.schedule("b", 10.0)
    queue.cancel("b")
    assert queue.pop_due(20.0) == []
    assert queue.deadline("a") == 50.0
    queue.schedule("a", 5.0)
    assert queue.pop_due(6.0) == ["a"]
    assert queue.pop_due(100.0) == []


def test_non_finite_deadlines_are_refused_and_odd_now_is_handled() -> None:
    queue = DeadlineQueue()
    with pytest.raises(ValueError, match="finite"):
        queue.schedule("a", float("nan"))
    queue.schedule("a", 1.0)
    assert queue.pop_due(float("nan")) == []
    assert queue.pop_due(float("-inf")) == []
    assert queue.pop_due(float("inf")) == ["a"]


@settings(max_examples=150, database=None, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["schedule", "cancel", "pop"]),
            st.sampled_from("abcdefgh"),
            st.floats(min_value=-50, max_value=50, allow_nan=False),
        ),
        max_size=80,
    )
)
def test_matches_a_plain_dictionary_model(operations: list[tuple[str, str, float]]) -> None:
    """Property: the queue pops exactly what a dict of deadlines says is due, in deadline order."""
    queue = DeadlineQueue(resolution_s=7.0)
    model: dict[str, float] = {}
    for operation, item, value in operations:
        if operation == "schedule":
            queue.schedule(item, value)
            model[item] = value
        elif operation == "cancel":
            queue.cancel(item)
            model.pop(item, None)
        else:
            expected = sorted((d, i) for i, d in model.items() if d <= value)
            popped = queue.pop_due(value)
            assert sorted(popped) == sorted(i for _, i in expected)
            assert [model[i] for i in popped] == sorted(model[i] for i in popped)
            for item_popped in popped:
                del model[item_popped]
        assert len(queue) == len(model)


def test_many_reschedules_do_not_leak_entries() -> None:
    queue = DeadlineQueue()
    rng = random.Random(3)
    for step in range(20_000):
        queue.schedule(f"item-{step % 100}", step + rng.uniform(0, 500))
    assert queue.backlog <= 20_000
    queue.pop_due(1e9)
    assert len(queue) == 0
    assert queue.backlog == 0
