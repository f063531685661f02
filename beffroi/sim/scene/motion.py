"""Who is in a synthetic scene and how they move: a person's route on the ground (walk, run, stand, fall, get up,
wander), their size and clothes, and the objects they carry and drop."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from beffroi.sim.scene.places import GroundXY, inside_polygon

MODES = ("standing", "walking", "running", "falling", "fallen", "rising")
"""What a person is doing, by code (the index in this tuple)."""
STANDING, WALKING, RUNNING, FALLING, FALLEN, RISING = range(len(MODES))
RUNNING_FROM_M_S = 2.5
"""A move at this speed or faster is running."""
BGR = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class _Segment:
    t0: float
    t1: float
    start: GroundXY
    end: GroundXY
    mode: int


@dataclass(frozen=True, slots=True)
class RouteSample:
    """A route sampled at n times: where (n × 2, metres), whether the person is in the scene, their mode code
    (see MODES), heading (radians, 0 = +x), distance walked so far (metres, drives the gait) and how far they have
    fallen (0 upright … 1 lying)."""

    xy: npt.NDArray[np.float64]
    present: npt.NDArray[np.bool_]
    mode: npt.NDArray[np.int8]
    heading: npt.NDArray[np.float64]
    distance: npt.NDArray[np.float64]
    fall: npt.NDArray[np.float64]


class Route:
    """A person's timed path on the ground, built step by step from where and when they appear; they leave the
    scene when the route ends."""

    def __init__(self, start_ts: float, start: GroundXY, heading_deg: float = 90.0) -> None:
        self.start_ts = start_ts
        self.segments: list[_Segment] = []
        self._position = start
        self._ts = start_ts
        self.initial_heading = math.radians(heading_deg)

    @property
    def end_ts(self) -> float:
        """When the route ends (the person leaves)."""
        return self._ts

    @property
    def position(self) -> GroundXY:
        """Where the route ends."""
        return self._position

    def _add(self, duration: float, end: GroundXY, mode: int) -> Route:
        if duration <= 0:
            return self
        self.segments.append(_Segment(self._ts, self._ts + duration, self._position, end, mode))
        self._ts += duration
        self._position = end
        return self

    def go_to(self, x: float, y: float, speed: float) -> Route:
        """Move in a straight line at `speed` m/s (running from 2.5 m/s)."""
        distance = math.hypot(x - self._position[0], y - self._position[1])
        mode = RUNNING if speed >= RUNNING_FROM_M_S else WALKING
        return self._add(distance / speed, (x, y), mode)

    def stand(self, seconds: float) -> Route:
        """Stand still."""
        return self._add(seconds, self._position, STANDING)

    def stand_until(self, ts: float) -> Route:
        """Stand still until time `ts` (nothing if it is already past)."""
        return self.stand(ts - self._ts)

    def fall(self, down_s: float, falling_s: float = 0.8) -> Route:
        """Fall forward (taking `falling_s`) and stay lying on the ground for `down_s`."""
        return self._add(falling_s, self._position, FALLING)._add(down_s, self._position, FALLEN)

    def rise(self, seconds: float = 1.5) -> Route:
        """Get up after a fall."""
        return self._add(seconds, self._position, RISING)

    def wander(
        self,
        rng: np.random.Generator,
        polygon: tuple[GroundXY, ...],
        seconds: float,
        speed: float = 0.6,
        pause_s: tuple[float, float] = (2.0, 8.0),
    ) -> Route:
        """Stroll between random points of a ground polygon, pausing at each, for about `seconds`."""
        points = np.array(polygon, dtype=np.float64)
        low, high = points.min(axis=0), points.max(axis=0)
        until = self._ts + seconds
        while self._ts < until:
            for _ in range(100):
                target = rng.uniform(low, high)
                if inside_polygon(target, polygon):
                    break
            self.go_to(float(target[0]), float(target[1]), speed)
            self.stand(min(float(rng.uniform(*pause_s)), max(until - self._ts, 0.0)))
        return self

    def sample(self, ts: npt.NDArray[np.float64]) -> RouteSample:
        """The route at times `ts`."""
        if not self.segments:
            raise ValueError("a route needs at least one step")
        t0 = np.array([s.t0 for s in self.segments])
        t1 = np.array([s.t1 for s in self.segments])
        starts = np.array([s.start for s in self.segments])
        ends = np.array([s.end for s in self.segments])
        modes = np.array([s.mode for s in self.segments], dtype=np.int8)
        lengths = np.hypot(*(ends - starts).T)
        walked = np.concatenate([[0.0], np.cumsum(lengths)])
        index = np.clip(np.searchsorted(t0, ts, side="right") - 1, 0, len(self.segments) - 1)
        fraction = np.clip((ts - t0[index]) / (t1[index] - t0[index]), 0.0, 1.0)
        xy = starts[index] + (ends[index] - starts[index]) * fraction[:, None]
        headings = self._headings(starts, ends, modes)
        mode = modes[index]
        fall = np.select(
            [mode == FALLING, mode == FALLEN, mode == RISING],
            [_ease(fraction), np.ones_like(fraction), 1.0 - _ease(fraction)],
            0.0,
        )
        present = (ts >= self.start_ts) & (ts <= self.end_ts)
        return RouteSample(xy, present, mode, headings[index], walked[index] + lengths[index] * fraction, fall)

    def _headings(
        self, starts: npt.NDArray[np.float64], ends: npt.NDArray[np.float64], modes: npt.NDArray[np.int8]
    ) -> npt.NDArray[np.float64]:
        headings = np.empty(len(modes))
        current = self.initial_heading
        for index, (start, end) in enumerate(zip(starts, ends, strict=True)):
            if np.hypot(*(end - start)) > 1e-9:
                current = math.atan2(end[1] - start[1], end[0] - start[0])
            headings[index] = current
        return headings

    def fall_intervals(self) -> list[tuple[float, float | None]]:
        """(start, end) of each fall: from when the person starts falling until they start getting up (None if they
        are still down when the route ends)."""
        intervals: list[tuple[float, float | None]] = []
        for index, segment in enumerate(self.segments):
            if segment.mode != FALLING:
                continue
            end: float | None = None
            for later in self.segments[index + 1 :]:
                if later.mode not in (FALLING, FALLEN):
                    end = later.t0
                    break
            intervals.append((segment.t0, end))
        return intervals


def _ease(fraction: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Accelerating at first (a fall), then settling."""
    return np.asarray(np.sin(fraction * math.pi / 2) ** 2, dtype=np.float64)


