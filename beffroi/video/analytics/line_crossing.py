"""Counting of line crossings: how many confirmed tracks crossed each listed line inward and outward, every
`period_s`. Anonymous aggregates only (legal basis `counting`): no event is ever raised about a person.

Sides and direction, in image coordinates (x to the right, y DOWN, as the frame is shown on screen): looking along
the line from `a` to `b`, a point p is on the line's RIGHT when cross(b − a, p − a) =
(bx − ax)(py − ay) − (by − ay)(px − ax) > 0, on its LEFT when < 0. For a line drawn from a on the left of the screen
to b on its right, the right side is below the line on screen. Crossing from left to right is "in"
(`LineCount.inward`), from right to left is "out".

A crossing is a step of a track's foot (bottom centre of its box) between two consecutive points that meets the
drawn segment a–b (a walk around an end of the segment is not a crossing). It is counted once the foot has got
`margin_heights` box heights past the line and the track has stayed on its new side for `debounce_s` (or when the
track ends there): someone hovering over the line, or walking along it, counts nothing until they settle on one
side, and each track counts at most once per direction per line within `debounce_s`.

Settings (`[analytics.line_crossing]`): `lines` (names of the camera's lines; default: all of them), `labels`
(default ["person"]), `period_s` (default 1.0), `debounce_s` (default 1.0), `margin_heights` (default 0.2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Annotated

import numpy as np
import numpy.typing as npt
from pydantic import Field

from beffroi.config_base import Section
from beffroi.errors import ConfigError
from beffroi.video.analytics.base import (
    AnalyticOutput,
    CameraLine,
    CameraView,
    FrameContext,
    LegalBasis,
    LineCount,
    register,
)
from beffroi.video.analytics.zone_stays import TIME_TOLERANCE_S, points_after
from beffroi.video.detections import PERSON
from beffroi.video.tracks import TrackPoint, TrackState

KIND = "line_crossing"
RIGHT = 1
"""The side of a line where cross(b − a, p − a) > 0; crossing onto it is "in"."""
LEFT = -1


@dataclass(frozen=True, slots=True)
class DirectedLine:
    """A segment from `a` to `b` in pixels, with its sides: RIGHT (offset > 0) and LEFT (offset < 0)."""

    a: tuple[float, float]
    b: tuple[float, float]

    def offsets(self, points: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """The signed distance (pixels) of each of n points (n × 2) from the line: > 0 on its RIGHT, < 0 on its
        LEFT, 0 on it."""
        (ax, ay), (bx, by) = self.a, self.b
        cross = (bx - ax) * (points[:, 1] - ay) - (by - ay) * (points[:, 0] - ax)
        return np.asarray(cross / math.hypot(bx - ax, by - ay), dtype=np.float64)

    def meets(self, p: tuple[float, float], q: tuple[float, float]) -> bool:
        """Whether the step p → q, whose ends lie on opposite sides of the line, meets the segment a–b (ends
        included)."""
        (px, py), (qx, qy) = p, q
        dx, dy = qx - px, qy - py
        at_a = dx * (self.a[1] - py) - dy * (self.a[0] - px)
        at_b = dx * (self.b[1] - py) - dy * (self.b[0] - px)
        return at_a * at_b <= 0.0

    @property
    def right_normal(self) -> tuple[float, float]:
        """The unit vector at right angles to the line, pointing to its RIGHT side (the "in" direction)."""
        dx, dy = self.b[0] - self.a[0], self.b[1] - self.a[1]
        length = math.hypot(dx, dy)
        return (-dy / length, dx / length)


@dataclass(slots=True)
class LineSide:
    """Which side of one line a track is on, and a crossing not counted yet."""

    committed: int = 0
    """The side last counted (or first seen); 0 until the track has been seen off the line."""
    side: int = 0
    point: tuple[float, float] = (0.0, 0.0)
    """The last point seen off the line."""
    crossed_at: float | None = None
    """When the track crossed from `committed` to `side` through the segment; None when it is on `committed`."""
    deep: bool = False
    """Whether the foot got at least the margin past the line since that crossing."""

    def step(self, line: DirectedLine, ts: float, point: tuple[float, float], offset: float, margin: float) -> bool:
        """Take one point of the track, `offset` pixels from `line`; True when it crossed the segment to a new
        side."""
        side = RIGHT if offset > 0 else LEFT if offset < 0 else 0
        if side == 0:
            return False
        if self.side == 0:
            self.committed = self.side = side
            self.point = point
            return False
        crossed = False
        if side != self.side:
            crossed = line.meets(self.point, point)
            if side == self.committed:
                self.crossed_at = None
            elif crossed:
                self.crossed_at = ts
                self.deep = False
            else:
                self.committed = side
                self.crossed_at = None
            self.side = side
        if self.crossed_at is not None and abs(offset) >= margin:
            self.deep = True
        self.point = point
        return crossed

    def settle(self, ts: float, debounce_s: float) -> int:
        """The direction counted now (RIGHT = in, LEFT = out, 0 none): a crossing that went past the margin and
        that the track has held for `debounce_s`."""
        if self.crossed_at is None or not self.deep or ts - self.crossed_at < debounce_s - TIME_TOLERANCE_S:
            return 0
        return self._commit()

    def finish(self) -> int:
        """The direction of a crossing past the margin, not counted yet when the track ends (RIGHT, LEFT, 0)."""
        return 0 if self.crossed_at is None or not self.deep else self._commit()

    def _commit(self) -> int:
        self.committed = self.side
        self.crossed_at = None
        return self.side


class LineCrossingSettings(Section):
    """Which lines are counted, for which labels, how often counts are emitted, and the crossing debounce."""

    lines: Annotated[list[str], Field(min_length=1)] | None = None
    """Names of the camera's lines counted; None counts every line of the camera."""
    labels: Annotated[tuple[str, ...], Field(min_length=1)] = (PERSON,)
    """The track labels counted ("person", "object")."""
    period_s: Annotated[float, Field(gt=0.0, le=3600.0, allow_inf_nan=False)] = 1.0
    """One `LineCount` per line every period (the crossings counted since the previous one)."""
    debounce_s: Annotated[float, Field(ge=0.0, le=60.0, allow_inf_nan=False)] = 1.0
    """How long a track must stay on its new side for the crossing to count."""
    margin_heights: Annotated[float, Field(ge=0.0, le=5.0, allow_inf_nan=False)] = 0.2
    """How far past the line the foot must get for the crossing to count, in heights of the track's box."""


