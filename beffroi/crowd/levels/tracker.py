"""Each zone's level of service over time from its fused figures: thresholds with hysteresis and dwell times."""

from __future__ import annotations

from collections.abc import Iterable

from beffroi.crowd.fusion.observations import FusedZoneDensity
from beffroi.crowd.levels.changes import LEVEL_ORDER, CrowdLevel, LevelChange
from beffroi.crowd.levels.fruin import flow_per_metre, fruin_rank, fruin_with_hysteresis
from beffroi.crowd.levels.thresholds import ZoneLevelConfig


class ZoneLevel:
    """The level of one zone: raised when a level's condition held `raise_after_s`, lowered when the current
    level's clear condition failed `clear_after_s` and the level was held `min_dwell_s`."""

    def __init__(self, config: ZoneLevelConfig) -> None:
        self.config = config
        self.level = CrowdLevel.NORMAL
        self.fruin_level: str | None = None
        self.flow_per_m_min: float | None = None
        self._entered_at: float | None = None
        self._above_since: dict[CrowdLevel, float | None] = {CrowdLevel.AMBER: None, CrowdLevel.RED: None}
        self._below_since: float | None = None

    def update(self, fused: FusedZoneDensity) -> LevelChange | None:
        """Judge one fused figure (in time order); the change of level it makes, if any."""
        config, t = self.config, fused.ts
        density = fused.density + config.sigmas * fused.density_sd
        self._update_flow(fused)
        for level in (CrowdLevel.AMBER, CrowdLevel.RED):
            if self._enters(level, density):
                since = self._above_since[level]
                self._above_since[level] = t if since is None else since
            else:
                self._above_since[level] = None
        rank = LEVEL_ORDER.index(self.level)
        for level in (CrowdLevel.RED, CrowdLevel.AMBER):
            since = self._above_since[level]
            if LEVEL_ORDER.index(level) > rank and since is not None and t - since >= config.raise_after_s:
                return self._change(level, fused, density, rising=True)
        if self.level is CrowdLevel.NORMAL or self._stays(self.level, density):
            self._below_since = None
            return None
        self._below_since = t if self._below_since is None else self._below_since
        held = t - (self._entered_at if self._entered_at is not None else t)
        if t - self._below_since < config.clear_after_s or held < config.min_dwell_s:
            return None
        lower = CrowdLevel.AMBER if self.level is CrowdLevel.RED and self._stays(CrowdLevel.AMBER, density) else None
        return self._change(lower or CrowdLevel.NORMAL, fused, density, rising=False)

    def _update_flow(self, fused: FusedZoneDensity) -> None:
        width = self.config.width_m
        if width is None or fused.flow_per_min is None:
            self.flow_per_m_min = None
            self.fruin_level = None
            return
        self.flow_per_m_min = flow_per_metre(fused.flow_per_min, width)
        self.fruin_level = fruin_with_hysteresis(self.fruin_level, self.flow_per_m_min, self.config.fruin_margin)

    def _flow_reaches(self, level: CrowdLevel) -> bool:
        letter = self.config.fruin_red if level is CrowdLevel.RED else self.config.fruin_amber
        return (
            letter is not None and self.fruin_level is not None and fruin_rank(self.fruin_level) >= fruin_rank(letter)
        )

    def _density_threshold(self, level: CrowdLevel, *, clear: bool) -> float:
        th = self.config.thresholds
        if level is CrowdLevel.RED:
            return th.red_clear if clear else th.red
        return th.amber_clear if clear else th.amber

    def _enters(self, level: CrowdLevel, density: float) -> bool:
        return density >= self._density_threshold(level, clear=False) or self._flow_reaches(level)

    def _stays(self, level: CrowdLevel, density: float) -> bool:
        return density >= self._density_threshold(level, clear=True) or self._flow_reaches(level)

    def _change(self, level: CrowdLevel, fused: FusedZoneDensity, density: float, *, rising: bool) -> LevelChange:
        previous = self.level
        if rising:
            by_density = density >= self._density_threshold(level, clear=False)
            by_flow = self._flow_reaches(level)
            cause = "density+flow" if by_density and by_flow else ("density" if by_density else "flow")
            threshold = self._density_threshold(level, clear=False)
        else:
            cause = "cleared"
            threshold = self._density_threshold(previous, clear=True)
        self.level = level
        self._entered_at = fused.ts
        self._below_since = None
        return LevelChange(
            zone_id=fused.zone_id,
            ts=fused.ts,
            level=level,
            previous=previous,
            cause=cause,
            posture=self.config.posture,
            threshold=threshold,
            density=fused.density,
            density_sd=fused.density_sd,
            people=fused.people,
            people_sd=fused.people_sd,
            fruin_level=self.fruin_level,
            flow_per_m_min=self.flow_per_m_min,
            newest_observation_ts=fused.newest_observation_ts,
            sources=fused.sources,
        )


class ServiceLevels:
    """The levels of service of every configured zone; figures of other zones are ignored."""

    def __init__(self, configs: Iterable[ZoneLevelConfig]) -> None:
        self._zones = {config.zone_id: ZoneLevel(config) for config in configs}

    def update(self, fused: FusedZoneDensity) -> LevelChange | None:
        """Judge one fused figure; the level change it makes, if any."""
        zone = self._zones.get(fused.zone_id)
        return None if zone is None else zone.update(fused)

    def update_all(self, figures: Iterable[FusedZoneDensity]) -> list[LevelChange]:
        """Judge many figures; the changes they make, in order."""
        return [change for fused in figures if (change := self.update(fused)) is not None]

    def level(self, zone_id: str) -> CrowdLevel | None:
        """A zone's current level (None for a zone not configured)."""
        zone = self._zones.get(zone_id)
        return None if zone is None else zone.level

    def fruin_level(self, zone_id: str) -> str | None:
        """A zone's current Fruin walkway level (None without a width or a flow)."""
        zone = self._zones.get(zone_id)
        return None if zone is None else zone.fruin_level
