"""Excessive density: the people per m² of each zone's ground area (through the ground plane's homography, or the
zone's `area_m2`), smoothed over a window, against the crowd-safety levels of DESIGN.md §5 (standing crowds
amber ≥ 3.5, red ≥ 4.7 p/m²; moving crowds amber ≥ 2, red ≥ 4). A zone's count is the larger of its tracks and
person detections, or, where the crowd is too packed for them, its occupancy estimate (the share of its ground the
crowd hides: `beffroi.video.occupancy`, `occupancy` settings). An event when the smoothed density has stayed at
amber or red for `dwell_s`, again when it worsens to red; a level re-arms once the density has stayed below it,
less the hysteresis, for `clear_s`. Event details say which method gave the count (`method`)."""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass, field
from typing import Annotated

import numpy as np
from pydantic import Field, ValidationInfo, field_validator

from beffroi.config_base import Section
from beffroi.errors import ConfigError
from beffroi.video.analytics.base import (
    AnalyticOutput,
    CameraView,
    CameraZone,
    FrameContext,
    LegalBasis,
    VideoEvent,
    register,
)
from beffroi.video.analytics.people_in_zones import ZonePeopleCounter, select_zones
from beffroi.video.detections import Box
from beffroi.video.occupancy import METHOD_DETECTIONS, METHOD_OCCUPANCY, OccupancySettings

KIND = "density"
EVENT_TYPE = "crowd_density"

Density = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class DensityLevels(Section):
    """Density levels in people per m²: for standing crowds, and for moving ones (lower: moving crowds turn
    critical sooner)."""

    standing_amber: Density = 3.5
    standing_red: Annotated[float, Field(gt=0, allow_inf_nan=False, validate_default=True)] = 4.7
    moving_amber: Density = 2.0
    moving_red: Annotated[float, Field(gt=0, allow_inf_nan=False, validate_default=True)] = 4.0

    @field_validator("standing_red", "moving_red")
    @classmethod
    def _red_above_amber(cls, red: float, info: ValidationInfo) -> float:
        amber_key = str(info.field_name).replace("red", "amber")
        amber = info.data.get(amber_key)
        if amber is not None and red <= amber:
            raise ValueError(f"must be above {amber_key} ({amber:g})")
        return red


class DensitySettings(Section):
    """Settings of the density analytic."""

    zones: list[str] | None = None
    """The zones watched; None watches every zone. Each needs an area (its `area_m2` or the camera's ground plane)."""
    window_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 10.0
    """The density is the mean count of this trailing window over the area; nothing is judged before one window."""
    levels: DensityLevels = DensityLevels()
    zone_levels: dict[str, DensityLevels] = Field(default_factory=dict)
    """Levels for particular zones, by zone name, instead of `levels`."""
    moving_speed_m_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 0.5
    """A crowd is moving when the median ground speed of its tracks reaches this (always standing without a ground
    plane)."""
    hysteresis: Annotated[float, Field(ge=0, allow_inf_nan=False, validate_default=True)] = 0.5
    """A level re-arms once the density has stayed below it minus this (p/m²) for `clear_s`."""
    clear_s: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 30.0
    lost_grace_s: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 1.0
    use_detections: bool = True
    """Count the person detections too, keeping the larger of tracks and detections (dense crowds merge tracks)."""
    dwell_s: Annotated[float, Field(ge=0, le=600, allow_inf_nan=False)] = 3.0
    """The smoothed density must stay at a level this long before the level is raised (a passing bunch is not an
    excessive density)."""
    occupancy: OccupancySettings = OccupancySettings()
    """When a dense zone is counted from the share of its ground the crowd hides (needs a ground plane)."""

    @field_validator("hysteresis")
    @classmethod
    def _hysteresis_below_levels(cls, hysteresis: float, info: ValidationInfo) -> float:
        every = [info.data.get("levels"), *info.data.get("zone_levels", {}).values()]
        ambers = [amber for levels in every if levels for amber in (levels.moving_amber, levels.standing_amber)]
        if ambers and hysteresis >= min(ambers):
            raise ValueError(f"must be below every amber level ({min(ambers):g} p/m²)")
        return hysteresis


class Level(enum.IntEnum):
    """A zone's density level."""

    NONE = 0
    AMBER = 1
    RED = 2


@dataclass(slots=True)
class _ZoneState:
    zone: CameraZone
    levels: DensityLevels
    samples: deque[tuple[float, int, float, bool]] = field(default_factory=deque)
    """(ts, count, median speed or nan, counted from occupancy) of the window's frames."""
    count_sum: int = 0
    occupancy_frames: int = 0
    raised: Level = Level.NONE
    below_since: dict[Level, float] = field(default_factory=dict)
    above_since: dict[Level, float] = field(default_factory=dict)
    """Since when the smoothed density has been at each level without a break."""


