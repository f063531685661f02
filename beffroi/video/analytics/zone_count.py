"""Zone counting: the number of people in each zone, one anonymous count per zone every `period_s` (the median of
the period's frames), with the density when the zone's area is known and the method that gave it (tracks and
detections, or the occupancy estimate of a dense zone: `occupancy` settings). An aggregate: no event about a
person."""

from __future__ import annotations

import math
from typing import Annotated

import numpy as np
from pydantic import Field

from beffroi.config_base import Section
from beffroi.video.analytics.base import (
    AnalyticOutput,
    CameraView,
    FrameContext,
    LegalBasis,
    ZoneCount,
    register,
)
from beffroi.video.analytics.people_in_zones import ZonePeopleCounter, select_zones
from beffroi.video.occupancy import METHOD_DETECTIONS, METHOD_OCCUPANCY, OccupancySettings

KIND = "zone_count"


class ZoneCountSettings(Section):
    """Settings of zone counting."""

    zones: list[str] | None = None
    """The zones counted (names of the camera's zones); None counts every zone."""
    period_s: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 1.0
    """One count per zone per period: the median of the counts of the period's frames."""
    lost_grace_s: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 1.0
    """A track the tracker has lost still counts for this long (someone hidden a moment)."""
    use_detections: bool = True
    """Count the person detections too, keeping the larger of tracks and detections (dense crowds merge tracks)."""
    occupancy: OccupancySettings = OccupancySettings()
    """When a dense zone is counted from the share of its ground the crowd hides (needs a ground plane)."""


class ZoneCounting:
    """Counts people per zone; emits `ZoneCount`s once per period, at the period's end."""

    kind = KIND
    legal_basis = LegalBasis.COUNTING
    uses_presence = True
    """Dense zones are counted from their occupancy: the pipeline keeps the presence mask for it."""

    def __init__(self, settings: ZoneCountSettings, view: CameraView) -> None:
        self.settings = settings
        self._counter = ZonePeopleCounter(
            select_zones(view, settings.zones, KIND),
            lost_grace_s=settings.lost_grace_s,
            use_detections=settings.use_detections,
            ground=view.ground,
            occupancy=settings.occupancy,
        )
        self._origin: float | None = None
        self._period = 0
        self._counts: list[list[int]] = [[] for _ in self._counter.zones]
        self._occupied: list[int] = [0 for _ in self._counter.zones]
        """Per zone, how many of the period's frames were counted from the occupancy estimate."""

    def update(self, context: FrameContext) -> AnalyticOutput:
        """Count this frame; when it starts a new period, emit the finished period's counts."""
        output = AnalyticOutput()
        if self._origin is None:
            self._origin = context.ts
        period = math.floor((context.ts - self._origin) / self.settings.period_s + 1e-9)
        if period > self._period:
            output.zone_counts = self._finish_period()
            self._period = period
        _, zones = self._counter.count(context)
        for index, (counts, zone) in enumerate(zip(self._counts, zones, strict=True)):
            counts.append(zone.count)
            self._occupied[index] += zone.method == METHOD_OCCUPANCY
        return output

    def _finish_period(self) -> list[ZoneCount]:
        assert self._origin is not None
        end = self._origin + (self._period + 1) * self.settings.period_s
        finished = []
        for index, (zone, counts) in enumerate(zip(self._counter.zones, self._counts, strict=True)):
            if not counts:
                continue
            count = math.floor(float(np.median(counts)) + 0.5)
            density = None if not zone.area_m2 else count / zone.area_m2
            method = METHOD_OCCUPANCY if 2 * self._occupied[index] > len(counts) else METHOD_DETECTIONS
            finished.append(ZoneCount(zone.name, end, count, density, method))
            counts.clear()
            self._occupied[index] = 0
        return finished


def _build(settings: ZoneCountSettings, view: CameraView) -> ZoneCounting:
    return ZoneCounting(settings, view)


register(KIND, LegalBasis.COUNTING, ZoneCountSettings, _build)
