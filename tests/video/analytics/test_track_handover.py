"""Handing a lost track's state over: to the track itself when found again, else to the nearest new track that
appears soon where it was last seen at a similar size; once; never after `within_s`."""

from __future__ import annotations

import pytest

from beffroi.video.analytics.track_handover import Handover
from beffroi.video.detections import Box
from beffroi.video.tracks import Track, TrackPoint, TrackState


def standing(x: float, foot_y: float, height: float = 100.0) -> Box:
    return Box(x - 0.2 * height, foot_y - height, x + 0.2 * height, foot_y)


def test_a_new_track_where_a_lost_one_was_takes_its_state_once() -> None:
    handover: Handover[str] = Handover(within_s=3.0, reach=0.5, speed=0.5)
    handover.leave(1, "stay of 1", standing(100, 300), 10.0)
    handover.leave(2, "stay of 2", standing(400, 300), 10.0)
    assert len(handover) == 2
    assert handover.claim(standing(130, 305), 10.4) == "stay of 1"  # 0.3 heights away
    assert handover.claim(standing(110, 300), 10.6) is None  # given already; 2 is too far
    assert len(handover) == 1


def test_the_nearest_of_several_wins_and_the_reach_grows_with_time() -> None:
    handover: Handover[str] = Handover(within_s=3.0, reach=0.5, speed=0.5)
    handover.leave(1, "a", standing(100, 300), 10.0)
    handover.leave(2, "b", standing(160, 300), 10.0)
    assert handover.claim(standing(140, 300), 10.2) == "b"
    handover.leave(3, "c", standing(400, 300), 10.0)
    assert handover.claim(standing(490, 300), 10.2) is None  # 0.9 heights after 0.2 s: beyond 0.6
    assert handover.claim(standing(490, 300), 11.0) == "c"  # within 0.5 + 0.5 × 1 s


def test_old_sizes_unlike_and_earlier_sightings_are_not_handed_over() -> None:
    handover: Handover[str] = Handover(within_s=2.0)
    handover.leave(1, "a", standing(100, 300), 10.0)
    assert handover.claim(standing(100, 300, height=50), 10.2) is None  # half the size: someone further away
    assert handover.claim(standing(100, 300), 9.8) is None  # seen before the lost one was last seen: not it
    assert handover.claim(standing(100, 300), 12.5) is None  # too late, and forgotten
    assert len(handover) == 0


def test_a_track_found_again_gets_its_own_state_back() -> None:
    handover: Handover[str] = Handover(within_s=2.0)
    handover.leave(1, "a", standing(100, 300), 10.0)
    assert handover.back(2) is None
    assert handover.back(1) == "a"
    assert handover.claim(standing(100, 300), 10.2) is None


def test_negative_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="within_s, reach and speed"):
        Handover(within_s=-1.0)


def seen(track_id: int, box: Box, ts: float) -> Track:
    """A confirmed track first seen with `box` at `ts`."""
    return Track(track_id, "person", 0.9, TrackState.CONFIRMED, ts, ts, 1, [TrackPoint(ts, box)])


def test_taking_over_gives_a_track_its_own_state_first_else_a_claimed_one_said_so() -> None:
    handover: Handover[str] = Handover(within_s=3.0, reach=0.5, speed=0.5)
    handover.leave(1, "stay of 1", standing(100, 300), 10.0)
    handover.leave(2, "stay of 2", standing(400, 300), 10.0)
    assert handover.take_over(seen(2, standing(100, 300), 10.5)) == ("stay of 2", False)  # found again, anywhere
    assert handover.take_over(seen(7, standing(120, 300), 10.5)) == ("stay of 1", True)  # where 1 was lost
    assert handover.take_over(seen(8, standing(120, 300), 10.6)) is None
    handover.leave(3, "stay of 3", standing(100, 300), 11.0)
    assert handover.take_over(Track(9, "person", 0.9, TrackState.CONFIRMED, 11.1, 11.1, 1)) is None  # no point yet
