"""Fruin's walkway levels of service from the flow per metre of width (people per metre per minute)."""

from __future__ import annotations

import bisect

FRUIN_BOUNDS = (23.0, 33.0, 49.0, 66.0, 82.0)
"""Lower bounds of B, C, D, E, and the upper bound of E (F is above 82 p/m/min), DESIGN.md §5."""
FRUIN_LETTERS = "ABCDEF"


def fruin_level(flow_per_m_min: float) -> str:
    """The walkway level A–F: A < 23, B 23–33, C 33–49, D 49–66, E 66–82, F > 82 p/m/min."""
    if flow_per_m_min > FRUIN_BOUNDS[-1]:
        return "F"
    return FRUIN_LETTERS[bisect.bisect_right(FRUIN_BOUNDS[:-1], flow_per_m_min)]


def fruin_rank(letter: str) -> int:
    """0 for A up to 5 for F."""
    return FRUIN_LETTERS.index(letter)


def flow_per_metre(flow_per_min: float, width_m: float) -> float:
    """People per metre of width per minute for a flow (people per minute) through a width (m)."""
    return flow_per_min / width_m


def fruin_with_hysteresis(current: str | None, flow_per_m_min: float, margin: float) -> str:
    """The level for this flow, kept at `current` while the flow stays less than `margin` below its lower bound
    (it rises at once, it falls only `margin` below a bound)."""
    raw = fruin_level(flow_per_m_min)
    if current is None or fruin_rank(raw) >= fruin_rank(current):
        return raw
    held = fruin_level(flow_per_m_min + margin)
    return held if fruin_rank(held) < fruin_rank(current) else current
