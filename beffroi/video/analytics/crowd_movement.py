"""Crowd movement: a sudden change of the flow of the people in a zone (or the whole frame). Three kinds:
`running` (the median speed of at least `min_people` rises to running, or to `jump_factor` × its recent baseline),
`direction_change` (the dominant direction turns more than `turn_deg` within `change_s`), and `dispersal` (people
suddenly moving away from a common point). Speeds are ground speeds with a ground plane; without one they are
estimated from box heights per second (a standing person ≈ 1.7 m) and events say so (`speed_basis`). Nothing is
judged in the first `change_s` + `smooth_s` of analysis: a change needs a before."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated

import numpy as np
import shapely
from pydantic import Field

from beffroi.config_base import Section
from beffroi.domain.observations import AttributeValue
from beffroi.video.analytics.base import AnalyticOutput, CameraView, FrameContext, LegalBasis, VideoEvent, register
from beffroi.video.analytics.people_in_zones import (
    SPEED_BASIS_BODY,
    SPEED_BASIS_GROUND,
    FloatArray,
    IntArray,
    foot_points,
    inside,
    select_zones,
    track_speeds,
    union_box,
)
from beffroi.video.detections import PERSON
from beffroi.video.tracks import Track, TrackState

KIND = "crowd_movement"
EVENT_TYPE = "crowd_movement"

Seconds = Annotated[float, Field(gt=0, allow_inf_nan=False)]
Speed = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class CrowdMovementSettings(Section):
    """Settings of the crowd-movement analytic (speeds in m/s)."""

    zones: list[str] | None = None
    """The zones watched, each on its own; None watches the whole frame as one crowd."""
    min_people: Annotated[int, Field(ge=2)] = 5
    """Fewer confirmed person tracks than this in a zone is no crowd: nothing is judged."""
    run_speed_m_s: Speed = 2.5
    jump_factor: Annotated[float, Field(gt=1, allow_inf_nan=False)] = 3.0
    """A median speed this many times its baseline is running too, if it reaches `min_jump_speed_m_s`."""
    min_jump_speed_m_s: Speed = 1.8
    baseline_s: Seconds = 30.0
    """The baseline speed is the median over this window, ending `change_s` ago."""
    change_s: Seconds = 3.0
    """How sudden a change must be: the flow now is compared with the flow this long ago."""
    smooth_s: Seconds = 1.0
    """The flow now is the median (speed) or the mean (direction, dispersal) of this last window."""
    moving_speed_m_s: Speed = 0.5
    """Slower people have no direction: they count for the speed, not for direction or dispersal."""
    turn_deg: Annotated[float, Field(gt=0, lt=180)] = 90.0
    min_coherence: Annotated[float, Field(gt=0, le=1)] = 0.6
    """A crowd has a dominant direction when the mean of its unit velocities is at least this long."""
    dispersal_score: Annotated[float, Field(gt=0, le=1)] = 0.8
    """Dispersal: the mean cosine between each velocity and the way out from the common point reaches this."""
    dispersal_speed_m_s: Speed = 1.5
    cooldown_s: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 30.0
    """After an event, the zone stays quiet this long."""


@dataclass(frozen=True, slots=True)
class _Sample:
    ts: float
    speed: float
    """Median speed of the zone's people (nan: fewer than `min_people`)."""
    direction: tuple[float, float] | None
    """Unit dominant direction (None: too few moving or no dominant direction)."""
    dispersal: float
    """Dispersal score (nan: too few moving)."""
    centre: tuple[float, float] | None
    """The point they move away from (ground metres with a ground plane, else pixels; None: parallel flow)."""


@dataclass(slots=True)
class _Flow:
    name: str | None
    polygon: shapely.Polygon | None
    samples: deque[_Sample] = field(default_factory=deque)
    last_event: float | None = None


@dataclass(frozen=True, slots=True)
class _People:
    tracks: list[Track]
    feet: FloatArray
    positions: FloatArray
    """Ground points (m) with a ground plane, else foot points (px)."""
    velocities: FloatArray
    """Ground velocities (m/s) with a ground plane, else image velocities (px/s)."""
    speeds: FloatArray
    """m/s (estimated from box heights without a ground plane)."""


