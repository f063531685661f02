"""Response shape of `GET /api/zones/{zone_id}/crowd`: a zone's crowd picture over the last hours (what its
`crowd_estimate` device published, see `beffroi.crowd.estimate_metrics`)."""

from __future__ import annotations

from typing import Literal

from beffroi.api.schemas import Shape
from beffroi.domain.registry import ZoneKind


class CrowdZoneOut(Shape):
    """The zone the picture is of."""

    id: str
    site_id: str
    name: str
    kind: ZoneKind
    area_m2: float
    capacity: int


class CrowdThresholdsOut(Shape):
    """The densities (p/m²) at which the zone turns amber and red, for its crowd's posture."""

    posture: Literal["standing", "moving"]
    amber: float
    red: float


class CrowdPointOut(Shape):
    """The fused figure at `ts` (epoch s): people, their standard deviation, people per m², level (0 normal,
    1 amber, 2 red). Over a long span each point is a bucket's mean (the level: its worst) at the bucket's middle."""

    ts: float
    people: float | None
    people_sd: float | None
    density: float | None
    level: float | None


class ForecastPointOut(Shape):
    """A forecast made at `ts` for `minutes` later (`at`): the median people and the prediction interval."""

    ts: float
    minutes: int
    at: float
    people: float
    low: float
    high: float


class SourcePointOut(Shape):
    """What one kind of source alone said at `ts` (people)."""

    ts: float
    people: float


class SourceSeriesOut(Shape):
    """One kind of source's own figures over the span."""

    kind: str
    points: list[SourcePointOut]


class CrowdSourceOut(Shape):
    """A kind of source behind the latest figure: its share of the figure's precision (0–1), what it alone says
    and when (null for gate counters: they carry the changes, not a count), and the zone's devices of that kind
    (mobile figures come from the network, no device)."""

    kind: str
    weight: float
    people: float | None
    ts: float | None
    devices: list[str]


class ZoneCrowdOut(Shape):
    """A zone's crowd picture from `since` to `until` (the estimate's newest reading; epoch s). `bucket_s` is the
    bucket of the means over a long span (null: every reading). `thresholds` is null for a zone kind without levels
    of service; `latest` null before any figure; `forecast` the latest forecast's horizons (empty when the zone is
    not forecast)."""

    zone: CrowdZoneOut
    thresholds: CrowdThresholdsOut | None
    hours: float
    since: float | None
    until: float | None
    bucket_s: int | None
    history: list[CrowdPointOut]
    forecasts: list[ForecastPointOut]
    source_history: list[SourceSeriesOut]
    latest: CrowdPointOut | None
    forecast: list[ForecastPointOut]
    sources: list[CrowdSourceOut]
