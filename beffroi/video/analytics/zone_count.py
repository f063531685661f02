"""Zone counting: the number of people in each zone, one anonymous count per zone every `period_s` (the median of
the period's frames), with the density when the zone's area is known. An aggregate: no event about a person."""

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


class ZoneCounting:
    """Counts people per zone; emits `ZoneCount`s once per period, at the period's end."""

    kind = KIND
    legal_basis = LegalBasis.COUNTING

    def __init__(self, settings: ZoneCountSettings, view: CameraView) -> None:
        self.settings = settings
        self._counter = ZonePeopleCounter(
            select_zones(view, settings.zones, KIND),
            lost_grace_s=settings.lost_grace_s,
            use_detections=settings.use_detections,
        )
        self._origin: float | None = None
        self._period = 0
        self._counts: list[list[int]] = [[] for _ in self._counter.zones]

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
        for counts, zone in zip(self._counts, zones, strict=True):
            counts.append(zone.count)
        return output

    def _finish_period(self) -> list[ZoneCount]:
        assert self._origin is not None
        end = self._origin + (self._period + 1) * self.settings.period_s
        finished = []
        for zone, counts in zip(self._counter.zones, self._counts, strict=True):
            if not counts:
                continue
            count = math.floor(float(np.median(counts)) + 0.5)
            density = None if not zone.area_m2 else count / zone.area_m2
            finished.append(ZoneCount(zone.name, end, count, density))
            counts.clear()
        return finished


def _build(settings: ZoneCountSettings, view: CameraView) -> ZoneCounting:
    return ZoneCounting(settings, view)


register(KIND, LegalBasis.COUNTING, ZoneCountSettings, _build)
