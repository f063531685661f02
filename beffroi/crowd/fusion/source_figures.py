"""What each kind of source alone says of a zone's people, next to the fused figure they feed.

The fusion keeps weights, not the sources' own figures; `FigureKeepingFusion` is the fusion that also keeps each
level source's newest figure (occupancy, video, mobile: whole-zone counts) so that a chart can draw one line per
kind of source under the fused one. Gate counters have no count of their own: their running balance starts from the
fused figure and drifts, so it tells the changes, not the people present.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from beffroi.crowd.fusion.fuser import DensityFusion
from beffroi.crowd.fusion.observations import (
    FusedZoneDensity,
    Observation,
    SourceKind,
    ZoneCountObservation,
)
from beffroi.crowd.fusion.settings import FusionSettings, FusionZone
from beffroi.domain.registry import Zone


class SourceFigure(msgspec.Struct, frozen=True):
    """The people one kind of source says a zone holds, at the time of its newest figure, and its weight (its share of
    the fused figure's precision, 0–1)."""

    kind: SourceKind
    people: float
    ts: float
    weight: float


class SourceFigures:
    """The newest figure of each level source per zone (withheld mobile figures give none)."""

    def __init__(self) -> None:
        self._latest: dict[str, dict[str, tuple[float, float]]] = {}

    def record(self, observation: Observation) -> None:
        """Keep the figure of a level observation the fusion took (flows and withheld figures are no figures)."""
        if not isinstance(observation, ZoneCountObservation) or observation.people is None:
            return
        zone = self._latest.setdefault(observation.zone_id, {})
        before = zone.get(observation.source)
        if before is None or observation.ts >= before[0]:
            zone[observation.source] = (observation.ts, observation.people)

    def by_kind(self, figure: FusedZoneDensity) -> dict[SourceKind, SourceFigure]:
        """Per kind of level source behind `figure`: its sources' newest figures averaged by their weights. Gate
        counters give none (they carry changes, not a count). Sources the fused figure no longer names are
        forgotten."""
        kept = self._latest.get(figure.zone_id, {})
        named = {source.name for source in figure.sources}
        for name in [name for name in kept if name not in named]:
            del kept[name]
        sums: dict[SourceKind, list[float]] = {}  # kind -> [weighted people, weight, newest ts]
        for source in figure.sources:
            if source.kind is SourceKind.COUNTER:
                continue
            seen = kept.get(source.name)
            if seen is None or source.weight <= 0:
                continue
            ts, people = seen
            entry = sums.setdefault(source.kind, [0.0, 0.0, ts])
            entry[0] += source.weight * people
            entry[1] += source.weight
            entry[2] = max(entry[2], ts)
        return {
            kind: SourceFigure(kind, weighted / weight, newest, weight)
            for kind, (weighted, weight, newest) in sums.items()
        }


def kind_weights(figure: FusedZoneDensity) -> dict[SourceKind, float]:
    """Each kind's share of the fused figure's precision (the sum of its sources' weights)."""
    weights: dict[SourceKind, float] = {}
    for source in figure.sources:
        weights[source.kind] = weights.get(source.kind, 0.0) + source.weight
    return weights


class FigureKeepingFusion(DensityFusion):
    """A DensityFusion that also keeps each level source's newest figure (`figures`) for what it takes."""

    def __init__(self, zones: Iterable[Zone | FusionZone], settings: FusionSettings | None = None) -> None:
        super().__init__(zones, settings)
        self.figures = SourceFigures()

    def add(self, obs: Observation) -> bool:
        """Take one observation (see DensityFusion.add) and keep its figure when taken."""
        taken = super().add(obs)
        if taken:
            self.figures.record(obs)
        return taken
