"""Builds the engine's detectors from plain rule values, through the detector registry."""

from __future__ import annotations

from collections.abc import Sequence

from beffroi.engine.anomaly.rules import AnomalyRule
from beffroi.engine.detectors import Detector, create_detector, detector_kinds
from beffroi.engine.rules import (
    DEFAULT_EVENT_HOLD_S,
    BatteryRule,
    DetectorSettings,
    EventRule,
    GeofenceRule,
    RateOfChangeRule,
    StuckValueRule,
    TamperRule,
    ThresholdRule,
    WindowCountRule,
)


def build_detectors(
    threshold_rules: Sequence[ThresholdRule],
    event_rules: Sequence[EventRule],
    absence_factor: float = 3.0,
    absence_priority: int = 3,
    event_hold_s: float = DEFAULT_EVENT_HOLD_S,
    kinds: Sequence[str] | None = None,
    *,
    rate_of_change_rules: Sequence[RateOfChangeRule] = (),
    stuck_value_rules: Sequence[StuckValueRule] = (),
    geofence_rules: Sequence[GeofenceRule] = (),
    window_count_rules: Sequence[WindowCountRule] = (),
    battery: BatteryRule | None = None,
    tamper: TamperRule | None = None,
    anomaly_rules: Sequence[AnomalyRule] = (),
) -> list[Detector]:
    """One detector per registered kind (or per kind in `kinds`, in that order); ConfigError on bad settings.

    A detector given no rules (or `battery` / `tamper` None) is built all the same and does nothing.
    """
    settings = DetectorSettings(
        threshold_rules=tuple(threshold_rules),
        event_rules=tuple(event_rules),
        absence_factor=absence_factor,
        absence_priority=absence_priority,
        event_hold_s=event_hold_s,
        rate_of_change_rules=tuple(rate_of_change_rules),
        stuck_value_rules=tuple(stuck_value_rules),
        geofence_rules=tuple(geofence_rules),
        window_count_rules=tuple(window_count_rules),
        battery=battery,
        tamper=tamper,
        anomaly_rules=tuple(anomaly_rules),
    )
    return [create_detector(kind, settings) for kind in (detector_kinds() if kinds is None else kinds)]
