"""A zone's level of service changing (normal, amber, red), typed, and as the `crowd_level` event of the engine."""

from __future__ import annotations

import math
from enum import StrEnum

import msgspec

from beffroi.crowd.fusion.observations import SourceWeight
from beffroi.crowd.levels.thresholds import Posture
from beffroi.domain.observations import AttributeValue, Event

EVENT_TYPE = "crowd_level"
EVENT_SOURCE = "crowd"


class CrowdLevel(StrEnum):
    """A zone's crowd-safety level."""

    NORMAL = "normal"
    AMBER = "amber"
    RED = "red"


LEVEL_ORDER = (CrowdLevel.NORMAL, CrowdLevel.AMBER, CrowdLevel.RED)


class LevelChange(msgspec.Struct, frozen=True, tag="crowd_level_change"):
    """A zone entering `level` from `previous` at `ts`, with the fused figure it was judged on.

    `cause` says what held the new level: "density", "flow" (Fruin level from the flow per metre), both
    ("density+flow"), or "cleared" when the level fell. `threshold` is the density crossed (the level's entry
    density when rising, the clear density of the level left when falling).
    """

    zone_id: str
    ts: float
    level: CrowdLevel
    previous: CrowdLevel
    cause: str
    posture: Posture
    threshold: float
    density: float
    density_sd: float
    people: float
    people_sd: float
    fruin_level: str | None
    flow_per_m_min: float | None
    newest_observation_ts: float | None
    sources: list[SourceWeight]

    @property
    def rising(self) -> bool:
        """True when the level went up."""
        return LEVEL_ORDER.index(self.level) > LEVEL_ORDER.index(self.previous)

    def confidence(self) -> float:
        """How sure the change is: the chance the true density is beyond the threshold (above it when rising,
        below it when falling), the fused figure read as a normal law; 1 for a change held by the flow alone."""
        if self.cause == "flow":
            return 1.0
        if self.density_sd <= 0:
            return 1.0
        gap = (self.density - self.threshold) if self.rising else (self.threshold - self.density)
        return 0.5 * (1.0 + math.erf(gap / (self.density_sd * math.sqrt(2.0))))

    def to_event(self, tenant_id: str, site_id: str | None = None) -> Event:
        """The `crowd_level` event of this change (its id fixed by zone, time and level, so a replay dedupes)."""
        attributes: dict[str, AttributeValue] = {
            "level": self.level.value,
            "previous_level": self.previous.value,
            "cause": self.cause,
            "posture": self.posture.value,
            "threshold": self.threshold,
            "density": round(self.density, 3),
            "uncertainty": round(self.density_sd, 3),
            "people": round(self.people),
            "people_sd": round(self.people_sd),
            "sources": ",".join(f"{s.name}={s.weight:.2f}" for s in self.sources),
            "fruin_level": self.fruin_level,
            "flow_per_m_min": None if self.flow_per_m_min is None else round(self.flow_per_m_min, 1),
        }
        return Event(
            event_id=f"{EVENT_TYPE}-{self.zone_id}-{round(self.ts * 1000)}-{self.level.value}",
            tenant_id=tenant_id,
            type=EVENT_TYPE,
            source=EVENT_SOURCE,
            ts=self.ts,
            site_id=site_id,
            zone_id=self.zone_id,
            confidence=round(self.confidence(), 3),
            attributes=attributes,
        )
