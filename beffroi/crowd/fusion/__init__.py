"""Density fusion: one people count and density per zone, with its uncertainty and the sources behind it, from
gate counters, occupancy figures, cameras' zone counts and mobile-network estimates."""

from beffroi.crowd.fusion.fuser import DensityFusion
from beffroi.crowd.fusion.observations import (
    FusedZoneDensity,
    Observation,
    SourceKind,
    SourceWeight,
    ZoneCountObservation,
    ZoneFlowObservation,
)
from beffroi.crowd.fusion.readings import ReadingTranslator, mobile_observation
from beffroi.crowd.fusion.settings import FusionSettings, FusionZone, level_sd
from beffroi.crowd.fusion.zone_filter import ZoneFilter

__all__ = [
    "DensityFusion",
    "FusedZoneDensity",
    "FusionSettings",
    "FusionZone",
    "Observation",
    "ReadingTranslator",
    "SourceKind",
    "SourceWeight",
    "ZoneCountObservation",
    "ZoneFilter",
    "ZoneFlowObservation",
    "level_sd",
    "mobile_observation",
]
