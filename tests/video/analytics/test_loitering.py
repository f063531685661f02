"""Loitering (outside the decree): a person staying in a zone longer than `dwell_s`, once per track and zone."""

from __future__ import annotations

from typing import Any

import pytest

from beffroi.errors import ConfigError
from beffroi.video.analytics.base import LegalBasis, VideoEvent
from beffroi.video.analytics.loitering import Loitering
from tests.video.analytics.track_builders import Scene, Walk, build_one, camera, events, square, still

BENCH = square(0.4, 0.4, 0.6, 0.6)
"""Pixels 400–600 in x and y."""
IN, OUT = (500.0, 500.0), (300.0, 300.0)
FPS = 2.0
AUTHORISED = ["outside_decree"]


def run(walks: list[Walk], until: float, settings: dict[str, Any] | None = None, **zones: Any) -> list[VideoEvent]:
    zones = zones or {"bench": BENCH}
    config = camera({"loitering": {"zones": list(zones), **(settings or {})}}, zones=zones, authorised=AUTHORISED)
    loitering, view = build_one(config)
    return events(Scene(view, walks, fps=FPS).play(loitering, until))


def path(track_id: int, *legs: tuple[float, float, tuple[float, float]], **kw: Any) -> Walk:
    """A walk standing at each leg's place from its start to its end time (moving in between)."""
    return Walk(track_id, [(t, *place) for start, end, place in legs for t in (start, end)], **kw)


@pytest.mark.parametrize(("stay_s", "expected"), [(119.5, []), (120.0, []), (125.0, [120.5])])
def test_a_stay_just_under_or_over_dwell(stay_s: float, expected: list[float]) -> None:
    found = run([still(1, *IN, 0.0, stay_s)], stay_s + 5.0)
    assert [event.ts for event in found] == pytest.approx(expected)


def test_the_event_carries_the_stay() -> None:
    found = run([still(9, *IN, 10.0, 200.0, score=0.6)], 200.0)
    assert len(found) == 1
    event = found[0]
    assert (event.type, event.analytic, event.legal_basis) == ("loitering", "loitering", LegalBasis.OUTSIDE_DECREE)
    assert event.ts == pytest.approx(130.5) and event.track_ids == (9,) and event.zone == "bench"
    assert event.confidence == pytest.approx(0.6)
    assert event.details["entered_at"] == pytest.approx(10.0) and event.details["dwell_s"] == pytest.approx(120.5)
    assert event.boxes[0].foot == pytest.approx(IN)


def test_once_per_track_and_zone() -> None:
    walk = path(1, (0.0, 300.0, IN), (300.5, 320.0, OUT), (320.5, 600.0, IN))
    found = run([walk], 600.0)
    assert [event.ts for event in found] == pytest.approx([120.5])


def test_a_short_excursion_keeps_the_stay_a_long_one_ends_it() -> None:
    short = path(1, (0.0, 100.0, IN), (100.5, 102.0, OUT), (102.5, 130.0, IN))  # 2 s out (max_exit_s 3)
    long = path(2, (0.0, 100.0, IN), (100.5, 110.5, OUT), (111.0, 240.0, IN))  # 10 s out: a new stay
    found = run([short, long], 240.0)
    assert [(event.track_ids, round(event.ts, 6)) for event in found] == [((1,), 120.5), ((2,), 231.5)]
    assert found[1].details["entered_at"] == pytest.approx(111.0)


def test_an_occlusion_keeps_the_stay() -> None:
    occluded = still(1, *IN, 0.0, 130.0, hidden=[(50.0, 56.0)])
    found = run([occluded], 200.0)
    assert [(event.track_ids, round(event.ts, 6)) for event in found] == [((1,), 120.5)]


def lost_then_found_as(new_id: int, at: tuple[float, float], after_s: float, height_px: float = 100.0) -> list[Walk]:
    """Someone on the bench from 0 s whom the tracker loses at 100 s (lost 1 s, then dropped) and finds again
    `after_s` later as a new track at `at`."""
    first = still(2, 450.0, 450.0, 0.0, 101.0, hidden=[(100.5, 101.0)])
    second = still(new_id, *at, 100.0 + after_s, 260.0, height_px=height_px)
    return [first, second]


