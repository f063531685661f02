"""The alarm engine: detectors on readings and events, and the ISA-18.2 alarms they drive.

Pure: imports only beffroi.domain, beffroi.errors, msgspec, Shapely (the geofence's polygons) and the standard
library.

Typical use (by the engine worker)::

    detectors = build_detectors(threshold_rules, event_rules, absence_factor=3.0, battery=BatteryRule(), ...)
    engine = Engine(devices, detectors, AlarmManager(new_id), zones)
    engine.restore(store_open_alarms)
    changes = engine.process_readings(batch.readings)   # then engine.tick(now) every few seconds
"""

from beffroi.engine.alarm_manager import AlarmManager
from beffroi.engine.builder import build_detectors
from beffroi.engine.conditions import Condition
from beffroi.engine.engine import Engine
from beffroi.engine.rules import (
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

__all__ = [
    "AlarmManager",
    "BatteryRule",
    "Condition",
    "DetectorSettings",
    "Engine",
    "EventRule",
    "GeofenceRule",
    "RateOfChangeRule",
    "StuckValueRule",
    "TamperRule",
    "ThresholdRule",
    "WindowCountRule",
    "build_detectors",
]
