"""Detectors: one file per kind, each registering itself; `create_detector(kind, settings)` builds one.

Importing this package registers the built-in kinds (threshold, absence, event_rule).
"""

from beffroi.engine.detectors import absence, event_rule, threshold
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
    "create_detector",
    "detector_kinds",
    "event_rule",
    "register_detector",
    "threshold",
    "unregister_detector",
]
