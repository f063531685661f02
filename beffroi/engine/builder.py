"""Builds the engine's detectors from plain rule values, through the detector registry."""

from __future__ import annotations

from collections.abc import Sequence

from beffroi.engine.detectors import Detector, create_detector, detector_kinds
from beffroi.engine.rules import DEFAULT_EVENT_HOLD_S, DetectorSettings, EventRule, ThresholdRule


def build_detectors(
    threshold_rules: Sequence[ThresholdRule],
    event_rules: Sequence[EventRule],
    absence_factor: float = 3.0,
    absence_priority: int = 3,
    event_hold_s: float = DEFAULT_EVENT_HOLD_S,
    kinds: Sequence[str] | None = None,
) -> list[Detector]:
    """One detector per registered kind (or per kind in `kinds`, in that order); ConfigError on bad settings."""
    settings = DetectorSettings(
        threshold_rules=tuple(threshold_rules),
        event_rules=tuple(event_rules),
        absence_factor=absence_factor,
        absence_priority=absence_priority,
        event_hold_s=event_hold_s,
    )
    return [create_detector(kind, settings) for kind in (detector_kinds() if kinds is None else kinds)]