def dispersal(positions: FloatArray, units: FloatArray) -> tuple[float, FloatArray | None]:
    """How much people at `positions` moving along `units` move away from one common point: the mean cosine between
    each direction and the way out from the point that best meets every path (least squares), and the point.
    0 and None when the directions are too alike to meet anywhere (a parallel flow)."""
    normals = np.stack([-units[:, 1], units[:, 0]], axis=1)
    matrix = normals.T @ normals / len(units)
    if np.linalg.eigvalsh(matrix)[0] < 0.1:
        return 0.0, None
    target = (normals * np.sum(normals * positions, axis=1, keepdims=True)).mean(axis=0)
    centre = np.linalg.solve(matrix, target)
    outward = positions - centre
    distance = np.hypot(outward[:, 0], outward[:, 1])
    keep = distance > 1e-9
    if not keep.any():
        return 0.0, None
    cosines = np.sum(units[keep] * outward[keep], axis=1) / distance[keep]
    return float(cosines.mean()), centre


class CrowdMovementWatch:
    """Watches the flow of the crowd per zone (or in the whole frame); raises `crowd_movement` events."""

    kind = KIND
    legal_basis = LegalBasis.CROWD_MOVEMENT

    def __init__(self, settings: CrowdMovementSettings, view: CameraView) -> None:
        self.settings = settings
        self.view = view
        self._start: float | None = None
        if settings.zones is None:
            self._flows = [_Flow(None, None)]
        else:
            self._flows = []
            for zone in select_zones(view, settings.zones, KIND):
                polygon = shapely.from_wkb(shapely.to_wkb(zone.polygon))
                shapely.prepare(polygon)
                self._flows.append(_Flow(zone.name, polygon))

    def update(self, context: FrameContext) -> AnalyticOutput:
        """Add this frame's flow to each zone's history and look for a sudden change."""
        if self._start is None:
            self._start = context.ts
        warming_up = context.ts - self._start < self.settings.change_s + self.settings.smooth_s
        people = self._people(context)
        output = AnalyticOutput()
        for flow in self._flows:
            members = (
                np.arange(len(people.tracks))
                if flow.polygon is None
                else np.flatnonzero(inside(flow.polygon, people.feet))
            )
            moving = self._sample(flow, context.ts, people, members)
            quiet = warming_up or (
                flow.last_event is not None and context.ts - flow.last_event < self.settings.cooldown_s
            )
            if not quiet:
                event = self._judge(flow, context.ts, people, members, moving)
                if event is not None:
                    flow.last_event = context.ts
                    output.events.append(event)
        return output

    def _people(self, context: FrameContext) -> _People:
        tracks = [t for t in context.tracks if t.label == PERSON and t.state is TrackState.CONFIRMED]
        has_ground = self.view.ground is not None
        feet = foot_points(t.box for t in tracks)
        if has_ground:
            positions = np.array([t.ground or (math.nan, math.nan) for t in tracks], dtype=np.float64).reshape(-1, 2)
            velocities = np.array(
                [t.ground_velocity or (math.nan, math.nan) for t in tracks], dtype=np.float64
            ).reshape(-1, 2)
        else:
            positions = feet
            velocities = np.array([t.velocity for t in tracks], dtype=np.float64).reshape(-1, 2)
        return _People(tracks, feet, positions, velocities, track_speeds(tracks, has_ground))

    def _sample(self, flow: _Flow, ts: float, people: _People, members: IntArray) -> IntArray:
        """Record the zone's flow now; return the members moving fast enough to have a direction."""
        settings = self.settings
        speeds = people.speeds[members]
        known = speeds[~np.isnan(speeds)]
        speed = float(np.median(known)) if len(known) >= settings.min_people else math.nan
        moving = members[speeds >= settings.moving_speed_m_s]
        direction: tuple[float, float] | None = None
        score, centre = math.nan, None
        if len(moving) >= settings.min_people:
            units = _units(people.velocities[moving])
            mean = units.mean(axis=0)
            coherence = float(np.hypot(*mean))
            if coherence >= settings.min_coherence:
                direction = (float(mean[0] / coherence), float(mean[1] / coherence))
            score, point = dispersal(people.positions[moving], units)
            centre = None if point is None else (float(point[0]), float(point[1]))
        flow.samples.append(_Sample(ts, speed, direction, score, centre))
        horizon = ts - settings.baseline_s - settings.change_s - settings.smooth_s
        while flow.samples[0].ts < horizon:
            flow.samples.popleft()
        return moving

    def _window(self, flow: _Flow, start: float, end: float) -> list[_Sample]:
        return [s for s in flow.samples if start < s.ts <= end + 1e-9]

    def _judge(self, flow: _Flow, ts: float, people: _People, members: IntArray, moving: IntArray) -> VideoEvent | None:
        settings = self.settings
        now = self._window(flow, ts - settings.smooth_s, ts)
        then_end = ts - settings.change_s
        before = self._window(flow, then_end - settings.smooth_s, then_end)
        baseline_samples = [s.speed for s in self._window(flow, ts - settings.baseline_s, then_end)]
        speed_now = _median([s.speed for s in now], len(now))
        baseline = _median(baseline_samples, len(baseline_samples))
        kinds: list[str] = []
        details: dict[str, AttributeValue] = {}
        score_now = _mean([s.dispersal for s in now], len(now))
        score_before = _mean([s.dispersal for s in before], 1)
        if (
            score_now is not None
            and score_now >= settings.dispersal_score
            and speed_now is not None
            and speed_now >= settings.dispersal_speed_m_s
            and (score_before is None or score_before < settings.dispersal_score)
        ):
            kinds.append("dispersal")
            details["dispersal_score"] = round(score_now, 2)
            centre = now[-1].centre
            if centre is not None:
                x, y = centre
                if self.view.ground is not None:
                    x, y = self.view.ground.to_image(x, y)
                details["centre_x"], details["centre_y"] = round(x, 1), round(y, 1)
        if speed_now is not None and (
            (speed_now >= settings.run_speed_m_s and (baseline is None or baseline < settings.run_speed_m_s))
            or (
                baseline is not None
                and speed_now >= settings.jump_factor * baseline
                and speed_now >= settings.min_jump_speed_m_s
            )
        ):
            kinds.append("running")
        direction_now = _mean_direction([s.direction for s in now], len(now))
        direction_before = _mean_direction([s.direction for s in before], len(before))
        if direction_now is not None and direction_before is not None:
            cosine = float(np.clip(np.dot(direction_now, direction_before), -1.0, 1.0))
            turn = math.degrees(math.acos(cosine))
            if turn > settings.turn_deg:
                kinds.append("direction_change")
                details["turn_deg"] = round(turn, 1)
        if not kinds:
            return None
        involved = members if kinds[0] == "running" else moving
        tracks = [people.tracks[i] for i in involved]
        speeds = people.speeds[involved]
        speeds = speeds[~np.isnan(speeds)]
        box = union_box(t.box for t in tracks)
        details |= {
            "kind": kinds[0],
            "kinds": ",".join(kinds),
            "people": len(members),
            "speed_m_s": None if speed_now is None else round(speed_now, 2),
            "baseline_speed_m_s": None if baseline is None else round(baseline, 2),
            "speed_p90_m_s": round(float(np.percentile(speeds, 90)), 2) if len(speeds) else None,
            "speed_basis": SPEED_BASIS_GROUND if self.view.ground is not None else SPEED_BASIS_BODY,
        }
        return VideoEvent(
            type=EVENT_TYPE,
            ts=ts,
            analytic=KIND,
            legal_basis=LegalBasis.CROWD_MOVEMENT,
            confidence=0.7 if self.view.ground is not None else 0.5,
            track_ids=tuple(t.id for t in tracks),
            zone=flow.name,
            boxes=() if box is None else (box,),
            details=details,
        )


