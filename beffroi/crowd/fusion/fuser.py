"""Density fusion for many zones: observations in, one people count and density per zone out."""

from __future__ import annotations

import math
from collections.abc import Iterable

from beffroi.crowd.fusion.observations import (
    FusedZoneDensity,
    Observation,
    SourceKind,
    ZoneFlowObservation,
)
from beffroi.crowd.fusion.settings import FusionSettings, FusionZone
from beffroi.crowd.fusion.zone_filter import ZoneFilter
from beffroi.domain.registry import Zone

LEVEL_KINDS = frozenset({SourceKind.OCCUPANCY, SourceKind.VIDEO, SourceKind.MOBILE})
FLOW_KINDS = frozenset({SourceKind.COUNTER, SourceKind.TURNSTILE})


class DensityFusion:
    """Fuses every source's people counts per zone; observations of unknown zones or with bad values are refused
    (`add` returns False and `rejected` counts them by reason), never raised."""

    def __init__(self, zones: Iterable[Zone | FusionZone], settings: FusionSettings | None = None) -> None:
        self.settings = settings or FusionSettings()
        self._filters: dict[str, ZoneFilter] = {}
        self.rejected: dict[str, int] = {}
        for zone in zones:
            self.add_zone(zone)

    def add_zone(self, zone: Zone | FusionZone) -> None:
        """Fuse this zone from now on (a zone already known keeps its state; an area ≤ 0 is refused)."""
        spec = zone if isinstance(zone, FusionZone) else FusionZone.of(zone)
        if not (math.isfinite(spec.area_m2) and spec.area_m2 > 0):
            self._reject("zone_area")
            return
        self._filters.setdefault(spec.zone_id, ZoneFilter(spec, self.settings))

    @property
    def zone_ids(self) -> list[str]:
        """The zones fused."""
        return list(self._filters)

    def add(self, obs: Observation) -> bool:
        """Take one observation; False (and counted in `rejected`) when its zone is unknown or a value is bad."""
        zone = self._filters.get(obs.zone_id)
        if zone is None:
            return self._reject("unknown_zone")
        if not math.isfinite(obs.ts):
            return self._reject("bad_time")
        if isinstance(obs, ZoneFlowObservation):
            flows = (obs.entered, obs.left, obs.interval_s)
            if obs.kind not in FLOW_KINDS or not all(math.isfinite(v) and v >= 0 for v in flows):
                return self._reject("bad_flow")
            return zone.observe_flow(obs)
        if obs.kind not in LEVEL_KINDS:
            return self._reject("bad_kind")
        values = (obs.people, obs.upper_bound, obs.sd, obs.window_s)
        if not all(v is None or (math.isfinite(v) and v >= 0) for v in values):
            return self._reject("bad_count")
        if obs.covered_fraction is not None and not 0 < obs.covered_fraction <= 1:
            return self._reject("bad_fraction")
        if obs.sd is not None and obs.sd <= 0:
            return self._reject("bad_count")
        return zone.observe_count(obs)

    def add_all(self, observations: Iterable[Observation]) -> int:
        """Take many observations in order; the number taken."""
        return sum(self.add(obs) for obs in observations)

    def estimate(self, zone_id: str, now: float) -> FusedZoneDensity | None:
        """The zone's fused figure at `now`; None for an unknown zone or one nothing has reported on yet."""
        zone = self._filters.get(zone_id)
        if zone is None or zone.newest_ts is None:
            return None
        return zone.estimate(now)

    def estimates(self, now: float) -> list[FusedZoneDensity]:
        """Every zone's fused figure at `now`, for the zones something has reported on."""
        return [f.estimate(now) for f in self._filters.values() if f.newest_ts is not None]

    def _reject(self, reason: str) -> bool:
        self.rejected[reason] = self.rejected.get(reason, 0) + 1
        return False