class DensityWatch:
    """Watches the density of zones; raises `crowd_density` events."""

    kind = KIND
    legal_basis = LegalBasis.EXCESSIVE_DENSITY
    uses_presence = True
    """Dense zones are counted from their occupancy: the pipeline keeps the presence mask for it."""

    def __init__(self, settings: DensitySettings, view: CameraView) -> None:
        zones = select_zones(view, settings.zones, KIND)
        problems = [
            f"zones: zone {zone.name!r} has no area: give it `area_m2` or the camera a ground plane"
            for zone in zones
            if not zone.area_m2
        ]
        names = {zone.name for zone in zones}
        problems += [
            f"zone_levels.{name}: not a watched zone (watched: {', '.join(sorted(names)) or 'none'})"
            for name in settings.zone_levels
            if name not in names
        ]
        if problems:
            raise ConfigError(f"analytics.{KIND}", problems)
        self.settings = settings
        self._has_ground = view.ground is not None
        self._counter = ZonePeopleCounter(
            zones,
            lost_grace_s=settings.lost_grace_s,
            use_detections=settings.use_detections,
            ground=view.ground,
            occupancy=settings.occupancy,
        )
        self._zones = [_ZoneState(zone, settings.zone_levels.get(zone.name, settings.levels)) for zone in zones]
        self._start: float | None = None

    def update(self, context: FrameContext) -> AnalyticOutput:
        """Add this frame's counts to the windows and judge each zone's smoothed density."""
        ts = context.ts
        if self._start is None:
            self._start = ts
        people, counts = self._counter.count(context)
        output = AnalyticOutput()
        for state, here in zip(self._zones, counts, strict=True):
            speeds = here.speeds(people)
            speed = float(np.median(speeds)) if len(speeds) else float("nan")
            occupied = here.method == METHOD_OCCUPANCY
            state.samples.append((ts, here.count, speed, occupied))
            state.count_sum += here.count
            state.occupancy_frames += occupied
            while state.samples[0][0] <= ts - self.settings.window_s + 1e-9:
                _, old_count, _, old_occupied = state.samples.popleft()
                state.count_sum -= old_count
                state.occupancy_frames -= old_occupied
            if ts - self._start < self.settings.window_s - 1e-6:
                continue
            event = self._judge(state, ts, people.low_confidence)
            if event is not None:
                output.events.append(event)
        return output

    def _judge(self, state: _ZoneState, ts: float, low_confidence: bool) -> VideoEvent | None:
        area = state.zone.area_m2
        assert area
        count = state.count_sum / len(state.samples)
        density = count / area
        known = [s[2] for s in state.samples if s[2] == s[2]]
        speed = float(np.median(known)) if known and self._has_ground else None
        moving = speed is not None and speed >= self.settings.moving_speed_m_s
        levels = state.levels
        amber, red = (
            (levels.moving_amber, levels.moving_red) if moving else (levels.standing_amber, levels.standing_red)
        )
        for reached, threshold in ((Level.AMBER, amber), (Level.RED, red)):
            if density >= threshold:
                state.above_since.setdefault(reached, ts)
            else:
                state.above_since.pop(reached, None)
        dwell = self.settings.dwell_s - 1e-9
        held = [reached for reached, since in state.above_since.items() if ts - since >= dwell]
        level = max(held, default=Level.NONE)
        for rearmed, threshold in ((Level.RED, red), (Level.AMBER, amber)):
            if state.raised < rearmed:
                continue
            if density < threshold - self.settings.hysteresis:
                since = state.below_since.setdefault(rearmed, ts)
                if ts - since >= self.settings.clear_s - 1e-9:
                    state.raised = Level(rearmed - 1)
                    state.below_since.pop(rearmed, None)
            else:
                state.below_since.pop(rearmed, None)
        if level <= state.raised:
            return None
        state.raised = level
        state.below_since.clear()
        bounds = state.zone.polygon.bounds
        method = METHOD_OCCUPANCY if 2 * state.occupancy_frames > len(state.samples) else METHOD_DETECTIONS
        return VideoEvent(
            type=EVENT_TYPE,
            ts=ts,
            analytic=KIND,
            legal_basis=LegalBasis.EXCESSIVE_DENSITY,
            confidence=0.5 if low_confidence else 0.9,
            zone=state.zone.name,
            boxes=(Box(*bounds),),
            details={
                "level": level.name.lower(),
                "density": round(density, 2),
                "count": round(count),
                "area_m2": round(area, 2),
                "moving": moving,
                "threshold": amber if level is Level.AMBER else red,
                "speed_m_s": None if speed is None else round(speed, 2),
                "method": method,
            },
        )


def _build(settings: DensitySettings, view: CameraView) -> DensityWatch:
    return DensityWatch(settings, view)


register(KIND, LegalBasis.EXCESSIVE_DENSITY, DensitySettings, _build)