def _units(velocities: FloatArray) -> FloatArray:
    return velocities / np.hypot(velocities[:, 0], velocities[:, 1])[:, None]


def _median(values: Sequence[float], window: int) -> float | None:
    """The median of the known values, when they are at least half of a window of `window` (and one)."""
    known = [v for v in values if not math.isnan(v)]
    return float(np.median(known)) if known and 2 * len(known) >= window else None


def _mean(values: Sequence[float], window: int) -> float | None:
    known = [v for v in values if not math.isnan(v)]
    return float(np.mean(known)) if known and 2 * len(known) >= window else None


def _mean_direction(directions: Sequence[tuple[float, float] | None], window: int) -> FloatArray | None:
    """The unit mean of the known directions, when they are at least half of the window's and agree."""
    known = [d for d in directions if d is not None]
    if not known or 2 * len(known) < window:
        return None
    mean = np.mean(np.array(known), axis=0)
    length = float(np.hypot(*mean))
    return None if length < 0.5 else np.asarray(mean / length, dtype=np.float64)


def _build(settings: CrowdMovementSettings, view: CameraView) -> CrowdMovementWatch:
    return CrowdMovementWatch(settings, view)


register(KIND, LegalBasis.CROWD_MOVEMENT, CrowdMovementSettings, _build)
