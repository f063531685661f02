"""Absence detector: a device silent for `absence_factor` times its reporting interval is offline.

Any reading or event of the device is a sign of life. The condition "device_offline" becomes active on the
first tick past the device's deadline and returns to normal on its next report. A device that has not
reported since the engine started gets one full window from the first tick, so a start-up does not raise an
alarm for every device that simply has not spoken yet. Deadlines live in a heap: a tick pops only the devices
whose deadline has passed, and a device that reported meanwhile is put back with its new deadline.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import msgspec

from beffroi.domain.alarms import Alarm, AlarmKey, Priority
from beffroi.domain.observations import Event, Reading
from beffroi.domain.registry import Device
from beffroi.engine.conditions import Condition
from beffroi.engine.detectors.base import NO_CONDITIONS, Detector
from beffroi.engine.detectors.deadlines import DeadlineQueue
from beffroi.engine.detectors.registry import register_detector
from beffroi.engine.detectors.series import SeriesDetectorSpec, register_series_detector
from beffroi.engine.detectors.series_params import parse_series_params
from beffroi.engine.rules import DetectorSettings
from beffroi.errors import ConfigError

KIND = "absence"
ALARM_TYPE = "device_offline"
RULE = "silence"


class AbsenceDetector(Detector):
    """Raises "device_offline" for devices silent longer than `factor` × their interval (see module docstring)."""

    def __init__(self, factor: float = 3.0, priority: int = 3, name: str = KIND) -> None:
        if not (math.isfinite(factor) and factor > 1):
            raise ConfigError("absence detector", [f"`absence_factor` must be a finite number > 1, got {factor!r}"])
        self.name = name
        self._factor = factor
        self._priority = Priority(priority)
        self._devices: dict[str, Device] = {}
        self._windows: dict[str, float] = {}
        self._last_seen: dict[str, float] = {}
        self._offline: set[str] = set()
        self._unseen: set[str] = set()
        self._deadlines = DeadlineQueue()

    def window_s(self, device: Device) -> float:
        """How long the device may stay silent before it is offline; 0 when it has no usable interval."""
        interval = device.interval_s
        return interval * self._factor if math.isfinite(interval) and interval > 0 else 0.0

    @property
    def offline_devices(self) -> set[str]:
        """Ids of the registry's devices whose offline condition is active."""
        return {device_id for device_id in self._offline if device_id in self._devices}

    def on_devices(self, devices: Mapping[str, Device]) -> None:
        """Track the registry: new devices get their first window at the next tick; gone ones are forgotten."""
        for device_id in [d for d in self._devices if d not in devices]:
            self._forget(device_id)
        for device_id, device in devices.items():
            previous = self._windows.get(device_id)
            self._adopt(device)
            if previous is None:
                if device_id not in self._last_seen:
                    self._unseen.add(device_id)
            elif previous != self._windows[device_id] and device_id in self._deadlines:
                self._schedule(device_id)

    def _adopt(self, device: Device) -> None:
        self._devices[device.id] = device
        self._windows[device.id] = self.window_s(device)

    def _forget(self, device_id: str) -> None:
        """Drop a device that left the registry. It stays in the offline set (its alarm may still be open), so
        if it comes back its first report returns that alarm to normal."""
        self._devices.pop(device_id, None)
        self._windows.pop(device_id, None)
        self._last_seen.pop(device_id, None)
        self._unseen.discard(device_id)
        self._deadlines.cancel(device_id)

    def _schedule(self, device_id: str) -> None:
        window = self._windows[device_id]
        if window > 0:
            self._deadlines.schedule(device_id, self._last_seen[device_id] + window)
        else:
            self._deadlines.cancel(device_id)

    def on_reading(self, reading: Reading, device: Device) -> Sequence[Condition]:
        """A sign of life of the device."""
        return self._seen(device, reading.ts)

    def on_event(self, event: Event, device: Device | None) -> Sequence[Condition]:
        """An event of a known device is a sign of life too."""
        return NO_CONDITIONS if device is None else self._seen(device, event.ts)

    def _seen(self, device: Device, ts: float) -> Sequence[Condition]:
        device_id = device.id
        last = self._last_seen.get(device_id)
        if last is not None and ts <= last:
            return NO_CONDITIONS
        if not math.isfinite(ts):
            return NO_CONDITIONS
        if last is None:
            return self._first_report(device, ts)
        self._last_seen[device_id] = ts
        if device_id in self._offline:
            self._offline.discard(device_id)
            self._schedule(device_id)
            return (self._condition(device, False, ts, None),)
        return NO_CONDITIONS

    def _first_report(self, device: Device, ts: float) -> Sequence[Condition]:
        device_id = device.id
        self._adopt(device)
        self._unseen.discard(device_id)
        self._last_seen[device_id] = ts
        self._schedule(device_id)
        if device_id in self._offline:
            self._offline.discard(device_id)
            return (self._condition(device, False, ts, None),)
        return NO_CONDITIONS

    def on_tick(self, now: float) -> Sequence[Condition]:
        """Start the clock of devices never seen; report the devices whose silence passed their window."""
        if not math.isfinite(now):
            return NO_CONDITIONS
        if self._unseen:
            self._start_clocks(now)
        conditions: list[Condition] = []
        windows = self._windows
        last_seen = self._last_seen
        offline = self._offline
        schedule = self._deadlines.schedule
        for device_id in self._deadlines.pop_due(now):
            last = last_seen[device_id]
            deadline = last + windows[device_id]
            if deadline > now:
                schedule(device_id, deadline)
            elif device_id not in offline:
                offline.add(device_id)
                conditions.append(self._condition(self._devices[device_id], True, now, now - last))
        return conditions or NO_CONDITIONS

    def _start_clocks(self, now: float) -> None:
        entries = []
        for device_id in self._unseen:
            window = self._windows[device_id]
            self._last_seen[device_id] = now
            if window > 0:
                entries.append((device_id, now + window))
        self._unseen.clear()
        self._deadlines.schedule_many(entries)

    def on_restore(self, alarms: Sequence[Alarm]) -> None:
        """Devices with an open, active offline alarm are offline until they report again."""
        self._offline.update(a.key.source for a in alarms if a.condition_active and a.key.type == ALARM_TYPE)

    def _condition(self, device: Device, active: bool, ts: float, silent_s: float | None) -> Condition:
        window = self.window_s(device)
        message = f"No report for {window:g} s (expected every {device.interval_s:g} s)"
        return Condition(
            key=AlarmKey(device.tenant_id, device.id, ALARM_TYPE, device.site_id, device.zone_id),
            active=active,
            ts=ts,
            priority=self._priority,
            message=message if active else "Reporting again",
            detector=self.name,
            rule=RULE,
            value=silent_s,
        )


def _create(settings: DetectorSettings) -> Detector:
    return AbsenceDetector(settings.absence_factor, settings.absence_priority)


register_detector(KIND, _create)


class _SeriesParams(msgspec.Struct, frozen=True):
    factor: float = 3.0


SERIES_PARAMS = {
    "factor": "raise when a gap between readings exceeds this many times the series' interval (--interval; default 3)",
}


def _series(params: Mapping[str, str]) -> Detector:
    return AbsenceDetector(parse_series_params(KIND, params, _SeriesParams, SERIES_PARAMS).factor)


register_series_detector(
    SeriesDetectorSpec(KIND, _series, "A silence longer than factor × the reporting interval.", SERIES_PARAMS)
)
