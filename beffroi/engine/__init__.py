"""The alarm engine: detectors on readings and events, and the ISA-18.2 alarms they drive.

Pure: imports only beffroi.domain, beffroi.errors, msgspec and the standard library.

Typical use (by the engine worker)::

    detectors = build_detectors(threshold_rules, event_rules, absence_factor=3.0)
    engine = Engine(devices, detectors, AlarmManager(new_id))
    engine.restore(store_open_alarms)
    changes = engine.process_readings(batch.readings)   # then engine.tick(now) every few seconds
"""

from beffroi.engine.alarm_manager import AlarmManager
from beffroi.engine.builder import build_detectors
from beffroi.engine.conditions import Condition
from beffroi.engine.engine import Engine
from beffroi.engine.rules import DetectorSettings, EventRule, ThresholdRule

__all__ = [
    "AlarmManager",
    "Condition",
    "DetectorSettings",
    "Engine",
    "EventRule",
    "ThresholdRule",
    "build_detectors",
]
