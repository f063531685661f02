"""How a zone's level and a device's health are derived (docs/live-stream.md; densities from DESIGN.md §5).

Moving crowds are the zones people pass through rather than stand in: gates (queues at the entrances), concourses
(corridors and halls between places) and platforms (public transport). Every other kind — stands, fields, fan
zones, plazas, parkings… — is judged as a standing crowd.
"""

from __future__ import annotations

from dataclasses import dataclass

from beffroi.api.live.frames import Health, Level
from beffroi.domain.alarms import Priority
from beffroi.domain.registry import ZoneKind

MOVING_ZONE_KINDS = frozenset({ZoneKind.GATE, ZoneKind.CONCOURSE, ZoneKind.PLATFORM})
"""Zone kinds whose crowd moves (corridors, transport, queues): lower density thresholds."""


@dataclass(frozen=True, slots=True)
class DensityLimits:
    """People per m² at which a zone turns amber, and red."""

    amber: float
    red: float


STANDING = DensityLimits(amber=3.5, red=4.7)
MOVING = DensityLimits(amber=2.0, red=4.0)


def density_limits(kind: ZoneKind) -> DensityLimits:
    """The limits of a zone of this kind."""
    return MOVING if kind in MOVING_ZONE_KINDS else STANDING


def density_level(density: float | None, limits: DensityLimits) -> Level:
    """The level a density reaches; normal without a density."""
    if density is None:
        return Level.NORMAL
    if density >= limits.red:
        return Level.RED
    if density >= limits.amber:
        return Level.AMBER
    return Level.NORMAL


def alarm_level(most_urgent: Priority | None) -> Level:
    """Red with an open priority-1 alarm, amber with any other, normal with none."""
    if most_urgent is None:
        return Level.NORMAL
    return Level.RED if most_urgent is Priority.CRITICAL else Level.AMBER


_LEVEL_RANK = {Level.NORMAL: 0, Level.AMBER: 1, Level.RED: 2}


def worse(first: Level, second: Level) -> Level:
    """The worse of two levels."""
    return first if _LEVEL_RANK[first] >= _LEVEL_RANK[second] else second


def device_health(*, other_alarms: bool, silent: bool, battery_pct: int | None, low_battery_pct: int) -> Health:
    """The worst that applies: in_alarm > silent > low_battery > ok."""
    if other_alarms:
        return Health.IN_ALARM
    if silent:
        return Health.SILENT
    if battery_pct is not None and battery_pct < low_battery_pct:
        return Health.LOW_BATTERY
    return Health.OK
