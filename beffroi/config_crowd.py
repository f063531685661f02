"""The crowd worker's configuration: how often it publishes each zone's fused figure, and walkway widths (for Fruin
levels of service) that override the zones' own `width_m`. Part of the one config tree (`beffroi.config`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field

from beffroi.config_base import Section


class CrowdConfig(Section):
    """Density fusion, levels of service and forecasts per zone (the `crowd` component)."""

    tick_s: Annotated[float, Field(gt=0, le=600)] = 10.0
    """How often each zone's fused figure goes out (readings of its `crowd_estimate` device) and levels are judged."""
    zone_widths_m: dict[str, Annotated[float, Field(gt=0)]] = Field(default_factory=dict)
    """Zone id → walkway width (m), for Fruin levels of service from the flow per metre (gates, corridors). A zone's
    own `width_m` (from the scenario or the GeoJSON import) is used where this names no width for it; a width
    named here overrides the zone's."""
    schedule: Path | None = None
    """The event schedule (sessions: start, end, label) the forecasts use (see `beffroi forecast --help`); without
    it, each site's sessions in the scenario."""
    forecast: bool = True
    """Forecast each zone 15 and 30 minutes ahead and announce a red level expected."""
