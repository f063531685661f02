"""The alarm engine: feeds readings, events and time to the detectors and their conditions to the alarms.

Pure and single-threaded: the worker decodes bus messages, calls these methods and persists / publishes the
alarm changes they return. Readings of devices not in the registry (or of another tenant) are skipped and
counted; a reading goes only to the detectors that use its metric (`Detector.reading_metrics`). A detector that
raises is a bug, not bad input: the error is counted and logged (first one per detector), and the other
detectors and readings carry on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from beffroi.domain.alarms import Alarm
from beffroi.domain.messages import AlarmChange
from beffroi.domain.observations import Event, Reading
from beffroi.domain.registry import Device, Zone
from beffroi.engine.alarm_manager import AlarmManager
from beffroi.engine.conditions import Condition
from beffroi.engine.detectors.base import Detector
from beffroi.engine.merger import ConditionMerger
from beffroi.errors import ConfigError

_log = logging.getLogger(__name__)


class Engine:
    """Detectors plus the alarm manager, over the registry's devices."""

    def __init__(
        self,
        devices: Sequence[Device],
        detectors: Sequence[Detector],
        alarm_manager: AlarmManager,
        zones: Sequence[Zone] = (),
    ) -> None:
        names = [detector.name for detector in detectors]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ConfigError("engine", [f"detector names must be unique, repeated: {', '.join(repeated)}"])
        self._detectors = tuple(detectors)
        self._by_metric: dict[str, tuple[Detector, ...]] = {}
        self._alarms = alarm_manager
        self._merger = ConditionMerger()
        self._devices: dict[str, Device] = {}
        self._failing: set[str] = set()
        self._readings_evaluated = 0
        self._readings_skipped = 0
        self._events_evaluated = 0
        self._ticks = 0
        self._conditions = 0
        self._changes = 0
        self._detector_errors = 0
        self._zones: tuple[Zone, ...] = ()
        self.update_devices(devices)
        if zones:
            self.update_zones(zones)
        alarm_manager.add_load_listener(self._restore_detectors)
        opened = alarm_manager.open_alarms()
        if opened:
            self._restore_detectors(opened)

    @property
    def alarm_manager(self) -> AlarmManager:
        """The open alarms and the operator actions on them."""
        return self._alarms

    @property
    def detectors(self) -> tuple[Detector, ...]:
        """The detectors, in evaluation order."""
        return self._detectors

    def counters(self) -> dict[str, int]:
        """What the engine has done since it started: readings evaluated and skipped (unknown device), events,
        ticks, conditions reported by the detectors, alarm changes returned, detector errors."""
        return {
            "readings_evaluated": self._readings_evaluated,
            "readings_skipped": self._readings_skipped,
            "events_evaluated": self._events_evaluated,
            "ticks": self._ticks,
            "conditions": self._conditions,
            "changes": self._changes,
            "detector_errors": self._detector_errors,
        }

    def update_devices(self, devices: Sequence[Device]) -> None:
        """Replace the registry's devices (a device id is unique across tenants)."""
        self._devices = {device.id: device for device in devices}
        for detector in self._detectors:
            detector.on_devices(self._devices)

    def update_zones(self, zones: Sequence[Zone]) -> None:
        """Replace the registry's zones (of every tenant): the detectors that place things in zones use them."""
        self._zones = tuple(zones)
        for detector in self._detectors:
            detector.on_zones(self._zones)

    @property
    def zones(self) -> tuple[Zone, ...]:
        """The registry's zones, as last given to `update_zones`."""
        return self._zones

    def restore(self, open_alarms: Iterable[Alarm]) -> list[Alarm]:
        """At start-up: adopt the store's open alarms; returns those not adopted (see `AlarmManager.load`).

        Loading straight into the alarm manager does the same: the engine listens to its loads and tells the
        detectors, so alarms driven by a condition can still return to normal after a restart.
        """
        return self._alarms.load(open_alarms)

    def _restore_detectors(self, alarms: list[Alarm]) -> None:
        for detector in self._detectors:
            detector.on_restore(alarms)

    def _detectors_of(self, metric: str) -> tuple[Detector, ...]:
        """The detectors that use readings of `metric` (see `Detector.reading_metrics`), in evaluation order."""
        chosen = tuple(d for d in self._detectors if (metrics := d.reading_metrics()) is None or metric in metrics)
        self._by_metric[metric] = chosen
        return chosen

    def process_readings(self, readings: Iterable[Reading]) -> list[AlarmChange]:
        """Evaluate a batch of readings; the alarm changes they cause, in order."""
        devices = self._devices
        by_metric = self._by_metric
        changes: list[AlarmChange] = []
        evaluated = skipped = 0
        for reading in readings:
            device = devices.get(reading.device_id)
            if device is None or device.tenant_id != reading.tenant_id:
                skipped += 1
                continue
            evaluated += 1
            detectors = by_metric.get(reading.metric)
            if detectors is None:
                detectors = self._detectors_of(reading.metric)
            for detector in detectors:
                try:
                    conditions = detector.on_reading(reading, device)
                except Exception as error:
                    self._detector_failed(detector, "reading", error)
                    continue
                if conditions:
                    self._apply(conditions, changes)
        self._readings_evaluated += evaluated
        self._readings_skipped += skipped
        return changes

    def process_event(self, event: Event) -> list[AlarmChange]:
        """Evaluate one event; its source's device (if it is one) is passed to the detectors."""
        device = self._devices.get(event.source)
        if device is not None and device.tenant_id != event.tenant_id:
            device = None
        self._events_evaluated += 1
        changes: list[AlarmChange] = []
        for detector in self._detectors:
            try:
                conditions = detector.on_event(event, device)
            except Exception as error:
                self._detector_failed(detector, "event", error)
                continue
            if conditions:
                self._apply(conditions, changes)
        return changes

    def tick(self, now: float) -> list[AlarmChange]:
        """Let time pass to `now`: silence and hold expiry in the detectors, then shelf expiry."""
        self._ticks += 1
        changes: list[AlarmChange] = []
        for detector in self._detectors:
            try:
                conditions = detector.on_tick(now)
            except Exception as error:
                self._detector_failed(detector, "tick", error)
                continue
            if conditions:
                self._apply(conditions, changes)
        expired = self._alarms.advance(now)
        self._changes += len(expired)
        changes.extend(expired)
        return changes

    def _apply(self, conditions: Iterable[Condition], changes: list[AlarmChange]) -> None:
        for condition in conditions:
            self._conditions += 1
            if self._merger.admit(condition):
                applied = self._alarms.apply(condition)
                if applied:
                    self._changes += len(applied)
                    changes.extend(applied)

    def _detector_failed(self, detector: Detector, what: str, error: Exception) -> None:
        self._detector_errors += 1
        if detector.name not in self._failing:
            self._failing.add(detector.name)
            _log.error(
                "detector %r failed on a %s (further failures are only counted)", detector.name, what, exc_info=error
            )
