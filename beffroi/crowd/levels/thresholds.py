"""Per-zone settings of the levels of service: density thresholds (standing or moving crowd), hysteresis, dwell,
and the Fruin walkway levels that count as amber and red where the zone's width is known (DESIGN.md §5)."""

from __future__ import annotations

import math
from enum import StrEnum

import msgspec

from beffroi.crowd.levels.fruin import FRUIN_LETTERS
from beffroi.domain.registry import Zone, ZoneKind
from beffroi.errors import ConfigError


class Posture(StrEnum):
    """Whether a zone's crowd stands (stands, fan zones) or moves (concourses, gates, platforms)."""

    STANDING = "standing"
    MOVING = "moving"


class LevelThresholds(msgspec.Struct, frozen=True):
    """Densities (p/m²): amber from `amber`, red from `red`; a level is left below its `*_clear` density."""

    amber: float
    red: float
    amber_clear: float
    red_clear: float

    def __post_init__(self) -> None:
        problems = [
            f"{name}: must be a finite density > 0, got {value!r}"
            for name, value in (
                ("amber", self.amber),
                ("red", self.red),
                ("amber_clear", self.amber_clear),
                ("red_clear", self.red_clear),
            )
            if not (math.isfinite(value) and value > 0)
        ]
        if not problems:
            if self.red <= self.amber:
                problems.append(f"red ({self.red:g}) must be above amber ({self.amber:g})")
            if self.amber_clear >= self.amber:
                problems.append(f"amber_clear ({self.amber_clear:g}) must be below amber ({self.amber:g})")
            if self.red_clear >= self.red:
                problems.append(f"red_clear ({self.red_clear:g}) must be below red ({self.red:g})")
        if problems:
            raise ConfigError("level thresholds", problems)


STANDING = LevelThresholds(amber=3.5, red=4.7, amber_clear=3.2, red_clear=4.4)
"""Standing crowds: amber 3.5 p/m², red 4.7 p/m² (Taylor report's maximum on terraces), left 0.3 p/m² lower."""
MOVING = LevelThresholds(amber=2.0, red=4.0, amber_clear=1.8, red_clear=3.6)
"""Moving crowds: amber 2 p/m², red 4 p/m² (critical around 4 p/m², G. K. Still), left 10 % lower."""
DEFAULT_THRESHOLDS: dict[Posture, LevelThresholds] = {Posture.STANDING: STANDING, Posture.MOVING: MOVING}

POSTURE_OF_KIND: dict[ZoneKind, Posture | None] = {
    ZoneKind.STAND: Posture.STANDING,
    ZoneKind.FAN_ZONE: Posture.STANDING,
    ZoneKind.PLAZA: Posture.STANDING,
    ZoneKind.FIELD: Posture.STANDING,
    ZoneKind.CONCOURSE: Posture.MOVING,
    ZoneKind.GATE: Posture.MOVING,
    ZoneKind.PLATFORM: Posture.MOVING,
    ZoneKind.PERIMETER: Posture.MOVING,
    ZoneKind.PARKING: Posture.MOVING,
    ZoneKind.TECHNICAL: None,
    ZoneKind.FORBIDDEN: None,
    ZoneKind.WATER: None,
}
"""The default posture of each zone kind; None: the kind gets no levels of service (no crowd expected)."""


class ZoneLevelConfig(msgspec.Struct, frozen=True):
    """How one zone's level is judged.

    A level is entered when its condition held for `raise_after_s`, and left when its clear condition failed for
    `clear_after_s` and the level was held at least `min_dwell_s`. `sigmas` judges density + sigmas × its standard
    deviation (0: the fused figure itself; 1: raise earlier when unsure). Where `width_m` is known, the flow per
    metre's Fruin level `fruin_amber` (and above) counts as amber, `fruin_red` as red (None: flow never raises);
    a Fruin level is left only when the flow falls `fruin_margin` p/m/min below its lower bound.
    """

    zone_id: str
    posture: Posture
    thresholds: LevelThresholds
    width_m: float | None = None
    raise_after_s: float = 30.0
    clear_after_s: float = 120.0
    min_dwell_s: float = 300.0
    sigmas: float = 0.0
    fruin_amber: str | None = "E"
    fruin_red: str | None = "F"
    fruin_margin: float = 2.0

    def __post_init__(self) -> None:
        problems = []
        if self.width_m is not None and not (math.isfinite(self.width_m) and self.width_m > 0):
            problems.append(f"width_m: must be > 0 m, got {self.width_m!r}")
        for name in ("raise_after_s", "clear_after_s", "min_dwell_s", "sigmas", "fruin_margin"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                problems.append(f"{name}: must be ≥ 0, got {value!r}")
        for name in ("fruin_amber", "fruin_red"):
            letter = getattr(self, name)
            if letter is not None and (len(letter) != 1 or letter not in FRUIN_LETTERS):
                problems.append(f"{name}: must be one of A–F, got {letter!r}")
        if (
            self.fruin_amber is not None
            and self.fruin_red is not None
            and FRUIN_LETTERS.index(self.fruin_red) < FRUIN_LETTERS.index(self.fruin_amber)
        ):
            problems.append(f"fruin_red ({self.fruin_red}) must not be below fruin_amber ({self.fruin_amber})")
        if problems:
            raise ConfigError(f"zones.{self.zone_id}.levels", problems)


def level_config_for(
    zone: Zone,
    *,
    posture: Posture | None = None,
    thresholds: LevelThresholds | None = None,
    width_m: float | None = None,
) -> ZoneLevelConfig | None:
    """A zone's level settings from its kind's defaults, with any of them overridden; None for a kind without
    levels of service (technical, forbidden, water) unless a posture is given."""
    chosen = posture or POSTURE_OF_KIND.get(zone.kind)
    if chosen is None:
        return None
    return ZoneLevelConfig(zone.id, chosen, thresholds or DEFAULT_THRESHOLDS[chosen], width_m=width_m)