def test_a_new_track_where_a_lost_one_was_carries_its_stay_on() -> None:
    found = run(lost_then_found_as(3, (460.0, 455.0), 1.0), 200.0)
    assert [(event.track_ids, round(event.ts, 6)) for event in found] == [((3,), 120.5)]  # as if never lost
    assert found[0].details["entered_at"] == pytest.approx(0.0)


@pytest.mark.parametrize(
    ("at", "after_s", "height_px", "settings"),
    [
        ((560.0, 450.0), 1.0, 100.0, {}),  # a person's height away
        ((455.0, 450.0), 4.5, 100.0, {}),  # after handover_s
        ((455.0, 450.0), 1.0, 40.0, {}),  # much smaller: someone else, further away
        ((455.0, 450.0), 1.0, 100.0, {"handover_s": 0}),  # handing over turned off
    ],
    ids=["far", "late", "smaller", "off"],
)
def test_a_new_track_elsewhere_later_or_of_another_size_starts_a_new_stay(
    at: tuple[float, float], after_s: float, height_px: float, settings: dict[str, Any]
) -> None:
    found = run(lost_then_found_as(3, at, after_s, height_px), 250.0, settings)
    assert [event.track_ids for event in found] == [(3,)]
    assert found[0].details["entered_at"] == pytest.approx(100.0 + after_s)


def test_a_lost_track_found_again_keeps_its_stay_and_gives_it_to_nobody() -> None:
    back = still(1, *IN, 0.0, 130.0, hidden=[(50.0, 51.0)])
    newcomer = still(5, 505.0, 500.0, 52.0, 100.0)  # arrives next to them after they are found again
    found = run([back, newcomer], 200.0)
    assert [(event.track_ids, round(event.ts, 6)) for event in found] == [((1,), 120.5)]


def test_passers_by_and_other_labels_do_not_loiter() -> None:
    passer = Walk(1, [(0.0, 100.0, 500.0), (300.0, 900.0, 500.0)])  # ~75 s on the bench: under dwell
    bag = still(2, *IN, 0.0, 300.0, label="object")
    assert run([passer, bag], 300.0) == []


def test_each_zone_has_its_own_stay() -> None:
    walk = path(1, (0.0, 150.0, IN), (150.5, 300.0, (800.0, 800.0)))
    found = run([walk], 300.0, {"dwell_s": 60}, bench=BENCH, lawn=square(0.7, 0.7, 0.9, 0.9))
    assert [(event.zone, round(event.ts, 6)) for event in found] == [("bench", 60.5), ("lawn", 211.0)]


def test_loitering_is_outside_the_decree_and_needs_an_explicit_authorisation() -> None:
    settings = {"loitering": {"zones": ["bench"]}}
    refusal = ["analytics.loitering: legal basis outside_decree is not in `authorised`"]
    for authorised in (None, ["forbidden_zone", "wrong_way", "counting"]):
        with pytest.raises(ConfigError) as error:
            build_one(camera(settings, zones={"bench": BENCH}, authorised=authorised))
        assert error.value.problems == refusal
    allowed, _ = build_one(camera(settings, zones={"bench": BENCH}, authorised=["outside_decree"]))
    assert isinstance(allowed, Loitering) and allowed.legal_basis is LegalBasis.OUTSIDE_DECREE


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"zones": ["bench", "hall"]}, "analytics.loitering: zones: no zone 'hall' on camera cam-1"),
        ({"zones": ["bench"], "dwell_s": 0}, "analytics.loitering.dwell_s:"),
        ({"zones": ["bench"], "max_exit_s": -1}, "analytics.loitering.max_exit_s:"),
        ({"zones": ["bench"], "handover_s": -1}, "analytics.loitering.handover_s:"),
        ({"zones": ["bench"], "dwell": 60}, "analytics.loitering.dwell:"),
    ],
)
def test_bad_settings_name_their_key(settings: dict[str, Any], problem: str) -> None:
    with pytest.raises(ConfigError) as error:
        build_one(camera({"loitering": settings}, zones={"bench": BENCH}, authorised=AUTHORISED))
    assert len(error.value.problems) == 1 and error.value.problems[0].startswith(problem)
