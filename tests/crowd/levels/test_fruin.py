"""Fruin walkway levels of service from the flow per metre of width (DESIGN.md §5)."""

from __future__ import annotations

import pytest

from beffroi.crowd.levels import flow_per_metre, fruin_level, fruin_with_hysteresis


@pytest.mark.parametrize(
    ("flow", "letter"),
    [
        (0.0, "A"),
        (22.9, "A"),
        (23.0, "B"),
        (32.9, "B"),
        (33.0, "C"),
        (48.9, "C"),
        (49.0, "D"),
        (65.9, "D"),
        (66.0, "E"),
        (82.0, "E"),
        (82.1, "F"),
        (200.0, "F"),
    ],
)
def test_levels_follow_the_design_table(flow: float, letter: str) -> None:
    assert fruin_level(flow) == letter


def test_flow_per_metre_of_width() -> None:
    assert flow_per_metre(180.0, 4.0) == 45.0
    assert fruin_level(flow_per_metre(180.0, 4.0)) == "C"


def test_a_level_rises_at_once_and_falls_only_a_margin_below_its_bound() -> None:
    letter = fruin_with_hysteresis(None, 50.0, 2.0)
    assert letter == "D"
    assert fruin_with_hysteresis(letter, 67.0, 2.0) == "E"  # up at once
    assert fruin_with_hysteresis("E", 65.0, 2.0) == "E"  # 1 below 66: held
    assert fruin_with_hysteresis("E", 63.9, 2.0) == "D"  # more than 2 below: down
    assert fruin_with_hysteresis("E", 20.0, 2.0) == "A"  # a collapse goes all the way down
