"""Detectors: one file per kind, each registering itself; `create_detector(kind, settings)` builds one.

Importing this package registers the built-in kinds (threshold, absence, event_rule, rate_of_change,
stuck_value, geofence, window_count, battery_low, tamper, anomaly) and the series detectors of `beffroi detect`.
"""

from beffroi.engine.detectors import (
    absence,
    anomaly,
    battery_low,
    event_rule,
    geofence,
    rate_of_change,
    stuck_value,
    tamper,
    threshold,
    window_count,
)
from beffroi.engine.detectors.base import NO_CONDITIONS, Detector
from beffroi.engine.detectors.registry import (
    DetectorFactory,
    create_detector,
    detector_kinds,
    register_detector,
    unregister_detector,
)

__all__ = [
    "NO_CONDITIONS",
    "Detector",
    "DetectorFactory",
    "absence",
    "anomaly",
    "battery_low",
    "create_detector",
    "detector_kinds",
    "event_rule",
    "geofence",
    "rate_of_change",
    "register_detector",
    "stuck_value",
    "tamper",
    "threshold",
    "unregister_detector",
    "window_count",
]