@dataclass(slots=True)
class _TrackSides:
    last_ts: float = -math.inf
    lines: list[LineSide] = field(default_factory=list)


class LineCrossing:
    """Counts inward and outward crossings of the listed lines; a `LineCount` per line every `period_s`."""

    kind = KIND
    legal_basis = LegalBasis.COUNTING

    def __init__(self, settings: LineCrossingSettings, lines: list[CameraLine]) -> None:
        self.settings = settings
        self.lines = lines
        self._geometry = [DirectedLine(line.a, line.b) for line in lines]
        self._labels = frozenset(settings.labels)
        self._tracks: dict[int, _TrackSides] = {}
        self._inward = [0] * len(lines)
        self._outward = [0] * len(lines)
        self._period_start: float | None = None

    def update(self, context: FrameContext) -> AnalyticOutput:
        """Take each confirmed track's new points; count settled crossings; emit the counts when a period is over."""
        live = {track.id for track in context.tracks}
        for gone in self._tracks.keys() - live:
            for index, side in enumerate(self._tracks.pop(gone).lines):
                self._count(index, side.finish())
        points: list[TrackPoint] = []
        states: list[_TrackSides] = []
        for track in context.tracks:
            if track.state is not TrackState.CONFIRMED or track.label not in self._labels:
                continue
            state = self._tracks.get(track.id)
            if state is None:
                state = self._tracks[track.id] = _TrackSides(lines=[LineSide() for _ in self.lines])
            fresh = points_after(track, state.last_ts)
            points += fresh
            states += [state] * len(fresh)
        if points:
            feet = np.array([point.box.foot for point in points], dtype=np.float64)
            offsets = np.stack([line.offsets(feet) for line in self._geometry], axis=1).tolist()
            debounce, margin = self.settings.debounce_s, self.settings.margin_heights
            for point, state, row, foot in zip(points, states, offsets, feet.tolist(), strict=True):
                state.last_ts = point.ts
                depth = margin * point.box.height
                for index, (line, side) in enumerate(zip(self._geometry, state.lines, strict=True)):
                    side.step(line, point.ts, (foot[0], foot[1]), row[index], depth)
                    self._count(index, side.settle(point.ts, debounce))
        return AnalyticOutput(line_counts=self._emit(context.ts))

    def _count(self, index: int, direction: int) -> None:
        if direction == RIGHT:
            self._inward[index] += 1
        elif direction == LEFT:
            self._outward[index] += 1

    def _emit(self, ts: float) -> list[LineCount]:
        if self._period_start is None:
            self._period_start = ts
        period = ts - self._period_start
        if period < self.settings.period_s - TIME_TOLERANCE_S:
            return []
        counts = [
            LineCount(line.name, ts, inward, outward, period)
            for line, inward, outward in zip(self.lines, self._inward, self._outward, strict=True)
        ]
        self._inward = [0] * len(self.lines)
        self._outward = [0] * len(self.lines)
        self._period_start = ts
        return counts


def lines_named(view: CameraView, names: list[str] | None, key: str = "lines") -> list[CameraLine]:
    """The camera's lines of those names (every line when None); ConfigError naming `key` for each name the camera
    lacks, a line drawn as a point, or a camera without lines."""
    camera = view.camera.id
    if names is None:
        names = list(view.lines)
        if not names:
            raise ConfigError(f"camera {camera}", [f"{key}: camera {camera} has no lines"])
    names = list(dict.fromkeys(names))
    problems = [f"{key}: no line {name!r} on camera {camera}" for name in names if name not in view.lines]
    problems += [
        f"{key}: line {name!r} of camera {camera} has both ends at the same place"
        for name in names
        if name in view.lines and view.lines[name].a == view.lines[name].b
    ]
    if problems:
        raise ConfigError(f"camera {camera}", problems)
    return [view.lines[name] for name in names]


def build(settings: LineCrossingSettings, view: CameraView) -> LineCrossing:
    """The analytic on a camera's view; ConfigError when a line is not the camera's."""
    return LineCrossing(settings, lines_named(view, settings.lines))


register(KIND, LegalBasis.COUNTING, LineCrossingSettings, build)
