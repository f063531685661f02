"""Security devices: access control doors, PIR intrusion detectors, fence sensors, panic buttons, drone detectors.

Without an incident none of them crosses a default alarm threshold, except the PIR's rare false positives
(a configurable rate per device per day) and the doors' occasional refused badges (`access_denied` events).
"""

from __future__ import annotations

import math
import random

from beffroi.domain.registry import DeviceKind
from beffroi.sim.catalogue import SimDevice
from beffroi.sim.devices.base import Battery, DeviceModel, Environment, Report
from beffroi.sim.payloads import DeviceEvent

ACCESS_DENIED_PER_HOUR = 0.1
"""Refused badges per door per hour at a quiet site (more when the site is busy)."""
FENCE_NORMAL_MAX_G = 0.9


class AccessControl(DeviceModel):
    """A badge-controlled door: open or closed at report time, and now and then a refused badge."""

    kind = DeviceKind.ACCESS_CONTROL

    def report(self, t: float, dt: float) -> Report:
        """Door state (open more often when the place is busy) and an occasional `access_denied` event."""
        rng = self.rng
        activity = self.place.activity(t)
        door_open = 1 if rng.random() < 0.04 + 0.2 * activity else 0
        event = None
        if rng.random() < ACCESS_DENIED_PER_HOUR * (0.3 + activity) * dt / 3600.0:
            event = DeviceEvent("access_denied", 1.0, {"reason": rng.choice(("unknown_badge", "expired", "zone"))})
        return Report({"door_open": door_open}, event)


class IntrusionPir(DeviceModel):
    """A passive-infrared detector in a protected area: no motion, but for rare false positives; on battery."""

    kind = DeviceKind.INTRUSION_PIR

    def __init__(self, device: SimDevice, env: Environment, rng: random.Random) -> None:
        super().__init__(device, env, rng)
        self._battery = Battery(rng, env.start, (0.004, 0.012))
        self._false_per_s = env.pir_false_positives_per_day / 86_400.0

    def report(self, t: float, dt: float) -> Report:
        """Motion 0 (1 on a false positive) and the battery level."""
        motion = 1 if self._false_per_s and self.rng.random() < self._false_per_s * dt else 0
        return Report({"motion": motion, "battery_pct": self._battery.level(t)})


class PerimeterFence(DeviceModel):
    """A fence vibration sensor: wind and passers-by give small readings, well under the 1.5 g alarm."""

    kind = DeviceKind.PERIMETER_FENCE

    def __init__(self, device: SimDevice, env: Environment, rng: random.Random) -> None:
        super().__init__(device, env, rng)
        self._wind_phase = rng.uniform(0.0, 2 * math.pi)

    def report(self, t: float, dt: float) -> Report:
        """Peak vibration (g) over the interval."""
        rng = self.rng
        wind = 0.5 + 0.5 * math.sin(t / 5400.0 + self._wind_phase)
        g = 0.02 + 0.06 * wind + rng.expovariate(25.0) + 0.05 * self.place.activity(t)
        return Report({"vibration_g": round(min(g, FENCE_NORMAL_MAX_G), 3)})


class PanicButton(DeviceModel):
    """A wireless panic button: not pressed, and its battery level in each heartbeat."""

    kind = DeviceKind.PANIC_BUTTON

    def __init__(self, device: SimDevice, env: Environment, rng: random.Random) -> None:
        super().__init__(device, env, rng)
        self._battery = Battery(rng, env.start, (0.002, 0.008))

    def report(self, t: float, dt: float) -> Report:
        """Pressed 0 and the battery level."""
        return Report({"pressed": 0, "battery_pct": self._battery.level(t)})


class DroneDetector(DeviceModel):
    """An RF drone detector: background radio activity with rare bursts, no drone without an incident."""

    kind = DeviceKind.DRONE_DETECTOR

    def report(self, t: float, dt: float) -> Report:
        """Drones detected (0) and RF activity (dBm), busier with the crowd's phones."""
        rng = self.rng
        rf = -93.0 + 5.0 * self.place.activity(t) + rng.gauss(0.0, 2.0)
        if rng.random() < 0.01:
            rf += rng.uniform(8.0, 18.0)
        return Report({"drones_detected": 0, "rf_activity_dbm": round(min(rf, -65.0), 1)})
