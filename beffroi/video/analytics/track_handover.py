"""Handing what an analytic knows about a track over to the track that takes its place: a tracker loses people
(someone walks in front of them, two blobs merge then split) and finds them again under a new id. An analytic that
follows one person for a long time (a stay in a zone, a walk the wrong way) keeps its state for a while after the
track goes out of sight, and gives it to a new track that appears where the old one was last seen, soon after, at
about the same size. Position, time and size only: nothing about anyone's looks, no identity (decree n° 2023-828
and the EU AI Act forbid biometric identification; this is continuity of one anonymous track)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Generic, TypeVar

from beffroi.video.detections import Box
from beffroi.video.tracks import Track

StateT = TypeVar("StateT")

MAX_HEIGHT_RATIO = 1.5
"""The boxes of the old track and of the new one must have heights within this factor."""


@dataclass(slots=True)
class _Departed(Generic[StateT]):
    state: StateT
    box: Box
    ts: float


class Handover(Generic[StateT]):
    """States of tracks gone out of sight, kept `within_s` seconds from when each was last seen. `claim(box, ts)`
    gives a new track, first seen with `box` at `ts`, the state of the departed track whose last foot (the bottom
    centre of its box) is nearest, within `reach` box heights plus `speed` box heights per second since it was last
    seen, with heights alike; each state goes to one new track at most."""

    def __init__(self, within_s: float, reach: float = 0.5, speed: float = 0.5) -> None:
        if within_s < 0 or reach < 0 or speed < 0:
            raise ValueError("within_s, reach and speed must be >= 0")
        self.within_s = within_s
        self.reach = reach
        self.speed = speed
        self._departed: dict[int, _Departed[StateT]] = {}

    def __len__(self) -> int:
        return len(self._departed)

    def leave(self, track_id: int, state: StateT, box: Box, ts: float) -> None:
        """Keep the state of a track last seen at `ts` with `box` (again: the newest sighting wins)."""
        self._departed[track_id] = _Departed(state, box, ts)

    def back(self, track_id: int) -> StateT | None:
        """The state of a departed track that the tracker found again under its own id (None if it was given away
        or forgotten); it is no longer on offer."""
        departed = self._departed.pop(track_id, None)
        return None if departed is None else departed.state

    def take_over(self, track: Track) -> tuple[StateT, bool] | None:
        """The state a track an analytic does not follow yet gets: its own, found again (claimed False), else that
        of the departed track whose place it takes from its first sighting (claimed True); None when there is
        neither, or the track has no point yet."""
        if not track.history:
            return None
        state = self.back(track.id)
        if state is not None:
            return state, False
        first = track.history[0]
        claimed = self.claim(first.box, first.ts)
        return None if claimed is None else (claimed, True)

    def claim(self, box: Box, ts: float) -> StateT | None:
        """The state of the departed track a new track first seen with `box` at `ts` most likely continues (None:
        none is near enough); forgets the states older than `within_s`."""
        self.expire(ts)
        best: tuple[float, int] | None = None
        foot = box.foot
        for track_id, departed in self._departed.items():
            gap = ts - departed.ts
            if gap < 0:
                continue
            height = max(box.height, departed.box.height)
            if height > MAX_HEIGHT_RATIO * max(min(box.height, departed.box.height), 1e-9):
                continue
            distance = math.dist(foot, departed.box.foot) / height
            if distance <= self.reach + self.speed * gap and (best is None or distance < best[0]):
                best = (distance, track_id)
        if best is None:
            return None
        return self._departed.pop(best[1]).state

    def expire(self, ts: float) -> None:
        """Forget the states of tracks last seen more than `within_s` before `ts`."""
        old = [track_id for track_id, departed in self._departed.items() if ts - departed.ts > self.within_s]
        for track_id in old:
            del self._departed[track_id]