@dataclass(frozen=True, slots=True)
class Look:
    """A person's colours (BGR): top, trousers, skin and hair."""

    top: BGR
    bottom: BGR
    skin: BGR
    hair: BGR


@dataclass(frozen=True, slots=True)
class Person:
    """A person of the scene: id, route, height (1.5–1.95 m), shoulder width (~0.5 m) and look."""

    id: int
    route: Route = field(compare=False)
    height_m: float
    width_m: float
    look: Look


PropKind = Literal["bag", "box"]


@dataclass(frozen=True, slots=True)
class Prop:
    """An object a person carries and puts down at `drop_ts`, on their right; it then stays on the ground.
    `size_m` is (length, width, height)."""

    id: int
    kind: PropKind
    owner_id: int
    drop_ts: float
    size_m: tuple[float, float, float]
    colour: BGR


SKIN_TONES: tuple[BGR, ...] = ((189, 214, 241), (150, 185, 224), (112, 150, 198), (80, 110, 160), (55, 75, 110))
HAIR: tuple[BGR, ...] = ((20, 20, 25), (30, 45, 70), (40, 70, 110), (90, 140, 180), (160, 160, 165))
CLOTHES: tuple[BGR, ...] = (
    (40, 40, 40),
    (200, 200, 200),
    (150, 60, 30),
    (40, 40, 170),
    (60, 130, 60),
    (30, 140, 210),
    (120, 50, 110),
    (90, 90, 100),
    (180, 130, 60),
    (50, 180, 200),
    (20, 60, 120),
    (230, 230, 235),
)
TROUSERS: tuple[BGR, ...] = ((35, 35, 40), (110, 70, 40), (70, 70, 75), (140, 140, 150), (40, 60, 90), (30, 30, 90))


def random_look(rng: np.random.Generator) -> Look:
    """Clothes, skin and hair drawn at random."""

    def pick(palette: tuple[BGR, ...]) -> BGR:
        base = palette[int(rng.integers(len(palette)))]
        shift = rng.integers(-15, 16, size=3)
        b, g, r = (int(np.clip(channel + delta, 0, 255)) for channel, delta in zip(base, shift, strict=True))
        return (b, g, r)

    return Look(top=pick(CLOTHES), bottom=pick(TROUSERS), skin=pick(SKIN_TONES), hair=pick(HAIR))


def random_person(rng: np.random.Generator, person_id: int, route: Route) -> Person:
    """A person of random height (1.5–1.95 m), width (0.42–0.56 m) and look."""
    height = float(np.clip(rng.normal(1.72, 0.09), 1.5, 1.95))
    width = float(np.clip(rng.normal(0.49, 0.035), 0.42, 0.56)) * height / 1.72
    return Person(person_id, route, round(height, 3), round(width, 3), random_look(rng))
