"""What the density fusion takes in (people counts and flows per zone, from any source) and what it gives out."""

from __future__ import annotations

from enum import StrEnum

import msgspec


class SourceKind(StrEnum):
    """The kinds of people-count source the fusion knows the error of."""

    COUNTER = "counter"
    """A gate counter's people in and out since its last report (a flow; its running balance drifts)."""
    TURNSTILE = "turnstile"
    """Passages through turnstiles: entries only, a flow for the levels of service, never a balance."""
    OCCUPANCY = "occupancy"
    """A device's own figure of the people in the zone (a people counter's `occupancy`)."""
    VIDEO = "video"
    """A camera's people in the part of the zone it sees, scaled to the whole zone by area."""
    MOBILE = "mobile"
    """A mobile-network estimate: people present on average over a slot, published late, small counts withheld."""


class ZoneCountObservation(msgspec.Struct, frozen=True, tag="zone_count"):
    """One figure of the people present in a zone.

    `people` is the figure for the whole zone (a camera's density already times the zone's area), averaged over
    [ts - window_s, ts] when `window_s` > 0 (a mobile slot). `people` is None when the figure was withheld; then
    `upper_bound` says it was below that many people. `sd` overrides the standard deviation the fusion would give
    the source's kind; `covered_fraction` is the share of the zone's area a camera sees (0 < f ≤ 1).
    """

    zone_id: str
    source: str
    kind: SourceKind
    ts: float
    people: float | None
    window_s: float = 0.0
    sd: float | None = None
    upper_bound: float | None = None
    covered_fraction: float | None = None


class ZoneFlowObservation(msgspec.Struct, frozen=True, tag="zone_flow"):
    """People that entered and left a zone through one device over the `interval_s` seconds before `ts`.

    Counters' flows (kind COUNTER) move the zone's running balance; turnstiles' (kind TURNSTILE, `left` = 0) only
    count towards the flow per metre of width.
    """

    zone_id: str
    source: str
    kind: SourceKind
    ts: float
    entered: float
    left: float
    interval_s: float


Observation = ZoneCountObservation | ZoneFlowObservation
"""Anything the fusion takes in."""


class SourceWeight(msgspec.Struct, frozen=True, array_like=True):
    """One source behind a fused figure: its share of the figure's precision (0–1) and its newest figure's time."""

    name: str
    kind: SourceKind
    weight: float
    last_ts: float


class FusedZoneDensity(msgspec.Struct, frozen=True, tag="fused_zone_density"):
    """The fused picture of one zone at `ts`: people present and density (p/m²), each with a standard deviation.

    `net_rate_per_min` is the estimated change of the people present (people per minute); `flow_per_min` the
    people passing the zone's counters and turnstiles (in + out, per minute, over the recent window) where any
    report; `counter_drift` the gap between the counters' running balance and the people present (people).
    `sources` are the sources that fed the figure with their weights, largest first; `newest_observation_ts` the
    time of the newest figure used (None before any).
    """

    zone_id: str
    ts: float
    people: float
    people_sd: float
    density: float
    density_sd: float
    area_m2: float
    net_rate_per_min: float
    flow_per_min: float | None
    counter_drift: float | None
    newest_observation_ts: float | None
    sources: list[SourceWeight]

    def sources_text(self) -> str:
        """The sources as one short line, e.g. `video:cam-3/stand=0.62,counter:gate-a=0.38`."""
        return ",".join(f"{s.name}={s.weight:.2f}" for s in self.sources)
