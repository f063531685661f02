"""Crowd density thresholds (people per m²) for one zone, with the defaults of DESIGN.md §5.

The forecaster needs only the amber and red densities: any object with those two attributes will do
(`RedAndAmber`), the levels of service's `LevelThresholds` included.
"""

from __future__ import annotations

import math
from typing import Literal, Protocol

import msgspec

from beffroi.errors import ConfigError

CrowdPosture = Literal["standing", "moving"]


class RedAndAmber(Protocol):
    """Amber and red densities, p/m²."""

    @property
    def amber(self) -> float:
        """Amber from this density."""
        ...

    @property
    def red(self) -> float:
        """Red from this density."""
        ...


class DensityThresholds(msgspec.Struct, frozen=True):
    """Amber and red densities (p/m²) of a zone; red must be above amber."""

    amber: float
    red: float

    def __post_init__(self) -> None:
        problems = []
        if not (math.isfinite(self.amber) and self.amber > 0):
            problems.append(f"amber: must be a finite density > 0, got {self.amber!r}")
        if not (math.isfinite(self.red) and self.red > 0):
            problems.append(f"red: must be a finite density > 0, got {self.red!r}")
        if not problems and self.red <= self.amber:
            problems.append(f"red ({self.red:g}) must be above amber ({self.amber:g})")
        if problems:
            raise ConfigError("density thresholds", problems)


STANDING = DensityThresholds(amber=3.5, red=4.7)
"""Standing crowds: amber 3.5 p/m², red 4.7 p/m² (Taylor report's maximum on terraces)."""
MOVING = DensityThresholds(amber=2.0, red=4.0)
"""Moving crowds: amber 2 p/m², red 4 p/m² (critical around 4 p/m² in moving crowds, G. K. Still)."""

DEFAULT_THRESHOLDS: dict[CrowdPosture, DensityThresholds] = {"standing": STANDING, "moving": MOVING}


def thresholds_for(posture: CrowdPosture, *, amber: float | None = None, red: float | None = None) -> DensityThresholds:
    """The default thresholds of a standing or moving crowd, with `amber` and/or `red` overridden."""
    base = DEFAULT_THRESHOLDS[posture]
    return DensityThresholds(amber=base.amber if amber is None else amber, red=base.red if red is None else red)
