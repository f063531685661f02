"""Levels of service per zone: amber and red from density (standing or moving crowd) and from the Fruin walkway
level of the flow per metre, with hysteresis and dwell times, as changes ready to become `crowd_level` events."""

from beffroi.crowd.levels.changes import EVENT_TYPE, CrowdLevel, LevelChange
from beffroi.crowd.levels.fruin import FRUIN_BOUNDS, flow_per_metre, fruin_level, fruin_with_hysteresis
from beffroi.crowd.levels.thresholds import (
    DEFAULT_THRESHOLDS,
    MOVING,
    POSTURE_OF_KIND,
    STANDING,
    LevelThresholds,
    Posture,
    ZoneLevelConfig,
    level_config_for,
)
from beffroi.crowd.levels.tracker import ServiceLevels, ZoneLevel

__all__ = [
    "DEFAULT_THRESHOLDS",
    "EVENT_TYPE",
    "FRUIN_BOUNDS",
    "MOVING",
    "POSTURE_OF_KIND",
    "STANDING",
    "CrowdLevel",
    "LevelChange",
    "LevelThresholds",
    "Posture",
    "ServiceLevels",
    "ZoneLevel",
    "ZoneLevelConfig",
    "flow_per_metre",
    "fruin_level",
    "fruin_with_hysteresis",
    "level_config_for",
]
