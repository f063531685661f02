"""Line crossing: inward/outward counts per line and period, debounced, from the tracks' foot steps."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from beffroi.errors import ConfigError
from beffroi.video.analytics.base import LegalBasis
from beffroi.video.analytics.line_crossing import LEFT, RIGHT, DirectedLine, LineCrossing
from tests.video.analytics.track_builders import (
    Scene,
    Walk,
    build_one,
    camera,
    events,
    line_counts,
    totals,
    zigzag,
)

GATE = ((0.2, 0.5), (0.8, 0.5))
"""Pixels (200, 500) → (800, 500): its right side ("in") is below it on screen."""


def analytic(settings: dict[str, Any] | None = None, **lines: Any) -> Any:
    lines = lines or {"gate": GATE}
    return build_one(camera({"line_crossing": {"lines": list(lines), **(settings or {})}}, lines=lines))


def test_right_and_left_are_as_seen_looking_from_a_to_b_with_y_down() -> None:
    across = DirectedLine((0.0, 0.0), (10.0, 0.0))  # drawn left to right on screen
    offsets = across.offsets(np.array([[5.0, 3.0], [5.0, -3.0], [20.0, 0.0]]))
    assert offsets.tolist() == pytest.approx([3.0, -3.0, 0.0])  # below on screen = right
    assert across.right_normal == pytest.approx((0.0, 1.0))
    down = DirectedLine((0.0, 0.0), (0.0, 10.0))  # drawn top to bottom: its right is the screen's left
    assert np.sign(down.offsets(np.array([[-4.0, 5.0], [4.0, 5.0]]))).tolist() == [RIGHT, LEFT]
    assert down.right_normal == pytest.approx((-1.0, 0.0))
    assert across.meets((5.0, -1.0), (5.0, 1.0)) and across.meets((10.0, -1.0), (10.0, 1.0))
    assert not across.meets((11.0, -1.0), (11.0, 1.0))


def test_one_person_crossing_down_counts_one_inward_after_the_debounce() -> None:
    counter, view = analytic()
    walk = Walk(1, [(0.0, 500.0, 300.0), (4.0, 500.0, 700.0)])  # crosses y=500 between t=2.0 and 2.2
    outputs = Scene(view, [walk]).play(counter, 6.0)
    counts = line_counts(outputs)
    assert [(round(c.ts, 6), c.inward, c.outward) for c in counts] == [
        (1.0, 0, 0),
        (2.0, 0, 0),
        (3.0, 0, 0),
        (4.0, 1, 0),  # crossed at 2.2, held for 1 s at 3.2
        (5.0, 0, 0),
        (6.0, 0, 0),
    ]
    assert {c.line for c in counts} == {"gate"} and {round(c.period_s, 6) for c in counts} == {1.0}
    assert events(outputs) == []  # counts only, never an event about a person


def test_crossings_both_ways_and_two_lines() -> None:
    counter, view = analytic(gate=GATE, side=((0.5, 0.2), (0.5, 0.8)))  # side: drawn downward, "in" is leftward
    down = Walk(1, [(0.0, 300.0, 300.0), (4.0, 300.0, 700.0)])
    up = Walk(2, [(0.0, 350.0, 700.0), (4.0, 350.0, 300.0)])
    leftward = Walk(3, [(0.0, 700.0, 400.0), (4.0, 300.0, 400.0)])  # crosses `side` only
    outputs = Scene(view, [down, up, leftward]).play(counter, 6.0)
    assert totals(outputs, "gate") == (1, 1)
    assert totals(outputs, "side") == (1, 0)


def test_walking_along_the_line_counts_nothing() -> None:
    counter, view = analytic()
    beside = Walk(1, [(0.0, 100.0, 510.0), (8.0, 900.0, 510.0)])
    on_it = Walk(2, [(0.0, 150.0, 500.0), (8.0, 850.0, 500.0)], jitter_px=8.0, seed=3)
    outputs = Scene(view, [beside, on_it]).play(counter, 9.0)
    assert totals(outputs, "gate") == (0, 0)


@pytest.mark.parametrize(("leave_to", "expected"), [(700.0, (1, 0)), (300.0, (0, 0))], ids=["settles-in", "back"])
def test_hovering_over_the_line_is_debounced(leave_to: float, expected: tuple[int, int]) -> None:
    counter, view = analytic()
    hover = zigzag(1, 500.0, 470.0, 530.0, 0.0, 0.4, 16)  # crosses every 0.4 s for 6.4 s, 30 px each side
    walk = Walk(1, [*hover, (hover[-1][0] + 2.0, 500.0, leave_to), (hover[-1][0] + 5.0, 500.0, leave_to)])
    outputs = Scene(view, [walk]).play(counter, 14.0)
    assert totals(outputs, "gate") == expected


def test_walking_round_the_end_of_the_line_is_not_a_crossing() -> None:
    counter, view = analytic()
    round_the_end = Walk(1, [(0.0, 300.0, 300.0), (2.0, 100.0, 450.0), (3.0, 100.0, 550.0), (5.0, 300.0, 700.0)])
    outputs = Scene(view, [round_the_end]).play(counter, 6.0)
    assert totals(outputs, "gate") == (0, 0)


def test_a_crossing_hidden_by_an_occlusion_still_counts() -> None:
    counter, view = analytic()
    walk = Walk(1, [(0.0, 500.0, 300.0), (4.0, 500.0, 700.0)], hidden=[(1.6, 2.8)])
    assert totals(Scene(view, [walk]).play(counter, 6.0), "gate") == (1, 0)


def test_a_track_ending_just_past_the_line_counts_once_it_went_past_the_margin() -> None:
    counter, view = analytic()
    past = Walk(1, [(0.0, 400.0, 300.0), (2.4, 400.0, 540.0)])  # last point 40 px past, ends before the debounce
    barely = Walk(2, [(0.0, 600.0, 700.0), (2.2, 600.0, 490.0)])  # ends 10 px past: under 0.2 × 100 px
    outputs = Scene(view, [past, barely]).play(counter, 4.0)
    assert totals(outputs, "gate") == (1, 0)


def test_a_crossing_while_tentative_counts_once_confirmed() -> None:
    counter, view = analytic()
    walk = Walk(1, [(0.0, 500.0, 480.0), (2.0, 500.0, 680.0)])
    outputs = Scene(view, [walk], tentative_frames=3).play(counter, 3.0)
    assert totals(outputs, "gate") == (1, 0)


def test_a_hundred_people_crossing_are_all_counted() -> None:
    counter, view = analytic()
    crowd = [
        Walk(i, [(0.05 * i, 210.0 + 5.8 * i, 380.0 + (i % 3) * 10.0), (0.05 * i + 3.0, 210.0 + 5.8 * i, 650.0)])
        for i in range(100)
    ]
    outputs = Scene(view, crowd).play(counter, 10.0)
    assert totals(outputs, "gate") == (100, 0)


def test_the_period_is_the_time_actually_elapsed() -> None:
    counter, view = analytic({"period_s": 2.5})
    counts = line_counts(Scene(view, []).play(counter, 8.0))
    assert [(round(c.ts, 6), round(c.period_s, 6)) for c in counts] == [(2.6, 2.6), (5.2, 2.6), (7.8, 2.6)]


def test_unknown_and_degenerate_lines_are_config_errors_naming_the_key() -> None:
    config = camera(
        {"line_crossing": {"lines": ["gate", "dot", "door"]}},
        lines={"gate": GATE, "dot": ((0.3, 0.3), (0.3, 0.3))},
    )
    with pytest.raises(ConfigError) as error:
        build_one(config)
    assert error.value.problems == [
        "analytics.line_crossing: lines: no line 'door' on camera cam-1",
        "analytics.line_crossing: lines: line 'dot' of camera cam-1 has both ends at the same place",
    ]


def test_every_line_is_counted_when_none_is_listed() -> None:
    counter, view = build_one(camera({"line_crossing": {}}, lines={"gate": GATE, "side": ((0.5, 0.2), (0.5, 0.8))}))
    assert [count.line for count in line_counts(Scene(view, []).play(counter, 1.0))] == ["gate", "side"]
    with pytest.raises(ConfigError) as error:
        build_one(camera({"line_crossing": {}}))
    assert error.value.problems == ["analytics.line_crossing: lines: camera cam-1 has no lines"]


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"lines": ["gate"], "period_s": 0}, "analytics.line_crossing.period_s"),
        ({"lines": ["gate"], "debounce_s": float("nan")}, "analytics.line_crossing.debounce_s"),
        ({"lines": ["gate"], "labels": []}, "analytics.line_crossing.labels"),
        ({"lines": "gate"}, "analytics.line_crossing.lines"),
        ({"lines": ["gate"], "every": 3}, "analytics.line_crossing.every"),
    ],
)
def test_bad_settings_name_their_key(settings: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as error:
        build_one(camera({"line_crossing": settings}, lines={"gate": GATE}))
    assert error.value.problems[0].startswith(key + ":")


def test_counting_needs_the_counting_basis_when_the_camera_lists_its_authorisation() -> None:
    settings = {"line_crossing": {"lines": ["gate"]}}
    counter, _ = build_one(camera(settings, lines={"gate": GATE}))  # no list: the decree's types and counting
    assert isinstance(counter, LineCrossing) and counter.legal_basis is LegalBasis.COUNTING
    with pytest.raises(ConfigError) as error:
        build_one(camera(settings, lines={"gate": GATE}, authorised=["forbidden_zone"]))
    assert error.value.problems == ["analytics.line_crossing: legal basis counting is not in `authorised`"]
