"""The known errors of each source and how fast a zone's crowd may change: the numbers the fusion weighs with."""

from __future__ import annotations

import math

import msgspec

from beffroi.crowd.fusion.observations import SourceKind
from beffroi.domain.registry import Zone


class FusionSettings(msgspec.Struct, frozen=True):
    """Errors and process noise of the density fusion. Relative figures are shares of the value (sources) or of
    the zone's scale (its capacity, else one person per m²) for the process.

    Process: the people present wander by `level_walk` × scale per √hour beyond what the rate explains, and the
    rate (people per hour) by `rate_walk` × scale per √hour, fading towards 0 with a memory of `rate_memory_s`.
    Counters: their running balance is read exactly (`counter_sd` people) but drifts from the people present by
    √(`counter_drift_var_per_passage` × passages) plus `counter_drift_walk` × scale per √hour; when a zone's
    counters were silent for `counter_gap_s` their balance restarts at the fused figure.
    Levels: sd² = (rel × people)² + abs²; video adds (`video_sampling_rel` × people)² × (1 − f) / f for a camera
    seeing the share f of the zone (`video_default_fraction` when unknown). A source's errors persist over its
    `*_memory_s`: figures closer together than that count as one (their variance times memory / interval).
    Late figures (mobile slots) are compared with the fused mean over their slot and the gap applied now, their
    variance grown by the process noise over their age; a withheld one is an upper bound when
    `use_suppressed_as_bound`. Memory per zone: `history_s` of fused figures every `history_step_s`, the flows of
    the last `flow_window_s`, at most `max_sources` sources (those silent `forget_source_after_s` are dropped).
    """

    level_walk: float = 0.04
    rate_walk: float = 1.5
    rate_memory_s: float = 1800.0
    counter_sd: float = 1.0
    counter_drift_var_per_passage: float = 0.5
    counter_drift_walk: float = 0.02
    counter_gap_s: float = 300.0
    occupancy_rel: float = 0.05
    occupancy_abs: float = 3.0
    video_rel: float = 0.10
    video_sampling_rel: float = 0.12
    video_abs: float = 3.0
    video_default_fraction: float = 0.1
    mobile_rel: float = 0.12
    mobile_abs: float = 20.0
    occupancy_memory_s: float = 300.0
    video_memory_s: float = 300.0
    mobile_memory_s: float = 1800.0
    use_suppressed_as_bound: bool = True
    flow_window_s: float = 120.0
    history_s: float = 3 * 3600.0
    history_step_s: float = 15.0
    forget_source_after_s: float = 3 * 3600.0
    max_sources: int = 32


class FusionZone(msgspec.Struct, frozen=True):
    """A zone as the fusion needs it: its ground area (m²) and capacity (people, 0 when unknown)."""

    zone_id: str
    area_m2: float
    capacity: int = 0

    @classmethod
    def of(cls, zone: Zone) -> FusionZone:
        """The fusion's view of a registry zone."""
        return cls(zone.id, zone.area_m2, zone.capacity)

    @property
    def scale(self) -> float:
        """The zone's size in people: its capacity, else one person per m² (at least 10)."""
        return float(self.capacity) if self.capacity > 0 else max(self.area_m2, 10.0)


def level_sd(settings: FusionSettings, kind: SourceKind, people: float, covered_fraction: float | None = None) -> float:
    """The standard deviation (people) of a level figure of `people` from a source of this kind."""
    people = abs(people)
    if kind is SourceKind.OCCUPANCY:
        return math.hypot(settings.occupancy_rel * people, settings.occupancy_abs)
    if kind is SourceKind.VIDEO:
        f = settings.video_default_fraction if covered_fraction is None else covered_fraction
        f = min(max(f, 1e-3), 1.0)
        sampling = settings.video_sampling_rel * people * math.sqrt((1.0 - f) / f)
        return math.sqrt((settings.video_rel * people) ** 2 + sampling**2 + settings.video_abs**2)
    if kind is SourceKind.MOBILE:
        return math.hypot(settings.mobile_rel * people, settings.mobile_abs)
    return math.hypot(settings.occupancy_rel * people, settings.occupancy_abs)


def error_memory_s(settings: FusionSettings, kind: SourceKind) -> float:
    """How long a source kind's error persists (seconds): its figures closer than that share one error."""
    if kind is SourceKind.VIDEO:
        return settings.video_memory_s
    if kind is SourceKind.MOBILE:
        return settings.mobile_memory_s
    return settings.occupancy_memory_s
