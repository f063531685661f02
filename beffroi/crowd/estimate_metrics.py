"""The metrics of a zone's `crowd_estimate` device: what the crowd worker publishes and what the API reads back.

- `people`, `people_sd`, `density`, `density_sd`, `level` (0 normal, 1 amber, 2 red): the fused figure.
- `forecast_15`, `forecast_15_lo`, `forecast_15_hi`, `forecast_30`, … : the people forecast 15 and 30 minutes
  after the reading's time (the median, and the prediction interval's low and high ends), once a minute for a
  forecast zone.
- `people_<kind>` for `occupancy`, `video`, `mobile`: the people that kind of source alone says, at the time of its
  own newest figure (several sources of a kind: their figures averaged by their weights): whole-zone counts (a
  camera's density times the zone's area; a mobile slot's mean over the slot, at the slot's end). Gate counters
  have no such figure: they carry the changes (people in and out), and their running balance is only as good as
  the figure it started from, so it is not told as a count.
- `weight_<kind>` for `counter`, `occupancy`, `video`, `mobile`: that kind's share (0–1) of the fused figure's
  precision, published with the figure when the kind fed it (no reading: it did not). Turnstiles count passages
  only and never weigh in the people present.
"""

from __future__ import annotations

from typing import Literal

from beffroi.crowd.fusion.observations import SourceKind

FUSED_METRICS = ("people", "people_sd", "density", "density_sd", "level")
FORECAST_MINUTES = (15, 30)
"""The horizons published, in minutes."""
ForecastPart = Literal["", "lo", "hi"]
SOURCE_KINDS = (SourceKind.COUNTER, SourceKind.OCCUPANCY, SourceKind.VIDEO, SourceKind.MOBILE)
"""The kinds of source that weigh in the fused figure (turnstiles count entries only)."""
COUNT_SOURCE_KINDS = (SourceKind.OCCUPANCY, SourceKind.VIDEO, SourceKind.MOBILE)
"""The kinds of source with a count of the people present of their own."""


def forecast_metric(minutes: int, part: ForecastPart = "") -> str:
    """`forecast_15`, `forecast_15_lo`, `forecast_15_hi`, …"""
    return f"forecast_{minutes}_{part}" if part else f"forecast_{minutes}"


def source_people_metric(kind: SourceKind) -> str:
    """`people_video`: the people that kind of source alone says."""
    return f"people_{kind.value}"


def source_weight_metric(kind: SourceKind) -> str:
    """`weight_video`: that kind's share of the fused figure's precision."""
    return f"weight_{kind.value}"


FORECAST_METRICS = tuple(forecast_metric(minutes, part) for minutes in FORECAST_MINUTES for part in ("", "lo", "hi"))
SOURCE_PEOPLE_METRICS = tuple(source_people_metric(kind) for kind in COUNT_SOURCE_KINDS)
SOURCE_WEIGHT_METRICS = tuple(source_weight_metric(kind) for kind in SOURCE_KINDS)
ESTIMATE_METRICS = FUSED_METRICS + FORECAST_METRICS + SOURCE_PEOPLE_METRICS + SOURCE_WEIGHT_METRICS
"""Every metric of a `crowd_estimate` device, in the order of the device's profile."""
